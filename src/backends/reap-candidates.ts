// Which listed runs a scheduler may have ended without g recording it (see
// reap.ts): a cheap look at the records (and the LOCK of unfinished runs), so
// that g runs, g compare and g view load the reaper, and ask the scheduler,
// only when a run needs it.

import type { RunStore } from "../store/store.js";
import { SnapshotRun } from "../store/snapshot-runs.js";
import type { Placement, Run } from "../store/types.js";

export interface ReapCandidate {
  run: Run;
  placement: Placement;
  /**
   * trial: a batch's, unfinished, its g gone; note: the same for a sweep's trial (left for an agent to
   * run again); batch: held by its job; reason: stopped, Slurm's final word missing.
   */
  kind: "trial" | "note" | "batch" | "reason";
}

/** The unfinished runs a scheduler placed whose recorder is gone (trials) or is the scheduler itself (batches). */
export function findReapCandidates(store: RunStore, runs: Run[]): ReapCandidate[] {
  const out: ReapCandidate[] = [];
  for (const run of runs) {
    // A run read in place from the index is finished and has no field besides the indexed ones (no placement,
    // no end_reason_pending): never a candidate, and its record is not built to say so.
    if (run instanceof SnapshotRun) continue;
    // A trial stopped by the scheduler whose final state Slurm had not named yet (src/trials/batch-task.ts).
    if (run.record.stopped != null && run.record.end_reason_pending === true && run.record.placement?.task !== undefined) {
      out.push({ run, placement: run.record.placement, kind: "reason" });
      continue;
    }
    if (run.record.stopped != null || (run.status !== "error" && run.status !== "running")) continue;
    const lock = store.readLock(run);
    if (run.status === "running") {
      // A batch's scheduler LOCK (pid 0): running for as long as its job has tasks.
      if (lock?.pid === 0 && lock.placement !== undefined && lock.placement.task === undefined)
        out.push({ run, placement: lock.placement, kind: "batch" });
      continue;
    }
    const placement = run.record.placement ?? lock?.placement;
    if (placement?.task === undefined) continue;
    // A sweep's orphan stays unfinished, so the next agent runs it again; it only gets Slurm's word.
    if (typeof run.record.sweep === "string") {
      if (run.record.error === undefined) out.push({ run, placement, kind: "note" });
    } else out.push({ run, placement, kind: "trial" });
  }
  return out;
}

/**
 * Records what the scheduler says of the listed runs it ended unseen, loading
 * the reaper only when some run needs it; whether any run changed (the caller
 * then reads the store again).
 */
export async function reapIfNeeded(store: RunStore, runs: Run[]): Promise<boolean> {
  const candidates = findReapCandidates(store, runs);
  if (candidates.length === 0) return false;
  return (await import("./reap.js")).reapCandidates(store, candidates);
}
