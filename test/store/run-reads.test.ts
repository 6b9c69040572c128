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
    expect(typeof bundled.readClaimedRuns).toBe("function");
  });
});
