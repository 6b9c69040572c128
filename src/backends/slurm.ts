// The Slurm backend: N workers as one job array (`sbatch --array=0-(N-1)%P`),
// cancelled with `scancel`. Every command is spawned with an argument array;
// the batch script only `exec`s its arguments, so no user text ever passes
// through a shell. Each array task has its own SLURM_JOB_ID, so a task is
// named by SLURM_ARRAY_JOB_ID and SLURM_ARRAY_TASK_ID (see slurmPlacement).

import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { gBin } from "../runner/paths.js";
import type { Placement } from "../store/types.js";
import type { Backend, SubmittedJob, WorkerJob } from "./backend.js";

/** How often `--wait` asks squeue whether the array's tasks are still there. */
const SQUEUE_POLL_MS = 1_000;

/** The batch script: runs its arguments as given (sbatch passes them after the script's path). */
const TASK_SCRIPT = '#!/bin/sh\nexec "$@"\n';

/** The job and array task this process runs as, from Slurm's environment; null outside Slurm. */
export function slurmPlacement(env: NodeJS.ProcessEnv): Placement | null {
  const array = env.SLURM_ARRAY_JOB_ID;
  const task = env.SLURM_ARRAY_TASK_ID;
  if (array && task !== undefined && /^\d+$/.test(task)) return { backend: "slurm", job: array, task: Number(task) };
  return env.SLURM_JOB_ID ? { backend: "slurm", job: env.SLURM_JOB_ID } : null;
}

/** `--slurm-opt "--partition=gpu --time=1:00:00"` → separate arguments (split on blanks, never by a shell). */
export function splitSlurmOptions(texts: string[]): string[] {
  const out = texts.flatMap((t) => t.split(/\s+/).filter(Boolean));
  for (const o of out)
    if (!o.startsWith("-"))
      throw new UsageError(`--slurm-opt takes sbatch options such as --partition=gpu; "${o}" is not one (write --opt=value)`);
  return out;
}

/** sbatch's arguments for a job array of `job.tasks` workers (exported for tests). */
export function buildSbatchArgv(job: WorkerJob, scriptPath: string): string[] {
  const throttle = job.parallel !== undefined ? `%${job.parallel}` : "";
  return [
    "--parsable",
    `--array=0-${job.tasks - 1}${throttle}`,
    `--job-name=${job.name}`,
    `--output=${join(job.logDir, "%A_%a.out")}`,
    `--chdir=${job.cwd}`,
    // The workers need g's environment (G_HOME, PATH to python); sbatch's default, made explicit.
    "--export=ALL",
    ...job.options,
    scriptPath,
    process.execPath,
    gBin(),
    ...job.gArgs,
  ];
}

function runTool(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    let child;
    try {
      child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      reject(err);
      return;
    }
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        new UsageError(
          e.code === "ENOENT" ? `${cmd} not found: --backend slurm needs Slurm's client commands on PATH` : `${cmd}: ${e.message}`,
        ),
      ),
    );
    child.on("close", (code) =>
      code === 0 ? resolveRun(out) : reject(new UsageError(`${cmd} failed (exit ${code}): ${err.trim().split("\n").pop() ?? ""}`)),
    );
  });
}

export const slurmBackend: Backend = {
  name: "slurm",
  async submit(job: WorkerJob): Promise<SubmittedJob> {
    mkdirSync(job.logDir, { recursive: true });
    const script = join(job.logDir, "g-task.sh");
    writeFileSync(script, TASK_SCRIPT, { mode: 0o755 });
    const out = await runTool("sbatch", buildSbatchArgv(job, script));
    // --parsable prints "jobid" or "jobid;cluster".
    const id = out.trim().split(";")[0]!;
    if (!/^\d+$/.test(id)) throw new UsageError(`sbatch printed "${out.trim()}", not a job id`);
    return { backend: "slurm", job: id };
  },
  async wait(job: SubmittedJob): Promise<void> {
    for (;;) {
      const out = await runTool("squeue", ["-h", "-j", job.job, "-o", "%i"]).catch(() => "");
      if (out.trim() === "") return;
      await new Promise((r) => setTimeout(r, SQUEUE_POLL_MS));
    }
  },
  async cancel(job: string): Promise<void> {
    await runTool("scancel", [job]);
  },
};
