// Reads a searched flag in the light of the script's own option (pure):
// `x=[-2:2]` has integer bounds, but when the script says `x = 0.1` the user
// means a float range, as Guild reads it. An integer default, or none, keeps
// the integer range. A counted argparse option (action="count") takes how
// many times it is given: a whole number, `true` for once and `false` for none.

import { UsageError } from "../errors.js";
import type { FlagValue } from "../store/types.js";
import type { FlagSpec } from "./grammar.js";
import { formatFlagValue } from "./value.js";

/** The type of a script flag's default, as inspection reports it. */
export type DefaultType = "int" | "float" | "bool" | "string" | "none";

/** What inspection says of a script's flag: its default's type and, for an argparse option, how it is written. */
export interface ScriptFlagShape {
  type: DefaultType;
  default: unknown;
  arg?: string;
}

/**
 * The specs with every integer `[LOW:HIGH]` (and `loguniform[...]`) of a flag
 * whose script default is a float turned into a float range, and one preview
 * note per flag changed; a counted option's values as whole numbers (`true`
 * is 1, `false` 0), and anything else for it refused.
 */
export function applyDefaultTypes(
  specs: Record<string, FlagSpec>,
  defaults: Record<string, ScriptFlagShape>,
): { specs: Record<string, FlagSpec>; notes: string[] } {
  const out: Record<string, FlagSpec> = {};
  const notes: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const dflt = defaults[name];
    if (dflt?.arg === "count") {
      out[name] = countSpec(name, spec);
      continue;
    }
    if ((spec.type === "uniform" || spec.type === "loguniform") && spec.integer && dflt?.type === "float") {
      const { integer: _integer, ...floatRange } = spec;
      out[name] = floatRange;
      notes.push(
        `${name}: searched as floats, since the script's default ${pythonFloat(dflt.default)} is a float (${name}=range[${spec.low}:${spec.high}] gives the whole numbers)`,
      );
      continue;
    }
    out[name] = spec;
  }
  return { specs: out, notes };
}

/** A counted option's spec with its values as counts; a value or search that gives no whole count is refused. */
function countSpec(name: string, spec: FlagSpec): FlagSpec {
  const counted = `flag ${name}: --${name} is counted (action="count"), so its value is how many times it is given`;
  switch (spec.type) {
    case "const":
      return { type: "const", value: countValue(name, spec.value, counted) };
    case "choice":
      return { ...spec, values: spec.values.map((v) => countValue(name, v, counted)) };
    case "uniform":
    case "loguniform":
      if (spec.integer && spec.low >= 0) return spec;
  }
  throw new UsageError(`${counted}; search it over whole numbers of at least 0, e.g. ${name}=[0:3] or ${name}=[0,1,2]`);
}

function countValue(name: string, value: FlagValue, counted: string): FlagValue {
  if (value === null) return null; // left off, as any null flag
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  throw new UsageError(`${counted}: a whole number of at least 0, not ${formatFlagValue(value)}; e.g. ${name}=2`);
}

/** A float default as Python writes it: 10.0, not 10. */
function pythonFloat(v: unknown): string {
  return typeof v === "number" && Number.isInteger(v) ? v.toFixed(1) : String(v);
}
