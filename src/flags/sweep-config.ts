// W&B-style sweep.yaml (shared/seeds/001_*.txt) → a typed SweepConfig whose
// parameters are a Space, plus the argv a trial runs. Pure: the caller reads
// the file. Every problem is a UsageError naming the file, line and YAML path.

import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type Scalar, type YAMLMap } from "yaml";
import { UsageError } from "../errors.js";
import { flagNameProblem } from "./check-names.js";
import type { FlagValue } from "../store/types.js";
import type { Dimension, Space } from "./space.js";
import {
  DEFAULT_COMMAND,
  ENVELOPE_DEFAULTS,
  HYPERBAND_DEFAULT_ETA,
  HYPERBAND_MAX_BAND,
  SWEEP_METHODS,
  gridAxis,
  type EarlyTerminate,
  type SweepConfig,
  type SweepMethod,
  type SweepMetric,
} from "./sweep-space.js";

// The types and the space's arithmetic live in sweep-space.ts (no YAML parser); re-exported for the parser's callers.
export * from "./sweep-space.js";

const MACROS = ["${env}", "${interpreter}", "${program}", "${args}", "${args_no_hyphens}", "${args_json}"];

const TOP_KEYS = [
  "name",
  "description",
  "program",
  "method",
  "metric",
  "parameters",
  "early_terminate",
  "run_cap",
  "command",
  "project",
  "entity",
];
const DISTRIBUTIONS = [
  "constant",
  "categorical",
  "int_uniform",
  "uniform",
  "q_uniform",
  "log_uniform",
  "log_uniform_values",
  "q_log_uniform_values",
  "normal",
  "q_normal",
  "log_normal",
] as const;
type Distribution = (typeof DISTRIBUTIONS)[number];

/** Which keys each distribution takes, besides `distribution` itself. */
const DISTRIBUTION_KEYS: Record<Distribution, { required: string[]; optional: string[] }> = {
  constant: { required: ["value"], optional: [] },
  categorical: { required: ["values"], optional: [] },
  int_uniform: { required: ["min", "max"], optional: [] },
  uniform: { required: ["min", "max"], optional: [] },
  q_uniform: { required: ["min", "max"], optional: ["q"] },
  log_uniform: { required: ["min", "max"], optional: [] },
  log_uniform_values: { required: ["min", "max"], optional: [] },
  q_log_uniform_values: { required: ["min", "max"], optional: ["q"] },
  normal: { required: [], optional: ["mu", "sigma"] },
  q_normal: { required: [], optional: ["mu", "sigma", "q"] },
  log_normal: { required: [], optional: ["mu", "sigma"] },
};
const PARAMETER_KEYS = ["distribution", "value", "values", "min", "max", "q", "mu", "sigma"];

/** Parses sweep.yaml text; `file` is only used in messages (`sweep.yaml:12: ...`). */
export function parseSweepConfig(text: string, file: string): SweepConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const fail = (node: Node | Pair | null | undefined, path: string, message: string): never => {
    const offset = nodeOffset(node);
    const line = offset === null ? null : lines.linePos(offset).line;
    throw new UsageError(`${file}${line === null ? "" : `:${line}`}: ${path ? `${path}: ` : ""}${message}`);
  };
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const line = lines.linePos(err.pos[0]).line;
    const message = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    // The YAML parser reports its own stack overflow (10 000 nested "[") as a parse error.
    const first = /call stack/i.test(message) ? "lists or mappings nested too deep" : message;
    // `[${env}, ...]` reads as a flow mapping in YAML, an easy trap with W&B's macros.
    const hint = (text.split("\n")[line - 1] ?? "").includes("${") ? "; quote macros inside [...] or write a block list (- ${args})" : "";
    throw new UsageError(`${file}:${line}: not valid YAML: ${first}${hint}`);
  }
  const root = doc.contents;
  if (!isMap(root)) fail(root, "", "a sweep file is a mapping with program, method, metric and parameters; see docs/sweeps.md");
  const top = readMap(root as YAMLMap, "", TOP_KEYS, fail);

  const method = readString(top.get("method"), "method", fail, true);
  if (!(SWEEP_METHODS as readonly string[]).includes(method)) {
    fail(top.get("method")!.value, "method", `unknown method "${method}"; use one of ${SWEEP_METHODS.join(", ")}`);
  }

  const metric = readMetric(top.get("metric"), fail);
  if (method === "bayes" && !metric)
    fail(top.get("method")!.value, "method", "bayes needs a metric to optimize; add metric: {name: val_loss, goal: minimize}");

  const space = readParameters(top.get("parameters"), root as YAMLMap, fail);
  if (method === "grid") checkGriddable(space, top.get("parameters")!, fail);

  const earlyTerminate = readEarlyTerminate(top.get("early_terminate"), fail);
  if (earlyTerminate && !metric)
    fail(
      top.get("early_terminate")!.value,
      "early_terminate",
      "needs a metric to judge runs by; add metric: {name: val_loss, goal: minimize}",
    );

  let runCap: number | null = null;
  const capPair = top.get("run_cap");
  if (capPair) {
    const v = scalarValue(capPair.value);
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
      fail(capPair.value, "run_cap", `must be a whole number of runs, at least 1, not ${show(capPair.value)}`);
    runCap = v as number;
  }

  const command = readCommand(top.get("command"), fail);
  const usesProgram = (command ?? DEFAULT_COMMAND).some((a) => a.includes("${program}"));
  const program = top.get("program") ? readString(top.get("program"), "program", fail, true) : "";
  if (usesProgram && program === "") fail(root, "program", "is missing; name the script to run, e.g. program: train.py");

  return {
    name: top.get("name") ? readString(top.get("name"), "name", fail, false) : "",
    description: top.get("description") ? readString(top.get("description"), "description", fail, false) : "",
    program,
    method: method as SweepMethod,
    metric,
    space,
    earlyTerminate,
    runCap,
    command,
  };
}

type Fail = (node: Node | Pair | null | undefined, path: string, message: string) => never;

function nodeOffset(node: Node | Pair | null | undefined): number | null {
  if (!node) return null;
  if ("range" in node && node.range) return node.range[0];
  if ("key" in node) return nodeOffset(node.key as Node) ?? nodeOffset(node.value as Node);
  return null;
}

/** The map's pairs by key; unknown keys (not in `allowed`, when given) are errors. */
function readMap(map: YAMLMap, path: string, allowed: string[] | null, fail: Fail): Map<string, Pair<Node, Node | null>> {
  const out = new Map<string, Pair<Node, Node | null>>();
  for (const pair of map.items as Pair<Node, Node | null>[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : null;
    if (key === null) fail(pair.key, path, "keys must be plain names");
    const where = path ? `${path}.${key}` : key!;
    if (allowed && !allowed.includes(key!)) {
      fail(pair.key, where, `unknown key; ${path ? `${path} takes` : "the top level takes"} ${allowed.join(", ")}`);
    }
    out.set(key!, pair);
  }
  return out;
}

function scalarValue(node: Node | null | undefined): unknown {
  return isScalar(node) ? node.value : undefined;
}

function show(node: Node | null | undefined): string {
  if (node === null || node === undefined) return "nothing";
  if (isScalar(node)) return JSON.stringify(node.value);
  return isMap(node) ? "a mapping" : "a list";
}

function readString(pair: Pair<Node, Node | null> | undefined, path: string, fail: Fail, required: boolean): string {
  const v = scalarValue(pair?.value);
  if (typeof v === "string" && (v.trim() !== "" || !required)) return v.trim();
  if (!required && (v === null || v === undefined) && isScalar(pair?.value)) return "";
  return fail(pair?.value ?? pair, path, `must be a text value, not ${show(pair?.value)}`);
}

/** An integer in YAML source (not `1.0`, `1e3` or `!!float 1`). */
function isIntegerScalar(node: Node | null | undefined): boolean {
  if (!isScalar(node) || typeof node.value !== "number" || !Number.isInteger(node.value)) return false;
  if (node.tag === "tag:yaml.org,2002:float") return false;
  const src = (node as Scalar & { source?: string }).source ?? String(node.value);
  return !/[.eE]/.test(src) || /^[-+]?0x/i.test(src);
}

function readNumber(pair: Pair<Node, Node | null> | undefined, path: string, fail: Fail): number {
  const v = scalarValue(pair?.value);
  if (typeof v !== "number" || !Number.isFinite(v)) return fail(pair?.value ?? pair, path, `must be a number, not ${show(pair?.value)}`);
  return v;
}

function readMetric(pair: Pair<Node, Node | null> | undefined, fail: Fail): SweepMetric | null {
  if (!pair) return null;
  if (!isMap(pair.value)) return fail(pair.value ?? pair, "metric", "must be a mapping, e.g. metric: {name: val_loss, goal: minimize}");
  const m = readMap(pair.value, "metric", ["name", "goal"], fail);
  if (!m.get("name")) fail(pair.value, "metric.name", "is missing; name the scalar to optimize, e.g. name: val_loss");
  const name = readString(m.get("name"), "metric.name", fail, true);
  let goal: SweepMetric["goal"] = "minimize";
  if (m.get("goal")) {
    const g = readString(m.get("goal"), "metric.goal", fail, true);
    if (g !== "minimize" && g !== "maximize") fail(m.get("goal")!.value, "metric.goal", `must be minimize or maximize, not "${g}"`);
    goal = g as SweepMetric["goal"];
  }
  return { name, goal };
}

function readParameters(pair: Pair<Node, Node | null> | undefined, root: YAMLMap, fail: Fail): Space {
  if (!pair) return fail(root, "parameters", "is missing; add the flags to search, e.g. parameters: {lr: {min: 0.001, max: 0.1}}");
  if (!isMap(pair.value) || pair.value.items.length === 0) {
    return fail(pair.value ?? pair, "parameters", "must map each flag to its values, e.g. lr: {min: 0.001, max: 0.1}");
  }
  const space: Space = {};
  for (const [name, p] of readMap(pair.value, "parameters", null, fail)) {
    // The name becomes `--name=value` or `name=value` on the trial's command line: `a=b` or "" would change its meaning.
    const problem = flagNameProblem(name);
    if (problem !== null) fail(p.key, `parameters.${JSON.stringify(name)}`, problem);
    space[name] = readParameter(p, `parameters.${name}`, fail);
  }
  return space;
}

function readParameter(pair: Pair<Node, Node | null>, path: string, fail: Fail): Dimension {
  if (!isMap(pair.value)) {
    return fail(
      pair.value ?? pair,
      path,
      `must be a mapping such as {values: [1, 2]}, {min: 0, max: 1} or {value: 3}, not ${show(pair.value)}`,
    );
  }
  if (pair.value.items.some((i) => isScalar((i as Pair).key) && (i as Pair<Scalar>).key.value === "parameters")) {
    fail(pair.value, path, "nested parameters are not supported; give each flag its own entry under parameters");
  }
  const keys = readMap(pair.value, path, PARAMETER_KEYS, fail);
  const distribution = inferDistribution(keys, path, pair, fail);
  const { required, optional } = DISTRIBUTION_KEYS[distribution];
  for (const [key, p] of keys) {
    if (key === "distribution") continue;
    if (!required.includes(key) && !optional.includes(key)) {
      fail(
        p.key,
        `${path}.${key}`,
        `does not apply to distribution ${distribution} (it takes ${[...required, ...optional].join(", ") || "no other keys"})`,
      );
    }
  }
  for (const key of required) {
    if (!keys.has(key)) fail(pair.value, path, `distribution ${distribution} needs ${key}`);
  }

  const num = (key: string, fallback: number) => (keys.has(key) ? readNumber(keys.get(key), `${path}.${key}`, fail) : fallback);
  const q = () => {
    const v = num("q", 1);
    if (v <= 0) fail(keys.get("q")!.value, `${path}.q`, `must be greater than 0, not ${v}`);
    return v;
  };
  const range = () => {
    const low = num("min", 0);
    const high = num("max", 0);
    if (low > high) fail(keys.get("min")!.value, path, `min (${low}) is greater than max (${high})`);
    return { low, high };
  };
  const sigma = () => {
    const s = num("sigma", 1);
    if (s <= 0) fail(keys.get("sigma")!.value, `${path}.sigma`, `must be greater than 0, not ${s}`);
    return s;
  };

  switch (distribution) {
    case "constant":
      return { type: "const", value: readFlagValue(keys.get("value")!.value, `${path}.value`, fail) };
    case "categorical": {
      const node = keys.get("values")!.value;
      if (!isSeq(node))
        return fail(node ?? keys.get("values"), `${path}.values`, `must be a list, e.g. values: [32, 64, 128], not ${show(node)}`);
      if (node.items.length === 0) return fail(node, `${path}.values`, "is empty; list at least one value, e.g. values: [32, 64]");
      const values = node.items.map((item, i) => readFlagValue(item as Node, `${path}.values[${i}]`, fail));
      return { type: "choice", values };
    }
    case "int_uniform": {
      for (const key of ["min", "max"]) {
        if (!isIntegerScalar(keys.get(key)!.value))
          fail(keys.get(key)!.value, `${path}.${key}`, `int_uniform needs whole numbers, not ${show(keys.get(key)!.value)}`);
      }
      return { type: "uniform", ...range(), integer: true };
    }
    case "uniform":
      return { type: "uniform", ...range() };
    case "q_uniform":
      return { type: "uniform", ...range(), q: q() };
    case "log_uniform": {
      // W&B's log_uniform takes min/max as natural logarithms of the bounds.
      const { low, high } = range();
      return { type: "loguniform", low: Math.exp(low), high: Math.exp(high) };
    }
    case "log_uniform_values":
    case "q_log_uniform_values": {
      const r = range();
      if (r.low <= 0) fail(keys.get("min")!.value, `${path}.min`, `${distribution} needs min > 0, not ${r.low}`);
      return distribution === "q_log_uniform_values" ? { type: "loguniform", ...r, q: q() } : { type: "loguniform", ...r };
    }
    case "normal":
      return { type: "normal", mu: num("mu", 0), sigma: sigma() };
    case "q_normal":
      return { type: "normal", mu: num("mu", 0), sigma: sigma(), q: q() };
    case "log_normal":
      return { type: "lognormal", mu: num("mu", 0), sigma: sigma() };
  }
}

/** W&B's rules: an explicit distribution wins; else value → constant, values → categorical, int min/max → int_uniform, else uniform. */
function inferDistribution(
  keys: Map<string, Pair<Node, Node | null>>,
  path: string,
  pair: Pair<Node, Node | null>,
  fail: Fail,
): Distribution {
  const given = keys.get("distribution");
  if (given) {
    const d = readString(given, `${path}.distribution`, fail, true);
    if (!(DISTRIBUTIONS as readonly string[]).includes(d)) {
      fail(given.value, `${path}.distribution`, `unknown distribution "${d}"; use one of ${DISTRIBUTIONS.join(", ")}`);
    }
    return d as Distribution;
  }
  if (keys.has("value")) return "constant";
  if (keys.has("values")) return "categorical";
  if (keys.has("min") || keys.has("max")) {
    if (!keys.has("min") || !keys.has("max")) fail(pair.value, path, `needs both min and max, e.g. {min: 0.001, max: 0.1}`);
    const ints = isIntegerScalar(keys.get("min")!.value) && isIntegerScalar(keys.get("max")!.value);
    if (keys.has("q")) return "q_uniform";
    return ints ? "int_uniform" : "uniform";
  }
  if (keys.has("mu") || keys.has("sigma")) return "normal";
  return fail(pair.value, path, "says nothing to search; give value, values, min/max, or a distribution");
}

function readFlagValue(node: Node | null, path: string, fail: Fail): FlagValue {
  if (node === null || node === undefined) return null;
  if (!isScalar(node)) return fail(node, path, `must be a single value (text, number, true/false), not ${show(node)}`);
  const v = node.value;
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  return fail(node, path, `must be a single value (text, number, true/false), not ${String(v)}`);
}

function checkGriddable(space: Space, pair: Pair<Node, Node | null>, fail: Fail): void {
  for (const [name, dim] of Object.entries(space)) {
    if (gridAxis(dim) === null) {
      const node = isMap(pair.value)
        ? (pair.value.items as Pair<Node, Node | null>[]).find((p) => isScalar(p.key) && p.key.value === name)
        : null;
      fail(
        node ?? pair,
        `parameters.${name}`,
        "method grid needs a finite list of values; write values: [...], whole-number min/max, or use method: random",
      );
    }
  }
}

function readCommand(pair: Pair<Node, Node | null> | undefined, fail: Fail): string[] | null {
  if (!pair) return null;
  const node = pair.value;
  if (!isSeq(node) || node.items.length === 0) {
    return fail(node ?? pair, "command", "must be a list of arguments, e.g. command: [${env}, ${interpreter}, ${program}, ${args}]");
  }
  return node.items.map((item, i) => {
    const v = scalarValue(item as Node);
    if (typeof v !== "string" && typeof v !== "number") fail(item as Node, `command[${i}]`, `must be text, not ${show(item as Node)}`);
    const s = String(v);
    const unknown = /\$\{[^}]*\}/g.exec(s);
    if (unknown && !MACROS.some((m) => s.includes(m))) {
      fail(item as Node, `command[${i}]`, `unknown macro ${unknown[0]}; use ${MACROS.join(", ")}`);
    }
    return s;
  });
}

function readEarlyTerminate(pair: Pair<Node, Node | null> | undefined, fail: Fail): EarlyTerminate | null {
  if (!pair) return null;
  if (!isMap(pair.value))
    return fail(pair.value ?? pair, "early_terminate", "must be a mapping, e.g. early_terminate: {type: hyperband, min_iter: 3}");
  const keys = readMap(
    pair.value,
    "early_terminate",
    ["type", "min_iter", "max_iter", "s", "eta", "fraction", "min_runs", "start_iter"],
    fail,
  );
  if (!keys.get("type")) fail(pair.value, "early_terminate.type", "is missing; use envelope or hyperband");
  const type = readString(keys.get("type"), "early_terminate.type", fail, true);
  const int = (key: string, min: number): number | null => {
    const p = keys.get(key);
    if (!p) return null;
    if (!isIntegerScalar(p.value) || (scalarValue(p.value) as number) < min) {
      fail(p.value, `early_terminate.${key}`, `must be a whole number, at least ${min}, not ${show(p.value)}`);
    }
    return scalarValue(p.value) as number;
  };
  const only = (allowed: string[]) => {
    for (const [key, p] of keys) {
      if (key !== "type" && !allowed.includes(key))
        fail(p.key, `early_terminate.${key}`, `does not apply to type ${type} (it takes ${allowed.join(", ")})`);
    }
  };
  if (type === "envelope") {
    only(["fraction", "min_runs", "start_iter"]);
    let fraction: number = ENVELOPE_DEFAULTS.fraction;
    if (keys.get("fraction")) {
      fraction = readNumber(keys.get("fraction"), "early_terminate.fraction", fail);
      if (fraction <= 0 || fraction > 1)
        fail(keys.get("fraction")!.value, "early_terminate.fraction", `must be in (0, 1], not ${fraction}`);
    }
    return {
      type: "envelope",
      fraction,
      min_runs: int("min_runs", 1) ?? ENVELOPE_DEFAULTS.min_runs,
      start_iter: int("start_iter", 1) ?? ENVELOPE_DEFAULTS.start_iter,
    };
  }
  if (type === "hyperband") {
    only(["min_iter", "max_iter", "s", "eta"]);
    const eta = int("eta", 2) ?? HYPERBAND_DEFAULT_ETA;
    const s = int("s", 1);
    const minIter = int("min_iter", 1);
    const maxIter = int("max_iter", 1);
    if (minIter !== null && maxIter !== null) fail(keys.get("max_iter")!.key, "early_terminate", "give min_iter or max_iter, not both");
    if (minIter === null && maxIter === null)
      fail(pair.value, "early_terminate", "hyperband needs min_iter (or max_iter with s), e.g. {type: hyperband, min_iter: 3}");
    const bands: number[] = [];
    if (minIter !== null) {
      for (let b = minIter, i = 0; b <= HYPERBAND_MAX_BAND && (s === null || i < s); b *= eta, i++) bands.push(b);
    } else {
      if (s === null) fail(keys.get("max_iter")!.key, "early_terminate.s", "is needed with max_iter (the number of brackets), e.g. s: 2");
      for (let i = 1, b = maxIter! / eta; i <= s! && b >= 1; i++, b /= eta) bands.push(Math.floor(b));
      bands.sort((a, b) => a - b);
      if (bands.length === 0)
        fail(
          keys.get("max_iter")!.value,
          "early_terminate.max_iter",
          `max_iter ${maxIter} is smaller than eta ${eta}: no band to judge at`,
        );
    }
    return { type: "hyperband", bands, eta };
  }
  return fail(keys.get("type")!.value, "early_terminate.type", `unknown type "${type}"; use envelope or hyperband`);
}
