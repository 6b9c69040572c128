// The proposal of `--optimizer forest` and `--optimizer gbrt`: random starts
// first, then a tree surrogate (extra-trees forest or quantile boosting)
// fitted to the values' normal scores, and the candidate with the best
// acquisition (LCB, EI or PI) among points sampled in the encoded space,
// snapped to the values the flags can take (integers, q steps, one value per
// choice flag). A fraction of the trials after the starts are random draws
// instead, as SMAC interleaves them with its forest's proposals.
// Pure: randomness comes in as an Rng; it always MINIMISES the value.
//
// Why these choices (measured on the shared harness, docs/benchmarks.md):
// - Normal scores (rank → standard normal quantile) instead of the values:
//   a tree's splits and leaf variances follow squared errors, so a few huge
//   values (rosenbrock's corners) would make those regions look the most
//   uncertain and draw every trial there.
// - Random interleaving: a tree predicts the same value from the last data
//   point to the edge of the box, so its spread cannot say "unexplored";
//   without it the search settles in the first good basin for good.
// - LCB with kappa 1 as the default: EI on a piecewise-constant surrogate
//   mostly chases the leaves with the widest spread.

import type { Observation, Point, Rng, SearchProgress, Space } from "../../flags/space.js";
import {
  buildEncoding,
  decodePoint,
  encodePoint,
  isContinuous,
  pointKey,
  sampleSpread,
  sampleUnit,
  sampleUntried,
  snapUnit,
  SPREAD_CANDIDATES,
  SPREAD_MAX_FLAGS,
  type Encoding,
} from "../encode.js";
import { expectedImprovement } from "../gp.js";
import { normalCdf } from "../linalg.js";
import { fitQuantileBoosting, predictBoosting } from "./boosting.js";
import { fitForest, predictForest, type Belief } from "./forest.js";
import { inEndGame } from "../gp/end-game.js";
import { sampleAround, sampleNeighbours, searchLocally, type Scored } from "./local-search.js";
import { defaultTreeSettings, type TreeAcquisition, type TreeSettings, type TreeSurrogate } from "./settings.js";

/**
 * Smallest leaf of each surrogate. Forest leaves of 2 samples (scikit-
 * optimize uses 3) resolved branin and rosenbrock4 far better at the same
 * spread; boosting stages with leaves of 3 (scikit-learn's default is 1)
 * overfit less, so the quantile band does not collapse onto the data.
 */
const MIN_SAMPLES_LEAF: Record<TreeSurrogate, number> = { forest: 2, gbrt: 3 };

/**
 * The end game needs at least this many flags. With one flag the uniform
 * candidates already resolve a thousandth of its range, so there is nothing
 * to refine; what decides a one-flag search (the noisy 1-D function) is
 * which basin its trials find, and refining around the incumbent only gave
 * the noise more chances to flatter a point on the wrong basin's flank.
 */
export const END_GAME_MIN_FLAGS = 2;

/**
 * The end game also needs this many trials before its first: until then a
 * forest search is still finding its basin, and refining the incumbent
 * early lost to exploring (in-process, 40 seeds, end-game 0.2: at a budget
 * of 20 and of 30, i.e. 16 and 24 trials before it, branin's, rosenbrock4's
 * and ackley5's medians got worse; at 50, 40 before it, seven of eight
 * functions got better).
 */
export const END_GAME_MIN_TRIALS_BEFORE = 40;

/** Whether this proposal is in forest's (or gbrt's) end game: a known budget's last share, enough flags and trials before it. */
export function inTreesEndGame(enc: Encoding, s: TreeSettings, progress: SearchProgress | undefined): boolean {
  if (s.endGame === "off" || enc.coords.length < END_GAME_MIN_FLAGS || !inEndGame(s, progress)) return false;
  const last = Math.max(1, Math.round(s.endGame * progress!.total));
  return progress!.total - last >= END_GAME_MIN_TRIALS_BEFORE;
}

/** Acquisition value (larger is better). */
export function acquisitionValue(kind: TreeAcquisition, b: Belief, best: number, s: TreeSettings): number {
  const sd = Math.sqrt(b.variance);
  if (kind === "ei") return expectedImprovement(b.mean, b.variance, best, s.xi);
  if (kind === "lcb") return -(b.mean - s.kappa * sd);
  const imp = best - b.mean - s.xi;
  if (sd < 1e-12) return imp > 0 ? 1 : 0;
  return normalCdf(imp / sd);
}

/** A fitted surrogate: its belief at a unit-cube point. */
export type Surrogate = (u: Float64Array) => Belief;

/** Fits the chosen tree surrogate to (x, y). */
export function fitSurrogate(kind: TreeSurrogate, x: Float64Array[], y: Float64Array, s: TreeSettings, rng: Rng): Surrogate {
  const minSamplesLeaf = MIN_SAMPLES_LEAF[kind];
  if (kind === "forest") {
    const forest = fitForest(x, y, s.trees, rng, minSamplesLeaf);
    return (u) => predictForest(forest, u);
  }
  const boosting = fitQuantileBoosting(x, y, { stages: s.trees, minSamplesLeaf });
  return (u) => predictBoosting(boosting, u);
}

/**
 * Normal scores: each value replaced by the standard normal quantile of its
 * rank, (rank + 0.5) / n; equal values share their mean rank. Keeps the
 * order, forgets the scale.
 */
export function normalScores(values: number[]): Float64Array {
  const n = values.length;
  const order = Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(n);
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    const z = normalQuantile(((start + end - 1) / 2 + 0.5) / n);
    for (let r = start; r < end; r++) out[order[r]!] = z;
    start = end;
  }
  return out;
}

/** The standard normal quantile of p in (0, 1), by bisection on the CDF (60 halvings: exact to double precision). */
export function normalQuantile(p: number): number {
  let lo = -40;
  let hi = 40;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The next point to evaluate with a tree surrogate, minimising the
 * observations' values. Failed observations (value null) are not modelled,
 * and no point already tried is proposed again.
 */
export function proposeTrees(
  kind: TreeSurrogate,
  space: Space,
  history: Observation[],
  rng: Rng,
  settings?: Partial<TreeSettings>,
  progress?: SearchProgress,
): Point {
  const enc = buildEncoding(space);
  const s: TreeSettings = { ...defaultTreeSettings(kind, enc.coords.length), ...settings };
  const seen = new Set(history.map((o) => pointKey(enc, o.point)));
  const done = history.filter((o): o is { point: Point; value: number } => o.value !== null && Number.isFinite(o.value));
  if (enc.width === 0) return decodePoint(enc, new Float64Array(0));
  if (done.length < Math.max(2, s.randomStarts))
    return sampleSpread(
      enc,
      history.map((o) => o.point),
      seen,
      rng,
      enc.coords.length <= SPREAD_MAX_FLAGS ? SPREAD_CANDIDATES : 1,
    );
  const endGame = inTreesEndGame(enc, s, progress);
  // The end game makes no random draws: a trial spent far from the incumbent can no longer be followed up.
  if (!endGame && rng() < s.randomFraction) return sampleUntried(enc, seen, rng);

  const x = done.map((o) => encodePoint(enc, o.point));
  const y = normalScores(done.map((o) => o.value));
  const surrogate = fitSurrogate(kind, x, y, s, rng);
  const best = Math.min(...y);
  const score = (u: Float64Array): number => acquisitionValue(s.acquisition, surrogate(u), best, s);

  // The end game's centre: the tried point the surrogate rates best, not the lowest value seen, which noise can flatter.
  const incumbent = endGame ? bestTried(surrogate, x) : x[0]!;
  // Around the incumbent every numeric flag moves a little; its choice flags are tried at each other value one at a time.
  const uniform = endGame
    ? [...sampleAround(enc, incumbent, s.candidates, rng), ...sampleNeighbours(enc, incumbent, rng, 0)]
    : sampleCandidates(enc, s.candidates, rng);
  const scored: Scored[] = uniform.map((u) => ({ u, a: score(u) }));
  if (s.localSearch) scored.push(...searchLocally(enc, [...scored, ...x.map((u) => ({ u, a: score(u) }))], score, rng));
  scored.sort((p, q) => q.a - p.a);
  for (const c of scored) {
    const point = decodePoint(enc, c.u);
    if (!seen.has(pointKey(enc, point))) return point;
  }
  return sampleUntried(enc, seen, rng);
}

/** The tried point with the lowest belief (the surrogate's mean): the end game's centre. */
export function bestTried(surrogate: Surrogate, x: Float64Array[]): Float64Array {
  let best = x[0]!;
  let bestMean = Infinity;
  for (const u of x) {
    const m = surrogate(u).mean;
    if (m < bestMean) {
      bestMean = m;
      best = u;
    }
  }
  return best;
}

/**
 * `count` uniform candidates in the encoded space, each snapped to a point
 * the flags can take. Candidates drawn near the best trials (as gp does)
 * were tried and measured worse for both surrogates on ackley5 and the noisy
 * 1-D function: around a piecewise-constant model they only refine a lucky
 * draw.
 */
export function sampleCandidates(enc: Encoding, count: number, rng: Rng): Float64Array[] {
  const snap = isContinuous(enc) ? (u: Float64Array) => u : (u: Float64Array) => snapUnit(enc, u);
  return Array.from({ length: count }, () => snap(sampleUnit(enc, rng)));
}
