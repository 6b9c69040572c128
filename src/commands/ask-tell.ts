// `g ask-tell --optimizer NAME`: a JSON-lines optimizer server (init → ready,
// suggest → suggestion, observe → ok, end; the protocol of the shared
// optimizer benchmark, written out in docs/optimizers.md), so a harness can
// drive the gp, tpe, forest and gbrt optimizers exactly as `g run` would use them.

import { createInterface } from "node:readline";
import { AskTellError, parseAskTellLine } from "../search/ask-tell-protocol.js";
import { AskTellSession, askTellOptimizer, checkSessionState } from "../trials/ask-tell-session.js";
import { parseOptimizerSettings } from "../trials/optimizers.js";
import { UsageError } from "../errors.js";
import type { Space } from "../flags/space.js";

/** Runs one session: reads messages from input until `end` (or EOF), answers on output. */
export async function runAskTell(options: {
  optimizer: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Optimizer settings as given by --opt-flag name=value. */
  settings?: Record<string, string>;
}): Promise<void> {
  const name = options.optimizer.toLowerCase();
  // A bad name or setting fails before anything is read.
  const optimizer = askTellOptimizer(name);
  await parseOptimizerSettings(optimizer, options.settings ?? {});
  let session: AskTellSession | null = null;
  let space: Space | null = null;
  const send = (msg: Record<string, unknown>): void => {
    options.output.write(JSON.stringify(msg) + "\n");
  };
  const lines = createInterface({ input: options.input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === "") continue;
      const msg = parseAskTellLine(line, space);
      switch (msg.type) {
        case "init":
          space = msg.space;
          session = await AskTellSession.start({
            optimizer,
            space,
            direction: msg.direction,
            seed: msg.seed,
            settings: options.settings,
            budget: msg.budget,
          });
          send({ type: "ready", name: `g_${name}` });
          break;
        case "suggest": {
          // parseAskTellLine refuses suggest before init, which starts the session.
          const params = session!.suggest();
          send({ type: "suggestion", trial: msg.trial, params, ...(msg.state ? { state: session!.save() } : {}) });
          break;
        }
        case "observe":
          session!.observe(msg.params, msg.value);
          send({ type: "ok" });
          break;
        case "tell":
          for (const o of msg.observations) session!.observe(o.params, o.value);
          send({ type: "ok" });
          break;
        case "resume": {
          const state = checkSessionState(msg.state);
          if (typeof state === "string") throw new AskTellError(`resume: "state" ${state}`);
          await session!.resume(state);
          send({ type: "ok" });
          break;
        }
        case "end":
          return;
      }
    }
  } catch (err) {
    if (err instanceof AskTellError) throw new UsageError(`ask-tell: line ${lineNumber}: ${err.message}`);
    throw err;
  } finally {
    lines.close();
  }
}
