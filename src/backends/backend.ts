// Where g's workers run: a small interface with one implementation per place
// (local processes, Slurm job arrays). A backend starts N copies of one `g`
// command (an agent) and can cancel them; the search and the store know
// nothing of it. The only thing that flows back is a Placement (which job and
// task a worker is), recorded in the run's LOCK and run.json.

/** N copies of one g command, started together. */
export interface WorkerJob {
  /** g's own arguments for every task, e.g. ["agent", "1a2b3c4d"]. */
  gArgs: string[];
  tasks: number;
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

/** The backends `--backend` accepts. */
export const BACKEND_NAMES = ["local", "slurm"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
