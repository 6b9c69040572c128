// One line per flag for the run preview: how g reads each flag
// ("x: uniform float in [-0.4, -0.2]"), so a user sees that integer bounds
// sample integers or that a list became a grid axis before anything runs.

import { escapeControlChars } from "../format/values.js";
import type { FlagValue } from "../store/types.js";
import type { Dimension } from "./space.js";
import { formatFlagValue } from "./value.js";

/** Lists longer than this are shown by their first values and a count. */
const MAX_LISTED_VALUES = 10;
/** Drawn values (0.08652641742695602) are shown this short, unless that would make two look alike. */
const SHOWN_DIGITS = 6;

/** One line, its text values' control characters escaped (`a\tb`), as tables and the one-run preview show them. */
export function describeDimension(name: string, dim: Dimension): string {
  return escapeControlChars(`${name}: ${describe(dim)}`);
}

function describe(dim: Dimension): string {
  const f = formatFlagValue;
  switch (dim.type) {
    case "const":
      return f(dim.value);
    case "choice": {
      if (dim.values.length === 1) return `${f(dim.values[0]!)} (a list of one)`;
      const shown = dim.values.slice(0, MAX_LISTED_VALUES).map(shortener(dim.values)).join(", ");
      const more = dim.values.length > MAX_LISTED_VALUES ? `, … (${dim.values.length} values)` : "";
      const weights = dim.probabilities ? ` with probabilities ${dim.probabilities.map((p) => f(p)).join(", ")}` : "";
      return `one of ${shown}${more}${weights}`;
    }
    case "uniform":
    case "loguniform": {
      const kind = dim.type === "uniform" ? "uniform" : "log-uniform";
      const first = dim.initial === undefined ? "" : `, first trial ${f(dim.initial)}`;
      return `${kind} ${dim.integer ? "integer" : "float"} in [${f(dim.low)}, ${f(dim.high)}]${step(dim.q)}${first}`;
    }
    case "normal":
      return `normal float, mean ${f(dim.mu)}, sd ${f(dim.sigma)}${step(dim.q)}`;
    case "lognormal":
      return `log-normal float, exp of normal(mean ${f(dim.mu)}, sd ${f(dim.sigma)})${step(dim.q)}`;
    case "beta":
      return `beta float in [0, 1], a ${f(dim.a)}, b ${f(dim.b)}${step(dim.q)}`;
  }
}

/** The shortest rounding (at least SHOWN_DIGITS significant digits) that keeps distinct values distinct. */
function shortener(values: FlagValue[]): (v: FlagValue) => string {
  const distinct = new Set(values).size;
  for (let digits = SHOWN_DIGITS; digits < 17; digits++) {
    const round = (v: FlagValue) => (typeof v === "number" ? Number(v.toPrecision(digits)) : v);
    if (new Set(values.map(round)).size === distinct) return (v) => formatFlagValue(round(v));
  }
  return formatFlagValue;
}

function step(q: number | undefined): string {
  return q === undefined ? "" : `, in steps of ${formatFlagValue(q)}`;
}
