// `g agent SWEEP_ID [-j N]`: claims the sweep's next trial, runs it as an
// ordinary run linked to the sweep (stopped early by the sweep's rule or a
// cancel), and repeats until the sweep is done, tallying what happened; with
// -j, N trials at once. The loop lives in src/trials/agent-loop.ts, the rules
// in src/trials/sweep.ts; the claim itself, under the sweep's lock, in
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
import { RunStore, resolveHome } from "../store/store.js";
import { sweepTotal } from "../flags/sweep-grid.js";
import { countTrials, readSweep, readTrials, sweepIdFromPath, type Sweep } from "../store/sweeps.js";
import { runAgentTrials } from "../trials/agent-loop.js";
import { sweepObjective } from "../trials/sweep.js";
import { withProgress } from "../ui/progress.js";
import { say } from "./prompt.js";

export interface AgentOptions {
  count?: number;
  /** -j: trials run at once by this agent (each claimed as a separate agent would); 1 by default. */
  parallel?: number;
  /** Start `agents` agents on a backend (local, slurm) instead of being one. */
  backend?: string;
  agents?: number;
  slurmArrayParallel?: number;
  slurmOpt?: string[];
  wait?: boolean;
  /** commander's --no-retry sets this false. */
  retry?: boolean;
  /** -q: do not echo the trials' output (progress lines and the summary still go to stderr). */
  quiet?: boolean;
}

/**
 * Before any trial is claimed (or any agent submitted): a missing interpreter,
 * or a script that is not there, would fail every trial.
 */
function checkSweepProgram(sweep: Sweep, cwd: string): void {
  const config = sweep.record.config;
  const argv = buildSweepArgv(config, {}, cwd);
  checkCanStart(argv, config.program || argv[0] || "the sweep's command", cwd);
  if (config.program !== "" && !existsSync(resolve(cwd, config.program))) {
    throw new UsageError(
      `cannot run ${config.program}: ${resolve(cwd, config.program)} does not exist (a sweep's program is found from ${cwd})`,
    );
  }
}

export async function agentCommand(sweepSpec: string, opts: AgentOptions): Promise<void> {
  if (opts.count !== undefined && (!Number.isInteger(opts.count) || opts.count < 1)) {
    throw new UsageError(`--count takes a whole number of trials, at least 1, e.g. g agent ${sweepSpec} --count 5`);
  }
  if (opts.parallel !== undefined && (!Number.isInteger(opts.parallel) || opts.parallel < 1)) {
    throw new UsageError(`-j/--parallel takes a number of trials at once, at least 1, e.g. g agent ${sweepSpec} -j 4`);
  }
  const store = new RunStore(resolveHome());
  const sweep = readSweep(store.home, sweepIdFromPath(sweepSpec));
  if (opts.backend !== undefined || opts.agents !== undefined) return submitAgents(store, sweep, opts);
  if (opts.slurmOpt || opts.slurmArrayParallel !== undefined || opts.wait)
    throw new UsageError("--slurm-opt, --slurm-array-parallel and --wait go with --backend, e.g. g agent ID --backend slurm --agents 16");
  const placement = currentPlacement();
  const config = sweep.record.config;
  const cwd = agentCwd(sweep);
  checkSweepProgram(sweep, cwd);
  const retry = opts.retry !== false;
  const parallel = opts.parallel ?? 1;
  const objective = sweepObjective(config);
  const init = {
    kind: "agent" as const,
    id: sweep.id,
    title: config.method,
    ...(config.program ? { subject: config.program } : {}),
    total: sweepTotal(config),
    ...(parallel > 1 ? { parallel } : {}),
    objective,
    startedMs: Date.now(),
  };
  const { ran, tally, interrupted } = await withProgress(init, { quiet: opts.quiet === true, out: terminalWriters }, (progress) =>
    runAgentTrials(store, sweep, { count: opts.count, parallel, retry, cwd, progress, objective, ...(placement ? { placement } : {}) }),
  );
  const summary = `agent ran ${ran} trial(s): ${tally.completed} completed, ${tally.earlyStopped} early-stopped, ${tally.error} failed${tally.terminated ? `, ${tally.terminated} terminated` : ""}`;
  if (interrupted) throw new InterruptedError(`${summary}; interrupted`);
  if (tally.error > 0) throw new RunFailedError(summary);
  say(summary);
}

/**
 * `g agent ID --backend slurm --agents 16`: the agents run elsewhere, as one
 * job (a Slurm job array, or local processes); each is a plain `g agent`
 * against this store. Prints the job id on stdout and returns, the agents
 * going on without it (their logs named on stderr); with --wait, waits for
 * them, names each agent that failed with its log, shows the sweep's counts
 * and exits 1 when an agent or a trial failed (130 when interrupted).
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
    ...(opts.quiet ? ["-q"] : []),
    // Each agent runs -j trials at once: on Slurm, ask for the cores with --slurm-opt "--cpus-per-task=N".
    ...(opts.parallel !== undefined ? ["-j", String(opts.parallel)] : []),
  ];
  const tasks = opts.agents ?? 1;
  if (tasks < 1) throw new UsageError(`--agents takes at least 1 agent, e.g. g agent ${sweep.id} --backend ${backend.name} --agents 4`);
  // As a plain agent checks before it claims: agents that cannot start would each fail in their own log.
  checkSweepProgram(sweep, agentCwd(sweep));
  const job = await backend.submit({
    gArgs,
    tasks,
    ...(opts.slurmArrayParallel !== undefined ? { parallel: opts.slurmArrayParallel } : {}),
    name: `g-agent-${sweep.id}`,
    cwd: agentCwd(sweep),
    home: store.home,
    logDir: join(sweep.dir, "agents"),
    options: splitSlurmOptions(opts.slurmOpt ?? []),
  });
  say(`${tasks} agent(s) on sweep ${sweep.id} started on ${backend.name}: job ${job.job}`);
  process.stdout.write(`${job.job}\n`);
  if (!opts.wait) {
    // They go on without this g: say where each one writes and how to follow the sweep.
    for (const t of job.tasks) say(`  agent ${t.task}: ${t.log}`);
    say(`they go on after g returns: follow the sweep with g sweeps, stop it with g sweep --cancel ${sweep.id}`);
    return;
  }
  const end = await withStopSignals(undefined, (signals) => backend.wait(job, signals));
  const failed = end.tasks.filter((t) => t.failure !== null);
  for (const t of failed) say(`agent ${t.task} of job ${job.job} failed (${t.failure}); its output: ${t.log}`);
  const counts = countTrials(readTrials(store, sweep), sweepTotal(sweep.record.config));
  const line = `agents of job ${job.job} ended: ${counts.claimed} trial(s) claimed, ${counts.completed} completed, ${counts.error} failed, ${counts.terminated} terminated`;
  if (end.interrupted !== undefined) throw new InterruptedError(`${line}; interrupted: ${end.interrupted}`);
  // As a lone agent does: exit 1 when trials failed, and when an agent did (it died, or could not run).
  if (counts.error > 0 || failed.length > 0)
    throw new RunFailedError(failed.length > 0 ? `${line}; ${failed.length} agent(s) failed` : line);
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
