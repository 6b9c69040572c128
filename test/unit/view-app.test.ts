// The view app's pure parts: hash routes, the runs table's sort and grouping,
// smoothing, run colours, best-so-far and sparkline points.
import { describe, expect, it } from "vitest";
import type { RunsColumn, RunsRow } from "../../src/view/api.js";
import {
  assignRunColors,
  bestSoFar,
  chartXRange,
  colorForRun,
  countPresent,
  legendIndex,
  smoothEma,
  sparklinePoints,
} from "../../src/view/app/chart-math.js";
import { formatRoute, parseRoute } from "../../src/view/app/router.js";
import { buildTableItems, findSearchTarget, rowComparator } from "../../src/view/app/table-model.js";

const COLUMNS: RunsColumn[] = [
  { key: ".short_id", header: "run", kind: "core", numeric: false },
  { key: "last loss", header: "loss", kind: "scalar", numeric: true },
  { key: "=opt", header: "opt", kind: "flag", numeric: false },
];

function row(id: string, loss: number | null, extra: Partial<RunsRow> = {}): RunsRow {
  return {
    id,
    shortId: id.slice(0, 8),
    index: 0,
    status: "completed",
    label: "",
    op: "train.py",
    batch: null,
    trial: null,
    sweep: null,
    values: [id.slice(0, 8), loss, "adam"],
    cells: [id.slice(0, 8), loss === null ? "" : String(loss), "adam"],
    ...extra,
  };
}

const ids = (items: ReturnType<typeof buildTableItems>): string[] => items.map((i) => (i.kind === "run" ? i.row.id : `sweep:${i.sweep}`));

describe("view app routes", () => {
  it("reads each page's hash and writes it back the same", () => {
    expect(parseRoute("")).toEqual({ page: "runs", selected: [], filter: "" });
    expect(parseRoute("#/runs?sel=a,b&filter=loss%20%3C%201")).toEqual({ page: "runs", selected: ["a", "b"], filter: "loss < 1" });
    expect(parseRoute("#/curves?runs=a,b,a")).toEqual({ page: "curves", runs: ["a", "b"] });
    expect(parseRoute("#/search/abc")).toEqual({ page: "search", id: "abc" });
    expect(parseRoute("#/run/abc")).toEqual({ page: "run", id: "abc" });
    for (const hash of ["#/runs?sel=a%2Cb&filter=x+%3E+1", "#/curves?runs=a,b", "#/search/abc", "#/run/abc"])
      expect(parseRoute(formatRoute(parseRoute(hash)))).toEqual(parseRoute(hash));
  });

  it("calls anything else not found, including a bad escape", () => {
    for (const hash of ["#/nope", "#/run", "#/run/a/b", "#/run/%E0%A4%A"]) expect(parseRoute(hash).page).toBe("not-found");
  });
});

describe("runs table model", () => {
  it("sorts numbers by value with missing values last in both directions", () => {
    const rows = [row("a", 10), row("b", null), row("c", 9), row("d", -1)];
    expect(ids(buildTableItems(rows, COLUMNS, { column: 1, descending: false }, new Set()))).toEqual(["d", "c", "a", "b"]);
    expect(ids(buildTableItems(rows, COLUMNS, { column: 1, descending: true }, new Set()))).toEqual(["a", "c", "d", "b"]);
    expect(ids(buildTableItems(rows, COLUMNS, null, new Set()))).toEqual(["a", "b", "c", "d"]);
  });

  it("compares text with digits by value (run10 after run9)", () => {
    const compare = rowComparator(COLUMNS, { column: 0, descending: false })!;
    expect(compare(row("run10xxx", 1), row("run9xxxx", 1))).toBeGreaterThan(0);
  });

  it("puts trials under their batch, sorted within it, and hides them when collapsed", () => {
    const rows = [
      row("t2", 3, { batch: "b", trial: 2 }),
      row("t1", 1, { batch: "b", trial: 1 }),
      row("b", null, { op: "gp" }),
      row("x", 2),
    ];
    const items = buildTableItems(rows, COLUMNS, { column: 1, descending: false }, new Set());
    // the batch goes by its best trial (1 < 2)
    expect(ids(items)).toEqual(["b", "t1", "t2", "x"]);
    expect(items.map((i) => (i.kind === "run" ? i.depth : -1))).toEqual([0, 1, 1, 0]);
    expect(ids(buildTableItems(rows, COLUMNS, null, new Set(["b"])))).toEqual(["b", "x"]);
  });

  it("places a batch by its best trial under the sort, as a sweep by its best run", () => {
    const rows = [
      row("x", 1.5),
      row("y", 0.01),
      row("n", null),
      row("gp", null, { op: "gp" }),
      row("g1", 0.4, { batch: "gp", trial: 1 }),
      row("g2", -0.97, { batch: "gp", trial: 2 }),
      row("grid", null, { op: "grid" }),
      row("r1", 0.1, { batch: "grid", trial: 1 }),
      row("r2", 2, { batch: "grid", trial: 2 }),
      row("s1", 0.05, { sweep: "sw" }),
    ];
    const top = (descending: boolean): string[] =>
      buildTableItems(rows, COLUMNS, { column: 1, descending }, new Set()).flatMap((i) =>
        i.kind === "sweep" ? [`sweep:${i.sweep}`] : i.depth === 0 ? [i.row.id] : [],
      );
    expect(top(false)).toEqual(["gp", "y", "sweep:sw", "grid", "x", "n"]);
    expect(top(true)).toEqual(["grid", "x", "gp", "sweep:sw", "y", "n"]);
    // a collapsed batch still sorts by its trials
    const collapsed = buildTableItems(rows, COLUMNS, { column: 1, descending: false }, new Set(["gp"]));
    expect(ids(collapsed)[0]).toBe("gp");
    // a batch run with a value of its own better than its trials' goes by that
    const own = [row("b", -5, { op: "gp" }), row("t", 3, { batch: "b", trial: 1 }), row("z", 0)];
    expect(ids(buildTableItems(own, COLUMNS, { column: 1, descending: false }, new Set()))).toEqual(["b", "t", "z"]);
  });

  it("orders text that numeric collation calls equal (lr0.001, lr0.01, lr0.1)", () => {
    const compare = rowComparator(COLUMNS, { column: 2, descending: false })!;
    const rows = ["lr0.1", "lr0.001", "lr0.01"].map((opt) => row(opt.padEnd(8, "x"), 1, { values: ["", 1, opt] }));
    expect(rows.sort(compare).map((r) => r.values[2])).toEqual(["lr0.001", "lr0.01", "lr0.1"]);
    expect(compare(rows[0]!, rows[1]!)).toBeLessThan(0);
  });

  it("shows a trial whose batch is not in the table at the top level", () => {
    expect(ids(buildTableItems([row("t1", 1, { batch: "gone", trial: 1 })], COLUMNS, null, new Set()))).toEqual(["t1"]);
  });

  it("groups a sweep's runs under one heading", () => {
    const rows = [row("s1", 2, { sweep: "sw" }), row("x", 5), row("s2", 1, { sweep: "sw" })];
    expect(ids(buildTableItems(rows, COLUMNS, { column: 1, descending: false }, new Set()))).toEqual(["sweep:sw", "s2", "s1", "x"]);
    expect(ids(buildTableItems(rows, COLUMNS, null, new Set(["sw"])))).toEqual(["sweep:sw", "x"]);
  });

  it("finds the batch or sweep a selection points at, or none when it is mixed", () => {
    const rows = [row("b", null), row("t1", 1, { batch: "b" }), row("t2", 1, { batch: "b" }), row("s1", 1, { sweep: "sw" }), row("x", 1)];
    expect(findSearchTarget(rows, new Set(["b"]))).toBe("b");
    expect(findSearchTarget(rows, new Set(["t1", "t2"]))).toBe("b");
    expect(findSearchTarget(rows, new Set(["s1"]))).toBe("sw");
    expect(findSearchTarget(rows, new Set(["t1", "s1"]))).toBeNull();
    expect(findSearchTarget(rows, new Set(["x"]))).toBeNull();
    expect(findSearchTarget(rows, new Set())).toBeNull();
  });
});

describe("chart helpers", () => {
  it("smooths as TensorBoard does: a debiased EMA that starts at the first value", () => {
    expect(smoothEma([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const smoothed = smoothEma([4, 0, 0], 0.5);
    expect(smoothed[0]).toBeCloseTo(4);
    // the average is 2, then 1, then 0.5; debiased by 1 - 0.5^n
    expect(smoothed[1]).toBeCloseTo(1 / 0.75);
    expect(smoothed[2]).toBeCloseTo(0.5 / 0.875);
    expect(smoothEma([1, NaN, 1], 0.9)[1]).toBeNaN();
  });

  it("keeps the best value so far, for min and max", () => {
    expect(bestSoFar([null, 3, 5, 1, null, 2], "min")).toEqual([null, 3, 3, 1, 1, 1]);
    expect(bestSoFar([2, 1, 4], "max")).toEqual([2, 2, 4]);
  });

  it("gives a run the same colour every time, and runs drawn together different ones", () => {
    expect(colorForRun("abc")).toBe(colorForRun("abc"));
    const runs = Array.from({ length: 12 }, (_, i) => `run${i}`);
    const colors = assignRunColors(runs);
    expect(new Set(colors.values()).size).toBe(12);
    expect(assignRunColors([...runs].reverse())).toEqual(colors);
  });

  it("gives a run's legend value from its own nearest point, and none beyond its first or last", () => {
    // joined xs of a 5-step run and a run that logged once, at step 0
    const xs = [0, 1, 2, 3, 4];
    const long = [5, 4, null, 2, 1];
    const once = [7, null, null, null, null];
    expect(legendIndex(xs, long, 2, 2.4)).toBe(3);
    expect(legendIndex(xs, long, 2, 1.6)).toBe(1);
    expect(legendIndex(xs, long, 4, 4)).toBe(4);
    expect(legendIndex(xs, once, 0, 0)).toBe(0);
    expect(legendIndex(xs, once, 3, 3)).toBeNull();
    expect(legendIndex(xs, [null, null, 3, 4, null], 4, 4)).toBeNull();
    expect(legendIndex(xs, [null, null, 3, 4, null], 0, 0)).toBeNull();
    expect(legendIndex(xs, long, null, 0)).toBeNull();
  });

  it("counts a series' points, gaps and left-out values not included", () => {
    expect(countPresent([1, null, NaN, 2, undefined], 0, 4)).toBe(2);
    expect(countPresent([1, null, 3], 1, 9)).toBe(1);
  });

  it("centres a chart of one step, and leaves room for a lone point's marker at the edge", () => {
    expect(chartXRange(0, 0, 0, 100, true)).toEqual([-1, 1]);
    expect(chartXRange(0, 100, 0, 100, false)).toEqual([0, 100]);
    expect(chartXRange(0, 100, 0, 100, true)).toEqual([-3, 103]);
    // a zoom is kept as asked
    expect(chartXRange(0, 100, 10, 20, true)).toEqual([10, 20]);
  });

  it("draws a sparkline across the whole box, y upwards", () => {
    expect(sparklinePoints([0, 1, 2], [0, 10, 5], 100, 20)).toBe("0,20 50,0 100,10");
    expect(sparklinePoints([0], [3], 100, 20)).toBe("50,10");
    expect(sparklinePoints([], [], 100, 20)).toBe("");
  });
});
