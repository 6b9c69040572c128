// `g ask-tell --optimizer NAME`: a JSON-lines optimizer server (init → ready,
// suggest → suggestion, observe → ok, end; the protocol of the shared
// optimizer benchmark, written out in docs/optimizers.md), so a harness can
// drive the gp and tpe optimizers exactly as `g run` would use them.

import { createInterface } from "node:readline";
import { createRng } from "../search/rng.js";
import { UsageError } from "../errors.js";
import type { FlagValue } from "../store/types.js";
import type { Dimension, Observation, Point, Rng, Space } from "../flags/space.js";
import { findOptimizer, loadProposer, parseOptimizerSettings, type OptimizerName } from "../trials/optimizers.js";

const PROTOCOL_VERSION = 1;

/** The optimizers ask-tell serves: those that propose (grid has no proposals to make). */
function askTellOptimizer(name: string): Exclude<OptimizerName, "grid"> {
  const found = findOptimizer(name);
  if (found === undefined || found === "grid") {
    throw new UsageError(
      `unknown optimizer '${name}' for ask-tell: expected gp (alias bayesian), tpe or random (e.g. g ask-tell --optimizer gp)`,
    );
  }
  return found;
}

interface ProtocolMessage {
  type?: unknown;
  [key: string]: unknown;
}

/** The harness's space entry → a Dimension: float (optionally "log": true), int, categorical. */
function toDimension(name: string, spec: unknown): Dimension {
  if (typeof spec !== "object" || spec === null) throw new ProtocolError(`space entry ${name} is not an object`);
  const s = spec as Record<string, unknown>;
  if (s.type === "categorical") {
    if (!Array.isArray(s.values) || s.values.length === 0) throw new ProtocolError(`space entry ${name}: categorical needs values`);
    return { type: "choice", values: s.values as FlagValue[] };
  }
  const low = Number(s.low);
  const high = Number(s.high);
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high) throw new ProtocolError(`space entry ${name}: bad bounds`);
  const integer = s.type === "int";
  if (s.type !== "float" && !integer) throw new ProtocolError(`space entry ${name}: unsupported type ${String(s.type)}`);
  if (s.log === true) return { type: "loguniform", low, high, integer };
  return { type: "uniform", low, high, integer };
}

class ProtocolError extends Error {}

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
  try {
    for await (const line of lines) {
      if (line.trim() === "") continue;
      let msg: ProtocolMessage;
      try {
        msg = JSON.parse(line) as ProtocolMessage;
      } catch {
        throw new ProtocolError(`not a JSON line: ${line.slice(0, 200)}`);
      }
      switch (msg.type) {
        case "init": {
          if (msg.protocol !== PROTOCOL_VERSION) throw new ProtocolError(`unsupported protocol ${String(msg.protocol)}`);
          const rawSpace = msg.space;
          if (typeof rawSpace !== "object" || rawSpace === null) throw new ProtocolError("init without a space");
          space = {};
          for (const [k, v] of Object.entries(rawSpace)) space[k] = toDimension(k, v);
          sign = msg.direction === "maximize" ? -1 : 1;
          rng = createRng(String(msg.seed ?? 0));
          // A fresh proposer per session: the gp's warm-start cache belongs to one space.
          proposer = await loadProposer(optimizer, space, settings);
          history.length = 0;
          send({ type: "ready", name: `g_${name}` });
          break;
        }
        case "suggest": {
          if (!proposer || !space || !rng) throw new ProtocolError("suggest before init");
          const params = proposer(history, rng);
          send({ type: "suggestion", trial: msg.trial, params });
          break;
        }
        case "observe": {
          if (!space) throw new ProtocolError("observe before init");
          const params = msg.params as Point;
          const value = typeof msg.value === "number" && Number.isFinite(msg.value) ? sign * msg.value : null;
          history.push({ point: params, value });
          send({ type: "ok" });
          break;
        }
        case "end":
          return;
        default:
          throw new ProtocolError(`unknown message type ${JSON.stringify(msg.type)}`);
      }
    }
  } catch (err) {
    if (err instanceof ProtocolError) throw new UsageError(`ask-tell: ${err.message}`);
    throw err;
  } finally {
    lines.close();
  }
}
