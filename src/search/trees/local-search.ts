// The acquisition search of the tree optimizers beyond uniform candidates:
// SMAC's local search (Hutter et al. 2011, "Sequential model-based
// optimization for general algorithm configuration", and SMAC3's
// LocalAndSortedRandomSearch). From the best few points (tried trials and
// uniform candidates, ranked by the acquisition), hill-climb in the
// one-exchange neighbourhood: each numeric flag moved alone by a Gaussian
// step in the unit cube, each choice flag set alone to each of its other
// values. And the end game's candidates: Gaussian steps from the incumbent
// at a few small scales. Pure: randomness comes in as an Rng.
//
// Why: 1000 uniform candidates in six flags leave the space between them
// about a third of a range wide, so the acquisition's best point found by
// them sits well off the best the surrogate knows; a climb from the best
// trials reaches the edges of the leaves they lie in.

import type { Rng } from "../../flags/space.js";
import type { Encoding, NumericCoord } from "../encode.js";
import { gaussian } from "../gp/fit.js";

/** SMAC's step of a numeric flag in the one-exchange neighbourhood: a Gaussian of this standard deviation in [0, 1]. */
export const LOCAL_STEP_SD = 0.2;
/** SMAC's neighbours per numeric flag in one step of the climb. */
export const LOCAL_NEIGHBOURS_PER_FLAG = 4;
/** Climbs per proposal (SMAC3 starts 10). */
export const LOCAL_SEARCH_STARTS = 10;
/** Steps of one climb at most; a climb on a tree surrogate stops after a few, at a leaf's edge. */
export const LOCAL_SEARCH_MAX_STEPS = 20;
/** Redraws of a step that left [0, 1] before it is reflected (nearly a truncated Gaussian, as SMAC's). */
const STEP_REDRAWS = 10;

/** A point of the unit cube with its acquisition value (larger is better). */
export interface Scored {
  u: Float64Array;
  a: number;
}

/** A numeric coordinate moved to v, then to where the flag's grid (integer, q) puts it. */
function snapCoordinate(c: NumericCoord, v: number): number {
  return c.levels === null ? v : c.toUnit(c.fromUnit(v));
}

/** One Gaussian step of standard deviation sd from v, kept inside [0, 1]. */
function stepWithin(v: number, sd: number, rng: Rng): number {
  for (let k = 0; k < STEP_REDRAWS; k++) {
    const w = v + sd * gaussian(rng);
    if (w >= 0 && w <= 1) return w;
  }
  // Rare (v at a face, sd wide): reflect the last draw back into the cube.
  const w = Math.abs(v + sd * gaussian(rng));
  return w > 1 ? Math.max(0, 2 - w) : w;
}

/**
 * The one-exchange neighbours of u: `perFlag` Gaussian steps of each numeric
 * flag on its own (a step that snaps back to the same value is dropped) and
 * each other value of each choice flag.
 */
export function sampleNeighbours(
  enc: Encoding,
  u: Float64Array,
  rng: Rng,
  perFlag = LOCAL_NEIGHBOURS_PER_FLAG,
  sd = LOCAL_STEP_SD,
): Float64Array[] {
  const out: Float64Array[] = [];
  for (const c of enc.coords) {
    if (c.kind === "numeric") {
      for (let k = 0; k < perFlag; k++) {
        const v = snapCoordinate(c, stepWithin(u[c.offset]!, sd, rng));
        if (v === u[c.offset]) continue;
        const n = Float64Array.from(u);
        n[c.offset] = v;
        out.push(n);
      }
    } else {
      for (let i = 0; i < c.values.length; i++) {
        if (u[c.offset + i] === 1) continue;
        const n = Float64Array.from(u);
        n.fill(0, c.offset, c.offset + c.values.length);
        n[c.offset + i] = 1;
        out.push(n);
      }
    }
  }
  return out;
}

/**
 * Hill-climbs the acquisition from `start`: each step scores a fresh set of
 * neighbours and moves to the best if it is strictly better; stops at a
 * point none of its neighbours beats, or after `maxSteps`. Returns every
 * point scored, so the caller can take the best one not tried yet.
 */
export function climbAcquisition(
  enc: Encoding,
  start: Scored,
  score: (u: Float64Array) => number,
  rng: Rng,
  maxSteps = LOCAL_SEARCH_MAX_STEPS,
): Scored[] {
  const visited: Scored[] = [];
  let at = start;
  for (let step = 0; step < maxSteps; step++) {
    let next: Scored | null = null;
    for (const u of sampleNeighbours(enc, at.u, rng)) {
      const s = { u, a: score(u) };
      visited.push(s);
      if (s.a > (next?.a ?? at.a)) next = s;
    }
    if (next === null) break;
    at = next;
  }
  return visited;
}

/**
 * SMAC's local search: climbs from the `starts` best of `pool` (tried
 * points and uniform candidates, scored), and returns every point it
 * scored.
 */
export function searchLocally(
  enc: Encoding,
  pool: Scored[],
  score: (u: Float64Array) => number,
  rng: Rng,
  starts = LOCAL_SEARCH_STARTS,
): Scored[] {
  const ranked = [...pool].sort((p, q) => q.a - p.a).slice(0, starts);
  return ranked.flatMap((s) => climbAcquisition(enc, s, score, rng));
}

/** The end game's step sizes, in the unit cube: close, middling and wide around the incumbent. */
export const END_GAME_STEP_SDS = [0.02, 0.05, 0.1];

/**
 * `count` candidates around `centre`: every numeric flag moved by a Gaussian
 * step (the scales of END_GAME_STEP_SDS in turn), kept in [0, 1] and snapped
 * to the flag's grid; choices keep the centre's value.
 */
export function sampleAround(enc: Encoding, centre: Float64Array, count: number, rng: Rng): Float64Array[] {
  const out: Float64Array[] = [];
  for (let k = 0; k < count; k++) {
    const sd = END_GAME_STEP_SDS[k % END_GAME_STEP_SDS.length]!;
    const u = Float64Array.from(centre);
    for (const c of enc.coords) if (c.kind === "numeric") u[c.offset] = snapCoordinate(c, stepWithin(centre[c.offset]!, sd, rng));
    out.push(u);
  }
  return out;
}
