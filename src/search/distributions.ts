// Draws from numpy's distributions with a seeded Rng, so that a Grid.ai flag
// such as `--lr "gamma(2, 0.5, 3)"` gets values with the distribution numpy
// would give (not numpy's exact numbers: its bit generator is not ours), and
// the same seed gives the same values. Standard algorithms: Box–Muller
// normals, Marsaglia–Tsang gamma, Jöhnk / gamma-ratio beta, Knuth's
// multiplication and Hörmann's PTRS for Poisson, Knuth's beta splitting for
// the binomial, and numpy's own rejection loops for zipf, logseries, von
// Mises and Wald. Parameters are checked by the caller (flags/numpy-draws.ts).

import type { Rng } from "../flags/space.js";

/** Below this mean, Poisson draws multiply uniforms (Knuth); above it, PTRS (as numpy switches at 10). */
const POISSON_PTRS_MIN_LAM = 10;
/** Binomials with at most this many trials count Bernoulli draws; larger ones are split by a beta draw first. */
const BINOMIAL_DIRECT_MAX_N = 40;
/** numpy's von Mises switches to a wrapped normal for kappa above this. */
const VONMISES_WRAPPED_NORMAL_KAPPA = 1e6;

/** A uniform number in (0, 1]: safe under a log. */
function drawOpenUniform(rng: Rng): number {
  return 1 - rng();
}

/** A standard normal number (Box–Muller); 1 - rng() keeps the log's argument above 0. */
export function drawStandardNormal(rng: Rng): number {
  const u1 = drawOpenUniform(rng);
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export function drawStandardExponential(rng: Rng): number {
  return -Math.log(drawOpenUniform(rng));
}

/** Gamma(shape, 1): Marsaglia–Tsang for shape ≥ 1, boosted by U^(1/shape) below 1. */
export function drawStandardGamma(shape: number, rng: Rng): number {
  if (shape === 0) return 0;
  if (shape < 1) return drawStandardGamma(shape + 1, rng) * rng() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = drawStandardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b): Jöhnk's algorithm when both are at most 1 (gammas underflow there), else a ratio of gammas. */
export function drawBeta(a: number, b: number, rng: Rng): number {
  if (a <= 1 && b <= 1) {
    for (;;) {
      const u = rng();
      const v = rng();
      const x = u ** (1 / a);
      const y = v ** (1 / b);
      const sum = x + y;
      if (sum <= 1 && u + v > 0) {
        if (sum > 0) return x / sum;
        // Both powers underflowed: compare them in log space.
        let logX = Math.log(u) / a;
        let logY = Math.log(v) / b;
        const logM = Math.max(logX, logY);
        logX -= logM;
        logY -= logM;
        return Math.exp(logX - Math.log(Math.exp(logX) + Math.exp(logY)));
      }
    }
  }
  const x = drawStandardGamma(a, rng);
  const y = drawStandardGamma(b, rng);
  return x / (x + y);
}

export function drawChisquare(df: number, rng: Rng): number {
  return 2 * drawStandardGamma(df / 2, rng);
}

export function drawNoncentralChisquare(df: number, nonc: number, rng: Rng): number {
  if (nonc === 0) return drawChisquare(df, rng);
  if (df > 1) {
    const normal = drawStandardNormal(rng) + Math.sqrt(nonc);
    return drawChisquare(df - 1, rng) + normal * normal;
  }
  // A Poisson mixture of central chi-squares, numpy's way for df ≤ 1.
  const i = drawPoisson(nonc / 2, rng);
  return drawChisquare(df + 2 * i, rng);
}

export function drawStandardT(df: number, rng: Rng): number {
  const num = drawStandardNormal(rng);
  const denom = drawStandardGamma(df / 2, rng);
  return (Math.sqrt(df / 2) * num) / Math.sqrt(denom);
}

/** Wald (inverse Gaussian), Michael–Schucany–Haas as numpy does it. */
export function drawWald(mean: number, scale: number, rng: Rng): number {
  const mu2l = mean / (2 * scale);
  const n = drawStandardNormal(rng);
  const y = mean * n * n;
  const x = mean + mu2l * (y - Math.sqrt(4 * scale * y + y * y));
  return rng() <= mean / (mean + x) ? x : (mean * mean) / x;
}

/** Von Mises on [-pi, pi]: Best–Fisher rejection (numpy's loop). */
export function drawVonmises(mu: number, kappa: number, rng: Rng): number {
  if (kappa < 1e-8) return Math.PI * (2 * rng() - 1);
  let result: number;
  if (kappa > VONMISES_WRAPPED_NORMAL_KAPPA) {
    result = mu + Math.sqrt(1 / kappa) * drawStandardNormal(rng);
  } else {
    let s: number;
    if (kappa < 1e-5) s = 1 / kappa + kappa;
    else {
      const r = 1 + Math.sqrt(1 + 4 * kappa * kappa);
      const rho = (r - Math.sqrt(2 * r)) / (2 * kappa);
      s = (1 + rho * rho) / (2 * rho);
    }
    let w: number;
    for (;;) {
      const z = Math.cos(Math.PI * rng());
      w = (1 + s * z) / (s + z);
      const y = kappa * (s - w);
      const v = rng();
      if (y * (2 - y) - v >= 0 || Math.log(y / v) + 1 - y >= 0) break;
    }
    result = Math.acos(w) * (rng() < 0.5 ? -1 : 1) + mu;
  }
  // Wrap into [-pi, pi], keeping the sign as numpy does.
  const wrapped = ((Math.abs(result) + Math.PI) % (2 * Math.PI)) - Math.PI;
  return result < 0 ? -wrapped : wrapped;
}

/** Poisson(lam): Knuth's multiplication for small means, Hörmann's PTRS transformed rejection above. */
export function drawPoisson(lam: number, rng: Rng): number {
  if (lam === 0) return 0;
  if (lam < POISSON_PTRS_MIN_LAM) {
    const limit = Math.exp(-lam);
    let k = 0;
    let prod = rng();
    while (prod > limit) {
      k++;
      prod *= rng();
    }
    return k;
  }
  const slam = Math.sqrt(lam);
  const loglam = Math.log(lam);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng() - 0.5;
    const v = rng();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lam + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - logGamma(k + 1)) return k;
  }
}

/**
 * Binomial(n, p), exactly: while n is large, the a-th smallest of n uniforms
 * (a beta draw) splits the trials into those below it and those above it
 * (Knuth, TAOCP 3.4.1), then the few left are counted one by one.
 */
export function drawBinomial(n: number, p: number, rng: Rng): number {
  let count = 0;
  let trials = n;
  let prob = p;
  while (trials > BINOMIAL_DIRECT_MAX_N && prob > 0 && prob < 1) {
    const a = 1 + Math.floor(trials / 2);
    const b = trials + 1 - a;
    const x = drawBeta(a, b, rng);
    if (x >= prob) {
      trials = a - 1;
      prob /= x;
    } else {
      count += a;
      trials = b - 1;
      prob = (prob - x) / (1 - x);
    }
  }
  if (prob >= 1) return count + trials;
  for (let i = 0; i < trials; i++) if (rng() < prob) count++;
  return count;
}

/** Negative binomial(n, p): failures before the n-th success, as a gamma–Poisson mixture. */
export function drawNegativeBinomial(n: number, p: number, rng: Rng): number {
  if (p === 1) return 0;
  return drawPoisson(drawStandardGamma(n, rng) * ((1 - p) / p), rng);
}

/** Geometric(p): the number of trials up to the first success (1, 2, ...). */
export function drawGeometric(p: number, rng: Rng): number {
  if (p === 1) return 1;
  return Math.max(1, Math.ceil(Math.log(drawOpenUniform(rng)) / Math.log1p(-p)));
}

/**
 * Hypergeometric: inversion of the probability mass, searched outward from
 * the mode, so the work grows with the spread of the result and not with
 * nsample (numpy allows 10^9 items).
 */
export function drawHypergeometric(ngood: number, nbad: number, nsample: number, rng: Rng): number {
  const total = ngood + nbad;
  const kmin = Math.max(0, nsample - nbad);
  const kmax = Math.min(nsample, ngood);
  if (kmin === kmax) return kmin;
  const mode = Math.min(kmax, Math.max(kmin, Math.floor(((nsample + 1) * (ngood + 1)) / (total + 2))));
  const logChoose = (n: number, k: number) => logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
  const pmode = Math.exp(logChoose(ngood, mode) + logChoose(nbad, nsample - mode) - logChoose(total, nsample));
  // pmf(k + 1) / pmf(k)
  const ratio = (k: number) => ((ngood - k) * (nsample - k)) / ((k + 1) * (nbad - nsample + k + 1));
  let u = rng() - pmode;
  if (u < 0) return mode;
  let lo = mode;
  let hi = mode;
  let plo = pmode;
  let phi = pmode;
  while (lo > kmin || hi < kmax) {
    if (hi < kmax) {
      phi *= ratio(hi);
      hi++;
      u -= phi;
      if (u < 0) return hi;
    }
    if (lo > kmin) {
      plo /= ratio(lo - 1);
      lo--;
      u -= plo;
      if (u < 0) return lo;
    }
  }
  return mode; // rounding left a sliver of probability: give it to the mode
}

/** Log-series(p), Kemp's algorithm as numpy writes it. */
export function drawLogseries(p: number, rng: Rng): number {
  if (p === 0) return 1;
  const r = Math.log1p(-p);
  for (;;) {
    const v = rng();
    if (v >= p) return 1;
    const q = -Math.expm1(r * rng());
    if (v <= q * q) {
      const result = Math.floor(1 + Math.log(v) / Math.log(q));
      if (result < 1 || v === 0) continue;
      return result;
    }
    return v >= q ? 1 : 2;
  }
}

/** Zipf(a), numpy's rejection loop; values beyond exact integers are drawn again. */
export function drawZipf(a: number, rng: Rng): number {
  const am1 = a - 1;
  const b = 2 ** am1;
  for (;;) {
    const u = drawOpenUniform(rng);
    const v = rng();
    const x = Math.floor(u ** (-1 / am1));
    if (x > Number.MAX_SAFE_INTEGER || x < 1) continue;
    const t = (1 + 1 / x) ** am1;
    if ((v * x * (t - 1)) / (b - 1) <= t / b) return x;
  }
}

/** Triangular(left, mode, right) by inverting its distribution function. */
export function drawTriangular(left: number, mode: number, right: number, rng: Rng): number {
  const base = right - left;
  const leftBase = mode - left;
  const ratio = leftBase / base;
  const u = rng();
  if (u <= ratio) return left + Math.sqrt(u * leftBase * base);
  return right - Math.sqrt((1 - u) * (right - mode) * base);
}

/** A whole number in [low, high). */
export function drawInteger(low: number, high: number, rng: Rng): number {
  return low + Math.floor(rng() * (high - low));
}

/**
 * numpy's choice: `size` items of `values`, with probabilities `p` (null:
 * equal), with or without replacement (without: each pick is removed and the
 * rest renormalised).
 */
export function drawChoices<T>(values: readonly T[], size: number, replace: boolean, p: readonly number[] | null, rng: Rng): T[] {
  const weights = p ? [...p] : values.map(() => 1);
  const pool = values.map((_, i) => i);
  const out: T[] = [];
  for (let n = 0; n < size; n++) {
    const total = pool.reduce((s, i) => s + weights[i]!, 0);
    let target = rng() * total;
    let at = pool.length - 1;
    for (let j = 0; j < pool.length; j++) {
      target -= weights[pool[j]!]!;
      if (target < 0) {
        at = j;
        break;
      }
    }
    // Zero-weight items are never chosen, even at the end of the scan.
    while (at > 0 && weights[pool[at]!] === 0) at--;
    out.push(values[pool[at]!]!);
    if (!replace) pool.splice(at, 1);
  }
  return out;
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
