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
  flagHeader,
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
import {
  escapeControlChars,
  formatDuration,
  formatTime,
  formatUtcFields,
  formatValue,
  localOffsetFinder,
  timeFormatterMs,
} from "../format/values.js";

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
}

/**
 * The cells of some rows, a block of ROW_BLOCK rows at a time: cell i of the
 * j-th row ends at `ends[j * width + i]` in `blocks[floor(j / ROW_BLOCK)]`
 * and starts where the cell before it ends (a block's first at 0). A block
 * is its cells' bytes when every one is ASCII (a byte a character: what a
 * big table is), else their text. `seen` and `other` say, a byte a column,
 * whether a row that is not a batch had a number there, or another present
 * value.
 */
export interface RowCells {
  count: number;
  blocks: Array<Buffer | string>;
  ends: Uint32Array;
  seen: Uint8Array;
  other: Uint8Array;
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
  /** The same values as printed ("" when missing, `null` for a flag recorded as null). */
  readonly cells: string[];
  /** `cells[i]`, without making the row's array of cells. */
  cell(i: number): string;
  /** `cells[i].length`, without making the cell's string. */
  cellLength(i: number): number;
  /**
   * Whether the run holds column i's value and it is null (a flag set to
   * null/None): `values[i]` is null then, as for a run that lacks it.
   */
  isNull(i: number): boolean;
}

/**
 * A row's cells where RowCells keeps them: cell i ends at `ends[at + i]` in
 * `block` and starts where the cell before it ends, or at 0 when `at + i` is
 * `first` (the block's first cell). The block is bytes (ASCII) or text.
 */
export interface KeptRowCells {
  readonly block: Buffer | string;
  readonly ends: Uint32Array;
  readonly at: number;
  readonly first: number;
}

/**
 * Every row's cells where the builder keeps them, by row number, without a
 * row object: what the table reads (a table of 100 000 runs then makes no
 * object a row). `row(r)` gives one object, filled anew at each call.
 */
export interface KeptCells {
  readonly count: number;
  row(r: number): KeptRowCells;
}

export interface CompareData {
  columns: CompareColumn[];
  /** The rows, made when first asked for (the table reads `cells` instead). */
  readonly rows: CompareRow[];
  /** The rows' cells as kept, by row number; `rows.length` of them. */
  cells: KeptCells;
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
  let nulls = columns.map((c) => nullTest(c.source));
  const made = buildRowCells(
    runs,
    columns.map((c) => c.source),
    input.now,
  );
  let seen = Array.from(made.seen, (b) => b === 1);
  let other = Array.from(made.other, (b) => b === 1);
  let cells = keptCellsOf(made, getters.length);
  // Row objects only when a presenter asks for them (CSV, JSON, the views): the table reads `cells`.
  let rows: Row[] | undefined;
  const makeRows = (): Row[] => {
    if (rows === undefined) {
      rows = new Array<Row>(runs.length);
      for (let k = 0; k < runs.length; k++) {
        const { block, ends, at, first } = cells.row(k);
        rows[k] = new Row(runs[k]!, block, ends, at, first, getters, nulls);
      }
    }
    return rows;
  };

  if (input.skipUnchanged && runs.length > 1) {
    const all = makeRows();
    // A flag's shown text has six digits: 0.10000001 and 0.10000002 look alike but are two points, and the
    // column that tells them apart must stay. Flags compare by value, the rest by their text.
    const keep = columns.map(
      (col, i) =>
        all.some((row) => row.cells[i] !== all[0]!.cells[i]) ||
        (col.kind === "flag" && all.some((row) => getters[i]!(row.input) !== getters[i]!(all[0]!.input))),
    );
    columns = columns.filter((_, i) => keep[i]);
    getters = getters.filter((_, i) => keep[i]);
    nulls = nulls.filter((_, i) => keep[i]);
    seen = seen.filter((_, i) => keep[i]);
    other = other.filter((_, i) => keep[i]);
    const keptEnds = new Uint32Array(all.length * getters.length);
    const texts: string[] = [];
    let end = 0;
    all.forEach((row, k) => {
      const kept = row.cells.filter((_, i) => keep[i]);
      kept.forEach((text, i) => {
        texts.push(text);
        keptEnds[k * kept.length + i] = end += text.length;
      });
    });
    const text = texts.join("");
    const narrower = all.map((row, k) => new Row(row.input, text, keptEnds, k * getters.length, 0, getters, nulls));
    rows = narrower;
    cells = { count: narrower.length, row: (r) => narrower[r]! };
  }
  columns.forEach((col, i) => (col.numeric = seen[i]! && !other[i]));
  return {
    columns,
    get rows(): CompareRow[] {
      return makeRows();
    },
    cells,
    explicitColumns: input.columns !== undefined,
    now: input.now,
  };
}

/** RowCells' rows by row number, through one reused object (see KeptCells). */
function keptCellsOf(made: RowCells, width: number): KeptCells {
  const place = { block: "" as Buffer | string, ends: made.ends, at: 0, first: 0 };
  return {
    count: made.count,
    row(r) {
      const block = Math.floor(r / ROW_BLOCK);
      place.block = made.blocks[block]!;
      place.at = r * width;
      place.first = block * ROW_BLOCK * width;
      return place;
    },
  };
}

/** Cell i of a row where it is kept, as a string (one decode of its bytes, for a block kept as bytes). */
export function keptCellText(kept: KeptRowCells, i: number): string {
  const k = kept.at + i;
  const start = k === kept.first ? 0 : kept.ends[k - 1];
  const block = kept.block;
  return typeof block === "string" ? block.slice(start, kept.ends[k]) : block.toString("latin1", start, kept.ends[k]);
}

/** The length of cell i of a row where it is kept, without making its string. */
export function keptCellLength(kept: KeptRowCells, i: number): number {
  const k = kept.at + i;
  return kept.ends[k]! - (k === kept.first ? 0 : kept.ends[k - 1]!);
}

/**
 * The cells of the runs' rows for these columns: the builder's loop over a
 * big table's two million cells. Each block of rows is written as bytes (see
 * RowCells): a run read in place copies its kept cells from the snapshot's
 * bytes, other cells are written from their text; a block that meets a cell
 * outside ASCII is made again as text.
 */
export function buildRowCells(runs: CompareInputRun[], columns: ResolvedColumn[], now: number): RowCells {
  // One getter and one formatter per column, chosen once: a big table has millions of cells.
  const getters = columns.map((c) => columnGetter(c, now));
  const nulls = columns.map((c) => nullTest(c));
  const formatters = columns.map((c) => cellFormatter(c));
  // A flag column's fast path remembers texts by the value's number: it formats with formatValue itself.
  const fastCells = columns.map((c, i) => fastCell(c, c.type === "flag" ? formatValue : formatters[i]!));
  const byteCells = columns.map((c) => byteCell(c));
  // The columns a run's kept cells fill at once (flags, then scalars' last values), when there are some.
  const span = keptCellSpan(columns);
  const range = span?.range;
  const spanStart = span?.start ?? -1;
  const spanEnd = span?.end ?? -1;
  // Numeric: at least one number and nothing but numbers or gaps, seen while the cells are made.
  const width = columns.length;
  const seen = new Uint8Array(width);
  const other = new Uint8Array(width);
  const count = runs.length;
  // The rows keep their printed cells only, as bytes a block of rows (or text) and where each cell ends there:
  // a table of 100 000 runs then holds no string a cell or a row, which the garbage collector moved at every
  // scavenge. Raw values are got again when a presenter asks (CSV, JSON's -c columns, the view's sort), so no
  // value arrays are kept either.
  const ends = new Uint32Array(count * width);
  const blocks: Array<Buffer | string> = [];

  // A block's bytes are written here, then copied out at its size (the rest of this memory is used again for the
  // next block); room for a row's kept cells is made before each row, a longer text makes more as it comes.
  const reserve = ROW_RESERVE_BYTES * width;
  let out = Buffer.allocUnsafeSlow(Math.max(reserve, Math.min(BLOCK_BYTES_START, Math.min(count, ROW_BLOCK) * reserve)));
  const makeRoom = (need: number): void => {
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * out.length, need));
    out.copy(bigger);
    out = bigger;
  };
  // Writes `text` from `p` when it is all ASCII: where it ends, or -1.
  const putText = (text: string, p: number): number => {
    const n = text.length;
    if (p + n > out.length) makeRoom(p + n);
    for (let c = 0; c < n; c++) {
      const code = text.charCodeAt(c);
      if (code > 0x7f) return -1;
      out[p + c] = code;
    }
    return p + n;
  };
  // The text of cell i of a row, as any run's (the run's fields first, where a column has a fast path).
  const textOf = (r: CompareInputRun, i: number, batch: boolean): string => {
    const fast = fastCells[i]!;
    const fields = r.fields;
    const text = fields !== undefined && fast !== null ? fast.text(fields) : undefined;
    if (text !== undefined) {
      if (!batch) {
        if (fast!.memo.numeric) seen[i] = 1;
        else other[i] = 1;
      }
      return text;
    }
    const v = getters[i]!(r);
    if (!batch) {
      if (typeof v === "number") seen[i] = 1;
      else if (v !== null) other[i] = 1;
    }
    // A flag recorded as null shows as `null`, a value the run lacks as nothing; neither makes a column text.
    if (v === null) return nulls[i]?.(r) ? formatValue(null) : "";
    return formatters[i]!(v);
  };
  // The span's cells' ends and kinds, once a run gave their text or bytes (its lengths and kinds are in the range).
  const endSpan = (j: number, end: number, batch: boolean): number => {
    const { lengths, kinds } = range!;
    for (let k = 0; k < spanEnd - spanStart; k++) {
      end += lengths[k]!;
      ends[j * width + spanStart + k] = end;
      if (!batch && kinds[k] !== 0) {
        if (kinds[k] === 1) seen[spanStart + k] = 1;
        else other[spanStart + k] = 1;
      }
    }
    return end;
  };

  // Row j's cells as bytes from `p` (where the row before ends in this block): where they end, or -1 at a cell
  // outside ASCII. A function of its own, so the loop over rows stays small: the first block boundary then costs
  // the optimised code of a short loop, not of the whole row's work (met after the loop was optimised, it is thrown away).
  const addRowBytes = (r: CompareInputRun, j: number, p: number): number => {
    // A batch row holds its search spec ("[-2:2]") where its trials hold numbers: it does not make the column text.
    const batch = isBatchRow(r);
    const fields = r.fields;
    for (let i = 0; i < width; i++) {
      if (i === spanStart && fields?.copyKeptCells !== undefined) {
        const q = fields.copyKeptCells(range!, 0, out, p);
        if (q >= 0) {
          p = endSpan(j, p, batch);
          i = spanEnd - 1;
          continue;
        }
      }
      const put = byteCells[i]!;
      if (put !== null) {
        const q = put.write(r, out, p);
        if (q >= 0) {
          if (!batch) {
            if (put.numeric) seen[i] = 1;
            else other[i] = 1;
          }
          ends[j * width + i] = p = q;
          continue;
        }
      }
      p = putText(textOf(r, i, batch), p);
      if (p < 0) return -1;
      ends[j * width + i] = p;
    }
    return p;
  };
  // The rows from `from` to `to` (one block) as bytes, or null when a cell is not ASCII.
  const addBlockBytes = (from: number, to: number): Buffer | null => {
    let p = 0;
    for (let j = from; j < to; j++) {
      if (p + reserve > out.length) makeRoom(p + reserve);
      p = addRowBytes(runs[j]!, j, p);
      if (p < 0) return null;
    }
    const block = Buffer.allocUnsafeSlow(p);
    out.copy(block, 0, 0, p);
    return block;
  };

  // The same rows as text (a block with a cell outside ASCII), each row's cells joined, then the rows.
  const lines: string[] = [];
  const parts: string[] = new Array<string>(width);
  const addRowText = (r: CompareInputRun, j: number, end: number): number => {
    const batch = isBatchRow(r);
    const fields = r.fields;
    for (let i = 0; i < width; i++) {
      if (i === spanStart && fields?.rangeText !== undefined) {
        const text = fields.rangeText(range!);
        if (text !== undefined) {
          parts[i] = text;
          for (let k = i + 1; k < spanEnd; k++) parts[k] = "";
          end = endSpan(j, end, batch);
          i = spanEnd - 1;
          continue;
        }
      }
      const text = textOf(r, i, batch);
      parts[i] = text;
      end += text.length;
      ends[j * width + i] = end;
    }
    lines.push(parts.join(""));
    return end;
  };
  const addBlockText = (from: number, to: number): string => {
    lines.length = 0;
    let end = 0;
    for (let j = from; j < to; j++) end = addRowText(runs[j]!, j, end);
    return lines.join("");
  };

  for (let from = 0; from < count; from += ROW_BLOCK) {
    const to = Math.min(count, from + ROW_BLOCK);
    blocks.push(addBlockBytes(from, to) ?? addBlockText(from, to));
  }
  return { count, blocks, ends, seen, other };
}

/** A block's byte buffer to start with at most (a small table's is its rows' reserve): it grows as needed. */
const BLOCK_BYTES_START = 1 << 20;
/** Room made before each row, a column (kept cells are at most 255 bytes; a longer text makes room itself). */
const ROW_RESERVE_BYTES = 256;

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
  const expr = parseFilter(text, known);
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
 * sort. Numbers come first and follow the direction; then NaN; then text
 * (and booleans), by code unit, also following the direction; then the
 * empty cells (a missing value, or empty text). Only the order within numbers
 * and within text is reversed by `descending`: a batch run's flag recorded
 * as its search spec ("[-0.5,...]") sorts after its trials' numbers either
 * way, so `-M =x` finds the trial with the largest x.
 */
export function compareCells(a: CellValue, b: CellValue, descending: boolean): number {
  // Most cells of a sort are numbers: one test of each, no ranking.
  if (typeof a === "number" && typeof b === "number" && a === a && b === b) return descending ? b - a : a - b;
  const ra = cellRank(a);
  const rb = cellRank(b);
  if (ra !== rb) return ra - rb;
  if (ra !== TEXT_RANK) return 0;
  const x = String(a);
  const y = String(b);
  const c = x < y ? -1 : x > y ? 1 : 0;
  return descending ? -c : c;
}

/** A number (not NaN), NaN, text or a boolean, or an empty cell: the classes compareCells keeps apart, in order. */
const NUMBER_RANK = 0;
const NAN_RANK = 1;
const TEXT_RANK = 2;
const EMPTY_RANK = 3;

function cellRank(v: CellValue): number {
  if (v === null || v === "") return EMPTY_RANK;
  if (typeof v === "number") return v === v ? NUMBER_RANK : NAN_RANK;
  return TEXT_RANK;
}

function resolveSortColumn(text: string, what: string, known: KnownNames, check: ColumnCheck): ResolvedColumn {
  const spec = parseColumn(text, what, known);
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
    for (const spec of parseColumns(input.columns, undefined, known)) {
      check(spec.ref, "-c/--cols");
      // --skip-core leaves out the default core columns only; a `.name` asked for with -c stays.
      const col = resolveColumn(spec.ref, known, spec.as);
      add(col, kindOf(col));
    }
    return out;
  }
  for (const name of shownNames.flagOrder) add({ type: "flag", name, header: flagHeader(name, shownNames.scalars) }, "flag");
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

/**
 * Whether a run holds a column's value as null, which its getter gives as
 * null like a value it lacks: a flag recorded as null. Null for the columns
 * whose null means nothing but "none" (scalars, attributes).
 */
function nullTest(col: ResolvedColumn): ((r: CompareInputRun) => boolean) | null {
  if (col.type !== "flag") return null;
  const name = col.name;
  return (r) => (r.fields !== undefined ? r.fields.flag(name) : r.run.record.flags[name]) === null;
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
    /** The cells of the rows made with this one, one after the other (a block of RowCells: ASCII bytes or text). */
    readonly block: Buffer | string,
    /** Where each cell ends in `block`: `ends[at + i]` for cell i (RowCells' ends, shared by those rows). */
    readonly ends: Uint32Array,
    readonly at: number,
    /** `ends`' index of the first cell in `block` (it starts at 0 there). */
    readonly first: number,
    /** The columns' getters, which give `values` when first asked for. */
    private readonly getters: Array<(r: CompareInputRun) => CellValue>,
    /** The columns' null tests (see nullTest). */
    private readonly nulls: Array<((r: CompareInputRun) => boolean) | null>,
  ) {}

  /** The cells as strings, made when first asked for (the view, CSV of -c, --skip-unchanged): the row's bytes decoded once. */
  get cells(): string[] {
    if (this.#cells === undefined) {
      const { block, ends, at, first } = this;
      const start = at === first ? 0 : ends[at - 1]!;
      const line = typeof block === "string" ? block : block.toString("latin1", start, ends[at + this.getters.length - 1]);
      const shift = typeof block === "string" ? 0 : start;
      this.#cells = this.getters.map((_, i) => {
        const k = at + i;
        return line.slice((k === first ? 0 : ends[k - 1]!) - shift, ends[k]! - shift);
      });
    }
    return this.#cells;
  }

  cell(i: number): string {
    return keptCellText(this, i);
  }

  cellLength(i: number): number {
    return keptCellLength(this, i);
  }

  isNull(i: number): boolean {
    return this.nulls[i]?.(this.input) ?? false;
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

/**
 * A column's cell written straight into a block's bytes, without a string:
 * the index's digits, the short id's characters, the time and started cells
 * a run read in place keeps (RunFields.copyKeptCells). `write` gives where
 * the cell ends, or -1 when it has no such cell (then its text is made as for
 * any run). `numeric` is whether a cell so written is of a number. Null for
 * the other columns.
 */
interface ByteCell {
  numeric: boolean;
  write(r: CompareInputRun, out: Uint8Array, p: number): number;
}

function byteCell(col: ResolvedColumn): ByteCell | null {
  if (col.type !== "attr") return null;
  switch (col.attr) {
    case "index":
      return { numeric: true, write: (r, out, p) => putInteger(r.index, out, p) };
    case "short_id":
      return { numeric: false, write: (r, out, p) => putAsciiPrefix(r.run.id, SHORT_ID_CHARS, out, p) };
    case "time":
      return { numeric: true, write: (r, out, p) => r.fields?.copyKeptCells?.("time", 0, out, p) ?? -1 };
    case "started": {
      const offsetAt = localOffsetFinder();
      return {
        numeric: false,
        write: (r, out, p) => {
          const f = r.fields;
          if (f?.copyKeptCells === undefined) return -1;
          const ms = f.timeMs("started");
          // The kept cell when it was made with this zone's offset for that hour (as fastCell's text).
          return Number.isNaN(ms) ? -1 : f.copyKeptCells("started", offsetAt(ms), out, p);
        },
      };
    }
    default:
      return null;
  }
}

/** The short id's length: attributeValue's `short_id`. */
const SHORT_ID_CHARS = 8;
/** Digits of the largest whole number written as bytes (2^53 has 16). */
const MAX_DIGITS = 16;

/** String(n)'s bytes for a whole number 0 ≤ n < 2^53, from `p`: where they end, or -1 (another number, or no room). */
function putInteger(n: number, out: Uint8Array, p: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || p + MAX_DIGITS > out.length) return -1;
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  for (let q = p + digits - 1, t = n; q >= p; q--, t = Math.floor(t / 10)) out[q] = 0x30 + (t % 10);
  return p + digits;
}

/** text.slice(0, n)'s bytes from `p` when they are ASCII: where they end, or -1 (not ASCII, or no room). */
function putAsciiPrefix(text: string, n: number, out: Uint8Array, p: number): number {
  const len = Math.min(n, text.length);
  if (p + len > out.length) return -1;
  for (let c = 0; c < len; c++) {
    const code = text.charCodeAt(c);
    if (code > 0x7f) return -1;
    out[p + c] = code;
  }
  return p + len;
}

/** How a column's present values are printed; chosen once per column. */
function cellFormatter(col: ResolvedColumn): (v: number | string | boolean) => string {
  if (col.type === "attr") {
    if (col.attr === "time") return (v) => (typeof v === "number" ? formatDuration(v) : String(v));
    if (col.attr === "started" || col.attr === "stopped" || col.attr === "created")
      return (v) => (typeof v === "string" ? formatTime(v) : String(v));
    // A label, op, tag or description is one line of a cell however it was written (see escapeControlChars).
    return (v) => (typeof v === "string" ? escapeControlChars(v) : String(v));
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
