// Whether `g run --restart RUN` can take a run, as a pure rule: the command
// refuses with this reason, and the compare view says it in its status bar
// instead of leaving for a command that would refuse.

import type { Run } from "../store/types.js";

const SHORT_ID_LENGTH = 8;

/** Why `run` cannot be restarted, or null when it can (its script may still turn out to be gone). */
export function restartRefusal(run: Run): string | null {
  const id = run.id.slice(0, SHORT_ID_LENGTH);
  if (run.status === "running") return `run ${id} is still running; stop it first with g stop ${id}`;
  const rec = run.record;
  if (rec.space !== undefined && rec.optimizer !== undefined) return null;
  if (rec.batch !== undefined && run.status === "completed") {
    return `run ${id} is a completed trial; restart its batch instead: g run --restart ${rec.batch.slice(0, SHORT_ID_LENGTH)}`;
  }
  return null;
}
