// `g sweeps`: every sweep in the store, newest first, with its state and the
// counts of its trials (derived from the trials' runs, like any run status).

import { renderRows } from "../format/table.js";
import { RunStore, resolveHome } from "../store/store.js";
import { say } from "./prompt.js";
import type { SweepsOptions } from "../cli/program.js";
import { sweepTotal } from "../flags/sweep-grid.js";
import { findTargetReached, type TargetReached } from "../trials/sweep.js";
import { countTrials, listSweeps, readTrials, sweepState, type Sweep, type SweepCounts, type SweepState } from "../store/sweeps.js";
import { terminalColumns, writeOut } from "../runner/terminal.js";

/** The options as commander gives them: inferred from their declarations in src/cli/program.ts. */
export type { SweepsOptions };

export interface SweepListing {
  id: string;
  created: string;
  name: string;
  method: string;
  program: string;
  metric: string | null;
  state: SweepState;
  counts: SweepCounts;
  /** metric.target, and the trial that reached it (then the sweep proposes no more). */
  target: { value: number; reachedBy: TargetReached | null } | null;
}

export function loadSweepListings(store: RunStore): { sweeps: SweepListing[]; warnings: string[] } {
  const { sweeps, warnings } = listSweeps(store.home);
  return {
    warnings,
    sweeps: sweeps.map((sweep) => sweepListing(store, sweep)),
  };
}

/** One sweep as `g sweeps` lists it: its counts, and its state with `finished` derived. */
export function sweepListing(store: RunStore, sweep: Sweep): SweepListing {
  const counts = countTrials(readTrials(store, sweep), sweepTotal(sweep.record.config));
  const c = sweep.record.config;
  const reachedBy = findTargetReached(store, sweep);
  const stateNow = sweepState(sweep, counts);
  // A sweep whose target was reached claims nothing more: finished once its running trials end.
  const state = reachedBy !== null && stateNow === "running" && counts.running === 0 ? "finished" : stateNow;
  return {
    id: sweep.id,
    created: sweep.record.created,
    name: c.name || c.description,
    method: c.method,
    program: c.program,
    metric: c.metric ? `${c.metric.goal === "maximize" ? "max" : "min"} ${c.metric.name}` : null,
    state,
    counts,
    target: c.metric?.target !== undefined ? { value: c.metric.target, reachedBy } : null,
  };
}

export async function sweepsCommand(opts: SweepsOptions): Promise<void> {
  const store = new RunStore(resolveHome());
  const { sweeps, warnings } = loadSweepListings(store);
  for (const w of warnings) say(`warning: ${w}`);
  if (opts.json) {
    writeOut(JSON.stringify(sweeps, null, 2) + "\n");
    return;
  }
  if (sweeps.length === 0) {
    say(`no sweeps yet in ${store.home}; create one with g sweep sweep.yaml`);
    return;
  }
  const withTarget = sweeps.some((s) => s.target !== null);
  const headers = [
    "id",
    "created",
    "method",
    "program",
    "metric",
    "state",
    "trials",
    "running",
    "completed",
    "early-stopped",
    "failed",
    ...(withTarget ? ["target"] : []),
    "name",
  ];
  const rows = sweeps.map((s) => [
    s.id,
    s.created.slice(0, 16).replace("T", " "),
    s.method,
    s.program,
    s.metric ?? "",
    s.state,
    `${s.counts.claimed - s.counts.orphaned}/${s.counts.total ?? "∞"}`,
    String(s.counts.running),
    String(s.counts.completed),
    String(s.counts.earlyStopped),
    String(s.counts.error + s.counts.orphaned),
    ...(withTarget ? [targetCell(s)] : []),
    s.name,
  ]);
  const table = renderRows(headers, rows, { color: false, width: terminalColumns() });
  writeOut(table.endsWith("\n") ? table : table + "\n");
}

/** "0.1" while no trial reached metric.target; "0.1 reached by 3fa9c2d1 (0.08)" once one did. */
function targetCell(s: SweepListing): string {
  if (s.target === null) return "";
  const r = s.target.reachedBy;
  return r === null ? String(s.target.value) : `${s.target.value} reached by ${r.runId.slice(0, 8)} (${r.value})`;
}
