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
  for (const r of records) {
    const s = out[r.key];
    if (!s) {
      out[r.key] = {
        last: r.value,
        first: r.value,
        min: r.value,
        max: r.value,
        avg: r.value,
        total: r.value,
        count: 1,
        step: r.step ?? null,
      };
      continue;
    }
    s.last = r.value;
    if (r.value < s.min) s.min = r.value;
    if (r.value > s.max) s.max = r.value;
    s.total += r.value;
    s.count += 1;
    s.avg = s.total / s.count;
    s.step = r.step ?? null;
  }
  return out;
}

/**
 * Per-key scalar summaries, from the run's cache when it is current, else
 * rebuilt; {} when the run has no readable scalars. Never throws: a damaged
 * cache or scalars file costs its values, not the run.
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
  let st;
  try {
    st = statSync(`${run.dir}/${SCALARS_FILE}`, { throwIfNoEntry: false });
  } catch {
    return {};
  }
  if (st === undefined || !st.isFile()) return {};
  if (cache?.scalars && cache.bytes === st.size) return cache.scalars;
  return writeRunSummary(run.dir, st.size);
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
