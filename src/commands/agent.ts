// `g agent SWEEP_ID`: claims the sweep's next trial, runs it as an ordinary
// run linked to the sweep (stopped early by the sweep's rule or a cancel), and
// repeats until the sweep is done, tallying what happened. The rules live in
// src/trials/sweep.ts; the claim itself, under the sweep's lock, in
// src/store/sweeps.ts. Any number of agents (processes, machines sharing the
// store) cooperate through the lock and trials.jsonl; there is no other
// coordination.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { InterruptedError, RunFailedError, UsageError } from "../errors.js";
import { buildSweepArgv } from "../runner/command.js";
import { checkCanStart } from "../runner/preflight.js";
import { withStopSignals } from "../runner/signals.js";
import { RunStore, resolveHome, shortId } from "../store/store.js";
import { readSweep, type Sweep } from "../store/sweeps.js";
import type { Run } from "../store/types.js";
import { formatPoint } from "../trials/batch.js";
import { claimNextTrial, runSweepTrial } from "../trials/sweep.js";
import { terminalSink } from "../runner/terminal.js";
import { say } from "./prompt.js";

/** An agent whose trials keep failing gives up rather than burn through the sweep. */
export const MAX_CONSECUTIVE_FAILURES = 5;

export interface AgentOptions {
  count?: number;
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
  const sweep = readSweep(store.home, sweepSpec);
  const config = sweep.record.config;
  const cwd = agentCwd(sweep);
  // Before any trial is claimed: a missing interpreter would fail every one of them.
  const argv = buildSweepArgv(config, {}, cwd);
  checkCanStart(argv, config.program || argv[0] || "the sweep's command", cwd);
  const retry = opts.retry !== false;
  const tally = { completed: 0, error: 0, earlyStopped: 0, terminated: 0 };
  let failuresInRow = 0;
  let ran = 0;
  const finishedCache = new Map<string, Run>();
  const sink = opts.quiet === true ? null : terminalSink;
  const announce = (reason: "interrupt" | "terminate") =>
    say(`\n${reason === "interrupt" ? "Interrupted" : "Stopping"}: stopping the running trial; no new trials are claimed.`);
  const interrupted = await withStopSignals(announce, async (signals) => {
    say(`agent ${process.pid} on sweep ${sweep.id} (${config.method}${config.program ? `, ${config.program}` : ""}) in ${cwd}`);
    while (signals.received === null && (opts.count === undefined || ran < opts.count)) {
      const claim = await claimNextTrial(store, sweep.id, { retry, cwd, finishedCache });
      if (claim.kind === "done") {
        say(`${claim.reason}; agent done`);
        break;
      }
      ran++;
      say(`trial ${claim.trial}${claim.retryOf ? ` (again: run ${shortId(claim.retryOf)} died with its agent)` : ""}: run ${shortId(claim.run.id)} ${formatPoint(claim.point)}`);
      const outcome = await runSweepTrial(store, sweep, claim, { cwd, sink, signals, report: say });
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
    return signals.received !== null;
  });
  const summary = `agent ran ${ran} trial(s): ${tally.completed} completed, ${tally.earlyStopped} early-stopped, ${tally.error} failed${tally.terminated ? `, ${tally.terminated} terminated` : ""}`;
  if (interrupted) throw new InterruptedError(`${summary}; interrupted`);
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
