// A big table's later rows made on a worker thread (src/commands/compare-rows.ts):
// the worker reads the index snapshot's shared memory and makes the same cells
// the main thread would, and a worker that fails costs time, never rows.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { generateStore } from "../../runs-fixtures/generate.mjs";
import { cleanTempDirs, DIST, tempDir } from "../helpers/paths.js";

type Store = typeof import("../../src/store/store.js");
type Data = typeof import("../../src/query/compare-data.js");
type Rows = typeof import("../../src/commands/compare-rows.js");
type Table = typeof import("../../src/format/table.js");
type Worker = typeof import("../../src/commands/compare-rows-worker.js");
const { RunStore } = (await import(pathToFileURL(join(DIST, "store", "store.js")).href)) as Store;
const { buildCompareData } = (await import(pathToFileURL(join(DIST, "query", "compare-data.js")).href)) as Data;
const { rowOffload } = (await import(pathToFileURL(join(DIST, "commands", "compare-rows.js")).href)) as Rows;
const { renderTable } = (await import(pathToFileURL(join(DIST, "format", "table.js")).href)) as Table;

afterEach(cleanTempDirs);

const NOW = Date.parse("2026-11-28T08:00:00Z");

/** A store of `runs` runs (finished and not) whose second listing serves the finished ones from index.bin. */
function listedStore(runs: number) {
  const home = tempDir();
  generateStore({ runs, out: home, steps: 3, seed: "rows", summary: false });
  const store = new RunStore(home);
  store.listRunsWithSummaries(); // writes the snapshot
  const { runs: listed } = store.listRunsWithSummaries();
  return listed.map((r, k) => ({ index: k + 1, run: r.run, summaries: r.summaries, fields: r.fields }));
}

/** An offload that records how many rows it took and whether the worker answered for them. */
function counted(offload: ReturnType<typeof rowOffload>) {
  const seen = { taken: 0, answered: false };
  const wrapped: ReturnType<typeof rowOffload> = (runs, columns, now) => {
    const away = offload(runs, columns, now);
    if (away === null) return null;
    seen.taken = away.rows.length;
    return {
      rows: away.rows,
      collect: () => {
        const cells = away.collect();
        seen.answered = cells !== null;
        return cells;
      },
    };
  };
  return { seen, offload: wrapped };
}

const VIEWS: Array<Record<string, unknown>> = [
  {},
  { columns: ".id,.status,.time,.started,.stopped,.created,.tags,.batch,.trial,=lr,min loss,count loss,step loss,avg loss" },
  { filter: "lr > 0.01", max: ["accuracy"], top: 150 },
  { skipUnchanged: true, min: ["loss"] },
];

describe("rows made on a worker thread", () => {
  const runs = listedStore(400);

  it.each(VIEWS.map((v) => [JSON.stringify(v), v]))("gives the table and cells of one thread: %s", (_, view) => {
    const alone = buildCompareData({ runs, now: NOW, ...view });
    const { seen, offload } = counted(rowOffload({ fromRows: 1 }));
    const shared = buildCompareData({ runs, now: NOW, ...view, offload });
    expect(seen.taken).toBeGreaterThan(0);
    expect(seen.answered).toBe(true);
    expect(shared.columns.map((c) => [c.header, c.numeric])).toEqual(alone.columns.map((c) => [c.header, c.numeric]));
    expect(shared.rows.map((r) => r.cells)).toEqual(alone.rows.map((r) => r.cells));
    expect(renderTable(shared, { color: false })).toBe(renderTable(alone, { color: false }));
  });

  it("is started before the rows are known, and used for them", () => {
    const alone = buildCompareData({ runs, now: NOW });
    const { seen, offload } = counted(rowOffload({ fromRows: 1, prestart: true }));
    const shared = buildCompareData({ runs, now: NOW, offload });
    expect(seen.answered).toBe(true);
    expect(renderTable(shared, { color: false })).toBe(renderTable(alone, { color: false }));
  });

  it("makes the rows on this thread when the worker's module fails, or the table is small", () => {
    const broken = join(tempDir(), "broken.js");
    writeFileSync(broken, "throw new Error('broken module');\n");
    const alone = buildCompareData({ runs, now: NOW });
    for (const prestart of [false, true]) {
      const { seen, offload } = counted(rowOffload({ fromRows: 1, prestart, workerUrl: pathToFileURL(broken) }));
      const shared = buildCompareData({ runs, now: NOW, offload });
      expect(seen.taken).toBeGreaterThan(0);
      expect(seen.answered).toBe(false);
      expect(renderTable(shared, { color: false })).toBe(renderTable(alone, { color: false }));
    }
    const small = counted(rowOffload({ fromRows: runs.length + 1, prestart: true }));
    buildCompareData({ runs, now: NOW, offload: small.offload });
    expect(small.seen.taken).toBe(0);
  });

  it("loads the worker's module from the bundle, where `g` runs it", async () => {
    const bundled = (await import(pathToFileURL(join(DIST, "bundle", "compare-rows-worker.js")).href)) as Worker;
    expect(typeof bundled.buildJobRowCells).toBe("function");
  });
});

// index.bin version 5: a listing that did not read the summaries' numbers (compare -T) hands the worker the open
// file to read them from when its columns need them; the default columns need none.
const { SNAPSHOT_CELL_TEXTS } = (await import(pathToFileURL(join(DIST, "query", "compare-data.js")).href)) as Data;

describe("rows made on a worker thread from a snapshot whose numbers are not read yet", () => {
  /** A store's listing function (made in the test: temporary folders are removed after each), its snapshot written. */
  function lazyListing() {
    const home = tempDir();
    generateStore({ runs: 400, out: home, steps: 3, seed: "rows", summary: false });
    const store = new RunStore(home);
    store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS); // writes the snapshot, with the table's cells as g compare does
    return () => {
      const { runs } = store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS, { values: false });
      return runs.map((r, k) => ({ index: k + 1, run: r.run, summaries: r.summaries, fields: r.fields }));
    };
  }
  /** The snapshot the rows are read from (a SnapshotRun's). */
  const snapshotOf = (runs: ReturnType<ReturnType<typeof lazyListing>>) =>
    (runs.find((r) => "snapshot" in r.run)!.run as unknown as { snapshot: { sharedCold(): { values: SharedArrayBuffer | null } } })
      .snapshot;

  it.each(VIEWS.map((v) => [JSON.stringify(v), v]))("gives the table and cells of one thread: %s", (_, view) => {
    const list = lazyListing();
    const runs = list();
    const { seen, offload } = counted(rowOffload({ fromRows: 1 }));
    const shared = buildCompareData({ runs, now: NOW, ...view, offload });
    expect(seen.answered).toBe(true);
    const alone = buildCompareData({ runs: list(), now: NOW, ...view });
    expect(shared.rows.map((r) => r.cells)).toEqual(alone.rows.map((r) => r.cells));
    expect(renderTable(shared, { color: false })).toBe(renderTable(alone, { color: false }));
  });

  it("reads no summary's numbers for the default columns", () => {
    const runs = lazyListing()();
    const { seen, offload } = counted(rowOffload({ fromRows: 1 }));
    const data = buildCompareData({ runs, now: NOW, offload });
    expect(seen.answered).toBe(true);
    renderTable(data, { color: false });
    expect(snapshotOf(runs).sharedCold().values).toBeNull();
  });
});
