// Decides what `g run` does with its flags: a single run, a grid, a random
// search or a sequential optimizer (gp, tpe, forest, gbrt), and for grid and random the
// exact trials. Pure: the rng draws Grid.ai's distributions first, then the trials.

import { UsageError } from "../errors.js";
import type { FlagSpec } from "../flags/grammar.js";
import { materializeSpace } from "../flags/grammar.js";
import type { Point, Rng, Space } from "../flags/space.js";
import { formatFlagValue } from "../flags/value.js";
import { gridPointAt, gridPoints, gridSize } from "../search/grid.js";
import { gridSubset, randomPoints } from "../search/random.js";
import { DEFAULT_MAX_TRIALS, isSequential, resolveOptimizer, type OptimizerName } from "./optimizers.js";

export interface BatchInput {
  specs: Record<string, FlagSpec>;
  /** --optimizer: grid, random, gp (alias bayesian), tpe, forest, gbrt. */
  optimizer?: string;
  /** Grid.ai's --strategy: grid_search or random_search. */
  strategy?: string;
  maxTrials?: number;
  /** Grid.ai's --trials: how many of the grid's combinations random_search runs. */
  trials?: number;
  rng: Rng;
}

/** What `g run` will do with its flags: one run, or a batch and its trials. */
export interface BatchPlan {
  /** null: no flag is searched and no optimizer was asked for, so a single run. */
  optimizer: OptimizerName | null;
  /** Every flag given, draws materialised; constants included. */
  space: Space;
  /** The trials of a grid or random search (constants included); null for gp/tpe, which propose as they go, and for a single run. */
  points: Point[] | null;
  /** The number of trials (1 for a single run). */
  maxTrials: number;
  /** Lines for the preview about choices the plan made. */
  notes: string[];
}

const STRATEGIES: Record<string, "grid" | "random"> = { grid_search: "grid", random_search: "random" };

export function planBatch(input: BatchInput): BatchPlan {
  const optimizer = input.optimizer === undefined ? undefined : resolveOptimizer(input.optimizer);
  const strategy = input.strategy === undefined ? undefined : STRATEGIES[input.strategy.toLowerCase()];
  if (input.strategy !== undefined && strategy === undefined) {
    throw new UsageError(
      `unknown strategy "${input.strategy}"; use grid_search or random_search, e.g. --strategy random_search --trials 3`,
    );
  }
  checkCount("--max-trials", input.maxTrials);
  checkCount("--trials", input.trials);
  if (input.maxTrials !== undefined && input.trials !== undefined) {
    throw new UsageError("give --max-trials or --trials, not both (--trials is Grid.ai's name for the number of random_search trials)");
  }
  if (optimizer !== undefined && strategy !== undefined && optimizer !== strategy) {
    throw new UsageError(`--optimizer ${input.optimizer} and --strategy ${input.strategy} disagree; give one of them`);
  }
  if (input.trials !== undefined && ((optimizer !== undefined && isSequential(optimizer)) || strategy === "grid")) {
    throw new UsageError(
      `--trials sets how many grid combinations random_search runs; with ${optimizer ? `--optimizer ${input.optimizer}` : "--strategy grid_search"} use --max-trials N`,
    );
  }

  const notes: string[] = [];
  const space = materializeSpace(input.specs, input.rng);
  for (const [name, spec] of Object.entries(input.specs)) {
    if (spec.type === "draw")
      notes.push(`${name}: ${spec.size === 1 ? "1 value" : `${spec.size} values`} drawn from ${spec.text} with the batch's seed`);
  }
  const searched = Object.keys(space).filter((n) => space[n]!.type !== "const");
  const ranges = searched.filter((n) => space[n]!.type !== "choice");
  const count = input.trials ?? input.maxTrials;
  // --trials alone is Grid.ai's random_search; ranges alone mean random, as in Guild.
  const kind = optimizer ?? strategy ?? (input.trials !== undefined || ranges.length > 0 ? "random" : searched.length > 0 ? "grid" : null);

  if (kind === null) {
    if (count !== undefined) throw new UsageError("--max-trials needs a searched flag, e.g. x=[1,2,3] or x=[0.1:0.5]");
    return { optimizer: null, space, points: null, maxTrials: 1, notes };
  }
  if (searched.length === 0) {
    throw new UsageError(`the ${kind} optimizer needs a flag to search; give a list or a range, e.g. x=[1,2,3] or x=[0.1:0.5]`);
  }

  if (kind === "grid") {
    const range = ranges[0];
    if (range !== undefined) {
      throw new UsageError(
        `a grid search cannot enumerate the range ${range}=${rangeText(space, range)}; give a list, e.g. ${range}=[1,2,3], or use --optimizer random`,
      );
    }
    const size = gridSize(space);
    if (count !== undefined && count < size) {
      notes.push(`the grid has ${size} combinations; --max-trials ${count} runs the first ${count}`);
      return { optimizer: "grid", space, points: Array.from({ length: count }, (_, i) => gridPointAt(space, i)), maxTrials: count, notes };
    }
    const points = gridPoints(space);
    return { optimizer: "grid", space, points, maxTrials: points.length, notes };
  }

  if (kind === "random") {
    const n = count ?? DEFAULT_MAX_TRIALS;
    if (ranges.length > 0) return { optimizer: "random", space, points: randomPoints(space, n, input.rng), maxTrials: n, notes };
    // Lists only: a random subset of the grid, never repeating a combination.
    const size = gridSize(space);
    if (n >= size)
      notes.push(`${count === undefined ? "" : `${n} trials asked for; `}the grid has ${size} combinations: each runs once, in grid order`);
    else notes.push(`${n} of the grid's ${size} combinations, chosen at random without repeats`);
    const points = gridSubset(space, n, input.rng);
    return { optimizer: "random", space, points, maxTrials: points.length, notes };
  }

  return { optimizer: kind, space, points: null, maxTrials: count ?? DEFAULT_MAX_TRIALS, notes };
}

function checkCount(option: string, n: number | undefined): void {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) {
    throw new UsageError(`${option} takes a whole number of at least 1, not ${n}, e.g. ${option} 10`);
  }
}

function rangeText(space: Space, name: string): string {
  const dim = space[name]!;
  if (dim.type === "uniform" || dim.type === "loguniform") {
    const prefix = dim.type === "uniform" ? "" : "loguniform";
    return `${prefix}[${formatFlagValue(dim.low)}:${formatFlagValue(dim.high)}]`;
  }
  return dim.type;
}
