// The Gaussian-process optimizer (`--optimizer gp`, alias `bayesian`): a
// Matérn 5/2 ARD GP on the unit cube with standardised outputs and a fitted
// noise term, hyperparameters by maximum a posteriori (multi-start L-BFGS on
// the log marginal likelihood plus weak priors), and an acquisition (EI, LCB,
// PI or a random hedge of them) maximised over many random and local
// candidates followed by gradient refinement. Pure: randomness comes in as an
// Rng, and it always MINIMISES the observed value.

import { UsageError } from "../errors.js";
import type { Observation, Point, Rng, Space } from "../flags/space.js";
import {
  buildEncoding,
  decodePoint,
  encodePoint,
  pointKey,
  sampleUnit,
  sampleUntried,
  snapUnit,
  isContinuous,
} from "./encode.js";
import { cholesky, cholInverse, cholLogDet, cholSolve, makeMatrix, normalCdf, normalPdf, solveLower, type Matrix } from "./linalg.js";

export type Acquisition = "ei" | "lcb" | "pi" | "hedge";

export interface GpSettings {
  /** Random points before the model is used. */
  randomStarts: number;
  acquisition: Acquisition;
  /** LCB exploration weight (in posterior standard deviations). */
  kappa: number;
  /** EI/PI improvement margin, in standardised output units. */
  xi: number;
  /** "fit" (learn the noise variance) or a fixed noise variance in standardised units. */
  noise: "fit" | number;
  /** Random candidates scored per proposal before local refinement. */
  candidates: number;
  /** "auto": Yeo-Johnson power transform of the standardised values, chosen by likelihood; "none": standardise only. */
  warp: "auto" | "none";
}

export const DEFAULT_GP_SETTINGS: GpSettings = {
  randomStarts: 5,
  acquisition: "ei",
  kappa: 1.96,
  xi: 0.001,
  noise: "fit",
  candidates: 300,
  warp: "auto",
};

export const GP_SETTINGS_HELP: Array<{ name: string; default: string; help: string }> = [
  { name: "random-starts", default: String(DEFAULT_GP_SETTINGS.randomStarts), help: "random trials before the model takes over" },
  { name: "acq-func", default: DEFAULT_GP_SETTINGS.acquisition, help: "acquisition: ei (expected improvement), lcb (lower confidence bound), pi (probability of improvement), hedge (a random one of the three per trial)" },
  { name: "kappa", default: String(DEFAULT_GP_SETTINGS.kappa), help: "lcb: how many standard deviations of optimism (larger explores more)" },
  { name: "xi", default: String(DEFAULT_GP_SETTINGS.xi), help: "ei/pi: minimum improvement worth taking, in standard deviations of the objective (larger explores more)" },
  { name: "noise", default: "fit", help: "fit (learn the noise level from the data; 'gaussian' is an alias) or a fixed noise variance relative to the objective's variance, e.g. 1e-6 for a deterministic objective" },
  { name: "candidates", default: String(DEFAULT_GP_SETTINGS.candidates), help: "random candidate points scored per trial before local refinement" },
  { name: "warp", default: DEFAULT_GP_SETTINGS.warp, help: "auto (power-transform skewed objectives so a few huge values do not flatten the model near the minimum) or none" },
];

/** Mutable state an ask-tell loop may keep between calls to warm-start the fit. */
export interface GpCache {
  theta?: Float64Array;
}

export function parseGpSettings(raw: Record<string, string>): Partial<GpSettings> {
  const out: Partial<GpSettings> = {};
  for (const [rawName, value] of Object.entries(raw)) {
    const name = rawName.replace(/_/g, "-").toLowerCase();
    switch (name) {
      case "random-starts":
        out.randomStarts = parseCount(rawName, value, 0);
        break;
      case "acq-func":
      case "acquisition": {
        const v = value.toLowerCase().replace("gp_hedge", "hedge");
        if (v !== "ei" && v !== "lcb" && v !== "pi" && v !== "hedge") {
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected ei, lcb, pi or hedge (e.g. --opt-flag acq-func=ei)`);
        }
        out.acquisition = v;
        break;
      }
      case "kappa":
        out.kappa = parseNonNegative(rawName, value);
        break;
      case "xi":
        out.xi = parseNonNegative(rawName, value);
        break;
      case "noise": {
        const v = value.toLowerCase();
        if (v === "fit" || v === "gaussian") out.noise = "fit";
        else {
          const n = Number(value);
          if (!Number.isFinite(n) || n <= 0) {
            throw new UsageError(`--opt-flag ${rawName}=${value}: expected fit or a positive variance (e.g. --opt-flag noise=1e-6)`);
          }
          out.noise = n;
        }
        break;
      }
      case "candidates":
        out.candidates = parseCount(rawName, value, 1);
        break;
      case "warp": {
        const v = value.toLowerCase();
        if (v !== "auto" && v !== "none") throw new UsageError(`--opt-flag ${rawName}=${value}: expected auto or none (e.g. --opt-flag warp=none)`);
        out.warp = v;
        break;
      }
      default:
        throw new UsageError(
          `unknown gp setting '${rawName}': expected one of ${GP_SETTINGS_HELP.map((h) => h.name).join(", ")} (see g run --help-optimizer gp)`,
        );
    }
  }
  return out;
}

function parseCount(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--opt-flag ${name}=${value}: expected a whole number >= ${min} (e.g. --opt-flag ${name}=5)`);
  }
  return n;
}

function parseNonNegative(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new UsageError(`--opt-flag ${name}=${value}: expected a number >= 0 (e.g. --opt-flag ${name}=0.01)`);
  }
  return n;
}

// ---------------------------------------------------------------------------
// The kernel and the model

const SQRT5 = Math.sqrt(5);

/** Matérn 5/2 correlation at scaled distance r (k(0) = 1). */
export function matern52(r: number): number {
  const s = SQRT5 * r;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

/** The kernel between two unit-cube points: variance · matern52(‖(a − b) / lengthscales‖). */
export function kernel(a: ArrayLike<number>, b: ArrayLike<number>, lengthscales: ArrayLike<number>, variance: number): number {
  let r2 = 0;
  for (let d = 0; d < lengthscales.length; d++) {
    const t = (a[d]! - b[d]!) / lengthscales[d]!;
    r2 += t * t;
  }
  return variance * matern52(Math.sqrt(r2));
}

/** Hyperparameters in log space: [log ℓ_1 .. log ℓ_D, log σf², log σn²]. */
const LOG_LS_MIN = Math.log(0.01);
const LOG_LS_MAX = Math.log(20);
const LOG_SF_MIN = Math.log(0.05);
const LOG_SF_MAX = Math.log(20);
const LOG_NOISE_MIN = Math.log(1e-6);
const LOG_NOISE_MAX = Math.log(2);
/** Best random/local candidates refined by gradient ascent on the acquisition. */
const REFINE_TOP = 2;
/** Beyond this many points the hyperparameters are refitted on every other trial only. */
const SKIP_REFIT_AFTER = 20;
/** Refit from fresh starts (not only the warm one) when the count of points is a multiple of this. */
const FRESH_FIT_EVERY = 10;
/** Diagonal jitter so the Cholesky factor exists even with near-zero noise. */
const JITTER = 1e-8;

/** Weak log-normal priors (mean, sd of the log) that keep tiny data sets sane. */
const PRIOR_LOG_LS = { mean: Math.log(0.5), sd: 1.5 };
const PRIOR_LOG_SF = { mean: 0, sd: 1.5 };
const PRIOR_LOG_NOISE = { mean: Math.log(1e-3), sd: 3 };

export interface GpModel {
  x: Float64Array[];
  lengthscales: Float64Array;
  variance: number;
  noise: number;
  L: Matrix;
  alpha: Float64Array;
  /** Inputs row-major (n × D), 1/ℓ, and a work buffer for predict. */
  xFlat: Float64Array;
  invLs: Float64Array;
  scratch: Float64Array;
}

/** Exact GP posterior with the given hyperparameters (y already standardised). */
export function fitGpFixed(x: Float64Array[], y: ArrayLike<number>, lengthscales: ArrayLike<number>, variance: number, noise: number): GpModel {
  const n = x.length;
  const K = makeMatrix(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const k = kernel(x[i]!, x[j]!, lengthscales, variance);
      K.data[i * n + j] = k;
      K.data[j * n + i] = k;
    }
    K.data[i * n + i]! += noise + JITTER;
  }
  let L = cholesky(K);
  for (let extra = 1e-6; L === null && extra < 10; extra *= 10) {
    for (let i = 0; i < n; i++) K.data[i * n + i]! += extra;
    L = cholesky(K);
  }
  if (L === null) throw new Error("gp: covariance matrix is not positive definite");
  const D = lengthscales.length;
  const xFlat = new Float64Array(n * D);
  x.forEach((row, i) => xFlat.set(row.subarray(0, D), i * D));
  return {
    x,
    lengthscales: Float64Array.from(lengthscales),
    variance,
    noise,
    L,
    alpha: cholSolve(L, y),
    xFlat,
    invLs: Float64Array.from(lengthscales, (l) => 1 / l),
    scratch: new Float64Array(n),
  };
}

export interface Prediction {
  mean: number;
  /** Posterior variance of the latent function (without observation noise). */
  variance: number;
}

export function predict(model: GpModel, u: ArrayLike<number>): Prediction {
  // The hot loop of candidate scoring: flat inputs, inverse length scales and
  // an in-place forward solve keep it allocation-free.
  const n = model.x.length;
  const D = model.lengthscales.length;
  const { xFlat, invLs, alpha } = model;
  const ks = model.scratch;
  const L = model.L.data;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    let r2 = 0;
    const base = i * D;
    for (let d = 0; d < D; d++) {
      const t = (u[d]! - xFlat[base + d]!) * invLs[d]!;
      r2 += t * t;
    }
    const sr = SQRT5 * Math.sqrt(r2);
    const k = model.variance * (1 + sr + (sr * sr) / 3) * Math.exp(-sr);
    ks[i] = k;
    mean += k * alpha[i]!;
  }
  let vv = 0;
  for (let i = 0; i < n; i++) {
    let acc = ks[i]!;
    const row = i * n;
    for (let k = 0; k < i; k++) acc -= L[row + k]! * ks[k]!;
    const v = acc / L[row + i]!;
    ks[i] = v;
    vv += v * v;
  }
  return { mean, variance: Math.max(0, model.variance - vv) };
}

/** Mean, variance and their gradients with respect to the (continuous) input. */
function predictWithGradient(model: GpModel, u: ArrayLike<number>): { mean: number; variance: number; dMean: Float64Array; dVar: Float64Array } {
  const n = model.x.length;
  const D = model.lengthscales.length;
  const ks = new Float64Array(n);
  // dk_i/du_d = -σf² (5/3)(1 + √5 r) e^{-√5 r} (u_d − x_id) / ℓ_d²
  const g = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const xi = model.x[i]!;
    let r2 = 0;
    for (let d = 0; d < D; d++) {
      const t = (u[d]! - xi[d]!) / model.lengthscales[d]!;
      r2 += t * t;
    }
    const s = SQRT5 * Math.sqrt(r2);
    const e = Math.exp(-s);
    ks[i] = model.variance * (1 + s + (s * s) / 3) * e;
    g[i] = -model.variance * (5 / 3) * (1 + s) * e;
    mean += ks[i]! * model.alpha[i]!;
  }
  const w = cholSolve(model.L, ks); // K⁻¹ k*
  let vv = 0;
  for (let i = 0; i < n; i++) vv += ks[i]! * w[i]!;
  const dMean = new Float64Array(D);
  const dVar = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    const xi = model.x[i]!;
    const ai = g[i]! * model.alpha[i]!;
    const wi = g[i]! * w[i]!;
    for (let d = 0; d < D; d++) {
      const diff = (u[d]! - xi[d]!) / (model.lengthscales[d]! * model.lengthscales[d]!);
      dMean[d]! += ai * diff;
      dVar[d]! -= 2 * wi * diff;
    }
  }
  return { mean, variance: Math.max(0, model.variance - vv), dMean, dVar };
}

// ---------------------------------------------------------------------------
// Hyperparameters by MAP: multi-start L-BFGS on the negative log posterior

interface FitData {
  n: number;
  D: number;
  y: Float64Array;
  /** Per dimension, the n×n squared differences (x_id − x_jd)². */
  diff2: Float64Array[];
  fitNoise: boolean;
  fixedLogNoise: number;
}

function prepareFit(x: Float64Array[], y: Float64Array, D: number, noise: "fit" | number): FitData {
  const n = x.length;
  const diff2: Float64Array[] = [];
  for (let d = 0; d < D; d++) {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const t = x[i]![d]! - x[j]![d]!;
        m[i * n + j] = t * t;
        m[j * n + i] = t * t;
      }
    }
    diff2.push(m);
  }
  return { n, D, y, diff2, fitNoise: noise === "fit", fixedLogNoise: noise === "fit" ? 0 : Math.log(noise) };
}

function logPrior(t: number, p: { mean: number; sd: number }): { value: number; grad: number } {
  const z = (t - p.mean) / p.sd;
  return { value: -0.5 * z * z, grad: -z / p.sd };
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
  for (let d = 0; d < D; d++) f -= logPrior(theta[d]!, PRIOR_LOG_LS).value;
  f -= logPrior(theta[D]!, PRIOR_LOG_SF).value;
  if (data.fitNoise) f -= logPrior(theta[D + 1]!, PRIOR_LOG_NOISE).value;
  return { f, grad: () => negLogPosteriorGradient(data, theta, K, G, L, alpha, sf, noise, inv2) };
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
  for (let d = 0; d < D; d++) grad[d]! -= logPrior(theta[d]!, PRIOR_LOG_LS).grad;
  grad[D]! -= logPrior(theta[D]!, PRIOR_LOG_SF).grad;
  if (data.fitNoise) grad[D + 1]! -= logPrior(theta[D + 1]!, PRIOR_LOG_NOISE).grad;
  return grad;
}

/** An objective value with its gradient on demand. */
export interface Evaluation {
  f: number;
  grad: () => Float64Array;
}

/**
 * Minimises f over the box [lo, hi] with L-BFGS, projecting every step back
 * into the box (a simple stand-in for L-BFGS-B that is good enough here).
 */
export function minimizeBox(
  fg: (x: Float64Array) => Evaluation,
  x0: Float64Array,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  maxIter: number,
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
    if (gnorm < 1e-5) break;
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

function gaussian(rng: Rng): number {
  // Box–Muller; 1 − u keeps the log argument in (0, 1].
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fits the hyperparameters to (x, y standardised) and returns the posterior. */
export function fitGp(x: Float64Array[], y: Float64Array, D: number, noise: "fit" | number, rng: Rng, cache?: GpCache): GpModel {
  const data = prepareFit(x, y, D, noise);
  const lo = new Float64Array(D + 2);
  const hi = new Float64Array(D + 2);
  for (let d = 0; d < D; d++) {
    lo[d] = LOG_LS_MIN;
    hi[d] = LOG_LS_MAX;
  }
  lo[D] = LOG_SF_MIN;
  hi[D] = LOG_SF_MAX;
  lo[D + 1] = noise === "fit" ? LOG_NOISE_MIN : data.fixedLogNoise;
  hi[D + 1] = noise === "fit" ? LOG_NOISE_MAX : data.fixedLogNoise;
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
    base[D + 1] = noise === "fit" ? Math.log(1e-2) : data.fixedLogNoise;
    starts.push(base);
    const random = new Float64Array(D + 2);
    for (let d = 0; d < D; d++) random[d] = PRIOR_LOG_LS.mean + PRIOR_LOG_LS.sd * 0.7 * gaussian(rng);
    random[D] = PRIOR_LOG_SF.mean + 0.5 * gaussian(rng);
    random[D + 1] = noise === "fit" ? Math.log(1e-4) + 2 * gaussian(rng) : data.fixedLogNoise;
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
  const ls = new Float64Array(D);
  for (let d = 0; d < D; d++) ls[d] = Math.exp(theta[d]!);
  return fitGpFixed(x, y, ls, Math.exp(theta[D]!), Math.exp(noise === "fit" ? theta[D + 1]! : data.fixedLogNoise));
}

// ---------------------------------------------------------------------------
// Output transform

function standardise(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i]! / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i]! - mean) ** 2;
  const sd = Math.sqrt(ss / n) || 1;
  return Float64Array.from(v, (t) => (t - mean) / sd);
}

/** Yeo–Johnson transform of one value (defined for any real, monotone in t). */
export function yeoJohnson(t: number, lambda: number): number {
  if (t >= 0) return Math.abs(lambda) < 1e-9 ? Math.log1p(t) : ((t + 1) ** lambda - 1) / lambda;
  return Math.abs(lambda - 2) < 1e-9 ? -Math.log1p(-t) : -((1 - t) ** (2 - lambda) - 1) / (2 - lambda);
}

const WARP_LAMBDAS = Array.from({ length: 21 }, (_, i) => -1 + i * 0.15);

/**
 * Standardised values, power-transformed when that makes them look more
 * normal (HEBO's trick): heavy right tails (a few huge losses) otherwise
 * dominate the fit and flatten the model where the minimum is. The transform
 * is monotone, so the ranking of the observations is unchanged.
 */
export function transformOutputs(values: number[], warp: "auto" | "none"): Float64Array {
  const z = standardise(values);
  if (warp === "none" || values.length < 3) return z;
  const n = z.length;
  let bestLambda = 1;
  let bestLl = -Infinity;
  for (const lambda of WARP_LAMBDAS.concat([1])) {
    const w = Float64Array.from(z, (t) => yeoJohnson(t, lambda));
    let mean = 0;
    for (let i = 0; i < n; i++) mean += w[i]! / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (w[i]! - mean) ** 2;
    if (!(ss > 0)) continue;
    let jac = 0;
    for (let i = 0; i < n; i++) jac += Math.sign(z[i]!) * Math.log1p(Math.abs(z[i]!));
    const ll = -0.5 * n * Math.log(ss / n) + (lambda - 1) * jac;
    if (ll > bestLl) {
      bestLl = ll;
      bestLambda = lambda;
    }
  }
  return standardise(Float64Array.from(z, (t) => yeoJohnson(t, bestLambda)));
}

// ---------------------------------------------------------------------------
// Acquisition

/** Expected improvement below `best` (minimisation); exactly 0 where the variance is 0 and μ ≥ best − ξ. */
export function expectedImprovement(mean: number, variance: number, best: number, xi: number): number {
  const s = Math.sqrt(variance);
  const imp = best - mean - xi;
  if (s < 1e-12) return Math.max(0, imp);
  const z = imp / s;
  return imp * normalCdf(z) + s * normalPdf(z);
}

/** Acquisition value (larger is better) and its gradient for one input. */
function acquire(
  kind: Exclude<Acquisition, "hedge">,
  model: GpModel,
  u: Float64Array,
  best: number,
  s: GpSettings,
  withGrad: boolean,
): { a: number; grad: Float64Array | null } {
  if (!withGrad) {
    const p = predict(model, u);
    return { a: acquisitionValue(kind, p.mean, p.variance, best, s), grad: null };
  }
  const p = predictWithGradient(model, u);
  const sd = Math.sqrt(p.variance);
  const D = u.length;
  const grad = new Float64Array(D);
  // da/dμ and da/dσ, then chain through σ = sqrt(var).
  let daMu: number;
  let daSd: number;
  if (kind === "lcb") {
    daMu = -1;
    daSd = s.kappa;
  } else {
    const imp = best - p.mean - s.xi;
    if (sd < 1e-12) {
      daMu = kind === "ei" && imp > 0 ? -1 : 0;
      daSd = 0;
    } else {
      const z = imp / sd;
      if (kind === "ei") {
        daMu = -normalCdf(z);
        daSd = normalPdf(z);
      } else {
        daMu = -normalPdf(z) / sd;
        daSd = (-normalPdf(z) * z) / sd;
      }
    }
  }
  const dSd = sd > 1e-12 ? 0.5 / sd : 0;
  for (let d = 0; d < D; d++) grad[d] = daMu * p.dMean[d]! + daSd * dSd * p.dVar[d]!;
  return { a: acquisitionValue(kind, p.mean, p.variance, best, s), grad };
}

function acquisitionValue(kind: Exclude<Acquisition, "hedge">, mean: number, variance: number, best: number, s: GpSettings): number {
  const sd = Math.sqrt(variance);
  if (kind === "ei") return expectedImprovement(mean, variance, best, s.xi);
  if (kind === "lcb") return -(mean - s.kappa * sd);
  const imp = best - mean - s.xi;
  if (sd < 1e-12) return imp > 0 ? 1 : 0;
  return normalCdf(imp / sd);
}

// ---------------------------------------------------------------------------
// Proposal

/**
 * The next point to evaluate, minimising the observations' values. Failed
 * observations (value null) are not modelled, and no point already tried is
 * proposed again.
 */
export function proposeGp(space: Space, history: Observation[], rng: Rng, settings?: Partial<GpSettings>, cache?: GpCache): Point {
  const s: GpSettings = { ...DEFAULT_GP_SETTINGS, ...settings };
  const enc = buildEncoding(space);
  const seen = new Set(history.map((o) => pointKey(enc, o.point)));
  const done = history.filter((o): o is { point: Point; value: number } => o.value !== null && Number.isFinite(o.value));
  if (enc.width === 0) return decodePoint(enc, new Float64Array(0));
  if (done.length < Math.max(2, s.randomStarts)) return sampleUntried(enc, seen, rng);

  const x = done.map((o) => encodePoint(enc, o.point));
  const y = transformOutputs(done.map((o) => o.value), s.warp);
  const model = fitGp(x, y, enc.width, s.noise, rng, cache);

  // Incumbent: the lowest posterior mean among the observed points, which is
  // the lowest observation for noise-free data and robust to noisy ones.
  let best = Infinity;
  const ranked: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const m = predict(model, x[i]!).mean;
    ranked.push(m);
    best = Math.min(best, m);
  }
  const kind: Exclude<Acquisition, "hedge"> =
    s.acquisition === "hedge" ? (["ei", "lcb", "pi"] as const)[Math.min(2, Math.floor(rng() * 3))] : s.acquisition;

  // Candidates: uniform over the cube, plus Gaussian perturbations of the
  // best few observations at a scale tied to the fitted length scales.
  const order = ranked.map((m, i) => [m, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  const elite = order.slice(0, Math.min(5, order.length));
  const numeric = enc.coords.filter((c) => c.kind === "numeric").map((c) => c.offset);
  // Snapping only matters for integers, q steps and choices; skip the decode round trip otherwise.
  const snap = isContinuous(enc) ? (u: Float64Array) => u : (u: Float64Array) => snapUnit(enc, u);
  const candidates: Float64Array[] = [];
  const nLocal = numeric.length > 0 ? Math.floor(s.candidates / 2) : 0;
  for (let k = 0; k < s.candidates - nLocal; k++) candidates.push(snap(sampleUnit(enc, rng)));
  for (let k = 0; k < nLocal; k++) {
    const centre = x[elite[k % elite.length]!]!;
    const scale = [0.02, 0.1, 0.3][k % 3]!;
    const c = Float64Array.from(centre);
    for (const o of numeric) c[o] = Math.min(1, Math.max(0, c[o]! + scale * Math.min(1, model.lengthscales[o]!) * gaussian(rng)));
    candidates.push(snap(c));
  }
  const scored = candidates.map((c) => ({ u: c, a: acquire(kind, model, c, best, s, false).a }));
  scored.sort((p, q) => q.a - p.a);

  // Gradient refinement of the top few over the numeric coordinates.
  const refined: Array<{ u: Float64Array; a: number }> = [];
  const lo = new Float64Array(numeric.length);
  const hi = new Float64Array(numeric.length).fill(1);
  for (const start of scored.slice(0, REFINE_TOP)) {
    if (numeric.length === 0) break;
    const base = start.u;
    const embed = (z: Float64Array): Float64Array => {
      const u = Float64Array.from(base);
      numeric.forEach((o, i) => (u[o] = z[i]!));
      return u;
    };
    const scaleA = Math.max(Math.abs(start.a), 1e-12);
    const r = minimizeBox(
      (z) => {
        const res = acquire(kind, model, embed(z), best, s, true);
        const g = new Float64Array(numeric.length);
        numeric.forEach((o, i) => (g[i] = -res.grad![o]! / scaleA));
        return { f: -res.a / scaleA, grad: () => g };
      },
      Float64Array.from(numeric, (o) => base[o]!),
      lo,
      hi,
      20,
    );
    const u = snap(embed(r.x));
    refined.push({ u, a: acquire(kind, model, u, best, s, false).a });
  }
  const all = [...refined, ...scored].sort((p, q) => q.a - p.a);
  for (const c of all) {
    const point = decodePoint(enc, c.u);
    if (!seen.has(pointKey(enc, point))) return point;
  }
  return sampleUntried(enc, seen, rng);
}
