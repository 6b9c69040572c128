// Runs without an index entry read on two threads (src/store/run-reads.ts): the
// same runs, order, summaries and warnings as reading them on one, and a worker
// that fails costs time only. Imports the built store (dist/), where the
// worker's module sits beside run-reads.js as it does in the bundle.
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { generateStore } from "../../runs-fixtures/generate.mjs";
import { cleanTempDirs, DIST, tempDir } from "../helpers/paths.js";

type Store = typeof import("../../src/store/store.js");
type Reads = typeof import("../../src/store/run-reads.js");
const { RunStore } = (await import(pathToFileURL(join(DIST, "store", "store.js")).href)) as Store;
const { readRunsFromFiles } = (await import(pathToFileURL(join(DIST, "store", "run-reads.js")).href)) as Reads;

afterEach(cleanTempDirs);

/** A generated store without caches, with a run.json torn, one missing, and a file where a run folder should be. */
function makeDamagedStore(): string {
  const home = tempDir();
  generateStore({ runs: 200, out: home, steps: 3, seed: "par", summary: false });
  const runs = join(home, "runs");
  const names = readdirSync(runs).sort();
  writeFileSync(join(runs, names[3]!, "run.json"), '{"format": 1, "id"');
  rmSync(join(runs, names[50]!, "run.json"));
  writeFileSync(join(runs, "f".repeat(32)), "not a folder");
  mkdirSync(join(runs, "e".repeat(32))); // an empty folder: run.json missing
  return home;
}

/** A copy of `home` read by a store with `opts`; its answer with the copy's path taken out. */
function readCopy(home: string, opts: ConstructorParameters<typeof RunStore>[1], withSummaries: boolean) {
  const copy = tempDir();
  cpSync(home, copy, { recursive: true });
  const store = new RunStore(copy, opts);
  const text = JSON.stringify(withSummaries ? store.listRunsWithSummaries() : store.listRunsIndexed());
  return JSON.parse(text.split(copy).join("HOME")) as unknown;
}

const SERIAL = { readThreadsFromRuns: Infinity };
const PARALLEL = { readThreadsFromRuns: 1 };

describe("runs read on two threads", () => {
  it("gives compare the serial read's runs, order, summaries and warnings on a store without caches", () => {
    const home = makeDamagedStore();
    const serial = readCopy(home, SERIAL, true) as { runs: unknown[]; warnings: string[] };
    expect(serial.runs).toHaveLength(200 - 2);
    expect(serial.warnings).toHaveLength(4);
    expect(readCopy(home, PARALLEL, true)).toEqual(serial);
  });

  it("gives the serial read's summaries when summary.json files are hand-edited into other shapes", () => {
    const home = makeDamagedStore();
    const runs = join(home, "runs");
    const names = readdirSync(runs)
      .filter((n) => /^[0-9a-f]{32}$/.test(n) && !/^[ef]+$/.test(n))
      .sort();
    const odd: unknown[] = [
      [{ last: 1 }], // an array of summaries
      { loss: { first: 1, last: 2, min: 1, max: 2, avg: 1.5, total: 3, count: 2, step: 1 } }, // fields in another order
      { loss: { last: 2, first: 1, min: 1, max: 2, avg: 9, total: 3, count: 2, step: 1 } }, // an average that is not total / count
      { loss: { last: 2, first: 1, min: 1, max: 2, avg: 1.5, total: 3, count: 2, step: "two" } }, // a step that is text
      { loss: { last: 2, first: 1, min: 1, max: 2, avg: 1.5, total: 3, count: 2, step: null, extra: true } }, // a field more
      { loss: 3 }, // a number for a summary
      { __proto__: null, ["__proto__"]: { last: 2, first: 1, min: 1, max: 2, avg: 1.5, total: 3, count: 2, step: null } },
      {
        "2": { last: 2, first: 1, min: 1, max: 2, avg: 1.5, total: 3, count: 2, step: null },
        b: { last: -0, first: -0, min: -0, max: -0, avg: -0, total: -0, count: 1, step: 0 },
      },
    ];
    odd.forEach((scalars, k) => {
      // Keyed by scalars.jsonl's size is not needed: a finished run's summary.json is trusted as it is.
      writeFileSync(join(runs, names[10 + k]!, "summary.json"), JSON.stringify({ bytes: 0, scalars }));
    });
    expect(readCopy(home, PARALLEL, true)).toEqual(readCopy(home, SERIAL, true));
    // Listed many times over, so that the worker reads the odd ones too, in some of their places.
    const many = Array.from({ length: 30 }, () => names).flat();
    const parallel = readRunsFromFiles(runs, many, true, true);
    const serial = readRunsFromFiles(runs, many, true, false);
    expect(parallel.byWorker).toBeGreaterThan(0);
    const firstDiff = parallel.reads.findIndex((r, i) => JSON.stringify(r) !== JSON.stringify(serial.reads[i]));
    expect(firstDiff === -1 ? "" : JSON.stringify([parallel.reads[firstDiff], serial.reads[firstDiff]])).toBe("");
    expect(parallel.reads).toEqual(serial.reads);
  });

  it("gives `runs -a` the serial read's runs and warnings", () => {
    const home = makeDamagedStore();
    expect(readCopy(home, PARALLEL, false)).toEqual(readCopy(home, SERIAL, false));
  });

  it("falls back to reading every run here when the worker's module fails to load", () => {
    const home = makeDamagedStore();
    const broken = join(tempDir(), "broken-worker.js");
    writeFileSync(broken, 'throw new Error("broken on purpose");\n');
    const failing = { ...PARALLEL, readWorkerUrl: pathToFileURL(broken) };
    expect(readCopy(home, failing, true)).toEqual(readCopy(home, SERIAL, true));
  });

  it("has the worker answer for a share of a long list, each read in its place", () => {
    const home = makeDamagedStore();
    const runsDir = join(home, "runs");
    const once = readdirSync(runsDir).sort();
    // The same folders listed many times over: enough work that the worker starts before it is all done.
    const names = Array.from({ length: 30 }, () => once).flat();
    const parallel = readRunsFromFiles(runsDir, names, true, true);
    const serial = readRunsFromFiles(runsDir, names, true, false);
    expect(serial.byWorker).toBe(0);
    expect(parallel.byWorker).toBeGreaterThan(0);
    expect(parallel.reads).toEqual(serial.reads);
  });

  it("loads the worker's module from the bundle, where `g` runs it", async () => {
    const bundled = (await import(pathToFileURL(join(DIST, "bundle", "run-reads-worker.js")).href)) as Reads;
    expect(typeof bundled.postClaimedRuns).toBe("function");
  });
});
