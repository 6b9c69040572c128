// Grid search: every combination of the listed values, first flag varying
// slowest (the order of the Grid.ai seed's listing). Points are addressed by
// index, so a capped grid or a random subset never builds the whole product.

import { UsageError } from "../errors.js";
import type { Dimension, Point, Space } from "../flags/space.js";
import { describeDimension } from "../flags/describe.js";

/** Enumerating more points than this is refused: cap it or sample it instead. */
export const MAX_GRID_POINTS = 100_000;

/** The number of points of a grid over `space`; throws if a dimension is a range. */
export function gridSize(space: Space): number {
  let size = 1;
  for (const [name, dim] of Object.entries(space)) size *= axis(name, dim).length;
  return size;
}

/** The point at `index` (0-based) of the grid, in gridPoints' order. */
export function gridPointAt(space: Space, index: number): Point {
  const entries = Object.entries(space).map(([name, dim]) => [name, axis(name, dim)] as const);
  const point: Point = {};
  // Mixed-radix digits from the last flag (fastest) to the first (slowest).
  let rest = index;
  for (let i = entries.length - 1; i >= 0; i--) {
    const [name, values] = entries[i]!;
    point[name] = values[rest % values.length]!;
    rest = Math.floor(rest / values.length);
  }
  // Keep the user's flag order in the point.
  return Object.fromEntries(entries.map(([name]) => [name, point[name]!]));
}

/** The cartesian product of the space's lists (constants in every point), first flag slowest. */
export function gridPoints(space: Space): Point[] {
  const size = gridSize(space);
  if (size > MAX_GRID_POINTS) {
    throw new UsageError(
      `the grid has ${size} combinations, more than ${MAX_GRID_POINTS}; run part of it with --max-trials N or a random sample with --strategy random_search --trials N`,
    );
  }
  return Array.from({ length: size }, (_, i) => gridPointAt(space, i));
}

function axis(name: string, dim: Dimension): readonly Point[string][] {
  if (dim.type === "const") return [dim.value];
  if (dim.type === "choice") return dim.values;
  throw new UsageError(
    `flag ${name} is a range (${describeDimension(name, dim).slice(name.length + 2)}), which a grid cannot enumerate; give a list, e.g. ${name}=[1,2,3], or use --optimizer random`,
  );
}
