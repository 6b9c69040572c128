// A run's scalars: scalars.jsonl (append-only, one whole JSON record a line)
// and summary.json, the per-key summaries cached under the size of
// scalars.jsonl they were computed from.

import { readFileSync, statSync } from "node:fs";
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

// Bytes of the line every writer of scalars.jsonl produces (g's runner, both SDKs):
// {"key":K,"value":V,"step":S,"t":T} with a key free of escapes.
const KEY_OPEN = Buffer.from('{"key":"');
const VALUE_OPEN = Buffer.from('","value":');
const STEP_OPEN = Buffer.from(',"step":');
const T_OPEN = Buffer.from(',"t":');
const NULL_TEXT = Buffer.from("null");
/** Exact powers of ten as doubles: a decimal of at most 15 digits scaled by one of these is correctly rounded. */
const EXACT_POWERS = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_FAST_DIGITS = 15;

/** Where a number ends and its value, as the scanner reads it; `end` -1 when the bytes there are not a JSON number. */
interface ScannedNumber {
  end: number;
  value: number;
}

/**
 * The JSON number at `at` in `buf` (before `limit`): its end and exactly the
 * value JSON.parse gives. Up to 15 significant digits and a power of ten up
 * to 22, the decimal is computed here (one rounding: correct); anything else
 * goes through Number() of its text. `wantValue` false: only checked and skipped.
 */
function scanNumber(buf: Buffer, at: number, limit: number, out: ScannedNumber, wantValue = true): void {
  let i = at;
  const negative = buf[i] === 45; /* - */
  if (negative) i++;
  const intStart = i;
  let mantissa = 0;
  let digits = 0;
  while (i < limit && buf[i]! >= 48 && buf[i]! <= 57) {
    mantissa = mantissa * 10 + (buf[i]! - 48);
    if (mantissa !== 0) digits++;
    i++;
  }
  const intDigits = i - intStart;
  // JSON: at least one digit, and no leading zero before more digits.
  if (intDigits === 0 || (intDigits > 1 && buf[intStart] === 48)) {
    out.end = -1;
    return;
  }
  let scale = 0;
  if (i < limit && buf[i] === 46 /* . */) {
    i++;
    const fracStart = i;
    while (i < limit && buf[i]! >= 48 && buf[i]! <= 57) {
      mantissa = mantissa * 10 + (buf[i]! - 48);
      if (mantissa !== 0) digits++;
      i++;
    }
    if (i === fracStart) {
      out.end = -1;
      return;
    }
    scale = i - fracStart;
  }
  let exact = digits <= MAX_FAST_DIGITS;
  if (i < limit && (buf[i] === 101 || buf[i] === 69) /* e E */) {
    i++;
    if (i < limit && (buf[i] === 43 || buf[i] === 45)) i++;
    const expStart = i;
    while (i < limit && buf[i]! >= 48 && buf[i]! <= 57) i++;
    if (i === expStart) {
      out.end = -1;
      return;
    }
    exact = false;
  }
  out.end = i;
  if (!wantValue) return;
  if (exact && scale <= 22) {
    const v = scale === 0 ? mantissa : mantissa / EXACT_POWERS[scale]!;
    out.value = negative ? -v : v;
  } else out.value = Number(buf.toString("latin1", at, i));
}

/** Whether `buf` holds `text` at `at` (before `limit`). */
function bytesAt(buf: Buffer, at: number, limit: number, text: Buffer): boolean {
  if (at + text.length > limit) return false;
  for (let k = 0; k < text.length; k++) if (buf[at + k] !== text[k]) return false;
  return true;
}

/**
 * The per-key summaries of the scalars.jsonl bytes buf[start, end), the same
 * as summarizeScalars of its parsed records, without decoding the file into a
 * string, a JSON.parse or an object per line: a first read of 100 000 runs
 * meets 50 million lines. Keys are decoded once per run, not once per line.
 * A line of another shape (extra fields, escapes, spaces) goes through
 * JSON.parse and the same checks as readScalarsFile; a torn line is skipped.
 */
export function summarizeScalarBytes(buf: Buffer, start: number, end: number): Record<string, ScalarSummary> {
  const out: Record<string, ScalarSummary> = {};
  // The keys met so far: their bytes' bounds in buf (the first line that had them) and their text.
  const keyAt: number[] = [];
  const keyLength: number[] = [];
  const keyText: string[] = [];
  const num: ScannedNumber = { end: 0, value: 0 };
  let pos = start;
  while (pos < end) {
    let lineEnd = buf.indexOf(10, pos);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    if (!summarizePlainLine(buf, pos, lineEnd, out, keyAt, keyLength, keyText, num) && lineEnd > pos) {
      try {
        const r = JSON.parse(buf.toString("utf8", pos, lineEnd)) as ScalarRecord;
        if (typeof r.key === "string" && typeof r.value === "number") addToSummary(out, r.key, r.value, r.step ?? null);
      } catch {
        /* a line torn by a crash is skipped; the others stand */
      }
    }
    pos = lineEnd + 1;
  }
  return out;
}

/** Adds the line buf[pos, lineEnd) when it has the plain shape; false (nothing added) when not. */
function summarizePlainLine(
  buf: Buffer,
  pos: number,
  lineEnd: number,
  out: Record<string, ScalarSummary>,
  keyAt: number[],
  keyLength: number[],
  keyText: string[],
  num: ScannedNumber,
): boolean {
  if (!bytesAt(buf, pos, lineEnd, KEY_OPEN)) return false;
  const keyStart = pos + KEY_OPEN.length;
  let i = keyStart;
  while (i < lineEnd && buf[i] !== 34 /* " */) {
    if (buf[i] === 92 /* \ */ || buf[i]! < 32) return false;
    i++;
  }
  const keyEnd = i;
  if (!bytesAt(buf, keyEnd, lineEnd, VALUE_OPEN)) return false;
  scanNumber(buf, keyEnd + VALUE_OPEN.length, lineEnd, num);
  if (num.end < 0) return false;
  const value = num.value;
  if (!bytesAt(buf, num.end, lineEnd, STEP_OPEN)) return false;
  const stepAt = num.end + STEP_OPEN.length;
  let step: number | null = null;
  let after: number;
  if (bytesAt(buf, stepAt, lineEnd, NULL_TEXT)) after = stepAt + NULL_TEXT.length;
  else {
    scanNumber(buf, stepAt, lineEnd, num);
    if (num.end < 0) return false;
    step = num.value;
    after = num.end;
  }
  if (!bytesAt(buf, after, lineEnd, T_OPEN)) return false;
  scanNumber(buf, after + T_OPEN.length, lineEnd, num, false); // a time: checked, not needed
  if (num.end < 0 || num.end !== lineEnd - 1 || buf[num.end] !== 125 /* } */) return false;
  // The key's text: one met before (compared byte by byte), else decoded once.
  const length = keyEnd - keyStart;
  let key: string | undefined;
  for (let k = 0; k < keyText.length && key === undefined; k++) {
    if (keyLength[k] !== length) continue;
    const at = keyAt[k]!;
    let same = true;
    for (let b = 0; b < length && same; b++) same = buf[at + b] === buf[keyStart + b];
    if (same) key = keyText[k];
  }
  if (key === undefined) {
    key = buf.toString("utf8", keyStart, keyEnd);
    keyAt.push(keyStart);
    keyLength.push(length);
    keyText.push(key);
  }
  addToSummary(out, key, value, step);
  return true;
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
    const cacheText = readTextFast(`${run.dir}/${SUMMARY_FILE}`);
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
