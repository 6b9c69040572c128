// Where g's workers run: a small interface with one implementation per place
// (local processes, Slurm job arrays). A backend starts N copies of one `g`
// command (an agent) and can cancel them; the search and the store know
// nothing of it. The only thing that flows back is a Placement (which job and
// task a worker is), recorded in the run's LOCK and run.json.

import type { StopSignals } from "../runner/signals.js";
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
  /**
   * The store, as an absolute path: every task gets it as G_HOME, since its
   * cwd may not be this g's (an agent runs where the sweep's program is), and
   * there a relative G_HOME, or the nearest `.g/`, would name another store.
   */
  home: string;
  /** Where the tasks' own output (not the trials', which go to the store) is written. */
  logDir: string;
  /** Extra scheduler options as separate arguments (e.g. ["--partition=gpu", "--time=1:00:00"]). */
  options: string[];
}

export interface SubmittedJob {
  backend: string;
  /** The scheduler's job id (Slurm's array job id), or the local pids joined. */
  job: string;
  /** Each task's index and the file its own output goes to. */
  tasks: { task: number; log: string }[];
}

/** How one task of a job ended, once `wait` returns. */
export interface TaskOutcome {
  task: number;
  log: string;
  /** null when it ended well (exit 0, Slurm's COMPLETED); else how, e.g. "exited with 1", "Slurm FAILED". */
  failure: string | null;
}

/** What `wait` saw: every task's end, or, when a signal came first, what became of the tasks. */
export interface JobEnd {
  tasks: TaskOutcome[];
  /** Set when SIGINT/SIGTERM ended the wait: what happened to the tasks, in words. */
  interrupted?: string;
}

export interface Backend {
  name: string;
  /**
   * Starts the tasks and returns without waiting for them: they outlive this
   * process (local ones in their own process group, output to their logs).
   */
  submit(job: WorkerJob): Promise<SubmittedJob>;
  /**
   * Resolves once every task of the job has ended, with how each ended. A
   * stop signal (`signals`) is passed on to local tasks, which are then
   * waited for; Slurm's tasks go on and the wait ends at once.
   */
  wait(job: SubmittedJob, signals?: StopSignals): Promise<JobEnd>;
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
