// The second core for a big table's rows: `g compare` of 100 000 runs spends
// most of its time making two million cells on one thread, while the worker
// that listed and stat'ed the runs folder sits idle. This offers the compare
// builder a worker thread that makes the cells of the later rows served from
// the index snapshot (index.bin, read into shared memory, so the worker reads
// the same bytes without a copy) while the main thread makes the rest; both
// run buildRowCells, so the cells are the same whichever thread made them.
// Any failure of the worker is answered by making its rows on this thread.

import type { MessagePort, Worker } from "node:worker_threads";
import type { CompareInputRun, OffloadedRows, RowCells, RowOffload } from "../query/compare-data.js";
import type { ResolvedColumn } from "../query/columns.js";
import type { Snapshot } from "../store/index-snapshot.js";
import { SnapshotRun } from "../store/snapshot-runs.js";
import { loadWorkerThreads } from "../store/worker-threads.js";

/** Below this many rows a thread's start (some 30 ms) is not worth it: every row is made here. */
export const OFFLOAD_FROM_ROWS = 10_000;
/**
 * The share of the rows the main thread keeps: the worker starts later (its
 * start and its module load) and hands its cells back as one copied string,
 * so it takes a little less than half.
 */
const MAIN_SHARE = 0.5;
/** A worker that has not answered in this long after the main thread's rows are done is given up on (it died). */
const WORKER_TIMEOUT_MS = 60_000;

/**
 * The worker's module, beside this one both in tsc's dist/commands/ and in the
 * bundle's dist/bundle/. A function, not a constant: a module's URL is made
 * from its file name when first read, which start-up does without.
 */
function workerModuleUrl(): URL {
  return new URL("./compare-rows-worker.js", import.meta.url);
}

// The worker starts from source (eval) and imports its module itself, so that a module that fails to
// load is answered like any other failure: the caller never waits for nothing.
const BOOT_SOURCE = `
(async () => {
  const { workerData } = await import("node:worker_threads");
  const { url, port, signal, job } = workerData;
  try {
    const { buildJobRowCells } = await import(url);
    const cells = buildJobRowCells(job);
    port.postMessage({ cells }, [cells.ends.buffer]);
  } catch (err) {
    port.postMessage({ error: String((err && err.message) || err) });
  } finally {
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  }
})();
`;

/** What the worker is given: the snapshot's shared memory, each row's entry in it and index, the columns. */
export interface RowsJob {
  snapshot: SharedArrayBuffer;
  runsDir: string;
  /** Each row's entry number in the snapshot. */
  entries: Int32Array;
  /** Each row's index in the newest-first list (1 = latest). */
  indexes: Int32Array;
  columns: ResolvedColumn[];
  now: number;
}

export interface OffloadOptions {
  /** Rows from which a worker is used (OFFLOAD_FROM_ROWS). */
  fromRows?: number;
  /** The worker's module (tests point it elsewhere). */
  workerUrl?: URL;
}

/**
 * A RowOffload for buildCompareData: from `fromRows` rows, the later rows
 * that are read in place from one shared snapshot go to a worker thread.
 */
export function rowOffload({ fromRows = OFFLOAD_FROM_ROWS, workerUrl }: OffloadOptions = {}): RowOffload {
  return (runs, columns, now) => {
    if (runs.length < Math.max(1, fromRows)) return null;
    const picked = pickRows(runs, Math.floor(runs.length * MAIN_SHARE));
    if (picked === null) return null;
    const { rows, memory } = picked;
    const job: RowsJob = {
      snapshot: memory,
      runsDir: runsDirOf(runs[rows[0]!]!),
      entries: new Int32Array(rows.length),
      indexes: new Int32Array(rows.length),
      columns,
      now,
    };
    rows.forEach((k, j) => {
      const r = runs[k]!;
      job.entries[j] = (r.run as SnapshotRun).at;
      job.indexes[j] = r.index;
    });
    const worker = startWorker(job, workerUrl ?? workerModuleUrl());
    if (worker === null) return null;
    return collectFrom(worker, rows);
  };
}

/**
 * The rows from `from` on that a worker can make: runs read in place from the
 * one snapshot whose memory is shared. Null when there are none.
 */
function pickRows(runs: CompareInputRun[], from: number): { rows: Int32Array; memory: SharedArrayBuffer } | null {
  let snapshot: Snapshot | undefined;
  const rows: number[] = [];
  for (let k = from; k < runs.length; k++) {
    const r = runs[k]!;
    if (!(r.run instanceof SnapshotRun) || r.fields !== r.run) continue;
    snapshot ??= r.run.snapshot;
    if (r.run.snapshot === snapshot) rows.push(k);
  }
  const memory = snapshot?.shared() ?? null;
  if (snapshot === undefined || memory === null || rows.length === 0) return null;
  return { rows: Int32Array.from(rows), memory };
}

/** The runs folder a SnapshotRun's folder is in. */
function runsDirOf(r: CompareInputRun): string {
  const dir = r.run.dir;
  return dir.slice(0, dir.length - r.run.id.length - 1);
}

interface RowsWorker {
  thread: Worker;
  port: MessagePort;
  signal: Int32Array;
}

/** Starts a worker on `job`; null when none can be made (then this thread makes every row). */
function startWorker(job: RowsJob, url: URL): RowsWorker | null {
  const { MessageChannel, Worker } = loadWorkerThreads();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  try {
    const channel = new MessageChannel();
    const thread = new Worker(BOOT_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { job, url: url.href, port: channel.port2, signal },
      transferList: [channel.port2],
    });
    thread.unref();
    thread.on("error", () => {}); // a failure is answered (or timed out) through the port
    return { thread, port: channel.port1, signal };
  } catch {
    return null;
  }
}

/** The OffloadedRows of a started worker: `collect` waits for its answer and checks it has every row. */
function collectFrom(worker: RowsWorker, rows: Int32Array): OffloadedRows {
  return {
    rows,
    collect(): RowCells | null {
      Atomics.wait(worker.signal, 0, 0, WORKER_TIMEOUT_MS);
      const got = loadWorkerThreads().receiveMessageOnPort(worker.port)?.message as { cells?: RowCells } | undefined;
      worker.port.close();
      void worker.thread.terminate();
      const cells = got?.cells;
      return cells !== undefined && cells.count === rows.length ? cells : null;
    },
  };
}
