// A run's scalars: scalars.jsonl (append-only, one whole JSON record a line)
// and summary.json, the per-key summaries cached under the size of
// scalars.jsonl they were computed from.

import { readFileSync, statSync } from "node:fs";
import { appendLines, writeJsonAtomic } from "./fs-atomic.js";
import { SCALARS_FILE, SUMMARY_FILE } from "./paths.js";
import { readTextFast } from "./read-fast.js";
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

/** A JSON number, exactly as JSON.parse accepts it (so Number() of it is what JSON.parse gives). */
const JSON_NUMBER = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;
/**
 * The line every writer of scalars.jsonl produces (g's runner, both SDKs):
 * `{"key":K,"value":V,"step":S,"t":T}` with a key free of escapes. Sticky, so
 * it matches in place in the file's text without cutting a string per line.
 */
const PLAIN_SCALAR_LINE = new RegExp(
  String.raw`\{"key":"([^"\\\x00-\x1f]*)","value":(${JSON_NUMBER}),"step":(null|${JSON_NUMBER}),"t":${JSON_NUMBER}\}(?:\n|$)`,
  "y",
);

/**
 * The per-key summaries of a scalars.jsonl's text, the same as
 * summarizeScalars of its parsed records, without a JSON.parse or an object
 * per line: a first read of 100 000 runs meets 50 million lines. A line of
 * another shape (extra fields, escapes, spaces) goes through JSON.parse and
 * the same checks as readScalarsFile; a torn line is skipped.
 */
export function summarizeScalarText(text: string): Record<string, ScalarSummary> {
  const out: Record<string, ScalarSummary> = {};
  const re = PLAIN_SCALAR_LINE;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m) {
      addToSummary(out, m[1]!, Number(m[2]), m[3] === "null" ? null : Number(m[3]));
      pos = re.lastIndex;
      continue;
    }
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    if (end > pos) {
      try {
        const r = JSON.parse(text.slice(pos, end)) as ScalarRecord;
        if (typeof r.key === "string" && typeof r.value === "number") addToSummary(out, r.key, r.value, r.step ?? null);
      } catch {
        /* a line torn by a crash is skipped; the others stand */
      }
    }
    pos = end + 1;
  }
  return out;
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
  let text: string | null;
  try {
    text = readTextFast(`${run.dir}/${SCALARS_FILE}`);
  } catch {
    return {};
  }
  if (text === null) return {};
  if (cache?.scalars && cache.bytes === Buffer.byteLength(text)) return cache.scalars;
  return summarizeScalarText(text);
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
