// Sparklines for the details pane: a scalar's history as a row of block
// characters, resampled to a fixed width. Pure.

import type { ScalarRecord } from "../store/types.js";

const BLOCKS = "▁▂▃▄▅▆▇█";

/** One character per bucket of values (a bucket's mean), scaled between the overall min and max. */
export function renderSparkline(values: number[], width: number): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0 || width < 1) return "";
  const n = Math.min(width, finite.length);
  const means: number[] = [];
  for (let b = 0; b < n; b++) {
    const from = Math.floor((b * finite.length) / n);
    const to = Math.max(from + 1, Math.floor(((b + 1) * finite.length) / n));
    let sum = 0;
    for (let i = from; i < to; i++) sum += finite[i]!;
    means.push(sum / (to - from));
  }
  const lo = Math.min(...means);
  const hi = Math.max(...means);
  // A flat series draws as a flat low line rather than dividing by zero.
  if (hi === lo) return BLOCKS[0]!.repeat(n);
  return means.map((v) => BLOCKS[Math.round(((v - lo) / (hi - lo)) * (BLOCKS.length - 1))]!).join("");
}

/** A run's scalar values by key, in the order logged, keys in first-seen order. */
export function groupScalars(records: ScalarRecord[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of records) {
    let list = out.get(r.key);
    if (list === undefined) out.set(r.key, (list = []));
    list.push(r.value);
  }
  return out;
}
