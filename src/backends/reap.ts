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
import type { Placement } from "../store/types.js";
import { closeBatchSession } from "../trials/batch-session.js";
import type { TaskEnd } from "./backend.js";
import { formatJob, readJobTasks } from "./index.js";
import type { ReapCandidate } from "./reap-candidates.js";

/**
 * Records what the scheduler says of the runs it ended unseen (found by
 * reap-candidates.ts, which loads this module when there are some); returns
 * whether any run changed (the caller then reads the store again). A
 * scheduler that cannot be asked (no Slurm client here) changes nothing.
 */
export async function reapCandidates(store: RunStore, candidates: ReapCandidate[]): Promise<boolean> {
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
