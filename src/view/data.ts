// What `g view` shows, as the API's JSON (src/view/api.ts): the runs table
// (built by buildCompareData, the function behind `g compare`, on the runs
// `g compare` would select), one run's detail, down-sampled scalar series
// and a batch's or sweep's search summary. The store is read once per change
// version (the watcher in changes.ts bumps it), not once per request, and
// then only the runs that may have changed (the watcher names them), with a
// whole read at least every FULL_READ_MS; the table's rows are made again
// only for the runs reread.

import { existsSync } from "node:fs";
import { formatGRunCommand, quoteShellWord } from "../format/shell-words.js";
import { globalsScriptOf } from "../runner/paths.js";
import { NotFoundError, UsageError } from "../errors.js";
import { selectCompareRuns, type RunSelection } from "../query/select.js";
import { SNAPSHOT_CELL_TEXTS, buildCompareData, collectRunNames, type CompareInputRun } from "../query/compare-data.js";
import { checkColumnKnown, parseColumn, parseColumns, type ColumnRef } from "../query/columns.js";
import { filterColumns, parseFilter } from "../query/filter.js";
import { DEFAULT_OBJECTIVE, objectiveValue } from "../query/objective.js";
import { listSourceFiles, readOutputTailText } from "../store/viewer-files.js";
import { compareListedRuns, isListedRunStopped, isRunId, shortId, type RunStore, type RunWithSummaries } from "../store/store.js";
import { readSweep, SWEEP_ID_PATTERN } from "../store/sweeps.js";
import type { Dimension, Space } from "../flags/space.js";
import type { Objective, Run, RunRecord, ScalarRecord, ScalarSummary } from "../store/types.js";
import type { CompareData, CompareRow } from "../query/compare-data.js";
import type {
  ApiScalarSummary,
  RunChild,
  RunsRow,
  RunDetail,
  RunsResponse,
  ScalarSeries,
  ScalarsMissing,
  ScalarsResponse,
  ScalarsX,
  SearchDim,
  SearchResponse,
  SearchTrial,
} from "./api.js";
import { computeImportance } from "./importance.js";
import { downsampleLttb } from "./lttb.js";

/** Points per series when the request does not say (the contract's default). */
export const DEFAULT_SERIES_POINTS = 1000;
/** Most points per series a request may ask for. */
export const MAX_SERIES_POINTS = 100_000;
/**
 * While the store changes, every run is read again at least this often (ms); between, a change
 * rereads only the runs the change watcher names and the running ones. What the watcher cannot
 * see (a record rewritten in place, same size, within the file system's clock tick; a dead
 * process's pid taken by another) shows then.
 */
export const FULL_READ_MS = 30_000;
/** More changed runs than this share of the store (and than REREAD_MIN_RUNS) are read with the rest, in one listing. */
const REREAD_MAX_SHARE = 0.05;
const REREAD_MIN_RUNS = 200;

/** The parameters of `GET /api/runs`. */
export interface RunsQuery {
  filter?: string;
  cols?: string;
  min?: string[];
  max?: string[];
}

/** Refuses a flag or scalar that none of the selected runs has (a typo would otherwise show no rows). */
function checkKnownColumns(refs: ColumnRef[], snap: Snapshot): void {
  if (refs.length === 0 || snap.selected.length === 0) return;
  if (!snap.names) {
    const flags = new Set<string>();
    const scalars = new Set<string>();
    for (const r of snap.selected) {
      for (const k of Object.keys(r.run.record.flags)) flags.add(k);
      for (const k of Object.keys(r.summaries)) scalars.add(k);
    }
    snap.names = { flags, scalars };
  }
  const { flags, scalars } = snap.names;
  for (const ref of refs) {
    if (ref.type === "flag" && !flags.has(ref.name)) throw new UsageError(`unknown flag "=${ref.name}": no run shown has it`);
    if (ref.type === "scalar" && !scalars.has(ref.key)) throw new UsageError(`unknown scalar "${ref.key}": no run shown logged it`);
    if (ref.type === "bare" && !flags.has(ref.name) && !scalars.has(ref.name))
      throw new UsageError(`unknown column "${ref.name}": no run shown has a flag or scalar of that name`);
  }
}

interface Snapshot {
  version: number;
  /** The whole store, newest first (for children, searches and details). */
  all: RunWithSummaries[];
  /** The ids of its runs not yet finished (what the change watcher stats). */
  unfinished: string[];
  /** The ids of its running runs: reread at every change, since a process that dies changes no file. */
  live: string[];
  /** The command line's selection, after its --filter. */
  selected: CompareInputRun[];
  warnings: string[];
  /** The flag and scalar names of the selected runs, worked out on first need. */
  names?: { flags: Set<string>; scalars: Set<string> };
}

/** What `g view` is given besides RUN specs: `g compare`'s selection options, `--filter` and `-c`. */
export type ViewDataOptions = RunSelection & {
  filter?: string;
  /** `-c COLS`, repeatable: each a `g compare -c` list; together the table's columns. */
  cols?: string[];
};

/** An `/api/runs` answer kept as text, a row at a time: sent again to another page, or compared with a later one. */
interface RunsText {
  version: number;
  columns: string;
  ids: string[];
  rows: string[];
  /** Each row's run and index: a later answer with the same columns takes a finished run's row text from here. */
  runs: CompareRow["run"][];
  indexes: Int32Array;
  warnings: string;
  total: number;
}

/** Answers kept per query (filter, cols, sort): this one and the one before, so that two pages both get deltas. */
const RUNS_TEXTS_KEPT = 2;
/** Distinct queries kept (each page's filter); the least recently asked is dropped first. */
const RUNS_QUERIES_KEPT = 4;

export class ViewData {
  private snapshot: Snapshot | null = null;
  private columnsChecked = false;
  /** Query key → its latest answers as text, oldest first. */
  private runsTexts = new Map<string, RunsText[]>();
  /** The runs the change watcher named since the last read (noteChanged). */
  private pending = new Set<string>();
  /** When every run was last read (the clock's ms). */
  private fullReadAt = -Infinity;

  constructor(
    readonly store: RunStore,
    readonly specs: string[],
    readonly options: ViewDataOptions,
    /** Milliseconds since the epoch: a running run's time, and when to read every run again. */
    private readonly clock: () => number = Date.now,
  ) {}

  /** Runs that may have changed since the last read (appeared, gone, edited): the next read of a new version rereads them. */
  noteChanged(ids: Iterable<string>): void {
    for (const id of ids) this.pending.add(id);
  }

  /** `-c` as one column list (each value is a list of its own), or undefined for g compare's default columns. */
  private get defaultCols(): string | undefined {
    const cols = (this.options.cols ?? []).filter((c) => c.trim() !== "");
    return cols.length === 0 ? undefined : cols.join(", ");
  }

  /**
   * Reads the store and applies the selection; cached until the version changes. Throws on a bad
   * command line. After the first read, a new version rereads only the runs noted as changed and
   * the running ones, unless FULL_READ_MS have passed since every run was read.
   */
  load(version: number): Snapshot {
    if (this.snapshot && this.snapshot.version === version) return this.snapshot;
    const now = this.clock();
    const before = this.snapshot;
    let listed = before !== null && now - this.fullReadAt < FULL_READ_MS ? this.rereadChanged(before) : null;
    if (listed === null) {
      this.fullReadAt = now;
      listed = this.store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS);
    }
    this.pending.clear();
    const { runs, warnings } = listed;
    let selected: CompareInputRun[] = selectCompareRuns(runs, this.specs, this.options, (spec) => readSweep(this.store.home, spec).id).runs;
    if (this.options.filter !== undefined && this.options.filter.trim() !== "") {
      // Only the filter matters here: one cheap column instead of the whole table.
      const data = buildCompareData({ runs: selected, columns: ".id", skipCore: true, filter: this.options.filter, now });
      selected = data.rows.map((r) => ({ index: r.index, run: r.run, summaries: r.summaries }));
    }
    if (!this.columnsChecked) {
      this.checkCommandColumns(selected);
      this.columnsChecked = true;
    }
    const unfinished = runs.filter((r) => !isListedRunStopped(r.run));
    const live = unfinished.filter((r) => r.run.status === "running").map((r) => r.run.id);
    this.snapshot = { version, all: runs, unfinished: unfinished.map((r) => r.run.id), live, selected, warnings };
    return this.snapshot;
  }

  /**
   * The store as `before` listed it, with the runs noted as changed and its running ones read
   * again from their files (records, status, summaries: as a listing reads a run it has no index
   * entry for) and put in the listing's order; a run gone is left out. Null when a listing is the
   * better read: many runs changed, or one is damaged (the listing's warnings say which, in its order).
   */
  private rereadChanged(before: Snapshot): { runs: RunWithSummaries[]; warnings: string[] } | null {
    const ids = new Set([...this.pending, ...before.live]);
    if (ids.size === 0) return { runs: before.all, warnings: before.warnings };
    if (ids.size > Math.max(REREAD_MIN_RUNS, before.all.length * REREAD_MAX_SHARE)) return null;
    if (before.warnings.some((w) => [...ids].some((id) => w.includes(id)))) return null;
    const reads = this.store.rereadRuns([...ids]);
    const fresh: RunWithSummaries[] = [];
    for (const read of reads) {
      if (read === null) continue; // gone: deleted, or moved to the trash
      if ("warning" in read) return null;
      fresh.push(read);
    }
    const kept = before.all.filter((r) => !ids.has(r.run.id));
    return { runs: mergeListed(kept, fresh.sort(compareListedRuns)), warnings: before.warnings };
  }

  /**
   * `-c` as `g compare -c` reads it, before the server starts: the same grammar and the same
   * "did you mean" for a name no selected run has. Each value is parsed alone, so an error's
   * column number is a column of what was typed.
   */
  private checkCommandColumns(selected: CompareInputRun[]): void {
    const refs = (this.options.cols ?? []).flatMap((cols) => parseColumns(cols).map((c) => c.ref));
    if (refs.length === 0 || selected.length === 0) return;
    const known = collectRunNames(selected);
    for (const ref of refs) checkColumnKnown(ref, known, "-c/--cols");
  }

  /** Drops the cached snapshot: the next load reads the store (after a command changed runs, e.g. the reaper). */
  forget(): void {
    this.snapshot = null;
    this.runsTexts.clear();
  }

  /** The ids of the runs not yet finished in the last snapshot (what the change watcher stats). */
  unfinishedIds(): string[] {
    return this.snapshot?.unfinished ?? [];
  }

  /** The runs table of a query on a version: a bad filter or unknown column is a UsageError (HTTP 400). */
  private compare(version: number, query: RunsQuery): { data: CompareData; snap: Snapshot } {
    const snap = this.load(version);
    const filter = query.filter?.trim();
    // g compare reads an unknown name as an empty column; a page's filter box says so instead.
    const refs: ColumnRef[] = [];
    if (filter) refs.push(...filterColumns(parseFilter(filter)));
    if (query.cols?.trim()) refs.push(...parseColumns(query.cols).map((c) => c.ref));
    for (const m of query.min ?? []) refs.push(parseColumn(m, "min").ref);
    for (const m of query.max ?? []) refs.push(parseColumn(m, "max").ref);
    checkKnownColumns(refs, snap);
    const data = buildCompareData({
      runs: snap.selected,
      // the page's cols, else the command line's -c (checked when the server started)
      columns: query.cols?.trim() ? query.cols : this.defaultCols,
      min: query.min,
      max: query.max,
      filter: filter || undefined,
      now: this.clock(),
    });
    return { data, snap };
  }

  /** `GET /api/runs`: a bad filter or unknown column is a UsageError (HTTP 400). */
  runs(version: number, query: RunsQuery = {}): RunsResponse {
    const { data, snap } = this.compare(version, query);
    return {
      columns: apiColumns(data),
      rows: data.rows.map(apiRow),
      warnings: snap.warnings,
      version,
      total: snap.selected.length,
    };
  }

  /**
   * `GET /api/runs` as JSON text, built once per version and query (every open page asks after
   * each change). With `since`, the version of the answer the page holds: when the table has the
   * same columns and the same runs in the same order as then (a running run logged, finished, or
   * its time went on), only the rows that differ, as a `RunsDelta`; otherwise the whole table.
   * A finished run's row whose run was not reread (the same object) at the same index under the
   * same columns is the text of the answer before: a change costs the rows of the runs it touched.
   */
  runsBody(version: number, query: RunsQuery = {}, since?: number): string {
    const key = JSON.stringify([query.filter?.trim() ?? "", query.cols?.trim() ?? "", query.min ?? [], query.max ?? []]);
    let kept = this.runsTexts.get(key) ?? [];
    this.runsTexts.delete(key);
    let now = kept.find((t) => t.version === version);
    if (now === undefined) {
      const { data, snap } = this.compare(version, query);
      const columns = JSON.stringify(apiColumns(data));
      const rows = data.rows;
      const last = kept.filter((t) => t.version < version).at(-1);
      const before = last !== undefined && last.columns === columns ? last : undefined;
      const at = before === undefined ? undefined : new Map(before.runs.map((run, i) => [run, i]));
      const texts = rows.map((row) => {
        const i = at?.get(row.run);
        if (i !== undefined && before!.indexes[i] === row.index && isListedRunStopped(row.run)) return before!.rows[i]!;
        return JSON.stringify(apiRow(row));
      });
      now = {
        version,
        columns,
        ids: rows.map((row) => row.run.id),
        rows: texts,
        runs: rows.map((row) => row.run),
        indexes: Int32Array.from(rows, (row) => row.index),
        warnings: JSON.stringify(snap.warnings),
        total: snap.selected.length,
      };
      kept = [...kept.filter((t) => t.version < version), now].slice(-RUNS_TEXTS_KEPT);
    }
    this.runsTexts.set(key, kept);
    while (this.runsTexts.size > RUNS_QUERIES_KEPT) this.runsTexts.delete(this.runsTexts.keys().next().value!);
    const base = since === undefined ? undefined : kept.find((t) => t.version === since);
    if (base !== undefined && base.columns === now.columns && sameIds(base.ids, now.ids)) {
      const changed: string[] = [];
      for (let i = 0; i < now.rows.length; i++) if (now.rows[i] !== base.rows[i]) changed.push(`{"at":${i},"row":${now.rows[i]}}`);
      return `{"delta":true,"base":${base.version},"version":${version},"total":${now.total},"warnings":${now.warnings},"changed":[${changed.join(",")}]}`;
    }
    return `{"columns":${now.columns},"rows":[${now.rows.join(",")}],"warnings":${now.warnings},"version":${version},"total":${now.total}}`;
  }

  /** The ids of the selected runs, newest first. */
  selectedIds(version: number): string[] {
    return this.load(version).selected.map((r) => r.run.id);
  }

  /** `GET /api/run/<id>`: any run of the store by id or unique prefix; NotFoundError for an unknown or damaged one. */
  detail(version: number, id: string, outputTailBytes?: number): RunDetail {
    const run = this.readRun(version, id);
    const snap = this.load(version);
    const rec = run.record;
    const children: RunChild[] = [];
    const sweep = typeof rec.sweep === "string" ? rec.sweep : null;
    for (const r of snap.all) {
      const c = r.run.record;
      if (c.batch === run.id || (sweep !== null && c.sweep === sweep)) {
        children.push({
          id: r.run.id,
          shortId: shortId(r.run.id),
          status: r.run.status,
          trial: typeof c.trial === "number" ? c.trial : null,
        });
      }
    }
    children.sort((a, b) => (a.trial ?? Infinity) - (b.trial ?? Infinity));
    const detail: RunDetail = {
      id: run.id,
      shortId: shortId(run.id),
      status: run.status,
      op: rec.op,
      label: rec.label ?? "",
      tags: rec.tags ?? [],
      flags: rec.flags,
      started: rec.started ?? null,
      stopped: rec.stopped ?? null,
      exit_status: rec.exit_status ?? null,
      cmd: rec.cmd ?? [],
      command: this.commandLine(run),
      batch: typeof rec.batch === "string" ? rec.batch : null,
      trial: typeof rec.trial === "number" ? rec.trial : null,
      sweep,
      summaries: toApiSummaries(this.store.readSummaries(run)),
      children,
      outputTail: readOutputTailText(run, outputTailBytes),
      sourceFiles: listSourceFiles(run),
    };
    if (typeof rec.description === "string") detail.description = rec.description;
    return detail;
  }

  /**
   * The run's command as a line to copy, as `g runs info` shows it: its argv
   * shell-quoted, or a globals-style script's `g run` line. Flags an SDK
   * logged inside the run (params.json) are left out of that line, since `g
   * run` refuses names the script does not declare (`g runs info` inspects
   * the script to keep a declared one; the server runs no inspection).
   */
  private commandLine(run: Run): string {
    const cmd = run.record.cmd ?? [];
    const script = globalsScriptOf(cmd);
    if (script === null) return cmd.map(quoteShellWord).join(" ");
    const sdk = this.store.readSdkParams(run);
    const flags = Object.entries(run.record.flags).filter(([name]) => sdk === null || !(name in sdk));
    return formatGRunCommand(script, Object.fromEntries(flags));
  }

  /** A run of the store by full id or unique prefix, read fresh (a running run changes between versions). */
  readRun(version: number, spec: string): Run {
    const id = this.resolveRunId(version, spec);
    try {
      return this.store.readRun(id);
    } catch (err) {
      if (err instanceof NotFoundError) throw err;
      throw new NotFoundError(`run ${id} cannot be read: ${(err as Error).message}`);
    }
  }

  /**
   * A full run id for an id or a prefix of one, as the command line takes them (`#/run/07070707`).
   * A prefix is looked up among the readable runs; one that several share is a UsageError naming them.
   */
  resolveRunId(version: number, spec: string): string {
    const wanted = spec.toLowerCase();
    if (isRunId(wanted)) return wanted;
    if (!/^[0-9a-f]{1,31}$/.test(wanted)) throw new NotFoundError(`no run ${spec}`);
    const hits = this.load(version).all.filter((r) => r.run.id.startsWith(wanted));
    if (hits.length === 1) return hits[0]!.run.id;
    if (hits.length === 0) throw new NotFoundError(`no run ${spec}`);
    const names = hits.slice(0, 6).map((r) => `${r.run.id.slice(0, Math.max(wanted.length + 2, 8))} (${r.run.record.op})`);
    throw new UsageError(`run "${spec}" is ambiguous: ${names.join(", ")}${hits.length > 6 ? ", ..." : ""}; give more of the id`);
  }

  /**
   * `GET /api/scalars`: one series per (run, key), LTTB-down-sampled to at most `points`. A run
   * that is gone or cannot be read is named in `missing`; the others' series still come.
   */
  scalars(version: number, ids: string[], x: ScalarsX, points: number): ScalarsResponse {
    const series: ScalarSeries[] = [];
    const missing: ScalarsMissing[] = [];
    for (const spec of ids) {
      let runSeries: ScalarSeries[];
      try {
        runSeries = this.runSeries(this.readRun(version, spec), x, points);
      } catch (err) {
        missing.push(this.describeMissing(spec, err));
        continue;
      }
      series.push(...runSeries);
    }
    return { x, series, missing };
  }

  /** Why a run asked for by the curves cannot be drawn: deleted (in the trash), unknown, or damaged. */
  private describeMissing(spec: string, err: unknown): ScalarsMissing {
    const id = spec.toLowerCase();
    const short = id.slice(0, 8);
    if (err instanceof UsageError && !(err instanceof NotFoundError)) return { run: spec, reason: "not-found", message: err.message };
    if (isRunId(id) && !existsSync(this.store.runDir(id)) && existsSync(this.store.runDir(id, true)))
      return { run: spec, reason: "deleted", message: `run ${short} was deleted` };
    if (!isRunId(id) || !existsSync(this.store.runDir(id))) return { run: spec, reason: "not-found", message: `no run ${spec}` };
    // The store's message names the folder; the page says what is wrong.
    const reason = ((err as Error)?.message ?? String(err)).replace(/^run \S+ cannot be read( \([^)]*\))?:\s*/, "");
    return { run: spec, reason: "damaged", message: `run ${short} cannot be read: ${reason.split("\n")[0]}` };
  }

  /** One run's series (x = step, or seconds since it started). */
  runSeries(run: Run, x: ScalarsX, points: number): ScalarSeries[] {
    return seriesOf(run, this.store.readScalars(run.id), x, points);
  }

  /** `GET /api/search/<id>`: a batch (run id or prefix) or a sweep (its id); NotFoundError when neither. */
  search(version: number, spec: string): SearchResponse {
    const snap = this.load(version);
    const wanted = spec.toLowerCase();
    if (!/^[0-9a-f]{1,32}$/.test(wanted)) throw new NotFoundError(`no batch or sweep ${spec}`);
    const batchIds = new Set<string>();
    for (const r of snap.all) if (typeof r.run.record.batch === "string") batchIds.add(r.run.record.batch);
    const batches = snap.all.filter((r) => batchIds.has(r.run.id) && r.run.id.startsWith(wanted));
    if (batches.length === 1) {
      const batch = batches[0]!.run;
      const trials = snap.all.filter((r) => r.run.record.batch === batch.id);
      const record = this.batchRecord(batch);
      const space = (record.space ?? {}) as Space;
      return buildSearch(batch.id, trials[0]?.run.record.op ?? record.op, record.objective ?? DEFAULT_OBJECTIVE, space, trials);
    }
    if (batches.length > 1) throw new UsageError(`batch "${spec}" is ambiguous; give more of the id`);
    if (SWEEP_ID_PATTERN.test(wanted) || wanted.length < 8) {
      let sweepId: string;
      let config;
      try {
        const sweep = readSweep(this.store.home, wanted);
        sweepId = sweep.id;
        config = sweep.record.config;
      } catch (err) {
        if (err instanceof UsageError && !(err instanceof NotFoundError)) throw err;
        throw new NotFoundError(`no batch or sweep ${spec}`);
      }
      const trials = snap.all.filter((r) => r.run.record.sweep === sweepId);
      const objective: Objective = config.metric ? { column: config.metric.name, goal: config.metric.goal } : DEFAULT_OBJECTIVE;
      return buildSearch(sweepId, config.program || `sweep:${sweepId}`, objective, config.space, trials);
    }
    throw new NotFoundError(`no batch or sweep ${spec}`);
  }

  /**
   * A batch's whole record. A batch served from the store's index has no `space` (the index
   * leaves it out, with cmd and points: docs/architecture.md), so its own run.json is read: one
   * file, for the one batch asked for.
   */
  private batchRecord(batch: Run): RunRecord {
    if (batch.record.space !== undefined) return batch.record;
    try {
      return this.store.readRun(batch.id).record;
    } catch {
      return batch.record;
    }
  }

  /** The batches and sweeps the selected runs belong to (for the export's search pages). */
  searchIds(version: number): string[] {
    const ids = new Set<string>();
    for (const r of this.load(version).selected) {
      const rec = r.run.record;
      if (typeof rec.batch === "string") ids.add(rec.batch);
      if (typeof rec.sweep === "string") ids.add(rec.sweep);
    }
    return [...ids];
  }
}

/** The table's columns as the API gives them. */
function apiColumns(data: CompareData): RunsResponse["columns"] {
  return data.columns.map((c) => ({ key: c.key, header: c.header, kind: c.kind, numeric: c.numeric }));
}

/** A table row as the API gives it. */
function apiRow(row: CompareRow): RunsRow {
  const r = row.run.record;
  return {
    id: row.run.id,
    shortId: shortId(row.run.id),
    index: row.index,
    status: row.run.status,
    label: r.label ?? "",
    op: r.op,
    batch: typeof r.batch === "string" ? r.batch : null,
    trial: typeof r.trial === "number" ? r.trial : null,
    sweep: typeof r.sweep === "string" ? r.sweep : null,
    values: row.values,
    cells: row.cells,
  };
}

/** Two runs lists each in the listing's order, as one (`fresh` is short: each of its runs is placed by a binary search). */
function mergeListed(kept: RunWithSummaries[], fresh: RunWithSummaries[]): RunWithSummaries[] {
  if (fresh.length === 0) return kept;
  const out: RunWithSummaries[] = [];
  let from = 0;
  for (const run of fresh) {
    let lo = from;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareListedRuns(kept[mid]!, run) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let k = from; k < lo; k++) out.push(kept[k]!);
    out.push(run);
    from = lo;
  }
  for (let k = from; k < kept.length; k++) out.push(kept[k]!);
  return out;
}

function sameIds(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function toApiSummaries(s: Record<string, ScalarSummary>): Record<string, ApiScalarSummary> {
  const out: Record<string, ApiScalarSummary> = {};
  for (const [k, v] of Object.entries(s))
    out[k] = { last: v.last, first: v.first, min: v.min, max: v.max, avg: v.avg, count: v.count, step: v.step };
  return out;
}

/**
 * Groups a run's scalar records by key. x = the record's step (its position
 * among the key's values when the script gave none), or seconds since the
 * run started. Out-of-order x (a restarted run logging steps again) is sorted
 * so the chart and LTTB see ascending x.
 */
export function seriesOf(run: Run, records: ScalarRecord[], x: ScalarsX, points: number): ScalarSeries[] {
  const started = run.record.started ? Date.parse(run.record.started) / 1000 : records.length > 0 ? records[0]!.t : 0;
  const byKey = new Map<string, { xs: number[]; ys: number[]; sorted: boolean }>();
  for (const r of records) {
    if (!Number.isFinite(r.value)) continue;
    let s = byKey.get(r.key);
    if (!s) byKey.set(r.key, (s = { xs: [], ys: [], sorted: true }));
    const xv = x === "time" ? r.t - started : typeof r.step === "number" ? r.step : s.xs.length;
    if (s.xs.length > 0 && xv < s.xs[s.xs.length - 1]!) s.sorted = false;
    s.xs.push(xv);
    s.ys.push(r.value);
  }
  const out: ScalarSeries[] = [];
  for (const [key, s] of byKey) {
    let { xs, ys } = s;
    if (!s.sorted) {
      const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]! || a - b);
      xs = order.map((i) => s.xs[i]!);
      ys = order.map((i) => s.ys[i]!);
    }
    const d = downsampleLttb(xs, ys, points);
    out.push({ run: run.id, key, xs: d.xs, ys: d.ys });
  }
  return out;
}

function buildSearch(id: string, op: string, objective: Objective, space: Space, runs: RunWithSummaries[]): SearchResponse {
  const sorted = [...runs].sort((a, b) => (a.run.record.trial ?? Infinity) - (b.run.record.trial ?? Infinity));
  const trials: SearchTrial[] = sorted.map((r) => ({
    id: r.run.id,
    trial: typeof r.run.record.trial === "number" ? r.run.record.trial : null,
    status: r.run.status,
    flags: r.run.record.flags,
    value: safeObjective(objective, r.summaries),
  }));
  const dims: SearchDim[] = [];
  const categorical = new Set<string>();
  for (const [name, dim] of Object.entries(space ?? {})) {
    // A hand-edited or older batch record may hold anything here: such a dimension is left out.
    let d: SearchDim | null = null;
    try {
      d = typeof dim === "object" && dim !== null ? toSearchDim(name, dim, trials) : null;
    } catch {
      d = null;
    }
    if (!d) continue;
    dims.push(d);
    if (d.type === "categorical") categorical.add(name);
  }
  const importance = computeImportance(
    trials,
    dims.map((d) => d.name),
    categorical,
  );
  return { id, op, objective: { column: objective.column, goal: objective.goal === "maximize" ? "max" : "min" }, dims, trials, importance };
}

/** A malformed objective column in a hand-edited run.json gives no values rather than a failed page. */
function safeObjective(objective: Objective, summaries: Record<string, ScalarSummary>): number | null {
  try {
    return objectiveValue(objective, summaries);
  } catch {
    return null;
  }
}

/** A searched dimension as the page draws it; constants are not searched and are left out. */
function toSearchDim(name: string, dim: Dimension, trials: SearchTrial[]): SearchDim | null {
  switch (dim.type) {
    default:
      return null;
    case "const":
      return null;
    case "choice": {
      if (dim.values.every((v) => typeof v === "number")) {
        const nums = dim.values as number[];
        return {
          name,
          type: nums.every(Number.isInteger) ? "int" : "float",
          low: Math.min(...nums),
          high: Math.max(...nums),
          choices: dim.values,
        };
      }
      return { name, type: "categorical", choices: dim.values };
    }
    case "uniform":
      return { name, type: dim.integer ? "int" : "float", low: dim.low, high: dim.high };
    case "loguniform":
      return { name, type: "log", low: dim.low, high: dim.high };
    case "beta":
      return { name, type: "float", low: 0, high: 1 };
    case "normal":
    case "lognormal": {
      // Unbounded: the axis spans what the trials drew.
      const seen = trials.map((t) => t.flags[name]).filter((v): v is number => typeof v === "number");
      const d: SearchDim = { name, type: dim.type === "lognormal" ? "log" : "float" };
      if (seen.length > 0) {
        d.low = Math.min(...seen);
        d.high = Math.max(...seen);
      }
      return d;
    }
  }
}
