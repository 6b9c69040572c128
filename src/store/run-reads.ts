// Reads the runs that no index entry describes (run.json, and the summaries of
// scalars.jsonl) on two threads for a big store: on a store without caches this
// is nearly all of a first `compare -T`'s CPU (issue 18), on one core. Both
// threads take chunks of the same list from a shared counter, so neither waits
// for a slower half; the answers are kept by position, so the caller sees them
// in the list's order, exactly as if it had read them one by one. A worker that
// cannot start, fails or falls silent costs time only: its chunks are read here.

import type { MessagePort, Worker } from "node:worker_threads";
import { loadWorkerThreads } from "./worker-threads.js";
import type { RunFileStat } from "./index-cache.js";
import { RunGoneError } from "./run-files.js";
import { readRunSummaries } from "./scalar-files.js";
import { readSettledRun } from "./status.js";
import type { RunRecord, RunStatus, ScalarSummary } from "./types.js";

/** One run read from its files: its record, status and summaries; or a warning; or nothing (the run is gone). */
export type RunRead =
  { record: RunRecord; status: RunStatus; summaries: Record<string, ScalarSummary>; st: RunFileStat | null } | { warning: string } | null;

/** Runs handed out per claim of the shared counter: few enough to balance, enough that claiming costs nothing. */
const CHUNK_RUNS = 64;

/** A worker that has not answered in this long after this thread's share is done is given up on (it died). */
const WORKER_TIMEOUT_MS = 60_000;

/**
 * The worker's module, beside this one both in tsc's dist/store/ and in the
 * bundle's dist/bundle/. A function, not a constant: a module's URL is made
 * from its file name when first read, which start-up does without (issue 18).
 */
function workerModuleUrl(): URL {
  return new URL("./run-reads-worker.js", import.meta.url);
}

// The worker starts from source (eval) and imports its module itself, so that a module that
// fails to load is caught and answered like any other failure: the caller never waits for nothing.
const BOOT_SOURCE = `
(async () => {
  const { workerData } = await import("node:worker_threads");
  const { url, port, signal } = workerData;
  let message = { done: true };
  try {
    const { postClaimedRuns } = await import(url);
    postClaimedRuns(workerData);
  } catch (err) {
    message = { error: String((err && err.message) || err) };
  } finally {
    port.postMessage(message);
    Atomics.store(signal, 1, 1);
    Atomics.notify(signal, 1);
  }
})();
`;

/** What the worker is given: the runs folder, the names, and the shared counter (slot 0) and end flag (slot 1). */
export interface RunReadsJob {
  runsDir: string;
  names: string[];
  withSummaries: boolean;
  signal: Int32Array;
}

/**
 * A chunk the worker read, as it posts it: each run's summaries packed into
 * `sums` (a transferred Float64Array: SUMMARY_F64 numbers a key) with their
 * keys beside the read, since cloning 500 000 small objects back at 100 000
 * runs cost the reading thread more than reading them. Summaries of another
 * shape (a hand-edited summary.json) travel as they are, in `summaries`.
 */
interface PackedChunk {
  from: number;
  reads: PackedRead[];
  sums: Float64Array;
}

type PackedRead =
  | { record: RunRecord; status: RunStatus; st: RunFileStat | null; keys: string[]; summaries?: undefined }
  | { record: RunRecord; status: RunStatus; st: RunFileStat | null; keys?: undefined; summaries: Record<string, ScalarSummary> }
  | { warning: string }
  | null;

/** A summary packed: last, first, min, max, total, count, step (NaN for null); the average is total / count. */
const SUMMARY_F64 = 7;
/** The fields of a summary in the order every summarizer makes them: what packs without a change. */
const SUMMARY_FIELDS = ["last", "first", "min", "max", "avg", "total", "count", "step"];

/**
 * Reads one run; with summaries also run.json's stat, taken on the open file before it is read (a
 * run.json replaced or edited after it is then seen as changed by the next reader).
 */
export function readRunFromFiles(runsDir: string, name: string, withSummaries: boolean): RunRead {
  const dir = `${runsDir}/${name}`;
  try {
    const st = withSummaries ? { ino: 0, size: 0, mtime: 0 } : null;
    const { record, status } = readSettledRun(dir, name, st ?? undefined);
    const summaries = withSummaries ? readRunSummaries({ id: name, dir, record, status }) : {};
    return { record, status, summaries, st };
  } catch (err) {
    return err instanceof RunGoneError ? null : { warning: damagedWarning(dir, err) };
  }
}

/** Reads chunks of `job.names` until the shared counter runs past the end (both threads call this), each handed to `onChunk`. */
export function readClaimedRuns(job: RunReadsJob, onChunk: (from: number, reads: RunRead[]) => void): void {
  for (;;) {
    const from = Atomics.add(job.signal, 0, CHUNK_RUNS);
    if (from >= job.names.length) return;
    const reads: RunRead[] = [];
    for (let i = from; i < Math.min(from + CHUNK_RUNS, job.names.length); i++) {
      reads.push(readRunFromFiles(job.runsDir, job.names[i]!, job.withSummaries));
    }
    onChunk(from, reads);
  }
}

/** The worker's side: reads chunks as the caller's thread does, posting each as soon as it is read. */
export function postClaimedRuns(job: RunReadsJob & { port: MessagePort }): void {
  readClaimedRuns(job, (from, reads) => {
    const chunk = packChunk(from, reads);
    job.port.postMessage(chunk, [chunk.sums.buffer as ArrayBuffer]);
  });
}

/**
 * Reads every run of `names`, in their order, with a worker thread taking a share;
 * `useWorker: false` (or a worker that cannot be made) reads them all on this thread.
 * `byWorker` counts the reads the worker answered for (what tests check).
 */
export function readRunsFromFiles(
  runsDir: string,
  names: string[],
  withSummaries: boolean,
  useWorker = true,
  workerUrl: URL = workerModuleUrl(),
): { reads: RunRead[]; byWorker: number } {
  return startRunReads(runsDir, names, withSummaries, useWorker, workerUrl).finish();
}

/** Reads of runs under way on a worker thread; `finish` reads this thread's share and gives every read, as readRunsFromFiles does. */
export interface RunReads {
  finish(): { reads: RunRead[]; byWorker: number };
}

/**
 * readRunsFromFiles in two steps: the worker starts reading now, while the
 * caller does other work; `finish` then reads what the worker has not claimed
 * and takes its answers (with `useWorker: false`, all of it is read there).
 */
export function startRunReads(
  runsDir: string,
  names: string[],
  withSummaries: boolean,
  useWorker = true,
  workerUrl: URL = workerModuleUrl(),
): RunReads {
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const job: RunReadsJob = { runsDir, names, withSummaries, signal };
  const worker = useWorker && names.length > 0 ? startWorker(job, workerUrl) : null;
  return { finish: () => finishRunReads(job, worker) };
}

function finishRunReads(job: RunReadsJob, worker: { thread: Worker; port: MessagePort } | null): { reads: RunRead[]; byWorker: number } {
  const { runsDir, names, withSummaries, signal } = job;
  const reads = new Array<RunRead | undefined>(names.length);
  let mine = 0;
  let byWorker = 0;
  // Takes in what the worker has posted so far: between this thread's chunks, so that unpacking its
  // reads is shared out by the counter like the reading, and not left for the end.
  const takeWorkerChunks = (): void => {
    if (worker === null) return;
    const { receiveMessageOnPort } = loadWorkerThreads();
    for (let got = receiveMessageOnPort(worker.port); got; got = receiveMessageOnPort(worker.port)) {
      const chunk = got.message as PackedChunk | { done: true } | { error: string };
      if (!("from" in chunk)) continue;
      unpackChunk(chunk).forEach((read, k) => (reads[chunk.from + k] = read));
      byWorker += chunk.reads.length;
    }
  };
  readClaimedRuns(job, (from, got) => {
    got.forEach((read, k) => (reads[from + k] = read));
    mine += got.length;
    takeWorkerChunks();
  });
  // The worker reads its last chunks, or claimed none (then its answer is not worth waiting for).
  if (worker !== null && mine + byWorker < names.length) {
    Atomics.wait(signal, 1, 0, WORKER_TIMEOUT_MS);
    takeWorkerChunks();
  }
  if (worker !== null) {
    worker.port.close();
    void worker.thread.terminate();
  }
  // Whatever the worker claimed but did not answer for (it failed): read here.
  for (let i = 0; i < names.length; i++) {
    if (reads[i] === undefined) reads[i] = readRunFromFiles(runsDir, names[i]!, withSummaries);
  }
  return { reads: reads as RunRead[], byWorker };
}

/** A chunk of reads with their summaries packed (see PackedChunk). */
function packChunk(from: number, reads: RunRead[]): PackedChunk {
  let keyCount = 0;
  for (const read of reads) if (read !== null && "record" in read) keyCount += Object.keys(read.summaries).length;
  const sums = new Float64Array(keyCount * SUMMARY_F64);
  let at = 0;
  const packed = reads.map((read): PackedRead => {
    if (read === null || "warning" in read) return read;
    const { record, status, summaries, st } = read;
    if (!isPackable(summaries)) return { record, status, st, summaries };
    const keys = Object.keys(summaries);
    for (const key of keys) {
      const s = summaries[key]!;
      sums[at] = s.last;
      sums[at + 1] = s.first;
      sums[at + 2] = s.min;
      sums[at + 3] = s.max;
      sums[at + 4] = s.total;
      sums[at + 5] = s.count;
      sums[at + 6] = s.step === null ? NaN : s.step;
      at += SUMMARY_F64;
    }
    return { record, status, st, keys };
  });
  return { from, reads: packed, sums: at === sums.length ? sums : sums.slice(0, at) };
}

/** The reads of a packed chunk, with the summaries they were read with. */
function unpackChunk(chunk: PackedChunk): RunRead[] {
  const { sums } = chunk;
  let at = 0;
  return chunk.reads.map((read): RunRead => {
    if (read === null || "warning" in read) return read;
    const { record, status, st } = read;
    if (read.keys === undefined) return { record, status, summaries: read.summaries, st };
    const summaries: Record<string, ScalarSummary> = {};
    for (const key of read.keys) {
      const total = sums[at + 4]!;
      const count = sums[at + 5]!;
      const step = sums[at + 6]!;
      const summary: ScalarSummary = {
        last: sums[at]!,
        first: sums[at + 1]!,
        min: sums[at + 2]!,
        max: sums[at + 3]!,
        avg: total / count,
        total,
        count,
        step: Number.isNaN(step) ? null : step,
      };
      // Own properties only: a scalar named "__proto__" is a key like any other.
      if (key === "__proto__")
        Object.defineProperty(summaries, key, { value: summary, enumerable: true, writable: true, configurable: true });
      else summaries[key] = summary;
      at += SUMMARY_F64;
    }
    return { record, status, summaries, st };
  });
}

/**
 * Whether a run's summaries come back the same from their packed numbers: a plain object of
 * summaries each with the eight fields in their order, numbers (step a number or null, not NaN)
 * and the average total / count. Those of summarizeScalarBytes and of g's summary.json are.
 */
function isPackable(summaries: Record<string, ScalarSummary>): boolean {
  if (Object.getPrototypeOf(summaries) !== Object.prototype) return false;
  for (const key of Object.keys(summaries)) {
    const s = summaries[key] as ScalarSummary | null;
    if (typeof s !== "object" || s === null || Object.getPrototypeOf(s) !== Object.prototype) return false;
    let k = 0;
    for (const field in s) if (SUMMARY_FIELDS[k++] !== field) return false;
    if (k !== SUMMARY_FIELDS.length) return false;
    const { last, first, min, max, avg, total, count, step } = s;
    if (typeof last !== "number" || typeof first !== "number" || typeof min !== "number" || typeof max !== "number") return false;
    if (typeof total !== "number" || typeof count !== "number" || !Object.is(avg, total / count)) return false;
    if (step !== null && (typeof step !== "number" || Number.isNaN(step))) return false;
  }
  return true;
}

/** Starts a worker on `job`; null when none can be made (then this thread reads everything). */
function startWorker(job: RunReadsJob, url: URL): { thread: Worker; port: MessagePort } | null {
  const { MessageChannel, Worker } = loadWorkerThreads();
  try {
    const channel = new MessageChannel();
    const thread = new Worker(BOOT_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { ...job, url: url.href, port: channel.port2 },
      transferList: [channel.port2],
    });
    thread.unref();
    thread.on("error", () => {}); // a failure is answered (or timed out) through the port
    return { thread, port: channel.port1 };
  } catch {
    return null;
  }
}

/** The warning for a run folder that cannot be read; it names the folder and what is wrong. */
export function damagedWarning(dir: string, err: unknown): string {
  return `skipping damaged run ${dir}: ${describeDamage(err)}`;
}

/** What is wrong with a run folder, in words. */
export function describeDamage(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOTDIR") return "it is a file, not a folder";
  if (code === "ELOOP") return "it is a symbolic link loop";
  return (err as Error).message;
}
