// Flag importance for a search (pure): how strongly each searched flag goes
// with the objective across the finished trials. Numeric flags: the absolute
// Spearman rank correlation (monotone effects, robust to log scales and
// outliers). Categorical flags (text, booleans, or few distinct values of a
// choice): the correlation ratio η² of a one-way ANOVA (the share of the
// objective's variance explained by the flag's groups), computed on the
// objective's ranks so both scores live on the same 0..1 rank scale.
// docs/view.md describes the method and its limits (no interactions).

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

/** Fewer trials than this give no scores: a correlation of 2 points says nothing. */
export const MIN_TRIALS_FOR_IMPORTANCE = 3;

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
    const numeric = !categorical.has(flag) && pairs.every((p) => typeof p.x === "number");
    const score = numeric
      ? Math.abs(
          spearman(
            pairs.map((p) => p.x as number),
            pairs.map((p) => p.y),
          ),
        )
      : etaSquared(
          pairs.map((p) => String(p.x)),
          rank(pairs.map((p) => p.y)),
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

/** Spearman's rank correlation: Pearson's on the ranks; 0 when either side is constant. */
export function spearman(xs: number[], ys: number[]): number {
  return pearson(rank(xs), rank(ys));
}

function pearson(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return 0;
  return sxy / Math.sqrt(sxx * syy);
}

/** η² = between-group sum of squares / total sum of squares; 0 when ys are constant or there is one group. */
export function etaSquared(groups: string[], ys: number[]): number {
  const n = ys.length;
  const mean = ys.reduce((s, v) => s + v, 0) / n;
  const by = new Map<string, { sum: number; count: number }>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const g = by.get(groups[i]!) ?? { sum: 0, count: 0 };
    g.sum += ys[i]!;
    g.count += 1;
    by.set(groups[i]!, g);
    total += (ys[i]! - mean) ** 2;
  }
  if (total === 0 || by.size < 2) return 0;
  let between = 0;
  for (const g of by.values()) between += g.count * (g.sum / g.count - mean) ** 2;
  return between / total;
}
