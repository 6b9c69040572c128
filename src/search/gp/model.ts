// The Gaussian-process model: the Matérn 5/2 ARD kernel on the unit cube and
// the exact posterior (mean and latent variance, with input gradients for the
// acquisition's refinement) for given hyperparameters.

import { cholesky, cholSolve, makeMatrix, type Matrix } from "../linalg.js";

export const SQRT5 = Math.sqrt(5);

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

/** Diagonal jitter so the Cholesky factor exists even with near-zero noise. */
export const JITTER = 1e-8;

export interface GpModel {
  x: Float64Array[];
  lengthscales: Float64Array;
  variance: number;
  noise: number;
  L: Matrix;
  alpha: Float64Array;
  /** Inputs row-major (n × D), 1/ℓ, and work buffers for predict (n) and predictWithGradient (3n). */
  xFlat: Float64Array;
  invLs: Float64Array;
  scratch: Float64Array;
  gradScratch: Float64Array;
}

/** Exact GP posterior with the given hyperparameters (y already standardised). */
export function fitGpFixed(
  x: Float64Array[],
  y: ArrayLike<number>,
  lengthscales: ArrayLike<number>,
  variance: number,
  noise: number,
): GpModel {
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
    gradScratch: new Float64Array(3 * n),
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
export function predictWithGradient(
  model: GpModel,
  u: ArrayLike<number>,
): { mean: number; variance: number; dMean: Float64Array; dVar: Float64Array } {
  // The refinement's hot loop (tens of thousands of calls per proposal with
  // hyperparameter samples): work buffers kept with the model, so it
  // allocates only the two gradients it returns.
  const n = model.x.length;
  const D = model.lengthscales.length;
  const { xFlat, alpha } = model;
  const ls = model.lengthscales;
  const L = model.L.data;
  const buf = model.gradScratch;
  const ks = buf.subarray(0, n);
  // dk_i/du_d = -σf² (5/3)(1 + √5 r) e^{-√5 r} (u_d − x_id) / ℓ_d²
  const g = buf.subarray(n, 2 * n);
  const w = buf.subarray(2 * n, 3 * n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    let r2 = 0;
    const base = i * D;
    for (let d = 0; d < D; d++) {
      const t = (u[d]! - xFlat[base + d]!) / ls[d]!;
      r2 += t * t;
    }
    const s = SQRT5 * Math.sqrt(r2);
    const e = Math.exp(-s);
    ks[i] = model.variance * (1 + s + (s * s) / 3) * e;
    g[i] = -model.variance * (5 / 3) * (1 + s) * e;
    mean += ks[i]! * alpha[i]!;
  }
  // w = K⁻¹ k*: forward solve into w, then back solve in place (the same
  // arithmetic as cholSolve, so results do not move with the buffers).
  for (let i = 0; i < n; i++) {
    let acc = ks[i]!;
    const row = i * n;
    for (let k = 0; k < i; k++) acc -= L[row + k]! * w[k]!;
    w[i] = acc / L[row + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let acc = w[i]!;
    for (let k = i + 1; k < n; k++) acc -= L[k * n + i]! * w[k]!;
    w[i] = acc / L[i * n + i]!;
  }
  let vv = 0;
  for (let i = 0; i < n; i++) vv += ks[i]! * w[i]!;
  const dMean = new Float64Array(D);
  const dVar = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    const ai = g[i]! * alpha[i]!;
    const wi = g[i]! * w[i]!;
    const base = i * D;
    for (let d = 0; d < D; d++) {
      const diff = (u[d]! - xFlat[base + d]!) / (ls[d]! * ls[d]!);
      dMean[d]! += ai * diff;
      dVar[d]! -= 2 * wi * diff;
    }
  }
  return { mean, variance: Math.max(0, model.variance - vv), dMean, dVar };
}

/** log p(y | hyperparameters) of a fitted model: −½ yᵀK⁻¹y − ½ log|K| − (n/2) log 2π. */
export function logEvidence(model: GpModel, y: ArrayLike<number>): number {
  const n = model.x.length;
  let fit = 0;
  for (let i = 0; i < n; i++) fit += y[i]! * model.alpha[i]!;
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += 2 * Math.log(model.L.data[i * n + i]!);
  return -0.5 * (fit + logDet + n * Math.log(2 * Math.PI));
}
