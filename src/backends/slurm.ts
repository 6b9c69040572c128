// The Slurm backend: N workers as one job array (`sbatch --array=0-(N-1)%P`),
// cancelled with `scancel`. Every command is spawned with an argument array;
// the batch script only `exec`s its arguments, so no user text ever passes
// through a shell. Each array task has its own SLURM_JOB_ID, so a task is
// named by SLURM_ARRAY_JOB_ID and SLURM_ARRAY_TASK_ID (see slurmPlacement).

import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { scanShellWords } from "../format/completion.js";
import { gBin } from "../runner/paths.js";
import type { Placement } from "../store/types.js";
import type { StopSignals } from "../runner/signals.js";
import type { Backend, JobEnd, SubmittedJob, TaskEnd, TaskOutcome, WorkerJob } from "./backend.js";

/** How often `--wait` asks squeue whether the array's tasks are still there. */
const SQUEUE_POLL_MS = 1_000;

/**
 * How long a look at a job's state may take: g runs asks while it lists, and
 * scontrol retries for a minute when the controller does not answer; past
 * this the state is taken as unknown and nothing is recorded.
 */
const SCONTROL_TIMEOUT_MS = 10_000;

/** The batch script: runs its arguments as given (sbatch passes them after the script's path). */
const TASK_SCRIPT = '#!/bin/sh\nexec "$@"\n';

/** The job and array task this process runs as, from Slurm's environment; null outside Slurm. */
export function slurmPlacement(env: NodeJS.ProcessEnv): Placement | null {
  const array = env.SLURM_ARRAY_JOB_ID;
  const task = env.SLURM_ARRAY_TASK_ID;
  if (array && task !== undefined && /^\d+$/.test(task)) return { backend: "slurm", job: array, task: Number(task) };
  return env.SLURM_JOB_ID ? { backend: "slurm", job: env.SLURM_JOB_ID } : null;
}

/**
 * `--slurm-opt "--partition=gpu --time=1:00:00"` → separate sbatch arguments,
 * split as a shell splits words (quotes keep blanks: `--comment="a b"`) but
 * never by a shell: no expansion, no `;`. Unbalanced quotes and words that
 * are not options are refused (exit 2) before anything is submitted.
 */
export function splitSlurmOptions(texts: string[]): string[] {
  const out: string[] = [];
  for (const text of texts) {
    const { words, last, openQuote } = scanShellWords(text);
    if (openQuote !== null) throw new UsageError(`--slurm-opt "${text}" has an unclosed ${openQuote} quote; close it or drop it`);
    out.push(...words, ...(last !== null ? [last] : []));
  }
  for (const o of out)
    if (!o.startsWith("-"))
      throw new UsageError(`--slurm-opt takes sbatch options such as --partition=gpu; "${o}" is not one (write --opt=value)`);
  return out;
}

/** Array indices as sbatch's `--array` writes them: [1, 2, 3, 7, 9, 10] → "1-3,7,9-10". */
export function formatArrayIndices(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** sbatch's arguments for a job array of `job.tasks` workers (exported for tests). */
export function buildSbatchArgv(job: WorkerJob, scriptPath: string): string[] {
  const throttle = job.parallel !== undefined ? `%${job.parallel}` : "";
  const indices = job.indices ?? Array.from({ length: job.tasks }, (_, i) => i);
  return [
    "--parsable",
    `--array=${formatArrayIndices(indices)}${throttle}`,
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

/**
 * Slurm's job states that mean a task is over, what g makes of each, and in
 * words. Any other state (PENDING, RUNNING, COMPLETING, REQUEUED, SUSPENDED,
 * ...) is a task not over yet. A task Slurm stopped (cancel, time limit,
 * preemption) is `terminated`, as `g stop` is; one that died is `error`.
 */
const ENDED_STATES: Record<string, { outcome: TaskEnd["outcome"]; words: string }> = {
  COMPLETED: { outcome: "completed", words: "its batch script ended" },
  CANCELLED: { outcome: "terminated", words: "cancelled by scancel or g stop" },
  TIMEOUT: { outcome: "terminated", words: "reached its time limit" },
  PREEMPTED: { outcome: "terminated", words: "preempted" },
  DEADLINE: { outcome: "terminated", words: "reached its deadline" },
  FAILED: { outcome: "error", words: "failed" },
  NODE_FAIL: { outcome: "error", words: "its node failed" },
  OUT_OF_MEMORY: { outcome: "error", words: "ran out of memory" },
  BOOT_FAIL: { outcome: "error", words: "its node failed to boot" },
};

/** `scontrol -o show job J` (one line per job record, `Key=Value` words) → how each array task stands (pure). */
export function parseScontrolJobs(text: string, job: string): TaskEnd[] {
  const out: TaskEnd[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes("JobState=")) continue;
    const fields = new Map<string, string>();
    for (const word of line.trim().split(/\s+/)) {
      const eq = word.indexOf("=");
      if (eq > 0) fields.set(word.slice(0, eq), word.slice(eq + 1));
    }
    const state = fields.get("JobState") ?? "UNKNOWN";
    const taskText = fields.get("ArrayTaskId") ?? "";
    // Tasks not started yet share one record ("3-10%2"): no single task.
    const task = /^\d+$/.test(taskText) ? Number(taskText) : null;
    const ended = ENDED_STATES[state];
    const name = task !== null ? `${fields.get("ArrayJobId") ?? job}_${task}` : (fields.get("JobId") ?? job);
    const slurmReason = fields.get("Reason");
    const detail = slurmReason && slurmReason !== "None" ? `, ${slurmReason}` : "";
    out.push({
      task,
      state,
      ended: ended !== undefined,
      outcome: ended?.outcome ?? "error",
      reason: `Slurm: job ${name} ${state} (${ended?.words ?? notEndedWords(state, fields)}${detail})`,
    });
  }
  return out;
}

/**
 * A task not over yet, in words. While its processes end (SIGTERM, then
 * SIGKILL after KillWait) Slurm shows only COMPLETING, whatever stopped it;
 * a run time at its limit says it was the time limit.
 */
function notEndedWords(state: string, fields: Map<string, string>): string {
  if (state !== "COMPLETING") return "not ended yet";
  const run = slurmSeconds(fields.get("RunTime"));
  const limit = slurmSeconds(fields.get("TimeLimit"));
  return run !== null && limit !== null && run >= limit ? "stopped at its time limit" : "stopped by the scheduler; its final state follows";
}

/** Slurm's `[D-]HH:MM:SS` (or MM:SS) as seconds; null for UNLIMITED, N/A and the like. */
export function slurmSeconds(text: string | undefined): number | null {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(text ?? "");
  if (!m) return null;
  return Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3_600 + Number(m[3]) * 60 + Number(m[4]);
}

/** How the tasks of job `job` stand now; [] when Slurm no longer knows the job (past MinJobAge). */
export async function readSlurmTasks(job: string): Promise<TaskEnd[]> {
  try {
    return parseScontrolJobs(await runTool("scontrol", ["-o", "show", "job", job], SCONTROL_TIMEOUT_MS), job);
  } catch (err) {
    if (/Invalid job id/i.test((err as Error).message)) return [];
    throw err;
  }
}

function runTool(cmd: string, args: string[], timeoutMs?: number, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolveRun, reject) => {
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: ["ignore", "pipe", "pipe"],
        ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
        ...(env !== undefined ? { env } : {}),
      });
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
      code === 0 ? resolveRun(out) : reject(new UsageError(`${cmd} failed (exit ${code}): ${slurmErrorLine(cmd, err)}`)),
    );
  });
}

export const slurmBackend: Backend = {
  name: "slurm",
  async submit(job: WorkerJob): Promise<SubmittedJob> {
    mkdirSync(job.logDir, { recursive: true });
    const script = join(job.logDir, "g-task.sh");
    writeFileSync(script, TASK_SCRIPT, { mode: 0o755 });
    // --export=ALL hands the tasks sbatch's own environment: G_HOME made the store's absolute path there.
    const out = await runTool("sbatch", buildSbatchArgv(job, script), undefined, { ...process.env, G_HOME: job.home });
    // --parsable prints "jobid" or "jobid;cluster".
    const id = out.trim().split(";")[0]!;
    if (!/^\d+$/.test(id)) throw new UsageError(`sbatch printed "${out.trim()}", not a job id`);
    const indices = job.indices ?? Array.from({ length: job.tasks }, (_, i) => i);
    // sbatch's --output=%A_%a.out, as buildSbatchArgv sets it.
    return { backend: "slurm", job: id, tasks: indices.map((task) => ({ task, log: join(job.logDir, `${id}_${task}.out`) })) };
  },
  async wait(job: SubmittedJob, signals?: StopSignals): Promise<JobEnd> {
    let stop: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const unsubscribe = signals?.subscribe(() => stop?.());
    try {
      for (;;) {
        const out = await runTool("squeue", ["-h", "-j", job.job, "-o", "%i"]).catch(() => "");
        if (out.trim() === "") break;
        const pause = new Promise<"poll">((r) => setTimeout(() => r("poll"), SQUEUE_POLL_MS));
        if ((await Promise.race([pause, stopped.then(() => "stop" as const)])) === "stop") {
          // The tasks are the scheduler's: they go on; the user stopped waiting only.
          return { tasks: [], interrupted: `job ${job.job} goes on (scancel ${job.job} stops it)` };
        }
      }
    } finally {
      unsubscribe?.();
    }
    return { tasks: slurmOutcomes(job, await readSlurmTasks(job.job).catch(() => [])) };
  },
  async cancel(job: string): Promise<void> {
    await runTool("scancel", [job]);
  },
};

/**
 * How each task of an ended job went, from `scontrol show job` (pure): a task
 * that did not end COMPLETED (exit 0 of its batch script) failed. A task
 * Slurm no longer reports (past MinJobAge) is taken as ended well: there is
 * nothing left to say otherwise.
 */
export function slurmOutcomes(job: SubmittedJob, ends: TaskEnd[]): TaskOutcome[] {
  return job.tasks.map(({ task, log }) => {
    const end = ends.find((e) => e.task === task);
    const failure = end === undefined || end.state === "COMPLETED" ? null : end.reason;
    return { task, log, failure };
  });
}

/**
 * The line of a Slurm command's stderr that says what went wrong: its first
 * line naming the command (`sbatch: unrecognized option '--partitoin=gpu'`,
 * `sbatch: error: invalid partition`), else the last; not the "Try sbatch
 * --help" that follows an unknown option.
 */
export function slurmErrorLine(cmd: string, stderr: string): string {
  const lines = stderr
    .trim()
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return lines.find((l) => l.startsWith(`${cmd}:`)) ?? lines[lines.length - 1] ?? "";
}
