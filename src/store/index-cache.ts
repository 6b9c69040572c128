// $G_HOME/index.jsonl: a cache of finished runs' records and scalar summaries,
// so that compare over 100 000 runs costs one stat a run instead of two reads
// and two parses. An entry is valid while run.json's inode, size and mtime are
// unchanged. Append-only (whole lines), compacted by an atomic rewrite. Only a
// cache: a lost or torn line costs time, never data.

import { mkdirSync, readFileSync, statSync } from "node:fs";
import { appendLines, writeFileAtomic } from "./fs-atomic.js";
import { INDEX_FILE, RUN_FILE } from "./paths.js";
import type { RunRecord, ScalarSummary } from "./types.js";

/** Record fields the index leaves out: big, and not needed to compare runs. */
const INDEX_DROPPED_FIELDS = ["cmd", "space", "points", "base_flags", "optimizer_settings", "format", "id"] as const;

/** Summaries packed as [last, first, min, max, total, count, step]: a third less to parse than the objects. */
type PackedSummary = [number, number, number, number, number, number, number | null];

/** One line of index.jsonl. */
export interface IndexEntry {
  id: string;
  ino: number;
  size: number;
  mtime: number;
  record: RunRecord;
  packed: Record<string, PackedSummary>;
}

/** The index's current entries, and how many lines it has (superseded and unreadable ones included). */
export function readIndex(home: string): { entries: Map<string, IndexEntry>; lines: number } {
  const entries = new Map<string, IndexEntry>();
  let lines = 0;
  let buf: Buffer;
  try {
    buf = readFileSync(`${home}/${INDEX_FILE}`);
  } catch {
    return { entries, lines };
  }
  // Line by line from the buffer: no giant string, and a torn line costs only itself.
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(10, start);
    if (end < 0) end = buf.length;
    if (end > start) {
      lines++;
      try {
        const e = JSON.parse(buf.toString("utf8", start, end)) as IndexEntry;
        if (typeof e.id === "string" && e.record && e.packed) entries.set(e.id, e);
      } catch {
        /* torn line */
      }
    }
    start = end + 1;
  }
  return { entries, lines };
}

/**
 * Whether `entry` still describes the run in `dir`: its run.json has the same
 * inode, size and mtime. A folder that cannot be stat'ed (gone, or damaged
 * into a file or a symlink loop) is not current; reading it then names why.
 */
export function isEntryCurrent(entry: IndexEntry, dir: string): boolean {
  let st;
  try {
    st = statSync(`${dir}/${RUN_FILE}`, { throwIfNoEntry: false });
  } catch {
    return false;
  }
  return st !== undefined && st.ino === entry.ino && st.size === entry.size && st.mtimeMs === entry.mtime;
}

/** The index line for a finished run, or null for one still going (those are always read fresh). */
export function indexLine(dir: string, record: RunRecord, summaries: Record<string, ScalarSummary>): string | null {
  if (record.stopped == null) return null;
  let st;
  try {
    st = statSync(`${dir}/${RUN_FILE}`, { throwIfNoEntry: false });
  } catch {
    return null;
  }
  if (!st) return null;
  const slim: Record<string, unknown> = { ...record };
  for (const f of INDEX_DROPPED_FIELDS) delete slim[f];
  const packed: IndexEntry["packed"] = {};
  for (const [k, v] of Object.entries(summaries)) packed[k] = [v.last, v.first, v.min, v.max, v.total, v.count, v.step];
  return JSON.stringify({ id: record.id, ino: st.ino, size: st.size, mtime: st.mtimeMs, record: slim, packed }) + "\n";
}

export function unpackSummaries(packed: IndexEntry["packed"]): Record<string, ScalarSummary> {
  const out: Record<string, ScalarSummary> = {};
  for (const k in packed) {
    const [last, first, min, max, total, count, step] = packed[k]!;
    out[k] = { last, first, min, max, avg: total / count, total, count, step };
  }
  return out;
}

/** Adds lines to the index; best effort (a read-only or full store still answers). */
export function appendIndexLines(home: string, lines: string[]): void {
  if (lines.length === 0) return;
  try {
    mkdirSync(home, { recursive: true });
    appendLines(`${home}/${INDEX_FILE}`, lines);
  } catch {
    /* the index is a cache */
  }
}

/** Replaces the index with `lines` (compaction); best effort. */
export function rewriteIndex(home: string, lines: string[]): void {
  try {
    writeFileAtomic(`${home}/${INDEX_FILE}`, lines.join(""), "atomic");
  } catch {
    /* the index is a cache */
  }
}
