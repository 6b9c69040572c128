// The batch loop: a batch is a run of its own (op grid/random/gp/tpe) whose
// trials are runs linked to it. Trials come from a fixed list (grid, random)
// or one at a time from an optimizer that learns from the finished ones (gp,
// tpe); `-j N` workers take trial numbers from one queue. Ctrl-C or SIGTERM
// stops the running trials and starts no new ones.

import { InterruptedError, RunFailedError } from "../errors.js";
import type { Observation, Point, Rng, Space } from "../flags/space.js";
import { lossFor, missingObjectiveWarning, noScalarsWarning, objectiveValue } from "../query/objective.js";
import { buildArgv, buildEnv } from "../runner/command.js";
import { escapeControlChars, formatNumber, formatValue } from "../format/values.js";
import { initialPoint } from "../search/random.js";
import { createRng } from "../search/rng.js";
import { createStartedRun, startRun, type OutputSink, type RunningProcess } from "../runner/execute.js";
import type { ScriptInfo } from "../runner/inspect.js";
import { StopSignals } from "../runner/signals.js";
import { isoNow, ownLock, shortId, type RunStore } from "../store/store.js";
import type { Flags, Objective, Placement, Run, ScalarRecord } from "../store/types.js";
import type { ProgressReporter } from "../ui/progress.js";
import { pointOf } from "./history.js";
import type { Proposer } from "./optimizers.js";

/** Everything the batch loop needs to run (or continue) a batch's trials. */
export interface BatchJob {
  store: RunStore;
  batch: Run;
  info: ScriptInfo;
  /** The op of each trial: the script as the user named it. */
  trialOp: string;
  space: Space;
  /** Flags every trial records before the searched ones (the script's defaults and constants). */
  baseFlags: Flags;
  /**
   * The flags the user gave (searched or constant): the only ones an argparse-style
   * script receives on its command line; the defaults in baseFlags stay off it.
   */
  givenFlags: string[];
  objective: Objective;
  /** Fixed trials (grid, random), by trial number; or null when an optimizer proposes them. */
  points: Map<number, Point> | null;
  /** For gp/tpe: trial numbers to run, and how to propose. */
  trialNumbers: number[];
  propose?: Proposer;
  rng: Rng;
  /** Finished trials the optimizer learns from (earlier ones of this batch, or more with --learn-from all). */
  history: Observation[];
  /** Existing trial runs to re-run in place (interrupted ones), by trial number. */
  rerun: Map<number, Run>;
  /** The best of the batch's trials that finished before this session (a restart), so the summary's best is over the whole batch. */
  bestSoFar: BestTrial | null;
  parallel: number;
  quiet: boolean;
  label: string;
  tags: string[];
  cwd: string;
  /** The number of trials in the whole batch, for "trial k/N". */
  total: number;
  /** Shows the trials' progress and output: a live panel or plain lines (src/ui/progress.ts). */
  progress: ProgressReporter;
}

/** The trial with the lowest loss (the objective's value, negated when maximized). */
export interface BestTrial {
  loss: number;
  trial: number;
}

/** Runs a batch's trials to the end, or until a stop signal; the batch's record says how it ended. */
export async function runBatch(plan: BatchJob): Promise<void> {
  const { store, batch } = plan;
  // In place of W&B's dashboard URL: the command that shows this batch's trials as they come in.
  plan.progress.message(`view: g view --batch ${shortId(batch.id)}`);
  const lease = store.holdLease(batch.id, ownLock());
  await store.updateRun(batch.id, (r) => {
    r.started ??= isoNow();
    r.stopped = null;
    r.exit_status = null;
    delete r.terminated;
  });

  const running = new Set<RunningProcess>();
  const queue = [...plan.trialNumbers];
  let failed = 0;
  let completed = 0;
  /** Trials stopped on their own by g stop (the batch went on); those of a stopped batch are not counted. */
  let stopped = 0;
  let best = plan.bestSoFar;
  /** Said once per batch: a mistyped --minimize/--maximize column. */
  let objectiveWarned = false;
  const scored: Array<Observation & BestTrial> = [];
  const pending = new Map<number, Point>();
  const { progress } = plan;
  const announce = (reason: "interrupt" | "terminate") =>
    progress.message(
      `\n${reason === "interrupt" ? "Interrupted" : "Stopping"}: stopping ${running.size} running trial(s); no new trials start.`,
    );

  const signals = new StopSignals(announce).install();
  const worker = async () => {
    while (signals.received === null) {
      const trial = queue.shift();
      if (trial === undefined) return;
      const point = nextPoint(plan, trial, pending);
      pending.set(trial, point);
      const flags: Flags = { ...plan.baseFlags, ...point };
      const argv = buildArgv(plan.info, flags, plan.givenFlags);
      const rerun = plan.rerun.get(trial);
      // A new trial's run is created already started (one run.json write less); a rerun is started by startRun.
      const run =
        rerun ??
        createStartedRun(
          store,
          { op: plan.trialOp, flags, cwd: plan.cwd, label: plan.label, tags: plan.tags, batch: batch.id, trial, script: plan.info.path },
          argv,
        );
      // "whole" (one fsync, not two): startRun's "whole" write follows at once, and a power loss
      // between them leaves the interrupted record as it was, which a restart reruns again.
      if (rerun) await store.updateRun(run.id, (r) => void (r.flags = flags), "whole");
      progress.emit({ type: "trialStarted", trial, runId: run.id, flags: formatPoint(point), nowMs: Date.now() });
      const proc = await startTrial({
        store,
        run,
        info: plan.info,
        flags,
        givenFlags: plan.givenFlags,
        createdStarted: rerun === undefined,
        cwd: plan.cwd,
        sink: plan.quiet ? null : progress.sinkFor(trial),
        onScalar: (rec) => progress.emit({ type: "trialScalar", trial, key: rec.key, value: rec.value, step: rec.step }),
      });
      running.add(proc);
      const unsubscribe = signals.subscribe((reason) => proc.stop(reason));
      const result = await proc.done;
      unsubscribe();
      running.delete(proc);
      pending.delete(trial);
      const summaries = store.readSummaries(store.readRun(run.id));
      const value = objectiveValue(plan.objective, summaries);
      if (result.status === "completed" && value === null && !objectiveWarned) {
        const warning =
          missingObjectiveWarning(plan.objective, summaries, `trial ${trial}`) ??
          (plan.propose ? noScalarsWarning(plan.objective, summaries, `trial ${trial}`, plan.batch.record.op) : null);
        if (warning !== null) progress.message(warning);
        objectiveWarned = warning !== null;
      }
      if (result.status === "completed") completed++;
      else if (result.status !== "terminated") failed++;
      else if (signals.received === null) stopped++;
      if (result.status === "completed" || result.status === "error") {
        plan.history.push({ point, value: result.status === "completed" ? lossFor(plan.objective, value) : null });
      }
      const loss = result.status === "completed" ? lossFor(plan.objective, value) : null;
      if (loss !== null && (best === null || loss < best.loss)) best = { loss, trial };
      if (loss !== null) scored.push({ point, value: loss, loss, trial });
      const bestValue = best && { trial: best.trial, value: signed(plan.objective, best.loss) };
      progress.emit({ type: "trialFinished", trial, status: result.status, value, best: bestValue, nowMs: Date.now() });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.parallel, plan.trialNumbers.length)) }, worker));
  } finally {
    signals.uninstall();
    lease.stop();
    // Also when a worker threw: the batch is recorded as ended, never left running.
    await store.updateRun(batch.id, (r) => {
      r.stopped = isoNow();
      r.exit_status = signals.received ? 130 : failed > 0 ? 1 : 0;
      if (signals.received) r.terminated = true;
    });
    store.removeLock(batch.id);
  }

  const summary = batchSummary(plan, completed, failed, stopped, best) + (best ? await noiseModelNote(plan, best, scored) : "");
  const outcome = signals.received ? "interrupted" : failed > 0 ? "failed" : "completed";
  progress.emit({ type: "ended", outcome, note: summary, nowMs: Date.now() });
  if (signals.received) throw new InterruptedError(`${summary}; interrupted; continue it with: g run --restart ${shortId(batch.id)}`);
  if (failed > 0) throw new RunFailedError(summary);
}

/** A trial to start: its run, the script and the flags it gets, where its output goes. */
export interface TrialLaunch {
  store: RunStore;
  run: Run;
  info: ScriptInfo;
  flags: Flags;
  /** The flags the user gave: the only ones an argparse-style script receives (see BatchJob.givenFlags). */
  givenFlags: string[];
  cwd: string;
  sink: OutputSink | null;
  onScalar?: (record: ScalarRecord) => void;
  /** The scheduler's task this trial runs in (a batch submitted to Slurm). */
  placement?: Placement;
  /** The run was created already started (createStartedRun): its run.json is not written again at the start. */
  createdStarted?: boolean;
}

/** Starts one trial's process: the one path for a local batch's workers and a scheduler's array tasks. */
export function startTrial(t: TrialLaunch): Promise<RunningProcess> {
  const { store, run, flags } = t;
  return startRun({
    store,
    run,
    argv: buildArgv(t.info, flags, t.givenFlags),
    createdStarted: t.createdStarted === true,
    env: buildEnv(process.env, { id: run.id, dir: run.dir, home: store.home, flags }),
    cwd: t.cwd,
    sink: t.sink,
    sourceOf: t.info.path,
    ...(t.onScalar ? { onScalar: t.onScalar } : {}),
    ...(t.placement ? { placement: t.placement } : {}),
  });
}

/** The batch's closing line: this session's counts, and the best trial of the whole batch. */
function batchSummary(plan: BatchJob, completed: number, failed: number, stopped: number, best: BestTrial | null): string {
  const bestText = best ? `; best ${plan.objective.column} ${formatNumber(signed(plan.objective, best.loss))} (trial ${best.trial})` : "";
  const stoppedText = stopped > 0 ? `, ${stopped} stopped (g stop)` : "";
  return `batch ${shortId(plan.batch.id)} (${plan.batch.record.op}): ${completed} completed, ${failed} failed${stoppedText}${bestText}`;
}

/**
 * For gp and tpe, what a GP with fitted noise makes of the trials
 * (search/gp/belief.ts): with noisy values the lowest one is often a lucky
 * draw, so when the fit finds noise the line names the trial with the lowest
 * posterior mean and says so. Only over the trials of one session (a restart
 * keeps the lowest value over the whole batch).
 */
async function noiseModelNote(plan: BatchJob, lowest: BestTrial, scored: Array<Observation & BestTrial>): Promise<string> {
  if (!plan.propose || plan.bestSoFar !== null || scored.length === 0) return "";
  const { believedBest } = await import("../search/gp.js");
  const pick = believedBest(plan.space, scored, createRng(`best:${plan.batch.id}`));
  if (pick === null) return `; no noise found, best by ${plan.objective.goal === "maximize" ? "highest" : "lowest"} value`;
  const noise = `noise sd ≈ ${pick.noiseSd.toPrecision(2)}`;
  const chosen = scored[pick.index]!;
  if (chosen.trial === lowest.trial) return `, also best by the noise model (${noise})`;
  return `; best by the noise model (${noise}): trial ${chosen.trial}, ${plan.objective.column} ${formatNumber(signed(plan.objective, chosen.loss))}`;
}

function nextPoint(plan: BatchJob, trial: number, pending: Map<number, Point>): Point {
  const fixed = plan.points?.get(trial);
  if (fixed) return fixed;
  const rerun = plan.rerun.get(trial);
  if (rerun) return pointOf(plan.space, rerun.record.flags);
  if (!plan.propose) throw new Error(`no point for trial ${trial}`);
  // Guild's [LOW:HIGH:INITIAL]: the batch's first trial tries the initial values.
  if (trial === 1) {
    const first = initialPoint(plan.space, plan.rng);
    if (first) return first;
  }
  // Trials still running are shown to the optimizer as points not to propose again.
  const inFlight: Observation[] = [...pending.values()].map((point) => ({ point, value: null }));
  // The batch's size is its budget: trial k of N (after a restart, N is the new total).
  return plan.propose([...plan.history, ...inFlight], plan.rng, { trial, total: Math.max(plan.total, trial) });
}

/** The objective's value of a loss (the loss negated back when the objective is maximized). */
export function signed(objective: Objective, loss: number): number {
  return objective.goal === "maximize" ? -loss : loss;
}

export function formatPoint(point: Point): string {
  return Object.entries(point)
    .map(([k, v]) => `${escapeControlChars(k)}=${formatValue(v)}`)
    .join(" ");
}

/** A seeded rng for a batch; restarts pass a new `stream` so they never repeat earlier draws. */
export function batchRng(seed: number, stream = 0): Rng {
  return createRng(stream === 0 ? String(seed) : `${seed}:${stream}`);
}
