// Reads a searched flag in the light of the script's own default (pure):
// `x=[-2:2]` has integer bounds, but when the script says `x = 0.1` the user
// means a float range, as Guild reads it. An integer default, or none, keeps
// the integer range.

import type { FlagSpec } from "./grammar.js";

/** The type of a script flag's default, as inspection reports it. */
export type DefaultType = "int" | "float" | "bool" | "string" | "none";

/**
 * The specs with every integer `[LOW:HIGH]` (and `loguniform[...]`) of a flag
 * whose script default is a float turned into a float range, and one preview
 * note per flag changed.
 */
export function applyDefaultTypes(
  specs: Record<string, FlagSpec>,
  defaults: Record<string, { type: DefaultType; default: unknown }>,
): { specs: Record<string, FlagSpec>; notes: string[] } {
  const out: Record<string, FlagSpec> = {};
  const notes: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const dflt = defaults[name];
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

/** A float default as Python writes it: 10.0, not 10. */
function pythonFloat(v: unknown): string {
  return typeof v === "number" && Number.isInteger(v) ? v.toFixed(1) : String(v);
}
