// `g sweeps`: every sweep in the store, newest first, with its state and the
// counts of its trials (derived from the trials' runs, like any run status).

import { renderRows } from "../format/table.js";
import { RunStore, resolveHome } from "../store/store.js";
import { say } from "./prompt.js";
import type { SweepsOptions } from "../cli/program.js";
import { sweepTotal } from "../flags/sweep-space.js";
import { countTrials, listSweeps, readTrials, sweepState, type SweepCounts, type SweepState } from "../store/sweeps.js";

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
}

export function loadSweepListings(store: RunStore): { sweeps: SweepListing[]; warnings: string[] } {
  const { sweeps, warnings } = listSweeps(store.home);
  return {
    warnings,
    sweeps: sweeps.map((sweep) => {
      const counts = countTrials(readTrials(store, sweep), sweepTotal(sweep.record.config));
      const c = sweep.record.config;
      return {
        id: sweep.id,
        created: sweep.record.created,
        name: c.name || c.description,
        method: c.method,
        program: c.program,
        metric: c.metric ? `${c.metric.goal === "maximize" ? "max" : "min"} ${c.metric.name}` : null,
        state: sweepState(sweep, counts),
        counts,
      };
    }),
  };
}

export async function sweepsCommand(opts: SweepsOptions): Promise<void> {
  const store = new RunStore(resolveHome());
  const { sweeps, warnings } = loadSweepListings(store);
  for (const w of warnings) say(`warning: ${w}`);
  if (opts.json) {
    process.stdout.write(JSON.stringify(sweeps, null, 2) + "\n");
    return;
  }
  if (sweeps.length === 0) {
    say(`no sweeps yet in ${store.home}; create one with g sweep sweep.yaml`);
    return;
  }
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
    s.name,
  ]);
  const table = renderRows(headers, rows, { color: false, width: process.stdout.isTTY ? process.stdout.columns : undefined });
  process.stdout.write(table.endsWith("\n") ? table : table + "\n");
}
