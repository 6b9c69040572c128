// `g run ... --backend slurm`: a batch's trials as one scheduler job array
// (one task per trial, the task's index its trial number), and what each task
// runs (`g run --batch-task BATCH`). The batch is created and planned by
// src/commands/run.ts as for a local batch; this submits it, records the job
// in the batch, and with --wait waits for the job and prints the summary.

import { hostname } from "node:os";
import { join } from "node:path";
import type { RunArgs } from "../cli/run-args.js";
import { currentPlacement, selectBackend, splitSlurmOptions } from "../backends/index.js";
import { reapIfNeeded } from "../backends/reap-candidates.js";
import { InterruptedError, RunFailedError, UsageError } from "../errors.js";
import { formatArrayIndices } from "../backends/slurm.js";
import { formatNumber } from "../format/values.js";
import { DEFAULT_OBJECTIVE, lossFor } from "../query/objective.js";
import { isoNow, ownLock, shortId, type RunStore } from "../store/store.js";
import { withStopSignals } from "../runner/signals.js";
import { appendTrialEntry, readTrialEntries } from "../store/sweeps.js";
import { readBatchRecord, type Run, type SubmittedSession } from "../store/types.js";
import { runBatchTask } from "../trials/batch-task.js";
import { closeBatchSession, readBatchTrials, tallySession } from "../trials/batch-session.js";
import { runObjectiveValue } from "../trials/history.js";
import { say } from "./prompt.js";

/** How a batch session is submitted: the backend, its throttle and scheduler options, and whether to wait. */
export interface Submission {
  backend: string;
  parallel?: number;
  options: string[];
  wait: boolean;
  /** A batch created for this submission (removed again when sbatch refuses it), not a restart. */
  fresh?: boolean;
}

/**
 * Checks g run's backend options before anything is created (exit 2): the
 * Slurm options go with --backend (or a restart of a batch that was
 * submitted), `-j` does not, and --slurm-opt must split into options.
 * Returns the submission, or null for a local run.
 */
export function checkBackendArgs(args: RunArgs, previous?: SubmittedSession): Submission | null {
  const backend = args.backend ?? previous?.backend;
  const slurmOnly = args.slurmOpt.length > 0 || args.slurmArrayParallel !== undefined;
  if (backend === undefined) {
    if (slurmOnly || args.wait)
      throw new UsageError(
        "--slurm-opt, --slurm-array-parallel and --wait go with --backend slurm, e.g. g run train.py x=[1:9] --backend slurm",
      );
    return null;
  }
  if (args.parallel > 1)
    throw new UsageError(`-j runs trials at once on this machine; with --backend ${backend} give --slurm-array-parallel ${args.parallel}`);
  if (args.slurmArrayParallel === 0) throw new UsageError("--slurm-array-parallel takes a whole number, at least 1");
  const options = args.slurmOpt.length > 0 ? splitSlurmOptions(args.slurmOpt) : (previous?.options ?? []);
  const parallel = args.slurmArrayParallel ?? previous?.parallel;
  selectBackend(backend);
  return { backend, options, wait: args.wait, ...(parallel !== undefined ? { parallel } : {}) };
}

/**
 * Submits trials `trials` of batch `batchId` as one job array (task index =
 * trial number), records the session and the job in the batch, and holds the
 * batch's LOCK for the job (pid 0: the scheduler's, until the job is over).
 * Prints the batch id and the job id on stdout. With `wait`, waits for the
 * job and ends as a local batch does (exit 1 when trials failed, 130 when
 * some were stopped or never ran).
 */
export async function submitBatch(store: RunStore, batchId: string, trials: number[], sub: Submission): Promise<void> {
  const backend = selectBackend(sub.backend);
  const batch = store.readRun(batchId);
  // Trials of earlier sessions (or of a batch older than ledgers) join the ledger first, so the tasks see them.
  seedLedger(store, batch);
  const session: SubmittedSession = {
    backend: backend.name,
    job: null,
    trials,
    options: sub.options,
    ...(sub.parallel !== undefined ? { parallel: sub.parallel } : {}),
  };
  // While sbatch runs, the batch is this process's; a g that dies here leaves it `error`, not running forever.
  const lease = store.holdLease(batch.id, ownLock());
  await store.updateRun(batch.id, (r) => {
    r.started ??= isoNow();
    r.stopped = null;
    r.exit_status = null;
    delete r.terminated;
    delete r.error;
    r.submitted = session;
  });
  let job;
  try {
    job = await backend.submit({
      gArgs: ["run", "--batch-task", batch.id],
      tasks: trials.length,
      indices: trials,
      ...(sub.parallel !== undefined ? { parallel: sub.parallel } : {}),
      name: `g-batch-${shortId(batch.id)}`,
      cwd: batch.record.cwd,
      home: store.home,
      logDir: join(batch.dir, "tasks"),
      options: sub.options,
    });
  } catch (err) {
    lease.stop();
    // A new batch that never reached the scheduler leaves nothing behind; a restarted one says why it did not go.
    if (sub.fresh) {
      store.removeLock(batch.id);
      store.deleteRun(batch.id, { permanent: true });
      throw err;
    }
    await store.updateRun(batch.id, (r) => {
      r.stopped = isoNow();
      r.exit_status = 1;
      r.error = `not submitted: ${(err as Error).message}`;
    });
    store.removeLock(batch.id);
    throw err;
  }
  lease.stop();
  const placement = { backend: job.backend, job: job.job };
  await store.updateRun(batch.id, (r) => {
    (r.submitted as SubmittedSession).job = job.job;
    r.placement = placement;
  });
  store.writeLock(batch.id, { pid: 0, host: hostname(), placement });
  const throttle = sub.parallel !== undefined ? `%${sub.parallel}` : "";
  say(
    `batch ${shortId(batch.id)} (${batch.record.op}): ${trials.length} trial(s) submitted to ${backend.name} as job ${job.job} (array ${formatArrayIndices(trials)}${throttle}; task output in ${join(batch.dir, "tasks")})`,
  );
  process.stdout.write(`${batch.id} ${job.job}\n`);
  if (!sub.wait) {
    say(`follow it with g runs, stop it with g stop ${shortId(batch.id)}`);
    return;
  }
  const end = await withStopSignals(undefined, (signals) => backend.wait(job, signals));
  if (end.interrupted !== undefined)
    throw new InterruptedError(`batch ${shortId(batch.id)}: stopped waiting, ${end.interrupted}; follow it with g runs`);
  // Tasks Slurm killed outright, or cancelled before they started, are recorded now.
  const runs = store.listRuns().runs.filter((r) => r.id === batch.id || r.record.batch === batch.id);
  await reapIfNeeded(store, runs);
  await closeBatchSession(store, batch.id, { jobEnded: true });
  reportSession(store, store.readRun(batch.id), trials);
}

/** The --wait summary: the session's counts and the batch's best trial; throws as a local batch would. */
function reportSession(store: RunStore, batch: Run, sessionTrials: number[]): void {
  const rec = readBatchRecord(batch.record);
  const trials = readBatchTrials(store, batch);
  const tally = tallySession(sessionTrials, trials);
  const objective = rec?.objective ?? DEFAULT_OBJECTIVE;
  let best: { loss: number; trial: number; value: number } | null = null;
  for (const t of trials) {
    if (t.run!.status !== "completed") continue;
    const value = runObjectiveValue(store, objective, t.run!);
    const loss = lossFor(objective, value);
    if (loss !== null && (best === null || loss < best.loss)) best = { loss, trial: t.trial, value: value! };
  }
  const stopped = tally.terminated + tally.missing.length;
  const summary =
    `batch ${shortId(batch.id)} (${batch.record.op}): ${tally.completed} completed, ${tally.failed} failed` +
    (stopped > 0 ? `, ${stopped} terminated or not run` : "") +
    (best ? `; best ${objective.column} ${formatNumber(best.value)} (trial ${best.trial})` : "");
  if (stopped > 0) throw new InterruptedError(`${summary}; continue it with: g run --restart ${shortId(batch.id)}`);
  if (tally.failed > 0) throw new RunFailedError(summary);
  say(summary);
}

/** Adds the batch's trial runs missing from its ledger (a local session's, an older g's). */
function seedLedger(store: RunStore, batch: Run): void {
  const known = new Set(readTrialEntries(batch.dir).map((e) => e.run));
  const missing = store
    .listRuns()
    .runs.filter((r) => r.record.batch === batch.id && typeof r.record.trial === "number" && !known.has(r.id))
    .sort((a, b) => a.record.trial! - b.record.trial!);
  for (const r of missing) appendTrialEntry(batch.dir, { trial: r.record.trial!, run: r.id });
}

/** `g run --batch-task BATCH`: what each array task runs (its index is its trial number). */
export async function batchTaskCommand(store: RunStore, batchId: string): Promise<void> {
  const placement = currentPlacement();
  if (!placement || placement.task === undefined)
    throw new UsageError(
      "g run --batch-task is what each array task of g run --backend slurm runs; it needs SLURM_ARRAY_JOB_ID and SLURM_ARRAY_TASK_ID",
    );
  const outcome = await runBatchTask(store, batchId, placement, say);
  if (outcome.status === "skipped") {
    say(`trial ${outcome.trial}: nothing to run; ${outcome.why}`);
    return;
  }
  if (outcome.status === "terminated") throw new InterruptedError(`trial ${outcome.trial} (run ${shortId(outcome.run.id)}) terminated`);
  say(`trial ${outcome.trial} (run ${shortId(outcome.run.id)}) ${outcome.status}`);
}
