// Random search: points drawn independently from each dimension, and random
// subsets of a grid without repeats (Grid.ai's --strategy random_search).
// Randomness comes in as an Rng so the same seed gives the same trials.

import type { Dimension, Point, Rng, Space } from "../flags/space.js";
import type { FlagValue } from "../store/types.js";
import { drawStandardNormal } from "./distributions.js";
import { gridPointAt, gridSize } from "./grid.js";

/** One point: a uniform pick from each list, a draw from each range, constants as they are. */
export function samplePoint(space: Space, rng: Rng): Point {
  const point: Point = {};
  for (const [name, dim] of Object.entries(space)) point[name] = sampleDimension(dim, rng);
  return point;
}

/**
 * The first trial of a batch when a range has an initial value (Guild's
 * `[LOW:HIGH:INITIAL]`): those flags at their initial values, the others
 * drawn as usual. null when no range has one.
 */
export function initialPoint(space: Space, rng: Rng): Point | null {
  const dims = Object.values(space);
  if (!dims.some((d) => (d.type === "uniform" || d.type === "loguniform") && d.initial !== undefined)) return null;
  const point = samplePoint(space, rng);
  for (const [name, dim] of Object.entries(space)) {
    if ((dim.type === "uniform" || dim.type === "loguniform") && dim.initial !== undefined) point[name] = dim.initial;
  }
  return point;
}

/** `n` independent points (repeats possible, as in any random search over lists); the first is the initial point when the space has one. */
export function randomPoints(space: Space, n: number, rng: Rng): Point[] {
  const first = n > 0 ? initialPoint(space, rng) : null;
  const rest = Array.from({ length: first ? n - 1 : n }, () => samplePoint(space, rng));
  return first ? [first, ...rest] : rest;
}

/**
 * `n` distinct points of the grid over `space`, returned in grid order (the
 * order of the full listing, so the chosen trials read like the seed's marked
 * lines). When `n` is at least the grid's size, the whole grid.
 */
export function gridSubset(space: Space, n: number, rng: Rng): Point[] {
  const size = gridSize(space);
  if (n >= size) return Array.from({ length: size }, (_, i) => gridPointAt(space, i));
  // Floyd's algorithm: n distinct indices in O(n) without an array of the whole grid.
  const chosen = new Set<number>();
  for (let j = size - n; j < size; j++) {
    const t = Math.floor(rng() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b).map((i) => gridPointAt(space, i));
}

/** Draws of a point that repeats an earlier one are redrawn up to this many times (then the repeat is kept: a tiny space). */
const MAX_REDRAWS = 100;

/**
 * `n` more random points that repeat none of `earlier` (a finished random
 * batch's trials, when `--restart random` extends it). Over lists only, they
 * are distinct unused grid combinations, in grid order, fewer than `n` when
 * fewer are left; with ranges, fresh draws.
 */
export function freshRandomPoints(space: Space, n: number, rng: Rng, earlier: readonly Point[]): Point[] {
  const names = Object.keys(space);
  const keyOf = (p: Point) => JSON.stringify(names.map((name) => p[name] ?? null));
  const seen = new Set(earlier.map(keyOf));
  const ranged = Object.values(space).some((d) => d.type !== "const" && d.type !== "choice");
  if (!ranged) {
    const unused: number[] = [];
    for (let i = 0; i < gridSize(space); i++) if (!seen.has(keyOf(gridPointAt(space, i)))) unused.push(i);
    if (n >= unused.length) return unused.map((i) => gridPointAt(space, i));
    const chosen = new Set<number>();
    for (let j = unused.length - n; j < unused.length; j++) {
      const t = Math.floor(rng() * (j + 1));
      chosen.add(chosen.has(t) ? j : t);
    }
    return [...chosen].sort((a, b) => a - b).map((k) => gridPointAt(space, unused[k]!));
  }
  const out: Point[] = [];
  while (out.length < n) {
    let point = samplePoint(space, rng);
    for (let redraw = 0; redraw < MAX_REDRAWS && seen.has(keyOf(point)); redraw++) point = samplePoint(space, rng);
    seen.add(keyOf(point));
    out.push(point);
  }
  return out;
}

export function sampleDimension(dim: Dimension, rng: Rng): FlagValue {
  switch (dim.type) {
    case "const":
      return dim.value;
    case "choice":
      return dim.probabilities ? pickWeighted(dim.values, dim.probabilities, rng()) : dim.values[Math.floor(rng() * dim.values.length)]!;
    case "uniform": {
      if (dim.integer && dim.q === undefined) {
        const low = Math.ceil(dim.low);
        return low + Math.floor(rng() * (Math.floor(dim.high) - low + 1));
      }
      return finish(dim.low + (dim.high - dim.low) * rng(), dim);
    }
    case "loguniform": {
      const v = Math.exp(Math.log(dim.low) + (Math.log(dim.high) - Math.log(dim.low)) * rng());
      return finish(v, dim);
    }
    case "normal":
      return quantize(dim.mu + dim.sigma * drawStandardNormal(rng), dim.q);
    case "lognormal":
      return quantize(Math.exp(dim.mu + dim.sigma * drawStandardNormal(rng)), dim.q);
    case "beta":
      return quantize(drawBeta(dim.a, dim.b, rng), dim.q);
  }
}

/** The value whose cumulative probability first exceeds u (W&B's categorical with probabilities). */
export function pickWeighted(values: FlagValue[], probabilities: number[], u: number): FlagValue {
  let cumulative = 0;
  for (let i = 0; i < values.length; i++) {
    cumulative += probabilities[i] ?? 0;
    if (u < cumulative) return values[i]!;
  }
  // Rounding can leave the sum a hair under 1: the last value with any weight takes the rest.
  for (let i = values.length - 1; i >= 0; i--) if ((probabilities[i] ?? 0) > 0) return values[i]!;
  return values[values.length - 1]!;
}

/** Gamma(shape, 1) by Marsaglia and Tsang's method (shape < 1 boosted by U^(1/shape)). */
export function drawGamma(shape: number, rng: Rng): number {
  if (shape < 1) return drawGamma(shape + 1, rng) * Math.pow(1 - rng(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = drawStandardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function drawBeta(a: number, b: number, rng: Rng): number {
  const x = drawGamma(a, rng);
  const y = drawGamma(b, rng);
  return x + y === 0 ? (a >= b ? 1 : 0) : x / (x + y);
}

/** Applies q and integer rounding, staying inside [low, high]. */
function finish(v: number, dim: { low: number; high: number; integer?: boolean; q?: number }): number {
  let out = quantize(v, dim.q);
  // A rounding that leaves the range steps back onto the nearest multiple of q inside it, when there is one.
  if (dim.q !== undefined && dim.q > 0) {
    if (out < dim.low && out + dim.q <= dim.high) out = quantize(out + dim.q, dim.q);
    else if (out > dim.high && out - dim.q >= dim.low) out = quantize(out - dim.q, dim.q);
  }
  if (dim.integer) out = Math.round(out);
  const low = dim.integer ? Math.ceil(dim.low) : dim.low;
  const high = dim.integer ? Math.floor(dim.high) : dim.high;
  return Math.min(high, Math.max(low, out));
}

function quantize(v: number, q: number | undefined): number {
  if (q === undefined || q <= 0) return v;
  // toPrecision(15) drops the float noise of the multiplication (0.30000000000000004 → 0.3).
  return Number((Math.round(v / q) * q).toPrecision(15));
}
