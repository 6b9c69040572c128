// Logs of the normal distribution's tails for the log-scale acquisitions:
// log Φ(z), log h(z) of expected improvement, and the Mills ratio they use
// where Φ itself would round to 0 or to 1.

import { normalCdf, normalPdf } from "../linalg.js";

/**
 * Below this z, h(z) = φ(z) + zΦ(z) and Φ(z) come from the Mills ratio rather
 * than from Φ itself: the sum cancels, and Φ's approximation (relative error
 * ~1e-7) would leave the log of h with errors of ~1e-4 and worse further out.
 */
const TAIL_BELOW = -3;
/** Terms of the continued fraction for the Mills ratio (converged to ~1e-12 for |z| ≥ 3). */
const MILLS_TERMS = 60;
export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Mills ratio Φ(−x)/φ(x) for x > 0 by Laplace's continued fraction 1/(x + 1/(x + 2/(x + 3/(x + …)))). */
export function millsRatio(x: number): number {
  let t = x;
  for (let k = MILLS_TERMS; k >= 1; k--) t = x + k / t;
  return 1 / t;
}

/**
 * log h(z) with h(z) = φ(z) + zΦ(z) (EI = s · h(z)), and d log h / dz =
 * Φ(z) / h(z). Far below the incumbent h underflows long before its log
 * does, and plain EI is then flat zero to the refinement: the log keeps a
 * gradient that points back towards promise (Ament et al., 2023, "LogEI").
 */
export function logH(z: number): { value: number; slope: number } {
  if (z >= TAIL_BELOW) {
    const cdf = normalCdf(z);
    const h = normalPdf(z) + z * cdf;
    return { value: Math.log(h), slope: cdf / h };
  }
  // With r = Φ(z)/φ(z): h/φ = 1 + z·r, and the slope is r / (1 + z·r).
  const r = millsRatio(-z);
  const hOverPdf = 1 + z * r;
  return { value: -0.5 * z * z - LOG_SQRT_2PI + Math.log(hOverPdf), slope: r / hOverPdf };
}

/** log Φ(z) and its slope φ(z)/Φ(z), from the Mills ratio in the lower tail. */
export function logCdf(z: number): { value: number; slope: number } {
  if (z >= TAIL_BELOW) {
    const cdf = normalCdf(z);
    return { value: Math.log(cdf), slope: normalPdf(z) / cdf };
  }
  const r = millsRatio(-z);
  return { value: -0.5 * z * z - LOG_SQRT_2PI + Math.log(r), slope: 1 / r };
}
