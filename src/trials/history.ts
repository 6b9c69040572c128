// What an optimizer learns from: runs turned into observations (the point a
// run stood for in the space, and its loss). Used by batches (their own
// trials, and earlier runs of the script with `--learn-from all`) and by
// sweep agents (every trial of the sweep, running ones included).

import type { Observation, Point, Space } from "../flags/space.js";
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
export function learnFromEarlierRuns(store: RunStore, script: string, space: Space, objective: Objective, exceptBatch: string): Observation[] {
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
 * Every trial of a sweep as the bayes method sees it: finished ones with
 * their loss (null when failed), running and orphaned ones as points not to
 * propose again.
 */
export function sweepHistory(store: RunStore, space: Space, objective: Objective, trials: Trial[]): Observation[] {
  return trials.map((t) => {
    const run = t.run!;
    const point = pointOf(space, run.record.flags, "with-constants");
    if (t.orphaned || run.status === "running" || run.status === "pending") return { point, value: null };
    const value = run.status === "error" ? null : runObjectiveValue(store, objective, run);
    return { point, value: lossFor(objective, value) };
  });
}
