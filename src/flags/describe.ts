// One line per flag for the run preview: how g reads each flag
// ("x: uniform float in [-0.4, -0.2]"), so a user sees that integer bounds
// sample integers or that a list became a grid axis before anything runs.

import type { Dimension } from "./space.js";
import { formatFlagValue } from "./value.js";

/** Lists longer than this are shown by their first values and a count. */
const MAX_LISTED_VALUES = 10;

export function describeDimension(name: string, dim: Dimension): string {
  return `${name}: ${describe(dim)}`;
}

function describe(dim: Dimension): string {
  const f = formatFlagValue;
  switch (dim.type) {
    case "const":
      return f(dim.value);
    case "choice": {
      if (dim.values.length === 1) return `${f(dim.values[0]!)} (a list of one)`;
      const shown = dim.values.slice(0, MAX_LISTED_VALUES).map(f).join(", ");
      const more = dim.values.length > MAX_LISTED_VALUES ? `, … (${dim.values.length} values)` : "";
      return `one of ${shown}${more}`;
    }
    case "uniform":
    case "loguniform": {
      const kind = dim.type === "uniform" ? "uniform" : "log-uniform";
      return `${kind} ${dim.integer ? "integer" : "float"} in [${f(dim.low)}, ${f(dim.high)}]${step(dim.q)}`;
    }
    case "normal":
      return `normal float, mean ${f(dim.mu)}, sd ${f(dim.sigma)}${step(dim.q)}`;
    case "lognormal":
      return `log-normal float, exp of normal(mean ${f(dim.mu)}, sd ${f(dim.sigma)})${step(dim.q)}`;
  }
}

function step(q: number | undefined): string {
  return q === undefined ? "" : `, in steps of ${formatFlagValue(q)}`;
}
