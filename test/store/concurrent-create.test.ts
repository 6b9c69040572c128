// Readers never see a run in the making (issue 12, item 16): while writers
// create, delete and purge runs in a loop, every listing is whole, without
// "run.json is missing".
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/store.js";
import { ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

/** Runs each writer creates; enough that listings overlap many creations. */
const RUNS_PER_WRITER = 200;

describe("runs created while others list", () => {
  it("lists only whole runs: no warning in any listing while 2 writers create runs", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const writers = [0, 1].map(() =>
      spawn(process.execPath, [join(ROOT, "test", "store", "workers", "create.mjs"), home, String(RUNS_PER_WRITER)], { stdio: "inherit" }),
    );
    let alive = writers.length;
    const exits = writers.map((w) => new Promise<number | null>((resolve) => w.on("close", (code) => (alive--, resolve(code)))));
    const warnings: string[] = [];
    let listings = 0;
    let listedWhileWriting = 0;
    while (alive > 0) {
      const a = store.listRuns();
      const b = store.listRunsWithSummaries();
      warnings.push(...a.warnings, ...b.warnings);
      listings++;
      if (alive > 0 && a.runs.length > 0 && a.runs.length < 2 * RUNS_PER_WRITER) listedWhileWriting++;
      // Let the writers' exit events through between listings.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(exits)).toEqual([0, 0]);
    expect(warnings).toEqual([]);
    // The listings overlapped the writing (else the test would prove nothing).
    expect(listedWhileWriting).toBeGreaterThan(0);
    const final = store.listRuns();
    expect(final.runs).toHaveLength(2 * RUNS_PER_WRITER);
    expect(final.warnings).toEqual([]);
  });

  it("lists no half-deleted run while a writer moves runs to the trash and purges them", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const writer = spawn(process.execPath, [join(ROOT, "test", "store", "workers", "create.mjs"), home, String(RUNS_PER_WRITER), "churn"], {
      stdio: "inherit",
    });
    let alive = true;
    const exit = new Promise<number | null>((resolve) => writer.on("close", (code) => ((alive = false), resolve(code))));
    const warnings: string[] = [];
    let listedWhileWriting = 0;
    while (alive) {
      const runs = store.listRuns();
      const trash = store.listRuns({ trash: true });
      warnings.push(...runs.warnings, ...trash.warnings, ...store.listRunsWithSummaries().warnings);
      if (alive && trash.runs.length > 0) listedWhileWriting++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await exit).toBe(0);
    expect(warnings).toEqual([]);
    expect(listedWhileWriting).toBeGreaterThan(0);
    expect(store.listRuns({ trash: true }).runs).toHaveLength(RUNS_PER_WRITER / 2);
  });
});
