// $G_HOME/index.jsonl: the journal of the index of finished runs, one JSON
// line (record and packed summaries) a run indexed since the binary snapshot
// index.bin (index-snapshot.ts) was written: the runner appends a run's line
// when it ends, readers the lines of runs they read from their files. An
// entry is valid while run.json's inode, size and mtime are unchanged. A
// reader that writes a new snapshot empties it. Only a cache: a lost or torn
// line costs time, never data, so nothing here calls fsync.
//
// $G_HOME/index-keys.txt: the index's ordering column, `<id> <trial> <created
// as JSON>` a line for finished runs, so `g runs` can find the newest runs of
// 100 000 without reading 100 000 records (a twelfth of index.jsonl's bytes).
// created and trial never change once a run is made; the runs shown are read
// from their files, and a shown run whose key differs sends the reader back
// to the full listing.

import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from "node:fs";
import { appendLines, safeUnlink } from "./fs-atomic.js";
import { INDEX_DROPPED_FIELDS } from "./index-snapshot.js";
import { INDEX_FILE, INDEX_KEYS_FILE, RUN_FILE } from "./paths.js";
import type { FileStat } from "./read-fast.js";
import type { RunRecord, ScalarSummary } from "./types.js";

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

/** index.jsonl is read in pieces of this size (bytes), so a 100 000-run index never sits whole in memory. */
const INDEX_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Calls `onLine` for each non-empty line of the file at `path` with the
 * buffer holding it, its bounds in that buffer and its offset in the file,
 * reading a piece at a time; false when the file cannot be read.
 */
export function forEachLine(
  path: string,
  onLine: (buf: Buffer, start: number, end: number, offset: number) => void,
  chunkBytes = INDEX_CHUNK_BYTES,
): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    let buf = Buffer.allocUnsafe(chunkBytes);
    let filled = 0; // bytes in buf
    let base = 0; // file offset of buf[0]
    for (;;) {
      if (filled === buf.length) {
        // One line longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const got = readSync(fd, buf, filled, buf.length - filled, base + filled);
      const eof = got === 0;
      filled += got;
      let start = 0;
      for (;;) {
        let end = buf.indexOf(10, start);
        if (end < 0 || end >= filled) {
          if (!eof) break;
          end = filled;
        }
        if (end > start) onLine(buf, start, end, base + start);
        start = end + 1;
        if (start >= filled) break;
      }
      if (eof) return true;
      // Keep the unfinished last line at the front of the buffer.
      buf.copy(buf, 0, Math.min(start, filled), filled);
      base += Math.min(start, filled);
      filled -= Math.min(start, filled);
    }
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Where each run's line starts in index.jsonl ("{"id":"<32 hex>"...): found without parsing it. */
const ID_AT = '{"id":"'.length;
const ID_LENGTH = 32;

/**
 * Calls `onEntry` with each run's latest entry in index.jsonl, parsed one at
 * a time (the file is read twice in pieces: once to find each run's latest
 * line, once to parse those), and returns how many lines the file has,
 * superseded and unreadable ones included (compaction's measure). `wanted`
 * says which runs to parse; a torn line is skipped.
 */
export function forEachIndexEntry(home: string, wanted: (id: string) => boolean, onEntry: (entry: IndexEntry) => void): number {
  const path = `${home}/${INDEX_FILE}`;
  const latest = new Map<string, number>();
  let lines = 0;
  const ok = forEachLine(path, (buf, start, end, offset) => {
    lines++;
    if (end - start <= ID_AT + ID_LENGTH) return;
    const id = buf.toString("latin1", start + ID_AT, start + ID_AT + ID_LENGTH);
    if (wanted(id)) latest.set(id, offset);
  });
  if (!ok || latest.size === 0) return lines;
  forEachLine(path, (buf, start, end, offset) => {
    if (end - start <= ID_AT + ID_LENGTH) return;
    const id = buf.toString("latin1", start + ID_AT, start + ID_AT + ID_LENGTH);
    if (latest.get(id) !== offset) return;
    let e: IndexEntry;
    try {
      e = JSON.parse(buf.toString("utf8", start, end)) as IndexEntry;
    } catch {
      return; /* torn line */
    }
    if (e.id === id && e.record && e.packed) onEntry(e);
  });
  return lines;
}

/** What says whether an index entry still describes its run: run.json's inode, size and mtime (ms). */
export type RunFileStat = FileStat;

/**
 * The stat of run.json in `dir`, or null when it cannot be stat'ed (gone, or
 * the folder damaged into a file or a symlink loop; reading it then names why).
 */
export function statRunFile(dir: string): RunFileStat | null {
  let st;
  try {
    st = statSync(`${dir}/${RUN_FILE}`, { throwIfNoEntry: false });
  } catch {
    return null;
  }
  return st === undefined ? null : { ino: st.ino, size: st.size, mtime: st.mtimeMs };
}

/** The journal line of a finished run whose run.json had `st` before it was read. */
export function journalLine(record: RunRecord, st: RunFileStat, summaries: Record<string, ScalarSummary>): string {
  const slim: Record<string, unknown> = { ...record };
  for (const f of INDEX_DROPPED_FIELDS) delete slim[f];
  const packed: IndexEntry["packed"] = {};
  for (const [k, v] of Object.entries(summaries)) {
    // JSON has no Infinity or NaN (stringify writes null): a total that overflowed (two values of 1.7e308)
    // or a logged inf is packed as text and read back as the number, not as null (avg 0 before).
    const nums: PackedSummary = [v.last, v.first, v.min, v.max, v.total, v.count, v.step];
    packed[k] = nums.every((x) => x === null || Number.isFinite(x))
      ? nums
      : (nums.map((x) => (x === null || Number.isFinite(x) ? x : String(x))) as never);
  }
  return JSON.stringify({ id: record.id, ino: st.ino, size: st.size, mtime: st.mtime, record: slim, packed }) + "\n";
}

/** The index line for a finished run, or null for one still going (those are always read fresh). */
export function indexLine(dir: string, record: RunRecord, summaries: Record<string, ScalarSummary>): string | null {
  if (record.stopped == null) return null;
  const st = statRunFile(dir);
  return st === null ? null : journalLine(record, st, summaries);
}

export function unpackSummaries(packed: IndexEntry["packed"]): Record<string, ScalarSummary> {
  const out: Record<string, ScalarSummary> = {};
  for (const k in packed) {
    const p = packed[k]!;
    const [last, first, min, max, total, count, step] = p.some((x) => typeof x === "string")
      ? (p.map((x) => (typeof x === "string" ? Number(x) : x)) as PackedSummary)
      : p;
    out[k] = { last, first, min, max, avg: total / count, total, count, step };
  }
  return out;
}

/** Adds lines to the index (or with `file`, to index-keys.txt); best effort (a read-only or full store still answers). */
export function appendIndexLines(home: string, lines: string[], file = INDEX_FILE): void {
  if (lines.length === 0) return;
  try {
    mkdirSync(home, { recursive: true });
    appendLines(`${home}/${file}`, lines);
  } catch {
    /* the index is a cache */
  }
}

/**
 * Replaces the index (or with `file`, index-keys.txt or index.bin) with `lines`
 * (compaction); best effort. Temp file and rename, so a reader sees the old
 * file or the new one, but no fsync: after a power cut the file may be empty
 * or gone, which costs the next reader time only.
 */
export function rewriteIndex(home: string, lines: string[] | Buffer, file = INDEX_FILE): void {
  const path = `${home}/${file}`;
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(home, { recursive: true });
    writeFileSync(tmp, Buffer.isBuffer(lines) ? lines : lines.join(""));
    renameSync(tmp, path);
  } catch {
    safeUnlink(tmp); /* the index is a cache */
  }
}

/** A run's ordering key: what `g runs` sorts by (created, then trial), as index-keys.txt keeps it. */
export interface RunKey {
  created: string;
  trial: number;
}

/** The line of index-keys.txt for a run. */
export function keyLine(id: string, key: RunKey): string {
  return `${id} ${key.trial} ${JSON.stringify(key.created)}\n`;
}

/** index-keys.txt's keys by run id (a later line wins), and its line count; torn lines are skipped. */
export function readKeys(home: string): { keys: Map<string, RunKey>; lines: number } {
  const keys = new Map<string, RunKey>();
  let text: string;
  try {
    text = readFileSync(`${home}/${INDEX_KEYS_FILE}`, "latin1");
  } catch {
    return { keys, lines: 0 };
  }
  let lines = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    lines++;
    const key = parseKeyLine(line);
    if (key) keys.set(line.slice(0, ID_LENGTH), key);
  }
  return { keys, lines };
}

/** `<id> <trial> "<created>"` (a line read as latin1), or null when torn. */
function parseKeyLine(line: string): RunKey | null {
  const space = line.indexOf(" ", ID_LENGTH + 1);
  if (line.charCodeAt(ID_LENGTH) !== 32 || space < 0) return null;
  const trial = Number(line.slice(ID_LENGTH + 1, space));
  const last = line.length - 1;
  if (!Number.isFinite(trial) || last <= space + 1 || line.charCodeAt(space + 1) !== 34 || line.charCodeAt(last) !== 34) return null;
  // A time without escapes or non-ASCII (every time g writes) is the text between the quotes; anything else goes through JSON.
  const created = line.slice(space + 2, last);
  if (!/[\\"\x80-\xff\x00-\x1f]/.test(created)) return { created, trial };
  const quoted = line.slice(space + 1);
  try {
    const parsed = JSON.parse(Buffer.from(quoted, "latin1").toString("utf8")) as unknown;
    return typeof parsed === "string" ? { created: parsed, trial } : null;
  } catch {
    return null;
  }
}
