// The Gaussian-process optimizer's acquisition (EI, LCB, PI, or a random
// hedge of them) and the proposal: score many random and local candidates,
// refine the best by gradient ascent, and return the best point not yet tried.

import type { Observation, Point, Rng, Space } from "../../flags/space.js";
import { buildEncoding, decodePoint, encodePoint, pointKey, sampleUnit, sampleUntried, snapUnit, isContinuous } from "../encode.js";
import { normalCdf, normalPdf } from "../linalg.js";
import { fitGp, gaussian, minimizeBox, transformOutputs, type GpCache } from "./fit.js";
import { predict, predictWithGradient, type GpModel } from "./model.js";
import { DEFAULT_GP_SETTINGS, type Acquisition, type GpSettings } from "./settings.js";

/** Best random/local candidates refined by gradient ascent on the acquisition. */
const REFINE_TOP = 2;

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
