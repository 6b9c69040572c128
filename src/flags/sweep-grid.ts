// What a parsed sweep implies without its YAML: the grid's combinations, how
// many trials the sweep runs, the default command. Pure, and apart from
// sweep-config.ts so that agents, which read the parsed sweep from sweep.json,
// never load the YAML parser.

import { UsageError } from "../errors.js";
import type { FlagValue } from "../store/types.js";
import type { Point, Space, Dimension } from "./space.js";
import type { SweepConfig } from "./sweep-config.js";

/** W&B's default is `${env} ${interpreter} ${program} ${args}`; g spawns directly, so /usr/bin/env would add nothing. */
export const DEFAULT_COMMAND = ["${interpreter}", "${program}", "${args}"];
/** A grid axis from an integer or q range longer than this is a mistake, not a plan. */
export const MAX_GRID_AXIS = 10_000;
/**
 * The values a grid takes for a dimension, or null when it is not a grid
 * axis. A q range is W&B's numpy.arange(min, max, q): from min in steps of q,
 * max left out (float noise dropped: 0.1 * 3 is 0.3 here).
 */
export function gridAxis(dim: Dimension): FlagValue[] | null {
  switch (dim.type) {
    case "const":
      return [dim.value];
    case "choice":
      return dim.values;
    case "uniform": {
      if (dim.q === undefined && dim.integer) {
        const first = Math.ceil(dim.low);
        const last = Math.floor(dim.high);
        if (last - first + 1 > MAX_GRID_AXIS) return null;
        return Array.from({ length: last - first + 1 }, (_, k) => first + k);
      }
      if (dim.q === undefined) return null;
      const count = Math.ceil((dim.high - dim.low) / dim.q);
      if (count > MAX_GRID_AXIS) return null;
      return Array.from({ length: count }, (_, k) => Number((dim.low + k * dim.q!).toPrecision(15)));
    }
    default:
      return null;
  }
}

/** Every grid combination, first parameter varying slowest (as the Grid.ai seed lists them). */
export function sweepGridPoints(space: Space): Point[] {
  let points: Point[] = [{}];
  for (const [name, dim] of Object.entries(space)) {
    const axis = gridAxis(dim);
    if (axis === null) throw new UsageError(`parameters.${name}: method grid needs a finite list of values`);
    const next: Point[] = [];
    for (const p of points) for (const v of axis) next.push({ ...p, [name]: v });
    points = next;
  }
  return points;
}

/** The number of grid combinations (without building them). */
export function sweepGridSize(space: Space): number {
  let n = 1;
  for (const dim of Object.values(space)) n *= gridAxis(dim)?.length ?? Infinity;
  return n;
}

/** How many trials the sweep runs in all: the grid's size (capped by run_cap), run_cap, or null (until stopped). */
export function sweepTotal(config: SweepConfig): number | null {
  const grid = config.method === "grid" ? sweepGridSize(config.space) : Infinity;
  const cap = Math.min(grid, config.runCap ?? Infinity);
  return Number.isFinite(cap) ? cap : null;
}
