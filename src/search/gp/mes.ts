// Max-value entropy search (Wang & Jegelka 2017, "MES"), gp's opt-in
// `acq-func=mes`: a trial is worth what it tells about the objective's
// minimum VALUE y*, averaged over a few samples of y*, rather than how much
// it may improve on the incumbent (EI). Samples of y* come from a Gumbel
// fitted to the minimum of the posterior over the candidate set (the paper's
// approximation) or, with `mes-max=draws`, from joint posterior draws on the
// most promising candidates. The information is about the noisy observation
// the trial will give, in GIBBON's closed form (Moss et al. 2021), with the
// noise the model fits; Wang & Jegelka's noise-free form is kept for a noise
// of exactly 0.

import type { Rng } from "../../flags/space.js";
import { cholesky, makeMatrix } from "../linalg.js";
import { gaussian } from "./fit.js";
import { predict, kernel, type GpModel } from "./model.js";
import { LOG_SQRT_2PI, logCdf, millsRatio } from "./normal-tail.js";

/** Above this γ the upper tail Q = 1 − Φ(γ) comes from the Mills ratio, so that −log Φ(γ) keeps its digits. */
const UPPER_TAIL_FROM = 3;
/** Bisection steps for each quantile of y* (the bracket, a few posterior standard deviations, shrinks by 2⁻³²). */
const QUANTILE_STEPS = 32;
/** Points whose joint posterior `mes-max=draws` samples (the most promising candidates and trials). */
export const JOINT_POINTS = 128;

/** A Gumbel distribution for the minimum: Pr[y* ≤ m] = 1 − exp(−exp((m − location) / scale)). */
export interface MinValueGumbel {
  location: number;
  scale: number;
}

/** log(−log(1 − q)) at the quartiles the fit matches: m_q = location + scale · this. */
const GUMBEL_Q25 = Math.log(-Math.log(0.75));
const GUMBEL_Q50 = Math.log(Math.log(2));
const GUMBEL_Q75 = Math.log(-Math.log(0.25));

/** Standard deviations below this are taken as this (y*'s bisection divides by them). */
const MIN_SD = 1e-9;

/** Above this z, log Φ(z) > −1e-16: a point this far above y adds nothing to the sum. */
const NEGLIGIBLE_Z = 8.3;

/** log Pr[y* > y] when the points are independent: Σ log Φ((μᵢ − y) / sᵢ). */
function logSurvival(means: ArrayLike<number>, sds: ArrayLike<number>, y: number): number {
  let sum = 0;
  for (let i = 0; i < means.length; i++) {
    const z = (means[i]! - y) / sds[i]!;
    if (z < NEGLIGIBLE_Z) sum += logCdf(z).value;
  }
  return sum;
}

/**
 * Wang & Jegelka's Gumbel for the minimum over a finite set of points with
 * posterior means and standard deviations (the points taken as independent):
 * the quartiles of Pr[y* > y] = Π Φ((μᵢ − y) / sᵢ), found by bisection, fix
 * the Gumbel's location and scale. Independence makes y* lower than the
 * correlated truth, i.e. a little more exploring.
 */
export function fitMinValueGumbel(means: ArrayLike<number>, sds: ArrayLike<number>): MinValueGumbel {
  let minMean = Infinity;
  let maxSd = 0;
  for (let i = 0; i < means.length; i++) {
    minMean = Math.min(minMean, means[i]!);
    maxSd = Math.max(maxSd, sds[i]!);
  }
  const step = Math.max(maxSd, 1e-6);
  // Pr[y* > minMean] ≤ 1/2, so the median lies below minMean; the bracket is widened until it holds all three quartiles.
  let lo = minMean - 6 * step;
  while (logSurvival(means, sds, lo) < Math.log(0.75)) lo -= 6 * step;
  let hi = minMean;
  while (logSurvival(means, sds, hi) > Math.log(0.25)) hi += step;
  const quantile = (q: number): number => {
    const target = Math.log(1 - q);
    let a = lo;
    let b = hi;
    for (let k = 0; k < QUANTILE_STEPS; k++) {
      const mid = 0.5 * (a + b);
      if (logSurvival(means, sds, mid) > target) a = mid;
      else b = mid;
    }
    return 0.5 * (a + b);
  };
  const m25 = quantile(0.25);
  const m50 = quantile(0.5);
  const m75 = quantile(0.75);
  const scale = Math.max((m75 - m25) / (GUMBEL_Q75 - GUMBEL_Q25), 1e-12);
  return { location: m50 - scale * GUMBEL_Q50, scale };
}

/**
 * `count` samples of y* from the Gumbel, stratified (one uniform draw in each
 * of `count` equal slices of probability) so that ten samples already span
 * the distribution.
 */
export function sampleGumbelMin(g: MinValueGumbel, count: number, rng: Rng): Float64Array {
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const u = Math.min(1 - 1e-12, Math.max(1e-12, (k + rng()) / count));
    // Pr[y* ≤ m] = u  ⇔  m = location + scale · log(−log(1 − u)).
    out[k] = g.location + g.scale * Math.log(-Math.log(1 - u));
  }
  return sortDescending(out);
}

/** Highest first: mesScore relies on it to stop at the samples that no longer count. */
function sortDescending(values: Float64Array): Float64Array {
  return values.sort().reverse();
}

/** The posterior's means and standard deviations at the points (the latent function, without noise). */
export function predictAll(model: GpModel, points: Float64Array[]): { means: Float64Array; sds: Float64Array } {
  const means = new Float64Array(points.length);
  const sds = new Float64Array(points.length);
  points.forEach((u, i) => {
    const p = predict(model, u);
    means[i] = p.mean;
    sds[i] = Math.max(MIN_SD, Math.sqrt(p.variance));
  });
  return { means, sds };
}

/**
 * y* from joint posterior draws: the JOINT_POINTS points with the lowest
 * μ − 2s, their joint posterior (correlations kept, unlike the Gumbel's
 * independence), and the minimum of each of `count` draws.
 */
export function sampleJointMin(model: GpModel, points: Float64Array[], count: number, rng: Rng): Float64Array {
  const { means, sds } = predictAll(model, points);
  const order = Array.from(points.keys()).sort((a, b) => means[a]! - 2 * sds[a]! - (means[b]! - 2 * sds[b]!));
  const chosen = order.slice(0, Math.min(JOINT_POINTS, order.length)).map((i) => points[i]!);
  const m = chosen.length;
  const n = model.x.length;
  const L = model.L.data;
  // V = L⁻¹ K(x, chosen): the posterior covariance is K(chosen, chosen) − VᵀV.
  const v = chosen.map((u) => {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let acc = kernel(u, model.x[i]!, model.lengthscales, model.variance);
      for (let k = 0; k < i; k++) acc -= L[i * n + k]! * col[k]!;
      col[i] = acc / L[i * n + i]!;
    }
    return col;
  });
  const cov = makeMatrix(m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b <= a; b++) {
      let c = kernel(chosen[a]!, chosen[b]!, model.lengthscales, model.variance);
      const va = v[a]!;
      const vb = v[b]!;
      for (let i = 0; i < n; i++) c -= va[i]! * vb[i]!;
      cov.data[a * m + b] = c;
      cov.data[b * m + a] = c;
    }
  }
  // Near-duplicate candidates make the covariance singular: jitter grows until it factors.
  let chol = null;
  for (let jitter = 1e-10 * model.variance; chol === null && jitter < model.variance; jitter *= 10) {
    const c = makeMatrix(m);
    c.data.set(cov.data);
    for (let a = 0; a < m; a++) c.data[a * m + a]! += jitter;
    chol = cholesky(c);
  }
  const mu = chosen.map((u) => predict(model, u).mean);
  const out = new Float64Array(count);
  const z = new Float64Array(m);
  for (let k = 0; k < count; k++) {
    for (let a = 0; a < m; a++) z[a] = gaussian(rng);
    let min = Infinity;
    for (let a = 0; a < m; a++) {
      let f = mu[a]!;
      if (chol) for (let b = 0; b <= a; b++) f += chol.data[a * m + b]! * z[b]!;
      else f += Math.sqrt(Math.max(0, cov.data[a * m + a]!)) * z[a]!;
      min = Math.min(min, f);
    }
    out[k] = min;
  }
  return sortDescending(out);
}

/** One sample's information and the slopes of its log in γ and in ρ². */
interface SampleInfo {
  logValue: number;
  dGamma: number;
  dRho2: number;
}

/**
 * Wang & Jegelka's information about y* from a noise-free observation at a
 * point whose posterior is N(μ, s²), for one sample y* (minimisation):
 * α = γ r / 2 − log Φ(γ), γ = (μ − y*) / s, r = φ(γ) / Φ(γ): the entropy of
 * f minus that of f truncated to f ≥ y*. Returned as log α with its slope,
 * computed so that neither underflows where α is tiny (γ large).
 */
export function mesNoiseFree(gamma: number): SampleInfo {
  if (gamma >= UPPER_TAIL_FROM) {
    // Q = 1 − Φ(γ) = φ(γ) M(γ); α = φ(γ) · B with B = γ / (2(1 − Q)) + M · (−log(1 − Q) / Q).
    const mills = millsRatio(gamma);
    const logPdf = -0.5 * gamma * gamma - LOG_SQRT_2PI;
    const q = Math.exp(logPdf) * mills;
    const ratio = q > 1e-12 ? -Math.log1p(-q) / q : 1 + q / 2;
    const B = gamma / (2 * (1 - q)) + mills * ratio;
    const r = Math.exp(logPdf) / (1 - q);
    return { logValue: logPdf + Math.log(B), dGamma: -(1 + gamma * gamma + gamma * r) / (2 * (1 - q) * B), dRho2: 0 };
  }
  const lc = logCdf(gamma);
  const r = lc.slope;
  const alpha = 0.5 * gamma * r - lc.value;
  return { logValue: Math.log(alpha), dGamma: (-0.5 * r * (1 + gamma * gamma + gamma * r)) / alpha, dRho2: 0 };
}

/**
 * GIBBON's single-point form (Moss et al. 2021) for a noisy observation
 * y = f + ε: α = −½ log(1 − ρ² r (γ + r)), ρ² = s² / (s² + σn²) the share of
 * y's variance that is f's. It is the entropy of y less that of a normal
 * with the variance y has when f ≥ y* (a lower bound on the information):
 * near a tried point, where s² is small against the noise, ρ² is small and
 * another trial tells little, so a noisy objective does not pile its
 * trials on the incumbent (what Huang's factor does for EI).
 */
export function mesNoisy(gamma: number, rho2: number): SampleInfo {
  let logR: number;
  let r: number;
  if (gamma >= UPPER_TAIL_FROM) {
    const q = millsRatio(gamma) * Math.exp(-0.5 * gamma * gamma - LOG_SQRT_2PI);
    logR = -0.5 * gamma * gamma - LOG_SQRT_2PI - Math.log1p(-q);
    r = Math.exp(logR);
  } else {
    const lc = logCdf(gamma);
    r = lc.slope;
    logR = Math.log(r);
  }
  // h = r(γ + r) is 1 minus the truncated normal's variance factor; γ + r > 0 always.
  const g = gamma + r;
  const h = Math.min(1, r * g);
  // d log h/dγ = r'/r + (1 + r')/(γ + r) with r' = −r(γ + r); r'/r written out, as r may underflow.
  const dLogH = -g + (1 - r * g) / g;
  const t = rho2 * h;
  const D = Math.max(1 - t, 1e-300);
  const psi = t > 1e-12 ? -Math.log1p(-Math.min(t, 1 - 1e-16)) / t : 1 + t / 2;
  // α = ½ t ψ(t), in logs so that a tiny α keeps its slope.
  const logValue = Math.log(0.5) + Math.log(rho2) + logR + Math.log(g) + Math.log(psi);
  return { logValue, dGamma: dLogH / (D * psi), dRho2: 1 / (rho2 * D * psi) };
}

/** The MES score and its derivatives in the posterior mean and variance, as acquisitionScore returns them. */
export interface MesScore {
  value: number;
  dMean: number;
  dVar: number;
}

/** A sample whose log information is this far below the largest adds less than e⁻³⁶ to the mean: the rest are skipped. */
const NEGLIGIBLE_LOG = 36;

/**
 * log of the information averaged over the samples of y* (log-sum-exp), with
 * its derivatives in μ and s². `minValues` must be sorted highest first (as
 * the samplers return them): the information falls as y* falls, so the
 * loop stops at the first sample that no longer counts. `noise` is the
 * noise variance the score counts (0: the noise-free form).
 */
export function mesScore(mean: number, variance: number, minValues: ArrayLike<number>, noise: number): MesScore {
  const sd = Math.max(MIN_SD, Math.sqrt(variance));
  const v = sd * sd;
  const rho2 = noise > 0 ? v / (v + noise) : 1;
  const dRho2dVar = noise > 0 ? noise / ((v + noise) * (v + noise)) : 0;
  const K = minValues.length;
  // Running log-sum-exp, rescaled when a larger term arrives (the first is the largest when sorted).
  let max = -Infinity;
  let sum = 0;
  let dMean = 0;
  let dVar = 0;
  for (let k = 0; k < K; k++) {
    const gamma = (mean - minValues[k]!) / sd;
    const info = noise > 0 ? mesNoisy(gamma, rho2) : mesNoiseFree(gamma);
    if (info.logValue < max - NEGLIGIBLE_LOG) break;
    const dm = info.dGamma / sd;
    // dγ/ds² = −γ / (2 s²)
    const dv = (info.dGamma * -gamma) / (2 * v) + info.dRho2 * dRho2dVar;
    if (info.logValue > max) {
      const shrink = Math.exp(max - info.logValue);
      sum *= shrink;
      dMean *= shrink;
      dVar *= shrink;
      max = info.logValue;
    }
    const w = Math.exp(info.logValue - max);
    sum += w;
    dMean += w * dm;
    dVar += w * dv;
  }
  return { value: max + Math.log(sum / K), dMean: dMean / sum, dVar: dVar / sum };
}
