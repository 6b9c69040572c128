// W&B-style sweep.yaml (shared/seeds/001_*.txt, and W&B's sweep configuration
// reference) → a typed SweepConfig whose parameters are a Space, plus what a
// trial's command line needs to write each value as W&B would (Python's
// types, nested parameters). Pure: the caller reads the file. Every problem is
// a UsageError naming the file, line and YAML path.

import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type Scalar, type YAMLMap } from "yaml";
import { UsageError } from "../errors.js";
import { didYouMean } from "../format/suggest.js";
import { flagNameProblem } from "./check-names.js";
import type { FlagValue } from "../store/types.js";
import type { Dimension, Space } from "./space.js";
import { PyFloat, pyJsonDumps, pyRepr, type PyValue } from "./python-repr.js";
import { DEFAULT_COMMAND, gridAxis } from "./sweep-grid.js";

// What agents need of a sweep without parsing one (they read sweep.json): in sweep-grid.ts,
// which does not load the YAML parser (about 80 ms of CPU at every agent's start).
export { DEFAULT_COMMAND, MAX_GRID_AXIS, gridAxis, sweepGridPoints, sweepGridSize, sweepTotal } from "./sweep-grid.js";

export type SweepMethod = "grid" | "random" | "bayes";
export const SWEEP_METHODS: readonly SweepMethod[] = ["grid", "random", "bayes"];

export interface SweepMetric {
  name: string;
  goal: "minimize" | "maximize";
  /** W&B's metric.target: once a finished trial reaches it, the sweep proposes no more trials. */
  target?: number;
}

/** Envelope rule settings; defaults in ENVELOPE_DEFAULTS (docs/sweeps.md). */
export interface EnvelopeRule {
  type: "envelope";
  fraction: number;
  min_runs: number;
  start_iter: number;
}

/** Hyperband as W&B computes it: the bands (numbers of logged metric values) at which runs are judged. */
export interface HyperbandRule {
  type: "hyperband";
  bands: number[];
  eta: number;
  /** W&B's strict (its default): judge the value at the band; otherwise the best value so far. */
  strict?: boolean;
}

export type EarlyTerminate = EnvelopeRule | HyperbandRule;

export const ENVELOPE_DEFAULTS = { fraction: 0.3, min_runs: 3, start_iter: 3 } as const;
export const HYPERBAND_DEFAULT_ETA = 3;
/** With min_iter, W&B computes this many bands (min_iter * eta^i, i < 100). */
export const HYPERBAND_MIN_ITER_BANDS = 100;

/**
 * How W&B would write one parameter's values for the program: where it sits
 * (a nested parameter's path), and Python's type of its values, which a JS
 * number cannot carry (1.0 is a float, 1 an int; a list is a list).
 */
export interface SweepParam {
  /** ["optimizer", "lr"] for lr under optimizer's `parameters`; [name] for a top-level one. */
  path: string[];
  /** "float"/"int": every value drawn is one (uniform gives floats, int_uniform ints); "literal": value/values as written. */
  kind: "float" | "int" | "literal";
  /** literal: indices (in the dimension's values) of values written as floats (`1.0`). */
  floats?: number[];
  /** literal: values that are lists or mappings, recorded in flags as their JSON text, with Python's str() and json.dumps(). */
  structured?: { index: number; repr: string; json: string }[];
}

export interface SweepConfig {
  name: string;
  description: string;
  /** The script, as written (relative to the directory it is found in); "" when the command does not use it. */
  program: string;
  method: SweepMethod;
  metric: SweepMetric | null;
  /** Flat names: a nested parameter is `optimizer.lr` (its path in `params`). */
  space: Space;
  /** Per parameter of `space`; absent in sweeps created by older g (then every value is written as JSON would). */
  params?: Record<string, SweepParam>;
  earlyTerminate: EarlyTerminate | null;
  runCap: number | null;
  /** The command template (W&B macros kept); null means DEFAULT_COMMAND. */
  command: string[] | null;
}

/** Every macro of W&B's agent; `${envvar:NAME}` is matched apart. */
export const MACROS = [
  "${env}",
  "${interpreter}",
  "${program}",
  "${args}",
  "${args_no_hyphens}",
  "${args_no_boolean_flags}",
  "${args_no_equals}",
  "${args_json}",
  "${args_json_file}",
];
const ENVVAR_MACRO = /\$\{envvar:[A-Z0-9_]*\}/g;

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
  "controller",
];
/** Keys of W&B's schema that belong to its server (Launch, custom schedulers): refused with the reason. */
const SERVER_KEYS: Record<string, string> = {
  job: "W&B Launch jobs need W&B's server; give program (and command) instead",
  image_uri: "W&B Launch images need W&B's server; give program (and command) instead",
  scheduler: "custom schedulers (Optuna, Ax) are W&B Launch features; use method: bayes, random or grid",
  metrics: "multi-objective sweeps need W&B's custom scheduler; give one metric",
};

const DISTRIBUTIONS = [
  "constant",
  "categorical",
  "categorical_w_probabilities",
  "int_uniform",
  "uniform",
  "q_uniform",
  "log_uniform",
  "log_uniform_values",
  "q_log_uniform",
  "q_log_uniform_values",
  "inv_log_uniform",
  "inv_log_uniform_values",
  "normal",
  "q_normal",
  "log_normal",
  "q_log_normal",
  "beta",
  "q_beta",
] as const;
type Distribution = (typeof DISTRIBUTIONS)[number];

const MIN_MAX = { required: ["min", "max"], optional: [] };
const Q_MIN_MAX = { required: ["min", "max"], optional: ["q"] };
const NORMAL = { required: [], optional: ["mu", "sigma"] };
const Q_NORMAL = { required: [], optional: ["mu", "sigma", "q"] };
/** Which keys each distribution takes, besides `distribution` itself (W&B's schema). */
const DISTRIBUTION_KEYS: Record<Distribution, { required: string[]; optional: string[] }> = {
  constant: { required: ["value"], optional: [] },
  // W&B's schema wants categorical_w_probabilities for weights; `categorical` with them is accepted too.
  categorical: { required: ["values"], optional: ["probabilities"] },
  categorical_w_probabilities: { required: ["values", "probabilities"], optional: [] },
  int_uniform: MIN_MAX,
  uniform: MIN_MAX,
  q_uniform: Q_MIN_MAX,
  log_uniform: MIN_MAX,
  log_uniform_values: MIN_MAX,
  q_log_uniform: Q_MIN_MAX,
  q_log_uniform_values: Q_MIN_MAX,
  inv_log_uniform: MIN_MAX,
  inv_log_uniform_values: MIN_MAX,
  normal: NORMAL,
  q_normal: Q_NORMAL,
  log_normal: NORMAL,
  q_log_normal: Q_NORMAL,
  beta: { required: [], optional: ["a", "b"] },
  q_beta: { required: [], optional: ["a", "b", "q"] },
};
const PARAMETER_KEYS = ["distribution", "value", "values", "probabilities", "min", "max", "q", "mu", "sigma", "a", "b"];
/** W&B's check that probabilities sum to 1 (numpy.isclose's default tolerances). */
const PROBABILITY_SUM_TOLERANCE = 1e-8 + 1e-5;

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
  for (const pair of (root as YAMLMap).items as Pair<Node, Node | null>[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const reason = SERVER_KEYS[key];
    if (reason !== undefined) fail(pair.key, key, `is not supported: ${reason}`);
  }
  const top = readMap(root as YAMLMap, "", TOP_KEYS, fail);
  readController(top.get("controller"), fail);

  const method = readString(top.get("method"), "method", fail, true);
  if (method === "custom") fail(top.get("method")!.value, "method", "custom needs W&B's Launch scheduler; use one of grid, random, bayes");
  if (!(SWEEP_METHODS as readonly string[]).includes(method)) {
    fail(
      top.get("method")!.value,
      "method",
      `unknown method "${method}"${didYouMean(String(method), SWEEP_METHODS)}; use one of ${SWEEP_METHODS.join(", ")}`,
    );
  }

  const metric = readMetric(top.get("metric"), fail);
  if (method === "bayes" && !metric)
    fail(top.get("method")!.value, "method", "bayes needs a metric to optimize; add metric: {name: val_loss, goal: minimize}");

  const { space, params, nodes } = readParameters(top.get("parameters"), root as YAMLMap, fail);
  if (method === "grid") checkGriddable(space, nodes, fail);

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
    params,
    earlyTerminate,
    runCap,
    command,
  };
}

/** W&B's `controller: {type: local}` asks for the local controller, which is all g has: accepted, nothing to do. */
function readController(pair: Pair<Node, Node | null> | undefined, fail: Fail): void {
  if (!pair) return;
  if (!isMap(pair.value)) fail(pair.value ?? pair, "controller", "must be a mapping, e.g. controller: {type: local}");
  const keys = readMap(pair.value as YAMLMap, "controller", ["type"], fail);
  const type = readString(keys.get("type"), "controller.type", fail, true);
  if (type !== "local" && type !== "cloud") fail(keys.get("type")!.value, "controller.type", `must be local or cloud, not "${type}"`);
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
      fail(
        pair.key,
        where,
        `unknown key${didYouMean(key!, allowed)}; ${path ? `${path} takes` : "the top level takes"} ${allowed.join(", ")}`,
      );
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
  for (const p of pair.value.items as Pair<Node, Node | null>[]) {
    const key = isScalar(p.key) ? String(p.key.value) : "";
    if (key === "impute" || key === "impute_while_running")
      fail(
        p.key,
        `metric.${key}`,
        "is not supported: g models failed trials as failures and running ones as pending, not by an imputed value",
      );
  }
  const m = readMap(pair.value, "metric", ["name", "goal", "target"], fail);
  if (!m.get("name")) fail(pair.value, "metric.name", "is missing; name the scalar to optimize, e.g. name: val_loss");
  const name = readString(m.get("name"), "metric.name", fail, true);
  let goal: SweepMetric["goal"] = "minimize";
  if (m.get("goal")) {
    const g = readString(m.get("goal"), "metric.goal", fail, true);
    if (g !== "minimize" && g !== "maximize") fail(m.get("goal")!.value, "metric.goal", `must be minimize or maximize, not "${g}"`);
    goal = g as SweepMetric["goal"];
  }
  const metric: SweepMetric = { name, goal };
  if (m.get("target")) metric.target = readNumber(m.get("target"), "metric.target", fail);
  return metric;
}

/** A parameter's YAML pair by its flat name, for messages about the whole space (grid). */
type ParamNodes = Map<string, Pair<Node, Node | null>>;

function readParameters(
  pair: Pair<Node, Node | null> | undefined,
  root: YAMLMap,
  fail: Fail,
): { space: Space; params: Record<string, SweepParam>; nodes: ParamNodes } {
  if (!pair) return fail(root, "parameters", "is missing; add the flags to search, e.g. parameters: {lr: {min: 0.001, max: 0.1}}");
  const space: Space = {};
  const params: Record<string, SweepParam> = {};
  const nodes: ParamNodes = new Map();
  readParameterMap(pair, [], { space, params, nodes }, fail);
  return { space, params, nodes };
}

/**
 * The parameters of one `parameters:` mapping; a parameter that is itself a
 * `parameters:` mapping (W&B's nested parameters) is read with its path, and
 * its flags are named by the path joined with dots (`optimizer.lr`).
 */
function readParameterMap(
  pair: Pair<Node, Node | null>,
  prefix: string[],
  out: { space: Space; params: Record<string, SweepParam>; nodes: ParamNodes },
  fail: Fail,
): void {
  const where = ["parameters", ...prefix.flatMap((p) => [p, "parameters"])].join(".");
  if (!isMap(pair.value) || pair.value.items.length === 0) {
    fail(pair.value ?? pair, where, "must map each flag to its values, e.g. lr: {min: 0.001, max: 0.1}");
  }
  for (const [name, p] of readMap(pair.value as YAMLMap, where, null, fail)) {
    // The name becomes `--name=value` or `name=value` on the trial's command line: `a=b` or "" would change its meaning.
    const problem = flagNameProblem(name);
    if (problem !== null) fail(p.key, `${where}.${JSON.stringify(name)}`, problem);
    const path = [...prefix, name];
    const flat = path.join(".");
    if (out.space[flat] !== undefined) fail(p.key, `${where}.${name}`, `names the flag ${flat} a second time`);
    if (isMap(p.value) && p.value.items.some((i) => isScalar((i as Pair).key) && (i as Pair<Scalar>).key.value === "parameters")) {
      const keys = readMap(p.value, `${where}.${name}`, ["parameters"], fail);
      readParameterMap(keys.get("parameters")!, path, out, fail);
      continue;
    }
    const { dim, param } = readParameter(p, `${where}.${name}`, fail);
    out.space[flat] = dim;
    out.params[flat] = { path, ...param };
    out.nodes.set(flat, p);
  }
}

function readParameter(pair: Pair<Node, Node | null>, path: string, fail: Fail): { dim: Dimension; param: Omit<SweepParam, "path"> } {
  if (!isMap(pair.value)) {
    return fail(
      pair.value ?? pair,
      path,
      `must be a mapping such as {values: [1, 2]}, {min: 0, max: 1} or {value: 3}, not ${show(pair.value)}`,
    );
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
  const positive = (key: string, fallback: number) => {
    const v = num(key, fallback);
    if (v <= 0) fail(keys.get(key)!.value, `${path}.${key}`, `must be greater than 0, not ${v}`);
    return v;
  };
  const range = () => {
    const low = num("min", 0);
    const high = num("max", 0);
    // W&B refuses min >= max for every distribution with bounds.
    if (low >= high) fail(keys.get("min")!.value, path, `min (${low}) is not less than max (${high})`);
    return { low, high };
  };
  const positiveMin = () => {
    const r = range();
    if (r.low <= 0) fail(keys.get("min")!.value, `${path}.min`, `${distribution} needs min > 0, not ${r.low}`);
    return r;
  };
  // W&B's quantised draws are ints when q is an int in the file, floats otherwise (its default q is 1.0).
  const q = () => positive("q", 1);
  const qKind = (): SweepParam["kind"] => (keys.has("q") && isIntegerScalar(keys.get("q")!.value) ? "int" : "float");
  const float = (dim: Dimension) => ({ dim, param: { kind: "float" as const } });
  const quantised = (dim: Dimension) => ({ dim, param: { kind: qKind() } });

  switch (distribution) {
    case "constant": {
      const literal = readLiteral(keys.get("value")!.value, `${path}.value`, fail);
      return { dim: { type: "const", value: literal.value }, param: literalParam([literal]) };
    }
    case "categorical":
    case "categorical_w_probabilities": {
      const node = keys.get("values")!.value;
      if (!isSeq(node))
        return fail(node ?? keys.get("values"), `${path}.values`, `must be a list, e.g. values: [32, 64, 128], not ${show(node)}`);
      if (node.items.length === 0) return fail(node, `${path}.values`, "is empty; list at least one value, e.g. values: [32, 64]");
      const literals = node.items.map((item, i) => readLiteral(item as Node, `${path}.values[${i}]`, fail));
      const dim: Dimension = { type: "choice", values: literals.map((l) => l.value) };
      if (keys.has("probabilities")) dim.probabilities = readProbabilities(keys.get("probabilities")!, node.items.length, path, fail);
      return { dim, param: literalParam(literals) };
    }
    case "int_uniform": {
      for (const key of ["min", "max"]) {
        if (!isIntegerScalar(keys.get(key)!.value))
          fail(keys.get(key)!.value, `${path}.${key}`, `int_uniform needs whole numbers, not ${show(keys.get(key)!.value)}`);
      }
      return { dim: { type: "uniform", ...range(), integer: true }, param: { kind: "int" } };
    }
    case "uniform":
      return float({ type: "uniform", ...range() });
    case "q_uniform":
      return quantised({ type: "uniform", ...range(), q: q() });
    case "log_uniform":
    case "q_log_uniform": {
      // W&B's log_uniform takes min/max as natural logarithms of the bounds.
      const { low, high } = range();
      const dim: Dimension = { type: "loguniform", low: Math.exp(low), high: Math.exp(high) };
      return distribution === "log_uniform" ? float(dim) : quantised({ ...dim, q: q() });
    }
    case "log_uniform_values":
      return float({ type: "loguniform", ...positiveMin() });
    case "q_log_uniform_values":
      return quantised({ type: "loguniform", ...positiveMin(), q: q() });
    case "inv_log_uniform": {
      // exp(-x), x uniform in [min, max]: log-uniform between exp(-max) and exp(-min).
      const { low, high } = range();
      return float({ type: "loguniform", low: Math.exp(-high), high: Math.exp(-low) });
    }
    case "inv_log_uniform_values":
      // 1/x with 1/x log-uniform in [1/max, 1/min] is log-uniform in [min, max].
      return float({ type: "loguniform", ...positiveMin() });
    case "normal":
      return float({ type: "normal", mu: num("mu", 0), sigma: positive("sigma", 1) });
    case "q_normal":
      return quantised({ type: "normal", mu: num("mu", 0), sigma: positive("sigma", 1), q: q() });
    case "log_normal":
      return float({ type: "lognormal", mu: num("mu", 0), sigma: positive("sigma", 1) });
    case "q_log_normal":
      return quantised({ type: "lognormal", mu: num("mu", 0), sigma: positive("sigma", 1), q: q() });
    case "beta":
      return float({ type: "beta", a: positive("a", 1), b: positive("b", 1) });
    case "q_beta":
      return quantised({ type: "beta", a: positive("a", 1), b: positive("b", 1), q: q() });
  }
}

function readProbabilities(pair: Pair<Node, Node | null>, count: number, path: string, fail: Fail): number[] {
  const node = pair.value;
  const where = `${path}.probabilities`;
  if (!isSeq(node)) return fail(node ?? pair, where, `must be a list of numbers, one per value, e.g. probabilities: [0.7, 0.3]`);
  const ps = node.items.map((item, i) => {
    const v = scalarValue(item as Node);
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      fail(item as Node, `${where}[${i}]`, `must be a number at least 0, not ${show(item as Node)}`);
    return v as number;
  });
  if (ps.length !== count) fail(node, where, `has ${ps.length} numbers for ${count} values; give one per value`);
  const sum = ps.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) fail(node, where, `must sum to 1, not ${sum}`);
  return ps;
}

/**
 * W&B's rules, which are its schema's: an explicit distribution wins; else
 * `value` alone is constant, `values` categorical (with `probabilities`,
 * weighted), `min`/`max` int_uniform when both are whole numbers and uniform
 * otherwise. Anything else (mu/sigma, q, a/b) needs its distribution named.
 */
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
      fail(
        given.value,
        `${path}.distribution`,
        `unknown distribution "${d}"${didYouMean(String(d), DISTRIBUTIONS)}; use one of ${DISTRIBUTIONS.join(", ")}`,
      );
    }
    return d as Distribution;
  }
  const only = (...allowed: string[]) => [...keys.keys()].every((k) => allowed.includes(k));
  if (keys.has("value") && only("value")) return "constant";
  if (keys.has("values") && only("values", "probabilities")) return "categorical";
  if ((keys.has("min") || keys.has("max")) && only("min", "max")) {
    if (!keys.has("min") || !keys.has("max")) fail(pair.value, path, `needs both min and max, e.g. {min: 0.001, max: 0.1}`);
    const ints = isIntegerScalar(keys.get("min")!.value) && isIntegerScalar(keys.get("max")!.value);
    return ints ? "int_uniform" : "uniform";
  }
  if (keys.size === 0) return fail(pair.value, path, "says nothing to search; give value, values, min/max, or a distribution");
  const hint = keys.has("q")
    ? "q_uniform"
    : keys.has("mu") || keys.has("sigma")
      ? "normal"
      : keys.has("a") || keys.has("b")
        ? "beta"
        : null;
  return fail(
    pair.value,
    path,
    `W&B infers a distribution only from value, values (with probabilities) or min/max alone; name it${hint ? `, e.g. distribution: ${hint}` : " with distribution:"}`,
  );
}

/** A value as written in the file: the flag value recorded, and how W&B's agent would write it. */
interface Literal {
  value: FlagValue;
  float: boolean;
  structured: { repr: string; json: string } | null;
}

function readLiteral(node: Node | null, path: string, fail: Fail): Literal {
  if (node === null || node === undefined) return { value: null, float: false, structured: null };
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || typeof v === "string" || typeof v === "boolean") return { value: v, float: false, structured: null };
    if (typeof v === "number" && Number.isFinite(v)) return { value: v, float: !isIntegerScalar(node), structured: null };
    return fail(node, path, `must be text, a number, true/false, a list or a mapping, not ${String(v)}`);
  }
  // A list or mapping (W&B passes it whole: `--x=[1, 2]`): recorded as its JSON text.
  const py = toPyValue(node, path, fail);
  return { value: JSON.stringify(node.toJSON()), float: false, structured: { repr: pyRepr(py), json: pyJsonDumps(py) } };
}

function toPyValue(node: Node | null, path: string, fail: Fail): PyValue {
  if (node === null || node === undefined) return null;
  if (isSeq(node)) return node.items.map((item, i) => toPyValue(item as Node, `${path}[${i}]`, fail));
  if (isMap(node)) {
    const out: Record<string, PyValue> = {};
    for (const p of node.items as Pair<Node, Node | null>[]) {
      if (!isScalar(p.key)) fail(p.key, path, "keys must be plain names");
      out[String((p.key as Scalar).value)] = toPyValue(p.value, `${path}.${String((p.key as Scalar).value)}`, fail);
    }
    return out;
  }
  if (!isScalar(node)) return fail(node, path, "must be text, a number, true/false, a list or a mapping");
  const v = node.value;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return fail(node, path, `must be a finite number, not ${String(v)}`);
    return isIntegerScalar(node) ? v : new PyFloat(v);
  }
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  return fail(node, path, `must be text, a number, true/false, a list or a mapping, not ${String(v)}`);
}

function literalParam(literals: Literal[]): Omit<SweepParam, "path"> {
  const param: Omit<SweepParam, "path"> = { kind: "literal" };
  const floats = literals.flatMap((l, i) => (l.float ? [i] : []));
  if (floats.length > 0) param.floats = floats;
  const structured = literals.flatMap((l, index) => (l.structured ? [{ index, ...l.structured }] : []));
  if (structured.length > 0) param.structured = structured;
  return param;
}

/** W&B's grid takes constant, categorical (unweighted), int_uniform and q_uniform parameters only. */
function checkGriddable(space: Space, nodes: ParamNodes, fail: Fail): void {
  for (const [name, dim] of Object.entries(space)) {
    const weighted = dim.type === "choice" && dim.probabilities !== undefined;
    if (weighted || gridAxis(dim) === null) {
      fail(
        nodes.get(name),
        `parameters.${name}`,
        weighted
          ? "method grid takes no probabilities (as in W&B); drop them or use method: random"
          : "method grid needs a finite list of values (value, values, int_uniform or q_uniform, as in W&B); or use method: random",
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
    // W&B expands an argument that is exactly one macro, and ${envvar:NAME} anywhere; any other ${...} would vanish there.
    const rest = s.replace(ENVVAR_MACRO, "");
    const macro = /\$\{[^}]*\}/.exec(rest);
    if (macro && !MACROS.includes(s)) {
      const known = MACROS.includes(macro[0]);
      fail(
        item as Node,
        `command[${i}]`,
        known
          ? `${macro[0]} must be a whole argument (W&B expands only those), not part of "${s}"`
          : `unknown macro ${macro[0]}; use ${MACROS.join(", ")} or \${envvar:NAME}`,
      );
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
    ["type", "min_iter", "max_iter", "s", "eta", "strict", "fraction", "min_runs", "start_iter"],
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
    only(["min_iter", "max_iter", "s", "eta", "strict"]);
    let eta: number = HYPERBAND_DEFAULT_ETA;
    if (keys.get("eta")) {
      eta = readNumber(keys.get("eta"), "early_terminate.eta", fail);
      if (eta <= 1) fail(keys.get("eta")!.value, "early_terminate.eta", `must be greater than 1, not ${eta}`);
    }
    let strict = true;
    if (keys.get("strict")) {
      const v = scalarValue(keys.get("strict")!.value);
      if (typeof v !== "boolean")
        fail(keys.get("strict")!.value, "early_terminate.strict", `must be true or false, not ${show(keys.get("strict")!.value)}`);
      strict = v as boolean;
    }
    const s = int("s", 1);
    const minIter = int("min_iter", 1);
    const maxIter = int("max_iter", 1);
    const bands: number[] = [];
    // As W&B: max_iter (with s) wins when both are given; s counts only with max_iter.
    if (maxIter !== null) {
      if (s === null) fail(keys.get("max_iter")!.key, "early_terminate.s", "is needed with max_iter (the number of bands), e.g. s: 2");
      let band = maxIter;
      for (let i = 0; i < s!; i++) {
        band /= eta;
        if (band < 1) break;
        bands.push(Math.trunc(band));
      }
      bands.sort((a, b) => a - b);
      if (bands.length === 0)
        fail(
          keys.get("max_iter")!.value,
          "early_terminate.max_iter",
          `max_iter ${maxIter} is smaller than eta ${eta}: no band to judge at`,
        );
    } else if (minIter !== null) {
      let band = minIter;
      for (let i = 0; i < HYPERBAND_MIN_ITER_BANDS; i++, band *= eta) bands.push(Math.trunc(band));
    } else {
      fail(pair.value, "early_terminate", "hyperband needs min_iter (or max_iter with s), e.g. {type: hyperband, min_iter: 3}");
    }
    return { type: "hyperband", bands, eta, strict };
  }
  return fail(
    keys.get("type")!.value,
    "early_terminate.type",
    `unknown type "${type}"${didYouMean(String(type), ["envelope", "hyperband"])}; use envelope or hyperband`,
  );
}
