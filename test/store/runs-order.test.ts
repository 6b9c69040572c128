// runs-order.txt (src/store/runs-order.ts) lets `g runs` skip listing the runs
// folder while the folder is unchanged. It is checked, not trusted: runs
// added or removed behind its back, by this process or another, in the same
// clock tick as the listing it records, are seen; a file cut short or a
// snapshot of an older folder state is never used.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { generateStore } from "../../runs-fixtures/generate.mjs";
import { RUNS_ORDER_FILE } from "../../src/store/runs-order.js";
import { RunStore } from "../../src/store/store.js";
import { g } from "../helpers/g.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

// ext4, xfs and tmpfs on Linux 6.13+ stamp a change after a stat finely (multigrain timestamps), so a
// change right after a listing always moves the folder's times there. ramfs stamps at the kernel
// tick, as older kernels, NFS and FAT do: the same-tick test runs there too when it may mount one.
const ramfs = mkdtempSync(join(tmpdir(), "g-ramfs-")); // not tempDir(): cleaned after each test, and busy while mounted
const mounted = spawnSync("mount", ["-t", "ramfs", "none", ramfs], { encoding: "utf8" });
const cannotMount = mounted.error
  ? mounted.error.message
  : mounted.status !== 0
    ? mounted.stderr.trim() || `mount exited ${mounted.status}`
    : null;
if (cannotMount) console.log(`the same-tick test runs on the temp folder only: cannot mount a ramfs (${cannotMount})`);
afterAll(() => {
  if (!cannotMount) spawnSync("umount", [ramfs]);
  rmSync(ramfs, { recursive: true, force: true });
});
const tickHomes = [
  ["the temp folder", () => tempDir()],
  ...(cannotMount ? [] : [["a ramfs (coarse timestamps)", () => join(ramfs, `home-${Date.now()}`)]]),
] as const;

/** listNewestRuns's answer, and the same from reading every record. */
function both(store: RunStore, n = 20) {
  const full = store.listRuns();
  const fast = store.listNewestRuns(n);
  return {
    fast: { ids: fast.runs.map((r) => r.id), total: fast.total, warnings: fast.warnings },
    full: { ids: full.runs.slice(0, n).map((r) => r.id), total: full.runs.length, warnings: full.warnings },
  };
}

function header(home: string): string[] {
  return readFileSync(join(home, RUNS_ORDER_FILE), "latin1").split("\n")[0]!.split(" ");
}

describe("runs-order.txt", () => {
  it("gives the full read's order and count on a large generated store, for every limit", () => {
    const home = tempDir();
    generateStore({ runs: 3000, out: home, steps: 1, seed: "runs-order", block: 500 });
    const store = new RunStore(home);
    for (const n of [20, 1, 20, 7, 250, 3000, 5000]) {
      const r = both(store, n);
      expect(r.fast).toEqual(r.full);
    }
    // Written once the folder's last change is older than the listing: trusted, with the folder's stamp.
    expect(header(home)[2]).not.toBe("-");
    expect(
      readFileSync(join(home, RUNS_ORDER_FILE), "latin1")
        .split("\n")
        .filter((l) => l !== ""),
    ).toHaveLength(3001);
  });

  it.each(tickHomes)("sees a run created or removed in the same clock tick as the listing it records, every time, on %s", (_, makeHome) => {
    const home = makeHome();
    generateStore({ runs: 30, out: home, steps: 1, seed: "same-tick" });
    const store = new RunStore(home);
    store.listNewestRuns(5);
    for (let i = 0; i < 40; i++) {
      // Each step right after a listing: with coarse timestamps the folder's ctime is often the one recorded.
      // (Runs made within one millisecond tie on created and go by id: compared with the full read.)
      const made = store.createRun({ op: "tick.py" });
      let r = both(store, 5);
      expect(r.fast).toEqual(r.full);
      expect(r.fast.ids).toContain(made.id);
      expect(r.fast.total).toBe(31 + i);
      rmSync(made.dir, { recursive: true });
      r = both(store, 5);
      expect(r.fast).toEqual(r.full);
      expect(r.fast.ids).not.toContain(made.id);
      const again = store.createRun({ op: "tick.py" });
      r = both(store, 5);
      expect(r.fast).toEqual(r.full);
      expect(r.fast.ids).toContain(again.id);
    }
    const r = both(store);
    expect(r.fast).toEqual(r.full);
  });

  it("sees runs another process copies in, moves away or deletes (cp -r, mv, rm -rf)", () => {
    const home = tempDir();
    generateStore({ runs: 50, out: home, steps: 1, seed: "behind" });
    const store = new RunStore(home);
    expect(g(["runs"], { home }).code).toBe(0); // the snapshot, written by another process
    const runs = store.listRuns().runs;
    const copied = "e".repeat(32);
    cpSync(runs[10]!.dir, join(store.runsDir, copied), { recursive: true });
    const rec = JSON.parse(readFileSync(join(store.runsDir, copied, "run.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(store.runsDir, copied, "run.json"), JSON.stringify({ ...rec, id: copied, created: "2099-01-01T00:00:00.000Z" }));
    let r = both(store, 5);
    expect(r.fast).toEqual(r.full);
    expect(r.fast.ids[0]).toBe(copied);
    renameSync(runs[0]!.dir, join(tempDir(), "moved"));
    rmSync(runs[1]!.dir, { recursive: true });
    r = both(store, 5);
    expect(r.fast).toEqual(r.full);
    expect(r.fast.ids).not.toContain(runs[0]!.id);
    expect(r.fast.total).toBe(49);
    const shown = g(["runs"], { home });
    expect(shown.stdout).toBe(g(["runs", "1:20"], { home }).stdout);
    expect(shown.stderr).toContain("showing 20 of 49 runs");
  });

  it("reads runs without a created time again (they get one when started), and warns about damaged ones every time until mended", () => {
    const home = tempDir();
    generateStore({ runs: 20, out: home, steps: 1, seed: "unkeyed" });
    const store = new RunStore(home);
    // Hand-made: no created, not started, so no key yet.
    const handMade = store.createRun({ op: "later.py" });
    const recordPath = join(handMade.dir, "run.json");
    const { created: _, ...record } = JSON.parse(readFileSync(recordPath, "utf8")) as Record<string, unknown>;
    writeFileSync(recordPath, JSON.stringify(record));
    const damagedId = readdirSync(store.runsDir).filter((n) => n !== handMade.id)[3]!;
    const damagedPath = join(store.runsDir, damagedId, "run.json");
    const text = readFileSync(damagedPath, "utf8");
    writeFileSync(damagedPath, "{ not json");
    let r = both(store, 30);
    expect(r.fast).toEqual(r.full);
    expect(r.fast.warnings).toHaveLength(1);
    expect(r.fast.ids[r.fast.ids.length - 1]).toBe(handMade.id); // created "": the oldest
    r = both(store, 30); // from the snapshot: the same warning
    expect(r.fast).toEqual(r.full);
    expect(r.fast.warnings).toHaveLength(1);
    // Changes inside run folders leave the runs folder as it was: the snapshot is used, and still right.
    writeFileSync(recordPath, JSON.stringify({ ...record, started: "2099-01-01T00:00:00.000Z" }));
    writeFileSync(damagedPath, text);
    r = both(store, 30);
    expect(r.fast).toEqual(r.full);
    expect(r.fast.ids[0]).toBe(handMade.id);
    expect(r.fast.warnings).toEqual([]);
    expect(r.fast.total).toBe(21);
  });

  it("keeps created times that are not plain ASCII (hand-made runs) as they are", () => {
    const home = tempDir();
    generateStore({ runs: 10, out: home, steps: 1, seed: "odd-created" });
    const store = new RunStore(home);
    const odd = ['2099-01-01 "quoted" \\ back', "2098-12-31 été ☃ \u2028", "2098-12-30\ttab"];
    for (const created of odd) store.createRun({ op: "odd.py", created });
    for (let i = 0; i < 2; i++) {
      const r = both(store, 5);
      expect(r.fast).toEqual(r.full);
      expect(store.listNewestRuns(3).runs.map((x) => x.record.created)).toEqual(odd);
    }
  });

  it("is not used when cut short, of another folder, or not trusted", () => {
    const home = tempDir();
    generateStore({ runs: 40, out: home, steps: 1, seed: "cut" });
    const store = new RunStore(home);
    store.listNewestRuns(20);
    const path = join(home, RUNS_ORDER_FILE);
    const whole = readFileSync(path, "latin1");
    // Cut after the newest keys (a power loss: the file is never fsynced): the count would be wrong.
    writeFileSync(path, whole.slice(0, Math.floor(whole.length / 2)));
    let r = both(store);
    expect(r.fast).toEqual(r.full);
    expect(r.fast.total).toBe(40);
    // A snapshot of an older state of the folder (a run added since), with its own stamp or marked untrusted.
    store.listNewestRuns(20);
    const older = readFileSync(path, "latin1");
    const added = "d".repeat(32);
    const newest = store.listRuns().runs[0]!;
    cpSync(newest.dir, join(store.runsDir, added), { recursive: true });
    const rec = JSON.parse(readFileSync(join(store.runsDir, added, "run.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(store.runsDir, added, "run.json"), JSON.stringify({ ...rec, id: added, created: "2099-01-01T00:00:00.000Z" }));
    for (const text of [older, older.replace(/^(g-runs-order 1) \d+ \d+ \d+/, "$1 - - -")]) {
      writeFileSync(path, text);
      r = both(store);
      expect(r.fast).toEqual(r.full);
      expect(r.fast.ids[0]).toBe(added);
      rmSync(join(store.runsDir, added), { recursive: true });
      r = both(store);
      expect(r.fast).toEqual(r.full);
      cpSync(newest.dir, join(store.runsDir, added), { recursive: true });
      writeFileSync(join(store.runsDir, added, "run.json"), JSON.stringify({ ...rec, id: added, created: "2099-01-01T00:00:00.000Z" }));
    }
  });
});
