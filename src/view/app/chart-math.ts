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

/** A colour for a run that stays the same on every page and selection (hue from a hash of its id). */
export function colorForRun(id: string): string {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  const hue = (hash >>> 0) % 360;
  const lightness = 38 + ((hash >>> 9) % 3) * 8;
  return `hsl(${hue}, 70%, ${lightness}%)`;
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
