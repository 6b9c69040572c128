// A table's rows kept as bytes (src/query/compare-data.ts): a run read in place
// from the index snapshot copies its kept cells' bytes (RunFields.copyKeptCells)
// instead of formatting them, and the table, its columns and every cell are
// those of the same runs formatted cell by cell from their records.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { generateStore } from "../../runs-fixtures/generate.mjs";
import { cleanTempDirs, DIST, tempDir } from "../helpers/paths.js";

type Store = typeof import("../../src/store/store.js");
type Data = typeof import("../../src/query/compare-data.js");
type Table = typeof import("../../src/format/table.js");
const { RunStore } = (await import(pathToFileURL(join(DIST, "store", "store.js")).href)) as Store;
const { buildCompareData, SNAPSHOT_CELL_TEXTS } = (await import(pathToFileURL(join(DIST, "query", "compare-data.js")).href)) as Data;
const { emitTable, renderTable } = (await import(pathToFileURL(join(DIST, "format", "table.js")).href)) as Table;

afterEach(cleanTempDirs);

const NOW = Date.parse("2026-11-28T08:00:00Z");

/**
 * A store of `runs` runs (finished and not, batches whose flags are not their
 * trials') listed twice: the second listing serves the finished ones from
 * index.bin. `edit` changes some records before the snapshot is written.
 */
function listedStore(runs: number, edit: (record: Record<string, unknown>, k: number) => void = () => {}) {
  const home = tempDir();
  generateStore({ runs, out: home, steps: 3, seed: "bytes", summary: false });
  const dir = join(home, "runs");
  const store = new RunStore(home);
  store.listRunsWithSummaries().runs.forEach((r, k) => {
    const file = join(dir, r.run.id, "run.json");
    const record = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    edit(record, k);
    writeFileSync(file, JSON.stringify(record));
  });
  store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS); // writes the snapshot with its cells
  const { runs: listed } = store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS);
  return listed.map((r, k) => ({ index: k + 1, run: r.run, summaries: r.summaries, fields: r.fields }));
}

/** The table as `g compare -T` writes it: bytes where it can, text where it must. */
function emitted(data: ReturnType<typeof buildCompareData>): string {
  const pieces: string[] = [];
  emitTable(data, { color: false, emitBytes: (b) => pieces.push(Buffer.from(b).toString("utf8")) }, (t) => pieces.push(t));
  return pieces.join("");
}

const VIEWS: Array<Record<string, unknown>> = [
  {},
  { columns: ".id,.status,.time,.started,.stopped,.created,.tags,.batch,.trial,=lr,min loss,count loss,step loss,avg loss" },
  { columns: "=optimizer,=lr,loss,accuracy" },
  { filter: "lr > 0.01", max: ["accuracy"], top: 150 },
  { skipUnchanged: true, min: ["loss"] },
];

describe("rows kept as bytes from the index snapshot", () => {
  // Some runs' flags in another order than the table's columns (their kept cells do not match the span),
  // labels and a flag value outside ASCII (their block is kept as text), a flag value too long to keep.
  const runs = listedStore(600, (record, k) => {
    const flags = record.flags as Record<string, unknown>;
    if (k % 37 === 5) record.flags = Object.fromEntries(Object.entries(flags).reverse());
    if (k === 101) record.label = "λ-sweep";
    if (k === 202) flags.optimizer = "adam-é";
    if (k === 303) flags.optimizer = "x".repeat(300);
  });
  // The same runs, every cell formatted from the record and summaries (no fields read in place).
  const plain = runs.map((r) => ({ index: r.index, run: r.run, summaries: r.summaries }));

  it("reads most runs in place, so that the kept cells are what is tested", () => {
    expect(runs.filter((r) => r.fields?.copyKeptCells !== undefined).length).toBeGreaterThan(500);
  });

  it.each(VIEWS.map((v) => [JSON.stringify(v), v]))("gives the table and cells of the runs' records: %s", (_, view) => {
    const kept = buildCompareData({ runs, now: NOW, ...view });
    const made = buildCompareData({ runs: plain, now: NOW, ...view });
    expect(kept.columns.map((c) => [c.header, c.numeric])).toEqual(made.columns.map((c) => [c.header, c.numeric]));
    expect(kept.rows.map((r) => r.cells)).toEqual(made.rows.map((r) => r.cells));
    expect(emitted(kept)).toBe(emitted(made));
    expect(emitted(kept)).toBe(renderTable(made, { color: false }));
    expect(renderTable(kept, { color: true, width: 120 })).toBe(renderTable(made, { color: true, width: 120 }));
  });

  it("keeps a block of ASCII rows as bytes, and one with a cell outside ASCII as text", () => {
    const ascii = listedStore(40);
    expect(emitted(buildCompareData({ runs: ascii, now: NOW }))).toContain("train.py");
    const data = buildCompareData({ runs: ascii, now: NOW });
    expect(typeof data.cells.row(0).block).toBe("object");
    expect(typeof buildCompareData({ runs, now: NOW }).cells.row(0).block).toBe("string");
  });
});
