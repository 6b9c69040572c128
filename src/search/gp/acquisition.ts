// The Gaussian-process optimizer's acquisition (EI, LCB, PI, or a random
// hedge of them) and the proposal: score many random and local candidates,
// refine the best by gradient ascent, and return the best point not yet tried.

import type { Observation, Point, Rng, Space } from "../../flags/space.js";
import {
  buildEncoding,
  decodePoint,
  encodePoint,
  pointKey,
  sampleUnit,
  sampleSpread,
  sampleUntried,
  snapUnit,
  SPREAD_CANDIDATES,
  SPREAD_MAX_FLAGS,
  type Encoding,
  isContinuous,
} from "../encode.js";
import { normalCdf, normalPdf } from "../linalg.js";
import { fitGp, gaussian, lengthscalePriorShift, minimizeBox, transformOutputs, type GpCache } from "./fit.js";
import { fitGpFixed, logEvidence, predict, predictWithGradient, type GpModel } from "./model.js";
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

/**
 * Huang et al.'s (2006) augmentation of EI for noisy objectives: the factor
 * 1 − σn / √(s² + σn²) shrinks EI where the model's own uncertainty s is
 * already small against the noise σn, so that a point next to the incumbent
 * is not sampled again and again for ever smaller gains (plain EI's failure
 * on noisy data: each repeat lowers s only a little). With a noise-free fit
 * σn ≈ 0 and the factor is 1. Returns the factor and its derivative in s².
 */
export function noiseFactor(variance: number, noise: number): { factor: number; dVar: number } {
  if (!(noise > 0)) return { factor: 1, dVar: 0 };
  const sn = Math.sqrt(noise);
  const t = variance + noise;
  return { factor: 1 - sn / Math.sqrt(t), dVar: (0.5 * sn) / (t * Math.sqrt(t)) };
}

/** Acquisition value (larger is better) and its gradient for one input. */
function acquire(
  kind: Exclude<Acquisition, "hedge">,
  model: GpModel,
  u: Float64Array,
  best: number,
  s: GpSettings,
  withGrad: boolean,
  noise: number,
): { a: number; grad: Float64Array | null } {
  if (!withGrad) {
    const p = predict(model, u);
    return { a: acquisitionValue(kind, p.mean, p.variance, best, s, noise), grad: null };
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
  let daVar = daSd * dSd;
  let scale = 1;
  if (kind === "ei" && noise > 0) {
    // d(EI · f)/dθ = f · dEI/dθ + EI · df/ds² · ds²/dθ
    const nf = noiseFactor(p.variance, noise);
    const ei = expectedImprovement(p.mean, p.variance, best, s.xi);
    scale = nf.factor;
    daMu *= scale;
    daVar = daVar * scale + ei * nf.dVar;
  }
  for (let d = 0; d < D; d++) grad[d] = daMu * p.dMean[d]! + daVar * p.dVar[d]!;
  return { a: acquisitionValue(kind, p.mean, p.variance, best, s, noise), grad };
}

function acquisitionValue(
  kind: Exclude<Acquisition, "hedge">,
  mean: number,
  variance: number,
  best: number,
  s: GpSettings,
  noise: number,
): number {
  const sd = Math.sqrt(variance);
  if (kind === "ei") return expectedImprovement(mean, variance, best, s.xi) * noiseFactor(variance, noise).factor;
  if (kind === "lcb") return -(mean - s.kappa * sd);
  const imp = best - mean - s.xi;
  if (sd < 1e-12) return imp > 0 ? 1 : 0;
  return normalCdf(imp / sd);
}

// ---------------------------------------------------------------------------
// Beliefs: the fitted model and a shorter-scaled alternative

/** One hypothesis about the objective, with its incumbent and posterior weight. */
interface Belief {
  model: GpModel;
  /** Incumbent value (standardised) the improvement is measured from. */
  best: number;
  weight: number;
}

/** Length scales of the alternative hypothesis, relative to the fitted ones. */
const SHORT_SCALE = 1 / 3;

/**
 * The fitted (MAP) model and a second one with every length scale a third as
 * long, weighted by how well each explains the data. A single MAP fit on a
 * handful of noisy values often settles on long scales and high noise ("it is
 * all flat") and then samples one edge of the box for ever; the shorter
 * hypothesis keeps the gaps between the points uncertain until the data rule
 * it out. This is a two-point version of averaging the acquisition over the
 * hyperparameters' posterior.
 */
function buildBeliefs(map: GpModel, x: Float64Array[], y: Float64Array): Belief[] {
  const short = fitGpFixed(
    x,
    y,
    Float64Array.from(map.lengthscales, (l) => l * SHORT_SCALE),
    map.variance,
    map.noise,
  );
  const lmap = logEvidence(map, y);
  const lshort = logEvidence(short, y) + lengthscalePriorShift(map.lengthscales, SHORT_SCALE);
  const wShort = 1 / (1 + Math.exp(lmap - lshort));
  const out: Belief[] = [{ model: map, best: incumbent(map, x), weight: 1 - wShort }];
  if (wShort > 1e-3) out.push({ model: short, best: incumbent(short, x), weight: wShort });
  return out;
}

/**
 * Incumbent (Huang et al.'s choice for noisy data): the posterior mean at the
 * observed point with the lowest mean + one standard deviation, which is the
 * lowest observation for noise-free data, and for noisy data a point the
 * model is sure of rather than one lucky draw.
 */
function incumbent(model: GpModel, x: Float64Array[]): number {
  let best = Infinity;
  let bestUpper = Infinity;
  for (const u of x) {
    const p = predict(model, u);
    const upper = p.mean + Math.sqrt(p.variance);
    if (upper < bestUpper) {
      bestUpper = upper;
      best = p.mean;
    }
  }
  return best;
}

function acquireAll(
  kind: Exclude<Acquisition, "hedge">,
  beliefs: Belief[],
  u: Float64Array,
  s: GpSettings,
  withGrad: boolean,
): { a: number; grad: Float64Array | null } {
  if (beliefs.length === 1) {
    const b = beliefs[0]!;
    return acquire(kind, b.model, u, b.best, s, withGrad, b.model.noise);
  }
  let a = 0;
  const grad = withGrad ? new Float64Array(u.length) : null;
  for (const b of beliefs) {
    const r = acquire(kind, b.model, u, b.best, s, withGrad, b.model.noise);
    a += b.weight * r.a;
    if (grad && r.grad) for (let d = 0; d < grad.length; d++) grad[d]! += b.weight * r.grad[d]!;
  }
  return { a, grad };
}

// ---------------------------------------------------------------------------
// Proposal

/** What `acquisition=hedge` picks from, one at random per proposal. */
const HEDGE_CHOICES = ["ei", "lcb", "pi"] as const;

/** One length scale per flag: a choice's one-hot coordinates share theirs. */
export function lengthscaleGroups(enc: Encoding): Int32Array {
  const groups = new Int32Array(enc.width);
  enc.coords.forEach((c, g) => {
    const size = c.kind === "categorical" ? c.values.length : 1;
    for (let i = 0; i < size; i++) groups[c.offset + i] = g;
  });
  return groups;
}

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
  if (done.length < Math.max(2, s.randomStarts))
    return sampleSpread(
      enc,
      history.map((o) => o.point),
      seen,
      rng,
      enc.coords.length <= SPREAD_MAX_FLAGS ? SPREAD_CANDIDATES : 1,
    );

  const x = done.map((o) => encodePoint(enc, o.point));
  const y = transformOutputs(
    done.map((o) => o.value),
    s.warp,
  );
  const model = fitGp(x, y, enc.width, s.noise, rng, cache, lengthscaleGroups(enc));

  const beliefs = buildBeliefs(model, x, y);
  const ranked = x.map((u) => predict(model, u).mean);
  const kind: Exclude<Acquisition, "hedge"> =
    s.acquisition === "hedge" ? HEDGE_CHOICES[Math.min(2, Math.floor(rng() * 3))]! : s.acquisition;

  // Candidates: uniform over the cube, plus Gaussian perturbations of the
  // best few observations at a scale tied to the fitted length scales.
  const order = ranked
    .map((m, i) => [m, i] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, i]) => i);
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
  const scored = candidates.map((c) => ({ u: c, a: acquireAll(kind, beliefs, c, s, false).a }));
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
        const res = acquireAll(kind, beliefs, embed(z), s, true);
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
    refined.push({ u, a: acquireAll(kind, beliefs, u, s, false).a });
  }
  const all = [...refined, ...scored].sort((p, q) => q.a - p.a);
  for (const c of all) {
    const point = decodePoint(enc, c.u);
    if (!seen.has(pointKey(enc, point))) return point;
  }
  return sampleUntried(enc, seen, rng);
}
