// JSON of the comparison (pure): an array with one object per row, holding
// the run's attributes, its flags and every scalar's full summary, so a
// script can pick any statistic without knowing the columns shown.

import { runSeconds, type CellValue, type CompareData } from "../query/compare-data.js";
import type { Flags, RunStatus, ScalarSummary } from "../store/types.js";

export interface CompareJsonRow {
  index: number;
  id: string;
  short_id: string;
  op: string;
  status: RunStatus;
  created: string;
  started: string | null;
  stopped: string | null;
  /** Seconds the run ran (up to now while running); null when not started. */
  time: number | null;
  exit_status: number | null;
  label: string;
  tags: string[];
  batch: string | null;
  trial: number | null;
  /** The enclosing run's id, for a child run (see docs/sdk.md). */
  parent: string | null;
  description: string | null;
  /** An SDK run's prefix (`alice/search/lr-0.1`). */
  prefix: string | null;
  flags: Flags;
  /** Key → last, first, min, max, avg, total, count, step. */
  scalars: Record<string, ScalarSummary>;
  /** Only with -c/--cols: header → raw value of each chosen column. */
  columns?: Record<string, CellValue>;
}

export function toJsonRows(data: CompareData): CompareJsonRow[] {
  return data.rows.map((row) => {
    const r = row.run.record;
    const out: CompareJsonRow = {
      index: row.index,
      id: row.run.id,
      short_id: row.run.id.slice(0, 8),
      op: r.op,
      status: row.run.status,
      created: r.created,
      started: r.started ?? null,
      stopped: r.stopped ?? null,
      time: runSeconds(row.run, data.now),
      exit_status: r.exit_status ?? null,
      label: r.label,
      tags: r.tags,
      batch: typeof r.batch === "string" ? r.batch : null,
      trial: typeof r.trial === "number" ? r.trial : null,
      parent: typeof r.parent === "string" ? r.parent : null,
      description: typeof r.description === "string" ? r.description : null,
      prefix: typeof r.prefix === "string" ? r.prefix : null,
      flags: r.flags,
      scalars: row.summaries,
    };
    if (data.explicitColumns) {
      out.columns = Object.fromEntries(data.columns.map((c, i) => [c.header, row.values[i] ?? null]));
    }
    return out;
  });
}

/** Renders the rows as a JSON array (2-space indent, no trailing newline). */
export function renderJson(data: CompareData): string {
  return JSON.stringify(toJsonRows(data), null, 2);
}
