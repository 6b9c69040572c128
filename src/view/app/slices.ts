// The search page's slice plots, as data (pure): for each searched flag, every
// trial with an objective value as a point (the flag's value, the objective,
// when it ran), on the axis the flag's dimension calls for, and which point is
// the best trial. search-page.ts draws them; the parallel axes share the
// choice flags' category order (`axisCategories`).

import type { ApiFlagValue, SearchDim, SearchResponse, SearchTrial } from "../api.js";

export type SliceAxis =
  | { type: "value"; min?: number; max?: number }
  /** A log-scale dimension (loguniform, lognormal): its range, all above 0. */
  | { type: "log"; min?: number; max?: number }
  /** A choice: its values as text, in axis order. */
  | { type: "category"; categories: string[] };

export interface SlicePoint {
  /** The flag's value: a number, or on a category axis the index of its category. */
  x: number;
  y: number;
  /** When the trial ran: its trial number, or its place in the search's order when it has none (colours early → late). */
  order: number;
  trial: number | null;
  id: string;
}

export interface Slice {
  flag: string;
  axis: SliceAxis;
  points: SlicePoint[];
  /** Index in `points` of the search's best trial, or null when it has no value of this flag. */
  best: number | null;
}

/** One slice per searched dimension, in the dimensions' order; the best trial by the search's goal. */
export function buildSlices(search: SearchResponse): Slice[] {
  const done = search.trials.map((t, i) => ({ t, order: t.trial ?? i + 1 })).filter((p) => p.t.value !== null);
  const best = bestTrial(search);
  return search.dims.map((dim) => {
    const categories = axisCategories(dim, search.trials);
    const axis: SliceAxis =
      categories !== null ? { type: "category", categories } : { type: dim.type === "log" ? "log" : "value", min: dim.low, max: dim.high };
    const points: SlicePoint[] = [];
    let bestIndex: number | null = null;
    for (const { t, order } of done) {
      const x = sliceX(t.flags[dim.name], axis);
      if (x === null) continue;
      if (t === best) bestIndex = points.length;
      points.push({ x, y: t.value as number, order, trial: t.trial, id: t.id });
    }
    return { flag: dim.name, axis, points, best: bestIndex };
  });
}

/** Where a flag value sits on its axis, or null when it cannot be drawn there (missing, text on a number axis, ≤ 0 on a log axis). */
function sliceX(value: ApiFlagValue | undefined, axis: SliceAxis): number | null {
  if (value === undefined || value === null) return null;
  if (axis.type === "category") {
    const index = axis.categories.indexOf(String(value));
    return index < 0 ? null : index;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return axis.type === "log" && value <= 0 ? null : value;
}

/**
 * The values of a choice flag in axis order (numbers ascending, text as the
 * search space lists it, then any other value a trial has), as text; null
 * for a range, which gets a value or log axis.
 */
export function axisCategories(dim: SearchDim, trials: SearchTrial[]): string[] | null {
  if (dim.type !== "categorical" && dim.choices === undefined) return null;
  const listed = dim.choices ?? [];
  const values = [...listed, ...choicesOf(trials, dim.name).filter((v) => !listed.includes(v))];
  if (values.every((v) => typeof v === "number")) (values as number[]).sort((a, b) => a - b);
  return [...new Set(values.map((v) => String(v)))];
}

/** The trial with the best objective value (the first of equals), or null when none has one. */
export function bestTrial(search: SearchResponse): SearchTrial | null {
  let best: SearchTrial | null = null;
  for (const t of search.trials) {
    if (t.value === null) continue;
    if (best === null || (search.objective.goal === "min" ? t.value < (best.value as number) : t.value > (best.value as number))) best = t;
  }
  return best;
}

/** The values trials gave a flag (a trial without it has no category). */
function choicesOf(trials: SearchTrial[], name: string): ApiFlagValue[] {
  return [...new Set(trials.map((t) => t.flags[name] ?? null))].filter((v) => v !== null);
}
