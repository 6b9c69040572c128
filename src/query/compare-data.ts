// The comparison data (pure): the one function that turns selected runs into
// columns and rows, which the table, CSV, JSON and the interactive view all
// present. Filtering (--filter), sorting (-m/-M), --top and the column
// choices (-c, --skip-core, --skip-unchanged) all happen here.

import type { CellMemo, CellRange, CellTexts, NameCollector, Run, RunFields, RunRecord, ScalarSummary } from "../store/types.js";
import {
  CORE_ATTRIBUTES,
  attributeHeader,
  checkColumnKnown,
  columnKey,
  parseColumn,
  parseColumns,
  resolveColumn,
  type Attribute,
  type ColumnRef,
  type KnownNames,
  type ResolvedColumn,
} from "./columns.js";
import { parseTop } from "./top.js";
import { runSeconds, runSecondsOf } from "./run-seconds.js";
import { evaluateFilter, filterColumns, parseFilter, type FilterValue } from "./filter.js";
import { formatDuration, formatTime, formatUtcFields, formatValue, localOffsetFinder, timeFormatterMs } from "../format/values.js";

export { runSeconds };

/**
 * The cells the store keeps ready-made in its index snapshot, made as this
 * builder makes them: a flag's value and a scalar's last value by formatValue,
 * a run's time by formatDuration, its started time by the local offset of its
 * hour (kept with the text: another zone's offset formats it anew). g compare
 * and g view hand it to the listing, which writes it into a new snapshot.
 */
export const SNAPSHOT_CELL_TEXTS: CellTexts = {
  value: formatValue,
  duration: formatDuration,
  offset: localOffsetFinder(),
  shifted: formatUtcFields,
};

/**
 * One selected run: its index in the newest-first list (1 = latest) and its
 * scalar summaries. A run served from the store's index also has `fields`,
 * the same values read in place: the builder reads those, so that neither its
 * record nor its summaries are built (a big table's memory and garbage).
 */
export interface CompareInputRun {
  index: number;
  run: Run;
  summaries: Record<string, ScalarSummary>;
  fields?: RunFields;
}

export interface CompareInput {
  runs: CompareInputRun[];
  /** `-c/--cols`: when given, the core columns (unless skipCore) then these, instead of every flag and scalar. */
  columns?: string;
  /** `-m/--min` columns, then `-M/--max` columns, in that precedence. */
  min?: string[];
  max?: string[];
  /** `-t/--top`: keep the first N rows after sorting. */
  top?: number;
  filter?: string;
  skipCore?: boolean;
  skipUnchanged?: boolean;
  /** Milliseconds since the epoch: the end of a running run's `time`. */
  now: number;
  /** Offers some rows to be made elsewhere (see RowOffload); without it, every row is made on this thread. */
  offload?: RowOffload;
}

/**
 * The cells of some rows, one string a block of ROW_BLOCK rows: cell i of
 * the j-th row ends at `ends[j * width + i]` in `texts[floor(j / ROW_BLOCK)]`
 * and starts where the cell before it ends (a block's first at 0). `seen` and
 * `other` say, a byte a column, whether a row that is not a batch had a
 * number there, or another present value.
 */
export interface RowCells {
  count: number;
  texts: string[];
  ends: Uint32Array;
  seen: Uint8Array;
  other: Uint8Array;
}

/**
 * Makes the cells of some of the rows elsewhere (a worker thread: see
 * src/commands/compare-rows.ts): given the runs in table order and the
 * columns, it takes the rows it can (`rows`, positions in `runs`, ascending)
 * and starts on them; `collect` waits for their cells (buildRowCells of those
 * rows), or gives null when that failed and they are to be made here. Null:
 * it takes none.
 */
export type RowOffload = (runs: CompareInputRun[], columns: ResolvedColumn[], now: number) => OffloadedRows | null;

export interface OffloadedRows {
  rows: Int32Array;
  collect(): RowCells | null;
}

/** A cell's value: number, text, boolean, or null when the run lacks it. */
export type CellValue = FilterValue;

export type ColumnKind = "core" | "flag" | "scalar";

export interface CompareColumn {
  /** Stable identity: `.time`, `=lr`, `last loss`, `min loss`. */
  key: string;
  /** core: a run attribute (from `.name` or the defaults); flag; scalar. */
  kind: ColumnKind;
  header: string;
  /** Every present value is a number: right-align, sort numerically. */
  numeric: boolean;
  source: ResolvedColumn;
}

export interface CompareRow {
  readonly index: number;
  readonly run: Run;
  readonly summaries: Record<string, ScalarSummary>;
  /** Raw values, one per column (numbers stay numbers; `started` is ISO text; `time` seconds). */
  readonly values: CellValue[];
  /** The same values as printed ("" when missing). */
  readonly cells: string[];
  /** `cells[i]`, without making the row's array of cells. */
  cell(i: number): string;
  /** `cells[i].length`, without making the cell's string. */
  cellLength(i: number): number;
  /** Where the row's cells are kept (the table pads them from there), when it keeps them so. */
  keptCells?(): KeptRowCells;
}

/**
 * A row's cells where RowCells keeps them: cell i ends at `ends[at + i]` in
 * `text` and starts where the cell before it ends, or at 0 when `at + i` is
 * `first` (the text's first cell).
 */
export interface KeptRowCells {
  readonly text: string;
  readonly ends: Uint32Array;
  readonly at: number;
  readonly first: number;
}

export interface CompareData {
  columns: CompareColumn[];
  rows: CompareRow[];
  /** True when the columns came from `-c/--cols` rather than the defaults. */
  explicitColumns: boolean;
  /** The `now` the data was built with (ms since the epoch): the end of a running run's time. */
  now: number;
}

/** Throws a UsageError when no selected run has the column's name (see checkColumnKnown). */
type ColumnCheck = (ref: ColumnRef, what: string) => void;

/** A sort key: a column and its direction. */
export interface SortKey {
  column: ResolvedColumn;
  descending: boolean;
}

export function buildCompareData(input: CompareInput): CompareData {
  const known = collectNames(input.runs);
  // Names are checked against every selected run, before filtering: a typo is an error, not an empty answer.
  const check = (ref: ColumnRef, what: string): void => {
    if (input.runs.length > 0) checkColumnKnown(ref, known, what);
  };

  let runs = input.runs;
  if (input.filter !== undefined && input.filter.trim() !== "") runs = runs.filter(compileFilter(input.filter, known, input.now, check));

  const sortKeys = [
    ...(input.min ?? []).map((c) => ({ column: resolveSortColumn(c, "-m/--min", known, check), descending: false })),
    ...(input.max ?? []).map((c) => ({ column: resolveSortColumn(c, "-M/--max", known, check), descending: true })),
  ];
  if (sortKeys.length > 0) runs = sortRuns(runs, sortKeys, input.now);

  if (input.top !== undefined) runs = runs.slice(0, parseTop(input.top));

  let columns = chooseColumns(input, runs === input.runs ? known : collectNames(runs), known, check);
  let getters = columns.map((c) => columnGetter(c.source, input.now));
  const width = getters.length;
  // A big table's rows are shared with a worker thread when the caller offers one (commands/compare-rows.ts):
  // it makes the cells of the rows it takes while this thread makes the rest, with the same code (buildRowCells).
  const sources = columns.map((c) => c.source);
  const away = input.offload?.(runs, sources, input.now) ?? null;
  let mine: Int32Array | null = null;
  if (away !== null) {
    const taken = new Uint8Array(runs.length);
    for (const k of away.rows) taken[k] = 1;
    mine = new Int32Array(runs.length - away.rows.length);
    for (let k = 0, m = 0; k < runs.length; k++) if (taken[k] === 0) mine[m++] = k;
  }
  const parts: RowCells[] = [buildRowCells(runs, sources, input.now, mine)];
  const positions: Array<Int32Array | null> = [mine];
  if (away !== null) {
    // The worker's cells, or (it failed) the same rows made here.
    parts.push(away.collect() ?? buildRowCells(runs, sources, input.now, away.rows));
    positions.push(away.rows);
  }
  const rows: Row[] = new Array<Row>(runs.length);
  let seen = columns.map(() => false);
  let other = columns.map(() => false);
  parts.forEach((part, p) => {
    const at = positions[p] ?? null;
    for (let j = 0; j < part.count; j++) {
      const k = at === null ? j : at[j]!;
      const block = Math.floor(j / ROW_BLOCK);
      rows[k] = new Row(runs[k]!, part.texts[block]!, part.ends, j * width, block * ROW_BLOCK * width, getters);
    }
    for (let i = 0; i < width; i++) {
      seen[i] ||= part.seen[i] === 1;
      other[i] ||= part.other[i] === 1;
    }
  });

  if (input.skipUnchanged && rows.length > 1) {
    const keep = columns.map((_, i) => rows.some((row) => row.cell(i) !== rows[0]!.cell(i)));
    columns = columns.filter((_, i) => keep[i]);
    getters = getters.filter((_, i) => keep[i]);
    seen = seen.filter((_, i) => keep[i]);
    other = other.filter((_, i) => keep[i]);
    const keptEnds = new Uint32Array(rows.length * getters.length);
    const texts: string[] = [];
    let end = 0;
    rows.forEach((row, k) => {
      const cells = row.cells.filter((_, i) => keep[i]);
      cells.forEach((text, i) => {
        texts.push(text);
        keptEnds[k * cells.length + i] = end += text.length;
      });
    });
    const text = texts.join("");
    rows.forEach((row, k) => (rows[k] = new Row(row.input, text, keptEnds, k * getters.length, 0, getters)));
  }
  columns.forEach((col, i) => (col.numeric = seen[i]! && !other[i]));
  return { columns, rows, explicitColumns: input.columns !== undefined, now: input.now };
}

/**
 * The cells of the rows `which` (positions in `runs`; null: every run) for
 * these columns: the builder's loop over a big table's two million cells,
 * which a worker thread runs too (on the rows it is offered) so that both
 * make cells the same way.
 */
export function buildRowCells(runs: CompareInputRun[], columns: ResolvedColumn[], now: number, which: Int32Array | null): RowCells {
  // One getter and one formatter per column, chosen once: a big table has millions of cells.
  const getters = columns.map((c) => columnGetter(c, now));
  const formatters = columns.map((c) => cellFormatter(c));
  // A flag column's fast path remembers texts by the value's number: it formats with formatValue itself.
  const fastCells = columns.map((c, i) => fastCell(c, c.type === "flag" ? formatValue : formatters[i]!));
  // The columns a run's kept cells fill at once (flags, then scalars' last values), when there are some.
  const span = keptCellSpan(columns);
  const range = span?.range;
  const spanStart = span?.start ?? -1;
  const spanEnd = span?.end ?? -1;
  // Numeric: at least one number and nothing but numbers or gaps, seen while the cells are made.
  const width = columns.length;
  const seen = new Uint8Array(width);
  const other = new Uint8Array(width);
  const count = which === null ? runs.length : which.length;
  // The rows keep their printed cells only, as one string for all and where each cell ends in it: a table
  // of 100 000 runs then holds one string instead of two million cells, which the garbage collector moved
  // at every scavenge. Raw values are got again when a presenter asks (CSV, JSON's -c columns, the view's
  // sort), so no value arrays are kept either.
  const ends = new Uint32Array(count * width);
  const texts: string[] = [];
  const lines: string[] = [];
  const parts: string[] = new Array<string>(width);
  // Row j's cells, from `end` (where the row before ends in this block's text): pushed to `lines`, the end given back.
  // A function of its own, so the loop over rows stays small: the first block boundary then costs the optimised
  // code of a two-line loop, not of the whole row's work (met after the loop was optimised, it is thrown away).
  const addRow = (r: CompareInputRun, j: number, end: number): number => {
    // A batch row holds its search spec ("[-2:2]") where its trials hold numbers: it does not make the column text.
    const batch = isBatchRow(r);
    const fields = r.fields;
    for (let i = 0; i < width; i++) {
      if (i === spanStart && fields?.rangeText !== undefined) {
        const text = fields.rangeText(range!);
        if (text !== undefined) {
          parts[i] = text;
          const { lengths, kinds } = range!;
          for (let k = 0; k < spanEnd - spanStart; k++) {
            if (k > 0) parts[i + k] = "";
            end += lengths[k]!;
            ends[j * width + i + k] = end;
            if (!batch && kinds[k] !== 0) {
              if (kinds[k] === 1) seen[i + k] = 1;
              else other[i + k] = 1;
            }
          }
          i = spanEnd - 1;
          continue;
        }
      }
      const fast = fastCells[i]!;
      let text = fields !== undefined && fast !== null ? fast.text(fields) : undefined;
      if (text !== undefined) {
        if (!batch) {
          if (fast!.memo.numeric) seen[i] = 1;
          else other[i] = 1;
        }
      } else {
        const v = getters[i]!(r);
        if (!batch) {
          if (typeof v === "number") seen[i] = 1;
          else if (v !== null) other[i] = 1;
        }
        text = v === null ? "" : formatters[i]!(v);
      }
      parts[i] = text;
      end += text.length;
      ends[j * width + i] = end;
    }
    lines.push(parts.join(""));
    return end;
  };
  let end = 0;
  for (let j = 0; j < count; j++) {
    if (j % ROW_BLOCK === 0 && j > 0) {
      texts.push(lines.join(""));
      lines.length = 0;
      end = 0;
    }
    end = addRow(runs[which === null ? j : which[j]!]!, j, end);
  }
  if (lines.length > 0) texts.push(lines.join(""));
  return { count, texts, ends, seen, other };
}

/** Columns of a table that runs' kept cells fill at once (see keptCellSpan): from `start` to `end` (exclusive). */
interface KeptCellSpan {
  start: number;
  end: number;
  range: CellRange;
}

/**
 * The longest span of flag columns then last-value scalar columns (a table's
 * default columns are all its flags, then all its scalars): a run whose flags
 * and scalars are those, in that order, gives their kept cells as one string
 * (RunFields.rangeText). Null when no span has two columns or more.
 */
function keptCellSpan(columns: ResolvedColumn[]): KeptCellSpan | null {
  let best: KeptCellSpan | null = null;
  for (let start = 0; start < columns.length;) {
    const flags: string[] = [];
    const scalars: string[] = [];
    let end = start;
    for (let c = columns[end]; c !== undefined && c.type === "flag" && scalars.length === 0; c = columns[++end]) flags.push(c.name);
    for (let c = columns[end]; c !== undefined && c.type === "scalar" && c.qualifier === "last"; c = columns[++end]) scalars.push(c.key);
    if (end === start) {
      start++;
      continue;
    }
    if (end - start >= 2 && (best === null || end - start > best.end - best.start)) {
      const lengths = new Uint32Array(end - start);
      best = { start, end, range: { flags, scalars, lengths, kinds: new Uint8Array(end - start) } };
    }
    start = end;
  }
  return best;
}

/**
 * Rows a string of RowCells holds: the rows' lines are joined a block at a
 * time, so that a big table's lines and their joined copy are never both held
 * whole (some 25 MB at 100 000 runs).
 */
export const ROW_BLOCK = 4096;

/**
 * The `--filter` language as a predicate over runs; throws UsageError for a bad
 * expression. `known` is what names resolve against (collectRunNames of the runs
 * the filter may see), so the interactive view filters with the same rules.
 * `check` (g compare's --filter) refuses names no selected run has.
 */
export function compileFilter(text: string, known: KnownNames, now: number, check?: ColumnCheck): (r: CompareInputRun) => boolean {
  const expr = parseFilter(text);
  const getters = new Map<ColumnRef, (r: CompareInputRun) => CellValue>();
  for (const ref of filterColumns(expr)) {
    check?.(ref, "--filter");
    getters.set(ref, columnGetter(resolveColumn(ref, known), now));
  }
  return (r) => evaluateFilter(expr, (ref) => getters.get(ref)!(r));
}

/** The flag and scalar names of runs, for resolving column names against. */
export function collectRunNames(runs: CompareInputRun[]): KnownNames {
  return collectNames(runs);
}

/** Sorts runs by the keys in order; runs missing a key's value come last whichever the direction. Stable. */
export function sortRuns<T extends CompareInputRun>(runs: T[], keys: SortKey[], now: number): T[] {
  const getters = keys.map((k) => columnGetter(k.column, now));
  const decorated = runs.map((r, i) => ({ r, i, v: getters.map((get) => get(r)) }));
  decorated.sort((a, b) => {
    for (const [k, key] of keys.entries()) {
      const c = compareCells(a.v[k]!, b.v[k]!, key.descending);
      if (c !== 0) return c;
    }
    return a.i - b.i;
  });
  return decorated.map((d) => d.r);
}

/**
 * The one order of cell values, shared by -m/-M and the interactive view's
 * sort: missing values last in either direction, numbers before text (so a
 * numeric column with a stray string still sorts), text by code unit.
 */
export function compareCells(a: CellValue, b: CellValue, descending: boolean): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
  let c: number;
  if (typeof a === "number" && typeof b === "number") c = a - b;
  else if (typeof a === "number") c = -1;
  else if (typeof b === "number") c = 1;
  else c = String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  return descending ? -c : c;
}

function resolveSortColumn(text: string, what: string, known: KnownNames, check: ColumnCheck): ResolvedColumn {
  const spec = parseColumn(text, what);
  check(spec.ref, what);
  return resolveColumn(spec.ref, known, spec.as);
}

function collectNames(runs: CompareInputRun[]): { scalars: Set<string>; flags: Set<string>; scalarOrder: string[]; flagOrder: string[] } {
  // Runs read in place add their names by string number (a name already added costs a look at a byte).
  const into: NameCollector = { flags: new Set<string>(), scalars: new Set<string>(), marks: new Map() };
  const { flags, scalars } = into;
  for (const r of runs) {
    if (r.fields !== undefined) {
      r.fields.collectNames(into);
      continue;
    }
    for (const k of Object.keys(r.run.record.flags)) flags.add(k);
    for (const k of Object.keys(r.summaries)) scalars.add(k);
  }
  // Flags and scalars in the order first seen, newest run first (as Guild does), which
  // keeps the order a script declares them in.
  return { scalars, flags, scalarOrder: [...scalars], flagOrder: [...flags] };
}

/**
 * The columns to show: the core ones unless skipped, then either the `-c`
 * list or every flag and scalar that the shown rows have (`shownNames`, so
 * `--top 5` of a mixed store is not padded with empty columns).
 */
function chooseColumns(
  input: CompareInput,
  shownNames: ReturnType<typeof collectNames>,
  known: KnownNames,
  check: ColumnCheck,
): CompareColumn[] {
  const out: CompareColumn[] = [];
  const seen = new Set<string>();
  const add = (source: ResolvedColumn, kind: ColumnKind): void => {
    const key = columnKey(source);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ key, kind, header: source.header, numeric: false, source });
  };
  if (!input.skipCore) {
    for (const attr of CORE_ATTRIBUTES) add({ type: "attr", attr, header: attributeHeader(attr) }, "core");
  }
  if (input.columns !== undefined) {
    for (const spec of parseColumns(input.columns)) {
      check(spec.ref, "-c/--cols");
      // --skip-core leaves out the default core columns only; a `.name` asked for with -c stays.
      const col = resolveColumn(spec.ref, known, spec.as);
      add(col, kindOf(col));
    }
    return out;
  }
  const scalarNames = new Set(shownNames.scalarOrder);
  for (const name of shownNames.flagOrder) {
    // A flag sharing its name with a scalar is headed `=name` so the two can be told apart.
    add({ type: "flag", name, header: scalarNames.has(name) ? `=${name}` : name }, "flag");
  }
  for (const key of shownNames.scalarOrder) add({ type: "scalar", key, qualifier: "last", header: key }, "scalar");
  return out;
}

function kindOf(col: ResolvedColumn): ColumnKind {
  return col.type === "attr" ? "core" : col.type;
}

function columnGetter(col: ResolvedColumn, now: number): (r: CompareInputRun) => CellValue {
  switch (col.type) {
    case "flag": {
      const name = col.name;
      return (r) => {
        const v = r.fields !== undefined ? r.fields.flag(name) : r.run.record.flags[name];
        return v === undefined ? null : v;
      };
    }
    case "scalar": {
      const { key, qualifier } = col;
      return (r) => {
        if (r.fields !== undefined) return r.fields.scalar(key, qualifier) ?? null;
        const s = r.summaries[key];
        if (s === undefined) return null;
        const v = s[qualifier];
        return v === undefined ? null : v;
      };
    }
    case "attr": {
      const attr = col.attr;
      return (r) => attributeValue(attr, r, now);
    }
  }
}

/** A field of the run's record: read in place for a run from the index, else from its record. */
function recordField<K extends keyof RunRecord & string>(r: CompareInputRun, name: K): RunRecord[K] | undefined {
  return r.fields !== undefined ? (r.fields.field(name) as RunRecord[K] | undefined) : r.run.record[name];
}

function attributeValue(attr: Attribute, r: CompareInputRun, now: number): CellValue {
  switch (attr) {
    case "index":
      return r.index;
    case "short_id":
      return r.run.id.slice(0, 8);
    case "id":
      return r.run.id;
    case "op":
      return recordField(r, "op") as string;
    case "started":
      return recordField(r, "started") ?? null;
    case "created":
      return recordField(r, "created") || null;
    case "stopped":
      return recordField(r, "stopped") ?? null;
    case "time": {
      // From the times' numbers when the run has them: no Date.parse.
      const started = r.fields?.timeMs("started") ?? NaN;
      const stopped = r.fields?.timeMs("stopped") ?? NaN;
      if (!Number.isNaN(started) && !Number.isNaN(stopped)) return Math.max(0, (stopped - started) / 1000);
      return runSecondsOf(recordField(r, "started"), recordField(r, "stopped"), r.run.status, now);
    }
    case "status":
      return r.run.status;
    case "label":
      return recordField(r, "label") || null;
    case "exit_status":
      return recordField(r, "exit_status") ?? null;
    case "tags": {
      const tags = recordField(r, "tags") as string[];
      return tags.length > 0 ? tags.join(" ") : null;
    }
    case "batch": {
      const batch = recordField(r, "batch");
      return typeof batch === "string" ? batch.slice(0, 8) : null;
    }
    case "trial": {
      const trial = recordField(r, "trial");
      return typeof trial === "number" ? trial : null;
    }
    case "sweep": {
      const sweep = recordField(r, "sweep");
      return typeof sweep === "string" ? sweep : null;
    }
    case "optimizer": {
      const optimizer = recordField(r, "optimizer");
      return typeof optimizer === "string" ? optimizer : null;
    }
    case "description": {
      const description = recordField(r, "description");
      return typeof description === "string" && description !== "" ? description : null;
    }
    case "parent": {
      const parent = recordField(r, "parent");
      return typeof parent === "string" ? parent.slice(0, 8) : null;
    }
    case "prefix": {
      const prefix = recordField(r, "prefix");
      return typeof prefix === "string" && prefix !== "" ? prefix : null;
    }
  }
}

/** A batch (grid/random/gp/tpe) run: the parent of trials, recording its optimizer. */
export function isBatchRecord(run: Run): boolean {
  return run.record.optimizer !== undefined && run.record.batch === undefined;
}

/** isBatchRecord of a selected run, read in place when it can be. */
function isBatchRow(r: CompareInputRun): boolean {
  return recordField(r, "optimizer") !== undefined && recordField(r, "batch") === undefined;
}

/**
 * A row of the comparison. Its run and summaries are the selected run's,
 * read through it: a run from the index builds them only if a presenter
 * asks (the JSON output, the interactive view), never for the table.
 */
class Row implements CompareRow, KeptRowCells {
  #values: CellValue[] | undefined;
  #cells: string[] | undefined;

  constructor(
    readonly input: CompareInputRun,
    /** The cells of the rows made with this one, one after the other (a string of RowCells' texts). */
    readonly text: string,
    /** Where each cell ends in `text`: `ends[at + i]` for cell i (RowCells' ends, shared by those rows). */
    readonly ends: Uint32Array,
    readonly at: number,
    /** `ends`' index of the first cell in `text` (it starts at 0 there). */
    readonly first: number,
    /** The columns' getters, which give `values` when first asked for. */
    private readonly getters: Array<(r: CompareInputRun) => CellValue>,
  ) {}

  get cells(): string[] {
    this.#cells ??= this.getters.map((_, i) => this.cell(i));
    return this.#cells;
  }

  cell(i: number): string {
    const k = this.at + i;
    return this.text.slice(k === this.first ? 0 : this.ends[k - 1], this.ends[k]);
  }

  keptCells(): KeptRowCells {
    return this;
  }

  cellLength(i: number): number {
    const k = this.at + i;
    return this.ends[k]! - (k === this.first ? 0 : this.ends[k - 1]!);
  }

  get values(): CellValue[] {
    this.#values ??= this.getters.map((get) => get(this.input));
    return this.#values;
  }

  get index(): number {
    return this.input.index;
  }

  get run(): Run {
    return this.input.run;
  }

  get summaries(): Record<string, ScalarSummary> {
    return this.input.summaries;
  }

  /** The run's fields read in place, when it has them: the view filters and sorts its rows as runs. */
  get fields(): RunFields | undefined {
    return this.input.fields;
  }
}

/** A flag column remembers at most this many distinct values' texts (a random search's are all distinct). */
const REMEMBERED_VALUES = 4096;

/** `format` with its answers remembered per value, up to REMEMBERED_VALUES of them. */
function rememberFormatted(format: (v: number | string | boolean) => string): (v: number | string | boolean) => string {
  const seen = new Map<number | string | boolean, string>();
  return (v) => {
    let text = seen.get(v);
    if (text === undefined) {
      text = format(v);
      if (seen.size < REMEMBERED_VALUES) seen.set(v, text);
    }
    return text;
  };
}

/**
 * A column's cell text straight from a run's fields, without its value: the
 * times from their numbers (no time string, no Date.parse, no Date a run), a
 * flag's or a scalar's with its name looked up once a column and a flag's
 * distinct values formatted once. `text` gives undefined where the run has no
 * value there (or no number for a time): then the value is got and formatted
 * as for any run. `memo.numeric` is whether the last text's value was a
 * number. Null for the columns that have no such path.
 */
interface FastCell {
  memo: CellMemo;
  text: (f: RunFields) => string | undefined;
}

function fastCell(col: ResolvedColumn, format: (v: number | string | boolean) => string): FastCell | null {
  if (col.type === "flag") {
    const { name } = col;
    const memo: CellMemo = { numeric: false };
    return { memo, text: (f) => f.flagText(name, format, memo) };
  }
  if (col.type === "scalar") {
    const { key, qualifier } = col;
    const memo: CellMemo = { numeric: true };
    return { memo, text: (f) => f.scalarText(key, qualifier, format, memo) };
  }
  const attr = col.attr;
  if (attr === "time") {
    return {
      memo: { numeric: true },
      text: (f) => {
        const kept = f.timeText?.("time", 0);
        if (kept !== undefined) return kept;
        const started = f.timeMs("started");
        const stopped = f.timeMs("stopped");
        return Number.isNaN(started) || Number.isNaN(stopped) ? undefined : formatDuration(Math.max(0, (stopped - started) / 1000));
      },
    };
  }
  if (attr === "started" || attr === "stopped" || attr === "created") {
    const offsetAt = localOffsetFinder();
    const format = timeFormatterMs(offsetAt);
    return {
      memo: { numeric: false },
      text: (f) => {
        const ms = f.timeMs(attr);
        if (Number.isNaN(ms)) return undefined;
        // The started cell the snapshot keeps, when it was made with this zone's offset for that hour.
        const kept = attr === "started" ? f.timeText?.("started", offsetAt(ms)) : undefined;
        return kept ?? format(ms);
      },
    };
  }
  return null;
}

/** How a column's present values are printed; chosen once per column. */
function cellFormatter(col: ResolvedColumn): (v: number | string | boolean) => string {
  if (col.type === "attr") {
    if (col.attr === "time") return (v) => (typeof v === "number" ? formatDuration(v) : String(v));
    if (col.attr === "started" || col.attr === "stopped" || col.attr === "created")
      return (v) => (typeof v === "string" ? formatTime(v) : String(v));
    return String;
  }
  // A count or a step is a whole number, shown in full.
  if (col.type === "scalar" && (col.qualifier === "count" || col.qualifier === "step")) return String;
  // A flag takes a few values over many runs (a grid, a choice): each is formatted once (a run read in
  // place: by the value's number, see fastCell).
  if (col.type === "flag") return rememberFormatted(formatValue);
  // Scalars to 6 significant digits; flags as given when short (lr=0.001 stays 0.001),
  // an optimizer's 17-digit proposals to 6 significant digits.
  return formatValue;
}
