// Where g's workers run: a small interface with one implementation per place
// (local processes, Slurm job arrays). A backend starts N copies of one `g`
// command (an agent) and can cancel them; the search and the store know
// nothing of it. The only thing that flows back is a Placement (which job and
// task a worker is), recorded in the run's LOCK and run.json.

import type { Placement } from "../store/types.js";

/** N copies of one g command, started together. */
export interface WorkerJob {
  /** g's own arguments for every task, e.g. ["agent", "1a2b3c4d"]. */
  gArgs: string[];
  tasks: number;
  /**
   * The array indices to start, when not 0..tasks-1 (a batch's trial numbers:
   * task 7 runs trial 7; a restart submits only the trials that did not finish).
   */
  indices?: number[];
  /** At most this many at once (Slurm's `%P`); all at once when absent. */
  parallel?: number;
  /** A name for the job, shown by the scheduler. */
  name: string;
  cwd: string;
  /** Where the tasks' own output (not the trials', which go to the store) is written. */
  logDir: string;
  /** Extra scheduler options as separate arguments (e.g. ["--partition=gpu", "--time=1:00:00"]). */
  options: string[];
}

export interface SubmittedJob {
  backend: string;
  /** The scheduler's job id (Slurm's array job id), or the local pids joined. */
  job: string;
}

export interface Backend {
  name: string;
  submit(job: WorkerJob): Promise<SubmittedJob>;
  /** Resolves once every task of the job has ended. */
  wait(job: SubmittedJob): Promise<void>;
  cancel(job: string): Promise<void>;
}

/**
 * How a scheduler's task ended, or that it has not: what the reaper records in
 * a run the task's g could not finish (killed outright, node failure).
 */
export interface TaskEnd {
  /** The array task (null: the record stands for the whole job or for tasks not started yet). */
  task: number | null;
  /** The scheduler's state word, e.g. RUNNING, CANCELLED, TIMEOUT, NODE_FAIL. */
  state: string;
  ended: boolean;
  /** `terminated` when the scheduler stopped it (cancel, time limit, preemption); `error` when it died. */
  outcome: "completed" | "terminated" | "error";
  /** One line for run.json's `error`, e.g. "Slurm: job 1234_5 TIMEOUT (reached its time limit)". */
  reason: string;
}

/** The backends `--backend` accepts. */
export const BACKEND_NAMES = ["local", "slurm"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** A scheduler job as its own tools name it: Slurm's `1234_5` for array task 5 of job 1234. */
export function formatJob(p: Placement): string {
  return `${p.job}${p.task !== undefined ? `_${p.task}` : ""}`;
}
