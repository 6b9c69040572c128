// How long a run ran: one rule for g runs, g compare and the JSON output. In its
// own module so that \`g runs\` does not load the compare builder for it.

import type { Run } from "../store/types.js";

/** How long a run ran, in seconds; a running run counts up to \`now\`. */
export function runSeconds(run: Run, now: number): number | null {
  const started = run.record.started ? Date.parse(run.record.started) : NaN;
  if (Number.isNaN(started)) return null;
  const end = run.record.stopped ? Date.parse(run.record.stopped) : run.status === "running" ? now : NaN;
  if (Number.isNaN(end)) return null;
  return Math.max(0, (end - started) / 1000);
}
