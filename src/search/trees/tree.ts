// A regression tree on the unit cube, the building block of the forest and
// gbrt surrogates. Two ways to split a node: "random" (extra trees: one
// uniform threshold per feature, keep the one that lowers the squared error
// most; cheap and, averaged over many trees, smooth) and "best" (every
// threshold between distinct values, as a boosting stage wants). A leaf
// holds the mean of its targets (or a value the caller computes, such as a
// quantile of residuals) and the targets' variance. Pure: randomness comes
// in as an Rng.

import type { Rng } from "../../flags/space.js";

export type Splitter = "random" | "best";

export interface TreeOptions {
  splitter: Splitter;
  /** A split leaves at least this many samples on each side. */
  minSamplesLeaf: number;
  /** Depth limit (the root is depth 0); Infinity grows until leaves are pure or too small. */
  maxDepth: number;
}

/**
 * A fitted tree as flat arrays, node 0 the root. An inner node sends u to
 * `left` when u[feature] <= threshold; a leaf has feature -1.
 */
export interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** The leaf's prediction (inner nodes: the mean of their samples). */
  value: Float64Array;
  /** Variance of the targets in the leaf (the spread a forest adds up). */
  variance: Float64Array;
  /** Training sample indices per node, for callers that recompute leaf values. */
  samples: Int32Array[];
}

/** Relative error reduction below which a split is not worth making (float noise). */
const MIN_GAIN = 1e-12;

/**
 * Fits a tree to (x[i], target[i]) for the samples `rows` (all when omitted).
 * `sorted` (from `sortByFeature`) saves the best splitter a sort per node.
 */
export function fitTree(
  x: ArrayLike<number>[],
  target: ArrayLike<number>,
  options: TreeOptions,
  rng: Rng,
  rows?: Int32Array,
  sorted?: Int32Array[],
): Tree {
  const width = x.length > 0 ? x[0]!.length : 0;
  const all = rows ?? Int32Array.from(x.keys());
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const variance: number[] = [];
  const samples: Int32Array[] = [];
  const order = options.splitter === "best" ? (sorted ?? sortByFeature(x, width)) : null;
  const member = new Uint8Array(x.length);

  const grow = (idx: Int32Array, depth: number): number => {
    const node = feature.length;
    const { mean, sse } = meanAndSse(target, idx);
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(mean);
    variance.push(idx.length > 0 ? sse / idx.length : 0);
    samples.push(idx);
    if (depth >= options.maxDepth || idx.length < 2 * options.minSamplesLeaf || sse <= MIN_GAIN * (1 + mean * mean)) return node;
    const split =
      order !== null
        ? findBestSplit(x, target, idx, order, member, width, options.minSamplesLeaf)
        : findRandomSplit(x, target, idx, width, options.minSamplesLeaf, rng);
    if (split === null || split.gain <= MIN_GAIN * sse) return node;
    const lo: number[] = [];
    const hi: number[] = [];
    for (const i of idx) (x[i]![split.feature]! <= split.threshold ? lo : hi).push(i);
    feature[node] = split.feature;
    threshold[node] = split.threshold;
    left[node] = grow(Int32Array.from(lo), depth + 1);
    right[node] = grow(Int32Array.from(hi), depth + 1);
    return node;
  };
  grow(all, 0);
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    variance: Float64Array.from(variance),
    samples,
  };
}

/** The index of the leaf that u falls in. */
export function findLeaf(tree: Tree, u: ArrayLike<number>): number {
  let node = 0;
  for (let f = tree.feature[0]!; f >= 0; f = tree.feature[node]!) {
    node = u[f]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return node;
}

/** The tree's prediction at u. */
export function predictTree(tree: Tree, u: ArrayLike<number>): number {
  return tree.value[findLeaf(tree, u)]!;
}

/** Sample indices ordered by each feature, once per fit (the best splitter filters them per node). */
export function sortByFeature(x: ArrayLike<number>[], width: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let f = 0; f < width; f++) out.push(Int32Array.from(x.keys()).sort((a, b) => x[a]![f]! - x[b]![f]!));
  return out;
}

interface Split {
  feature: number;
  threshold: number;
  /** Reduction of the summed squared error. */
  gain: number;
}

function meanAndSse(target: ArrayLike<number>, idx: Int32Array): { mean: number; sse: number } {
  if (idx.length === 0) return { mean: 0, sse: 0 };
  let sum = 0;
  for (const i of idx) sum += target[i]!;
  const mean = sum / idx.length;
  let sse = 0;
  for (const i of idx) sse += (target[i]! - mean) ** 2;
  return { mean, sse };
}

/**
 * Extra trees' split: per feature one threshold drawn uniformly between the
 * node's smallest and largest value; the best of those by error reduction.
 * A draw that leaves fewer than `minLeaf` samples on a side is not taken.
 */
function findRandomSplit(
  x: ArrayLike<number>[],
  target: ArrayLike<number>,
  idx: Int32Array,
  width: number,
  minLeaf: number,
  rng: Rng,
): Split | null {
  let best: Split | null = null;
  let total = 0;
  for (const i of idx) total += target[i]!;
  const n = idx.length;
  for (let f = 0; f < width; f++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of idx) {
      const v = x[i]![f]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) continue;
    const t = lo + rng() * (hi - lo);
    let nl = 0;
    let sl = 0;
    for (const i of idx) {
      if (x[i]![f]! <= t) {
        nl++;
        sl += target[i]!;
      }
    }
    if (nl < minLeaf || n - nl < minLeaf) continue;
    // SSE reduction = nl·nr/n · (mean_l − mean_r)²
    const nr = n - nl;
    const d = sl / nl - (total - sl) / nr;
    const gain = ((nl * nr) / n) * d * d;
    if (best === null || gain > best.gain) best = { feature: f, threshold: t, gain };
  }
  return best;
}

/** The split with the largest error reduction over every feature and every threshold between distinct values. */
function findBestSplit(
  x: ArrayLike<number>[],
  target: ArrayLike<number>,
  idx: Int32Array,
  order: Int32Array[],
  member: Uint8Array,
  width: number,
  minLeaf: number,
): Split | null {
  for (const i of idx) member[i] = 1;
  let total = 0;
  for (const i of idx) total += target[i]!;
  const n = idx.length;
  let best: Split | null = null;
  const nodeOrder = new Int32Array(n);
  for (let f = 0; f < width; f++) {
    let k = 0;
    for (const i of order[f]!) if (member[i] === 1) nodeOrder[k++] = i;
    let nl = 0;
    let sl = 0;
    for (let j = 0; j < n - 1; j++) {
      const i = nodeOrder[j]!;
      nl++;
      sl += target[i]!;
      const v = x[i]![f]!;
      const next = x[nodeOrder[j + 1]!]![f]!;
      if (!(next > v) || nl < minLeaf || n - nl < minLeaf) continue;
      const nr = n - nl;
      const d = sl / nl - (total - sl) / nr;
      const gain = ((nl * nr) / n) * d * d;
      if (best === null || gain > best.gain) best = { feature: f, threshold: (v + next) / 2, gain };
    }
  }
  for (const i of idx) member[i] = 0;
  return best;
}
