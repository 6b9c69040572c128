// g-runs, the package's main export: log params, metrics and messages from
// Node scripts into g's run store, ml_dash style, standalone or inside `g run`.
//   import { Experiment, log, flags } from "g-runs";

import { Experiment, currentExperiment, type MetricValues } from "./experiment.js";
export { FileBuilder, type FileRecord, type FileOptions, type Files } from "./artifacts.js";
export { Optimizer, BayesianOptimization, type OptimizerOptions, type ParamSpec } from "./optimizer.js";
export { TrackBuilder, TrackSlice, type Tracks, type TrackReadOptions } from "./tracks.js";
export type { TrackEntry } from "../store/track-files.js";
import type { Flags } from "../store/types.js";

export {
  Experiment,
  currentExperiment,
  flattenParams,
  mlDashExperiment,
  checkLevel,
  LOG_LEVELS,
  SUMMARY_AGGREGATIONS,
  PARAMS_FILE,
  type LogBuilder,
  type LogLevel,
  type MetricBuffer,
  type MetricPoint,
  type MetricRow,
  type RunManager,
  type ExperimentOptions,
  type MetricValue,
  type MetricValues,
  type Metrics,
  type MetricsWriter,
  type ParamValues,
  type Params,
} from "./experiment.js";

let fallback: Experiment | undefined;

/**
 * The experiment the short forms write to: the innermost open one, else a
 * default one (inside `g run` that run; standalone a run named after the
 * script, finished when the process exits).
 */
function target(): Experiment {
  const open = currentExperiment();
  if (open) return open;
  if (!fallback || fallback.isFinished) fallback = new Experiment();
  return fallback;
}

/** Records scalars now: log({ loss: 0.1, acc: 0.9, step: 3 }); no `step` records none. */
export function log(values: MetricValues): void {
  target().logScalars(values);
}

/** The run's flags as `g run` passed them in G_FLAGS; {} outside g run. */
export function flags(env: NodeJS.ProcessEnv = process.env): Flags {
  const text = env.G_FLAGS;
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Flags) : {};
  } catch {
    return {};
  }
}
