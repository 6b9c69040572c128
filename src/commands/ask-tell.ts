// `g ask-tell --optimizer NAME`: a JSON-lines optimizer server (init → ready,
// suggest → suggestion, observe → ok, end; the protocol of the shared
// optimizer benchmark, written out in docs/optimizers.md), so a harness can
// drive the gp, tpe, forest and gbrt optimizers exactly as `g run` would use them.

import { createInterface } from "node:readline";
import { createRng } from "../search/rng.js";
import { UsageError } from "../errors.js";
import type { Observation, Point, Rng, Space } from "../flags/space.js";
import { AskTellError, parseAskTellLine } from "../search/ask-tell-protocol.js";
import { findOptimizer, loadProposer, parseOptimizerSettings, type OptimizerName } from "../trials/optimizers.js";

/** The optimizers ask-tell serves: those that propose (grid has no proposals to make). */
function askTellOptimizer(name: string): Exclude<OptimizerName, "grid"> {
  const found = findOptimizer(name);
  if (found === undefined || found === "grid") {
    throw new UsageError(
      `unknown optimizer '${name}' for ask-tell: expected gp (alias bayesian), tpe, forest, gbrt or random (e.g. g ask-tell --optimizer gp)`,
    );
  }
  return found;
}

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
  const settings = await parseOptimizerSettings(optimizer, options.settings ?? {});
  let proposer: ((history: Observation[], rng: Rng) => Point) | null = null;
  let space: Space | null = null;
  let rng: Rng | null = null;
  let sign = 1;
  const history: Observation[] = [];
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
          sign = msg.direction === "maximize" ? -1 : 1;
          rng = createRng(msg.seed);
          // A fresh proposer per session: the gp's warm-start cache belongs to one space.
          proposer = await loadProposer(optimizer, space, settings);
          history.length = 0;
          send({ type: "ready", name: `g_${name}` });
          break;
        case "suggest": {
          // parseAskTellLine refuses suggest before init, which sets all three.
          const params = proposer!(history, rng!);
          send({ type: "suggestion", trial: msg.trial, params });
          break;
        }
        case "observe":
          history.push({ point: msg.params, value: msg.value === null ? null : sign * msg.value });
          send({ type: "ok" });
          break;
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
