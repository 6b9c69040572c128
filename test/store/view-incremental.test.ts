// g view's incremental refresh: after each change to a real store (a new run,
// scalars appended, a run deleted, trashed and restored, a label and flags
// edited, a run finishing), the view that rereads only the runs its change
// watcher names shows exactly what a view reading the whole store shows, and
// reads the whole store only once.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { RunsDelta, RunsResponse } from "../../src/view/api.js";
import { ChangeWatcher } from "../../src/view/changes.js";
import { ViewData, type RunsQuery } from "../../src/view/data.js";
import { RunStore, THIS_HOST } from "../../src/store/store.js";
import { g } from "../helpers/g.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";
// @ts-expect-error: plain JS generator, no type declarations
import { generateStore } from "../../runs-fixtures/generate.mjs";

afterAll(cleanTempDirs);

type Table = Omit<RunsResponse, "version">;

/** The table a page holds: a whole answer, or the one before with a delta's rows put in. */
function applyAnswer(held: Table | null, text: string): Table {
  const body = JSON.parse(text) as RunsResponse | RunsDelta;
  if (!("delta" in body)) {
    const { version: _version, ...table } = body;
    return table;
  }
  expect(held).not.toBeNull();
  const rows = [...held!.rows];
  for (const { at, row } of body.changed) rows[at] = row;
  return { columns: held!.columns, rows, warnings: body.warnings, total: body.total };
}

/** What a view that reads the whole store shows now. */
function fullTable(home: string, query: RunsQuery, now: number): Table {
  const fresh = new ViewData(new RunStore(home), [], {}, () => now);
  const { version: _version, ...table } = JSON.parse(fresh.runsBody(1, query)) as RunsResponse;
  return table;
}

describe("g view's incremental refresh", () => {
  it("shows what a full reread shows after each change, reading the whole store once", async () => {
    const home = tempDir("g-view-inc-");
    generateStore({ runs: 300, out: home });
    const work = tempDir("g-view-inc-work-");
    writeFileSync(join(work, "train.py"), "lr = 0.1\nprint('loss: %f' % (lr * 2))\n");
    // A fixed clock: a running run's time cell is the same in both views, and no periodic full read comes.
    const now = Date.now();
    const store = new RunStore(home);
    const view = new ViewData(store, [], {}, () => now);
    const fullReads = vi.spyOn(store, "listRunsWithSummaries");
    const watcher = new ChangeWatcher({ runsDir: store.runsDir, tickMs: 3_600_000, onChange: (_v, ids) => view.noteChanged(ids) });
    watcher.prime();
    view.load(watcher.version);
    watcher.start(view.unfinishedIds());

    const queries: RunsQuery[] = [{}, { cols: "loss, =lr", min: ["loss"] }, { filter: "loss < 1" }];
    const held = new Map<RunsQuery, { version: number; table: Table }>();
    const steps: string[] = [];
    const checkStep = (what: string): void => {
      steps.push(what);
      watcher.check(Infinity);
      const version = watcher.version;
      for (const query of queries) {
        const before = held.get(query);
        const table = applyAnswer(before?.table ?? null, view.runsBody(version, query, before?.version));
        held.set(query, { version, table });
        expect({ steps, query, table }).toEqual({ steps, query, table: fullTable(home, query, now) });
      }
      const ids = view.load(version).all.map((r) => `${r.run.id} ${r.run.status}`);
      const fresh = new ViewData(new RunStore(home), [], {}, () => now);
      expect(ids).toEqual(fresh.load(1).all.map((r) => `${r.run.id} ${r.run.status}`));
    };
    try {
      checkStep("start");
      const [first, second, third] = view
        .load(watcher.version)
        .all.filter((r) => r.run.status === "completed")
        .map((r) => r.run.id);

      expect(g(["run", "-y", "-q", "train.py", "lr=0.3"], { home, cwd: work }).code).toBe(0);
      checkStep("a new run");

      const live = store.createRun(
        { op: "live.py", started: new Date(now).toISOString(), flags: { lr: 0.2 } },
        { lock: { pid: process.pid, host: THIS_HOST } },
      );
      checkStep("a running run appears");
      store.appendScalars(live.id, [{ key: "loss", value: 0.5, step: 1, t: now / 1000 }]);
      checkStep("the running run logs");
      store.appendScalars(live.id, [{ key: "loss", value: 0.25, step: 2, t: now / 1000 + 1 }]);
      checkStep("the running run logs again");

      expect(g(["runs", "label", first!, "--set", "relabelled"], { home }).code).toBe(0);
      checkStep("a finished run's label");
      await store.updateRun(second!, (r) => (r.flags = { ...r.flags, lr: 0.123 }));
      checkStep("a finished run's flags");

      expect(g(["runs", "delete", "-y", first!], { home }).code).toBe(0);
      checkStep("a run moved to the trash");
      expect(g(["runs", "restore", "-y", first!], { home }).code).toBe(0);
      checkStep("the run restored");
      expect(g(["runs", "delete", "-y", "--permanent", third!], { home }).code).toBe(0);
      checkStep("a run deleted for good");

      await store.updateRun(live.id, (r) => {
        r.stopped = new Date(now + 2000).toISOString();
        r.exit_status = 0;
      });
      store.removeLock(live.id);
      checkStep("the running run finishes");
    } finally {
      watcher.stop();
    }
    // Each change reread the runs it touched; the whole store was read once, at the start.
    expect(fullReads).toHaveBeenCalledTimes(1);
  });

  it("looks at every finished run's record in turn, while new runs keep coming", async () => {
    const home = tempDir("g-view-sweep-");
    generateStore({ runs: 40, out: home });
    const store = new RunStore(home);
    const named = new Set<string>();
    const watcher = new ChangeWatcher({
      runsDir: store.runsDir,
      tickMs: 3_600_000,
      onChange: (_v, ids) => ids.forEach((id) => named.add(id)),
    });
    watcher.prime();
    watcher.start([]);
    try {
      const old = store.listRuns().runs.map((r) => r.id);
      for (const id of old) await store.updateRun(id, (r) => (r.label = "edited"));
      // A run a tick appears (a sweep's agents), and each tick looks at 4 records: 10 ticks cover the 40.
      for (let tick = 0; tick < 12; tick++) {
        store.createRun({ op: "new.py" });
        watcher.check(4);
      }
    } finally {
      watcher.stop();
    }
    expect(store.listRuns().runs.filter((r) => r.record.label === "edited" && !named.has(r.id))).toEqual([]);
  });
});
