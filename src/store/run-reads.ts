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
import { RunGoneError, readRecord, withLiveParams } from "./run-files.js";
import { readRunSummaries } from "./scalar-files.js";
import { deriveStatus } from "./status.js";
import type { RunRecord, RunStatus, ScalarSummary } from "./types.js";

/** One run read from its files: its record, status and summaries; or a warning; or nothing (the run is gone). */
export type RunRead =
  { record: RunRecord; status: RunStatus; summaries: Record<string, ScalarSummary>; st: RunFileStat | null } | { warning: string } | null;

/** Runs handed out per claim of the shared counter: few enough to balance, enough that claiming costs nothing. */
const CHUNK_RUNS = 64;

/** A worker that has not answered in this long after this thread's share is done is given up on (it died). */
const WORKER_TIMEOUT_MS = 60_000;

/** The worker's module, beside this one both in tsc's dist/store/ and in the bundle's dist/bundle/. */
const WORKER_URL = new URL("./run-reads-worker.js", import.meta.url);

// The worker starts from source (eval) and imports its module itself, so that a module that
// fails to load is caught and answered like any other failure: the caller never waits for nothing.
const BOOT_SOURCE = `
(async () => {
  const { workerData } = await import("node:worker_threads");
  const { url, port, signal } = workerData;
  let message = { error: "no answer" };
  try {
    const { readClaimedRuns } = await import(url);
    message = readClaimedRuns(workerData);
  } catch (err) {
    message = { error: String((err && err.message) || err) };
  } finally {
    port.postMessage(message);
    Atomics.store(signal, 1, 1);
    Atomics.notify(signal, 1);
  }
})();
`;

/** What the worker is given: the runs folder, the names, and the shared counter (slot 0) and answer flag (slot 1). */
export interface RunReadsJob {
  runsDir: string;
  names: string[];
  withSummaries: boolean;
  signal: Int32Array;
}

/** The worker's answer: for each chunk it claimed (its first position), the reads in order. */
export interface RunReadsAnswer {
  chunks: Array<{ from: number; reads: RunRead[] }>;
}

/**
 * Reads one run; with summaries also run.json's stat, taken on the open file before it is read (a
 * run.json replaced or edited after it is then seen as changed by the next reader).
 */
export function readRunFromFiles(runsDir: string, name: string, withSummaries: boolean): RunRead {
  const dir = `${runsDir}/${name}`;
  try {
    const st = withSummaries ? { ino: 0, size: 0, mtime: 0 } : null;
    const record = withLiveParams(readRecord(dir, name, st ?? undefined), dir);
    const status = deriveStatus(record, dir);
    const summaries = withSummaries ? readRunSummaries({ id: name, dir, record, status }) : {};
    return { record, status, summaries, st };
  } catch (err) {
    return err instanceof RunGoneError ? null : { warning: damagedWarning(dir, err) };
  }
}

/** Reads chunks of `job.names` until the shared counter runs past the end (both threads call this). */
export function readClaimedRuns(job: RunReadsJob): RunReadsAnswer {
  const chunks: RunReadsAnswer["chunks"] = [];
  for (;;) {
    const from = Atomics.add(job.signal, 0, CHUNK_RUNS);
    if (from >= job.names.length) return { chunks };
    const reads: RunRead[] = [];
    for (let i = from; i < Math.min(from + CHUNK_RUNS, job.names.length); i++) {
      reads.push(readRunFromFiles(job.runsDir, job.names[i]!, job.withSummaries));
    }
    chunks.push({ from, reads });
  }
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
  workerUrl: URL = WORKER_URL,
): { reads: RunRead[]; byWorker: number } {
  const reads = new Array<RunRead | undefined>(names.length);
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const job: RunReadsJob = { runsDir, names, withSummaries, signal };
  const worker = useWorker ? startWorker(job, workerUrl) : null;
  let mine = 0;
  let byWorker = 0;
  for (const { from, reads: got } of readClaimedRuns(job).chunks) {
    got.forEach((read, k) => (reads[from + k] = read));
    mine += got.length;
  }
  // The worker read the rest, or claimed none (then its answer is not worth waiting for).
  if (worker !== null && mine < names.length) {
    const woke = Atomics.wait(signal, 1, 0, WORKER_TIMEOUT_MS);
    const got = woke === "timed-out" ? undefined : loadWorkerThreads().receiveMessageOnPort(worker.port);
    const answer = got?.message as (RunReadsAnswer & { error?: string }) | undefined;
    if (answer !== undefined && answer.error === undefined) {
      for (const { from, reads: theirs } of answer.chunks) {
        theirs.forEach((read, k) => (reads[from + k] = read));
        byWorker += theirs.length;
      }
    }
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
