// The loop of one `g agent` process: `parallel` slots (`-j N`, 1 by default),
// each claiming the sweep's next trial through the store's claim (the same
// lock and ledger N separate agents would use), running it, and claiming
// again, until the sweep is done, --count trials have been claimed, a stop
// signal, or too many failures in a row. The slots share what one agent
// tallies: the count, the best trial, the failures in a row, the summary.

import { RunFailedError } from "../errors.js";
import { lossFor, missingObjectiveWarning, noScalarsWarning, objectiveValue } from "../query/objective.js";
import { withStopSignals } from "../runner/signals.js";
import { shortId, type RunStore } from "../store/store.js";
import type { Sweep, SweepClaim } from "../store/sweeps.js";
import type { Objective, Placement, Run } from "../store/types.js";
import type { ProgressReporter } from "../ui/progress.js";
import type { ProgressBest } from "../ui/progress-state.js";
import { formatPoint } from "./batch.js";
import { claimNextTrial, runSweepTrial } from "./sweep.js";

/** An agent whose trials keep failing gives up rather than burn through the sweep. */
export const MAX_CONSECUTIVE_FAILURES = 5;

export interface AgentLoop {
  /** Trials this process claims at most, over all its slots (--count). */
  count: number | undefined;
  /** Trials run at once (-j): slots, each claiming as one agent would. */
  parallel: number;
  retry: boolean;
  cwd: string;
  progress: ProgressReporter;
  objective: Objective;
  /** The scheduler job this agent runs in (Slurm), recorded with each trial's run. */
  placement?: Placement;
}

/** What the trials of an agent came to, over all its slots. */
export interface AgentTally {
  completed: number;
  error: number;
  earlyStopped: number;
  terminated: number;
}

export interface AgentResult {
  ran: number;
  tally: AgentTally;
  interrupted: boolean;
}

/**
 * Runs the sweep's trials, `loop.parallel` at a time, until the sweep is
 * done, --count is reached, a stop signal, or MAX_CONSECUTIVE_FAILURES trials
 * in a row (in the order they ended, over all slots) failed. A slot that ends
 * the loop (the sweep done, the failures, an error) lets the other slots'
 * running trials end as they would and claim nothing more; a stop signal
 * stops every running trial. The agent returns only once every trial it ran
 * is on disk.
 */
export async function runAgentTrials(store: RunStore, sweep: Sweep, loop: AgentLoop): Promise<AgentResult> {
  const { progress, objective, cwd } = loop;
  const config = sweep.record.config;
  const tally: AgentTally = { completed: 0, error: 0, earlyStopped: 0, terminated: 0 };
  let failuresInRow = 0;
  /** Claims begun (some may still be waiting for the lock): what --count limits. */
  let claimsBegun = 0;
  let ran = 0;
  let running = 0;
  let best: (ProgressBest & { loss: number }) | null = null;
  /** Why the loop ends for every slot: the sweep done (a note), or an error to throw once the slots have ended. */
  let doneNote: string | undefined;
  let failure: Error | null = null;
  let warnedMetric = false;
  const finishedCache = new Map<string, Run>();
  // The ends of trials still being made durable: a trial's folder fsync, index line and LOCK removal
  // overlap the next claim and spawn, and the agent exits only once they are done ("durable when g
  // returns" holds for every trial it ran).
  const settling: Promise<unknown>[] = [];
  // A bayes proposal is made from the ledger as it stands; the slots of one process claim in turn,
  // so each slot's proposal sees the trials the others hold as pending (separate agents see each
  // other's the same way, but may propose at the same moment). Grid and random claims need no turn:
  // the sweep's lock orders them, as it does separate agents'.
  const claimInTurn = config.method === "bayes" ? takeTurns() : <T>(claim: () => Promise<T>) => claim();
  const announce = (reason: "interrupt" | "terminate") =>
    progress.message(
      `\n${reason === "interrupt" ? "Interrupted" : "Stopping"}: stopping ${loop.parallel > 1 ? `${running} running trial(s)` : "the running trial"}; no new trials are claimed.`,
    );

  const interrupted = await withStopSignals(announce, async (signals) => {
    const at = loop.parallel > 1 ? `, ${loop.parallel} trials at once,` : "";
    progress.message(
      `agent ${process.pid} on sweep ${sweep.id} (${config.method}${config.program ? `, ${config.program}` : ""})${at} in ${cwd}`,
    );
    const stopped = () => signals.received !== null || doneNote !== undefined || failure !== null;
    const claimable = () => !stopped() && (loop.count === undefined || claimsBegun < loop.count);

    const slot = async (): Promise<void> => {
      while (claimable()) {
        claimsBegun++;
        // Looked at again when the turn comes: a signal, the sweep's end or a failure may have come while it waited.
        const claim: SweepClaim | null = await claimInTurn(() =>
          stopped()
            ? Promise.resolve(null)
            : claimNextTrial(store, sweep.id, {
                retry: loop.retry,
                cwd,
                finishedCache,
                ...(loop.placement ? { placement: loop.placement } : {}),
              }),
        );
        if (claim === null || claim.kind === "done") {
          claimsBegun--;
          // Said by the closing event: the line presenter prints it, the panel keeps it in its summary.
          if (claim !== null) doneNote ??= `${claim.reason}; agent done`;
          return;
        }
        ran++;
        running++;
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
        }).finally(() => running--);
        settling.push(outcome.settled);
        // From the summaries the runner just wrote: the run is not read back.
        const value = objectiveValue(objective, outcome.summaries);
        const loss = outcome.status === "completed" ? lossFor(objective, value) : null;
        // Once per agent: a misspelt metric.name leaves bayes, the target and early_terminate blind.
        if (!warnedMetric && config.metric !== null && outcome.status === "completed") {
          const who = `trial ${claim.trial} (run ${shortId(claim.run.id)})`;
          const warning =
            missingObjectiveWarning(objective, outcome.summaries, who) ?? noScalarsWarning(objective, outcome.summaries, who, "the sweep");
          if (warning !== null) {
            warnedMetric = true;
            progress.message(
              `${warning} (the sweep's metric.name; ${config.method === "bayes" ? "bayes, " : ""}metric.target and early_terminate need it)`,
            );
          }
        }
        if (loss !== null && (best === null || loss < best.loss))
          best = { loss, trial: claim.trial, value: value!, flags, runId: claim.run.id };
        progress.emit({ type: "trialFinished", trial: claim.trial, status: outcome.status, value, best, nowMs: Date.now() });
        if (outcome.status === "completed") tally.completed++;
        else if (outcome.status === "early-stopped") tally.earlyStopped++;
        else if (outcome.status === "terminated") tally.terminated++;
        else tally.error++;
        failuresInRow = outcome.status === "error" ? failuresInRow + 1 : 0;
        if (failuresInRow >= MAX_CONSECUTIVE_FAILURES && failure === null) {
          failure = new RunFailedError(
            `${failuresInRow} trials in a row failed; agent stopped (see g runs info ${shortId(claim.run.id)} for the last one's output)`,
          );
          if (running > 0) progress.message(`${failure.message}; waiting for ${running} running trial(s) to end`);
        }
      }
    };

    const slots = Array.from({ length: Math.max(1, loop.parallel) }, () =>
      slot().catch((err: unknown) => {
        // The first error ends the loop; the other slots' trials end as they would, then it is thrown.
        if (failure === null) {
          failure = err instanceof Error ? err : new Error(String(err));
          if (running > 0) progress.message(`g: ${failure.message}; waiting for ${running} running trial(s) to end`);
        }
      }),
    );
    await Promise.all(slots);
    await Promise.all(settling);
    if (failure !== null) {
      progress.emit({ type: "ended", outcome: "failed", note: (failure as Error).message, nowMs: Date.now() });
      throw failure;
    }
    return signals.received !== null;
  });
  const outcome = interrupted ? "interrupted" : tally.error > 0 ? "failed" : "completed";
  // The summary line is the command's; the panel's summary shows why the agent stopped.
  progress.emit({ type: "ended", outcome, ...(doneNote ? { note: doneNote } : {}), nowMs: Date.now() });
  return { ran, tally, interrupted };
}

/**
 * A queue of turns: each call runs its function once the calls before it have
 * ended (fulfilled or not), and gives its result.
 */
function takeTurns(): <T>(fn: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const mine = last.then(fn);
    last = mine.catch(() => undefined);
    return mine;
  };
}
