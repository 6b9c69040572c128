// `g agent SWEEP_ID`: claims the sweep's next trial under the sweep's lock,
// runs it as an ordinary run linked to the sweep, watches it for early
// termination and cancellation, and repeats until the sweep is done. Any
// number of agents (processes, machines sharing the store) cooperate through
// the lock and trials.jsonl; there is no other coordination.

import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { extname, resolve } from "node:path";
import { createRng } from "../search/rng.js";
import { InterruptedError, RunFailedError, UsageError } from "../errors.js";
import type { Observation, Point } from "../flags/space.js";
import { buildSweepCommand, sweepGridPoints, type SweepConfig } from "../flags/sweep-config.js";
import { lossFor, objectiveValue } from "../query/objective.js";
import { buildEnv } from "../runner/command.js";
import { startRun, type RunningProcess } from "../runner/execute.js";
import { inspectScript, pythonCommand } from "../runner/inspect.js";
import { bootstrapPy } from "../runner/paths.js";
import { shouldStop } from "../search/early-stop.js";
import { proposeGp } from "../search/gp.js";
import { samplePoint } from "../search/random.js";
import { RunStore, resolveHome, shortId, withDirLock } from "../store/store.js";
import type { Objective, Run, RunStatus } from "../store/types.js";
import { formatPoint } from "./batch.js";
import { say } from "./prompt.js";
import { appendTrialEntry, readSweep, readTrials, sweepTotal, type Sweep, type Trial } from "../store/sweeps.js";

/** How often a running trial's sweep is checked for --cancel, and peers' histories refreshed. */
export const SWEEP_POLL_MS = 1_000;
/** An agent whose trials keep failing gives up rather than burn through the sweep. */
export const MAX_CONSECUTIVE_FAILURES = 5;
/** How long an agent waits for the sweep's lock to claim a trial (exit 75 after). */
export const CLAIM_LOCK_TIMEOUT_MS = 30_000;

export interface AgentOptions {
  count?: number;
  /** commander's --no-retry sets this false. */
  retry?: boolean;
  /** Echo the trials' output (default true). */
  quiet?: boolean;
}

export type Claim =
  | { kind: "trial"; run: Run; trial: number; point: Point; retryOf: string | null }
  | { kind: "done"; reason: string };

/**
 * Claims the sweep's next trial: under the sweep's lock, reads the trials so
 * far, picks the next (an orphaned trial to run again first, unless
 * `retry` is false), creates its run with a LOCK naming this agent, and
 * records it in trials.jsonl before the lock is released.
 */
export async function claimTrial(
  store: RunStore,
  sweepId: string,
  opts: { retry: boolean; cwd: string; finishedCache?: Map<string, Run> },
): Promise<Claim> {
  const sweep = readSweep(store.home, sweepId);
  return withDirLock(
    sweep.dir,
    async () => {
      const fresh = readSweep(store.home, sweep.id);
      if (fresh.record.state !== "running") return { kind: "done", reason: `sweep ${fresh.id} is ${fresh.record.state}` } as Claim;
      const config = fresh.record.config;
      const trials = readTrials(store, fresh, opts.finishedCache).filter((t) => t.record !== null && !t.superseded);

      // An orphan whose trial another run already stands for (a crash mid-claim) is not run a third time.
      const live = new Set(trials.filter((t) => !t.orphaned).map((t) => t.trial));
      const orphan = opts.retry ? trials.find((t) => t.orphaned && !live.has(t.trial)) : undefined;
      let trial: number;
      let point: Point;
      if (orphan) {
        trial = orphan.trial;
        point = pointOfRun(config, orphan.record!);
      } else {
        const next = nextTrial(store, fresh, trials);
        if (next === null) return { kind: "done", reason: doneReason(fresh, trials.length) } as Claim;
        ({ trial, point } = next);
      }

      const program = config.program;
      const run = store.createRun({
        op: `sweep:${fresh.id}:${program || config.command?.[0] || "command"}`,
        flags: point,
        cwd: opts.cwd,
        sweep: fresh.id,
        trial,
        label: "",
        tags: [],
        ...(program ? { script: resolve(opts.cwd, program) } : {}),
      });
      // All of this happens before the lock is released: other agents see the trial running,
      // and the orphan superseded, the moment they can look.
      store.writeLock(run.id, { pid: process.pid, host: hostname() });
      appendTrialEntry(fresh.dir, { trial, run: run.id });
      if (orphan) await store.updateRun(orphan.run, (r) => void (r.retried_by = run.id));
      return { kind: "trial", run, trial, point, retryOf: orphan ? orphan.run : null } as Claim;
    },
    CLAIM_LOCK_TIMEOUT_MS,
  );
}

function nextTrial(store: RunStore, sweep: Sweep, trials: Trial[]): { trial: number; point: Point } | null {
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
  const trial = trials.reduce((m, t) => Math.max(m, t.trial), 0) + 1;
  // Each trial has its own stream, so the same sweep seed gives the same trials whatever the agents' interleaving.
  const rng = createRng(`${sweep.record.seed}:${trial}`);
  if (config.method === "random") return { trial, point: samplePoint(config.space, rng) };
  return { trial, point: proposeGp(config.space, bayesHistory(store, config, trials), rng) };
}

/** Every trial of the sweep for the gp: finished ones with their loss (null when failed), running ones as points not to propose again. */
function bayesHistory(store: RunStore, config: SweepConfig, trials: Trial[]): Observation[] {
  const objective = objectiveOf(config);
  return trials.map((t) => {
    const run = t.record!;
    const point = pointOfRun(config, run);
    if (t.orphaned || run.status === "running" || run.status === "pending") return { point, value: null };
    const value = run.status === "error" ? null : objectiveValue(objective, store.readSummaries(run));
    return { point, value: lossFor(objective, value) };
  });
}

function objectiveOf(config: SweepConfig): Objective {
  return { column: config.metric?.name ?? "loss", goal: config.metric?.goal ?? "minimize" };
}

function pointOfRun(config: SweepConfig, run: Run): Point {
  const point: Point = {};
  for (const name of Object.keys(config.space)) if (name in run.record.flags) point[name] = run.record.flags[name]!;
  return point;
}

function doneReason(sweep: Sweep, claimed: number): string {
  const total = sweepTotal(sweep.record.config);
  return sweep.record.config.method === "grid"
    ? `every one of the ${total} combinations of sweep ${sweep.id} is claimed`
    : `sweep ${sweep.id} reached its run_cap of ${total} (${claimed} claimed)`;
}

/** The argv of a trial: the sweep's command with W&B's macros; Python scripts without argparse get their globals set. */
export function trialArgv(config: SweepConfig, point: Point, cwd: string): string[] {
  const program = config.program;
  const ext = extname(program).toLowerCase();
  const interpreter = ext === ".py" ? pythonCommand() : ext === ".js" || ext === ".mjs" || ext === ".cjs" ? process.execPath : "";
  if (config.command === null && ext === ".py") {
    const path = resolve(cwd, program);
    try {
      if (inspectScript(path, null).style === "globals") return [interpreter, bootstrapPy(), path];
    } catch {
      /* unreadable script: run it as written and let it fail in its own words */
    }
  }
  return buildSweepCommand(config, point, interpreter);
}

interface TrialOutcome {
  status: RunStatus;
  interrupted: boolean;
}

/** Runs one claimed trial to its end, stopping it early when the sweep's rule says so or the sweep is cancelled. */
async function runTrial(store: RunStore, sweep: Sweep, claim: Extract<Claim, { kind: "trial" }>, cwd: string, quiet: boolean, signals: SignalHub): Promise<TrialOutcome> {
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
      .filter((t) => t.record !== null && t.run !== run.id && !t.orphaned)
      .map((t) => {
        const finished = t.record!.status !== "running" && t.record!.status !== "pending";
        const known = finishedHistories.get(t.run);
        if (known) return { history: known, finished };
        const history = store.readScalars(t.run).filter((r) => r.key === metric).map((r) => r.value);
        if (finished) finishedHistories.set(t.run, history);
        return { history, finished };
      });
  };

  const onScalar = config.earlyTerminate && config.metric
    ? (rec: { key: string; value: number }) => {
        if (rec.key !== config.metric!.name || stopping) return;
        history.push(rec.value);
        refreshPeers();
        const decision = shouldStop(config.earlyTerminate!, history, peers, config.metric!.goal);
        if (decision.stop && proc) {
          stopping = true;
          say(`trial ${claim.trial} (run ${shortId(run.id)}) stopped early: ${decision.reason}`);
          proc.stop("early-stop");
        }
      }
    : undefined;

  proc = await startRun({
    store,
    run,
    argv: trialArgv(config, point, cwd),
    env: { ...buildEnv(process.env, { id: run.id, dir: run.dir, home: store.home, flags: point }), G_SWEEP_ID: sweep.id },
    cwd,
    sink: quiet ? null : (text, stream) => void (stream === "stdout" ? process.stdout : process.stderr).write(text),
    ...(config.program ? { sourceOf: resolve(cwd, config.program) } : {}),
    ...(onScalar ? { onScalar } : {}),
  });
  const running = proc;
  const unsubscribe = signals.onSignal((reason) => running.stop(reason));
  const poll = setInterval(() => {
    try {
      if (readSweep(store.home, sweep.id).record.state === "cancelled" && !stopping) {
        stopping = true;
        say(`sweep ${sweep.id} cancelled: stopping trial ${claim.trial}`);
        running.stop("terminate");
      }
    } catch {
      /* a sweep being rewritten: look again next time */
    }
  }, SWEEP_POLL_MS);
  try {
    const result = await running.done;
    return { status: result.status, interrupted: signals.received !== null };
  } finally {
    clearInterval(poll);
    unsubscribe();
  }
}

/** SIGINT/SIGTERM to the agent reach the running trial; the agent then claims no more. */
class SignalHub {
  received: "interrupt" | "terminate" | null = null;
  private listeners = new Set<(reason: "interrupt" | "terminate") => void>();
  private handler = (sig: NodeJS.Signals) => {
    const reason = sig === "SIGINT" ? "interrupt" : "terminate";
    if (this.received === null) say(`\n${sig === "SIGINT" ? "Interrupted" : "Stopping"}: stopping the running trial; no new trials are claimed.`);
    this.received ??= reason;
    for (const l of this.listeners) l(reason);
  };
  install(): void {
    process.on("SIGINT", this.handler);
    process.on("SIGTERM", this.handler);
  }
  uninstall(): void {
    process.off("SIGINT", this.handler);
    process.off("SIGTERM", this.handler);
  }
  onSignal(l: (reason: "interrupt" | "terminate") => void): () => void {
    this.listeners.add(l);
    if (this.received) l(this.received);
    return () => void this.listeners.delete(l);
  }
}

export async function agentCommand(sweepSpec: string, opts: AgentOptions): Promise<void> {
  if (opts.count !== undefined && (!Number.isInteger(opts.count) || opts.count < 1)) {
    throw new UsageError(`--count takes a whole number of trials, at least 1, e.g. g agent ${sweepSpec} --count 5`);
  }
  const store = new RunStore(resolveHome());
  const sweep = readSweep(store.home, sweepSpec);
  const config = sweep.record.config;
  const cwd = agentCwd(sweep);
  const retry = opts.retry !== false;
  const signals = new SignalHub();
  signals.install();
  const tally = { completed: 0, error: 0, earlyStopped: 0, terminated: 0 };
  let failuresInRow = 0;
  let ran = 0;
  const finishedCache = new Map<string, Run>();
  try {
    say(`agent ${process.pid} on sweep ${sweep.id} (${config.method}${config.program ? `, ${config.program}` : ""}) in ${cwd}`);
    while (signals.received === null && (opts.count === undefined || ran < opts.count)) {
      const claim = await claimTrial(store, sweep.id, { retry, cwd, finishedCache });
      if (claim.kind === "done") {
        say(`${claim.reason}; agent done`);
        break;
      }
      ran++;
      say(`trial ${claim.trial}${claim.retryOf ? ` (again: run ${shortId(claim.retryOf)} died with its agent)` : ""}: run ${shortId(claim.run.id)} ${formatPoint(claim.point)}`);
      const outcome = await runTrial(store, sweep, claim, cwd, opts.quiet === true, signals);
      say(`trial ${claim.trial} ${outcome.status}`);
      if (outcome.status === "completed") tally.completed++;
      else if (outcome.status === "early-stopped") tally.earlyStopped++;
      else if (outcome.status === "terminated") tally.terminated++;
      else tally.error++;
      failuresInRow = outcome.status === "error" ? failuresInRow + 1 : 0;
      if (failuresInRow >= MAX_CONSECUTIVE_FAILURES) {
        throw new RunFailedError(`${failuresInRow} trials in a row failed; agent stopped (see g runs info 1 for the last one's output)`);
      }
    }
  } finally {
    signals.uninstall();
  }
  const summary = `agent ran ${ran} trial(s): ${tally.completed} completed, ${tally.earlyStopped} early-stopped, ${tally.error} failed${tally.terminated ? `, ${tally.terminated} terminated` : ""}`;
  if (signals.received) throw new InterruptedError(`${summary}; interrupted`);
  if (tally.error > 0) throw new RunFailedError(summary);
  say(summary);
}

/** The agent's own directory when the program is there (as W&B does), else where `g sweep` ran. */
function agentCwd(sweep: Sweep): string {
  const program = sweep.record.config.program;
  const here = process.cwd();
  if (program === "" || existsSync(resolve(here, program))) return here;
  return existsSync(resolve(sweep.record.cwd, program)) ? sweep.record.cwd : here;
}
