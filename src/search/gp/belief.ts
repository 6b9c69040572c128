// Which finished trial is best, by what a Gaussian process with fitted noise
// believes rather than by the single lowest observation: with noisy
// objectives the lowest value is often a lucky draw at a mediocre point, and
// the model's posterior mean averages it with its neighbours. Used for the
// batch summary of gp and tpe batches; pure.

import type { Observation, Rng, Space } from "../../flags/space.js";
import { buildEncoding, encodePoint } from "../encode.js";
import { lengthscaleGroups } from "./acquisition.js";
import { fitGp, transformOutputs } from "./fit.js";
import { predict } from "./model.js";

/**
 * Fitted noise variance (standardised units, so a noise sd of a tenth of the
 * values' sd) above which the model's pick is preferred over the lowest
 * observation. Exact values fit at about the noise prior's mode (1e-3),
 * where the data do not decide and both picks agree anyway.
 */
export const NOISY_FIT_MIN = 1e-2;
/** Fewer finished trials than this are too few to fit noise to. */
const MIN_TRIALS = 5;

export interface BelievedBest {
  /** Index into the history of the trial with the lowest posterior mean. */
  index: number;
  /** The fitted noise standard deviation, in the objective's units. */
  noiseSd: number;
}

/**
 * The trial with the lowest posterior mean among the finished ones, or null
 * when the fit finds no noise worth the name (then the lowest observation is
 * the best) or there are too few trials.
 */
export function believedBest(space: Space, history: Observation[], rng: Rng): BelievedBest | null {
  const enc = buildEncoding(space);
  const done: number[] = [];
  history.forEach((o, i) => {
    if (o.value !== null && Number.isFinite(o.value)) done.push(i);
  });
  if (enc.width === 0 || done.length < MIN_TRIALS) return null;
  const values = done.map((i) => history[i]!.value!);
  const x = done.map((i) => encodePoint(enc, history[i]!.point));
  // No warp: the noise level is read back in the objective's units.
  const y = transformOutputs(values, "none");
  const model = fitGp(x, y, enc.width, "fit", rng, undefined, lengthscaleGroups(enc), "broad");
  if (model.noise < NOISY_FIT_MIN) return null;
  let best = 0;
  let bestMean = Infinity;
  x.forEach((u, k) => {
    const m = predict(model, u).mean;
    if (m < bestMean) {
      bestMean = m;
      best = k;
    }
  });
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) || 1;
  return { index: done[best]!, noiseSd: Math.sqrt(model.noise) * sd };
}
