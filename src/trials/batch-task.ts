// One array task of a batch submitted to a scheduler (`g run --batch-task
// BATCH`, what each task of `g run ... --backend slurm` runs): the task's
// index is its trial number. Grid and random trials are the batch's recorded
// points; a gp/tpe trial is proposed here, outside any lock, from the batch's
// ledger (finished trials, and running ones as pending points: the constant
// liar), then claimed through the store's one claim transaction
// (claimLedgerTrial, as sweep agents claim), run, and the batch closed when it
// was the session's last trial.

import { RunFailedError, UsageError } from "../errors.js";
import type { Point, Space } from "../flags/space.js";
import { inspectScript } from "../runner/inspect.js";
import { checkCanStart } from "../runner/preflight.js";
import { withStopSignals } from "../runner/signals.js";
import { terminalSink } from "../runner/terminal.js";
import { DEFAULT_OBJECTIVE } from "../query/objective.js";
import { initialPoint, samplePoint } from "../search/random.js";
import { createRng } from "../search/rng.js";
import { shortId, type RunStore } from "../store/store.js";
import { claimLedgerTrial, type ClaimChoice, type Trial } from "../store/sweeps.js";
import { readBatchRecord, type BatchRecord, type Placement, type Run, type RunStatus } from "../store/types.js";
import { buildArgv } from "../runner/command.js";
import { formatJob, readTaskEnd, type TaskEnd } from "../backends/index.js";
import { formatPoint, startTrial } from "./batch.js";
import { closeBatchSession, readBatchTrials } from "./batch-session.js";
import { learnFromEarlierRuns, pointOf, sweepHistory } from "./history.js";
import { isSequential, loadProposer, resolveOptimizer } from "./optimizers.js";
import { proposeOffThread, startProposer } from "./propose-thread.js";
import { wasInterrupted } from "./restart.js";
import { CLAIM_LOCK_TIMEOUT_MS } from "./sweep.js";
import { join } from "node:path";

/** What a task did: its trial's status, or `skipped` (already ran, batch closed) with why. */
export type BatchTaskOutcome = { status: RunStatus; trial: number; run: Run } | { status: "skipped"; trial: number; why: string };

/** A gp/tpe proposal made outside the batch's lock, and the ledger's runs when it was made. */
export interface BatchProposal {
  point: Point;
  seenRuns: ReadonlySet<string>;
}

/**
 * The chooser called under the batch's lock (pure): trial `trial` unless a run
 * already stands for it (a task Slurm started again: nothing to do), run again
 * in its own folder when it was interrupted, else with `point`. A proposal
 * that a trial claimed since took too is replaced by `fallback` (rare; a
 * re-fit here would hold every other task up).
 */
export function chooseBatchTrial(
  trials: Trial[],
  want: { trial: number; point: Point; proposal: BatchProposal | null; space: Space; fallback: () => Point },
): ClaimChoice {
  const mine = trials.filter((t) => t.trial === want.trial).at(-1);
  if (mine) {
    if (!wasInterrupted(mine.run!))
      return { kind: "done", reason: `trial ${want.trial} already has run ${shortId(mine.runId)} (${mine.run!.status})` };
    return { kind: "trial", trial: want.trial, point: pointOf(want.space, mine.run!.record.flags), retryOf: null, rerun: mine.run! };
  }
  if (want.proposal === null) return { kind: "trial", trial: want.trial, point: want.point, retryOf: null };
  const key = pointKey(want.point);
  const takenSince = trials.some(
    (t) => !want.proposal!.seenRuns.has(t.runId) && pointKey(pointOf(want.space, t.run!.record.flags)) === key,
  );
  return { kind: "trial", trial: want.trial, point: takenSince ? want.fallback() : want.point, retryOf: null };
}

function pointKey(point: Point): string {
  return JSON.stringify(
    Object.keys(point)
      .sort()
      .map((k) => [k, point[k]]),
  );
}

/**
 * Runs this task's trial of `batchId`. `placement` is the scheduler's task
 * (Slurm: SLURM_ARRAY_JOB_ID and SLURM_ARRAY_TASK_ID); its task index is the
 * trial number. When the scheduler stops the task (scancel, time limit,
 * preemption: SIGTERM, SIGKILL after KillWait), the trial is stopped and
 * recorded `terminated` with the scheduler's reason.
 */
export async function runBatchTask(
  store: RunStore,
  batchId: string,
  placement: Placement,
  report: (line: string) => void,
): Promise<BatchTaskOutcome> {
  const trial = placement.task;
  if (trial === undefined || trial < 1)
    throw new UsageError(`g run --batch-task runs in an array task whose index is a trial number (1 or more), not ${trial ?? "none"}`);
  const batch = store.readRun(batchId);
  const rec = readBatchRecord<Space>(batch.record);
  if (!rec) throw new UsageError(`run ${shortId(batchId)} is not a batch (${batch.dir})`);
  if (batch.record.stopped != null) return { status: "skipped", trial, why: `batch ${shortId(batchId)} is closed (${batch.status})` };

  const script = rec.script ?? "";
  const info = inspectScript(script, join(store.home, "cache", "inspect"));
  const cwd = batch.record.cwd;
  checkCanStart(buildArgv(info, {}, []), rec.script_op ?? script, cwd);

  const trials = readBatchTrials(store, batch);
  const { point, proposal } = await planPoint(store, batch, rec, trial, trials);
  const rng = createRng(`${rec.seed ?? 0}:task:${trial}`);
  const claim = await claimLedgerTrial(store, batch.dir, {
    choose: (fresh) => chooseBatchTrial(fresh, { trial, point, proposal, space: rec.space, fallback: () => samplePoint(rec.space, rng) }),
    newRun: (choice) => ({
      op: rec.script_op ?? script,
      flags: { ...(rec.base_flags ?? {}), ...choice.point },
      cwd,
      label: rec.label ?? "",
      tags: rec.tags ?? [],
      batch: batch.id,
      trial: choice.trial,
      script,
    }),
    lockTimeoutMs: CLAIM_LOCK_TIMEOUT_MS,
    placement,
  });
  if (claim.kind === "done") return { status: "skipped", trial, why: claim.reason };

  const flags = { ...(rec.base_flags ?? {}), ...claim.point };
  report(`trial ${trial} of batch ${shortId(batch.id)}: run ${shortId(claim.run.id)}, ${formatPoint(claim.point)}`);
  // Set by the signal handler (a closure), so held in an object TypeScript does not narrow to null.
  const stopped: { end: Promise<TaskEnd | null> | null } = { end: null };
  const askReason = () => readTaskEnd(placement).catch(() => null);
  const result = await withStopSignals(
    () => {
      // Asked at once: Slurm marks the job (CANCELLED, TIMEOUT, PREEMPTED) before it signals.
      stopped.end ??= askReason();
      report(`stopping trial ${trial}: the scheduler sent SIGTERM`);
    },
    async (signals) => {
      const proc = await startTrial({
        store,
        run: claim.run,
        info,
        flags,
        givenFlags: Object.keys(rec.space),
        cwd,
        sink: terminalSink,
        placement,
      });
      signals.subscribe((reason) => proc.stop(reason));
      return proc.done;
    },
  );
  if (stopped.end !== null) {
    const end = await stopped.end;
    await store.updateRun(claim.run.id, (r) => {
      r.error = end?.reason ?? `${placement.backend} stopped job ${formatJob(placement)} (SIGTERM)`;
      // Slurm names the final state (CANCELLED, TIMEOUT, PREEMPTED) only once this task is gone:
      // the next g command that looks writes it (src/backends/reap.ts).
      if (!end?.ended) r.end_reason_pending = true;
      // The script may have died of Slurm's own SIGTERM before g forwarded its stop: still the scheduler's doing.
      if (r.exit_status !== 0) r.terminated = true;
    });
  }
  await closeBatchSession(store, batch.id, { jobEnded: false });
  const run = store.readRun(claim.run.id);
  if (result.status === "error")
    throw new RunFailedError(`trial ${trial} (run ${shortId(run.id)}) failed (exit status ${result.exitCode})`);
  return { status: result.status, trial, run };
}

/** The trial's point: the batch's fixed one (grid, random), the interrupted run's, or a proposal made now. */
async function planPoint(
  store: RunStore,
  batch: Run,
  rec: BatchRecord<Space>,
  trial: number,
  trials: Trial[],
): Promise<{ point: Point; proposal: BatchProposal | null }> {
  const mine = trials.filter((t) => t.trial === trial).at(-1);
  if (mine) return { point: pointOf(rec.space, mine.run!.record.flags), proposal: null };
  if (rec.points) {
    const fixed = rec.points[trial - 1];
    if (!fixed) throw new UsageError(`batch ${shortId(batch.id)} has ${rec.points.length} trials; there is no trial ${trial}`);
    return { point: fixed, proposal: null };
  }
  // Each trial has its own stream: the same batch gives the same proposals whatever order its tasks start in.
  const seed = `${rec.seed ?? 0}:${rec.restarts ?? 0}:${trial}`;
  const rng = createRng(seed);
  // Guild's [LOW:HIGH:INITIAL]: the batch's first trial tries the initial values, as a local batch's does.
  const first = trial === 1 ? initialPoint(rec.space, rng) : null;
  if (first) return { point: first, proposal: null };
  const objective = rec.objective ?? DEFAULT_OBJECTIVE;
  const optimizer = resolveOptimizer(rec.optimizer);
  const settings = rec.optimizer_settings ?? {};
  if (isSequential(optimizer)) startProposer();
  const history = sweepHistory(store, rec.space, objective, trials, { liar: true, constants: "without-constants" });
  if (rec.learn_from === "all") history.push(...learnFromEarlierRuns(store, rec.script ?? "", rec.space, objective, batch.id));
  // A model fit on the low-priority proposal thread: the other tasks' claims go first (propose-worker.ts).
  // The batch's size is its budget (max_trials grows with a restart's --max-trials).
  const progress = typeof rec.max_trials === "number" && rec.max_trials > 0 ? { trial, total: Math.max(rec.max_trials, trial) } : undefined;
  const point = isSequential(optimizer)
    ? await proposeOffThread(optimizer, rec.space, settings, history, seed, progress)
    : (await loadProposer(optimizer, rec.space, settings))(history, rng, progress);
  return { point, proposal: { point, seenRuns: new Set(trials.map((t) => t.runId)) } };
}
