// The rules of a sweep agent's trials: which trial comes next (an orphan to
// run again, the next grid combination, a random sample, a bayes proposal),
// claiming it through the store, and running it with early termination and
// cancellation. The sweep id goes down: `g agent` → claimNextTrial → the
// store's claimTrial, which holds the sweep's lock.

import { resolve } from "node:path";
import type { Point } from "../flags/space.js";
import type { SweepConfig } from "../flags/sweep-config.js";
import { sweepGridPoints, sweepTotal } from "../flags/sweep-grid.js";
import { buildEnv, buildSweepArgv, prepareSweepArgv, usesArgsJsonFile } from "../runner/command.js";
import { sweepMacroArgs } from "../flags/sweep-args.js";
import { startRun, startedFields, type OutputSink, type RunningProcess } from "../runner/execute.js";
import type { StopSignals } from "../runner/signals.js";
import { shouldStop } from "../search/early-stop.js";
import { samplePoint } from "../search/random.js";
import { createRng } from "../search/rng.js";
import { shortId, type RunStore } from "../store/store.js";
import {
  claimTrial,
  readSweep,
  readTrialEntries,
  readTrials,
  type ClaimChoice,
  type ClaimTimings,
  type Sweep,
  type SweepClaim,
  type Trial,
  type TrialEntry,
} from "../store/sweeps.js";
import type { Objective, Placement, Run, RunStatus, ScalarRecord, ScalarSummary } from "../store/types.js";
import { pointOf, runObjectiveValue, sweepHistory } from "./history.js";
import { proposeOffThread, startProposer } from "./propose-thread.js";

/** How often a running trial's sweep is checked for --cancel, and peers' histories refreshed. */
export const SWEEP_POLL_MS = 1_000;
/** The file in a trial's run folder that `${args_json_file}` names. */
export const ARGS_JSON_FILE = "sweep-args.json";
/** How long an agent waits for the sweep's lock to claim a trial (exit 75 after). */
export const CLAIM_LOCK_TIMEOUT_MS = 30_000;

export type ClaimedTrial = Extract<SweepClaim, { kind: "trial" }>;

/** Where an agent's claim went (ms): the bayes proposal, then the store's claim. */
export interface AgentClaimTimings extends ClaimTimings {
  proposeMs: number;
}

/**
 * A bayes proposal made outside the sweep's lock: the point, and the runs the
 * ledger held when it was made (to tell, under the lock, what was claimed since).
 */
export interface Proposal {
  point: Point;
  seenRuns: ReadonlySet<string>;
}

/**
 * Claims the sweep's next trial for this agent: an orphaned trial to run
 * again first (unless `retry` is false), else the next one the method gives;
 * `done` with the reason when there is none.
 *
 * A bayes proposal (a model fit: tens of ms to seconds) is made before the
 * lock is taken, from the ledger as it stands, with the points other agents
 * hold as pending (constant liar); the lock is held only to check the ledger
 * and append the claim, as Optuna's journal storage does.
 */
export async function claimNextTrial(
  store: RunStore,
  sweepId: string,
  opts: {
    retry: boolean;
    cwd: string;
    finishedCache?: Map<string, Run>;
    placement?: Placement;
    /** Filled in with where the time went (bench/claims.mjs). */
    timings?: AgentClaimTimings;
  },
): Promise<SweepClaim> {
  const sweep = readSweep(store.home, sweepId);
  const config = sweep.record.config;
  // A sweep that is done says so without the lock or a model fit: trials are only ever added, so
  // "done" from this read stands as it would under the lock (an agent that starts, or stays, with
  // nothing to claim costs a read). The lock is for taking a trial.
  if (sweep.record.state !== "running") return { kind: "done", reason: `sweep ${sweep.id} is ${sweep.record.state}` };
  // Read outside the lock, like the bayes proposal: an agent claiming at this very moment may still start one more.
  const reached = config.metric?.target !== undefined ? findTargetReached(store, sweep, opts.finishedCache) : null;
  if (reached !== null) return { kind: "done", reason: targetReason(sweep, reached) };
  if (config.method === "bayes") startProposer();
  // The peek reads the runs of the ledger (their status, for orphans) only when the ledger alone
  // does not show a trial left to hand out: most claims of a sweep in progress read one file here.
  if (!ledgerHasTrialsLeft(config, readTrialEntries(sweep.dir))) {
    const seen = readTrials(store, sweep, opts.finishedCache).filter((t) => t.run !== null && !t.superseded);
    const peek = chooseTrial(sweep, seen, opts.retry, null);
    if (peek.kind === "done") return peek;
  }
  const proposeStart = opts.timings ? performance.now() : 0;
  const proposal = config.method === "bayes" ? await proposeBayesTrial(store, sweep, opts.finishedCache) : null;
  if (opts.timings) opts.timings.proposeMs = performance.now() - proposeStart;
  // The program is found before the lock is taken (a stat, an access, its `#!` line; a Python
  // script's inspection): under the lock, the trial's argv is only expanded from the point.
  const argvFor = usesArgsJsonFile(config) ? null : prepareSweepArgv(config, opts.cwd);
  return claimTrial(store, sweepId, {
    cwd: opts.cwd,
    finishedCache: opts.finishedCache,
    ...(opts.timings ? { timings: opts.timings } : {}),
    lockTimeoutMs: CLAIM_LOCK_TIMEOUT_MS,
    choose: (fresh, trials) => chooseTrial(fresh, trials, opts.retry, proposal),
    // The agent starts the trial at once: its run is created started (runSweepTrial sees it). Not
    // with ${args_json_file}: that argv names a file the claim's run folder must hold first.
    started: argvFor === null ? undefined : (point) => startedFields(argvFor(point), opts.placement),
  });
}

/**
 * Whether the ledger's lines alone show a trial left (so chooseTrial cannot say
 * done, whatever the runs' state): fewer lines than run_cap, or a grid point no
 * line has taken. Lines only ever add trials, and the trials chooseTrial counts
 * are some of them, so a trial left here is one left there.
 */
export function ledgerHasTrialsLeft(config: SweepConfig, entries: readonly TrialEntry[]): boolean {
  const total = sweepTotal(config);
  if (config.method !== "grid") return total === null || entries.length < total;
  const limit = Math.min(sweepGridPoints(config.space).length, total ?? Infinity);
  const taken = new Set(entries.map((e) => e.trial));
  for (let trial = 1; trial <= limit; trial++) if (!taken.has(trial)) return true;
  return false;
}

/** A completed trial whose metric reached the sweep's metric.target. */
export interface TargetReached {
  trial: number;
  runId: string;
  value: number;
}

/** Whether `value` reaches `target` for the goal: at or below it when minimising, at or above when maximising. */
export function reachesTarget(value: number, target: number, goal: "minimize" | "maximize"): boolean {
  return goal === "minimize" ? value <= target : value >= target;
}

/** The first completed trial (by trial number) whose metric (its last value) reached metric.target, or null. */
export function findTargetReached(store: RunStore, sweep: Sweep, finishedCache?: Map<string, Run>): TargetReached | null {
  const metric = sweep.record.config.metric;
  if (metric?.target === undefined) return null;
  const objective = sweepObjective(sweep.record.config);
  const done = readTrials(store, sweep, finishedCache)
    .filter((t) => t.run !== null && !t.superseded && t.run.status === "completed")
    .sort((a, b) => a.trial - b.trial);
  for (const t of done) {
    const value = runObjectiveValue(store, objective, t.run!);
    if (value !== null && reachesTarget(value, metric.target, metric.goal)) return { trial: t.trial, runId: t.runId, value };
  }
  return null;
}

export function targetReason(sweep: Sweep, reached: TargetReached): string {
  const m = sweep.record.config.metric!;
  return `trial ${reached.trial} (run ${shortId(reached.runId)}) of sweep ${sweep.id} reached metric.target: ${m.name} ${reached.value} ${m.goal === "minimize" ? "<=" : ">="} ${m.target}; no more trials`;
}

/**
 * The bayes proposal for the ledger as it stands now, read without the lock;
 * the gp fit runs on the low-priority proposal thread (propose-thread.ts), so
 * this agent's fit does not slow down another agent holding the lock.
 */
export async function proposeBayesTrial(store: RunStore, sweep: Sweep, finishedCache?: Map<string, Run>): Promise<Proposal> {
  const config = sweep.record.config;
  const trials = readTrials(store, sweep, finishedCache).filter((t) => t.run !== null && !t.superseded);
  const trial = nextTrialNumber(trials);
  const history = sweepHistory(store, config.space, sweepObjective(config), trials, { liar: true });
  // Each trial has its own stream, so a proposal does not depend on how many other agents drew before it.
  // A sweep with a run_cap has a budget (gp refines in its last trials); without one it is open-ended.
  const total = sweepTotal(config);
  const progress = total !== null ? { trial, total: Math.max(total, trial) } : undefined;
  const point = await proposeOffThread("gp", config.space, {}, history, `${sweep.record.seed}:${trial}`, progress);
  return { point, seenRuns: new Set(trials.map((t) => t.runId)) };
}

/**
 * The store's chooser, called under the sweep's lock with the ledger's trials
 * that count (pure, and cheap: no model fit here). An orphan first, then the
 * method's next trial; for bayes, the proposal made outside the lock, unless
 * a trial claimed since then took the same point, in which case a random point
 * of the space stands in (an unlucky tie is rare; re-fitting here would hold
 * every other agent up).
 */
export function chooseTrial(sweep: Sweep, trials: Trial[], retry: boolean, proposal: Proposal | null): ClaimChoice {
  const config = sweep.record.config;
  // An orphan whose trial another run already stands for (a crash mid-claim) is not run a third time.
  const live = new Set(trials.filter((t) => !t.orphaned).map((t) => t.trial));
  const orphan = retry ? trials.find((t) => t.orphaned && !live.has(t.trial)) : undefined;
  if (orphan)
    return {
      kind: "trial",
      trial: orphan.trial,
      point: pointOf(config.space, orphan.run!.record.flags, "with-constants"),
      retryOf: orphan,
    };
  const next = nextTrial(sweep, trials, proposal);
  if (next === null) return { kind: "done", reason: doneReason(sweep, trials.length) };
  return { kind: "trial", ...next, retryOf: null };
}

function nextTrialNumber(trials: Trial[]): number {
  return trials.reduce((m, t) => Math.max(m, t.trial), 0) + 1;
}

function nextTrial(sweep: Sweep, trials: Trial[], proposal: Proposal | null): { trial: number; point: Point } | null {
  const config = sweep.record.config;
  const total = sweepTotal(config);
  if (config.method === "grid") {
    const taken = new Set(trials.map((t) => t.trial));
    const points = sweepGridPoints(config.space);
    const limit = Math.min(points.length, total ?? points.length);
    for (let i = 0; i < limit; i++) if (!taken.has(i + 1)) return { trial: i + 1, point: points[i]! };
    return null;
  }
  if (total !== null && trials.length >= total) return null;
  const trial = nextTrialNumber(trials);
  // Each trial has its own stream, so the same sweep seed gives the same trials whatever the agents' interleaving.
  const rng = createRng(`${sweep.record.seed}:${trial}`);
  if (config.method === "random" || proposal === null) return { trial, point: samplePoint(config.space, rng) };
  const key = pointKey(proposal.point);
  const takenSince = trials.some(
    (t) => !proposal.seenRuns.has(t.runId) && pointKey(pointOf(config.space, t.run!.record.flags, "with-constants")) === key,
  );
  return { trial, point: takenSince ? samplePoint(config.space, rng) : proposal.point };
}

function pointKey(point: Point): string {
  return JSON.stringify(
    Object.keys(point)
      .sort()
      .map((k) => [k, point[k]]),
  );
}

/** The metric a sweep optimizes (W&B's `metric`), loss by default. */
export function sweepObjective(config: SweepConfig): Objective {
  return { column: config.metric?.name ?? "loss", goal: config.metric?.goal ?? "minimize" };
}

function doneReason(sweep: Sweep, claimed: number): string {
  const total = sweepTotal(sweep.record.config);
  return sweep.record.config.method === "grid"
    ? `every one of the ${total} combinations of sweep ${sweep.id} is claimed`
    : `sweep ${sweep.id} reached its run_cap of ${total} (${claimed} claimed)`;
}

export interface SweepTrialOptions {
  cwd: string;
  /** Where the trial's output is shown besides output.log (null: nowhere). */
  sink: OutputSink | null;
  signals: StopSignals;
  /** Messages for the user (early stop, cancellation). */
  report: (line: string) => void;
  /** Each scalar the trial logs, as it comes (for the progress display). */
  onScalar?: (record: ScalarRecord) => void;
  /** The scheduler job this agent runs in, recorded with the trial's run. */
  placement?: Placement;
}

export interface TrialOutcome {
  status: RunStatus;
  interrupted: boolean;
  /** The run's scalar summaries at its end (the agent's objective value comes from them). */
  summaries: Record<string, ScalarSummary>;
  /** When the run's end is durable and its bookkeeping done (ExecuteResult.settled): await it before exiting. */
  settled: Promise<void>;
}

/** Runs one claimed trial to its end, stopping it early when the sweep's rule says so or the sweep is cancelled. */
export async function runSweepTrial(store: RunStore, sweep: Sweep, claim: ClaimedTrial, opts: SweepTrialOptions): Promise<TrialOutcome> {
  const config = sweep.record.config;
  const { run, point } = claim;
  const history: number[] = [];
  let peers: { history: number[]; finished: boolean }[] = [];
  let peersRead = 0;
  const finishedCache = new Map<string, Run>();
  const finishedHistories = new Map<string, number[]>();
  let proc: RunningProcess | null = null;
  let stopping = false;

  const refreshPeers = () => {
    if (Date.now() - peersRead < SWEEP_POLL_MS && peersRead !== 0) return;
    peersRead = Date.now();
    const metric = config.metric!.name;
    peers = readTrials(store, sweep, finishedCache)
      .filter((t) => t.run !== null && t.runId !== run.id && !t.orphaned)
      .map((t) => {
        const finished = t.run!.status !== "running" && t.run!.status !== "pending";
        const known = finishedHistories.get(t.runId);
        if (known) return { history: known, finished };
        const history = store
          .readScalars(t.runId)
          .filter((r) => r.key === metric)
          .map((r) => r.value);
        if (finished) finishedHistories.set(t.runId, history);
        return { history, finished };
      });
  };

  const earlyStop =
    config.earlyTerminate && config.metric
      ? (rec: { key: string; value: number }) => {
          if (rec.key !== config.metric!.name || stopping) return;
          history.push(rec.value);
          refreshPeers();
          const decision = shouldStop(config.earlyTerminate!, history, peers, config.metric!.goal);
          // False once the trial has ended: its last values, read after its exit, stop nothing.
          if (decision.stop && proc?.stop("early-stop")) {
            stopping = true;
            opts.report(`trial ${claim.trial} (run ${shortId(run.id)}) stopped early: ${decision.reason}`);
          }
        }
      : undefined;

  // W&B's ${args_json_file}: the parameters as JSON in a file, here one in the trial's own run folder.
  const argsJsonFile = usesArgsJsonFile(config)
    ? store.writeRunInput(run.id, ARGS_JSON_FILE, sweepMacroArgs(config, point).args_json)
    : null;
  // Claimed by claimNextTrial, the run is already started; a claim made without `started` is pending.
  const createdStarted = run.record.started != null && run.record.stopped == null;
  proc = await startRun({
    store,
    run,
    // A run this claim created started holds the trial's argv already (claimNextTrial's `started`).
    argv:
      createdStarted && claim.retryOf === null && argsJsonFile === null && run.record.cmd.length > 0
        ? run.record.cmd
        : buildSweepArgv(config, point, opts.cwd, argsJsonFile),
    createdStarted,
    env: { ...buildEnv(process.env, { id: run.id, dir: run.dir, home: store.home, flags: point }), G_SWEEP_ID: sweep.id },
    cwd: opts.cwd,
    sink: opts.sink,
    // The agent claims its next trial while this one's folder is fsynced (see runAgentTrials in agent-loop.ts).
    settleLater: true,
    ...(config.program ? { sourceOf: resolve(opts.cwd, config.program) } : {}),
    ...(earlyStop || opts.onScalar
      ? {
          onScalar: (rec: ScalarRecord) => {
            opts.onScalar?.(rec);
            earlyStop?.(rec);
          },
        }
      : {}),
    ...(opts.placement ? { placement: opts.placement } : {}),
  });
  const running = proc;
  const unsubscribe = opts.signals.subscribe((reason) => running.stop(reason));
  const poll = setInterval(() => {
    try {
      if (readSweep(store.home, sweep.id).record.state === "cancelled" && !stopping) {
        stopping = true;
        opts.report(`sweep ${sweep.id} cancelled: stopping trial ${claim.trial}`);
        running.stop("terminate");
      }
    } catch {
      /* a sweep being rewritten: look again next time */
    }
  }, SWEEP_POLL_MS);
  try {
    const result = await running.done;
    return { status: result.status, interrupted: opts.signals.received !== null, summaries: result.summaries, settled: result.settled };
  } finally {
    clearInterval(poll);
    unsubscribe();
  }
}
