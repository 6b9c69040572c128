// Run status, derived when a run is read and never trusted from a field alone
// (shared/DESIGN.md): the record says whether the run stopped and how; the
// LOCK says whether the process recording an unfinished run still lives (its
// pid on this host, its lease's heartbeat on another, or a scheduler's job).
// A run whose recorder was killed (kill -9) while the script it spawned lives
// on is `running` until that script ends, then `error` (isOrphanedChildAlive).
// The runner uses the same rule for the status it reports when a run ends.
// A reader that acts on an `error` (a sweep's claim reruns an orphaned trial)
// takes it from deriveSettledStatus, which reads a seemingly abandoned run twice;
// so does every reader of a run's files (readSettledRun), listings included,
// so that no reader shows a state that never was.

import { isLeaseFresh, readRunLock, THIS_HOST, type RunLock } from "./locks.js";
import { isSameProcessAlive } from "./process-start.js";
import type { FileStat } from "./read-fast.js";
import { readRecord, withLiveParams } from "./run-files.js";
import type { RunRecord, RunStatus } from "./types.js";

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the process a LOCK of this host names as its recorder (`pid`) still
 * lives: by its identity when the LOCK records one (`pid_start`), else by
 * the pid alone (older g, the SDKs).
 */
export function isRecorderAlive(lock: RunLock): boolean {
  return lock.pid_start === undefined ? isPidAlive(lock.pid) : isSameProcessAlive(lock.pid, lock.pid_start);
}

/**
 * Whether the script a LOCK of this host names (`child`) still lives: its
 * recorder may be dead (kill -9, an OOM kill) while the script, in its own
 * process group, goes on; the run is then still running, and `g stop` stops
 * the script itself. Only a child whose identity the LOCK records and that
 * still has it counts: a pid reused since is another process.
 */
export function isOrphanedChildAlive(lock: RunLock): boolean {
  return lock.host === THIS_HOST && typeof lock.child === "number" && isSameProcessAlive(lock.child, lock.child_start);
}

/** The status of a stopped run, from its record alone. */
export function stoppedStatus(record: Pick<RunRecord, "early_stopped" | "terminated" | "exit_status">): RunStatus {
  if (record.early_stopped) return "early-stopped";
  if (record.terminated) return "terminated";
  return record.exit_status === 0 ? "completed" : "error";
}

/** Whether a LOCK stands for a run still going: what makes an unfinished run `running` rather than `error`. */
function isLockLive(lock: RunLock): boolean {
  // Held for a scheduler's job rather than by a process (a batch submitted to Slurm, pid 0):
  // running until the job is found ended and the LOCK removed (src/backends/reap.ts).
  if (lock.pid === 0 && lock.placement !== undefined) return true;
  // Another host's process cannot be signalled: its lease says whether it lives.
  if (lock.host !== THIS_HOST) return isLeaseFresh(lock);
  return isRecorderAlive(lock) || isOrphanedChildAlive(lock);
}

/**
 * Whether `dir` has a LOCK that stands for a run still going (isLockLive): for
 * a watcher of unfinished runs (`g view`'s change feed), whose status can turn
 * from `running` to `error` without a file changing (a recorder killed, its
 * orphaned script ending, a lease running out).
 */
export function isRunLockLive(dir: string): boolean {
  const lock = readRunLock(dir);
  return lock !== null && isLockLive(lock);
}

/** Status is derived from the record and the LOCK in `dir`, never trusted from a field alone. */
export function deriveStatus(record: RunRecord, dir: string): RunStatus {
  if (record.stopped == null) {
    const lock = readRunLock(dir);
    if (lock) return isLockLive(lock) ? "running" : "error";
    return record.started ? "error" : "pending";
  }
  return stoppedStatus(record);
}

/**
 * deriveStatus for a reader of a run's files (a claim that reruns an orphaned
 * trial, a restart, and the listings, which once showed a run that had just
 * ended as `error` for one refresh): a run that reads as
 * abandoned (started, not stopped, and no LOCK of a live process) is read
 * once more, record first, then LOCK, before it is taken for one.
 *
 * The runner ends a run by writing `stopped` into run.json and only then
 * removing its LOCK (and its process exits later still). A reader that read
 * run.json just before that write and the LOCK just after its removal (or the
 * pid after its exit) sees a run that has just ended as one whose process
 * died: the finish race. Since the LOCK was seen gone (or its process dead)
 * after the writer's `stopped` was written, the second read of run.json sees
 * `stopped`; a record still unstopped then really was left by a dead writer.
 * `reread` reads the record again (a run gone meanwhile: the first read stands).
 */
export function deriveSettledStatus(record: RunRecord, dir: string, reread: () => RunRecord): { record: RunRecord; status: RunStatus } {
  const status = deriveStatus(record, dir);
  if (status !== "error" || record.stopped != null) return { record, status };
  let again: RunRecord;
  try {
    again = reread();
  } catch {
    return { record, status };
  }
  return { record: again, status: deriveStatus(again, dir) };
}

/**
 * A run's record as readers see it (withLiveParams) and its status, settled
 * (deriveSettledStatus): what every read of a run from its files returns.
 * `stat`, when given, is filled by the read whose record is returned. Throws
 * what readRecord throws for the first read only.
 */
export function readSettledRun(dir: string, id: string, stat?: FileStat): { record: RunRecord; status: RunStatus } {
  const record = withLiveParams(readRecord(dir, id, stat), dir);
  return deriveSettledStatus(record, dir, () => withLiveParams(readRecord(dir, id, stat), dir));
}
