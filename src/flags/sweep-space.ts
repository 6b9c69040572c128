// What a parsed sweep.yaml is (SweepConfig, its early-termination rules, the
// default command) and what follows from its space alone: grid axes and
// points, how many trials it runs. Pure, and without the YAML parser, so the
// commands that only run a sweep (`g agent`, `g run`'s argv) do not load it;
// parsing the file is sweep-config.ts's.

import { UsageError } from "../errors.js";
import type { FlagValue } from "../store/types.js";
import type { Dimension, Point, Space } from "./space.js";

export type SweepMethod = "grid" | "random" | "bayes";
export const SWEEP_METHODS: readonly SweepMethod[] = ["grid", "random", "bayes"];

export interface SweepMetric {
  name: string;
  goal: "minimize" | "maximize";
}

/** Envelope rule settings; defaults in ENVELOPE_DEFAULTS (docs/sweeps.md). */
export interface EnvelopeRule {
  type: "envelope";
  fraction: number;
  min_runs: number;
  start_iter: number;
}

/** Hyperband: the bands (numbers of logged metric values) at which runs are judged. */
export interface HyperbandRule {
  type: "hyperband";
  bands: number[];
  eta: number;
}

export type EarlyTerminate = EnvelopeRule | HyperbandRule;

export const ENVELOPE_DEFAULTS = { fraction: 0.3, min_runs: 3, start_iter: 3 } as const;
export const HYPERBAND_DEFAULT_ETA = 3;
/** Without `s`, min_iter bands continue up to this many logged values (a run's lifetime in practice). */
export const HYPERBAND_MAX_BAND = 1_000_000;

export interface SweepConfig {
  name: string;
  description: string;
  /** The script, as written (relative to the directory `g sweep` ran in); "" when the command does not use it. */
  program: string;
  method: SweepMethod;
  metric: SweepMetric | null;
  space: Space;
  earlyTerminate: EarlyTerminate | null;
  runCap: number | null;
  /** The command template (W&B macros kept); null means DEFAULT_COMMAND. */
  command: string[] | null;
}

export const DEFAULT_COMMAND = ["${interpreter}", "${program}", "${args}"];

/** A grid axis from an integer or q range longer than this is a mistake, not a plan. */
export const MAX_GRID_AXIS = 10_000;

/** The values a grid takes for a dimension, or null when it is continuous (or too long). */
export function gridAxis(dim: Dimension): FlagValue[] | null {
  switch (dim.type) {
    case "const":
      return [dim.value];
    case "choice":
      return dim.values;
    case "uniform": {
      const step = dim.q ?? (dim.integer ? 1 : null);
      if (step === null) return null;
      const first = Math.ceil(dim.low / step - 1e-9);
      const last = Math.floor(dim.high / step + 1e-9);
      if (last - first + 1 > MAX_GRID_AXIS) return null;
      const out: number[] = [];
      for (let k = first; k <= last; k++) out.push(roundStep(k * step, step));
      return out;
    }
    default:
      return null;
  }
}

function roundStep(value: number, step: number): number {
  // 3 * 0.1 is 0.30000000000000004; keep the decimals of the step.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(decimals + 2, 15)));
}

/** Every grid combination, first parameter varying slowest (as the Grid.ai seed lists them). */
export function sweepGridPoints(space: Space): Point[] {
  let points: Point[] = [{}];
  for (const [name, dim] of Object.entries(space)) {
    const axis = gridAxis(dim);
    if (axis === null) throw new UsageError(`parameters.${name}: method grid needs a finite list of values`);
    const next: Point[] = [];
    for (const p of points) for (const v of axis) next.push({ ...p, [name]: v });
    points = next;
  }
  return points;
}

/** The number of grid combinations (without building them). */
export function sweepGridSize(space: Space): number {
  let n = 1;
  for (const dim of Object.values(space)) n *= gridAxis(dim)?.length ?? Infinity;
  return n;
}

/** How many trials the sweep runs in all: the grid's size (capped by run_cap), run_cap, or null (until stopped). */
export function sweepTotal(config: SweepConfig): number | null {
  const grid = config.method === "grid" ? sweepGridSize(config.space) : Infinity;
  const cap = Math.min(grid, config.runCap ?? Infinity);
  return Number.isFinite(cap) ? cap : null;
}
