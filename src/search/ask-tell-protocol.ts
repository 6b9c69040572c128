// The messages of `g ask-tell`'s JSON-lines protocol (pure): one line of
// text → a checked message, or an AskTellError saying what is wrong with it.
// Every field the optimizer uses is validated here, at the edge, so a `null`
// line, an observe without params or a log range through 0 is one clear
// error instead of a crash or a suggestion outside the space.
// The protocol is described in docs/optimizers.md (init → ready, suggest →
// suggestion, observe → ok, end; tell and resume, which bring a new server to
// where another stood, → ok).

import { closestNames, didYouMean } from "../format/suggest.js";
import type { FlagValue } from "../store/types.js";
import type { Dimension, Point, Space } from "../flags/space.js";

export const PROTOCOL_VERSION = 1;

/** Observed params this far outside a float range (relative to its width) are clipped, as the harness does. */
const CLIP_TOLERANCE = 1e-9;

export type AskTellMessage =
  | { type: "init"; space: Space; direction: "minimize" | "maximize"; seed: string; budget: number | null }
  | { type: "suggest"; trial: number | undefined; state: boolean }
  | { type: "observe"; trial: number | undefined; params: Point; value: number | null }
  /** Many observations at once, in order. */
  | { type: "tell"; observations: { params: Point; value: number | null }[] }
  /** A session's state as a suggestion with `"state": true` gave it (checked by the session, which made it). */
  | { type: "resume"; state: unknown }
  | { type: "end" };

/** A line that breaks the protocol; the message says what is wrong, without the line number. */
export class AskTellError extends Error {}

const DIMENSION_KEYS = new Set(["type", "low", "high", "log", "values"]);

const MESSAGE_TYPES = ["init", "suggest", "observe", "tell", "resume", "end"];

/** `"value": NaN` (or ±Infinity) as Python's json.dumps writes it, up to the next comma or brace (each of a tell's). */
const NON_FINITE_VALUE = /("value"\s*:\s*)(-?Infinity|NaN)(\s*[,}])/g;

/**
 * Parses one non-empty line. `space` is the space of the last init (null
 * before any), which suggest and observe need.
 */
export function parseAskTellLine(line: string, space: Space | null): AskTellMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    // Python's json writes a diverged loss as NaN or Infinity, which JSON lacks: that value is a failed trial.
    const lenient = line.replace(NON_FINITE_VALUE, "$1null$3");
    try {
      if (lenient === line) throw new Error();
      raw = JSON.parse(lenient);
    } catch {
      throw new AskTellError(`not a JSON line: ${line.length > 80 ? line.slice(0, 80) + "..." : line}`);
    }
  }
  if (!isObject(raw)) throw new AskTellError(`expected a JSON object with a "type", got ${describe(raw)}`);
  if (!("type" in raw)) {
    const typo = closestNames("type", Object.keys(raw), 1)[0];
    const hint = typo === undefined ? "" : ` (${JSON.stringify(typo)} is not a field: did you mean "type"?)`;
    throw new AskTellError(`the line has no "type"${hint}; expected one of ${MESSAGE_TYPES.join(", ")}`);
  }
  switch (raw.type) {
    case "init":
      return parseInit(raw);
    case "suggest":
      if (space === null) throw new AskTellError("suggest before init");
      if (raw.state !== undefined && typeof raw.state !== "boolean")
        throw new AskTellError(`suggest: "state" must be true or false, got ${describe(raw.state)}`);
      return { type: "suggest", trial: parseTrial(raw.trial), state: raw.state === true };
    case "observe":
      if (space === null) throw new AskTellError("observe before init");
      return {
        type: "observe",
        trial: parseTrial(raw.trial),
        params: parseParams(raw.params, space, "observe"),
        value: parseValue(raw, "observe"),
      };
    case "tell":
      if (space === null) throw new AskTellError("tell before init");
      return { type: "tell", observations: parseObservations(raw.observations, space) };
    case "resume":
      if (space === null) throw new AskTellError("resume before init");
      if (!("state" in raw)) throw new AskTellError('resume: "state" is missing (what a suggestion with "state": true gave)');
      return { type: "resume", state: raw.state };
    case "end":
      return { type: "end" };
    default: {
      const near = typeof raw.type === "string" ? didYouMean(raw.type, MESSAGE_TYPES) : "";
      throw new AskTellError(`unknown message type ${describe(raw.type)}${near || `; expected ${MESSAGE_TYPES.join(", ")}`}`);
    }
  }
}

function parseInit(msg: Record<string, unknown>): AskTellMessage {
  if (msg.protocol !== PROTOCOL_VERSION)
    throw new AskTellError(`unsupported protocol ${describe(msg.protocol)}; g speaks protocol ${PROTOCOL_VERSION}`);
  if (!isObject(msg.space)) throw new AskTellError(`init: "space" must be an object of parameter → range, got ${describe(msg.space)}`);
  const entries = Object.entries(msg.space);
  if (entries.length === 0) throw new AskTellError("init: the space has no parameters");
  const space: Space = {};
  for (const [name, spec] of entries) {
    if (name.trim() === "") throw new AskTellError("init: a parameter has an empty name");
    space[name] = parseDimension(name, spec);
  }
  const direction = msg.direction ?? "minimize";
  if (direction !== "minimize" && direction !== "maximize")
    throw new AskTellError(`init: "direction" must be "minimize" or "maximize", got ${describe(direction)}`);
  const seed = msg.seed ?? 0;
  if (!(typeof seed === "string" || (typeof seed === "number" && Number.isSafeInteger(seed)))) {
    throw new AskTellError(`init: "seed" must be a whole number or a string, got ${describe(seed)}`);
  }
  if (msg.budget !== undefined && !(typeof msg.budget === "number" && Number.isSafeInteger(msg.budget) && msg.budget >= 0)) {
    throw new AskTellError(`init: "budget" must be a whole number >= 0, got ${describe(msg.budget)}`);
  }
  if (msg.function !== undefined && typeof msg.function !== "string")
    throw new AskTellError(`init: "function" must be a string, got ${describe(msg.function)}`);
  // 0 (or none) is an unknown budget: the optimizer then behaves as for an open-ended search.
  const budget = typeof msg.budget === "number" && msg.budget > 0 ? msg.budget : null;
  return { type: "init", space, direction, seed: String(seed), budget };
}

/** The harness's space entry → a Dimension: float (optionally "log": true), int, categorical. */
function parseDimension(name: string, spec: unknown): Dimension {
  const where = `init: parameter ${JSON.stringify(name)}`;
  if (!isObject(spec))
    throw new AskTellError(`${where} must be an object such as {"type":"float","low":0,"high":1}, got ${describe(spec)}`);
  for (const key of Object.keys(spec)) {
    if (!DIMENSION_KEYS.has(key))
      throw new AskTellError(`${where} has an unknown field "${key}" (fields: ${[...DIMENSION_KEYS].join(", ")})`);
  }
  if (spec.type === "categorical") {
    if (spec.low !== undefined || spec.high !== undefined || spec.log !== undefined)
      throw new AskTellError(`${where}: a categorical takes "values", not low/high/log`);
    const values = spec.values;
    if (!Array.isArray(values) || values.length === 0) throw new AskTellError(`${where}: a categorical needs a non-empty "values" array`);
    const seen = new Set<FlagValue>();
    for (const v of values) {
      if (!(typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)))) {
        throw new AskTellError(`${where}: categorical values must be strings, numbers or booleans, got ${describe(v)}`);
      }
      if (seen.has(v)) throw new AskTellError(`${where}: categorical value ${JSON.stringify(v)} is given twice`);
      seen.add(v);
    }
    return { type: "choice", values: values as FlagValue[] };
  }
  if (spec.type !== "float" && spec.type !== "int")
    throw new AskTellError(`${where}: unsupported type ${describe(spec.type)}; use float, int or categorical`);
  if (spec.values !== undefined) throw new AskTellError(`${where}: "values" is for categorical parameters`);
  const { low, high } = spec;
  if (typeof low !== "number" || !Number.isFinite(low))
    throw new AskTellError(`${where}: "low" must be a finite number, got ${describe(low)}`);
  if (typeof high !== "number" || !Number.isFinite(high))
    throw new AskTellError(`${where}: "high" must be a finite number, got ${describe(high)}`);
  if (low > high) throw new AskTellError(`${where}: "low" ${low} is above "high" ${high}`);
  if (spec.log !== undefined && typeof spec.log !== "boolean")
    throw new AskTellError(`${where}: "log" must be true or false, got ${describe(spec.log)}`);
  const log = spec.log === true;
  if (log && low <= 0) throw new AskTellError(`${where}: a log range needs "low" above 0, got ${low}`);
  if (spec.type === "int") {
    // Integer dimensions keep their integer bounds, so no proposal rounds outside the range.
    const lo = Math.ceil(low);
    const hi = Math.floor(high);
    if (lo > hi) throw new AskTellError(`${where}: no whole number lies in [${low}, ${high}]`);
    return { type: log ? "loguniform" : "uniform", low: lo, high: hi, integer: true };
  }
  return { type: log ? "loguniform" : "uniform", low, high };
}

function parseTrial(trial: unknown): number | undefined {
  if (trial === undefined) return undefined;
  if (typeof trial !== "number" || !Number.isSafeInteger(trial) || trial < 0)
    throw new AskTellError(`"trial" must be a whole number >= 0, got ${describe(trial)}`);
  return trial;
}

/** A tell's observations: an array of {"params", "value"}, each checked as an observe's. */
function parseObservations(list: unknown, space: Space): { params: Point; value: number | null }[] {
  if (!Array.isArray(list))
    throw new AskTellError(`tell: "observations" must be an array of {"params", "value"} objects, got ${describe(list)}`);
  return list.map((item, k) => {
    const where = `tell: observation ${k + 1}`;
    if (!isObject(item)) throw new AskTellError(`${where} must be an object with "params" and "value", got ${describe(item)}`);
    return { params: parseParams(item.params, space, where), value: parseValue(item, where) };
  });
}

function parseValue(msg: Record<string, unknown>, where: string): number | null {
  if (!("value" in msg)) throw new AskTellError(`${where}: "value" is missing (a number, or null for a failed trial)`);
  const value = msg.value;
  if (typeof value !== "number" && value !== null)
    throw new AskTellError(`${where}: "value" must be a number or null, got ${describe(value)}`);
  // null, NaN and ±Infinity (1e999 parses as Infinity) are a failed trial: not modelled, not proposed again.
  return value !== null && Number.isFinite(value) ? value : null;
}

/** Observed params: exactly the space's parameters, each a value the space can hold (floats a hair outside are clipped). */
function parseParams(params: unknown, space: Space, where: string): Point {
  const names = Object.keys(space);
  if (!isObject(params)) throw new AskTellError(`${where}: "params" must be an object with ${names.join(", ")}, got ${describe(params)}`);
  for (const key of Object.keys(params))
    if (!(key in space))
      throw new AskTellError(`${where}: "params" has ${JSON.stringify(key)}, which is not in the space (${names.join(", ")})`);
  const point: Point = {};
  for (const name of names) {
    if (!(name in params)) throw new AskTellError(`${where}: "params" lacks ${JSON.stringify(name)}`);
    point[name] = checkParam(name, params[name], space[name]!, where);
  }
  return point;
}

function checkParam(name: string, value: unknown, dim: Dimension, context: string): FlagValue {
  const where = `${context}: param ${JSON.stringify(name)}`;
  if (dim.type === "choice") {
    if (!dim.values.some((v) => v === value))
      throw new AskTellError(`${where} is ${describe(value)}, not one of ${JSON.stringify(dim.values)}`);
    return value as FlagValue;
  }
  if (dim.type !== "uniform" && dim.type !== "loguniform") return value as FlagValue;
  if (typeof value !== "number" || !Number.isFinite(value)) throw new AskTellError(`${where} must be a number, got ${describe(value)}`);
  if (dim.integer) {
    if (!Number.isInteger(value)) throw new AskTellError(`${where} must be a whole number, got ${value}`);
    if (value < dim.low || value > dim.high) throw new AskTellError(`${where} ${value} is outside [${dim.low}, ${dim.high}]`);
    return value;
  }
  const slack = CLIP_TOLERANCE * (dim.high - dim.low);
  if (value < dim.low - slack || value > dim.high + slack) throw new AskTellError(`${where} ${value} is outside [${dim.low}, ${dim.high}]`);
  return Math.min(dim.high, Math.max(dim.low, value));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A JSON value shown short in a message: `null`, `"x"`, `an array`, `an object` (never stringified whole: it may nest 100 000 deep). */
function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object" && v !== null) return "an object";
  const text = JSON.stringify(v);
  return text.length > 40 ? text.slice(0, 40) + "..." : text;
}
