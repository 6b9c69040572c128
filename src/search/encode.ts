// Maps a search Space to and from the unit cube, which is where the model-based
// optimizers (gp, tpe) work: uniform ranges linearly, log ranges in log space,
// normal/lognormal over mu ± 3 sigma (clipped), beta linearly on [0, 1], integers and q steps rounded on
// the way out, choices one-hot (one coordinate per value). Const dimensions
// take no coordinates and are added back on decode.

import type { FlagValue } from "../store/types.js";
import type { Dimension, Point, Space } from "../flags/space.js";

/** A numeric dimension: one unit coordinate at `offset`. */
export interface NumericCoord {
  kind: "numeric";
  name: string;
  offset: number;
  /** Value → unit coordinate (clipped to [0, 1]). */
  toUnit: (value: number) => number;
  /** Unit coordinate → value, rounded to the dimension's grid (integer, q). */
  fromUnit: (u: number) => number;
  /** Number of distinct values when the dimension is discrete (integer/q), else null. */
  levels: number | null;
}

/** A categorical dimension: `values.length` one-hot coordinates from `offset`. */
export interface CategoricalCoord {
  kind: "categorical";
  name: string;
  offset: number;
  values: FlagValue[];
}

export type Coord = NumericCoord | CategoricalCoord;

export interface Encoding {
  coords: Coord[];
  /** Total number of unit coordinates. */
  width: number;
  /** Dimensions that are not searched, added to every decoded point. */
  consts: Point;
  /** Flag names in the order of the space, for decoded points. */
  names: string[];
}

const NORMAL_SPAN_SIGMAS = 3;

export function buildEncoding(space: Space): Encoding {
  const coords: Coord[] = [];
  const consts: Point = {};
  let width = 0;
  for (const [name, dim] of Object.entries(space)) {
    if (dim.type === "const") {
      consts[name] = dim.value;
    } else if (dim.type === "choice") {
      if (dim.values.length === 1) {
        consts[name] = dim.values[0]!;
      } else {
        coords.push({ kind: "categorical", name, offset: width, values: dim.values });
        width += dim.values.length;
      }
    } else {
      const coord = buildNumericCoord(name, dim, width);
      if (coord === null) {
        consts[name] = numericConst(dim);
      } else {
        coords.push(coord);
        width += 1;
      }
    }
  }
  return { coords, width, consts, names: Object.keys(space) };
}

type NumericDimension = Exclude<Dimension, { type: "const" } | { type: "choice" }>;

function numericConst(dim: NumericDimension): number {
  if (dim.type === "uniform" || dim.type === "loguniform") return dim.low;
  if (dim.type === "beta") return dim.a / (dim.a + dim.b);
  return dim.type === "normal" ? dim.mu : Math.exp(dim.mu);
}

/** null when the range holds a single value (nothing to search). */
function buildNumericCoord(name: string, dim: NumericDimension, offset: number): NumericCoord | null {
  // Work in a "warped" space where the prior is flat: log for log ranges.
  let lo: number;
  let hi: number;
  let log: boolean;
  let integer = false;
  let q: number | undefined;
  let valueLow: number;
  let valueHigh: number;
  switch (dim.type) {
    case "uniform":
    case "loguniform":
      log = dim.type === "loguniform";
      lo = log ? Math.log(dim.low) : dim.low;
      hi = log ? Math.log(dim.high) : dim.high;
      integer = dim.integer === true;
      q = dim.q;
      valueLow = dim.low;
      valueHigh = dim.high;
      break;
    case "normal":
    case "lognormal":
      log = dim.type === "lognormal";
      lo = dim.mu - NORMAL_SPAN_SIGMAS * dim.sigma;
      hi = dim.mu + NORMAL_SPAN_SIGMAS * dim.sigma;
      q = dim.q;
      valueLow = log ? Math.exp(lo) : lo;
      valueHigh = log ? Math.exp(hi) : hi;
      break;
    case "beta":
      // Bounded on [0, 1]: linear, as a uniform on [0, 1] would be.
      log = false;
      lo = valueLow = 0;
      hi = valueHigh = 1;
      q = dim.q;
      break;
  }
  const round = makeRounder(valueLow, valueHigh, integer, q);
  const levels = countLevels(valueLow, valueHigh, integer, q);
  if (!(hi > lo) || levels === 1) return null;
  const span = hi - lo;
  const warp = log ? Math.log : (v: number) => v;
  const unwarp = log ? Math.exp : (v: number) => v;
  return {
    kind: "numeric",
    name,
    offset,
    levels,
    toUnit: (value) => clip01((warp(value) - lo) / span),
    fromUnit: (u) => round(clip(unwarp(lo + clip01(u) * span), valueLow, valueHigh)),
  };
}

function makeRounder(low: number, high: number, integer: boolean, q: number | undefined): (v: number) => number {
  return (v) => {
    let x = v;
    if (q !== undefined && q > 0) {
      x = Math.round(x / q) * q;
      // Stay inside the range on the grid of multiples of q.
      if (x < low - 1e-12) x += q;
      if (x > high + 1e-12) x -= q;
      x = Number(x.toPrecision(12)); // 0.1 * 3 → 0.3, not 0.30000000000000004
    }
    if (integer) {
      x = Math.round(x);
      if (x < low) x = Math.ceil(low);
      if (x > high) x = Math.floor(high);
    }
    return x;
  };
}

function countLevels(low: number, high: number, integer: boolean, q: number | undefined): number | null {
  if (integer) return Math.floor(high) - Math.ceil(low) + 1;
  if (q !== undefined && q > 0) return Math.floor(high / q + 1e-9) - Math.ceil(low / q - 1e-9) + 1;
  return null;
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function clip01(u: number): number {
  return Number.isFinite(u) ? clip(u, 0, 1) : 0.5;
}

/**
 * A point as unit coordinates. Values outside the space are clipped; a choice
 * value that is not among the choices gets an all-zero one-hot block.
 */
export function encodePoint(enc: Encoding, point: Point): Float64Array {
  const u = new Float64Array(enc.width);
  for (const c of enc.coords) {
    const v = point[c.name];
    if (c.kind === "numeric") {
      u[c.offset] = typeof v === "number" ? c.toUnit(v) : 0.5;
    } else {
      const i = indexOfValue(c.values, v);
      if (i >= 0) u[c.offset + i] = 1;
    }
  }
  return u;
}

/** Unit coordinates → a point of the space (argmax for choices, rounding for integers/q). */
export function decodePoint(enc: Encoding, u: ArrayLike<number>): Point {
  const byName: Point = { ...enc.consts };
  for (const c of enc.coords) {
    if (c.kind === "numeric") {
      byName[c.name] = c.fromUnit(u[c.offset]!);
    } else {
      let best = 0;
      for (let i = 1; i < c.values.length; i++) {
        if (u[c.offset + i]! > u[c.offset + best]!) best = i;
      }
      byName[c.name] = c.values[best]!;
    }
  }
  const point: Point = {};
  for (const name of enc.names) point[name] = byName[name]!;
  return point;
}

/** encode(decode(u)): where the unit vector u really lands once rounded. */
export function snapUnit(enc: Encoding, u: ArrayLike<number>): Float64Array {
  return encodePoint(enc, decodePoint(enc, u));
}

/** A key equal for points that decode to the same flag values (to skip repeats). */
export function pointKey(enc: Encoding, point: Point): string {
  return JSON.stringify(enc.names.map((n) => point[n] ?? null));
}

function indexOfValue(values: FlagValue[], v: FlagValue | undefined): number {
  for (let i = 0; i < values.length; i++) if (values[i] === v) return i;
  // Loose match: "3" against 3, as flag values may come back as strings.
  for (let i = 0; i < values.length; i++) if (String(values[i]) === String(v)) return i;
  return -1;
}

/** A uniformly random point of the unit cube (one random value per choice block). */
export function sampleUnit(enc: Encoding, rng: () => number): Float64Array {
  const u = new Float64Array(enc.width);
  for (const c of enc.coords) {
    if (c.kind === "numeric") u[c.offset] = rng();
    else u[c.offset + Math.min(c.values.length - 1, Math.floor(rng() * c.values.length))] = 1;
  }
  return u;
}

/** True when every coordinate is a continuous number (decoding only clips). */
export function isContinuous(enc: Encoding): boolean {
  return enc.coords.every((c) => c.kind === "numeric" && c.levels === null);
}

/** A uniformly random point whose key is not in `seen` (after 100 tries, a repeat: the space is exhausted). */
export function sampleUntried(enc: Encoding, seen: Set<string>, rng: () => number): Point {
  let point = decodePoint(enc, sampleUnit(enc, rng));
  for (let k = 0; k < 100 && seen.has(pointKey(enc, point)); k++) point = decodePoint(enc, sampleUnit(enc, rng));
  return point;
}

/** Uniform draws per random start, of which the best spread one is run. */
export const SPREAD_CANDIDATES = 10;
/**
 * Random starts are spread out only in spaces of at most this many flags:
 * there a handful of uniform draws often leave a gap wider than a basin,
 * while in more dimensions spreading them pushed gp's starts towards the
 * faces of the box and measured worse (rosenbrock4, ackley5).
 */
export const SPREAD_MAX_FLAGS = 2;

/**
 * A random start that keeps away from the points already tried, flag by
 * flag (Mitchell's best candidate with a Latin-hypercube score: of
 * `candidates` uniform draws, the one whose closest numeric coordinate to
 * any tried point is farthest). A few random starts then cover each range
 * evenly instead of clumping, which matters most when a model has to work
 * from five noisy values: a 1-D basin a tenth of the range wide is found by
 * the design rather than by luck. Scoring each coordinate on its own, not the
 * Euclidean distance, keeps the draws from crowding into the corners of a
 * many-flag box. Choices are left to chance.
 */
export function sampleSpread(enc: Encoding, tried: Point[], seen: Set<string>, rng: () => number, candidates: number): Point {
  const numeric = enc.coords.filter((c) => c.kind === "numeric").map((c) => c.offset);
  if (tried.length === 0 || candidates <= 1 || numeric.length === 0) return sampleUntried(enc, seen, rng);
  const old = tried.map((p) => encodePoint(enc, p));
  let best: Point | null = null;
  let bestDist = -1;
  for (let k = 0; k < candidates; k++) {
    const u = snapUnit(enc, sampleUnit(enc, rng));
    const point = decodePoint(enc, u);
    if (seen.has(pointKey(enc, point))) continue;
    let nearest = Infinity;
    for (const o of old) for (const i of numeric) nearest = Math.min(nearest, Math.abs(u[i]! - o[i]!));
    if (nearest > bestDist) {
      bestDist = nearest;
      best = point;
    }
  }
  return best ?? sampleUntried(enc, seen, rng);
}
