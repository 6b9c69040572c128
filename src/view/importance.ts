// Flag importance for a search (pure): how well each searched flag, alone,
// predicts the objective across the finished trials. The score is a
// leave-one-out R² (Q²) on the objective's ranks: each trial's rank is
// predicted from the other trials, by its neighbours along the flag (numeric
// flags) or by its group's mean (categorical flags), and the score is the
// share of the ranks' variation those held-out predictions explain, 0 when
// they do no better than the mean. A local average sees any smooth effect,
// the U shape an optimizer leaves around its optimum as much as a monotone
// one; holding each trial out keeps a flag that does not matter near 0.
// docs/view.md ("Flag importance") describes the method and its limits.

export type ImportanceValue = number | string | boolean | null;

export interface ImportanceTrial {
  flags: Record<string, ImportanceValue>;
  /** The objective; null for a trial without it (skipped). */
  value: number | null;
}

export interface FlagScore {
  flag: string;
  score: number;
}

/** Fewer trials than this give no scores: 2 points say nothing. */
export const MIN_TRIALS_FOR_IMPORTANCE = 3;
/** Bounds of the number of neighbours a numeric flag's prediction averages (√n between them). */
const MIN_NEIGHBOURS = 2;
const MAX_NEIGHBOURS = 10;

/**
 * Scores each of `flags` (or every flag that varies) from 0 to 1, highest
 * first. `categorical` names flags to treat as groups even when numeric.
 */
export function computeImportance(trials: ImportanceTrial[], flags: string[], categorical: Set<string> = new Set()): FlagScore[] {
  const usable = trials.filter((t) => typeof t.value === "number" && Number.isFinite(t.value));
  if (usable.length < MIN_TRIALS_FOR_IMPORTANCE) return [];
  const out: FlagScore[] = [];
  for (const flag of flags) {
    const pairs = usable
      .filter((t) => t.flags[flag] !== undefined && t.flags[flag] !== null)
      .map((t) => ({ x: t.flags[flag]!, y: t.value! }));
    if (pairs.length < MIN_TRIALS_FOR_IMPORTANCE) continue;
    const numeric = !categorical.has(flag) && pairs.every((p) => typeof p.x === "number" && Number.isFinite(p.x));
    // ranks: a diverged trial's huge loss weighs as one rank, not as the whole variance
    const ys = rank(pairs.map((p) => p.y));
    const score = numeric
      ? neighbourPredictability(
          pairs.map((p) => p.x as number),
          ys,
        )
      : groupPredictability(
          pairs.map((p) => String(p.x)),
          ys,
        );
    out.push({ flag, score: Number.isFinite(score) ? score : 0 });
  }
  return out.sort((a, b) => b.score - a.score || (a.flag < b.flag ? -1 : 1));
}

/** Ranks from 1, ties given their mean rank. */
export function rank(values: number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  let k = 0;
  while (k < order.length) {
    let j = k;
    while (j + 1 < order.length && order[j + 1]!.v === order[k]!.v) j++;
    const mean = (k + j) / 2 + 1;
    for (let m = k; m <= j; m++) ranks[order[m]!.i] = mean;
    k = j + 1;
  }
  return ranks;
}

/** How many neighbours predict a trial among `n`: √n, from 2 to 10. */
export function neighbourCount(n: number): number {
  return Math.min(Math.max(Math.round(Math.sqrt(n)), MIN_NEIGHBOURS), MAX_NEIGHBOURS);
}

/**
 * Leave-one-out R² of predicting `ys` from a numeric `xs` by the mean of each
 * point's nearest neighbours in the xs' rank order (itself left out): at
 * least `neighbourCount(n)` of them, and every point as near as the farthest
 * one taken, so tied xs are taken or left together and the result never
 * depends on the points' order. Ranks make the neighbourhoods follow where
 * the points are dense (where an optimizer spent its trials) and ignore the
 * flag's scale (log or linear). 0 when xs or ys do not vary.
 */
export function neighbourPredictability(xs: number[], ys: number[]): number {
  const n = xs.length;
  const k = neighbourCount(n);
  const rx = rank(xs);
  // blocks of tied xs in ascending order, each with its rank and the sum and count of its ys
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const blocks: { rank: number; sum: number; count: number }[] = [];
  const blockOf = new Array<number>(n);
  for (const i of order) {
    const last = blocks[blocks.length - 1];
    if (last !== undefined && last.rank === rx[i]) {
      last.sum += ys[i]!;
      last.count += 1;
    } else blocks.push({ rank: rx[i]!, sum: ys[i]!, count: 1 });
    blockOf[i] = blocks.length - 1;
  }
  const predictions = ys.map((y, i) => {
    const own = blockOf[i]!;
    let sum = blocks[own]!.sum - y;
    let count = blocks[own]!.count - 1;
    let left = own - 1;
    let right = own + 1;
    while (count < k && (left >= 0 || right < blocks.length)) {
      const dl = left >= 0 ? rx[i]! - blocks[left]!.rank : Infinity;
      const dr = right < blocks.length ? blocks[right]!.rank - rx[i]! : Infinity;
      if (dl <= dr) {
        sum += blocks[left]!.sum;
        count += blocks[left]!.count;
        left--;
      }
      if (dr <= dl) {
        sum += blocks[right]!.sum;
        count += blocks[right]!.count;
        right++;
      }
    }
    return sum / count;
  });
  return predictedShare(ys, predictions);
}

/**
 * Leave-one-out R² of predicting `ys` by the mean of the other points of the
 * same group (the mean of all the others for a point alone in its group).
 * 0 when there is one group or ys do not vary.
 */
export function groupPredictability(groups: string[], ys: number[]): number {
  const n = ys.length;
  const total = ys.reduce((s, v) => s + v, 0);
  const by = new Map<string, { sum: number; count: number }>();
  for (let i = 0; i < n; i++) {
    const g = by.get(groups[i]!) ?? { sum: 0, count: 0 };
    g.sum += ys[i]!;
    g.count += 1;
    by.set(groups[i]!, g);
  }
  const predictions = ys.map((y, i) => {
    const g = by.get(groups[i]!)!;
    return g.count > 1 ? (g.sum - y) / (g.count - 1) : (total - y) / (n - 1);
  });
  return predictedShare(ys, predictions);
}

/** max(0, 1 − SS_res / SS_tot): the share of ys' variation the predictions explain; 0 when ys are constant. */
function predictedShare(ys: number[], predictions: number[]): number {
  const mean = ys.reduce((s, v) => s + v, 0) / ys.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < ys.length; i++) {
    res += (ys[i]! - predictions[i]!) ** 2;
    tot += (ys[i]! - mean) ** 2;
  }
  if (tot === 0) return 0;
  return Math.max(0, 1 - res / tot);
}
