// Picks a backend by name (`--backend local|slurm`) and tells which scheduler
// job, if any, this process runs in.

import { UsageError } from "../errors.js";
import type { Placement } from "../store/types.js";
import { BACKEND_NAMES, type Backend } from "./backend.js";
import { localBackend } from "./local.js";
import { slurmBackend, slurmPlacement } from "./slurm.js";

export type { Backend, SubmittedJob, WorkerJob } from "./backend.js";
export { splitSlurmOptions } from "./slurm.js";

export function selectBackend(name: string): Backend {
  if (name === "local") return localBackend;
  if (name === "slurm") return slurmBackend;
  throw new UsageError(`unknown --backend "${name}"; choose one of ${BACKEND_NAMES.join(", ")}`);
}

/** The scheduler job this process is a task of (recorded with each run it starts), or null. */
export function currentPlacement(env: NodeJS.ProcessEnv = process.env): Placement | null {
  return slurmPlacement(env);
}

/**
 * Cancels the scheduler task a run's process is (Slurm: `scancel JOB_TASK`),
 * for `g stop` on a run another host records. False when no scheduler started it.
 */
export async function cancelPlacement(placement: Placement | undefined): Promise<boolean> {
  if (placement?.backend !== "slurm") return false;
  await slurmBackend.cancel(placement.task !== undefined ? `${placement.job}_${placement.task}` : placement.job);
  return true;
}
