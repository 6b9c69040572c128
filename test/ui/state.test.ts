import { describe, expect, it } from "vitest";
import {
  applyFilter,
  columnWidths,
  fittingColumns,
  frozenCount,
  initialState,
  reduce,
  visibleRows,
  type Action,
  type ViewState,
} from "../../src/ui/state.js";
import { fakeData, fakeId, THREE, type FakeRun } from "./fixtures.js";

function run(state: ViewState, ...actions: Action[]): ViewState {
  return actions.reduce(reduce, state);
}
const ids = (s: ViewState): string[] => visibleRows(s).map((r) => r.run.id.slice(0, 4));
const colOf = (s: ViewState, key: string): number => s.data.columns.findIndex((c) => c.key === key);
/** Moves the cursor to the row of the run whose id starts with `prefix`. */
const at = (s: ViewState, prefix: string): ViewState => run(s, { type: "home" }, { type: "move", rows: ids(s).indexOf(prefix), cols: 0 });
const many = (n: number): FakeRun[] => Array.from({ length: n }, (_, i) => ({ id: fakeId(String(i).padStart(4, "0")), loss: i }));

describe("compare view state", () => {
  it("starts on the first run, first column", () => {
    const s = initialState(fakeData(THREE));
    expect([s.row, s.col, s.selectedId]).toEqual([0, 0, fakeId("aaaa")]);
  });

  it("moves the cursor and stops at the edges", () => {
    const s0 = initialState(fakeData(THREE));
    expect(run(s0, { type: "move", rows: 1, cols: 0 }).selectedId).toBe(fakeId("bbbb"));
    expect(run(s0, { type: "move", rows: -1, cols: 0 }).row).toBe(0);
    expect(run(s0, { type: "move", rows: 10, cols: 0 }).row).toBe(2);
    expect(run(s0, { type: "move", rows: 0, cols: 99 }).col).toBe(s0.data.columns.length - 1);
  });

  it("scrolls rows by pages and keeps the cursor on screen", () => {
    const s0 = initialState(fakeData(many(50)), 80, 10);
    const s1 = run(s0, { type: "page", pages: 1 });
    expect([s1.row, s1.top]).toEqual([10, 1]);
    const end = run(s0, { type: "end" });
    expect([end.row, end.top]).toEqual([49, 40]);
    const home = run(end, { type: "home" });
    expect([home.row, home.top]).toEqual([0, 0]);
  });

  it("scrolls columns so the cursor column fits the width", () => {
    const data = fakeData([{ id: fakeId("aaaa"), flags: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`flag_${i}`, i])) }]);
    const s0 = initialState(data, 60, 10);
    const last = run(s0, { type: "move", rows: 0, cols: 99 });
    const frozen = frozenCount(data);
    expect(frozen).toBe(2);
    expect(last.left).toBeGreaterThan(frozen);
    expect(fittingColumns(last.widths, last.left, 60, frozen)).toContain(last.col);
    expect(run(last, { type: "move", rows: 0, cols: -99 }).left).toBe(frozen);
  });

  it("keeps the # and run-id columns on screen while the others scroll", () => {
    const data = fakeData([{ id: fakeId("aaaa"), flags: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`flag_${i}`, i])) }]);
    const last = run(initialState(data, 60, 10), { type: "move", rows: 0, cols: 99 });
    const shown = fittingColumns(last.widths, last.left, 60, frozenCount(data)).map((i) => data.columns[i]!.key);
    expect(shown.slice(0, 2)).toEqual([".index", ".short_id"]);
    expect(shown).toContain("=flag_19");
  });

  it("sorts by the column under the cursor, ascending then descending, missing values last", () => {
    const data = fakeData([...THREE, { id: fakeId("dddd"), flags: { lr: 1 } }]);
    let s = initialState(data);
    s = run(s, { type: "move", rows: 0, cols: colOf(s, "last loss") });
    expect(ids(run(s, { type: "sort", descending: false }))).toEqual(["bbbb", "aaaa", "cccc", "dddd"]);
    expect(ids(run(s, { type: "sort", descending: true }))).toEqual(["cccc", "aaaa", "bbbb", "dddd"]);
  });

  it("puts the cursor on the top row after sorting", () => {
    let s = initialState(fakeData(THREE));
    s = run(s, { type: "move", rows: 2, cols: colOf(s, "last loss") }, { type: "sort", descending: false });
    expect([s.row, s.top, s.selectedId]).toEqual([0, 0, fakeId("bbbb")]);
  });

  it("filters with the --filter language, and falls back to text with the reason", () => {
    const s0 = initialState(fakeData(THREE));
    const lang = run(s0, { type: "filterStart" }, { type: "filterType", text: "loss < 0.6 and lr >= 0.01" });
    expect(ids(lang)).toEqual(["aaaa", "bbbb"]);
    expect(applyFilter(lang.data, lang.filter).error).toBeNull();
    const text = run(s0, { type: "filterStart" }, { type: "filterType", text: "0.001" });
    expect(ids(text)).toEqual(["cccc"]);
    expect(applyFilter(text.data, text.filter).error).not.toBeNull();
  });

  it("groups trials under their batch row, in the sorted order, and folds them with c", () => {
    const data = fakeData([
      { id: fakeId("t1t1"), batch: fakeId("bbbb"), loss: 0.5 },
      { id: fakeId("t2t2"), batch: fakeId("bbbb"), loss: 0.1 },
      { id: fakeId("pppp"), loss: 0.3 },
      { id: fakeId("bbbb"), optimizer: "gp" },
    ]);
    let s = initialState(data);
    expect(ids(s)).toEqual(["bbbb", "t1t1", "t2t2", "pppp"]);
    s = run(s, { type: "move", rows: 0, cols: colOf(s, "last loss") }, { type: "sort", descending: false });
    expect(ids(s)).toEqual(["bbbb", "t2t2", "t1t1", "pppp"]);
    const folded = run(at(s, "t1t1"), { type: "toggleGroup" });
    expect(ids(folded)).toEqual(["bbbb", "pppp"]);
    expect(folded.selectedId).toBe(fakeId("bbbb"));
    expect(ids(run(folded, { type: "toggleGroup" }))).toEqual(["bbbb", "t2t2", "t1t1", "pppp"]);
    expect(ids(run(s, { type: "toggleAllGroups" }))).toEqual(["bbbb", "pppp"]);
    expect(run(at(s, "pppp"), { type: "toggleGroup" }).message).toMatch(/not a batch/);
  });

  it("filters as the text is typed and clears on Esc", () => {
    const s0 = initialState(fakeData(THREE));
    const typing = run(s0, { type: "filterStart" }, { type: "filterType", text: "0." }, { type: "filterType", text: "9" });
    expect(typing.mode).toBe("filter");
    expect(ids(typing)).toEqual(["cccc"]);
    expect(ids(run(typing, { type: "filterBackspace" }))).toEqual(["aaaa", "bbbb", "cccc"]);
    const kept = run(typing, { type: "filterAccept" });
    expect([kept.mode, kept.filter]).toEqual(["table", "0.9"]);
    const cleared = run(typing, { type: "filterClear" });
    expect([cleared.mode, cleared.filter, ids(cleared).length]).toEqual(["table", "", 3]);
  });

  it("marks runs with space, moving down", () => {
    const s = run(initialState(fakeData(THREE)), { type: "toggleMark" }, { type: "toggleMark" });
    expect([...s.marked]).toEqual([fakeId("aaaa"), fakeId("bbbb")]);
    expect(s.row).toBe(2);
    const unmarked = run(s, { type: "move", rows: -2, cols: 0 }, { type: "toggleMark" });
    expect([...unmarked.marked]).toEqual([fakeId("bbbb")]);
  });

  it("asks to delete the marked runs, or the selected one when none is marked", () => {
    const s0 = initialState(fakeData(THREE));
    expect(run(s0, { type: "askDelete" }).confirmIds).toEqual([fakeId("aaaa")]);
    const marked = run(s0, { type: "move", rows: 1, cols: 0 }, { type: "toggleMark" }, { type: "toggleMark" }, { type: "askDelete" });
    expect(marked.mode).toBe("confirm");
    expect(marked.confirmIds).toEqual([fakeId("bbbb"), fakeId("cccc")]);
  });

  it("requests the delete only after confirming", () => {
    const asked = run(initialState(fakeData(THREE)), { type: "askDelete" });
    expect(asked.deleteRequest).toBeNull();
    expect(run(asked, { type: "cancel" })).toMatchObject({ mode: "table", deleteRequest: null });
    const yes = run(asked, { type: "confirmDelete" });
    expect(yes.deleteRequest).toEqual([fakeId("aaaa")]);
    const done = run(yes, { type: "deleted", ids: [fakeId("aaaa")] });
    expect(done.deleteRequest).toBeNull();
    expect(done.message).toMatch(/moved 1 run to the trash/);
  });

  it("toggles details and help", () => {
    const s0 = initialState(fakeData(THREE));
    expect(run(s0, { type: "toggleDetails" }).details).toBe(true);
    expect(run(s0, { type: "toggleDetails" }, { type: "toggleDetails" }).details).toBe(false);
    expect(run(s0, { type: "toggleHelp" }).mode).toBe("help");
    expect(run(s0, { type: "toggleHelp" }, { type: "toggleHelp" }).mode).toBe("table");
  });

  it("requests a restart of the selected run, or of its batch", () => {
    const data = fakeData([
      { id: fakeId("aaaa"), batch: fakeId("bbbb"), status: "error" },
      { id: fakeId("bbbb"), optimizer: "gp" },
      { id: fakeId("cccc") },
    ]);
    const s0 = initialState(data);
    expect(run(at(s0, "aaaa"), { type: "restart", batch: false }).exit).toEqual({ kind: "restart", runId: fakeId("aaaa"), batch: false });
    expect(run(at(s0, "aaaa"), { type: "restart", batch: true }).exit).toEqual({ kind: "restart", runId: fakeId("bbbb"), batch: true });
    expect(run(at(s0, "bbbb"), { type: "restart", batch: true }).exit).toEqual({ kind: "restart", runId: fakeId("bbbb"), batch: true });
    const plain = run(at(s0, "cccc"), { type: "restart", batch: true });
    expect(plain.exit).toBeNull();
    expect(plain.message).toMatch(/not part of a batch/);
  });

  it("says why a run cannot be restarted instead of leaving", () => {
    const data = fakeData([
      { id: fakeId("aaaa"), batch: fakeId("bbbb"), status: "completed" },
      { id: fakeId("bbbb"), optimizer: "gp" },
      { id: fakeId("cccc"), status: "running" },
    ]);
    const s0 = initialState(data);
    const trial = run(at(s0, "aaaa"), { type: "restart", batch: false });
    expect(trial.exit).toBeNull();
    expect(trial.message).toBe("run aaaa0000 is a completed trial; restart its batch instead: g run --restart bbbb0000");
    const running = run(at(s0, "cccc"), { type: "restart", batch: false });
    expect([running.exit, running.message]).toEqual([null, "run cccc0000 is still running; stop it first with g stop cccc0000"]);
  });

  it("quits", () => {
    expect(run(initialState(fakeData(THREE)), { type: "quit" }).exit).toEqual({ kind: "quit" });
  });

  it("follows the selected run when the data is reloaded", () => {
    let s = run(initialState(fakeData(THREE)), { type: "move", rows: 1, cols: 0 });
    s = run(s, { type: "data", data: fakeData([{ id: fakeId("eeee") }, ...THREE]) });
    expect([s.row, s.selectedId]).toEqual([2, fakeId("bbbb")]);
    s = run(s, { type: "data", data: fakeData([THREE[0]!]) });
    expect([s.row, s.selectedId]).toEqual([0, fakeId("aaaa")]);
  });

  it("copes with no runs at all", () => {
    const s = run(
      initialState(fakeData([])),
      { type: "move", rows: 1, cols: 1 },
      { type: "askDelete" },
      { type: "restart", batch: false },
      { type: "toggleMark" },
    );
    expect([s.row, s.selectedId, s.mode, s.exit]).toEqual([0, null, "table", null]);
  });

  it("measures columns by their widest cell, capped", () => {
    const data = fakeData([{ id: fakeId("aaaa"), flags: { note: "x".repeat(100) } }]);
    const w = columnWidths(data);
    expect(w[data.columns.findIndex((c) => c.key === "=note")]).toBe(24);
  });
});

describe("compare view state, key presses", () => {
  it("maps a key against the current mode", () => {
    const s = run(initialState(fakeData(THREE)), { type: "key", input: "/", key: {} }, { type: "key", input: "q", key: {} });
    expect([s.mode, s.filter, s.exit]).toEqual(["filter", "q", null]);
  });

  it("takes keys that arrive in one chunk one by one", () => {
    const s = run(initialState(fakeData(THREE)), { type: "key", input: "jj", key: {} });
    expect(s.selectedId).toBe(fakeId("cccc"));
  });
});

describe("compare view state, chunks with control keys", () => {
  it("reads Enter inside a chunk of keys", () => {
    const s = run(initialState(fakeData(THREE)), { type: "key", input: "j\r", key: {} });
    expect([s.selectedId, s.details]).toEqual([fakeId("bbbb"), true]);
  });
});

describe("compare data for batches", () => {
  it("keeps a flag column numeric when a batch row holds its search spec", () => {
    const data = fakeData([
      { id: fakeId("t1t1"), batch: fakeId("bbbb"), flags: { x: 1.5 } },
      { id: fakeId("bbbb"), optimizer: "gp", flags: { x: "[-2:2]" } },
    ]);
    expect(data.columns.find((c) => c.key === "=x")!.numeric).toBe(true);
  });
});
