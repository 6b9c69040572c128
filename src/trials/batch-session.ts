// A batch session that runs as a scheduler's job array (`g run --backend
// slurm`): which trials it ran and how it ended. The batch's record says the
// session (BatchRecord.submitted: job, trial numbers); its trials are in the
// batch's ledger (runs/<batch>/trials.jsonl). The session ends when its last
// trial ends (the worker that ran it closes the batch) or when the scheduler
// says the job is gone (a task cancelled before it started never runs: the
// reaper in src/backends/reap.ts closes the batch then).

import { isoNow, type RunStore } from "../store/store.js";
import { readTrials, type Trial } from "../store/sweeps.js";
import { readBatchRecord, type Run, type RunStatus } from "../store/types.js";

/** How a session's trials stand: by trial number, the latest run of each (none: never started). */
export interface SessionTally {
  completed: number;
  failed: number;
  terminated: number;
  running: number;
  /** Trials of the session with no run: their tasks never started. */
  missing: number[];
}

/** The trials in a batch's ledger that count (run present, not superseded). */
export function readBatchTrials(store: RunStore, batch: Pick<Run, "dir">): Trial[] {
  return readTrials(store, { dir: batch.dir }).filter((t) => t.run !== null && !t.superseded);
}

/** Counts a session's trials from the ledger (pure). */
export function tallySession(sessionTrials: number[], trials: Trial[]): SessionTally {
  const latest = new Map<number, RunStatus>();
  for (const t of trials) latest.set(t.trial, t.run!.status);
  const tally: SessionTally = { completed: 0, failed: 0, terminated: 0, running: 0, missing: [] };
  for (const n of sessionTrials) {
    const status = latest.get(n);
    if (status === undefined) tally.missing.push(n);
    else if (status === "running" || status === "pending") tally.running++;
    else if (status === "completed") tally.completed++;
    else if (status === "terminated" || status === "early-stopped") tally.terminated++;
    else tally.failed++;
  }
  return tally;
}

/**
 * Records the end of a batch's submitted session when it is over: every
 * trial of it has ended, or (`jobEnded`) the scheduler has no task of it
 * left, so a trial that never started never will. The batch then reads
 * `completed`, `error` (a trial failed) or `terminated` (a trial was stopped
 * or never ran), and its scheduler LOCK is removed. A batch already closed is
 * left as it is. Returns whether this call closed it.
 */
export async function closeBatchSession(store: RunStore, batchId: string, opts: { jobEnded: boolean; reason?: string }): Promise<boolean> {
  const batch = store.readRun(batchId);
  const rec = readBatchRecord(batch.record);
  const session = rec?.submitted;
  if (!rec || !session || batch.record.stopped != null) return false;
  const tally = tallySession(session.trials, readBatchTrials(store, batch));
  if (tally.running > 0 || (tally.missing.length > 0 && !opts.jobEnded)) return false;
  let closed = false;
  await store.updateRun(batchId, (r) => {
    // Looked at again under the batch's lock: two last workers may finish at once.
    if (r.stopped != null) return;
    closed = true;
    r.stopped = isoNow();
    const stopped = tally.terminated > 0 || tally.missing.length > 0;
    r.exit_status = stopped ? 130 : tally.failed > 0 ? 1 : 0;
    if (stopped) r.terminated = true;
    if (tally.missing.length > 0)
      r.error = `${tally.missing.length} trial(s) never started (${opts.reason ?? `job ${session.job ?? "?"} ended first`})`;
  });
  if (closed) {
    const lock = store.readLock(batch);
    if (lock && lock.pid === 0) store.removeLock(batchId);
  }
  return closed;
}
