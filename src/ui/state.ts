// The interactive compare view's state and its pure reducer: cursor, scroll,
// sort, filter, marks, the details pane, dialogs, and what to do on leaving.
// The Ink components only render this state and dispatch actions, so every
// behaviour here is tested without a terminal.

import { escapeControlChars } from "../format/values.js";
import { collectRunNames, compareCells, compileFilter, isBatchRecord, type CompareData, type CompareRow } from "../query/compare-data.js";
import { restartRefusal } from "../trials/restartable.js";
import { keyToAction, type KeyInfo } from "./keys.js";

/** What the view asks for when it closes. */
export type ViewExit = { kind: "quit" } | { kind: "restart"; runId: string; batch: boolean };

export type Mode = "table" | "filter" | "confirm" | "help";

export interface ViewState {
  data: CompareData;
  /** columnWidths(data), kept so a key press does not measure every cell again. */
  widths: number[];
  /** Terminal size: columns, and the number of table rows that fit. */
  width: number;
  pageSize: number;
  /** Cursor: a position in the visible (filtered, sorted) rows, and a column. */
  row: number;
  col: number;
  /** First visible row and first visible column. */
  top: number;
  left: number;
  /** The run under the cursor, kept across reloads, sorts and filters. */
  selectedId: string | null;
  sort: { col: string; descending: boolean } | null;
  mode: Mode;
  /** The filter text; typed in "filter" mode, kept after Enter. */
  filter: string;
  marked: ReadonlySet<string>;
  /** Batches whose trials are folded under their batch row. */
  collapsed: ReadonlySet<string>;
  details: boolean;
  /** Runs the confirm dialog asks about. */
  confirmIds: string[];
  /** Runs the user confirmed deleting; the app deletes them and dispatches `deleted`. */
  deleteRequest: string[] | null;
  message: string | null;
  exit: ViewExit | null;
}

export type Action =
  /** A key press, mapped by keys.ts against the mode at the time it is reduced (not when it was typed). */
  | { type: "key"; input: string; key: KeyInfo }
  | { type: "move"; rows: number; cols: number }
  | { type: "page"; pages: number }
  | { type: "home" }
  | { type: "end" }
  | { type: "sort"; descending: boolean }
  | { type: "filterStart" }
  | { type: "filterType"; text: string }
  | { type: "filterBackspace" }
  | { type: "filterAccept" }
  | { type: "filterClear" }
  | { type: "toggleDetails" }
  | { type: "toggleMark" }
  | { type: "toggleGroup" }
  | { type: "toggleAllGroups" }
  | { type: "askDelete" }
  | { type: "confirmDelete" }
  | { type: "cancel" }
  | { type: "deleted"; ids: string[]; error?: string }
  | { type: "restart"; batch: boolean }
  | { type: "toggleHelp" }
  | { type: "quit" }
  | { type: "data"; data: CompareData }
  | { type: "resize"; width: number; pageSize: number };

/** Widest a column is drawn; longer cells are cut with an ellipsis. */
export const MAX_COLUMN_WIDTH = 24;
/** The gap between two columns, and the gutter before the first: cursor, mark, batch fold (`>*▾ `). */
export const COLUMN_GAP = 2;
export const GUTTER_WIDTH = 4;

export function initialState(data: CompareData, width = 80, pageSize = 20): ViewState {
  const base: ViewState = {
    data,
    widths: columnWidths(data),
    width,
    pageSize: Math.max(1, pageSize),
    row: 0,
    col: 0,
    top: 0,
    left: 0,
    selectedId: null,
    sort: null,
    mode: "table",
    filter: "",
    marked: new Set(),
    collapsed: new Set(),
    details: false,
    confirmIds: [],
    deleteRequest: null,
    message: null,
    exit: null,
  };
  return settle(base, 0);
}

/** Control characters inside a chunk of keys, as Ink reports them when they come alone. */
const CHUNK_KEYS: Record<string, KeyInfo> = {
  "\r": { return: true },
  "\n": { return: true },
  "\x7f": { delete: true },
  "\b": { backspace: true },
};

export function reduce(state: ViewState, action: Action): ViewState {
  switch (action.type) {
    case "key": {
      // Keys typed faster than the terminal is read (or sent by tmux) come as one chunk: take them one by one.
      const chars = Array.from(action.input);
      if (chars.length > 1 && !action.key.ctrl && !action.key.meta) {
        return chars.reduce((s, ch) => reduce(s, { type: "key", input: ch, key: CHUNK_KEYS[ch] ?? {} }), state);
      }
      const mapped = keyToAction(action.input, action.key, state.mode);
      return mapped === null ? state : reduce(state, mapped);
    }
    case "move": {
      const rows = visibleRows(state).length;
      const row = clamp(state.row + action.rows, 0, rows - 1);
      const col = clamp(state.col + action.cols, 0, state.data.columns.length - 1);
      return settle({ ...state, col, message: null }, row);
    }
    case "page":
      return settle({ ...state, message: null }, state.row + action.pages * state.pageSize);
    case "home":
      return settle({ ...state, message: null }, 0);
    case "end":
      return settle({ ...state, message: null }, visibleRows(state).length - 1);
    case "sort": {
      const column = state.data.columns[state.col];
      if (column === undefined) return state;
      // The cursor goes to the top: after a sort, the first row is what the user wants to see.
      return settle({ ...state, sort: { col: column.key, descending: action.descending }, message: null, top: 0 }, 0);
    }
    case "filterStart":
      return { ...state, mode: "filter", message: null };
    case "filterType":
      return follow({ ...state, filter: state.filter + action.text }, state.selectedId);
    case "filterBackspace":
      return follow({ ...state, filter: state.filter.slice(0, -1) }, state.selectedId);
    case "filterAccept":
      return { ...state, mode: "table" };
    case "filterClear":
      return follow({ ...state, mode: "table", filter: "" }, state.selectedId);
    case "toggleDetails":
      return { ...state, details: !state.details };
    case "toggleMark": {
      if (state.selectedId === null) return state;
      const marked = new Set(state.marked);
      if (marked.has(state.selectedId)) marked.delete(state.selectedId);
      else marked.add(state.selectedId);
      // Marking moves down, so a run of space presses marks consecutive rows.
      return settle({ ...state, marked }, state.row + 1);
    }
    case "askDelete": {
      const shown = new Set(visibleRows(state).map((r) => r.run.id));
      // Marked runs hidden by the filter are not deleted: the user cannot see them.
      const ids = [...state.marked].filter((id) => shown.has(id));
      if (ids.length === 0 && state.selectedId !== null) ids.push(state.selectedId);
      if (ids.length === 0) return state;
      return { ...state, mode: "confirm", confirmIds: ids, message: null };
    }
    case "confirmDelete":
      if (state.mode !== "confirm") return state;
      return { ...state, mode: "table", deleteRequest: state.confirmIds, confirmIds: [] };
    case "cancel":
      return { ...state, mode: "table", confirmIds: [] };
    case "deleted": {
      const marked = new Set([...state.marked].filter((id) => !action.ids.includes(id)));
      const n = action.ids.length;
      const message = action.error ?? `moved ${n} run${n === 1 ? "" : "s"} to the trash (g runs restore to undo)`;
      return { ...state, marked, deleteRequest: null, message };
    }
    case "restart": {
      const row = visibleRows(state)[state.row];
      if (row === undefined) return state;
      if (action.batch) {
        const batch = row.run.record.batch;
        // A batch run restarts itself; a plain run has no batch to restart.
        const batchId = batch !== undefined ? batch : isBatchRecord(row.run) ? row.run.id : null;
        if (batchId === null)
          return { ...state, message: `run ${row.run.id.slice(0, 8)} is not part of a batch; r restarts the run itself` };
        const batchRow = batchId === row.run.id ? row : state.data.rows.find((r) => r.run.id === batchId);
        const refusal = batchRow !== undefined ? restartRefusal(batchRow.run) : null;
        if (refusal !== null) return { ...state, message: refusal };
        return { ...state, exit: { kind: "restart", runId: batchId, batch: true } };
      }
      // Say why inside the view rather than leaving it for a command that will refuse.
      const refusal = restartRefusal(row.run);
      if (refusal !== null) return { ...state, message: refusal };
      return { ...state, exit: { kind: "restart", runId: row.run.id, batch: false } };
    }
    case "toggleGroup": {
      const row = visibleRows(state)[state.row];
      if (row === undefined) return state;
      const batchId = isBatchRecord(row.run) ? row.run.id : row.run.record.batch;
      if (batchId === undefined) return { ...state, message: "not a batch: c folds a batch's trials under it" };
      const collapsed = new Set(state.collapsed);
      if (collapsed.has(batchId)) collapsed.delete(batchId);
      else collapsed.add(batchId);
      // Folding from a trial puts the cursor on its batch row, which stays visible.
      return follow({ ...state, collapsed, message: null }, batchId);
    }
    case "toggleAllGroups": {
      const batches = state.data.rows.filter((r) => isBatchRecord(r.run)).map((r) => r.run.id);
      const allFolded = batches.length > 0 && batches.every((id) => state.collapsed.has(id));
      const collapsed = allFolded ? new Set<string>() : new Set(batches);
      const keep =
        state.selectedId !== null
          ? (state.data.rows.find((r) => r.run.id === state.selectedId)?.run.record.batch ?? state.selectedId)
          : null;
      return follow({ ...state, collapsed, message: null }, keep);
    }
    case "toggleHelp":
      return { ...state, mode: state.mode === "help" ? "table" : "help" };
    case "quit":
      return { ...state, exit: { kind: "quit" } };
    case "data":
      return follow(
        { ...state, data: action.data, widths: columnWidths(action.data), col: clamp(state.col, 0, action.data.columns.length - 1) },
        state.selectedId,
      );
    case "resize":
      return settle({ ...state, width: action.width, pageSize: Math.max(1, action.pageSize) }, state.row);
  }
}

/** The rows shown: the data's rows, filtered, sorted as -m/-M sort (compareCells), trials grouped under their batch row (folded ones hidden). */
export function visibleRows(state: Pick<ViewState, "data" | "filter" | "sort" | "collapsed">): CompareRow[] {
  const key = `${state.filter}\u0000${state.sort ? `${state.sort.col}:${state.sort.descending}` : ""}\u0000${[...state.collapsed].join(",")}`;
  const cached = rowsCache.get(state.data);
  if (cached !== undefined && cached.key === key) return cached.rows;
  let rows = applyFilter(state.data, state.filter).rows;
  const sort = state.sort;
  if (sort !== null) {
    const i = state.data.columns.findIndex((c) => c.key === sort.col);
    if (i >= 0) {
      rows = rows
        .map((r, k) => ({ r, k }))
        .sort((a, b) => compareCells(a.r.values[i]!, b.r.values[i]!, sort.descending) || a.k - b.k)
        .map((d) => d.r);
    }
  }
  rows = groupTrials(rows, state.collapsed);
  rowsCache.set(state.data, { key, rows });
  return rows;
}

/** The last rows computed per data, so a key press does not filter and sort 10 000 rows again. */
const rowsCache = new WeakMap<CompareData, { key: string; rows: CompareRow[] }>();

/**
 * The filter text as the `--filter` language (`loss < 0.2 and x > 0`); text that
 * does not parse as one, or names no known column, matches as plain text (any
 * printed cell, or the start of the run id), and `error` says why.
 */
export function applyFilter(data: CompareData, filter: string): { rows: CompareRow[]; error: string | null } {
  const cached = filterCache.get(data);
  if (cached !== undefined && cached.filter === filter) return cached.result;
  const result = filterRows(data, filter);
  filterCache.set(data, { filter, result });
  return result;
}

const filterCache = new WeakMap<CompareData, { filter: string; result: { rows: CompareRow[]; error: string | null } }>();

function filterRows(data: CompareData, filter: string): { rows: CompareRow[]; error: string | null } {
  const text = filter.trim();
  if (text === "") return { rows: data.rows, error: null };
  try {
    const match = compileFilter(text, namesOf(data), data.now);
    return { rows: data.rows.filter(match), error: null };
  } catch (err) {
    const needle = text.toLowerCase();
    // Matches any printed cell or the full run id, so a pasted id finds its run.
    const rows = data.rows.filter((r) => r.run.id.startsWith(needle) || r.cells.some((c) => c.toLowerCase().includes(needle)));
    return { rows, error: (err as Error).message };
  }
}

const namesCache = new WeakMap<CompareData, ReturnType<typeof collectRunNames>>();
function namesOf(data: CompareData): ReturnType<typeof collectRunNames> {
  let names = namesCache.get(data);
  if (names === undefined) namesCache.set(data, (names = collectRunNames(data.rows)));
  return names;
}

/**
 * Puts each batch's trials right after its batch row, in their current order;
 * the group stands where its first row stood, so after a sort by loss the batch
 * holding the best trial comes first. Trials of a folded batch are left out.
 */
export function groupTrials(rows: CompareRow[], collapsed: ReadonlySet<string>): CompareRow[] {
  const batchesShown = new Set<string>();
  for (const r of rows) if (isBatchRecord(r.run)) batchesShown.add(r.run.id);
  if (batchesShown.size === 0) return rows;
  const trialsOf = new Map<string, CompareRow[]>();
  for (const r of rows) {
    const b = r.run.record.batch;
    if (b !== undefined && batchesShown.has(b)) {
      const list = trialsOf.get(b);
      if (list === undefined) trialsOf.set(b, [r]);
      else list.push(r);
    }
  }
  const byId = new Map(rows.filter((r) => batchesShown.has(r.run.id)).map((r) => [r.run.id, r]));
  const placed = new Set<string>();
  const out: CompareRow[] = [];
  for (const r of rows) {
    const groupId = batchesShown.has(r.run.id)
      ? r.run.id
      : r.run.record.batch !== undefined && batchesShown.has(r.run.record.batch)
        ? r.run.record.batch
        : null;
    if (groupId === null) {
      out.push(r);
      continue;
    }
    if (placed.has(groupId)) continue;
    placed.add(groupId);
    out.push(byId.get(groupId)!);
    if (!collapsed.has(groupId)) out.push(...(trialsOf.get(groupId) ?? []));
  }
  return out;
}

/** The batch id a row heads (batch rows) or belongs to (trials whose batch row is shown). */
export function groupRole(row: CompareRow): "batch" | "trial" | null {
  if (isBatchRecord(row.run)) return "batch";
  return row.run.record.batch !== undefined ? "trial" : null;
}

/** Each column's drawn width: its widest cell or header, at most MAX_COLUMN_WIDTH. */
export function columnWidths(data: CompareData): number[] {
  return data.columns.map((c, i) => {
    // One more than the header, so the sort arrow fits beside it.
    let w = escapeControlChars(c.header).length + 1;
    for (const r of data.rows) w = Math.max(w, r.cells[i]!.length);
    return Math.min(Math.max(w, 1), MAX_COLUMN_WIDTH);
  });
}

/** Columns that stay put while the others scroll sideways: the leading `#` and run id. */
const FROZEN_KEYS = new Set([".index", ".short_id"]);
/** Room kept at the right edge for the "more columns" marker. */
export const MORE_MARKER_WIDTH = 2;

/** How many leading columns are frozen (the `#` and run-id columns, when shown first). */
export function frozenCount(data: CompareData): number {
  let n = 0;
  while (n < data.columns.length && FROZEN_KEYS.has(data.columns[n]!.key)) n++;
  // With nothing else to scroll, freezing would only hide the marker's purpose.
  return n < data.columns.length ? n : 0;
}

/**
 * The columns drawn: the frozen ones, then the scrolling ones from `left` on
 * that fit the width (always at least one).
 */
export function fittingColumns(widths: number[], left: number, width: number, frozen = 0): number[] {
  const out: number[] = [];
  let used = GUTTER_WIDTH + MORE_MARKER_WIDTH;
  for (let i = 0; i < frozen; i++) {
    used += widths[i]! + (out.length > 0 ? COLUMN_GAP : 0);
    out.push(i);
  }
  let scrolling = 0;
  for (let i = Math.max(left, frozen); i < widths.length; i++) {
    const w = widths[i]! + (out.length > 0 ? COLUMN_GAP : 0);
    if (scrolling > 0 && used + w > width) break;
    out.push(i);
    used += w;
    scrolling++;
  }
  return out;
}

/** Puts the cursor back on the run `id` if it is still shown, then settles. */
function follow(state: ViewState, id: string | null): ViewState {
  const rows = visibleRows(state);
  const at = id === null ? -1 : rows.findIndex((r) => r.run.id === id);
  return settle(state, at >= 0 ? at : state.row);
}

/** Clamps the cursor to `row` and scrolls both ways so the cursor cell is on screen. */
function settle(state: ViewState, row: number): ViewState {
  const rows = visibleRows(state);
  const r = clamp(row, 0, rows.length - 1);
  let top = state.top;
  if (r < top) top = r;
  if (r >= top + state.pageSize) top = r - state.pageSize + 1;
  top = clamp(top, 0, Math.max(0, rows.length - state.pageSize));

  const col = clamp(state.col, 0, state.data.columns.length - 1);
  const frozen = frozenCount(state.data);
  let left = clamp(state.left, frozen, Math.max(frozen, state.data.columns.length - 1));
  // A frozen column is always on screen; a scrolling one brings the columns along.
  if (col < frozen) left = frozen;
  else {
    if (col < left) left = col;
    while (left < col && !fittingColumns(state.widths, left, state.width, frozen).includes(col)) left++;
  }

  return { ...state, row: r, top, col, left, selectedId: rows[r]?.run.id ?? null };
}

function clamp(n: number, lo: number, hi: number): number {
  if (hi < lo) return lo;
  return Math.min(Math.max(n, lo), hi);
}
