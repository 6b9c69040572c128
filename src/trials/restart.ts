// Restart planning (`g run --restart BATCH`), pure: from a batch's record and
// its trials, which trials run now. Interrupted trials run again in their own
// directories; grid and random run what is left of their fixed list; gp and
// tpe run `--max-trials` more (or what an interrupted batch had left) with a
// new random stream, learning from every finished trial. A random batch that
// has run its whole list gets `--max-trials` new points the same way, drawn
// from the new stream and repeating none of its earlier trials.

import { UsageError } from "../errors.js";
import type { Observation, Point, Space } from "../flags/space.js";
import { DEFAULT_OBJECTIVE, lossFor } from "../query/objective.js";
import { shortId } from "../store/store.js";
import { readBatchRecord, type BatchRecord, type Objective, type Run } from "../store/types.js";
import type { BestTrial } from "./batch.js";
import { freshRandomPoints } from "../search/random.js";
import { batchRng } from "./batch.js";
import { pointOf } from "./history.js";
import { DEFAULT_MAX_TRIALS, resolveOptimizer, type OptimizerName } from "./optimizers.js";

export interface RestartRequest {
  batch: Run;
  /** The batch's run.json as checked by readBatchRecord (checked here when not given). */
  record?: BatchRecord<Space>;
  /** The batch's trial runs, as listed from the store. */
  trials: Run[];
  /** A finished trial's objective value (from its scalars), null when it logged none. */
  valueOf: (trial: Run) => number | null;
  /** --max-trials given with --restart: how many new gp/tpe trials to run. */
  maxTrials?: number;
}

export interface RestartPlan {
  optimizer: OptimizerName;
  space: Space;
  objective: Objective;
  seed: number;
  /** The batch's restart count after this one: the random stream of this session. */
  restarts: number;
  /** Trial numbers to run now: interrupted ones first, then new ones. */
  trialNumbers: number[];
  /** Grid/random: the batch's fixed list by trial number; null for gp/tpe. */
  points: Map<number, Point> | null;
  /** A finished random batch extended: the points added to its list (record them), else empty. */
  newPoints: Point[];
  /** Interrupted trials to run again in their own directories, by trial number. */
  rerun: Map<number, Run>;
  /** The batch's finished trials as observations (failed ones with a null value). */
  history: Observation[];
  /** The best finished trial so far, so the batch's best is over all its trials. */
  bestSoFar: BestTrial | null;
  /** The number of trials in the whole batch once this session is done. */
  total: number;
}

/** A trial that did not finish on its own: stopped, never started, or its g died. */
export function wasInterrupted(run: Run): boolean {
  return run.status === "terminated" || run.status === "pending" || (run.status === "error" && run.record.exit_status == null);
}

export function planRestart(req: RestartRequest): RestartPlan {
  const { batch } = req;
  const rec = req.record ?? readBatchRecord<Space>(batch.record);
  if (rec === null) throw new UsageError(`cannot restart batch ${shortId(batch.id)}: its run.json does not hold a whole batch record`);
  const optimizer = resolveOptimizer(rec.optimizer);
  const space = rec.space;
  const objective = rec.objective ?? DEFAULT_OBJECTIVE;
  const byNumber = new Map<number, Run>();
  for (const t of req.trials) if (t.record.trial !== undefined) byNumber.set(t.record.trial, t);
  // A trial whose batch g died while its script lives on (kill -9) is still running: a restart now would
  // neither run it again nor learn from it, and the batch would end "completed" whatever it came to.
  const running = req.trials.find((t) => t.status === "running");
  if (running !== undefined) {
    const id = shortId(running.id);
    throw new UsageError(
      `batch ${shortId(batch.id)} has a trial still running (trial ${running.record.trial ?? "?"}, run ${id}); wait for it, or stop it with g stop ${id}, then restart`,
    );
  }
  const rerun = new Map<number, Run>();
  for (const [n, t] of byNumber) if (wasInterrupted(t)) rerun.set(n, t);

  const maxTrials = rec.max_trials ?? DEFAULT_MAX_TRIALS;
  const restarts = (rec.restarts ?? 0) + 1;
  let trialNumbers: number[];
  let points: Map<number, Point> | null = null;
  let newPoints: Point[] = [];
  let total: number;
  if (optimizer === "grid" || optimizer === "random") {
    // The fixed list was recorded with the batch; only what did not finish runs again.
    const list: Point[] = rec.points ?? [];
    points = new Map(list.map((p, i) => [i + 1, p]));
    trialNumbers = range(1, list.length).filter((n) => !byNumber.has(n) || rerun.has(n));
    total = list.length;
    if (trialNumbers.length === 0 && optimizer === "random") {
      // As gp does: more trials, from this restart's own stream, none a repeat of an earlier one.
      newPoints = freshRandomPoints(space, req.maxTrials ?? DEFAULT_MAX_TRIALS, batchRng(rec.seed ?? 0, restarts), list);
      if (newPoints.length === 0)
        throw new UsageError(
          `batch ${shortId(batch.id)} (random) has run every one of its grid's ${list.length} combinations; add values to a list or a range and start a new search with g run`,
        );
      for (const [i, p] of newPoints.entries()) points.set(list.length + i + 1, p);
      trialNumbers = range(list.length + 1, list.length + newPoints.length);
      total = list.length + newPoints.length;
    }
    if (trialNumbers.length === 0)
      throw new UsageError(
        `batch ${shortId(batch.id)} (${optimizer}) has run all its ${list.length} trials; start a new search with g run`,
      );
  } else {
    const done = [...byNumber.keys()].filter((n) => !rerun.has(n));
    // A batch whose g process died (kill -9, a lost machine) reads as error with no exit status: it was
    // interrupted too, and a restart finishes it, while one that exited with failed trials is finished.
    const batchInterrupted = (batch.status !== "completed" && batch.status !== "error") || wasInterrupted(batch);
    const next = Math.max(0, ...byNumber.keys()) + 1;
    const more = req.maxTrials ?? (batchInterrupted ? Math.max(0, maxTrials - byNumber.size) : DEFAULT_MAX_TRIALS);
    trialNumbers = [...[...rerun.keys()].sort((a, b) => a - b), ...range(next, next + more - 1)];
    total = done.length + trialNumbers.length;
    if (trialNumbers.length === 0)
      throw new UsageError(`batch ${shortId(batch.id)} has nothing left to run; give --max-trials N to run N more`);
  }

  const history: Observation[] = [];
  let bestSoFar: BestTrial | null = null;
  for (const t of req.trials) {
    const trial = t.record.trial;
    if (trial === undefined || rerun.has(trial)) continue;
    if (t.status !== "completed" && t.status !== "error") continue;
    const loss = t.status === "completed" ? lossFor(objective, req.valueOf(t)) : null;
    history.push({ point: pointOf(space, t.record.flags), value: loss });
    if (loss !== null && (bestSoFar === null || loss < bestSoFar.loss || (loss === bestSoFar.loss && trial < bestSoFar.trial)))
      bestSoFar = { loss, trial };
  }

  return { optimizer, space, objective, seed: rec.seed ?? 0, restarts, trialNumbers, points, newPoints, rerun, history, bestSoFar, total };
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}
