// Fitting the Gaussian process: hyperparameters by maximum a posteriori
// (multi-start, warm-started L-BFGS on the log marginal likelihood plus weak
// priors) and the output transform (standardise, optionally Yeo-Johnson warp)
// that the model is fitted to.

import type { Rng } from "../../flags/space.js";
import { drawStandardExponential } from "../distributions.js";
import { cholesky, cholInverse, cholLogDet, cholSolve, makeMatrix, type Matrix } from "../linalg.js";
import { JITTER, SQRT5, fitGpFixed, logEvidence, type GpModel } from "./model.js";

/** Mutable state an ask-tell loop may keep between calls to warm-start the fit. */
export interface GpCache {
  theta?: Float64Array;
  /** The last state of the hyperparameter chain (`hyper-samples` > 0), continued on the next proposal. */
  chain?: Float64Array;
  /** The previous fit of `model=optuna` (raw kernel parameters), its warm start. */
  optuna?: Float64Array;
  /** With `warp=evidence`: the warm start of the fit to the unwarped values (`theta` is the warped fit's). */
  unwarped?: GpCache;
}

/** Hyperparameters in log space: [log ℓ_1 .. log ℓ_D, log σf², log σn²], and their bounds. */
const LOG_LS_MIN = Math.log(0.01);
const LOG_LS_MAX = Math.log(20);
const LOG_SF_MIN = Math.log(0.05);
const LOG_SF_MAX = Math.log(20);
const LOG_NOISE_MIN = Math.log(1e-6);
const LOG_NOISE_MAX = Math.log(2);
/** Beyond this many points the hyperparameters are refitted on every other trial only. */
const SKIP_REFIT_AFTER = 20;
/** Refit from fresh starts (not only the warm one) when the count of points is a multiple of this. */
const FRESH_FIT_EVERY = 10;

/** Weak log-normal prior (mean, sd of the log) on the length scales that keeps tiny data sets sane. */
const PRIOR_LOG_LS = { mean: Math.log(0.5), sd: 1.5 };
/** The broad noise prior (log-normal on σn²) of `noisePrior: "broad"`. */
const PRIOR_LOG_NOISE = { mean: Math.log(1e-3), sd: 3 };

/**
 * "sparse" (the optimizer's): Gamma(1.1, 30) on the noise variance, which
 * reads a bump as signal unless the data insist. "broad": a wide
 * log-normal, for the question "is there noise at all" (the batch summary's
 * believed best), where one wild value must be free to count as noise.
 */
export type NoisePrior = "sparse" | "broad";

interface FitData {
  n: number;
  D: number;
  y: Float64Array;
  /** Per dimension, the n×n squared differences (x_id − x_jd)². */
  diff2: Float64Array[];
  fitNoise: boolean;
  fixedLogNoise: number;
  noisePrior: NoisePrior;
  /** Work buffer of logPosterior (n² + n). */
  scratch?: Float64Array;
}

/** D here counts length scales: coordinates sharing a group share one. */
function prepareFit(
  x: Float64Array[],
  y: Float64Array,
  groupOf: ArrayLike<number>,
  D: number,
  noise: "fit" | number,
  noisePrior: NoisePrior,
): FitData {
  const n = x.length;
  const diff2: Float64Array[] = [];
  for (let d = 0; d < D; d++) diff2.push(new Float64Array(n * n));
  for (let c = 0; c < groupOf.length; c++) {
    const m = diff2[groupOf[c]!]!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const t = x[i]![c]! - x[j]![c]!;
        m[i * n + j]! += t * t;
        m[j * n + i]! += t * t;
      }
    }
  }
  return { n, D, y, diff2, fitNoise: noise === "fit", fixedLogNoise: noise === "fit" ? 0 : Math.log(noise), noisePrior };
}

function logPrior(t: number, p: { mean: number; sd: number }): { value: number; grad: number } {
  const z = (t - p.mean) / p.sd;
  return { value: -0.5 * z * z, grad: -z / p.sd };
}

/** The length scales' prior: log-normal (short scales stay possible: michalewicz-like narrow features). */
function priorLs(t: number): { value: number; grad: number } {
  return logPrior(t, PRIOR_LOG_LS);
}

/** Optuna GPSampler's Gamma(2, 1) prior on the signal variance σf² = e^t (mode 1, the standardised scale). */
function priorSf(t: number): { value: number; grad: number } {
  const e = Math.exp(t);
  return { value: t - e, grad: 1 - e };
}

/**
 * Optuna GPSampler's Gamma(1.1, 30) prior on the noise variance σn² = e^t:
 * nearly flat below ~0.01 of the standardised variance, steeply against
 * more. The earlier broad log-normal let a fit to a few values explain a
 * real bump as noise; with this one a noisy 1-D objective measured about 3×
 * lower regret at 50 trials (20 seeds), while real noise is still found.
 */
function priorNoise(t: number, kind: NoisePrior): { value: number; grad: number } {
  if (kind === "broad") return logPrior(t, PRIOR_LOG_NOISE);
  const e = Math.exp(t);
  return { value: 0.1 * t - 30 * e, grad: 0.1 - 30 * e };
}

/**
 * Negative log posterior at theta (log lengthscales, log σf², log σn²) and a
 * closure for its gradient: line searches reject many points, and only the
 * accepted ones pay for the O(n³) inverse the gradient needs.
 */
function negLogPosterior(data: FitData, theta: Float64Array): Evaluation {
  const { n, D, y, diff2 } = data;
  const inv2 = new Float64Array(D);
  for (let d = 0; d < D; d++) inv2[d] = Math.exp(-2 * theta[d]!);
  const sf = Math.exp(theta[D]!);
  const logNoise = data.fitNoise ? theta[D + 1]! : data.fixedLogNoise;
  const noise = Math.exp(logNoise);
  const K = makeMatrix(n);
  const G = new Float64Array(n * n); // σf² (5/3)(1 + √5 r) e^{-√5 r}
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let r2 = 0;
      const ij = i * n + j;
      for (let d = 0; d < D; d++) r2 += diff2[d]![ij]! * inv2[d]!;
      const s = SQRT5 * Math.sqrt(r2);
      const e = Math.exp(-s);
      const k = sf * (1 + s + (s * s) / 3) * e;
      K.data[ij] = k;
      K.data[j * n + i] = k;
      G[ij] = sf * (5 / 3) * (1 + s) * e;
    }
    K.data[i * n + i] = sf + noise + JITTER;
  }
  const L = cholesky(K);
  if (L === null) return { f: Infinity, grad: () => new Float64Array(D + 2) };
  const alpha = cholSolve(L, y);
  let f = 0.5 * (y.reduce((s, yi, i) => s + yi * alpha[i]!, 0) + cholLogDet(L) + n * Math.log(2 * Math.PI));
  for (let d = 0; d < D; d++) f -= priorLs(theta[d]!).value;
  f -= priorSf(theta[D]!).value;
  if (data.fitNoise) f -= priorNoise(theta[D + 1]!, data.noisePrior).value;
  return { f, grad: () => negLogPosteriorGradient(data, theta, K, G, L, alpha, sf, noise, inv2) };
}

/**
 * The log posterior alone (no gradient), for the slice sampler, which
 * evaluates it a few hundred times per proposal: only the lower triangle of
 * K, factorised in place in a buffer kept with the data, and yᵀK⁻¹y as the
 * squared norm of one forward solve.
 */
function logPosterior(data: FitData, theta: Float64Array): number {
  const { n, D, y, diff2 } = data;
  data.scratch ??= new Float64Array(n * n + n);
  const A = data.scratch;
  const inv2 = new Float64Array(D);
  for (let d = 0; d < D; d++) inv2[d] = Math.exp(-2 * theta[d]!);
  const sf = Math.exp(theta[D]!);
  const noise = Math.exp(data.fitNoise ? theta[D + 1]! : data.fixedLogNoise);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let r2 = 0;
      const ij = i * n + j;
      for (let d = 0; d < D; d++) r2 += diff2[d]![ij]! * inv2[d]!;
      const s = SQRT5 * Math.sqrt(r2);
      A[ij] = sf * (1 + s + (s * s) / 3) * Math.exp(-s);
    }
    A[i * n + i] = sf + noise + JITTER;
  }
  // Cholesky in place (lower triangle), then z = L⁻¹y in the last n slots.
  let logDet = 0;
  for (let j = 0; j < n; j++) {
    const jj = j * n;
    let diag = A[jj + j]!;
    for (let k = 0; k < j; k++) diag -= A[jj + k]! * A[jj + k]!;
    if (!(diag > 0)) return -Infinity;
    const ljj = Math.sqrt(diag);
    A[jj + j] = ljj;
    logDet += 2 * Math.log(ljj);
    for (let i = j + 1; i < n; i++) {
      const ii = i * n;
      let v = A[ii + j]!;
      for (let k = 0; k < j; k++) v -= A[ii + k]! * A[jj + k]!;
      A[ii + j] = v / ljj;
    }
  }
  let fit = 0;
  const z = n * n;
  for (let i = 0; i < n; i++) {
    let v = y[i]!;
    const ii = i * n;
    for (let k = 0; k < i; k++) v -= A[ii + k]! * A[z + k]!;
    v /= A[ii + i]!;
    A[z + i] = v;
    fit += v * v;
  }
  let lp = -0.5 * (fit + logDet + n * Math.log(2 * Math.PI));
  for (let d = 0; d < D; d++) lp += priorLs(theta[d]!).value;
  lp += priorSf(theta[D]!).value;
  if (data.fitNoise) lp += priorNoise(theta[D + 1]!, data.noisePrior).value;
  return lp;
}

function negLogPosteriorGradient(
  data: FitData,
  theta: Float64Array,
  K: Matrix,
  G: Float64Array,
  L: Matrix,
  alpha: Float64Array,
  sf: number,
  noise: number,
  inv2: Float64Array,
): Float64Array {
  const { n, D, diff2 } = data;
  const grad = new Float64Array(D + 2);
  const Kinv = cholInverse(L);
  // dNLL/dθ = -½ tr((ααᵀ − K⁻¹) dK/dθ); W = ααᵀ − K⁻¹ is symmetric.
  let gSf = 0;
  let gNoise = 0;
  for (let i = 0; i < n; i++) {
    const ii = i * n + i;
    const wii = alpha[i]! * alpha[i]! - Kinv.data[ii]!;
    gSf += wii * sf;
    gNoise += wii * noise;
    for (let j = 0; j < i; j++) {
      const ij = i * n + j;
      const w = 2 * (alpha[i]! * alpha[j]! - Kinv.data[ij]!); // both triangles
      gSf += w * K.data[ij]!;
      const gw = w * G[ij]!;
      for (let d = 0; d < D; d++) grad[d]! += gw * diff2[d]![ij]! * inv2[d]!;
    }
  }
  for (let d = 0; d < D; d++) grad[d] = -0.5 * grad[d]!;
  grad[D] = -0.5 * gSf;
  grad[D + 1] = data.fitNoise ? -0.5 * gNoise : 0;
  for (let d = 0; d < D; d++) grad[d]! -= priorLs(theta[d]!).grad;
  grad[D]! -= priorSf(theta[D]!).grad;
  if (data.fitNoise) grad[D + 1]! -= priorNoise(theta[D + 1]!, data.noisePrior).grad;
  return grad;
}

/** Change of the length scales' log prior when every scale is multiplied by `factor`. */
export function lengthscalePriorShift(lengthscales: ArrayLike<number>, factor: number): number {
  let shift = 0;
  for (let d = 0; d < lengthscales.length; d++) {
    const t = Math.log(lengthscales[d]!);
    shift += priorLs(t + Math.log(factor)).value - priorLs(t).value;
  }
  return shift;
}

/** An objective value with its gradient on demand. */
export interface Evaluation {
  f: number;
  grad: () => Float64Array;
}

/**
 * Minimises f over the box [lo, hi] with L-BFGS, projecting every step back
 * into the box (a simple stand-in for L-BFGS-B that is good enough here).
 * It stops when no free gradient component exceeds `gtol` (scipy's pgtol).
 */
export function minimizeBox(
  fg: (x: Float64Array) => Evaluation,
  x0: Float64Array,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  maxIter: number,
  gtol = 1e-5,
): { x: Float64Array; f: number } {
  const m = 6;
  const dim = x0.length;
  const project = (v: Float64Array): Float64Array => {
    for (let i = 0; i < dim; i++) v[i] = Math.min(hi[i]!, Math.max(lo[i]!, v[i]!));
    return v;
  };
  let x = project(Float64Array.from(x0));
  const first = fg(x);
  let f = first.f;
  let grad = first.grad();
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  for (let iter = 0; iter < maxIter; iter++) {
    // Gradient components pushing out of an active bound are dropped.
    const g = Float64Array.from(grad);
    for (let i = 0; i < dim; i++) {
      if ((x[i]! <= lo[i]! && g[i]! > 0) || (x[i]! >= hi[i]! && g[i]! < 0)) g[i] = 0;
    }
    let gnorm = 0;
    for (let i = 0; i < dim; i++) gnorm = Math.max(gnorm, Math.abs(g[i]!));
    if (gnorm < gtol) break;
    // Two-loop recursion for the search direction.
    const q = Float64Array.from(g);
    const alphas: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const rho = 1 / dotArr(Y[k]!, S[k]!);
      const a = rho * dotArr(S[k]!, q);
      alphas[k] = a;
      for (let i = 0; i < dim; i++) q[i]! -= a * Y[k]![i]!;
    }
    let gamma = 1;
    if (S.length > 0) {
      const last = S.length - 1;
      gamma = dotArr(S[last]!, Y[last]!) / dotArr(Y[last]!, Y[last]!);
    } else {
      gamma = Math.min(1, 1 / gnorm);
    }
    for (let i = 0; i < dim; i++) q[i]! *= gamma;
    for (let k = 0; k < S.length; k++) {
      const rho = 1 / dotArr(Y[k]!, S[k]!);
      const b = rho * dotArr(Y[k]!, q);
      for (let i = 0; i < dim; i++) q[i]! += S[k]![i]! * (alphas[k]! - b);
    }
    let dirSlope = 0;
    for (let i = 0; i < dim; i++) dirSlope -= g[i]! * q[i]!;
    if (!(dirSlope < 0)) {
      // Not a descent direction: fall back to steepest descent and forget the history.
      S.length = 0;
      Y.length = 0;
      for (let i = 0; i < dim; i++) q[i] = g[i]! * Math.min(1, 1 / gnorm);
    }
    // Backtracking (Armijo) line search along the projected path.
    let step = 1;
    let accepted = false;
    let xNew = x;
    let fNew = f;
    let gradNew = grad;
    for (let ls = 0; ls < 20; ls++) {
      const cand = new Float64Array(dim);
      for (let i = 0; i < dim; i++) cand[i] = x[i]! - step * q[i]!;
      project(cand);
      let decrease = 0;
      for (let i = 0; i < dim; i++) decrease += grad[i]! * (cand[i]! - x[i]!);
      const r = fg(cand);
      if (Number.isFinite(r.f) && r.f <= f + 1e-4 * decrease) {
        xNew = cand;
        fNew = r.f;
        gradNew = r.grad();
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    const s = new Float64Array(dim);
    const yv = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      s[i] = xNew[i]! - x[i]!;
      yv[i] = gradNew[i]! - grad[i]!;
    }
    const sy = dotArr(s, yv);
    if (sy > 1e-12) {
      S.push(s);
      Y.push(yv);
      if (S.length > m) {
        S.shift();
        Y.shift();
      }
    }
    const df = f - fNew;
    x = xNew;
    f = fNew;
    grad = gradNew;
    if (df < 1e-7 * Math.max(1, Math.abs(f))) break;
  }
  return { x, f };
}

function dotArr(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** A standard normal draw. */
export function gaussian(rng: Rng): number {
  // Box–Muller; 1 − u keeps the log argument in (0, 1].
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Fits the hyperparameters to (x, y standardised) and returns the posterior.
 * `groups` maps each of the `width` coordinates to a length scale; by default
 * each has its own. A choice's one-hot block shares one, which makes its
 * kernel factor exp-like in the Hamming distance (same value or not) with a
 * single scale per flag, rather than one scale per value to learn from a
 * handful of trials.
 */
export function fitGp(
  x: Float64Array[],
  y: Float64Array,
  width: number,
  noise: "fit" | number,
  rng: Rng,
  cache?: GpCache,
  groups?: ArrayLike<number>,
  noisePrior: NoisePrior = "sparse",
): GpModel {
  const problem = prepareProblem(x, y, width, noise, groups, noisePrior);
  const theta = fitTheta(problem, rng, cache);
  return modelAt(problem, theta);
}

/** What a fit and a sampler of the hyperparameters share: the data, the groups and the box. */
interface FitProblem {
  x: Float64Array[];
  y: Float64Array;
  width: number;
  groupOf: ArrayLike<number>;
  data: FitData;
  lo: Float64Array;
  hi: Float64Array;
}

function prepareProblem(
  x: Float64Array[],
  y: Float64Array,
  width: number,
  noise: "fit" | number,
  groups: ArrayLike<number> | undefined,
  noisePrior: NoisePrior,
): FitProblem {
  const groupOf = groups ?? Array.from({ length: width }, (_, c) => c);
  let D = 0;
  for (let c = 0; c < width; c++) D = Math.max(D, groupOf[c]! + 1);
  const data = prepareFit(x, y, groupOf, D, noise, noisePrior);
  const lo = new Float64Array(D + 2);
  const hi = new Float64Array(D + 2);
  for (let d = 0; d < D; d++) {
    lo[d] = LOG_LS_MIN;
    hi[d] = LOG_LS_MAX;
  }
  lo[D] = LOG_SF_MIN;
  hi[D] = LOG_SF_MAX;
  lo[D + 1] = data.fitNoise ? LOG_NOISE_MIN : data.fixedLogNoise;
  hi[D + 1] = data.fitNoise ? LOG_NOISE_MAX : data.fixedLogNoise;
  return { x, y, width, groupOf, data, lo, hi };
}

/** The posterior model at theta (log length scales per group, log σf², log σn²). */
function modelAt(problem: FitProblem, theta: Float64Array): GpModel {
  const { data, groupOf, width } = problem;
  const D = data.D;
  const ls = new Float64Array(width);
  for (let c = 0; c < width; c++) ls[c] = Math.exp(theta[groupOf[c]!]!);
  return fitGpFixed(problem.x, problem.y, ls, Math.exp(theta[D]!), Math.exp(data.fitNoise ? theta[D + 1]! : data.fixedLogNoise));
}

/** The MAP hyperparameters (multi-start L-BFGS, warm-started from the cache). */
function fitTheta(problem: FitProblem, rng: Rng, cache?: GpCache): Float64Array {
  const { data, lo, hi, x } = problem;
  const D = data.D;
  const fitNoise = data.fitNoise;
  // A warm start from the previous fit usually lands within a few steps of the
  // optimum; the fresh starts guard against a stale local optimum and are
  // only paid for on the first fit and on every FRESH_FIT_EVERY-th one.
  const starts: Float64Array[] = [];
  const warm = cache?.theta && cache.theta.length === D + 2 ? Float64Array.from(cache.theta) : null;
  if (warm) starts.push(warm);
  const fresh = warm === null || x.length % FRESH_FIT_EVERY === 0;
  if (fresh) {
    const base = new Float64Array(D + 2);
    for (let d = 0; d < D; d++) base[d] = Math.log(0.3 * Math.sqrt(Math.max(1, D)));
    base[D] = 0;
    base[D + 1] = fitNoise ? Math.log(1e-2) : data.fixedLogNoise;
    starts.push(base);
    const random = new Float64Array(D + 2);
    for (let d = 0; d < D; d++) random[d] = PRIOR_LOG_LS.mean + PRIOR_LOG_LS.sd * 0.7 * gaussian(rng);
    random[D] = 0.5 * gaussian(rng);
    random[D + 1] = fitNoise ? Math.log(1e-4) + 2 * gaussian(rng) : data.fixedLogNoise;
    starts.push(random);
  }
  // Past SKIP_REFIT_AFTER points one more observation barely moves the
  // hyperparameters: every other trial reuses the previous fit as it is.
  const reuse = warm !== null && !fresh && x.length > SKIP_REFIT_AFTER && x.length % 2 === 1;
  let best: { x: Float64Array; f: number } | null = reuse ? { x: warm, f: 0 } : null;
  for (const s of reuse ? [] : starts) {
    const r = minimizeBox((t) => negLogPosterior(data, t), s, lo, hi, s === warm ? 15 : 40);
    if (best === null || r.f < best.f) best = r;
  }
  const theta = best!.x;
  if (cache) cache.theta = Float64Array.from(theta);
  return theta;
}

// ---------------------------------------------------------------------------
// Marginalising the hyperparameters (Snoek et al. 2012, Spearmint)

/** Sweeps of the chain before the first kept sample: from the MAP fit, and from the previous proposal's chain. */
const BURN_SWEEPS_FROM_MAP = 3;
const BURN_SWEEPS_FROM_CHAIN = 1;
/** Initial slice widths in log units: length scales, signal variance, noise variance. */
const SLICE_WIDTH_LS = 1;
const SLICE_WIDTH_SF = 1;
const SLICE_WIDTH_NOISE = 2;

/**
 * `count` draws of the hyperparameters from their posterior (the marginal
 * likelihood times the priors of the MAP fit), by slice sampling, each as a
 * fitted model. A single MAP fit is one guess at the length scales; on a
 * handful of points the posterior over them is broad, and averaging the
 * acquisition over draws from it keeps regions uncertain that one guess
 * calls known (Snoek et al. 2012). The chain starts at the MAP fit, or
 * continues from the previous proposal's last state when a cache is kept
 * (an ask-tell session), so a few sweeps are enough between proposals.
 * Also returns the MAP model (refinement is scaled by its length scales).
 * The length scales of the groups in `pinned` are not sampled but kept at
 * the MAP fit's value (gp pins its choice flags').
 */
export function sampleGp(
  x: Float64Array[],
  y: Float64Array,
  width: number,
  noise: "fit" | number,
  rng: Rng,
  count: number,
  cache?: GpCache,
  groups?: ArrayLike<number>,
  pinned: ArrayLike<number> = [],
): { map: GpModel; samples: GpModel[] } {
  const problem = prepareProblem(x, y, width, noise, groups, "sparse");
  const theta = fitTheta(problem, rng, cache);
  const D = problem.data.D;
  const fromChain = cache?.chain !== undefined && cache.chain.length === D + 2;
  let state: Float64Array = fromChain ? Float64Array.from(cache!.chain!) : Float64Array.from(theta);
  const widths = new Float64Array(D + 2).fill(SLICE_WIDTH_LS);
  widths[D] = SLICE_WIDTH_SF;
  widths[D + 1] = SLICE_WIDTH_NOISE;
  // Pinned length scales stay at the MAP fit's value in every draw (the sampler skips lo = hi).
  const lo = Float64Array.from(problem.lo);
  const hi = Float64Array.from(problem.hi);
  for (let i = 0; i < pinned.length; i++) {
    const g = pinned[i]!;
    lo[g] = hi[g] = state[g] = theta[g]!;
  }
  const logp = (t: Float64Array): number => logPosterior(problem.data, t);
  state = sliceSample(logp, state, lo, hi, widths, rng, fromChain ? BURN_SWEEPS_FROM_CHAIN : BURN_SWEEPS_FROM_MAP);
  const samples: GpModel[] = [];
  for (let k = 0; k < count; k++) {
    state = sliceSample(logp, state, lo, hi, widths, rng, 1);
    samples.push(modelAt(problem, state));
  }
  if (cache) cache.chain = Float64Array.from(state);
  return { map: modelAt(problem, theta), samples };
}

/**
 * The hyperparameters' log posterior as the sampler sees it (`fast`) and as
 * the MAP fit does (minus its objective, `exact`): the same density by two
 * routes, which a test holds equal.
 */
export function hyperparameterDensity(
  x: Float64Array[],
  y: Float64Array,
  width: number,
  noise: "fit" | number,
): { fast: (theta: Float64Array) => number; exact: (theta: Float64Array) => number } {
  const { data } = prepareProblem(x, y, width, noise, undefined, "sparse");
  return { fast: (t) => logPosterior(data, t), exact: (t) => -negLogPosterior(data, t).f };
}

/** Steps of `width` the slice is stepped out by on each side, at most. */
const SLICE_MAX_STEPS = 3;
/** Shrinkage draws per coordinate before the current value is kept. */
const SLICE_MAX_SHRINKS = 20;

/**
 * `sweeps` sweeps of coordinate-wise slice sampling (Neal 2003: stepping
 * out, then shrinkage) of the density exp(logp) on the box [lo, hi], from
 * `start`; returns the last state. Coordinates with lo = hi are left alone.
 * Each update leaves the density invariant, so the chain's states are draws
 * from it once it has forgotten its start.
 */
export function sliceSample(
  logp: (t: Float64Array) => number,
  start: Float64Array,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  widths: ArrayLike<number>,
  rng: Rng,
  sweeps: number,
): Float64Array {
  const t = Float64Array.from(start);
  let current = logp(t);
  const at = (i: number, v: number): number => {
    const old = t[i]!;
    t[i] = v;
    const l = v < lo[i]! || v > hi[i]! ? -Infinity : logp(t);
    t[i] = old;
    return l;
  };
  for (let sweep = 0; sweep < sweeps; sweep++) {
    for (let i = 0; i < t.length; i++) {
      if (!(hi[i]! > lo[i]!)) continue;
      // The slice's level: below the current density by an exponential draw.
      const level = current - drawStandardExponential(rng);
      const w = widths[i]!;
      let left = t[i]! - w * rng();
      let right = left + w;
      for (let k = 0; k < SLICE_MAX_STEPS && left > lo[i]! && at(i, left) > level; k++) left -= w;
      for (let k = 0; k < SLICE_MAX_STEPS && right < hi[i]! && at(i, right) > level; k++) right += w;
      left = Math.max(left, lo[i]!);
      right = Math.min(right, hi[i]!);
      for (let k = 0; k < SLICE_MAX_SHRINKS; k++) {
        const v = left + (right - left) * rng();
        const l = at(i, v);
        if (l > level) {
          t[i] = v;
          current = l;
          break;
        }
        if (v < t[i]!) left = v;
        else right = v;
      }
    }
  }
  return t;
}

// ---------------------------------------------------------------------------
// Output transform

function standardise(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i]! / n;
  const sd = populationSd(v);
  return Float64Array.from(v, (t) => (t - mean) / sd);
}

/** Yeo–Johnson transform of one value (defined for any real, monotone in t). */
export function yeoJohnson(t: number, lambda: number): number {
  if (t >= 0) return Math.abs(lambda) < 1e-9 ? Math.log1p(t) : ((t + 1) ** lambda - 1) / lambda;
  return Math.abs(lambda - 2) < 1e-9 ? -Math.log1p(-t) : -((1 - t) ** (2 - lambda) - 1) / (2 - lambda);
}

const WARP_LAMBDAS = Array.from({ length: 21 }, (_, i) => -1 + i * 0.15);

/** The values a fit is made on, how they were made, and the log Jacobian of that map (for comparing transforms). */
export interface FitOutputs {
  y: Float64Array;
  /** The Yeo–Johnson exponent applied (1: none). */
  lambda: number;
  /** Σ log |dy_i / dvalue_i|: added to a fit's evidence on y, it gives the evidence on the values themselves. */
  logJacobian: number;
}

function populationSd(v: ArrayLike<number>): number {
  const n = v.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i]! / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i]! - mean) ** 2;
  return Math.sqrt(ss / n) || 1;
}

/**
 * Standardised values, power-transformed when that makes them look more
 * normal (HEBO's trick): heavy right tails (a few huge losses) otherwise
 * dominate the fit and flatten the model where the minimum is. The transform
 * is monotone, so the ranking of the observations is unchanged.
 */
export function transformOutputs(values: number[], warp: "auto" | "none"): Float64Array {
  return transformOutputsWithJacobian(values, warp).y;
}

/** transformOutputs, with the exponent it chose and the log Jacobian of the whole map (standardise, warp, standardise). */
export function transformOutputsWithJacobian(values: number[], warp: "auto" | "none"): FitOutputs {
  const n = values.length;
  const z = standardise(values);
  const plainJacobian = -n * Math.log(populationSd(values));
  if (warp === "none" || n < 3) return { y: z, lambda: 1, logJacobian: plainJacobian };
  // Σ log |YJ'(z_i; λ)| = (λ − 1) · slopeSum.
  let slopeSum = 0;
  for (let i = 0; i < n; i++) slopeSum += Math.sign(z[i]!) * Math.log1p(Math.abs(z[i]!));
  let bestLambda = 1;
  let bestLl = -Infinity;
  for (const lambda of WARP_LAMBDAS.concat([1])) {
    const w = Float64Array.from(z, (t) => yeoJohnson(t, lambda));
    let mean = 0;
    for (let i = 0; i < n; i++) mean += w[i]! / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (w[i]! - mean) ** 2;
    if (!(ss > 0)) continue;
    const ll = -0.5 * n * Math.log(ss / n) + (lambda - 1) * slopeSum;
    if (ll > bestLl) {
      bestLl = ll;
      bestLambda = lambda;
    }
  }
  const w = Float64Array.from(z, (t) => yeoJohnson(t, bestLambda));
  const jac = plainJacobian + (bestLambda - 1) * slopeSum - n * Math.log(populationSd(w));
  return { y: standardise(w), lambda: bestLambda, logJacobian: jac };
}

/** How much better (log evidence) the plain values must fit before `warp=evidence` drops the warp. */
const WARP_EVIDENCE_MARGIN_NATS = 0;

/**
 * `warp=evidence`: the output transform chosen per fit by what the data
 * support. The warped and the plain standardised values are each fitted,
 * and the one whose marginal likelihood, carried back to the objective's own
 * units by the transform's log Jacobian, is higher is the one the model
 * uses. The power transform's exponent is chosen for the values alone
 * (normality, ignoring where they were measured); the GP's evidence asks
 * instead which scale makes the objective look like a smooth GP over the
 * inputs. On rosenbrock4 (values over four decades) the warp wins every
 * fit by 5–25 nats; on ackley5, late in the search (a plateau of 11–13 and a
 * basin of 1–5), the plain values usually win.
 */
export function fitGpChoosingWarp(
  x: Float64Array[],
  values: number[],
  width: number,
  noise: "fit" | number,
  rng: Rng,
  cache?: GpCache,
  groups?: ArrayLike<number>,
): { y: Float64Array; model: GpModel; warped: boolean } {
  const warped = transformOutputsWithJacobian(values, "auto");
  const warpedModel = fitGp(x, warped.y, width, noise, rng, cache, groups);
  if (warped.lambda === 1) return { y: warped.y, model: warpedModel, warped: false };
  const plain = transformOutputsWithJacobian(values, "none");
  if (cache) cache.unwarped ??= {};
  const plainModel = fitGp(x, plain.y, width, noise, rng, cache?.unwarped, groups);
  const warpedEvidence = logEvidence(warpedModel, warped.y) + warped.logJacobian;
  const plainEvidence = logEvidence(plainModel, plain.y) + plain.logJacobian;
  return warpedEvidence >= plainEvidence - WARP_EVIDENCE_MARGIN_NATS
    ? { y: warped.y, model: warpedModel, warped: true }
    : { y: plain.y, model: plainModel, warped: false };
}
