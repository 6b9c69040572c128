// How long a run ran: one rule for g runs, g compare and the JSON output. In its
// own module so that \`g runs\` does not load the compare builder for it.

import type { Run, RunStatus } from "../store/types.js";

/** How long a run ran, in seconds; a running run counts up to \`now\`. */
export function runSeconds(run: Run, now: number): number | null {
  return runSecondsOf(run.record.started, run.record.stopped, run.status, now);
}

/** runSeconds from the record's `started` and `stopped` and the run's status. */
export function runSecondsOf(
  startedAt: string | null | undefined,
  stoppedAt: string | null | undefined,
  status: RunStatus,
  now: number,
): number | null {
  const started = startedAt ? Date.parse(startedAt) : NaN;
  if (Number.isNaN(started)) return null;
  const end = stoppedAt ? Date.parse(stoppedAt) : status === "running" ? now : NaN;
  if (Number.isNaN(end)) return null;
  return Math.max(0, (end - started) / 1000);
}
