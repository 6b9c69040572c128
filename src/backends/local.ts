// The local backend: N workers as child processes of this one, each with its
// own log file, all on this machine. What `g agent --agents N` does without a
// scheduler; the same WorkerJob as the Slurm backend.

import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { gBin } from "../runner/paths.js";
import type { Backend, SubmittedJob, WorkerJob } from "./backend.js";

const children = new Map<string, ChildProcess[]>();

export const localBackend: Backend = {
  name: "local",
  async submit(job: WorkerJob): Promise<SubmittedJob> {
    mkdirSync(job.logDir, { recursive: true });
    const started: ChildProcess[] = [];
    for (let task = 0; task < job.tasks; task++) {
      const log = openSync(join(job.logDir, `${task}.out`), "a");
      try {
        started.push(spawn(process.execPath, [gBin(), ...job.gArgs], { cwd: job.cwd, stdio: ["ignore", log, log], env: process.env }));
      } finally {
        closeSync(log);
      }
    }
    const id = started.map((c) => c.pid).join(",");
    children.set(id, started);
    return { backend: "local", job: id };
  },
  async wait(job: SubmittedJob): Promise<void> {
    await Promise.all(
      (children.get(job.job) ?? []).map((c) =>
        c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once("close", r)),
      ),
    );
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
