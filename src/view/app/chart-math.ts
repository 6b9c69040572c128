// Pure helpers for the charts: TensorBoard's smoothing, a stable colour per
// run, best-so-far of a search, and the points of an SVG sparkline.

/**
 * Exponential moving average as TensorBoard smooths scalars: weight w in
 * [0, 1), debiased so the first points are not pulled towards zero.
 * Non-finite values pass through unchanged and do not move the average.
 */
export function smoothEma(ys: readonly number[], weight: number): number[] {
  if (weight <= 0) return ys.slice();
  let last = 0;
  let count = 0;
  return ys.map((y) => {
    if (!Number.isFinite(y)) return y;
    last = last * weight + (1 - weight) * y;
    count++;
    return last / (1 - Math.pow(weight, count));
  });
}

/** Distinct, saturated line colours (Tableau 10 and D3's category colours, greys and browns left out). */
export const RUN_PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#59a14f",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#ff9da7",
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#17becf",
  "#ff7f0e",
  "#e377c2",
  "#bcbd22",
];

/** A run's own slot in the palette, from a hash of its id: the same on every page and reload. */
export function paletteSlot(id: string): number {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return (hash >>> 0) % RUN_PALETTE.length;
}

/** A run's colour on its own (its palette slot). */
export function colorForRun(id: string): string {
  return RUN_PALETTE[paletteSlot(id)]!;
}

/**
 * Colours for runs drawn together: each run keeps its own slot unless a run
 * before it (by id) took it, then the next free one, so two lines never share
 * a colour while there are colours left, and a run's colour does not depend
 * on the order the runs were picked in.
 */
export function assignRunColors(ids: readonly string[]): Map<string, string> {
  const colors = new Map<string, string>();
  const taken = new Set<number>();
  for (const id of [...new Set(ids)].sort()) {
    let slot = paletteSlot(id);
    for (let tries = 0; taken.has(slot) && tries < RUN_PALETTE.length; tries++) slot = (slot + 1) % RUN_PALETTE.length;
    if (taken.size < RUN_PALETTE.length) taken.add(slot);
    colors.set(id, RUN_PALETTE[slot]!);
  }
  return colors;
}

/** The best objective value seen up to each point (null until the first value). */
export function bestSoFar(values: readonly (number | null)[], goal: "min" | "max"): (number | null)[] {
  let best: number | null = null;
  return values.map((v) => {
    if (v !== null && Number.isFinite(v) && (best === null || (goal === "min" ? v < best : v > best))) best = v;
    return best;
  });
}

/** The `points` attribute of an SVG polyline drawing ys over xs in a width × height box (y grows downwards). */
export function sparklinePoints(xs: readonly number[], ys: readonly number[], width: number, height: number): string {
  const points: [number, number][] = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) points.push([xs[i]!, ys[i]!]);
  }
  if (points.length === 0) return "";
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const sx = x1 > x0 ? width / (x1 - x0) : 0;
  const sy = y1 > y0 ? height / (y1 - y0) : 0;
  const round = (v: number): string => String(Math.round(v * 10) / 10);
  return points
    .map(([x, y]) => `${round(x1 > x0 ? (x - x0) * sx : width / 2)},${round(y1 > y0 ? height - (y - y0) * sy : height / 2)}`)
    .join(" ");
}

type Column = ArrayLike<number | null | undefined>;

/** Whether a chart value is a point (not a gap of the joined table, nor a value left out). */
export const present = (y: number | null | undefined): y is number => y !== null && y !== undefined && Number.isFinite(y);

/**
 * The index a run's legend value comes from when the cursor is at x (index
 * `at` of the joined xs of a chart's runs): its own point there, else its
 * nearest point on either side; null beyond its first or last point, where
 * it has no data (uPlot alone would show its last value at any x).
 */
export function legendIndex(xs: Column, ys: Column, at: number | null, x: number): number | null {
  if (at === null || at < 0 || at >= ys.length) return null;
  if (present(ys[at])) return at;
  let left = at - 1;
  while (left >= 0 && !present(ys[left])) left--;
  let right = at + 1;
  while (right < ys.length && !present(ys[right])) right++;
  if (left < 0 || right >= ys.length) return null;
  return x - (xs[left] as number) <= (xs[right] as number) - x ? left : right;
}

/** How many points of a series are present between two indices (inclusive). */
export function countPresent(ys: Column, from: number, to: number): number {
  let count = 0;
  for (let i = Math.max(0, from); i <= Math.min(to, ys.length - 1); i++) if (present(ys[i])) count++;
  return count;
}

/** Room left on each side of the x range, as a share of it, when a lone point would sit on the edge. */
const LONE_POINT_PAD = 0.03;

/**
 * The x range of a chart whose joined xs run from `first` to `last`, asked
 * for [min, max] (the data's extent, or a zoom): a single x is the middle of
 * a range two wide rather than uPlot's [0, 100] edge, and the full extent
 * gets a little room on each side when some run is a lone point (its marker
 * would be cut in half at the edge).
 */
export function chartXRange(first: number, last: number, min: number, max: number, lonePoint: boolean): [number, number] {
  if (first === last) return [first - 1, first + 1];
  if (lonePoint && min === first && max === last) {
    const pad = (last - first) * LONE_POINT_PAD;
    return [first - pad, last + pad];
  }
  return [min, max];
}
