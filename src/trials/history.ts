// What an optimizer learns from: runs turned into observations (the point a
// run stood for in the space, and its loss). Used by batches (their own
// trials, and earlier runs of the script with `--learn-from all`) and by
// sweep agents (every trial of the sweep, running ones included).

import type { Observation, Point, Space } from "../flags/space.js";
import { buildEncoding } from "../search/encode.js";
import { defaultRandomStarts } from "../search/gp/settings.js";
import { lossFor, objectiveValue } from "../query/objective.js";
import type { RunStore } from "../store/store.js";
import type { Trial } from "../store/sweeps.js";
import type { Flags, Objective, Run } from "../store/types.js";

/**
 * The point a run's flags stand for in the space: its searched flags, or with
 * `constants` every flag the space names (sweep trials record exactly those).
 */
export function pointOf(space: Space, flags: Flags, constants: "without-constants" | "with-constants" = "without-constants"): Point {
  const point: Point = {};
  for (const [name, dim] of Object.entries(space)) {
    if (dim.type === "const" && constants === "without-constants") continue;
    if (name in flags) point[name] = flags[name]!;
  }
  return point;
}

/** Whether a point lies inside the space: every searched flag present, in its list or range. */
export function inSpace(space: Space, point: Point): boolean {
  for (const [name, dim] of Object.entries(space)) {
    if (dim.type === "const") continue;
    const v = point[name];
    if (v === undefined) return false;
    if (dim.type === "choice" && !dim.values.some((c) => c === v)) return false;
    if ((dim.type === "uniform" || dim.type === "loguniform") && (typeof v !== "number" || v < dim.low || v > dim.high)) return false;
  }
  return true;
}

/** A finished run's objective value as recorded (null when it logged none). */
export function runObjectiveValue(store: RunStore, objective: Objective, run: Run): number | null {
  return objectiveValue(objective, store.readSummaries(run));
}

/** Earlier finished runs of the same script whose flags lie in the space (`--learn-from all`). */
export function learnFromEarlierRuns(
  store: RunStore,
  script: string,
  space: Space,
  objective: Objective,
  exceptBatch: string,
): Observation[] {
  const out: Observation[] = [];
  for (const r of store.listRuns().runs) {
    if (r.record.script !== script || r.record.batch === exceptBatch || r.status !== "completed") continue;
    if (r.record.space !== undefined) continue;
    const point = pointOf(space, r.record.flags);
    if (!inSpace(space, point)) continue;
    out.push({ point, value: lossFor(objective, runObjectiveValue(store, objective, r)) });
  }
  return out;
}

/**
 * Every trial of a sweep (or of a batch's ledger) as the bayes method sees it: finished ones with
 * their loss (null when failed), orphaned ones as points not to propose
 * again, and running ones likewise or, with `liar`, with a made-up loss.
 *
 * The constant liar (Ginsbourger et al., 2010): a running trial is modelled
 * as if it had ended with the mean of the finished losses, so the model's
 * uncertainty collapses there and agents proposing at the same time spread
 * out instead of all picking the same promising spot. Lies start only once
 * the model has taken over (after the random starts), so they never stand in
 * for real observations in the count that decides it.
 */
export function sweepHistory(
  store: RunStore,
  space: Space,
  objective: Objective,
  trials: Trial[],
  opts: { liar?: boolean; constants?: "with-constants" | "without-constants" } = {},
): Observation[] {
  const observed = trials.map((t) => {
    const run = t.run!;
    // Sweep trials record exactly the space's flags; a batch's trials' points leave its constants out.
    const point = pointOf(space, run.record.flags, opts.constants ?? "with-constants");
    const pending = run.status === "running" || run.status === "pending";
    if (t.orphaned || pending) return { point, value: null, pending: pending && !t.orphaned };
    const value = run.status === "error" ? null : runObjectiveValue(store, objective, run);
    return { point, value: lossFor(objective, value), pending: false };
  });
  const finished = observed.map((o) => o.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const lie =
    opts.liar && finished.length >= defaultRandomStarts(buildEncoding(space))
      ? finished.reduce((a, b) => a + b, 0) / finished.length
      : null;
  return observed.map((o) => ({ point: o.point, value: o.pending && lie !== null ? lie : o.value }));
}
