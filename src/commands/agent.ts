// `g agent SWEEP_ID`: claims the sweep's next trial, runs it as an ordinary
// run linked to the sweep (stopped early by the sweep's rule or a cancel), and
// repeats until the sweep is done, tallying what happened. The rules live in
// src/trials/sweep.ts; the claim itself, under the sweep's lock, in
// src/store/sweeps.ts. Any number of agents (processes, machines sharing the
// store) cooperate through the lock and trials.jsonl; there is no other
// coordination.

import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { currentPlacement, selectBackend, splitSlurmOptions } from "../backends/index.js";
import { InterruptedError, RunFailedError, UsageError } from "../errors.js";
import { buildSweepArgv } from "../runner/command.js";
import { checkCanStart } from "../runner/preflight.js";
import { withStopSignals } from "../runner/signals.js";
import { terminalWriters } from "../runner/terminal.js";
import { RunStore, resolveHome, shortId } from "../store/store.js";
import { sweepTotal } from "../flags/sweep-grid.js";
import { countTrials, readSweep, readTrials, sweepIdFromPath, type Sweep } from "../store/sweeps.js";
import type { Objective, Placement, Run } from "../store/types.js";
import { lossFor, objectiveValue } from "../query/objective.js";
import { formatPoint } from "../trials/batch.js";
import { claimNextTrial, runSweepTrial, sweepObjective } from "../trials/sweep.js";
import { withProgress, type ProgressReporter } from "../ui/progress.js";
import type { ProgressBest } from "../ui/progress-state.js";
import { say } from "./prompt.js";

/** An agent whose trials keep failing gives up rather than burn through the sweep. */
export const MAX_CONSECUTIVE_FAILURES = 5;

export interface AgentOptions {
  count?: number;
  /** Start `agents` agents on a backend (local, slurm) instead of being one. */
  backend?: string;
  agents?: number;
  slurmArrayParallel?: number;
  slurmOpt?: string[];
  wait?: boolean;
  /** commander's --no-retry sets this false. */
  retry?: boolean;
  /** Echo the trials' output (default true). */
  quiet?: boolean;
}

export async function agentCommand(sweepSpec: string, opts: AgentOptions): Promise<void> {
  if (opts.count !== undefined && (!Number.isInteger(opts.count) || opts.count < 1)) {
    throw new UsageError(`--count takes a whole number of trials, at least 1, e.g. g agent ${sweepSpec} --count 5`);
  }
  const store = new RunStore(resolveHome());
  const sweep = readSweep(store.home, sweepIdFromPath(sweepSpec));
  if (opts.backend !== undefined || opts.agents !== undefined) return submitAgents(store, sweep, opts);
  if (opts.slurmOpt || opts.slurmArrayParallel !== undefined || opts.wait)
    throw new UsageError("--slurm-opt, --slurm-array-parallel and --wait go with --backend, e.g. g agent ID --backend slurm --agents 16");
  const placement = currentPlacement();
  const config = sweep.record.config;
  const cwd = agentCwd(sweep);
  // Before any trial is claimed: a missing interpreter would fail every one of them.
  const argv = buildSweepArgv(config, {}, cwd);
  checkCanStart(argv, config.program || argv[0] || "the sweep's command", cwd);
  const retry = opts.retry !== false;
  const objective = sweepObjective(config);
  const init = {
    kind: "agent" as const,
    id: sweep.id,
    title: config.method,
    ...(config.program ? { subject: config.program } : {}),
    total: sweepTotal(config),
    objective,
    startedMs: Date.now(),
  };
  const { ran, tally, interrupted } = await withProgress(init, { quiet: opts.quiet === true, out: terminalWriters }, (progress) =>
    runTrials(store, sweep, { count: opts.count, retry, cwd, progress, objective, ...(placement ? { placement } : {}) }),
  );
  const summary = `agent ran ${ran} trial(s): ${tally.completed} completed, ${tally.earlyStopped} early-stopped, ${tally.error} failed${tally.terminated ? `, ${tally.terminated} terminated` : ""}`;
  if (interrupted) throw new InterruptedError(`${summary}; interrupted`);
  if (tally.error > 0) throw new RunFailedError(summary);
  say(summary);
}

interface AgentLoop {
  count: number | undefined;
  retry: boolean;
  cwd: string;
  progress: ProgressReporter;
  objective: Objective;
  /** The scheduler job this agent runs in (Slurm), recorded with each trial's run. */
  placement?: Placement;
}

/** Claims and runs trials until the sweep is done, --count is reached, a stop signal, or too many failures in a row. */
async function runTrials(store: RunStore, sweep: Sweep, loop: AgentLoop) {
  const { progress, objective, cwd } = loop;
  const config = sweep.record.config;
  const tally = { completed: 0, error: 0, earlyStopped: 0, terminated: 0 };
  let failuresInRow = 0;
  let ran = 0;
  let best: (ProgressBest & { loss: number }) | null = null;
  let doneNote: string | undefined;
  const finishedCache = new Map<string, Run>();
  // The ends of trials still being made durable: a trial's folder fsync, index line and LOCK removal
  // overlap the next claim and spawn, and the agent exits only once they are done ("durable when g
  // returns" holds for every trial it ran).
  let settling: Promise<unknown> = Promise.resolve();
  const announce = (reason: "interrupt" | "terminate") =>
    progress.message(`\n${reason === "interrupt" ? "Interrupted" : "Stopping"}: stopping the running trial; no new trials are claimed.`);
  const interrupted = await withStopSignals(announce, async (signals) => {
    progress.message(
      `agent ${process.pid} on sweep ${sweep.id} (${config.method}${config.program ? `, ${config.program}` : ""}) in ${cwd}`,
    );
    try {
      while (signals.received === null && (loop.count === undefined || ran < loop.count)) {
        const claim = await claimNextTrial(store, sweep.id, {
          retry: loop.retry,
          cwd,
          finishedCache,
          ...(loop.placement ? { placement: loop.placement } : {}),
        });
        if (claim.kind === "done") {
          // Said by the closing event: the line presenter prints it, the panel keeps it in its summary.
          doneNote = `${claim.reason}; agent done`;
          break;
        }
        ran++;
        const flags = formatPoint(claim.point);
        const note = claim.retryOf ? `again: run ${shortId(claim.retryOf)} died with its agent` : undefined;
        progress.emit({
          type: "trialStarted",
          trial: claim.trial,
          runId: claim.run.id,
          flags,
          ...(note ? { note } : {}),
          nowMs: Date.now(),
        });
        const outcome = await runSweepTrial(store, sweep, claim, {
          cwd,
          sink: progress.sinkFor(claim.trial),
          signals,
          report: (line) => progress.message(line),
          onScalar: (rec) => progress.emit({ type: "trialScalar", trial: claim.trial, key: rec.key, value: rec.value, step: rec.step }),
          ...(loop.placement ? { placement: loop.placement } : {}),
        });
        settling = Promise.all([settling, outcome.settled]);
        // From the summaries the runner just wrote: the run is not read back.
        const value = objectiveValue(objective, outcome.summaries);
        const loss = outcome.status === "completed" ? lossFor(objective, value) : null;
        if (loss !== null && (best === null || loss < best.loss))
          best = { loss, trial: claim.trial, value: value!, flags, runId: claim.run.id };
        progress.emit({ type: "trialFinished", trial: claim.trial, status: outcome.status, value, best, nowMs: Date.now() });
        if (outcome.status === "completed") tally.completed++;
        else if (outcome.status === "early-stopped") tally.earlyStopped++;
        else if (outcome.status === "terminated") tally.terminated++;
        else tally.error++;
        failuresInRow = outcome.status === "error" ? failuresInRow + 1 : 0;
        if (failuresInRow >= MAX_CONSECUTIVE_FAILURES) {
          throw new RunFailedError(`${failuresInRow} trials in a row failed; agent stopped (see g runs info 1 for the last one's output)`);
        }
      }
    } catch (err) {
      await settling;
      progress.emit({ type: "ended", outcome: "failed", note: (err as Error).message, nowMs: Date.now() });
      throw err;
    }
    await settling;
    return signals.received !== null;
  });
  const outcome = interrupted ? "interrupted" : tally.error > 0 ? "failed" : "completed";
  // The summary line is the command's; the panel's summary shows why the agent stopped.
  progress.emit({ type: "ended", outcome, ...(doneNote ? { note: doneNote } : {}), nowMs: Date.now() });
  return { ran, tally, interrupted };
}

/**
 * `g agent ID --backend slurm --agents 16`: the agents run elsewhere, as one
 * job (a Slurm job array, or local child processes); each is a plain `g agent`
 * against this store. Prints the job id on stdout; with --wait, waits for the
 * agents and shows the sweep's counts (exit 1 when trials failed).
 */
async function submitAgents(store: RunStore, sweep: Sweep, opts: AgentOptions): Promise<void> {
  const backend = selectBackend(opts.backend ?? "local");
  if (backend.name !== "slurm" && (opts.slurmOpt || opts.slurmArrayParallel !== undefined)) {
    throw new UsageError("--slurm-opt and --slurm-array-parallel go with --backend slurm");
  }
  const gArgs = [
    "agent",
    sweep.id,
    ...(opts.count !== undefined ? ["--count", String(opts.count)] : []),
    ...(opts.retry === false ? ["--no-retry"] : []),
  ];
  const tasks = opts.agents ?? 1;
  const job = await backend.submit({
    gArgs,
    tasks,
    ...(opts.slurmArrayParallel !== undefined ? { parallel: opts.slurmArrayParallel } : {}),
    name: `g-agent-${sweep.id}`,
    cwd: agentCwd(sweep),
    logDir: join(sweep.dir, "agents"),
    options: splitSlurmOptions(opts.slurmOpt ?? []),
  });
  say(
    `${tasks} agent(s) on sweep ${sweep.id} submitted to ${backend.name}: job ${job.job} (their own output: ${join(sweep.dir, "agents")})`,
  );
  process.stdout.write(`${job.job}\n`);
  if (!opts.wait) return;
  await backend.wait(job);
  const counts = countTrials(readTrials(store, sweep), sweepTotal(sweep.record.config));
  const line = `agents of job ${job.job} ended: ${counts.claimed} trial(s) claimed, ${counts.completed} completed, ${counts.error} failed, ${counts.terminated} terminated`;
  // As a lone agent does: exit 1 when trials failed.
  if (counts.error > 0) throw new RunFailedError(line);
  say(line);
}

/**
 * Where the trials run: the agent's own directory when the program is there
 * (as W&B does), else the sweep file's folder, else where `g sweep` ran.
 */
function agentCwd(sweep: Sweep): string {
  const program = sweep.record.config.program;
  const here = process.cwd();
  if (program === "" || existsSync(resolve(here, program))) return here;
  const candidates = [dirname(resolve(sweep.record.cwd, sweep.record.file)), sweep.record.cwd];
  return candidates.find((dir) => existsSync(resolve(dir, program))) ?? here;
}
