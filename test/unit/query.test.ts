import { describe, expect, it } from "vitest";
import { NotFoundError, UsageError } from "../../src/errors.js";
import { parseColumn, parseColumns, resolveColumn } from "../../src/query/columns.js";
import {
  ROW_BLOCK,
  buildCompareData,
  buildRowCells,
  compareCells,
  keptCellLength,
  keptCellText,
  type CompareData,
  type CompareInput,
  type CompareInputRun,
} from "../../src/query/compare-data.js";
import { formatDuration, formatNumber } from "../../src/format/values.js";
import { parseTop } from "../../src/query/top.js";
import { MAX_FILTER_NESTING, evaluateFilter, parseFilter, type FilterValue } from "../../src/query/filter.js";
import { indexRuns, selectRuns } from "../../src/query/select.js";
import type { Flags, Run, RunStatus, ScalarSummary } from "../../src/store/types.js";

const NOW = Date.parse("2026-11-01T12:00:00Z");

function summary(last: number, extra: Partial<ScalarSummary> = {}): ScalarSummary {
  return { last, first: last, min: last, max: last, avg: last, total: last, count: 1, step: null, ...extra };
}

/** A run as the store would give it; n makes the id (n repeated) and orders creation. */
function makeRun(
  n: number,
  flags: Flags,
  scalars: Record<string, ScalarSummary>,
  more: { status?: RunStatus; label?: string; started?: string | null; stopped?: string | null } = {},
): CompareInputRun {
  const id = n.toString(16).padStart(2, "0").repeat(16);
  const run: Run = {
    id,
    dir: `/store/runs/${id}`,
    status: more.status ?? "completed",
    record: {
      format: 1,
      id,
      op: "train.py",
      cmd: [],
      cwd: "/",
      flags,
      created: "2026-11-01T10:00:00.000Z",
      started: more.started === undefined ? "2026-11-01T10:00:00.000Z" : more.started,
      stopped: more.stopped === undefined ? "2026-11-01T10:01:05.000Z" : more.stopped,
      exit_status: 0,
      label: more.label ?? "",
      tags: [],
    },
  };
  return { index: n, run, summaries: scalars };
}

const RUNS: CompareInputRun[] = [
  makeRun(1, { x: 0.1, opt: "adam" }, { loss: summary(0.5, { min: 0.2 }), acc: summary(0.9) }),
  makeRun(2, { x: -0.3, opt: "sgd" }, { loss: summary(0.1, { min: 0.1 }) }, { label: "best" }),
  makeRun(3, { x: 2, opt: "adam" }, {}, { status: "error" }),
  makeRun(4, { x: 0.4, opt: "sgd" }, { loss: summary(0.3, { min: 0.05 }), acc: summary(0.7) }),
];

function build(input: Partial<CompareInput>) {
  return buildCompareData({ runs: RUNS, now: NOW, ...input });
}

function column(data: ReturnType<typeof build>, header: string): (string | number | boolean | null)[] {
  const i = data.columns.findIndex((c) => c.header === header);
  if (i < 0) throw new Error(`no column ${header} in ${data.columns.map((c) => c.header).join(",")}`);
  return data.rows.map((r) => r.values[i]!);
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("selection feeding compare", () => {
  it("selects the latest runs by range and rejects an index past the end with exit 3", () => {
    const all = indexRuns(RUNS.map((r) => r.run));
    expect(selectRuns(all, ["1:2"]).map((r) => r.index)).toEqual([1, 2]);
    expect(() => selectRuns(all, ["9"])).toThrow(NotFoundError);
  });
});

describe("column expressions", () => {
  it("parses scalars, qualified scalars, flags, attributes and headers", () => {
    expect(parseColumns("loss, min loss, =x, .time, max acc as best")).toEqual([
      { ref: { type: "bare", name: "loss" } },
      { ref: { type: "scalar", key: "loss", qualifier: "min" } },
      { ref: { type: "flag", name: "x" } },
      { ref: { type: "attr", attr: "time" } },
      { ref: { type: "scalar", key: "acc", qualifier: "max" }, as: "best" },
    ]);
  });

  it("accepts every qualifier", () => {
    for (const q of ["last", "first", "min", "max", "avg", "total", "count", "step"]) {
      expect(parseColumns(`${q} val/loss`)).toEqual([{ ref: { type: "scalar", key: "val/loss", qualifier: q } }]);
    }
  });

  it("reads a lone qualifier word as a name", () => {
    expect(parseColumns("step")).toEqual([{ ref: { type: "bare", name: "step" } }]);
  });

  it("names the column of a parse error", () => {
    expect(usageMessage(() => parseColumns("loss, ,x"))).toMatch(/at column 7/);
    expect(usageMessage(() => parseColumns("loss acc"))).toMatch(/expected "," between columns at column 6/);
    expect(usageMessage(() => parseColumns("loss, .nope"))).toMatch(/unknown run attribute "\.nope" at column 8/);
    expect(usageMessage(() => parseColumns("="))).toMatch(/expected a flag name after "=" at column 2/);
  });

  it("says a word before a name is not a qualifier, lists the qualifiers and suggests the nearest", () => {
    const median = usageMessage(() => parseColumns("median loss"));
    expect(median).toMatch(/^-c\/--cols: "median" at column 1 is not a qualifier; did you mean "avg loss" \(no median is kept\)\?/);
    expect(median).toContain("Qualifiers: last, first, min, max, avg, total, count, step");
    expect(usageMessage(() => parseColumns("loss, mni loss"))).toMatch(/"mni" at column 7 is not a qualifier; did you mean "min loss"\?/);
    expect(usageMessage(() => parseColumns("mean val/loss"))).toMatch(/did you mean "avg val\/loss"\?/);
    expect(usageMessage(() => parseColumns("std loss"))).toMatch(/"std" at column 1 is not a qualifier; write one of last, first, min/);
    // Two names that are no qualifier mistake are two columns without their ",".
    expect(usageMessage(() => parseColumns("loss acc"))).toMatch(/expected "," between columns at column 6/);
  });

  it("tells a qualifier before a flag or an attribute to write the flag or attribute alone", () => {
    expect(usageMessage(() => parseColumn("min =x", "-m/--min"))).toBe(
      '-m/--min: "min =x" at column 1: qualifiers apply to scalars, not flags; =x has one value a run: write =x',
    );
    expect(usageMessage(() => parseColumns("loss, max .time"))).toMatch(/not run attributes; \.time has one value a run: write \.time$/);
  });

  it("suggests the nearest attribute for a misspelt one", () => {
    expect(usageMessage(() => parseColumn(".sttaus", "-m/--min"))).toMatch(
      /^-m\/--min: unknown run attribute "\.sttaus" at column 2; did you mean \.status\? Attributes: \.index, /,
    );
  });

  it("resolves a bare name to a scalar when one exists, else to a flag", () => {
    const known = { scalars: new Set(["loss", "x"]), flags: new Set(["x", "lr"]) };
    expect(resolveColumn({ type: "bare", name: "x" }, known)).toMatchObject({ type: "scalar", key: "x", qualifier: "last" });
    expect(resolveColumn({ type: "bare", name: "lr" }, known)).toMatchObject({ type: "flag", name: "lr" });
    expect(resolveColumn({ type: "bare", name: "nothing" }, known)).toMatchObject({ type: "scalar", key: "nothing" });
  });
});

describe("filter expressions", () => {
  const values: Record<string, FilterValue> = { loss: 0.15, x: -0.5, name: "adam", done: true, missing: null };
  const test = (expr: string): boolean =>
    evaluateFilter(parseFilter(expr), (ref) =>
      ref.type === "bare" ? (values[ref.name] ?? null) : ref.type === "flag" ? (values[ref.name] ?? null) : null,
    );

  it("compares numbers with every operator", () => {
    expect(test("loss < 0.2")).toBe(true);
    expect(test("loss <= 0.15")).toBe(true);
    expect(test("loss > 0.2")).toBe(false);
    expect(test("loss >= 0.15")).toBe(true);
    expect(test("loss = 0.15")).toBe(true);
    expect(test("loss == 0.15")).toBe(true);
    expect(test("loss != 0.15")).toBe(false);
  });

  it("reads negative numbers after an operator, without spaces too", () => {
    expect(test("x > -1")).toBe(true);
    expect(test("x>-0.4")).toBe(false);
    expect(test("x=-0.5")).toBe(true);
  });

  it("binds and tighter than or, and honours parentheses and not", () => {
    expect(test("loss > 1 and x < 0 or name = 'adam'")).toBe(true);
    expect(test("loss > 1 and (x < 0 or name = 'adam')")).toBe(false);
    expect(test("not loss > 1")).toBe(true);
    expect(test("not (loss < 1 and x < 0)")).toBe(false);
  });

  it("compares strings, booleans, and =name as a flag", () => {
    expect(test('name = "adam"')).toBe(true);
    expect(test("name != 'sgd'")).toBe(true);
    expect(test("done = true")).toBe(true);
    expect(test("=x < 0")).toBe(true);
  });

  it("never orders text that is no number against a number, nor finds them equal", () => {
    // A batch run's flag holds its search spec as text.
    values.spec = "[-0.5,-0.4,-0.3]";
    try {
      for (const expr of ["spec >= 0", "spec > -0.25", "spec < 0", "spec <= 100", "spec = 0", "0 < spec"])
        expect(test(expr), expr).toBe(false);
      expect(test("spec != 0")).toBe(true);
      expect(test('spec = "[-0.5,-0.4,-0.3]"')).toBe(true);
      expect(test('name > "a"')).toBe(true);
    } finally {
      delete values.spec;
    }
  });

  it("treats a missing value as failing every comparison but !=", () => {
    expect(test("missing < 1")).toBe(false);
    expect(test("missing >= 1")).toBe(false);
    expect(test("missing = 1")).toBe(false);
    expect(test("missing != 1")).toBe(true);
  });

  it("names the position of a bad expression", () => {
    expect(usageMessage(() => parseFilter("loss < and x"))).toMatch(/^--filter: expected a value after "<" at column 8/);
    expect(usageMessage(() => parseFilter("loss <"))).toMatch(/expected a value after "<" at the end/);
    expect(usageMessage(() => parseFilter("loss 0.2"))).toMatch(/expected an operator .* after "loss" at column 6/);
    expect(usageMessage(() => parseFilter("(loss < 1"))).toMatch(/expected "\)" to close the "\(" at column 1 at the end/);
    expect(usageMessage(() => parseFilter("loss < 1)"))).toMatch(/unmatched "\)" at column 9/);
    expect(usageMessage(() => parseFilter("name = 'adam"))).toMatch(/string starting at column 8 has no closing '/);
    expect(usageMessage(() => parseFilter("loss < 1 x > 2"))).toMatch(/expected "and", "or" or the end at column 10/);
  });

  it("refuses ( and not nested past the limit with a usage error, not a stack overflow", () => {
    const deep = (n: number, open: string, close: string) => open.repeat(n) + "loss < 1" + close.repeat(n);
    expect(test(deep(MAX_FILTER_NESTING, "(", ")"))).toBe(true);
    expect(test(deep(MAX_FILTER_NESTING, "not ", ""))).toBe(true); // an even number of nots
    expect(usageMessage(() => parseFilter(deep(10_000, "(", ")")))).toMatch(
      /^--filter: "\(" and "not" nest more than 100 deep at column 101/,
    );
    expect(usageMessage(() => parseFilter(deep(20_000, "not ", "")))).toMatch(/nest more than 100 deep/);
  });

  it("evaluates a chain of 30 000 and/or terms without deep recursion", () => {
    expect(test(Array(30_000).fill("loss < 1").join(" and "))).toBe(true);
    expect(test([...Array(29_999).fill("loss > 1"), "x < 0"].join(" or "))).toBe(true);
    expect(test([...Array(29_999).fill("loss < 1"), "x > 0"].join(" and "))).toBe(false);
  });
});

describe("buildCompareData", () => {
  it("shows the core columns, every flag and every scalar's last value by default", () => {
    const data = build({});
    expect(data.columns.map((c) => c.header)).toEqual(["#", "run", "op", "started", "time", "status", "label", "x", "opt", "loss", "acc"]);
    expect(data.columns.map((c) => c.kind)).toEqual([
      "core",
      "core",
      "core",
      "core",
      "core",
      "core",
      "core",
      "flag",
      "flag",
      "scalar",
      "scalar",
    ]);
    expect(column(data, "loss")).toEqual([0.5, 0.1, null, 0.3]);
    expect(column(data, "time")).toEqual([65, 65, 65, 65]);
    expect(data.rows[0]!.cells[4]).toBe("0:01:05");
    expect(data.rows[0]!.cells[3]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it("marks columns numeric only when every present value is a number", () => {
    const data = build({});
    const numeric = Object.fromEntries(data.columns.map((c) => [c.header, c.numeric]));
    expect(numeric).toMatchObject({ "#": true, x: true, opt: false, loss: true, status: false });
  });

  it("heads a flag =name when a scalar has the same name", () => {
    const runs = [makeRun(1, { lr: 0.1 }, { lr: summary(0.05) })];
    const data = buildCompareData({ runs, now: NOW, skipCore: true });
    expect(data.columns.map((c) => [c.header, c.kind])).toEqual([
      ["=lr", "flag"],
      ["lr", "scalar"],
    ]);
  });

  it("heads a flag =name in -c columns too when a scalar has the same name", () => {
    const runs = [makeRun(1, { acc: 0.2, lr: 0.1 }, { acc: summary(0.3) })];
    const data = buildCompareData({ runs, now: NOW, skipCore: true, columns: "acc, =acc, =lr" });
    expect(data.columns.map((c) => [c.header, c.kind])).toEqual([
      ["acc", "scalar"],
      ["=acc", "flag"],
      ["lr", "flag"],
    ]);
    expect(data.rows[0]!.cells).toEqual(["0.3", "0.2", "0.1"]);
    expect(buildCompareData({ runs, now: NOW, skipCore: true, columns: "=acc as flag_acc" }).columns[0]!.header).toBe("flag_acc");
  });

  it("sorts ascending with -m, missing values last", () => {
    expect(column(build({ min: ["loss"] }), "#")).toEqual([2, 4, 1, 3]);
  });

  it("sorts descending with -M, missing values still last", () => {
    expect(column(build({ max: ["loss"] }), "#")).toEqual([1, 4, 2, 3]);
  });

  it("sorts by a qualified scalar and by a flag, then keeps the first N with --top", () => {
    expect(column(build({ min: ["min loss"] }), "#")).toEqual([4, 2, 1, 3]);
    expect(column(build({ min: ["=x"], top: 2 }), "#")).toEqual([2, 1]);
  });

  it("breaks ties with the next sort key", () => {
    expect(column(build({ min: ["opt"], max: ["x"] }), "#")).toEqual([3, 1, 4, 2]);
  });

  it("keeps the list order under --top without a sort", () => {
    expect(column(build({ top: 3 }), "#")).toEqual([1, 2, 3]);
    expect(() => build({ top: 0 })).toThrow(UsageError);
  });

  it("reads --top as a whole number of runs of at least 1", () => {
    expect(parseTop("5")).toBe(5);
    expect(parseTop(2)).toBe(2);
    for (const bad of ["0", "-1", "1.5", "five", "", 0]) expect(() => parseTop(bad)).toThrow(/-t\/--top takes a whole number of runs >= 1/);
  });

  it("orders cells numbers first, then NaN, then text, then empty cells, either way", () => {
    const cells = [3, null, "b", Number.NaN, 1, "", "a"];
    expect([...cells].sort((a, b) => compareCells(a, b, false))).toEqual([1, 3, Number.NaN, "a", "b", null, ""]);
    expect([...cells].sort((a, b) => compareCells(a, b, true))).toEqual([3, 1, Number.NaN, "b", "a", null, ""]);
  });

  it("sorts a batch run's search spec after its trials' numbers with -m and with -M", () => {
    const runs = [
      makeRun(1, { x: -0.1 }, {}),
      makeRun(2, { x: "[-0.5,-0.3,-0.1]" }, {}),
      makeRun(3, { x: -0.5 }, {}),
      makeRun(4, { x: -0.3 }, {}),
      makeRun(5, {}, {}),
    ];
    const order = (input: Partial<CompareInput>) => column(buildCompareData({ runs, now: NOW, ...input }), "#");
    expect(order({ max: ["=x"] })).toEqual([1, 4, 3, 2, 5]);
    expect(order({ min: ["=x"] })).toEqual([3, 4, 1, 2, 5]);
    expect(order({ max: ["=x"], top: 1 })).toEqual([1]);
  });

  it("keeps a batch run's search spec out of a numeric --filter", () => {
    const runs = [makeRun(1, { x: -0.1 }, {}), makeRun(2, { x: "[-0.5,-0.1]" }, {}), makeRun(3, { x: -0.5 }, {})];
    const rows = (filter: string) => column(buildCompareData({ runs, now: NOW, filter }), "#");
    expect(rows("x >= 0")).toEqual([]);
    expect(rows("x > -0.25")).toEqual([1]);
    expect(rows("=x != -0.1")).toEqual([2, 3]);
  });

  it("filters rows, resolving bare names to scalars or flags", () => {
    expect(column(build({ filter: "loss < 0.4 and x > -1" }), "#")).toEqual([2, 4]);
    expect(column(build({ filter: 'opt = "adam" or .label = "best"' }), "#")).toEqual([1, 2, 3]);
    expect(column(build({ filter: '.status = "error"' }), "#")).toEqual([3]);
  });

  it("shows the core columns then the -c columns, with their headers", () => {
    const data = build({ columns: "min loss, =x, acc as accuracy" });
    expect(data.columns.map((c) => c.header)).toEqual([
      "#",
      "run",
      "op",
      "started",
      "time",
      "status",
      "label",
      "min loss",
      "x",
      "accuracy",
    ]);
    expect(column(data, "min loss")).toEqual([0.2, 0.1, null, 0.05]);
    expect(data.explicitColumns).toBe(true);
  });

  it("drops the core columns with --skip-core but keeps the .attr columns -c asked for", () => {
    expect(build({ skipCore: true }).columns.map((c) => c.header)).not.toContain("time");
    const data = build({ skipCore: true, columns: "loss, .time, .status" });
    expect(data.columns.map((c) => c.header)).toEqual(["loss", "time", "status"]);
    expect(column(data, "status")).toEqual(["completed", "completed", "error", "completed"]);
  });

  it("rejects a column no selected run has, suggesting the closest name", () => {
    expect(usageMessage(() => build({ min: ["lsos"] }))).toBe('-m/--min: no selected run has a scalar or flag "lsos"; did you mean loss?');
    expect(usageMessage(() => build({ max: ["min los"] }))).toMatch(
      /^-M\/--max: no selected run has a scalar "los" .*did you mean loss\?$/,
    );
    expect(usageMessage(() => build({ filter: "lsos < 0" }))).toMatch(/^--filter: .*"lsos"; did you mean loss\?$/);
    expect(usageMessage(() => build({ columns: "loss, los" }))).toMatch(/^-c\/--cols: .*"los"; did you mean loss\?$/);
    expect(usageMessage(() => build({ columns: "=opts" }))).toMatch(/flag "=opts"; did you mean =opt\?$/);
    expect(usageMessage(() => build({ columns: "time" }))).toMatch(/did you mean \.time\?$/);
    expect(usageMessage(() => build({ columns: "min x" }))).toMatch(/x is a flag, which has no min: write =x/);
  });

  it("uses the runs' names to tell a mistaken qualifier from a missing comma or operator", () => {
    expect(usageMessage(() => build({ columns: "foo loss" }))).toMatch(/"foo" at column 1 is not a qualifier; write one of/);
    expect(usageMessage(() => build({ columns: "loss acc" }))).toMatch(/expected "," between columns/);
    expect(usageMessage(() => build({ filter: "median loss < 1" }))).toMatch(
      /^--filter: "median" at column 1 is not a qualifier; did you mean "avg loss" \(no median is kept\)\? Qualifiers: [a-z, ]+$/,
    );
    expect(usageMessage(() => build({ filter: "min =x > 0" }))).toMatch(
      /^--filter: "min =x" at column 1: qualifiers apply to scalars, not flags/,
    );
    expect(usageMessage(() => build({ max: ["avg =x"] }))).toMatch(/^-M\/--max: "avg =x" .* write =x$/);
  });

  it("accepts a column some selected runs have, and any column of an empty selection", () => {
    // acc is logged by runs 1 and 4 only.
    expect(column(build({ columns: "acc" }), "acc")).toEqual([0.9, null, null, 0.7]);
    expect(buildCompareData({ runs: [], now: NOW, columns: "nothing", min: ["nothing"], filter: "nothing > 1" }).rows).toEqual([]);
  });

  it("keeps a flag column whose values differ past the six digits shown, with --skip-unchanged", () => {
    const close = [
      makeRun(1, { lr: 0.10000001, k: 1 }, { loss: summary(0.5) }),
      makeRun(2, { lr: 0.10000002, k: 1 }, { loss: summary(0.5) }),
    ];
    const data = buildCompareData({ runs: close, now: NOW, skipUnchanged: true });
    const headers = data.columns.map((c) => c.header);
    expect(headers).toContain("lr");
    expect(headers).not.toContain("k");
  });

  it("drops columns whose value is the same in every row with --skip-unchanged", () => {
    const headers = build({ skipUnchanged: true }).columns.map((c) => c.header);
    expect(headers).not.toContain("op");
    expect(headers).not.toContain("time");
    expect(headers).toEqual(expect.arrayContaining(["#", "run", "status", "x", "opt", "loss"]));
  });

  it("counts a running run's time up to now", () => {
    const runs = [makeRun(1, {}, {}, { status: "running", started: "2026-11-01T11:00:00.000Z", stopped: null })];
    expect(column(buildCompareData({ runs, now: NOW }), "time")).toEqual([3600]);
  });

  it("rejects a bad sort column with the option's name", () => {
    expect(usageMessage(() => build({ min: ["loss,"] }))).toMatch(/^-m\/--min: expected a column/);
  });
});

describe("cell formatting", () => {
  it("shows six significant digits and exponents for tiny values", () => {
    expect(formatNumber(0.39930789999999994)).toBe("0.399308");
    expect(formatNumber(0.161406)).toBe("0.161406");
    expect(formatNumber(-1234.56789)).toBe("-1234.57");
    expect(formatNumber(42)).toBe("42");
    expect(formatNumber(0.0000123456789)).toBe("1.23457e-5");
  });

  it("drops trailing zeros only after a decimal point, and takes the general path where 6 digits round up to 1e6", () => {
    expect(formatNumber(0.092736)).toBe("0.092736");
    expect(formatNumber(0.0001)).toBe("0.0001");
    expect(formatNumber(-0.5)).toBe("-0.5");
    expect(formatNumber(99.99999)).toBe("100");
    expect(formatNumber(828049.97)).toBe("828050");
    expect(formatNumber(120000.4)).toBe("120000");
    expect(formatNumber(999999.5)).toBe("1000000");
    expect(formatNumber(1234567.891)).toBe("1234570");
  });

  it("shows durations as H:MM:SS", () => {
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(59.6)).toBe("0:01:00");
  });
});

describe("rows kept a block at a time, as bytes or text", () => {
  // More rows than a block of cells (ROW_BLOCK), with gaps, strings, a batch-like mix and a non-numeric flag among them.
  const makeMany = (label: (k: number) => string): CompareInputRun[] =>
    Array.from({ length: ROW_BLOCK * 2 + 37 }, (_, k) =>
      makeRun(
        k,
        { x: k % 7 === 0 ? "wide" : k / 3, opt: k % 2 === 0 ? "adam" : "sgd" },
        k % 5 === 0 ? {} : { loss: summary(1 / (k + 1)), acc: summary(k) },
        { label: label(k), status: k % 13 === 0 ? "error" : "completed" },
      ),
    ).map((r, k) => ({ ...r, index: k + 1 }));
  const ascii = makeMany((k) => (k % 11 === 0 ? "base" : ""));
  // The same rows but one label outside ASCII, in the second block only.
  const odd = ROW_BLOCK + 5;
  const mixed = makeMany((k) => (k === odd ? "é" : k % 11 === 0 ? "base" : ""));

  it("keeps a block as bytes when its cells are ASCII, as text when one is not, each block from 0", () => {
    const columns = [{ type: "flag" as const, name: "opt", header: "opt" }];
    const cells = buildRowCells(ascii, columns, NOW);
    expect(cells.count).toBe(ascii.length);
    expect(cells.blocks.map((b) => typeof b)).toEqual(["object", "object", "object"]);
    expect(cells.blocks.map((b) => b.length)).toEqual([ROW_BLOCK * 3.5, ROW_BLOCK * 3.5, 37 * 4 - 18]);
    // Row ROW_BLOCK (even: "adam") is the first of the second block: its cell ends 4 characters in.
    expect(cells.ends[ROW_BLOCK - 1]).toBe(ROW_BLOCK * 3.5);
    expect(cells.ends[ROW_BLOCK]).toBe(4);
    expect(cells.blocks[1]!.toString("latin1", 0, 7)).toBe("adamsgd");
    const wide = parseColumns(".label,=opt").map((c) => resolveColumn(c.ref, { flags: new Set(["opt"]), scalars: new Set() }));
    const blocks = buildRowCells(mixed, wide, NOW).blocks;
    expect(blocks.map((b) => typeof b)).toEqual(["object", "string", "object"]);
  });

  it("gives the same cells, widths and numeric columns from a block kept as text as from one kept as bytes", () => {
    const bytes = buildCompareData({ runs: ascii, now: NOW });
    const text = buildCompareData({ runs: mixed, now: NOW });
    expect(text.columns.map((c) => [c.header, c.numeric])).toEqual(bytes.columns.map((c) => [c.header, c.numeric]));
    const cellsOf = (d: CompareData) => d.rows.map((r) => [...r.cells]);
    const expected = cellsOf(bytes);
    expected[odd]![6] = "é";
    expect(cellsOf(text)).toEqual(expected);
    // A row's cells one by one, and their lengths, from either kind of block (and through the table's places).
    for (const k of [0, ROW_BLOCK - 1, ROW_BLOCK, odd, 2 * ROW_BLOCK + 36]) {
      for (let i = 0; i < bytes.columns.length; i++) {
        expect(text.rows[k]!.cell(i)).toBe(expected[k]![i]);
        expect(bytes.rows[k]!.cell(i)).toBe(bytes.rows[k]!.cells[i]);
        expect(bytes.rows[k]!.cellLength(i)).toBe(bytes.rows[k]!.cells[i]!.length);
        expect(keptCellText(text.cells.row(k), i)).toBe(expected[k]![i]);
        expect(keptCellLength(text.cells.row(k), i)).toBe(expected[k]![i]!.length);
      }
    }
  });

  it("skips unchanged columns over blocks of either kind, and makes rows only when asked", () => {
    const all = buildCompareData({ runs: mixed, now: NOW, skipUnchanged: true, max: ["loss"] });
    expect(all.columns.map((c) => c.header)).toEqual(["#", "run", "status", "label", "x", "opt", "loss", "acc"]);
    expect(all.cells.count).toBe(mixed.length);
    const first = all.rows[0]!;
    expect(all.columns.map((_, i) => first.cell(i))).toEqual(first.cells);
    expect(all.rows.some((r) => r.cells.includes("é"))).toBe(true);
  });
});
