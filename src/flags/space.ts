// The typed search space that every flag grammar (Guild, Grid.ai, sweep.yaml)
// produces and every optimizer (grid, random, gp, tpe) consumes.

import type { FlagValue } from "../store/types.js";

export type Dimension =
  /** A single value: not searched. */
  | { type: "const"; value: FlagValue }
  /** Discrete values: a grid axis, or a categorical for random/gp/tpe; `probabilities` (summing to 1) weight random draws. */
  | { type: "choice"; values: FlagValue[]; probabilities?: number[] }
  /**
   * Uniform on [low, high]; integer → integers in [low, high] inclusive; q → rounded to multiples of q;
   * initial → the value of the batch's first trial (Guild's `[LOW:HIGH:INITIAL]`).
   */
  | { type: "uniform"; low: number; high: number; integer?: boolean; q?: number; initial?: number }
  /** Log-uniform on [low, high] (low > 0); initial as for uniform. */
  | { type: "loguniform"; low: number; high: number; integer?: boolean; q?: number; initial?: number }
  /** Normal(mu, sigma); unbounded. */
  | { type: "normal"; mu: number; sigma: number; q?: number }
  /** exp(Normal(mu, sigma)). */
  | { type: "lognormal"; mu: number; sigma: number; q?: number }
  /** Beta(a, b) on [0, 1] (W&B's beta and q_beta). */
  | { type: "beta"; a: number; b: number; q?: number };

/** Flag name → dimension, in the order the user gave them. */
export type Space = Record<string, Dimension>;

/** One point of a space: flag name → value. */
export type Point = Record<string, FlagValue>;

/** A past trial as an optimizer sees it: value null when it failed or lacks the objective. */
export interface Observation {
  point: Point;
  value: number | null;
}

/**
 * Where a search stands, when its caller knows the budget: the trial being
 * proposed (1-based) out of `total` (ask-tell's init "budget", --max-trials,
 * a restart's new total, a sweep's run_cap). Optimizers may spend the last
 * trials differently (gp's end game); without it they behave as if unbounded.
 */
export interface SearchProgress {
  trial: number;
  total: number;
}

/** A source of uniform numbers in [0, 1); seeded with seedrandom by the caller. */
export type Rng = () => number;
