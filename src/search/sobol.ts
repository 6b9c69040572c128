// Scrambled Sobol points in the unit cube, as Optuna's GPSampler draws its
// 2048 preliminary acquisition candidates (scipy's qmc.Sobol with
// scramble=True): Joe and Kuo's direction numbers (new-joe-kuo-6.21201) for
// the first SOBOL_MAX_DIM dimensions, each scrambled by a random lower-
// triangular bit matrix and a random digital shift (Owen's "LMS + shift").
// Pure: the scramble comes from the Rng passed in; dimensions past the
// table are plain uniform draws.

import type { Rng } from "../flags/space.js";

/** Bits per coordinate (points are multiples of 2^-32). */
const SOBOL_BITS = 32;

/** Joe–Kuo rows for dimensions 2..21: degree s, coefficient a, initial m_1..m_s. */
const JOE_KUO: ReadonlyArray<readonly [number, number, readonly number[]]> = [
  [1, 0, [1]],
  [2, 1, [1, 3]],
  [3, 1, [1, 3, 1]],
  [3, 2, [1, 1, 1]],
  [4, 1, [1, 1, 3, 3]],
  [4, 4, [1, 3, 5, 13]],
  [5, 2, [1, 1, 5, 5, 17]],
  [5, 4, [1, 1, 5, 5, 5]],
  [5, 7, [1, 1, 7, 11, 19]],
  [5, 11, [1, 1, 5, 1, 1]],
  [5, 13, [1, 1, 1, 3, 11]],
  [5, 14, [1, 3, 5, 5, 31]],
  [6, 1, [1, 3, 3, 9, 7, 49]],
  [6, 13, [1, 1, 1, 15, 21, 21]],
  [6, 16, [1, 3, 1, 13, 27, 49]],
  [6, 19, [1, 1, 1, 15, 7, 5]],
  [6, 22, [1, 3, 1, 15, 13, 25]],
  [6, 25, [1, 1, 5, 5, 19, 61]],
  [7, 1, [1, 3, 7, 11, 23, 15, 103]],
  [7, 4, [1, 3, 7, 13, 13, 15, 69]],
];

/** Dimensions with Sobol direction numbers; later ones are uniform. */
export const SOBOL_MAX_DIM = JOE_KUO.length + 1;

/** The 32 direction numbers (as unsigned 32-bit integers) of dimension `dim` (0-based). */
export function directionNumbers(dim: number): Uint32Array {
  const v = new Uint32Array(SOBOL_BITS);
  if (dim === 0) {
    for (let k = 0; k < SOBOL_BITS; k++) v[k] = 2 ** (SOBOL_BITS - 1 - k);
    return v;
  }
  const [s, a, m] = JOE_KUO[dim - 1]!;
  for (let k = 0; k < s; k++) v[k] = (m[k]! * 2 ** (SOBOL_BITS - 1 - k)) >>> 0;
  for (let k = s; k < SOBOL_BITS; k++) {
    let x = v[k - s]! ^ (v[k - s]! >>> s);
    for (let i = 1; i < s; i++) if ((a >>> (s - 1 - i)) & 1) x ^= v[k - i]!;
    v[k] = x >>> 0;
  }
  return v;
}

/** Parity of the set bits of a 32-bit integer. */
function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** A random 32-bit unsigned integer from two draws of the Rng. */
function drawUint32(rng: Rng): number {
  return ((Math.floor(rng() * 65536) << 16) | Math.floor(rng() * 65536)) >>> 0;
}

/**
 * Left matrix scramble of one dimension's direction numbers: bit i (from the
 * most significant) of each becomes the parity of a random lower-triangular
 * row (unit diagonal) applied to it, which keeps the net property.
 */
function scrambleDirections(v: Uint32Array, rng: Rng): Uint32Array {
  const rows = new Uint32Array(SOBOL_BITS);
  for (let i = 0; i < SOBOL_BITS; i++) {
    const own = 2 ** (SOBOL_BITS - 1 - i);
    // Columns more significant than i are random, less significant are 0.
    const above = i === 0 ? 0 : (drawUint32(rng) & ~(2 ** (SOBOL_BITS - i) - 1)) >>> 0;
    rows[i] = (above | own) >>> 0;
  }
  return Uint32Array.from(v, (d) => {
    let out = 0;
    for (let i = 0; i < SOBOL_BITS; i++) if (parity(rows[i]! & d)) out = (out | (2 ** (SOBOL_BITS - 1 - i))) >>> 0;
    return out;
  });
}

/**
 * The first `n` points of a `dim`-dimensional Sobol sequence (Gray-code
 * order), scrambled when `rng` is given. Each point is a Float64Array in [0, 1).
 */
export function sobolPoints(n: number, dim: number, rng?: Rng): Float64Array[] {
  const sobolDims = Math.min(dim, SOBOL_MAX_DIM);
  const dirs: Uint32Array[] = [];
  const shift = new Uint32Array(sobolDims);
  for (let d = 0; d < sobolDims; d++) {
    const v = directionNumbers(d);
    dirs.push(rng ? scrambleDirections(v, rng) : v);
    shift[d] = rng ? drawUint32(rng) : 0;
  }
  const state = Uint32Array.from(shift);
  const points: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const p = new Float64Array(dim);
    for (let d = 0; d < sobolDims; d++) p[d] = state[d]! / 2 ** SOBOL_BITS;
    for (let d = sobolDims; d < dim; d++) p[d] = rng ? rng() : 0.5;
    points.push(p);
    // Gray code: the next point flips the direction number of the lowest zero bit of i.
    let c = 0;
    while ((i >>> c) & 1) c++;
    for (let d = 0; d < sobolDims; d++) state[d] = (state[d]! ^ dirs[d]![c]!) >>> 0;
  }
  return points;
}
