// The local backend: N workers as processes on this machine, each with its
// own log file. What `g agent --agents N` does without a scheduler; the same
// WorkerJob as the Slurm backend. Like a scheduler's tasks, the workers
// outlive the g that started them: each is detached (its own process group,
// so a Ctrl-C or a closed terminal meant for that g does not reach it), its
// stdin closed and its output in its log.

import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { EXIT } from "../errors.js";
import { gBin } from "../runner/paths.js";
import type { StopSignals } from "../runner/signals.js";
import type { Backend, JobEnd, SubmittedJob, TaskOutcome, WorkerJob } from "./backend.js";

interface Started {
  child: ChildProcess;
  task: number;
  log: string;
  /** Settles with the exit code or the signal, however late `wait` comes. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Map<string, Started[]>();

export const localBackend: Backend = {
  name: "local",
  async submit(job: WorkerJob): Promise<SubmittedJob> {
    mkdirSync(job.logDir, { recursive: true });
    const workers: Started[] = [];
    const indices = job.indices ?? Array.from({ length: job.tasks }, (_, i) => i);
    for (const task of indices) {
      // Named as Slurm names its tasks' logs (<job>_<task>.out), this g's pid standing for the job:
      // agents started by another g, still running, keep their own files.
      const log = join(job.logDir, `${process.pid}_${task}.out`);
      const fd = openSync(log, "a");
      let child: ChildProcess;
      try {
        child = spawn(process.execPath, [gBin(), ...job.gArgs], {
          cwd: job.cwd,
          stdio: ["ignore", fd, fd],
          env: { ...process.env, G_HOME: job.home },
          detached: true,
        });
      } finally {
        // The child holds its own copy of the descriptor.
        closeSync(fd);
      }
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.once("exit", (code, signal) => resolve({ code, signal }));
        child.once("error", () => resolve({ code: 127, signal: null }));
      });
      // This g may exit while the worker goes on; `wait` holds it again.
      child.unref();
      workers.push({ child, task, log, ended });
    }
    const id = workers.map((w) => w.child.pid).join(",");
    started.set(id, workers);
    return { backend: "local", job: id, tasks: workers.map(({ task, log }) => ({ task, log })) };
  },
  async wait(job: SubmittedJob, signals?: StopSignals): Promise<JobEnd> {
    const workers = started.get(job.job) ?? [];
    for (const w of workers) w.child.ref();
    // The workers are in their own process groups: a Ctrl-C on the terminal reaches only this g, which passes it on.
    const unsubscribe = signals?.subscribe((reason) => {
      for (const w of workers) {
        if (w.child.exitCode !== null || w.child.signalCode !== null) continue;
        try {
          w.child.kill(reason === "interrupt" ? "SIGINT" : "SIGTERM");
        } catch {
          /* it ended meanwhile */
        }
      }
    });
    try {
      const tasks: TaskOutcome[] = await Promise.all(
        workers.map(async (w) => {
          const { code, signal } = await w.ended;
          // An agent that a stop passed on to it ended, as it does (130, or the signal itself), did not fail.
          const stopped =
            (signals?.received ?? null) !== null && (code === EXIT.interrupted || signal === "SIGINT" || signal === "SIGTERM");
          const failure = stopped || code === 0 ? null : signal !== null ? `killed by ${signal}` : `exited with ${code}`;
          return { task: w.task, log: w.log, failure };
        }),
      );
      return { tasks, ...(signals?.received ? { interrupted: "its tasks were stopped" } : {}) };
    } finally {
      unsubscribe?.();
    }
  },
  async cancel(job: string): Promise<void> {
    for (const pid of job.split(",").map(Number)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        /* already ended */
      }
    }
  },
};
