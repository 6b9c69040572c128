// The words of the progress display, from the progress state (pure): the
// plain lines g has always printed when its output is not a terminal (tests
// and logs read them, so they stay as they are), the Optuna-style line logged
// when a trial ends, and the summary the panel leaves on the screen.

import { quoteShellWord } from "../format/shell-words.js";
import { escapeControlChars, formatNumber } from "../format/values.js";
import type { ProgressEvent, ProgressState } from "./progress-state.js";

type Started = Extract<ProgressEvent, { type: "trialStarted" }>;
type Finished = Extract<ProgressEvent, { type: "trialFinished" }>;

const shortOf = (id: string): string => id.slice(0, 8);

/** The plain line when a trial starts (null: nothing to say, as for a single run). */
export function startedLine(state: ProgressState, e: Started): string | null {
  switch (state.init.kind) {
    case "batch":
      return `trial ${e.trial}/${state.init.total}: ${e.flags}`;
    case "agent":
      return `trial ${e.trial}${e.note ? ` (${e.note})` : ""}: run ${shortOf(e.runId)} ${e.flags}`;
    case "single":
      return null;
  }
}

/** The plain line when a trial ends, from the state after the event (counts and best include it). */
export function finishedLine(state: ProgressState, e: Finished): string | null {
  switch (state.init.kind) {
    case "batch": {
      const parts = [`trial ${e.trial}/${state.init.total} ${e.status}`];
      if (e.value !== null && state.init.objective) parts.push(`${state.init.objective.column} ${formatNumber(e.value)}`);
      if (state.best) parts.push(`best ${formatNumber(state.best.value)} (trial ${state.best.trial})`);
      if (state.running.length > 0) parts.push(`${state.running.length} running`);
      if (state.failed > 0) parts.push(`${state.failed} failed`);
      return parts.join(" · ");
    }
    case "agent":
      // With -j the agent's other trials go on: how many, as a batch's line says.
      return `trial ${e.trial} ${e.status}${(state.init.parallel ?? 1) > 1 ? ` · ${state.running.length} running` : ""}`;
    case "single":
      return null;
  }
}

/**
 * Optuna's log line for a finished trial, logged above the panel:
 * "Trial 3 finished with loss 0.12 (x=0.5). Best is trial 2 with value 0.1."
 */
export function trialEndText(state: ProgressState, e: Finished, flags: string): string {
  const column = state.init.objective?.column ?? "value";
  const how =
    e.status === "completed"
      ? e.value !== null
        ? `finished with ${column} ${formatNumber(e.value)}`
        : `finished without a ${column} value`
      : e.status === "error"
        ? "failed"
        : e.status;
  const best = state.best ? ` Best is trial ${state.best.trial} with value ${formatNumber(state.best.value)}.` : "";
  return `Trial ${e.trial} ${how}${flags ? ` (${flags})` : ""}.${best}`;
}

/** The counts of a finished session: "8 completed, 1 failed, 2 early-stopped". */
export function countsText(state: ProgressState): string {
  const parts = [`${state.completed} completed`, `${state.failed} failed`];
  if (state.earlyStopped > 0) parts.push(`${state.earlyStopped} early-stopped`);
  if (state.terminated > 0) parts.push(`${state.terminated} terminated`);
  return parts.join(", ");
}

/** The command to look further: `g compare` of the batch's or sweep's runs, best first; `g runs info` of a single run. */
export function lookFurtherCommand(state: ProgressState): string {
  const { kind, id, objective } = state.init;
  const sort = objective ? ` ${objective.goal === "maximize" ? "-M" : "-m"} ${quoteShellWord(objective.column)}` : "";
  if (kind === "batch") return `g compare --filter '.batch = "${shortOf(id)}"'${sort}`;
  if (kind === "agent") return `g compare --filter '.sweep = "${id}"'${sort}`;
  return `g runs info ${shortOf(id)}`;
}

/** The `g view` command that shows the batch's or sweep's runs in the browser (none for a single run). */
export function viewCommand(state: ProgressState): string | null {
  const { kind, id } = state.init;
  if (kind === "batch") return `g view --batch ${shortOf(id)}`;
  if (kind === "agent") return `g view --sweep ${id}`;
  return null;
}

/** The latest scalars of a running trial: "step 3 · loss 0.12 · acc 0.9". */
export function scalarsText(scalars: [string, number][], step: number | null): string {
  // An SDK may log any text as a key: it stays on the line (see escapeControlChars).
  const parts = scalars.map(([k, v]) => `${escapeControlChars(k)} ${formatNumber(v)}`);
  if (step !== null) parts.unshift(`step ${step}`);
  return parts.join(" · ");
}
