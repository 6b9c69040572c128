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
import type { SharedCold, Snapshot } from "../store/index-snapshot.js";
import { SnapshotRun } from "../store/snapshot-runs.js";
import { loadWorkerThreads } from "../store/worker-threads.js";

/** Below this many rows a thread's start (some 30 ms) is not worth it: every row is made here. */
export const OFFLOAD_FROM_ROWS = 10_000;
/**
 * From this size of index.bin (some 10 000 runs) the worker is started before
 * the runs are listed, so that its start and module load are done by the time
 * it is handed rows.
 */
export const PRESTART_FROM_SNAPSHOT_BYTES = 6 * 1024 * 1024;
/**
 * The worker's young generation (MB): its cells are kept until handed back,
 * so a bigger one mostly holds garbage (Node's default took some 20 MB more
 * peak memory at 100 000 runs).
 */
const WORKER_YOUNG_MB = 8;
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

// The worker starts from source (eval), imports its module itself and waits for its job on the port,
// so that it can be started before the job is known and a module that fails to load is answered like
// any other failure: the caller never waits for nothing.
const BOOT_SOURCE = `
(async () => {
  const { workerData } = await import("node:worker_threads");
  const { url, port, signal } = workerData;
  let loaded;
  try {
    loaded = await import(url);
  } catch (err) {
    loaded = err;
  }
  port.once("message", (job) => {
    try {
      if (loaded instanceof Error) throw loaded;
      const cells = loaded.buildJobRowCells(job);
      port.postMessage({ cells }, [cells.ends.buffer]);
    } catch (err) {
      port.postMessage({ error: String((err && err.message) || err) });
    } finally {
      port.close();
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    }
  });
})();
`;

/** What the worker is given: the snapshot's shared memory, each row's entry in it and index, the columns. */
export interface RowsJob {
  snapshot: SharedArrayBuffer;
  /** Its summaries' numbers (the cold part): shared when read, else read by the worker from the open file if needed. */
  cold: SharedCold;
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
  /** Start the worker now rather than when it is handed rows (see PRESTART_FROM_SNAPSHOT_BYTES). */
  prestart?: boolean;
  /** The worker's module (tests point it elsewhere). */
  workerUrl?: URL;
}

/**
 * A RowOffload for buildCompareData: from `fromRows` rows, the later rows
 * that are read in place from one shared snapshot go to a worker thread.
 */
export function rowOffload({ fromRows = OFFLOAD_FROM_ROWS, prestart = false, workerUrl }: OffloadOptions = {}): RowOffload {
  const url = workerUrl ?? workerModuleUrl();
  let started = prestart ? startWorker(url) : null;
  return (runs, columns, now) => {
    const picked = runs.length >= Math.max(1, fromRows) ? pickRows(runs, Math.floor(runs.length * MAIN_SHARE)) : null;
    if (picked === null) {
      if (started !== null) stopWorker(started);
      started = null;
      return null;
    }
    const { rows, memory, cold } = picked;
    const job: RowsJob = {
      snapshot: memory,
      cold,
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
    // One job a worker: a second build (the view's reload) starts another.
    const worker = started ?? startWorker(url);
    started = null;
    if (worker === null) return null;
    try {
      worker.port.postMessage(job);
    } catch {
      stopWorker(worker);
      return null;
    }
    return collectFrom(worker, rows);
  };
}

/**
 * The rows from `from` on that a worker can make: runs read in place from the
 * one snapshot whose memory is shared. Null when there are none.
 */
function pickRows(runs: CompareInputRun[], from: number): { rows: Int32Array; memory: SharedArrayBuffer; cold: SharedCold } | null {
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
  return { rows: Int32Array.from(rows), memory, cold: snapshot.sharedCold() };
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

/** Starts a worker, which waits for its job on the port; null when none can be made (then this thread makes every row). */
function startWorker(url: URL): RowsWorker | null {
  const { MessageChannel, Worker } = loadWorkerThreads();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  try {
    const channel = new MessageChannel();
    const thread = new Worker(BOOT_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { url: url.href, port: channel.port2, signal },
      transferList: [channel.port2],
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
    });
    thread.unref();
    thread.on("error", () => {}); // a failure is answered (or timed out) through the port
    return { thread, port: channel.port1, signal };
  } catch {
    return null;
  }
}

function stopWorker(worker: RowsWorker): void {
  worker.port.close();
  void worker.thread.terminate();
}

/** The OffloadedRows of a started worker: `collect` waits for its answer and checks it has every row. */
function collectFrom(worker: RowsWorker, rows: Int32Array): OffloadedRows {
  return {
    rows,
    collect(): RowCells | null {
      Atomics.wait(worker.signal, 0, 0, WORKER_TIMEOUT_MS);
      const got = loadWorkerThreads().receiveMessageOnPort(worker.port)?.message as { cells?: RowCells } | undefined;
      stopWorker(worker);
      const cells = got?.cells;
      return cells !== undefined && cells.count === rows.length ? cells : null;
    },
  };
}
