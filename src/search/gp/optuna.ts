// `--opt-flag model=optuna`: a port of Optuna 4.6's GPSampler (single
// objective, no constraints), read from optuna/samplers/_gp/sampler.py and
// optuna/_gp/{gp,prior,acqf,optim_mixed,search_space}.py, so that g's gp can
// be compared with it part by part on the same trials (docs/benchmarks.md,
// issue 14, "Sixth round"). What it does, in Optuna's order:
//
// - 10 uniform random start-up trials (n_startup_trials);
// - values standardised (mean, population sd), no warp;
// - Matérn 5/2 ARD on the unit cube, Hamming distance for a choice;
//   kernel parameters (inverse squared length scales λ, kernel scale, noise)
//   by one L-BFGS fit on the log parameters with gtol 1e-2, warm-started
//   from the previous trial's fit (inside one process), from all ones
//   otherwise; prior −Σ(0.1/λ + 0.1λ) + Gamma(2, 1) on the scale +
//   Gamma(1.1, 30) on the noise, noise ≥ 1e-6;
// - log EI with the best observed standardised value as the threshold;
// - maximised from 2048 scrambled Sobol points: local search from the best
//   of them, up to 8 more drawn by exp(log EI) without replacement and the
//   best trial; L-BFGS on the continuous coordinates scaled by their length
//   scales (pgtol 0.01, 200 iterations), then every discrete flag set to
//   its best value with the rest held, repeated until nothing changes.
//
// Where it differs (g's encoding, not Optuna's): a choice is a one-hot block
// (its length scale set so that the kernel sees the Hamming distance, as
// Optuna's); an integer or q-step flag with more than 16 values is searched
// exhaustively where Optuna line-searches; L-BFGS is g's projected L-BFGS
// (minimizeBox), not scipy's L-BFGS-B; a proposal already tried is skipped.
//
// `optuna-swap=PART+PART` puts g's default part in place of Optuna's, to
// find which part makes the difference: starts (g's random starts),
// warp (g's output transform), prior (g's length-scale prior in the same
// fit), fit (g's whole fit: multi-start, bounds, priors), candidates (g's
// candidate set and refinement starts), beliefs (log EI averaged over the fit
// and its shorter-scaled twin, as g does). Pure: randomness comes in as an Rng.

import type { Observation, Point, Rng, Space } from "../../flags/space.js";
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
import { cholesky, cholInverse, cholSolve, makeMatrix } from "../linalg.js";
import { sobolPoints } from "../sobol.js";
import { logH, lengthscaleGroups } from "./acquisition.js";
import { fitGp, gaussian, lengthscalePriorShift, minimizeBox, transformOutputs, type Evaluation, type GpCache } from "./fit.js";
import { fitGpFixed, logEvidence, predict, predictWithGradient, type GpModel } from "./model.js";
import { DEFAULT_GP_SETTINGS, type GpSettings, type OptunaPart } from "./settings.js";

/** GPSampler's n_startup_trials. */
export const OPTUNA_STARTUP_TRIALS = 10;
/** prior.DEFAULT_MINIMUM_NOISE_VAR. */
export const OPTUNA_MIN_NOISE = 1e-6;
/** fit_kernel_params' gtol: the fit stops once no gradient component exceeds it. */
const FIT_GTOL = 1e-2;
/** scipy's L-BFGS-B default maxiter is 15000; the fit converges long before. */
const FIT_MAX_ITERATIONS = 500;
/** _n_preliminary_samples, _n_local_search, and the local search's pgtol = sqrt(tol = 1e-4) and max_iters. */
const PRELIMINARY_SAMPLES = 2048;
const LOCAL_SEARCHES = 10;
const LOCAL_PGTOL = 1e-2;
const LOCAL_MAX_ITERATIONS = 200;
/** local_search_mixed's max_iter: rounds of continuous then discrete steps. */
const LOCAL_MAX_ROUNDS = 100;
/** LogEI's stabilizing_noise, added to the posterior variance. */
const STABILIZING_NOISE = 1e-12;
/** g's refinement iterations, for `optuna-swap=candidates`. */
const G_REFINE_ITERATIONS = 30;
/** g's shorter-scaled second belief, for `optuna-swap=beliefs`: its length scales are this times the fit's. */
const G_SHORT_SCALE = 1 / 3;
/** Box of the raw (log) kernel parameters: wide, so that only the priors shape the fit. */
const RAW_MIN = -25;
const RAW_MAX = 25;
/** g's length-scale prior (log-normal on ℓ), for `optuna-swap=prior`. */
const G_PRIOR_LOG_LS = { mean: Math.log(0.5), sd: 1.5 };

/** The kernel parameters of a fit: λ per flag (1/ℓ²), kernel scale, noise variance. */
export interface OptunaKernel {
  inverseSquaredLengthscales: Float64Array;
  kernelScale: number;
  noise: number;
}

/** Optuna's default_log_prior on the kernel parameters and its gradient in the raw (log) parameters. */
export function optunaLogPrior(raw: Float64Array, prior: "optuna" | "g"): { value: number; grad: Float64Array } {
  const G = raw.length - 2;
  const grad = new Float64Array(raw.length);
  let value = 0;
  for (let g = 0; g < G; g++) {
    const isl = Math.exp(raw[g]!);
    if (prior === "optuna") {
      value -= 0.1 / isl + 0.1 * isl;
      grad[g] = 0.1 / isl - 0.1 * isl;
    } else {
      // log ℓ = −raw / 2
      const z = (-raw[g]! / 2 - G_PRIOR_LOG_LS.mean) / G_PRIOR_LOG_LS.sd;
      value -= 0.5 * z * z;
      grad[g] = z / (2 * G_PRIOR_LOG_LS.sd);
    }
  }
  const ks = Math.exp(raw[G]!);
  value += Math.log(ks) - ks; // Gamma(2, 1)
  grad[G] = 1 - ks;
  const e = Math.exp(raw[G + 1]!);
  const noise = e + OPTUNA_MIN_NOISE;
  value += 0.1 * Math.log(noise) - 30 * noise; // Gamma(1.1, 30)
  grad[G + 1] = (0.1 / noise - 30) * e;
  return { value, grad };
}

/**
 * Per flag, the n×n squared distances of the trials: (u_i − u_j)² for a
 * number, 0 or 1 (same value or not) for a choice.
 */
function flagDistances(enc: Encoding, x: Float64Array[]): Float64Array[] {
  const n = x.length;
  return enc.coords.map((c) => {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        let d: number;
        if (c.kind === "numeric") d = (x[i]![c.offset]! - x[j]![c.offset]!) ** 2;
        else {
          d = 0;
          for (let k = 0; k < c.values.length; k++) if (x[i]![c.offset + k] !== x[j]![c.offset + k]) d = 1;
        }
        m[i * n + j] = d;
        m[j * n + i] = d;
      }
    }
    return m;
  });
}

/**
 * −(log marginal likelihood + log prior) at the raw parameters
 * [log λ_1 .. log λ_G, log scale, log(noise − 1e-6)] (the constant dropped, as
 * Optuna does), with its gradient computed only when asked for.
 */
export function optunaLoss(sqd: Float64Array[], y: Float64Array, raw: Float64Array, prior: "optuna" | "g"): Evaluation {
  const n = y.length;
  const G = sqd.length;
  const ks = Math.exp(raw[G]!);
  const noiseExp = Math.exp(raw[G + 1]!);
  const K = makeMatrix(n);
  const dM = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let r2 = 0;
      for (let g = 0; g < G; g++) r2 += Math.exp(raw[g]!) * sqd[g]![i * n + j]!;
      const s = Math.sqrt(5 * r2);
      const e = Math.exp(-s);
      const k = ks * e * ((5 / 3) * r2 + s + 1);
      K.data[i * n + j] = k;
      K.data[j * n + i] = k;
      // d(kernel)/d(r²), as Optuna's Matern52Kernel saves it.
      const d = ks * (-5 / 6) * (s + 1) * e;
      dM[i * n + j] = d;
      dM[j * n + i] = d;
    }
    K.data[i * n + i]! += noiseExp + OPTUNA_MIN_NOISE;
  }
  const signal = Float64Array.from(K.data);
  for (let i = 0; i < n; i++) signal[i * n + i]! -= noiseExp + OPTUNA_MIN_NOISE;
  const L = cholesky(K);
  if (L === null) return { f: Infinity, grad: () => new Float64Array(raw.length) };
  const alpha = cholSolve(L, y);
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += Math.log(L.data[i * n + i]!);
  let quad = 0;
  for (let i = 0; i < n; i++) quad += y[i]! * alpha[i]!;
  const lp = optunaLogPrior(raw, prior);
  return {
    f: logDet + 0.5 * quad - lp.value,
    grad: () => {
      // d(−mll)/dθ = ½ tr((K⁻¹ − ααᵀ) dK/dθ)
      const W = cholInverse(L).data;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[i * n + j]! -= alpha[i]! * alpha[j]!;
      const grad = new Float64Array(raw.length);
      for (let g = 0; g < G; g++) {
        const isl = Math.exp(raw[g]!);
        const m = sqd[g]!;
        let acc = 0;
        for (let k = 0; k < n * n; k++) acc += W[k]! * dM[k]! * m[k]!;
        grad[g] = 0.5 * acc * isl;
      }
      let accK = 0;
      let trace = 0;
      for (let k = 0; k < n * n; k++) accK += W[k]! * signal[k]!;
      for (let i = 0; i < n; i++) trace += W[i * n + i]!;
      grad[G] = 0.5 * accK;
      grad[G + 1] = 0.5 * trace * noiseExp;
      for (let k = 0; k < raw.length; k++) grad[k]! -= lp.grad[k]!;
      return grad;
    },
  };
}

/** Raw parameters of Optuna's default start: every λ, the scale and the noise at 1. */
function defaultRaw(G: number): Float64Array {
  const raw = new Float64Array(G + 2);
  raw[G + 1] = Math.log(1 - 0.99 * OPTUNA_MIN_NOISE);
  return raw;
}

/**
 * fit_kernel_params: one L-BFGS run from the previous fit (kept in
 * `cache.optuna`), or from the default start when there is none or the warm
 * one fails; the default parameters themselves if both fail.
 */
export function fitOptunaKernel(sqd: Float64Array[], y: Float64Array, cache: GpCache | undefined, prior: "optuna" | "g"): OptunaKernel {
  const G = sqd.length;
  const starts: Float64Array[] = [];
  const previous = cache?.optuna;
  if (previous && previous.length === G + 2) {
    const warm = Float64Array.from(previous);
    // Optuna restarts from noise − 0.99·min, i.e. the raw noise plus 1% of the floor.
    warm[G + 1] = Math.log(Math.exp(previous[G + 1]!) + 0.01 * OPTUNA_MIN_NOISE);
    starts.push(warm);
  }
  starts.push(defaultRaw(G));
  const lo = new Float64Array(G + 2).fill(RAW_MIN);
  const hi = new Float64Array(G + 2).fill(RAW_MAX);
  let raw = defaultRaw(G);
  for (const start of starts) {
    if (!Number.isFinite(optunaLoss(sqd, y, start, prior).f)) continue;
    const r = minimizeBox((t) => optunaLoss(sqd, y, t, prior), start, lo, hi, FIT_MAX_ITERATIONS, FIT_GTOL);
    if (Number.isFinite(r.f)) {
      raw = r.x;
      break;
    }
  }
  if (cache) cache.optuna = Float64Array.from(raw);
  return {
    inverseSquaredLengthscales: Float64Array.from(raw.subarray(0, G), Math.exp),
    kernelScale: Math.exp(raw[G]!),
    noise: Math.exp(raw[G + 1]!) + OPTUNA_MIN_NOISE,
  };
}

/**
 * The posterior for a fit, on g's encoding: a number's coordinate gets
 * ℓ = 1/√λ; a choice's one-hot coordinates get √(2/λ), since two different
 * values differ in two coordinates by 1 each, which makes the kernel see λ
 * times the Hamming distance, as Optuna's does.
 */
export function modelFromKernel(enc: Encoding, x: Float64Array[], y: Float64Array, k: OptunaKernel): GpModel {
  const ls = new Float64Array(enc.width);
  enc.coords.forEach((c, g) => {
    const isl = k.inverseSquaredLengthscales[g]!;
    if (c.kind === "numeric") ls[c.offset] = 1 / Math.sqrt(isl);
    else ls.fill(Math.sqrt(2 / isl), c.offset, c.offset + c.values.length);
  });
  return fitGpFixed(x, y, ls, k.kernelScale, k.noise);
}

/** Standardised values (population sd, floored at 1e-10 as Optuna's EPS). */
export function standardiseOptuna(values: number[]): Float64Array {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return Float64Array.from(values, (v) => (v - mean) / Math.max(1e-10, sd));
}

/**
 * log EI of improving on `best` (minimisation of the standardised values:
 * Optuna maximises their negation with the maximum as the threshold) and its
 * gradient in u when asked.
 */
export function logExpectedImprovement(
  model: GpModel,
  u: Float64Array,
  best: number,
  withGrad: boolean,
): { a: number; grad: Float64Array | null } {
  if (!withGrad) {
    const p = predict(model, u);
    const sd = Math.sqrt(p.variance + STABILIZING_NOISE);
    return { a: logH((best - p.mean) / sd).value + Math.log(sd), grad: null };
  }
  const p = predictWithGradient(model, u);
  const sd = Math.sqrt(p.variance + STABILIZING_NOISE);
  const z = (best - p.mean) / sd;
  const h = logH(z);
  // d/dμ = −slope/σ; d/dσ = (1 − z·slope)/σ, and dσ/dv = 1/(2σ).
  const dMean = -h.slope / sd;
  const dVar = (1 - z * h.slope) / (2 * sd * sd);
  const grad = new Float64Array(u.length);
  for (let d = 0; d < u.length; d++) grad[d] = dMean * p.dMean[d]! + dVar * p.dVar[d]!;
  return { a: h.value + Math.log(sd), grad };
}

/** A point of the unit cube from one number in [0, 1) per flag (a choice takes value ⌊q·k⌋). */
function pointFromCube(enc: Encoding, q: Float64Array): Float64Array {
  const u = new Float64Array(enc.width);
  enc.coords.forEach((c, g) => {
    if (c.kind === "numeric") u[c.offset] = q[g]!;
    else u[c.offset + Math.min(c.values.length - 1, Math.floor(q[g]! * c.values.length))] = 1;
  });
  return u;
}

/** The unit coordinates a discrete number can take (its grid), ascending. */
function discreteGrid(c: Extract<Encoding["coords"][number], { kind: "numeric" }>): number[] {
  const levels = c.levels ?? 0;
  const grid = new Set<number>();
  for (let k = 0; k < 4 * levels; k++) grid.add(c.toUnit(c.fromUnit((k + 0.5) / (4 * levels))));
  return [...grid].sort((a, b) => a - b);
}

type Score = (u: Float64Array, withGrad: boolean) => { a: number; grad: Float64Array | null };

/**
 * local_search_mixed for one start: L-BFGS on the continuous coordinates
 * (scaled by their length scales, so each direction is equally curved),
 * then each discrete flag set to its best value with the rest held; repeated
 * until a round changes nothing.
 */
export function localSearchOptuna(
  enc: Encoding,
  lengthscales: Float64Array,
  start: Float64Array,
  score: Score,
  maxIterations = LOCAL_MAX_ITERATIONS,
): { u: Float64Array; a: number } {
  const continuous = enc.coords.filter((c) => c.kind === "numeric" && c.levels === null).map((c) => c.offset);
  const discrete = enc.coords.filter((c) => c.kind === "categorical" || c.levels !== null);
  const grids = new Map(discrete.map((c) => [c, c.kind === "numeric" ? discreteGrid(c) : []]));
  let u: Float64Array = Float64Array.from(start);
  let a = score(u, false).a;
  for (let round = 0; round < LOCAL_MAX_ROUNDS; round++) {
    if (continuous.length > 0) {
      const ls = Float64Array.from(continuous, (o) => lengthscales[o]!);
      const base = u;
      const embed = (z: Float64Array): Float64Array => {
        const v = Float64Array.from(base);
        continuous.forEach((o, i) => (v[o] = z[i]! * ls[i]!));
        return v;
      };
      const r = minimizeBox(
        (z) => {
          const res = score(embed(z), true);
          return { f: -res.a, grad: () => Float64Array.from(continuous, (o, i) => -res.grad![o]! * ls[i]!) };
        },
        Float64Array.from(continuous, (o, i) => u[o]! / ls[i]!),
        new Float64Array(continuous.length),
        Float64Array.from(ls, (l) => 1 / l),
        maxIterations,
        LOCAL_PGTOL,
      );
      if (-r.f > a) {
        u = embed(r.x);
        a = -r.f;
      }
    }
    // Another round only if a discrete flag moved (Optuna's last_changed_dims rule).
    let discreteChanged = false;
    for (const c of discrete) {
      const options: Float64Array[] = [];
      if (c.kind === "categorical") {
        for (let i = 0; i < c.values.length; i++) {
          if (u[c.offset + i] === 1) continue;
          const v = Float64Array.from(u);
          v.fill(0, c.offset, c.offset + c.values.length);
          v[c.offset + i] = 1;
          options.push(v);
        }
      } else {
        for (const g of grids.get(c)!) {
          if (g === u[c.offset]) continue;
          const v = Float64Array.from(u);
          v[c.offset] = g;
          options.push(v);
        }
      }
      for (const v of options) {
        const av = score(v, false).a;
        if (av > a) {
          a = av;
          u = v;
          discreteChanged = true;
        }
      }
    }
    if (!discreteChanged) break;
  }
  return { u, a };
}

/**
 * g's two beliefs with Optuna's log EI: the fitted model and one with every
 * length scale a third as long, weighted by their evidence (and g's
 * length-scale prior), log EI averaged by log-sum-exp.
 */
function scoreOverBeliefs(model: GpModel, x: Float64Array[], y: Float64Array, best: number): Score {
  const short = fitGpFixed(
    x,
    y,
    Float64Array.from(model.lengthscales, (l) => l * G_SHORT_SCALE),
    model.variance,
    model.noise,
  );
  const lshort = logEvidence(short, y) + lengthscalePriorShift(model.lengthscales, G_SHORT_SCALE);
  const wShort = 1 / (1 + Math.exp(logEvidence(model, y) - lshort));
  if (!(wShort > 1e-3)) return (u, withGrad) => logExpectedImprovement(model, u, best, withGrad);
  return (u, withGrad) => {
    const a = logExpectedImprovement(model, u, best, withGrad);
    const b = logExpectedImprovement(short, u, best, withGrad);
    const la = Math.log(1 - wShort) + a.a;
    const lb = Math.log(wShort) + b.a;
    const max = Math.max(la, lb);
    const ea = Math.exp(la - max);
    const eb = Math.exp(lb - max);
    const grad = withGrad ? Float64Array.from(a.grad!, (g, d) => (ea * g + eb * b.grad![d]!) / (ea + eb)) : null;
    return { a: max + Math.log(ea + eb), grad };
  };
}

/** Draws `count` distinct indices with probability ∝ weights (weights are consumed). */
function drawWithoutReplacement(weights: number[], count: number, rng: Rng): number[] {
  const out: number[] = [];
  let total = weights.reduce((s, w) => s + w, 0);
  while (out.length < count && total > 0) {
    let r = rng() * total;
    let k = 0;
    while (k < weights.length - 1 && (weights[k] === 0 || r >= weights[k]!)) r -= weights[k++]!;
    out.push(k);
    total -= weights[k]!;
    weights[k] = 0;
  }
  return out;
}

/** The settings `model=optuna` reads: which of Optuna's parts to replace by g's. */
export type OptunaSettings = Pick<GpSettings, "optunaSwap" | "randomStarts" | "candidates" | "refineStarts" | "design">;

/** The next point by the port of Optuna's GPSampler (minimising the observations' values). */
export function proposeOptunaGp(space: Space, history: Observation[], rng: Rng, settings: Partial<OptunaSettings>, cache?: GpCache): Point {
  const swap = new Set<OptunaPart>(settings.optunaSwap ?? []);
  const enc = buildEncoding(space);
  const seen = new Set(history.map((o) => pointKey(enc, o.point)));
  const done = history.filter((o): o is { point: Point; value: number } => o.value !== null && Number.isFinite(o.value));
  if (enc.width === 0) return decodePoint(enc, new Float64Array(0));
  if (swap.has("starts")) {
    const randomStarts = Math.max(2, settings.randomStarts ?? DEFAULT_GP_SETTINGS.randomStarts);
    if (done.length < randomStarts) {
      const tried = history.map((o) => o.point);
      return sampleSpread(enc, tried, seen, rng, enc.coords.length <= SPREAD_MAX_FLAGS ? SPREAD_CANDIDATES : 1);
    }
  } else if (done.length < OPTUNA_STARTUP_TRIALS) {
    return sampleUntried(enc, seen, rng);
  }

  const x = done.map((o) => encodePoint(enc, o.point));
  const values = done.map((o) => o.value);
  const y = swap.has("warp") ? transformOutputs(values, "auto") : standardiseOptuna(values);
  let model: GpModel;
  if (swap.has("fit")) {
    model = fitGp(x, y, enc.width, "fit", rng, cache, lengthscaleGroups(enc));
  } else {
    const kernel = fitOptunaKernel(flagDistances(enc, x), y, cache, swap.has("prior") ? "g" : "optuna");
    model = modelFromKernel(enc, x, y, kernel);
  }
  let bestIndex = 0;
  for (let i = 1; i < y.length; i++) if (y[i]! < y[bestIndex]!) bestIndex = i;
  const best = y[bestIndex]!;
  const score: Score = swap.has("beliefs")
    ? scoreOverBeliefs(model, x, y, best)
    : (u, withGrad) => logExpectedImprovement(model, u, best, withGrad);
  const snap = isContinuous(enc) ? (u: Float64Array) => u : (u: Float64Array) => snapUnit(enc, u);

  let candidates: Float64Array[];
  let searches: number;
  let iterations: number;
  if (swap.has("candidates")) {
    // g's candidate set: half uniform, half Gaussian steps from the five best trials.
    const total = settings.candidates ?? DEFAULT_GP_SETTINGS.candidates;
    const numeric = enc.coords.filter((c) => c.kind === "numeric").map((c) => c.offset);
    const nLocal = numeric.length > 0 ? Math.floor(total / 2) : 0;
    const order = y.map((_, i) => i).sort((p, q) => y[p]! - y[q]!);
    const elite = order.slice(0, Math.min(5, order.length));
    candidates = [];
    for (let k = 0; k < total - nLocal; k++) candidates.push(snap(sampleUnit(enc, rng)));
    for (let k = 0; k < nLocal; k++) {
      const c = Float64Array.from(x[elite[k % elite.length]!]!);
      const step = [0.02, 0.1, 0.3][k % 3]!;
      for (const o of numeric) c[o] = Math.min(1, Math.max(0, c[o]! + step * Math.min(1, model.lengthscales[o]!) * gaussian(rng)));
      candidates.push(snap(c));
    }
    searches = settings.refineStarts ?? DEFAULT_GP_SETTINGS.refineStarts;
    iterations = G_REFINE_ITERATIONS;
  } else {
    candidates = sobolPoints(PRELIMINARY_SAMPLES, enc.coords.length, rng).map((q) => snap(pointFromCube(enc, q)));
    searches = LOCAL_SEARCHES;
    iterations = LOCAL_MAX_ITERATIONS;
  }
  const scores = candidates.map((u) => score(u, false).a);
  let top = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[top]!) top = i;
  // optimize_acqf_mixed: the best sample, roulette draws by exp(log EI) among the others, and the best trial.
  const weights = scores.map((s, i) => (i === top ? 0 : Math.exp(s - scores[top]!)));
  const extra = Math.min(searches - 2, weights.filter((w) => w > 0).length);
  const starts = [top, ...drawWithoutReplacement(weights, Math.max(0, extra), rng)].map((i) => candidates[i]!);
  starts.push(x[bestIndex]!);
  const refined = starts.map((u) => localSearchOptuna(enc, model.lengthscales, u, score, iterations));
  refined.sort((p, q) => q.a - p.a);
  for (const c of refined) {
    const point = decodePoint(enc, c.u);
    if (!seen.has(pointKey(enc, point))) return point;
  }
  const ranked = candidates.map((u, i) => ({ u, a: scores[i]! })).sort((p, q) => q.a - p.a);
  for (const c of ranked) {
    const point = decodePoint(enc, c.u);
    if (!seen.has(pointKey(enc, point))) return point;
  }
  return sampleUntried(enc, seen, rng);
}
