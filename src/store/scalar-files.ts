// A run's scalars: scalars.jsonl (append-only, one whole JSON record a line)
// and summary.json, the per-key summaries cached under the size of
// scalars.jsonl they were computed from.

import { existsSync, readFileSync, statSync } from "node:fs";
import { appendLines, writeJsonAtomic } from "./fs-atomic.js";
import { SCALARS_FILE, SUMMARY_FILE } from "./paths.js";
import { readBytesFast, readTextFast } from "./read-fast.js";
import type { Run, ScalarRecord, ScalarSummary } from "./types.js";
import { toStoreWriteError } from "./write-errors.js";

interface SummaryCache {
  /** Size of scalars.jsonl when the summary was computed; a different size means stale. */
  bytes: number;
  scalars: Record<string, ScalarSummary>;
}

/** Appends records to the run in `dir`, all of them or none (disk full: StoreWriteError). */
export function appendScalarRecords(dir: string, records: ScalarRecord[]): void {
  if (records.length === 0) return;
  const path = `${dir}/${SCALARS_FILE}`;
  try {
    // One write for all: concurrent writers interleave batches of lines, never bytes.
    appendLines(path, [records.map((r) => JSON.stringify(r) + "\n").join("")]);
  } catch (err) {
    throw toStoreWriteError(err, path);
  }
}

/** The records of a scalars.jsonl; [] when it is missing or unreadable. */
export function readScalarsFile(path: string): ScalarRecord[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const out: ScalarRecord[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const r = JSON.parse(line) as ScalarRecord;
      if (typeof r.key === "string" && typeof r.value === "number") out.push(r);
    } catch {
      /* a line torn by a crash is skipped; the others stand */
    }
  }
  return out;
}

export function summarizeScalars(records: ScalarRecord[]): Record<string, ScalarSummary> {
  const out: Record<string, ScalarSummary> = {};
  for (const r of records) addToSummary(out, r.key, r.value, r.step ?? null);
  return out;
}

/** Adds one value to the per-key summaries (the one rule both summarizers share). */
function addToSummary(out: Record<string, ScalarSummary>, key: string, value: number, step: number | null): void {
  // Own properties only: a scalar named "__proto__" or "toString" is a key like any other.
  const s = Object.hasOwn(out, key) ? out[key] : undefined;
  if (!s) {
    const first = { last: value, first: value, min: value, max: value, avg: value, total: value, count: 1, step };
    Object.defineProperty(out, key, { value: first, enumerable: true, writable: true, configurable: true });
    return;
  }
  s.last = value;
  if (value < s.min) s.min = value;
  if (value > s.max) s.max = value;
  s.total += value;
  s.count += 1;
  s.avg = s.total / s.count;
  s.step = step;
}

/**
 * The per-key summaries of a scalars.jsonl's text, the same as
 * summarizeScalars of its parsed records (see summarizeScalarBytes).
 */
export function summarizeScalarText(text: string): Record<string, ScalarSummary> {
  const bytes = Buffer.from(text, "utf8");
  return summarizeScalarBytes(bytes, 0, bytes.length);
}

// The line every writer of scalars.jsonl produces (g's runner, both SDKs):
// {"key":K,"value":V,"step":S,"t":T} with a key free of escapes. Its fixed
// parts are compared byte by byte in line (a loop over a Buffer constant cost
// a tenth of the scan), each with its text beside it.
/** Exact powers of ten as doubles: a whole number below 2^53 divided by one of these is correctly rounded (one rounding). */
const EXACT_POWERS = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Keys tried byte by byte (the one after the last line's first) before a key's text is looked up by name. */
const KEY_TRIES = 8;

/**
 * A number's value as scanNumber found it. One per thread, reused: a first
 * read meets 50 million lines at 100 000 runs, and a number returned from a
 * call that is not inlined is a heap number each.
 */
const scanned = { value: 0 };

/**
 * The keys one file's plain lines name, in order of first appearance: where
 * their bytes were first met in the buffer (to compare the next lines' keys
 * with, byte by byte, without decoding them) and the summary each adds to;
 * `last` is the slot of the last plain line.
 */
interface KeySlots {
  at: number[];
  length: number[];
  text: string[];
  summary: ScalarSummary[];
  /** A key's text to its slot, for a file with more keys than are tried byte by byte. */
  byName: Map<string, number>;
  last: number;
}

/**
 * The end of the JSON number at `at` in `buf` (before `limit`), -1 when the
 * bytes there are not one; its value, exactly the one JSON.parse gives, in
 * `scanned.value`. Its digits make a whole number and a power of ten: below
 * 2^53 and 10^22 both are exact and their quotient is the correctly rounded
 * value (Clinger's fast path); anything else (an exponent, more digits) goes
 * through Number() of its text.
 */
function scanNumber(buf: Buffer, at: number, limit: number): number {
  let i = at;
  const negative = buf[i] === 45; /* - */
  if (negative) i++;
  const intStart = i;
  let mantissa = 0;
  let c = 0;
  while (i < limit && (c = buf[i]! - 48) >= 0 && c <= 9) {
    mantissa = mantissa * 10 + c;
    i++;
  }
  const intDigits = i - intStart;
  // JSON: at least one digit, and no leading zero before more digits.
  if (intDigits === 0 || (intDigits > 1 && buf[intStart] === 48)) return -1;
  let scale = 0;
  if (i < limit && buf[i] === 46 /* . */) {
    const fracStart = ++i;
    while (i < limit && (c = buf[i]! - 48) >= 0 && c <= 9) {
      mantissa = mantissa * 10 + c;
      i++;
    }
    scale = i - fracStart;
    if (scale === 0) return -1;
  }
  if (i < limit && (buf[i]! | 32) === 101 /* e E */) {
    i = skipExponent(buf, i + 1, limit);
    if (i < 0) return -1;
    scanned.value = Number(buf.toString("latin1", at, i));
    return i;
  }
  // Every partial sum below 2^53 was exact; a mantissa rounded on the way ends at 2^53 or above.
  if (mantissa <= Number.MAX_SAFE_INTEGER && scale < EXACT_POWERS.length) {
    const v = scale === 0 ? mantissa : mantissa / EXACT_POWERS[scale]!;
    scanned.value = negative ? -v : v;
  } else scanned.value = Number(buf.toString("latin1", at, i));
  return i;
}

/** The end of the JSON number at `at` (before `limit`), -1 when the bytes there are not one: checked, not read. */
function skipNumber(buf: Buffer, at: number, limit: number): number {
  let i = at;
  if (buf[i] === 45 /* - */) i++;
  const intStart = i;
  let c = 0;
  while (i < limit && (c = buf[i]! - 48) >= 0 && c <= 9) i++;
  const intDigits = i - intStart;
  if (intDigits === 0 || (intDigits > 1 && buf[intStart] === 48)) return -1;
  if (i < limit && buf[i] === 46 /* . */) {
    const fracStart = ++i;
    while (i < limit && (c = buf[i]! - 48) >= 0 && c <= 9) i++;
    if (i === fracStart) return -1;
  }
  if (i < limit && (buf[i]! | 32) === 101 /* e E */) return skipExponent(buf, i + 1, limit);
  return i;
}

/** The end of an exponent's sign and digits from `at` (after the e), -1 without digits. */
function skipExponent(buf: Buffer, at: number, limit: number): number {
  let i = at;
  if (i < limit && (buf[i] === 43 || buf[i] === 45) /* + - */) i++;
  const digitsStart = i;
  let c = 0;
  while (i < limit && (c = buf[i]! - 48) >= 0 && c <= 9) i++;
  return i === digitsStart ? -1 : i;
}

/**
 * The per-key summaries of the scalars.jsonl bytes buf[start, end), the same
 * as summarizeScalars of its parsed records, without decoding the file into a
 * string, a JSON.parse or an object per line: a first read of 100 000 runs
 * meets 50 million lines. A key is decoded once per file: the next lines' keys
 * are compared with its bytes, the key after the last line's first (writers
 * log their keys in the same order step after step). A line of another shape
 * (extra fields, escapes, spaces) goes through JSON.parse and the same checks
 * as readScalarsFile; a torn line is skipped.
 */
export function summarizeScalarBytes(buf: Buffer, start: number, end: number): Record<string, ScalarSummary> {
  const out: Record<string, ScalarSummary> = {};
  const slots: KeySlots = { at: [], length: [], text: [], summary: [], byName: new Map(), last: -1 };
  let pos = start;
  while (pos < end) {
    const next = addPlainLine(buf, pos, end, out, slots);
    if (next >= 0) {
      pos = next;
      continue;
    }
    let lineEnd = buf.indexOf(10, pos);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    if (lineEnd > pos) {
      try {
        const r = JSON.parse(buf.toString("utf8", pos, lineEnd)) as ScalarRecord;
        if (typeof r.key === "string" && typeof r.value === "number") addToSummary(out, r.key, r.value, r.step ?? null);
      } catch {
        /* a line torn by a crash is skipped; the others stand */
      }
    }
    pos = lineEnd + 1;
  }
  // The plain lines kept total and count only; their average is the one addToSummary would have left.
  for (const s of slots.summary) if (s.count > 0) s.avg = s.total / s.count;
  return out;
}

/**
 * Adds the line at `pos` when it has the plain shape and returns where the
 * next line starts; -1 (nothing added) when it has another shape.
 */
function addPlainLine(buf: Buffer, pos: number, end: number, out: Record<string, ScalarSummary>, slots: KeySlots): number {
  // {"key":"
  if (
    pos + 8 > end ||
    buf[pos] !== 123 ||
    buf[pos + 1] !== 34 ||
    buf[pos + 2] !== 107 ||
    buf[pos + 3] !== 101 ||
    buf[pos + 4] !== 121 ||
    buf[pos + 5] !== 34 ||
    buf[pos + 6] !== 58 ||
    buf[pos + 7] !== 34
  )
    return -1;
  const keyStart = pos + 8;
  let slot = findKnownKey(buf, keyStart, end, slots);
  let i: number;
  if (slot >= 0) i = keyStart + slots.length[slot]!;
  else {
    // A key met the first time, or past the ones tried: its text up to the closing quote, plain.
    i = keyStart;
    while (i < end && buf[i] !== 34 /* " */) {
      if (buf[i] === 92 /* \ */ || buf[i]! < 32) return -1;
      i++;
    }
  }
  // ","value":
  if (
    i + 10 > end ||
    buf[i] !== 34 ||
    buf[i + 1] !== 44 ||
    buf[i + 2] !== 34 ||
    buf[i + 3] !== 118 ||
    buf[i + 4] !== 97 ||
    buf[i + 5] !== 108 ||
    buf[i + 6] !== 117 ||
    buf[i + 7] !== 101 ||
    buf[i + 8] !== 34 ||
    buf[i + 9] !== 58
  )
    return -1;
  // Given a slot from its first line with a value on (addPlainLine counts it from its first whole line).
  if (slot < 0) slot = addKeySlot(buf, keyStart, i, slots);
  i = scanNumber(buf, i + 10, end);
  if (i < 0) return -1;
  const value = scanned.value;
  // ,"step":
  if (
    i + 8 > end ||
    buf[i] !== 44 ||
    buf[i + 1] !== 34 ||
    buf[i + 2] !== 115 ||
    buf[i + 3] !== 116 ||
    buf[i + 4] !== 101 ||
    buf[i + 5] !== 112 ||
    buf[i + 6] !== 34 ||
    buf[i + 7] !== 58
  )
    return -1;
  i += 8;
  let step: number | null = null;
  // null
  if (i + 4 <= end && buf[i] === 110 && buf[i + 1] === 117 && buf[i + 2] === 108 && buf[i + 3] === 108) i += 4;
  else {
    i = scanNumber(buf, i, end);
    if (i < 0) return -1;
    step = scanned.value;
  }
  // ,"t":
  if (i + 5 > end || buf[i] !== 44 || buf[i + 1] !== 34 || buf[i + 2] !== 116 || buf[i + 3] !== 34 || buf[i + 4] !== 58) return -1;
  i = skipNumber(buf, i + 5, end); // a time: checked, not needed
  // } and the end of the line
  if (i < 0 || i >= end || buf[i] !== 125) return -1;
  i++;
  if (i < end && buf[i] !== 10) return -1;
  slots.last = slot;
  const s = slots.summary[slot]!;
  if (s.count === 0) {
    // The key's first value in this file: its summary joins the answer now, or is the one a line
    // JSON.parse read made (Object.hasOwn: a scalar named "__proto__" is a key like any other).
    const key = slots.text[slot]!;
    if (Object.hasOwn(out, key)) slots.summary[slot] = out[key]!;
    else {
      s.last = s.first = s.min = s.max = s.total = value;
      s.count = 1;
      s.step = step;
      // A plain store keeps the object's shape (one per key order, shared by every file); only "__proto__" needs defining.
      if (key === "__proto__") Object.defineProperty(out, key, { value: s, enumerable: true, writable: true, configurable: true });
      else out[key] = s;
      return i + 1;
    }
  }
  addToSlot(slots.summary[slot]!, value, step);
  return i + 1;
}

/** Adds a value to a summary met before (the average is left to the end). */
function addToSlot(s: ScalarSummary, value: number, step: number | null): void {
  s.last = value;
  if (value < s.min) s.min = value;
  if (value > s.max) s.max = value;
  s.total += value;
  s.count += 1;
  s.step = step;
}

/**
 * The slot of a known key whose bytes start at `keyStart` and end with a
 * closing quote, trying the one after the last line's first, then the next,
 * up to KEY_TRIES; -1 when none of them is.
 */
function findKnownKey(buf: Buffer, keyStart: number, end: number, slots: KeySlots): number {
  const { at, length } = slots;
  const n = at.length;
  const tries = n < KEY_TRIES ? n : KEY_TRIES;
  let k = slots.last + 1;
  for (let t = 0; t < tries; t++, k++) {
    if (k >= n) k = 0;
    const len = length[k]!;
    // The closing quote right after (which rules out a longer key), then the same bytes.
    if (keyStart + len >= end || buf[keyStart + len] !== 34) continue;
    const from = at[k]!;
    let b = 0;
    while (b < len && buf[keyStart + b] === buf[from + b]) b++;
    if (b === len) return k;
  }
  return -1;
}

/** The slot of the plain key buf[keyStart, keyEnd): by its text, or a new one for a key met the first time. */
function addKeySlot(buf: Buffer, keyStart: number, keyEnd: number, slots: KeySlots): number {
  const key = buf.toString("utf8", keyStart, keyEnd);
  const known = slots.byName.get(key);
  if (known !== undefined) return known;
  const slot = slots.at.length;
  slots.at.push(keyStart);
  slots.length.push(keyEnd - keyStart);
  slots.text.push(key);
  slots.summary.push({ last: 0, first: 0, min: 0, max: 0, avg: 0, total: 0, count: 0, step: null });
  slots.byName.set(key, slot);
  return slot;
}

/**
 * Per-key scalar summaries, from the run's summary.json when it is current,
 * else computed from scalars.jsonl; {} when the run has no readable scalars.
 * Readers never write summary.json: with thousands of runs to read (a store
 * copied from a cluster, a lost index) a file and its fsyncs per run made the
 * first read disk-bound. The store's index keeps what was computed. Never
 * throws: a damaged cache or scalars file costs its values, not the run.
 */
export function readRunSummaries(run: Run): Record<string, ScalarSummary> {
  let cache: SummaryCache | null = null;
  try {
    // Asked first without opening: a store without caches has none, and a failed open throws (15 µs a run).
    const path = `${run.dir}/${SUMMARY_FILE}`;
    const cacheText = existsSync(path) ? readTextFast(path) : null;
    if (cacheText !== null) cache = JSON.parse(cacheText) as SummaryCache;
  } catch {
    /* torn, hand-edited or not a file: rebuild */
  }
  // A stopped run's summary was written after its last scalar: trust it without a stat
  // (100 000 stats are 0.6 s). A running run's scalars grow, so check the size.
  if (cache?.scalars && run.record.stopped != null && run.status !== "running") return cache.scalars;
  let bytes: { buf: Buffer; length: number } | null;
  try {
    bytes = readBytesFast(`${run.dir}/${SCALARS_FILE}`);
  } catch {
    return {};
  }
  if (bytes === null) return {};
  if (cache?.scalars && cache.bytes === bytes.length) return cache.scalars;
  return summarizeScalarBytes(bytes.buf, 0, bytes.length);
}

/** Recomputes and caches a run's scalar summaries (called when a run ends). */
export function writeRunSummary(dir: string, knownBytes?: number): Record<string, ScalarSummary> {
  const scalarsPath = `${dir}/${SCALARS_FILE}`;
  let bytes = knownBytes;
  if (bytes === undefined) {
    try {
      bytes = statSync(scalarsPath).size;
    } catch {
      return {};
    }
  }
  const scalars = summarizeScalars(readScalarsFile(scalarsPath));
  try {
    writeJsonAtomic(`${dir}/${SUMMARY_FILE}`, { bytes, scalars } satisfies SummaryCache, "atomic");
  } catch {
    /* a read-only or full store still answers; the cache is only an optimisation */
  }
  return scalars;
}
