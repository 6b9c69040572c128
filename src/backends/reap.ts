// Runs that a scheduler ended without g recording it, found by the next g
// command that looks (g runs, g runs info, g stop, g run --restart): a trial
// whose array task was killed outright (SIGKILL after Slurm's KillWait, a node
// failure) left its run unfinished with a dead LOCK; a batch submitted as a job
// array whose tasks are all gone (some cancelled before they started) was never
// closed by a last worker. Each is recorded as the scheduler tells it: the
// trial `terminated` or `error` with Slurm's reason in run.json's `error`, the
// batch closed (src/trials/batch-session.ts). Only runs that need it cost a
// scheduler query; a store without such runs asks nothing.

import { isoNow, type RunStore } from "../store/store.js";
import type { Placement, Run } from "../store/types.js";
import { closeBatchSession } from "../trials/batch-session.js";
import type { TaskEnd } from "./backend.js";
import { formatJob, readJobTasks } from "./index.js";

interface Candidate {
  run: Run;
  placement: Placement;
  /**
   * trial: a batch's, unfinished, its g gone; note: the same for a sweep's trial (left for an agent to
   * run again); batch: held by its job; reason: stopped, Slurm's final word missing.
   */
  kind: "trial" | "note" | "batch" | "reason";
}

/** The unfinished runs a scheduler placed whose recorder is gone (trials) or is the scheduler itself (batches). */
function findCandidates(store: RunStore, runs: Run[]): Candidate[] {
  const out: Candidate[] = [];
  for (const run of runs) {
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
 * Records what the scheduler says of the runs it ended unseen; returns
 * whether any run changed (the caller then reads the store again). A
 * scheduler that cannot be asked (no Slurm client here) changes nothing.
 */
export async function reapScheduledRuns(store: RunStore, runs: Run[]): Promise<boolean> {
  const candidates = findCandidates(store, runs);
  if (candidates.length === 0) return false;
  const jobs = new Map<string, Promise<TaskEnd[] | null>>();
  const tasksOf = (p: Placement) => {
    const key = `${p.backend} ${p.job}`;
    if (!jobs.has(key))
      jobs.set(
        key,
        readJobTasks({ backend: p.backend, job: p.job }).catch(() => null),
      );
    return jobs.get(key)!;
  };
  let changed = false;
  for (const c of candidates) {
    const tasks = await tasksOf(c.placement);
    if (tasks === null) continue;
    if (c.kind === "batch") {
      if (tasks.some((t) => !t.ended)) continue;
      changed = (await closeBatchSession(store, c.run.id, { jobEnded: true, reason: `job ${c.placement.job} ended first` })) || changed;
      continue;
    }
    const end = tasks.find((t) => t.task === c.placement.task);
    if (end && !end.ended) continue;
    if (c.kind === "note") {
      await store.updateRun(c.run.id, (r) => {
        r.error = end?.reason ?? `${c.placement.backend} no longer reports job ${formatJob(c.placement)}`;
      });
      changed = true;
      continue;
    }
    if (c.kind === "reason") {
      await store.updateRun(c.run.id, (r) => {
        if (end) r.error = end.reason;
        delete r.end_reason_pending;
      });
      changed = true;
      continue;
    }
    const reason =
      end?.reason ?? `${c.placement.backend} no longer reports job ${formatJob(c.placement)}; its g ended without recording the trial`;
    await store.updateRun(c.run.id, (r) => {
      if (r.stopped != null) return;
      r.stopped = isoNow();
      r.exit_status = null;
      if (end?.outcome === "terminated") r.terminated = true;
      r.error = reason;
    });
    store.removeLock(c.run.id);
    changed = true;
  }
  // A batch whose last trials were just recorded may be over now.
  for (const c of candidates)
    if (c.kind === "trial" && typeof c.run.record.batch === "string")
      changed = (await closeBatchSession(store, c.run.record.batch, { jobEnded: false }).catch(() => false)) || changed;
  return changed;
}
