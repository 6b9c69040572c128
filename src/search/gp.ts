// The Gaussian-process optimizer (`--optimizer gp`, alias `bayesian`): a
// Matérn 5/2 ARD GP on the unit cube with standardised outputs and a fitted
// noise term, hyperparameters by maximum a posteriori (multi-start L-BFGS on
// the log marginal likelihood plus weak priors), and an acquisition (EI, LCB,
// PI or a random hedge of them) maximised over many random and local
// candidates followed by gradient refinement. Pure: randomness comes in as an
// Rng, and it always MINIMISES the observed value.
//
// This module is the optimizer's public face; the parts live in gp/:
// settings.ts (defaults, help, --opt-flag parsing), model.ts (kernel,
// posterior), fit.ts (marginal likelihood, restarts, output transform) and
// acquisition.ts (acquisition functions, noise-aware EI, proposal) and
// belief.ts (the best trial by the model's mean, for noisy objectives);
// optuna.ts is a port of Optuna's GPSampler (`model=optuna`), for comparisons.

import type { Observation, Point, Rng, Space } from "../flags/space.js";
import { proposeGp as proposeGpModel } from "./gp/acquisition.js";
import type { GpCache } from "./gp/fit.js";
import { proposeOptunaGp } from "./gp/optuna.js";
import type { GpSettings } from "./gp/settings.js";

export { DEFAULT_GP_SETTINGS, GP_SETTINGS_HELP, parseGpSettings, type Acquisition, type GpSettings } from "./gp/settings.js";
export { fitGpFixed, kernel, matern52, predict, type GpModel, type Prediction } from "./gp/model.js";
export { fitGp, minimizeBox, sampleGp, sliceSample, transformOutputs, yeoJohnson, type Evaluation, type GpCache } from "./gp/fit.js";
export { expectedImprovement, noiseFactor } from "./gp/acquisition.js";
export { OPTUNA_STARTUP_TRIALS, proposeOptunaGp } from "./gp/optuna.js";
export { believedBest, NOISY_FIT_MIN, type BelievedBest } from "./gp/belief.js";

/** The next point to evaluate (minimising): g's gp, or with `model=optuna` the port of Optuna's GPSampler. */
export function proposeGp(space: Space, history: Observation[], rng: Rng, settings?: Partial<GpSettings>, cache?: GpCache): Point {
  if (settings?.model === "optuna") return proposeOptunaGp(space, history, rng, settings, cache);
  return proposeGpModel(space, history, rng, settings, cache);
}
