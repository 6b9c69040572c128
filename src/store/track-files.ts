// ml_dash's tracks (timestamped entries per topic) as the SDKs keep them:
// one tracks.jsonl per run, a whole line per append, read back here for the
// TypeScript SDK's read() and for `g runs info`. The Python SDK reads the
// same file with the same rules (src/sdk/python/g_runs/tracks.py).

import { readFileSync } from "node:fs";
import { SDK_TRACKS_FILE } from "./paths.js";

/** One line of tracks.jsonl: what one `append` wrote. */
export interface TrackLine {
  topic: string;
  timestamp: number;
  data: Record<string, unknown>;
  exp?: string;
}

/** One entry as ml_dash's read() returns it: the timestamp and the fields merged at it. */
export type TrackEntry = { timestamp: number } & Record<string, unknown>;

/** The lines of a run's tracks.jsonl in file order; a torn or foreign line is skipped. */
export function readTrackLines(dir: string): TrackLine[] {
  let text: string;
  try {
    text = readFileSync(`${dir}/${SDK_TRACKS_FILE}`, "utf8");
  } catch {
    return [];
  }
  const lines: TrackLine[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const rec = value as Partial<TrackLine> | null;
    if (typeof rec?.topic !== "string" || typeof rec.timestamp !== "number") continue;
    if (typeof rec.data !== "object" || rec.data === null || Array.isArray(rec.data)) continue;
    lines.push(rec as TrackLine);
  }
  return lines;
}

/**
 * A topic's entries, oldest first: appends at the same timestamp merged into
 * one entry (ml_dash merges them when it flushes; here every append is on
 * disk at once, so the merge happens when read). Later fields win.
 */
export function mergeTrackEntries(lines: readonly TrackLine[], topic: string): TrackEntry[] {
  const byTime = new Map<number, TrackEntry>();
  for (const line of lines) {
    if (line.topic !== topic) continue;
    const entry = byTime.get(line.timestamp);
    if (entry) Object.assign(entry, line.data, { timestamp: line.timestamp });
    else {
      // The timestamp first, as ml_dash's entries print, and never replaced by a field of that name.
      const fresh: TrackEntry = { timestamp: line.timestamp };
      byTime.set(line.timestamp, Object.assign(fresh, line.data, { timestamp: line.timestamp }));
    }
  }
  return [...byTime.values()].sort((a, b) => a.timestamp - b.timestamp);
}

/** Each topic's number of entries (distinct timestamps), in order of first append: `g runs info`. */
export function summarizeTracks(dir: string): Record<string, number> {
  const seen = new Map<string, Set<number>>();
  for (const line of readTrackLines(dir)) {
    let times = seen.get(line.topic);
    if (!times) seen.set(line.topic, (times = new Set()));
    times.add(line.timestamp);
  }
  return Object.fromEntries([...seen].map(([topic, times]) => [topic, times.size]));
}
