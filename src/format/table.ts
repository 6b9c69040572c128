// Text tables (pure): `g compare -T` and any other list that wants aligned
// columns. A screenful goes through cli-table3, fitted to the terminal; large
// or piped output takes a fast path that pads strings itself, because
// cli-table3 costs about 1.5 ms a row at 22 columns (3 s for 1000 rows,
// against 11 ms on the fast path). Both paths lay out the same widths, so the
// output looks the same either way.

import { createRequire } from "node:module";
import type CliTable from "cli-table3";
import { keptCellLength, keptCellText, type CompareData, type KeptRowCells } from "../query/compare-data.js";
import { escapeControlChars, formatValue } from "./values.js";

// cli-table3 is loaded only for a screenful: the fast path (and start-up) does without it.
let TableClass: typeof CliTable | undefined;
function loadCliTable(): typeof CliTable {
  TableClass ??= createRequire(import.meta.url)("cli-table3") as typeof CliTable;
  return TableClass;
}

export type Align = "left" | "right";

export interface RowsOptions {
  /** Terminal columns; undefined when piped: no fitting, nothing truncated. */
  width?: number;
  color: boolean;
  align?: Align[];
  /** Column indexes in the order to drop them when the table is too wide (the rest go right to left). */
  dropOrder?: number[];
  /** An SGR code (e.g. "32" for green) for a cell, when colour is on. */
  cellColor?: (row: number, col: number) => string | undefined;
  /** Told which headers did not fit, so the caller can say so on stderr. */
  onHidden?: (headers: string[]) => void;
  /** See TableOptions.emitBytes. */
  emitBytes?: (bytes: Uint8Array) => void;
}

export interface TableOptions {
  width?: number;
  color: boolean;
  onHidden?: (headers: string[]) => void;
  /**
   * Takes a piece of the table as UTF-8 bytes, in turn with `emit`'s pieces:
   * then a big table without colour is padded as bytes (see renderBytes).
   */
  emitBytes?: (bytes: Uint8Array) => void;
}

/** Tables with more rows than this, or more cells than FAST_PATH_CELLS, skip cli-table3. */
export const FAST_PATH_ROWS = 200;
/** About 50 rows of 22 columns: some 80 ms in cli-table3. */
export const FAST_PATH_CELLS = 1100;
const GAP = "  ";
/** A column is never truncated below this many characters (or its natural width, if smaller). */
const MIN_COLUMN_WIDTH = 6;
const ELLIPSIS = "…";

/** SGR faint: a pending run's status, a flag recorded as null. */
const DIM = "2";
const NULL_TEXT = formatValue(null);

const STATUS_COLORS: Record<string, string> = {
  completed: "32",
  error: "31",
  running: "36",
  terminated: "33",
  "early-stopped": "33",
  pending: DIM,
};

/** Renders the comparison as a table (no trailing newline). */
export function renderTable(data: CompareData, opts: TableOptions): string {
  const parts: string[] = [];
  emitTable(data, opts, (text) => parts.push(text));
  return parts.join("");
}

/** Big tables are handed out this many lines at a time, so the whole text never sits in memory at once. */
const EMIT_LINES = 2000;

/**
 * The table of renderTable handed to `emit` in pieces (their concatenation is
 * renderTable's text): `g compare -T` of 100 000 runs writes each piece as it
 * comes instead of holding some 25 MB of text twice.
 */
export function emitTable(data: CompareData, opts: TableOptions, emit: (text: string) => void): void {
  const headers = data.columns.map((c) => c.header);
  // The rows' cells where the builder keeps them (bytes or text a block of rows): no row object, no array of
  // cells, and a cell's string only where a path needs it (cli-table3, colour, a cut cell).
  const cells = data.cells;
  const grid: CellGrid = {
    count: cells.count,
    text: (r, i) => keptCellText(cells.row(r), i),
    length: (r, i) => keptCellLength(cells.row(r), i),
    kept: (r) => cells.row(r),
  };
  const align: Align[] = data.columns.map((c) => (c.numeric ? "right" : "left"));
  const statusCol = data.columns.findIndex((c) => c.source.type === "attr" && c.source.attr === "status");
  const isFlag = data.columns.map((c) => c.kind === "flag");
  // When too wide, give up the least telling columns first: started, op, label, time;
  // then flags right to left; then scalars right to left; index, run and status last.
  const rank = (i: number): number => {
    const c = data.columns[i]!;
    if (c.source.type === "attr") {
      const early = ["created", "stopped", "started", "op", "label", "tags", "time"].indexOf(c.source.attr);
      return early >= 0 ? early : 1000 - i;
    }
    return c.kind === "flag" ? 100 + (data.columns.length - i) : 500 + (data.columns.length - i);
  };
  const dropOrder = data.columns.map((_, i) => i).sort((a, b) => rank(a) - rank(b));
  emitRows(headers, grid, emit, {
    width: opts.width,
    color: opts.color,
    align,
    dropOrder,
    onHidden: opts.onHidden,
    cellColor: (r, c) => {
      if (c === statusCol) return STATUS_COLORS[grid.text(r, c)];
      // A flag recorded as null is dimmed, as the interactive view does, apart from a text flag "null".
      return isFlag[c] && grid.length(r, c) === NULL_TEXT.length && data.rows[r]!.isNull(c) ? DIM : undefined;
    },
    emitBytes: opts.emitBytes,
  });
}

/**
 * Renders headers and rows as aligned columns separated by two spaces (no
 * trailing newline). A cell's control characters are escaped
 * (escapeControlChars): a newline in a label stays on its row.
 */
export function renderRows(headers: string[], rows: string[][], opts: RowsOptions): string {
  const parts: string[] = [];
  const shown = rows.map((row) => row.map(escapeControlChars));
  const grid: CellGrid = {
    count: shown.length,
    text: (r, i) => shown[r]![i] ?? "",
    length: (r, i) => shown[r]![i]?.length ?? 0,
  };
  emitRows(headers, grid, (text) => parts.push(text), opts);
  return parts.join("");
}

/** A table's body however its rows keep their cells: cell `i` of row `r` ("" when missing) and its length. */
interface CellGrid {
  readonly count: number;
  text(r: number, i: number): string;
  length(r: number, i: number): number;
  /**
   * Where each row keeps its cells, when every row keeps them so (compare's rows): widths and padding read them
   * there. The object given may be filled anew at the next call.
   */
  kept?: (r: number) => KeptRowCells;
}

/**
 * renderRows's text handed to `emit` in pieces. Compare's cells come escaped
 * from the builder (its formatters); a header is escaped here, since CSV and
 * JSON keep a flag's or scalar's name as it is.
 */
function emitRows(rawHeaders: string[], rows: CellGrid, emit: (text: string) => void, opts: RowsOptions): void {
  const headers = rawHeaders.map(escapeControlChars);
  const layout = layOut(headers, rows, opts.width, opts.dropOrder, opts.align ?? []);
  if (layout.hidden.length > 0) opts.onHidden?.(layout.hidden.map((i) => headers[i]!));
  const align = opts.align ?? [];
  const small = rows.count <= FAST_PATH_ROWS && rows.count * layout.shown.length <= FAST_PATH_CELLS;
  if (opts.width !== undefined && small) emit(renderWithCliTable(headers, rows, layout, align, opts));
  else if (opts.emitBytes !== undefined && rows.kept !== undefined && !opts.color && layout.cut === 0) {
    renderBytes(headers, rows, rows.kept, layout, align, opts, emit, opts.emitBytes);
  } else renderFast(headers, rows, layout, align, opts, emit);
}

interface Layout {
  /** Indexes of the columns shown, in order. */
  shown: number[];
  hidden: number[];
  /** Width of each shown column (parallel to `shown`). */
  widths: number[];
  /** How many shown columns are narrower than their widest cell (cut with an ellipsis). */
  cut: number;
}

function layOut(headers: string[], rows: CellGrid, width: number | undefined, dropOrder: number[] | undefined, align: Align[]): Layout {
  const natural = headers.map((h) => h.length);
  const kept = rows.kept;
  for (let r = 0; r < rows.count; r++) {
    if (kept !== undefined) {
      // Each cell's length from where it ends: no call a cell.
      const { ends, at, first } = kept(r);
      let start = at === first ? 0 : ends[at - 1]!;
      for (let i = 0; i < natural.length; i++) {
        const end = ends[at + i]!;
        if (end - start > natural[i]!) natural[i] = end - start;
        start = end;
      }
      continue;
    }
    for (let i = 0; i < natural.length; i++) {
      const len = rows.length(r, i);
      if (len > natural[i]!) natural[i] = len;
    }
  }
  const all = headers.map((_, i) => i);
  if (width === undefined) return { shown: all, hidden: [], widths: natural, cut: 0 };

  const widths = new Map(all.map((i) => [i, natural[i]!]));
  // Numbers (right-aligned) are never cut: a cut number misleads; the column is dropped instead.
  const floor = (i: number): number =>
    align[i] === "right" ? natural[i]! : Math.min(natural[i]!, Math.max(MIN_COLUMN_WIDTH, Math.min(headers[i]!.length, 12)));
  const total = (): number => [...widths.values()].reduce((a, b) => a + b, 0) + GAP.length * Math.max(0, widths.size - 1);
  // First narrow the widest columns, a character at a time, down to their floor.
  let excess = total() - width;
  while (excess > 0) {
    let widest = -1;
    for (const [i, w] of widths) if (w > floor(i) && (widest < 0 || w > widths.get(widest)!)) widest = i;
    if (widest < 0) break;
    widths.set(widest, widths.get(widest)! - 1);
    excess--;
  }
  // Then drop whole columns until the rest fit; the dropped ones give back their width to the others.
  const order = dropOrder ?? [...all].reverse();
  const hidden: number[] = [];
  for (const i of order) {
    if (total() <= width || widths.size <= 1) break;
    widths.delete(i);
    hidden.push(i);
  }
  let spare = width - total();
  for (const i of all) {
    if (spare <= 0) break;
    const w = widths.get(i);
    if (w === undefined) continue;
    const grow = Math.min(spare, natural[i]! - w);
    widths.set(i, w + grow);
    spare -= grow;
  }
  const shown = all.filter((i) => widths.has(i));
  const shownWidths = shown.map((i) => widths.get(i)!);
  const cut = shown.filter((i, k) => shownWidths[k]! < natural[i]!).length;
  return { shown, hidden: hidden.sort((a, b) => a - b), widths: shownWidths, cut };
}

function renderWithCliTable(headers: string[], rows: CellGrid, layout: Layout, align: Align[], opts: RowsOptions): string {
  const paint = (text: string, code: string | undefined): string =>
    opts.color && code && text !== "" ? `\x1b[${code}m${text}\x1b[0m` : text;
  const Table = loadCliTable();
  const table = new Table({
    head: layout.shown.map((i) => paint(headers[i]!, "1")),
    colWidths: layout.widths,
    colAligns: layout.shown.map((i) => align[i] ?? "left"),
    wordWrap: false,
    truncate: ELLIPSIS,
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: GAP,
    },
    style: { "padding-left": 0, "padding-right": 0, head: [], border: [], compact: true },
  });
  for (let r = 0; r < rows.count; r++) {
    table.push(layout.shown.map((i, k) => paint(fit(rows.text(r, i), layout.widths[k]!), opts.cellColor?.(r, i))));
  }
  return table
    .toString()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.trimEnd())
    .join("\n");
}

function renderFast(
  headers: string[],
  rows: CellGrid,
  layout: Layout,
  align: Align[],
  opts: RowsOptions,
  emit: (text: string) => void,
): void {
  const bold = (s: string): string => (opts.color ? `\x1b[1m${s}\x1b[0m` : s);
  const last = layout.shown.length - 1;
  const pads = spacesUpTo(Math.max(0, ...layout.widths));
  // Row r's line; r = -1 is the header.
  const line = (r: number): string => {
    const header = r < 0;
    let out = "";
    for (let k = 0; k <= last; k++) {
      const i = layout.shown[k]!;
      const w = layout.widths[k]!;
      const text = fit(header ? headers[i]! : rows.text(r, i), w);
      const pad = pads[w - text.length]!;
      const right = align[i] === "right";
      let cell = header ? bold(text) : text;
      const code = header || !opts.color ? undefined : opts.cellColor?.(r, i);
      if (code && text !== "") cell = `\x1b[${code}m${cell}\x1b[0m`;
      out += right ? pad + cell : k === last ? cell : cell + pad;
      if (k < last) out += GAP;
    }
    return out.trimEnd();
  };
  let text = line(-1);
  for (let r = 0; r < rows.count; r++) {
    text += "\n" + line(r);
    if (r % EMIT_LINES === EMIT_LINES - 1) {
      emit(text);
      text = "";
    }
  }
  emit(text);
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * renderFast's text as UTF-8 bytes, for a table without colour whose cells
 * all fit (none cut): each piece of EMIT_LINES lines is one Buffer filled with
 * spaces first (one memset), so padding is skipped over, not written; each
 * cell's bytes are copied from its block of rows as the compare builder kept
 * it (ASCII bytes), so no cell, padding or line string is made. A block kept
 * as text (it has a cell outside ASCII) is read character by character. The
 * header goes through renderFast's text; a row with a character outside ASCII
 * does too (its bytes are not its characters). The lines are written by small functions of their own, so that
 * the rare cases (a non-ASCII row, the end of a piece) do not throw the
 * optimised loop away when first met.
 */
function renderBytes(
  headers: string[],
  rows: CellGrid,
  kept: (r: number) => KeptRowCells,
  layout: Layout,
  align: Align[],
  opts: RowsOptions,
  emit: (text: string) => void,
  emitBytes: (bytes: Uint8Array) => void,
): void {
  const columns: LineColumns = {
    shown: Int32Array.from(layout.shown),
    widths: Int32Array.from(layout.widths),
    right: Uint8Array.from(layout.shown, (i) => (align[i] === "right" ? 1 : 0)),
  };
  let lineBytes = 1;
  for (const w of layout.widths) lineBytes += w + GAP.length;
  const lineOf = (r: number): string => {
    let text = "";
    renderFast(
      headers,
      { ...rows, count: 1, text: (_, i) => rows.text(r, i), length: (_, i) => rows.length(r, i) },
      layout,
      align,
      opts,
      (t) => {
        text += t;
      },
    );
    return text.slice(text.indexOf("\n"));
  };
  renderFast(headers, { ...rows, count: 0 }, layout, align, opts, emit);
  const pieceBytes = Math.min(rows.count, EMIT_LINES) * lineBytes;
  for (let from = 0; from < rows.count; from += EMIT_LINES) {
    // Each piece a Buffer of its own, handed over whole (a stream may keep it).
    let out = Buffer.alloc(pieceBytes, SPACE);
    let p = 0;
    for (let r = from; r < Math.min(rows.count, from + EMIT_LINES); r++) {
      const row = kept(r);
      const block = row.block;
      const next =
        typeof block !== "string" ? writeLineFromBytes(out, p, row, block, columns) : writeLineFromText(out, p, row, block, columns);
      if (next >= 0) {
        p = next;
        continue;
      }
      // A character outside ASCII: the lines so far go, this one goes as text, the rest into a new Buffer.
      if (p > 0) emitBytes(out.subarray(0, p));
      emit(lineOf(r));
      out = Buffer.alloc(pieceBytes, SPACE);
      p = 0;
    }
    if (p > 0) emitBytes(out.subarray(0, p));
  }
}

/** The shown columns of a byte table: their index, width, and whether each is right-aligned (1). */
interface LineColumns {
  shown: Int32Array;
  widths: Int32Array;
  right: Uint8Array;
}

/**
 * Writes row's line ("\n" and its cells, padded) into `out` from `p`, which
 * holds spaces from there on, copying the cells from `bytes` (its block, kept
 * as ASCII bytes); gives where the line ends.
 */
function writeLineFromBytes(out: Buffer, p: number, row: KeptRowCells, bytes: Uint8Array, columns: LineColumns): number {
  const { ends, at, first } = row;
  const { shown, widths, right } = columns;
  const lineStart = p;
  out[p++] = NEWLINE;
  const last = shown.length - 1;
  for (let k = 0; k <= last; k++) {
    const e = at + shown[k]!;
    const end = ends[e]!;
    const start = e === first ? 0 : ends[e - 1]!;
    const pad = widths[k]! - (end - start);
    // The spaces are there already: right-aligned, the cell starts after its padding.
    if (right[k] === 1) p += pad;
    for (let c = start; c < end; c++) out[p++] = bytes[c]!;
    if (k < last) p += (right[k] === 1 ? 0 : pad) + GAP.length;
  }
  return trimLineEnd(out, lineStart, p);
}

/** writeLineFromBytes from the row's text, character by character; -1 (part written) at a character outside ASCII. */
function writeLineFromText(out: Buffer, p: number, row: KeptRowCells, text: string, columns: LineColumns): number {
  const { ends, at, first } = row;
  const { shown, widths, right } = columns;
  const lineStart = p;
  out[p++] = NEWLINE;
  const last = shown.length - 1;
  for (let k = 0; k <= last; k++) {
    const e = at + shown[k]!;
    const end = ends[e]!;
    const start = e === first ? 0 : ends[e - 1]!;
    const pad = widths[k]! - (end - start);
    if (right[k] === 1) p += pad;
    for (let c = start; c < end; c++) {
      const code = text.charCodeAt(c);
      if (code > 0x7f) return -1;
      out[p++] = code;
    }
    if (k < last) p += (right[k] === 1 ? 0 : pad) + GAP.length;
  }
  return trimLineEnd(out, lineStart, p);
}

/**
 * trimEnd of the line from `lineStart` (its "\n") to `p`: spaces and the ASCII
 * white space a cell may end in, put back to spaces for the next line's
 * padding. Gives the line's new end.
 */
function trimLineEnd(out: Buffer, lineStart: number, p: number): number {
  while (p > lineStart + 1) {
    const b = out[p - 1]!;
    if (b !== SPACE && (b < 0x09 || b > 0x0d)) break;
    out[--p] = SPACE;
  }
  return p;
}

/** Strings of 0 to n spaces, by length: padding is looked up, not made, for each of a big table's cells. */
function spacesUpTo(n: number): string[] {
  const out: string[] = [""];
  for (let k = 1; k <= n; k++) out.push(" ".repeat(k));
  return out;
}

/** Cuts text to `width` characters, ending in "…" when cut. */
function fit(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : text.slice(0, width - 1) + ELLIPSIS;
}
