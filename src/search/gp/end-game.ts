// The gp's end game: when the search knows its budget (`g ask-tell`'s init
// "budget", `g run --max-trials`, a restart's new total, a sweep's run_cap),
// the last share of the trials exploits instead of exploring. Nothing found
// after the last trial counts, so a basin discovered late is worth more
// refined than a second basin probed: these trials use the single MAP fit
// (no hyperparameter draws, no shorter-scaled twin; exact, without its
// noise term, when it finds no noise) and maximise EI with no improvement
// margin inside a box around the incumbent sized by the fitted length
// scales (local refinement, as a trust region). acquisition.ts's proposeGp
// takes these turns; this module decides when and where. Pure: the rng and
// the budget come in as arguments.
//
// Where the fit finds noise, the end game checks it near the incumbent
// (`end-game-check`): a second fit to the 15 trials nearest it. Real noise is
// there too (the noisy 1-D benchmark: found in 548 of 550 checks); a rippled
// function's short-scale structure, which the full fit can only call noise,
// is not (ackley5, 160 seeds: 622 of 677 checks find none), and then the end game
// refines with the full fit made exact (docs/benchmarks.md, "gp, twelfth
// round").
//
// Wherever the fit finds noise, the end game's first trial goes where its
// mean is lowest (`end-game-jump`), once. A fit that calls a rippled
// function's ripples noise models the trend under them, and the incumbent
// may sit in a ripple off the trend's bottom (ackley5's tail: two
// coordinates one ripple out); under real noise the mean's bottom is the
// model's best guess, where the best observation is often a lucky draw.
// 160 seeds: ackley5's median 1.47 -> 1.32 and 75th percentile 2.03 ->
// 1.80, the noisy 1-D function's median at 50 trials 0.0067 -> 0.0058;
// the other functions level or the same runs (docs/benchmarks.md, "gp,
// thirteenth round").
//
// On by default (the last tenth, a box of 0.75 length scales): on the shared
// harness it took branin under Optuna GPSampler's median and kept the other
// four functions' medians (docs/benchmarks.md, issue 14, "Eighth round"). The
// radius of 0.75 rather than 0.5 is not a measured optimum: over 80 seeds the
// radii 0.5 and 0.75 are level everywhere, and on the harness's 20 seeds
// rosenbrock4's median fell on either side of its target by chance.

import type { Point, Rng, SearchProgress } from "../../flags/space.js";
import { decodePoint, pointKey, sampleUntried, snapUnit, isContinuous, type Encoding } from "../encode.js";
import { gaussian } from "./fit.js";
import { predict, type GpModel } from "./model.js";
import type { GpSettings } from "./settings.js";

/**
 * Whether this proposal is one of the last `endGame` share of the budget
 * (rounded to whole trials, at least one when the share is above 0). Without
 * a known budget, or with `end-game=off`, never: then nothing changes.
 */
export function inEndGame(s: Pick<GpSettings, "endGame">, progress: SearchProgress | null | undefined): boolean {
  if (s.endGame === "off" || !progress || !(progress.total > 0)) return false;
  const last = Math.max(1, Math.round(s.endGame * progress.total));
  return progress.total - progress.trial < last;
}

/**
 * Whether this proposal is the end game's first (trial 46 of 50, 19 of 20,
 * 10 of 10): where the fit finds noise, that trial goes to the bottom of its
 * mean (`end-game-jump`). Read from the budget alone, so a restart or a sweep
 * agent knows it without state.
 */
export function firstOfEndGame(s: Pick<GpSettings, "endGame">, progress: SearchProgress | null | undefined): boolean {
  if (!inEndGame(s, progress) || s.endGame === "off") return false;
  const last = Math.max(1, Math.round(s.endGame * progress!.total));
  return progress!.total - progress!.trial === last - 1;
}

/** A box [lo, hi] in the unit cube: the incumbent ± radius × length scale on each numeric coordinate. */
export interface TrustBox {
  lo: Float64Array;
  hi: Float64Array;
}

/**
 * The box the end game searches: centred on the tried point the model rates
 * best, `radius` length scales to each side on every numeric coordinate
 * (clipped to the cube); choice coordinates keep the whole [0, 1]. The
 * length scales say how far the model's knowledge reaches: a flag the fit
 * calls irrelevant gets a wide side, one that matters a narrow one.
 */
export function trustBox(enc: Encoding, centre: Float64Array, lengthscales: ArrayLike<number>, radius: number): TrustBox {
  const lo = new Float64Array(enc.width);
  const hi = new Float64Array(enc.width).fill(1);
  for (const c of enc.coords) {
    if (c.kind !== "numeric") continue;
    const r = radius * lengthscales[c.offset]!;
    lo[c.offset] = Math.max(0, centre[c.offset]! - r);
    hi[c.offset] = Math.min(1, centre[c.offset]! + r);
  }
  return { lo, hi };
}

/**
 * Candidates for the end game: half uniform in the box, half Gaussian steps
 * from the centre at three scales (a tenth, a third and all of the box's
 * half side), each clipped to the box and snapped to what the flags can take.
 * Choice flags are drawn uniformly (the refinement then sets each to its best
 * value).
 */
export function sampleInBox(enc: Encoding, box: TrustBox, centre: Float64Array, count: number, rng: Rng): Float64Array[] {
  const snap = isContinuous(enc) ? (u: Float64Array) => u : (u: Float64Array) => snapUnit(enc, u);
  const out: Float64Array[] = [];
  const STEP_SCALES = [0.1, 0.33, 1];
  for (let k = 0; k < count; k++) {
    const u = new Float64Array(enc.width);
    const local = k % 2 === 1;
    for (const c of enc.coords) {
      if (c.kind === "numeric") {
        const o = c.offset;
        const half = (box.hi[o]! - box.lo[o]!) / 2;
        const v = local ? centre[o]! + STEP_SCALES[k % 3]! * half * gaussian(rng) : box.lo[o]! + rng() * (box.hi[o]! - box.lo[o]!);
        u[o] = Math.min(box.hi[o]!, Math.max(box.lo[o]!, v));
      } else {
        u[c.offset + Math.min(c.values.length - 1, Math.floor(rng() * c.values.length))] = 1;
      }
    }
    out.push(snap(u));
  }
  return out;
}

/**
 * The indices of the `count` trials nearest `centre` (all of them when there
 * are no more), nearest first, measured in the fit's length scales: a flag
 * the fit calls irrelevant hardly counts, one that matters counts in full.
 */
export function nearestTrials(x: Float64Array[], centre: Float64Array, lengthscales: ArrayLike<number>, count: number): number[] {
  const distance = x.map((u, i) => {
    let d = 0;
    for (let k = 0; k < u.length; k++) d += ((u[k]! - centre[k]!) / lengthscales[k]!) ** 2;
    return [d, i] as const;
  });
  distance.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return distance.slice(0, count).map(([, i]) => i);
}

/** The tried input the model rates best (lowest posterior mean): the end game's centre. */
export function bestTried(model: GpModel, x: Float64Array[]): Float64Array {
  let best = x[0]!;
  let bestMean = Infinity;
  for (const u of x) {
    const m = predict(model, u).mean;
    if (m < bestMean) {
      bestMean = m;
      best = u;
    }
  }
  return best;
}

/** The first of `ranked` (best first) that is not a tried point, or an untried random point. */
export function firstUntried(enc: Encoding, ranked: Array<{ u: Float64Array }>, seen: Set<string>, rng: Rng): Point {
  for (const c of ranked) {
    const point = decodePoint(enc, c.u);
    if (!seen.has(pointKey(enc, point))) return point;
  }
  return sampleUntried(enc, seen, rng);
}
