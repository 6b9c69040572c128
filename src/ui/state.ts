// The interactive compare view's state and its pure reducer: cursor, scroll,
// sort, filter, marks, the details pane, dialogs, and what to do on leaving.
// The Ink components only render this state and dispatch actions, so every
// behaviour here is tested without a terminal.

import { compareCells, type CompareData, type CompareRow } from "../query/compare-data.js";
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
/** The gap between two columns, and the cursor/mark gutter (`>* `) before the first. */
export const COLUMN_GAP = 2;
export const GUTTER_WIDTH = 3;

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
    details: false,
    confirmIds: [],
    deleteRequest: null,
    message: null,
    exit: null,
  };
  return settle(base, 0);
}

/** Control characters inside a chunk of keys, as Ink reports them when they come alone. */
const CHUNK_KEYS: Record<string, KeyInfo> = { "\r": { return: true }, "\n": { return: true }, "\x7f": { delete: true }, "\b": { backspace: true } };

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
      const next = { ...state, sort: { col: column.key, descending: action.descending }, message: null };
      return follow(next, state.selectedId);
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
        if (batch !== undefined) return { ...state, exit: { kind: "restart", runId: batch, batch: true } };
        if (isBatchRun(row)) return { ...state, exit: { kind: "restart", runId: row.run.id, batch: true } };
        return { ...state, message: `run ${row.run.id.slice(0, 8)} is not part of a batch; r restarts the run itself` };
      }
      return { ...state, exit: { kind: "restart", runId: row.run.id, batch: false } };
    }
    case "toggleHelp":
      return { ...state, mode: state.mode === "help" ? "table" : "help" };
    case "quit":
      return { ...state, exit: { kind: "quit" } };
    case "data":
      return follow({ ...state, data: action.data, widths: columnWidths(action.data), col: clamp(state.col, 0, action.data.columns.length - 1) }, state.selectedId);
    case "resize":
      return settle({ ...state, width: action.width, pageSize: Math.max(1, action.pageSize) }, state.row);
  }
}

/** The rows shown: the data's rows, filtered by the filter text, then sorted as -m/-M sort (compareCells). */
export function visibleRows(state: Pick<ViewState, "data" | "filter" | "sort">): CompareRow[] {
  let rows = state.data.rows;
  const needle = state.filter.trim().toLowerCase();
  if (needle !== "") {
    // Matches any printed cell or the full run id, so a pasted id finds its run.
    rows = rows.filter((r) => r.run.id.startsWith(needle) || r.cells.some((c) => c.toLowerCase().includes(needle)));
  }
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
  return rows;
}

/** Each column's drawn width: its widest cell or header, at most MAX_COLUMN_WIDTH. */
export function columnWidths(data: CompareData): number[] {
  return data.columns.map((c, i) => {
    // One more than the header, so the sort arrow fits beside it.
    let w = c.header.length + 1;
    for (const r of data.rows) w = Math.max(w, r.cells[i]!.length);
    return Math.min(Math.max(w, 1), MAX_COLUMN_WIDTH);
  });
}

/** The columns that fit the width from `left` on (always at least one). */
export function fittingColumns(widths: number[], left: number, width: number): number[] {
  const out: number[] = [];
  let used = GUTTER_WIDTH;
  for (let i = left; i < widths.length; i++) {
    const w = widths[i]! + (out.length > 0 ? COLUMN_GAP : 0);
    if (out.length > 0 && used + w > width) break;
    out.push(i);
    used += w;
  }
  return out;
}

function isBatchRun(row: CompareRow): boolean {
  return row.run.record.optimizer !== undefined;
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
  let left = clamp(state.left, 0, Math.max(0, state.data.columns.length - 1));
  if (col < left) left = col;
  while (left < col && !fittingColumns(state.widths, left, state.width).includes(col)) left++;

  return { ...state, row: r, top, col, left, selectedId: rows[r]?.run.id ?? null };
}

function clamp(n: number, lo: number, hi: number): number {
  if (hi < lo) return lo;
  return Math.min(Math.max(n, lo), hi);
}
