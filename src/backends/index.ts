// Picks a backend by name (`--backend local|slurm`) and tells which scheduler
// job, if any, this process runs in.

import { UsageError } from "../errors.js";
import { didYouMean } from "../format/suggest.js";
import type { Placement } from "../store/types.js";
import { BACKEND_NAMES, formatJob, type Backend, type TaskEnd } from "./backend.js";
import { localBackend } from "./local.js";
import { readSlurmTasks, slurmBackend, slurmPlacement } from "./slurm.js";

export type { Backend, SubmittedJob, TaskEnd, WorkerJob } from "./backend.js";
export { formatJob } from "./backend.js";
export { splitSlurmOptions } from "./slurm.js";

export function selectBackend(name: string): Backend {
  if (name === "local") return localBackend;
  if (name === "slurm") return slurmBackend;
  throw new UsageError(`unknown --backend "${name}"${didYouMean(name, BACKEND_NAMES)}; choose one of ${BACKEND_NAMES.join(", ")}`);
}

/** The scheduler job this process is a task of (recorded with each run it starts), or null. */
export function currentPlacement(env: NodeJS.ProcessEnv = process.env): Placement | null {
  return slurmPlacement(env);
}

/** How a scheduler's job stands: one TaskEnd per task record ([] when the scheduler no longer knows it). */
export async function readJobTasks(placement: Placement): Promise<TaskEnd[]> {
  if (placement.backend !== "slurm") return [];
  return readSlurmTasks(formatJob(placement));
}

/** How the scheduler task `placement` stands, or null when the scheduler does not report it. */
export async function readTaskEnd(placement: Placement): Promise<TaskEnd | null> {
  const tasks = await readJobTasks(placement);
  return tasks.find((t) => t.task === (placement.task ?? null)) ?? tasks[0] ?? null;
}

/**
 * Cancels the scheduler task a run's process is (Slurm: `scancel JOB_TASK`),
 * for `g stop` on a run another host records. False when no scheduler started it.
 */
export async function cancelPlacement(placement: Placement | undefined): Promise<boolean> {
  if (placement?.backend !== "slurm") return false;
  await slurmBackend.cancel(formatJob(placement));
  return true;
}
