// A sweep trial's flag values as W&B's agent puts them on the command line
// (wandb/sdk/launch/sweeps/utils.py, create_sweep_command_args): nested
// parameters grouped back under their parent (`--optimizer={'lr': 0.01}`),
// each value in Python's types, and the forms of each `${args...}` macro.
// Pure.

import type { Point } from "./space.js";
import type { SweepConfig } from "./sweep-config.js";
import { PyFloat, PyRaw, pyJsonDumps, pyStr, type PyValue } from "./python-repr.js";
import type { FlagValue } from "../store/types.js";

/** Every `${args...}` macro's arguments for one trial. */
export interface SweepMacroArgs {
  /** `--name=value` */
  args: string[];
  /** `name=value` */
  args_no_hyphens: string[];
  /** `--name=value`, but a true boolean is `--name` and a false one is left out */
  args_no_boolean_flags: string[];
  /** `--name`, `value` */
  args_no_equals: string[];
  /** json.dumps of every parameter: one argument (or the content of `${args_json_file}`'s file) */
  args_json: string;
}

type SweepShape = Pick<SweepConfig, "space" | "params">;

/** One flag value in the Python type W&B would give it (1.0 a float, a list a list). */
export function toPyValue(config: SweepShape, name: string, value: FlagValue): PyValue {
  const param = config.params?.[name];
  if (param === undefined || value === null || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (param.kind === "float") return new PyFloat(value);
    if (param.kind === "int") return value;
  }
  if (param.kind !== "literal") return value;
  const dim = config.space[name];
  const values = dim?.type === "choice" ? dim.values : dim?.type === "const" ? [dim.value] : [];
  const index = values.findIndex((v) => v === value);
  if (index < 0) return value;
  const structured = param.structured?.find((s) => s.index === index);
  if (structured) return new PyRaw(structured.repr, structured.json);
  return typeof value === "number" && param.floats?.includes(index) ? new PyFloat(value) : value;
}

/**
 * The point as W&B's run config holds it: top-level parameters in order,
 * nested ones gathered into mappings under their parent's name.
 */
export function groupSweepPoint(config: SweepShape, point: Point): [string, PyValue][] {
  const top = new Map<string, PyValue>();
  for (const [name, value] of Object.entries(point)) {
    const path = config.params?.[name]?.path ?? [name];
    const py = toPyValue(config, name, value);
    if (path.length === 1) {
      top.set(path[0]!, py);
      continue;
    }
    let node = top.get(path[0]!) as Record<string, PyValue> | undefined;
    if (node === undefined) top.set(path[0]!, (node = {}));
    for (const key of path.slice(1, -1)) node = (node[key] ??= {}) as Record<string, PyValue>;
    node[path[path.length - 1]!] = py;
  }
  return [...top.entries()];
}

/** The arguments of every `${args...}` macro for one trial, as W&B's agent writes them. */
export function sweepMacroArgs(config: SweepShape, point: Point): SweepMacroArgs {
  const out: SweepMacroArgs = { args: [], args_no_hyphens: [], args_no_boolean_flags: [], args_no_equals: [], args_json: "" };
  const entries = groupSweepPoint(config, point);
  for (const [name, value] of entries) {
    const text = pyStr(value);
    out.args.push(`--${name}=${text}`);
    out.args_no_hyphens.push(`${name}=${text}`);
    out.args_no_equals.push(`--${name}`, text);
    if (typeof value !== "boolean") out.args_no_boolean_flags.push(`--${name}=${text}`);
    else if (value) out.args_no_boolean_flags.push(`--${name}`);
  }
  out.args_json = pyJsonDumps(Object.fromEntries(entries));
  return out;
}
