// One damaged run folder never hides the others (issue 12, item 10): a file in
// place of the folder, a symlink loop, and files g reads replaced by folders
// are each one warning naming the run; every other run is listed.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";
import { g } from "../helpers/g.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

async function finishedRun(store: RunStore, op: string, loss: number): Promise<Run> {
  const run = store.createRun({ op, flags: { x: loss } });
  store.appendScalars(run.id, [{ key: "loss", value: loss, step: 0, t: 0 }]);
  await store.updateRun(run.id, (r) => {
    r.started = r.created;
    r.stopped = r.created;
    r.exit_status = 0;
  });
  store.writeSummary(run.dir);
  return store.readRun(run.id);
}

describe("damaged run folders", () => {
  let home: string;
  let store: RunStore;
  let good: Run[];
  let fileInPlace: Run;
  let loop: Run;

  beforeEach(async () => {
    home = tempDir();
    store = new RunStore(home);
    good = [await finishedRun(store, "good.py", 1), await finishedRun(store, "good.py", 2)];
    fileInPlace = await finishedRun(store, "file.py", 3);
    loop = await finishedRun(store, "loop.py", 4);
    // Index them all, so the damaged ones are served from index.jsonl unless the store checks.
    expect(store.listRunsWithSummaries().runs).toHaveLength(4);
    rmSync(fileInPlace.dir, { recursive: true });
    writeFileSync(fileInPlace.dir, "not a folder\n");
    rmSync(loop.dir, { recursive: true });
    symlinkSync(loop.dir, loop.dir);
  });

  const goodIds = () => good.map((r) => r.id).sort();

  it("lists every other run with its summaries, and warns once per damaged folder naming it", () => {
    for (let pass = 0; pass < 2; pass++) {
      const { runs, warnings } = store.listRunsWithSummaries();
      expect(runs.map((r) => r.run.id).sort()).toEqual(goodIds());
      expect(runs.every((r) => r.summaries.loss !== undefined)).toBe(true);
      expect(warnings).toHaveLength(2);
      expect(warnings.find((w) => w.includes(fileInPlace.dir))).toMatch(/a file, not a folder/);
      expect(warnings.find((w) => w.includes(loop.dir))).toMatch(/symbolic link loop/);
    }
    const listed = store.listRuns();
    expect(listed.runs.map((r) => r.id).sort()).toEqual(goodIds());
    expect(listed.warnings).toHaveLength(2);
  });

  it("reads runs whose LOCK, params.json, scalars.jsonl or summary.json is a folder", async () => {
    const unfinished = store.createRun({ op: "odd.py", started: "2026-01-01T00:00:00.000Z" });
    mkdirSync(join(unfinished.dir, "LOCK"));
    mkdirSync(join(unfinished.dir, "params.json"));
    mkdirSync(join(unfinished.dir, "scalars.jsonl"));
    const odd = await finishedRun(store, "odd2.py", 5);
    rmSync(join(odd.dir, "summary.json"));
    mkdirSync(join(odd.dir, "summary.json"));
    rmSync(join(home, "index.jsonl"));
    const { runs, warnings } = store.listRunsWithSummaries();
    const ids = runs.map((r) => r.run.id);
    expect(ids).toContain(unfinished.id);
    expect(ids).toContain(good[0]!.id);
    expect(store.readSummaries(store.readRun(unfinished.id))).toEqual({});
    expect(store.readScalars(unfinished.id)).toEqual([]);
    expect(store.readOutputTail(store.readRun(unfinished.id), 5)).toEqual([]);
    // A summary cache that cannot be read is rebuilt: no warning, the values stay.
    expect(ids).toContain(odd.id);
    expect(runs.find((r) => r.run.id === odd.id)?.summaries.loss?.last).toBe(5);
    expect(warnings).toHaveLength(2);
    const info = g(["runs", "info", odd.id], { home });
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/loss: 5/);
  });

  it("says which run cannot be read when it is asked for by id", () => {
    expect(() => store.readRun(fileInPlace.id)).toThrow(/cannot be read .*a file, not a folder/);
    expect(() => store.readRun(loop.id)).toThrow(expect.objectContaining({ exitCode: 3 }));
  });

  it("g compare and g runs list the others with one warning line per damaged folder, exit 0", () => {
    for (const args of [
      ["compare", "--json"],
      ["compare", "--csv"],
      ["runs", "--json"],
    ]) {
      const res = g(args, { home });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).not.toContain("internal error");
      const warnings = res.stderr.split("\n").filter((l) => /^(g: )?warning: skipping damaged run/.test(l));
      expect(warnings).toHaveLength(2);
      for (const r of good) expect(res.stdout).toContain(r.id.slice(0, 8));
    }
    const info = g(["runs", "info", good[0]!.id], { home });
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain("loss");
  });
});
