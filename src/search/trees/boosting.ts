// The gradient-boosted quantile regressor of `--optimizer gbrt`
// (scikit-optimize's gbrt_minimize with GradientBoostingQuantileRegressor):
// one boosted model per quantile (0.16, 0.5, 0.84 by default). Each stage
// fits a shallow tree to the quantile loss's gradient (the sign of each
// residual, weighted α or α − 1) and then sets each leaf to the α-quantile
// of the residuals that fall in it, as Friedman's algorithm does for the
// quantile loss. The median is the belief, and half the distance between the
// outer quantiles its spread (one standard deviation for a normal). The
// three predictions are sorted at each point, so crossed quantile models
// never give a negative spread. Pure and deterministic.

import { fitTree, predictTree, sortByFeature, type Tree } from "./tree.js";
import type { Belief } from "./forest.js";

export interface BoostingOptions {
  /** Boosting stages per quantile. */
  stages: number;
  learningRate: number;
  maxDepth: number;
  minSamplesLeaf: number;
  /** Quantiles, lowest first; the middle one is the belief. */
  quantiles: [number, number, number];
}

/** scikit-learn's GradientBoostingRegressor defaults, as scikit-optimize uses them. */
export const DEFAULT_BOOSTING: BoostingOptions = {
  stages: 100,
  learningRate: 0.1,
  maxDepth: 3,
  minSamplesLeaf: 1,
  quantiles: [0.16, 0.5, 0.84],
};

interface QuantileModel {
  init: number;
  rate: number;
  stages: Tree[];
}

export interface QuantileBoosting {
  models: [QuantileModel, QuantileModel, QuantileModel];
}

/** The α-quantile of values (linear interpolation between order statistics). */
export function quantile(values: ArrayLike<number>, alpha: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return 0;
  const pos = alpha * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!);
}

function fitQuantileModel(
  x: ArrayLike<number>[],
  y: ArrayLike<number>,
  alpha: number,
  o: BoostingOptions,
  sorted: Int32Array[],
): QuantileModel {
  const n = y.length;
  const init = quantile(y, alpha);
  const f = new Float64Array(n).fill(init);
  const gradient = new Float64Array(n);
  const stages: Tree[] = [];
  const options = { splitter: "best" as const, minSamplesLeaf: o.minSamplesLeaf, maxDepth: o.maxDepth };
  const noRng = (): number => 0.5;
  for (let m = 0; m < o.stages; m++) {
    for (let i = 0; i < n; i++) gradient[i] = y[i]! > f[i]! ? alpha : alpha - 1;
    const tree = fitTree(x, gradient, options, noRng, undefined, sorted);
    // Leaf values: the α-quantile of the residuals that reach each leaf.
    for (let node = 0; node < tree.feature.length; node++) {
      if (tree.feature[node]! >= 0) continue;
      const idx = tree.samples[node]!;
      tree.value[node] = quantile(
        Array.from(idx, (i) => y[i]! - f[i]!),
        alpha,
      );
      for (const i of idx) f[i]! += o.learningRate * tree.value[node]!;
    }
    stages.push(tree);
  }
  return { init, rate: o.learningRate, stages };
}

export function fitQuantileBoosting(
  x: ArrayLike<number>[],
  y: ArrayLike<number>,
  options: Partial<BoostingOptions> = {},
): QuantileBoosting {
  const o = { ...DEFAULT_BOOSTING, ...options };
  const sorted = sortByFeature(x, x.length > 0 ? x[0]!.length : 0);
  const [a, b, c] = o.quantiles;
  return { models: [fitQuantileModel(x, y, a, o, sorted), fitQuantileModel(x, y, b, o, sorted), fitQuantileModel(x, y, c, o, sorted)] };
}

function predictModel(model: QuantileModel, u: ArrayLike<number>): number {
  let v = model.init;
  for (const t of model.stages) v += model.rate * predictTree(t, u);
  return v;
}

/** The three quantile predictions at u, sorted (lowest, middle, highest). */
export function predictQuantiles(b: QuantileBoosting, u: ArrayLike<number>): [number, number, number] {
  const q = [predictModel(b.models[0], u), predictModel(b.models[1], u), predictModel(b.models[2], u)].sort((p, r) => p - r);
  return [q[0]!, q[1]!, q[2]!];
}

/** The median as the belief, half the outer quantiles' distance as its standard deviation. */
export function predictBoosting(b: QuantileBoosting, u: ArrayLike<number>): Belief {
  const [lo, mid, hi] = predictQuantiles(b, u);
  const sd = (hi - lo) / 2;
  return { mean: mid, variance: sd * sd };
}
