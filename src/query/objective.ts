// The objective of a search (pure): a compare column expression such as
// "loss" or "min val_loss", read from a run's scalar summaries.

import { UsageError } from "../errors.js";
import { didYouMean } from "../format/suggest.js";
import type { Objective, ScalarSummary } from "../store/types.js";
import { QUALIFIERS, isQualifier, type Qualifier } from "./columns.js";

export const DEFAULT_OBJECTIVE: Objective = { column: "loss", goal: "minimize" };

export function parseObjective(minimize?: string, maximize?: string): Objective {
  const column = (maximize ?? minimize ?? DEFAULT_OBJECTIVE.column).trim();
  splitColumn(column);
  return { column, goal: maximize !== undefined ? "maximize" : "minimize" };
}

function splitColumn(column: string): { qualifier: Qualifier; key: string } {
  const parts = column.split(/\s+/).filter((p) => p !== "");
  if (parts.length === 1 && !parts[0]!.startsWith("=") && !parts[0]!.startsWith(".")) return { qualifier: "last", key: parts[0]! };
  const [first, second] = parts;
  if (parts.length === 2 && first !== undefined && second !== undefined && isQualifier(first)) return { qualifier: first, key: second };
  throw new UsageError(
    `objective "${column}" is not a scalar column; write a scalar key, optionally after ${QUALIFIERS.join("|")}, e.g. "min val_loss"`,
  );
}

/** The objective's value for a run, or null when the run did not record it. */
export function objectiveValue(objective: Objective, summaries: Record<string, ScalarSummary>): number | null {
  const { qualifier, key } = splitColumn(objective.column);
  const s = summaries[key];
  if (!s) return null;
  const v = s[qualifier];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The value an optimizer minimises: the objective, negated when maximising. */
export function lossFor(objective: Objective, value: number | null): number | null {
  if (value === null) return null;
  return objective.goal === "maximize" ? -value : value;
}

/**
 * A warning when a completed run logged scalars but not the objective's key
 * (`--minimize lsos`): the optimizer would learn nothing from it, silently.
 * Null when the key is there, or when the run logged no scalars at all.
 */
export function missingObjectiveWarning(objective: Objective, summaries: Record<string, ScalarSummary>, run: string): string | null {
  const { key } = splitColumn(objective.column);
  const keys = Object.keys(summaries);
  if (keys.length === 0 || key in summaries) return null;
  const shown = keys.slice(0, 8).join(", ") + (keys.length > 8 ? ", ..." : "");
  return `warning: ${run} logged no "${key}" (the objective), so the optimizer cannot learn from it; it logged ${shown}${didYouMean(key, keys)}`;
}

/**
 * A warning when a completed trial of a search that learns (gp, tpe, forest,
 * gbrt, a bayes sweep, or a sweep with a metric) logged no scalars at all:
 * the search is blind, silently. (missingObjectiveWarning stays quiet then,
 * since a grid of commands that print nothing is fine.)
 */
export function noScalarsWarning(
  objective: Objective,
  summaries: Record<string, ScalarSummary>,
  run: string,
  learner: string,
): string | null {
  if (Object.keys(summaries).length > 0) return null;
  const { key } = splitColumn(objective.column);
  return `warning: ${run} logged no scalars, so ${learner} cannot learn from it; print "${key}: <value>" from the script, or log ${key} with the SDK`;
}
