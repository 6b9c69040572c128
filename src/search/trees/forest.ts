// The extra-trees forest surrogate of `--optimizer forest` (scikit-optimize's
// forest_minimize with ExtraTreesRegressor): many randomised trees fitted
// to all the data (no bootstrap). Its belief at a point is the mean
// of the trees' predictions, and its spread the variance of the mixture of
// the trees' leaves (law of total variance: the mean of each leaf's
// variance plus its squared mean, minus the squared overall mean), so the
// spread is small where the trees agree and the data are tight, and large
// in the gaps, where each tree cuts in a different place. Pure.

import type { Rng } from "../../flags/space.js";
import { findLeaf, fitTree, type Tree } from "./tree.js";

export interface Forest {
  trees: Tree[];
}

export interface Belief {
  mean: number;
  variance: number;
}

/** `trees` extra trees on all the data; leaves hold at least `minSamplesLeaf` samples (scikit-optimize: 3). */
export function fitForest(x: ArrayLike<number>[], y: ArrayLike<number>, trees: number, rng: Rng, minSamplesLeaf: number): Forest {
  const options = { splitter: "random" as const, minSamplesLeaf, maxDepth: Infinity };
  return { trees: Array.from({ length: trees }, () => fitTree(x, y, options, rng)) };
}

export function predictForest(forest: Forest, u: ArrayLike<number>): Belief {
  let sum = 0;
  let second = 0;
  for (const t of forest.trees) {
    const leaf = findLeaf(t, u);
    const m = t.value[leaf]!;
    sum += m;
    second += t.variance[leaf]! + m * m;
  }
  const n = forest.trees.length;
  const mean = sum / n;
  return { mean, variance: Math.max(0, second / n - mean * mean) };
}
