// The store's caches (index.jsonl, index-keys.txt, runs-order.txt) are checked, not trusted
// (issue 18): whatever state they are in, listings give the answer of reading
// every run's files, and runs added, changed or removed behind their back are seen.
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateStore } from "../../runs-fixtures/generate.mjs";
import { forEachLine } from "../../src/store/index-cache.js";
import { RunStore, summarizeScalars } from "../../src/store/store.js";
import { g } from "../helpers/g.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

/** What compare shows of each run, read from every run's files (no cache), newest first. */
function readByFiles(store: RunStore) {
  const { runs, warnings } = store.listRuns();
  return {
    runs: runs.map((r) => ({
      id: r.id,
      status: r.status,
      label: r.record.label,
      flags: r.record.flags,
      summaries: summarizeScalars(store.readScalars(r.id)),
    })),
    warnings,
  };
}

/** The same, as listRunsWithSummaries answers it (from the index where it can). */
function readListed(store: RunStore) {
  const { runs, warnings } = store.listRunsWithSummaries();
  return {
    runs: runs.map((r) => ({
      id: r.run.id,
      status: r.run.status,
      label: r.run.record.label,
      flags: r.run.record.flags,
      summaries: r.summaries,
    })),
    warnings,
  };
}

function lineCount(path: string): number {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "").length;
}

/** Rewrites run.json by hand (not atomically: same inode), as an editor or rsync --inplace would. */
function editRecord(dir: string, edit: (r: Record<string, unknown>) => void): void {
  const r = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as Record<string, unknown>;
  edit(r);
  writeFileSync(join(dir, "run.json"), JSON.stringify(r, null, 2) + "\n");
}

describe("index.jsonl", () => {
  it("is read piece by piece with every line whole, whatever the piece size", () => {
    const path = join(tempDir(), "lines");
    const lines = ["a", "", "bb", "ccc".repeat(20), "dddd", "é€", "last without newline"];
    const text = lines.join("\n");
    writeFileSync(path, text);
    const expected = lines.filter((l) => l !== "").map((l) => [l, Buffer.from(text).indexOf(l)]);
    for (const chunk of [1, 2, 3, 7, 64, 4096]) {
      const seen: Array<[string, number]> = [];
      expect(forEachLine(path, (buf, start, end, offset) => seen.push([buf.toString("utf8", start, end), offset]), chunk)).toBe(true);
      expect(seen, `pieces of ${chunk}`).toEqual(expected);
    }
    expect(forEachLine(join(tempDir(), "missing"), () => {})).toBe(false);
  });

  it("builds the index in one pass without writing a file per run", () => {
    const home = tempDir();
    generateStore({ runs: 120, out: home, steps: 4, seed: "idx", summary: false });
    const store = new RunStore(home);
    const expected = readByFiles(store);
    expect(readListed(store)).toEqual(expected);
    for (const id of readdirSync(store.runsDir)) expect(readdirSync(join(store.runsDir, id))).not.toContain("summary.json");
    // Every finished run is indexed, and the next read answers the same from the index.
    const finished = store.listRuns().runs.filter((r) => r.record.stopped != null).length;
    expect(lineCount(join(home, "index.jsonl"))).toBe(finished);
    expect(readListed(store)).toEqual(expected);
  });

  it("rebuilds a truncated, damaged or stale index and gives the same answer", async () => {
    const home = tempDir();
    generateStore({ runs: 150, out: home, steps: 4, seed: "stale", summary: false });
    const store = new RunStore(home);
    const indexPath = join(home, "index.jsonl");
    readListed(store);
    const whole = readFileSync(indexPath, "utf8");

    writeFileSync(indexPath, whole.slice(0, Math.floor(whole.length / 2) + 17)); // cut inside a line
    expect(readListed(store)).toEqual(readByFiles(store));

    writeFileSync(indexPath, "garbage\n" + whole.replace(/"packed":/g, '"packet":') + '{"id":"' + "0".repeat(32) + '", torn');
    expect(readListed(store)).toEqual(readByFiles(store));

    // Stale: labels changed through the store, and a hand edit that keeps run.json's size and inode.
    writeFileSync(indexPath, whole);
    const runs = store.listRuns().runs.filter((r) => r.record.stopped != null);
    for (const r of runs.slice(0, 10)) await store.updateRun(r.id, (rec) => void (rec.label = "relabelled"));
    const edited = runs.find((r) => r.record.exit_status === 0 && !r.record.terminated && !r.record.early_stopped)!;
    const size = readFileSync(join(edited.dir, "run.json")).length;
    editRecord(edited.dir, (r) => void (r.exit_status = 7));
    expect(readFileSync(join(edited.dir, "run.json")).length).toBe(size);
    const after = readListed(store);
    expect(after).toEqual(readByFiles(store));
    expect(after.runs.find((r) => r.id === edited.id)!.status).toBe("error");
    expect(after.runs.filter((r) => r.label === "relabelled")).toHaveLength(10);
  });

  it("compacts an index that is mostly superseded or torn lines", () => {
    const home = tempDir();
    generateStore({ runs: 40, out: home, steps: 2, seed: "compact" });
    const store = new RunStore(home);
    readListed(store);
    const indexPath = join(home, "index.jsonl");
    const finished = lineCount(indexPath);
    writeFileSync(indexPath, readFileSync(indexPath, "utf8") + "torn line\n".repeat(1200));
    expect(readListed(store)).toEqual(readByFiles(store));
    expect(lineCount(indexPath)).toBe(finished);
    expect(lineCount(join(home, "index-keys.txt"))).toBe(finished);
  });

  it("sees runs added, changed or removed behind the index's back", () => {
    const home = tempDir();
    generateStore({ runs: 60, out: home, steps: 3, seed: "behind" });
    const store = new RunStore(home);
    readListed(store);
    const [first, second, third] = store.listRuns().runs.filter((r) => r.record.stopped != null);
    // Added by copying a folder in (as rsync from a cluster would), with its own id and the newest time.
    const newId = "f".repeat(32);
    cpSync(first!.dir, join(store.runsDir, newId), { recursive: true });
    editRecord(join(store.runsDir, newId), (r) => {
      r.id = newId;
      r.created = "2099-01-01T00:00:00.000Z";
      r.label = "copied in";
    });
    // Changed: its scalars and run.json replaced by hand (no summary.json left to trust).
    rmSync(join(second!.dir, "summary.json"), { force: true });
    writeFileSync(join(second!.dir, "scalars.jsonl"), '{"key":"loss","value":42,"step":1,"t":1}\n');
    editRecord(second!.dir, (r) => void (r.label = "changed by hand"));
    // Removed.
    rmSync(third!.dir, { recursive: true });

    const listed = readListed(store);
    expect(listed).toEqual(readByFiles(store));
    expect(listed.runs[0]).toMatchObject({ id: newId, label: "copied in" });
    expect(listed.runs.find((r) => r.id === second!.id)).toMatchObject({
      label: "changed by hand",
      summaries: { loss: { last: 42, count: 1 } },
    });
    expect(listed.runs.some((r) => r.id === third!.id)).toBe(false);
    expect(store.listNewestRuns(1).runs[0]!.id).toBe(newId);
  });
});

describe("g runs: the newest runs without reading every record", () => {
  /** The newest `n` and the count, as listNewestRuns answers and as reading every record does. */
  function both(store: RunStore, n = 20) {
    const full = store.listRuns();
    const fast = store.listNewestRuns(n);
    return {
      fast: { ids: fast.runs.map((r) => r.id), records: fast.runs.map((r) => r.record), total: fast.total, warnings: fast.warnings },
      full: {
        ids: full.runs.slice(0, n).map((r) => r.id),
        records: full.runs.slice(0, n).map((r) => r.record),
        total: full.runs.length,
        warnings: full.warnings,
      },
    };
  }

  it("gives the full read's order, rows and count on a large generated store, whatever its keys file holds", async () => {
    const home = tempDir();
    generateStore({ runs: 1500, out: home, steps: 1, seed: "order", block: 300 });
    const store = new RunStore(home);
    const keysPath = join(home, "runs-order.txt");
    let r = both(store); // no keys yet: every record read, keys written
    expect(r.fast).toEqual(r.full);
    expect(lineCount(keysPath)).toBeGreaterThan(1200);
    r = both(store); // from the keys
    expect(r.fast).toEqual(r.full);
    for (const n of [1, 7, 100]) {
      r = both(store, n);
      expect(r.fast).toEqual(r.full);
    }

    const keys = readFileSync(keysPath, "utf8");
    writeFileSync(keysPath, keys.slice(0, keys.length / 3 + 5) + "\nnot a key\n" + "a".repeat(32) + ' 1 "2099\n');
    r = both(store);
    expect(r.fast).toEqual(r.full);

    // A shown run whose created changed by hand (so its key is wrong): the answer is still the full read's.
    const newest = store.listRuns().runs;
    editRecord(newest[3]!.dir, (rec) => void (rec.created = "2000-01-01T00:00:00.000Z"));
    r = both(store);
    expect(r.fast).toEqual(r.full);
    expect(r.fast.ids).not.toContain(newest[3]!.id);

    // A shown run damaged after it was indexed: a warning naming it, as the full read gives.
    writeFileSync(join(newest[0]!.dir, "run.json"), '{"format": 1, "id": "cut sh');
    r = both(store);
    expect(r.fast).toEqual(r.full);
    expect(r.fast.warnings).toHaveLength(1);

    // Unfinished runs (never in the keys) and trials of one batch created in the same millisecond.
    const batch = store.createRun({ op: "grid", created: "2098-01-01T00:00:00.000Z" });
    for (let t = 1; t <= 3; t++) store.createRun({ op: "x.py", batch: batch.id, trial: t, created: "2098-01-01T00:00:01.000Z" });
    r = both(store, 4);
    expect(r.fast).toEqual(r.full);
    expect(r.fast.records.map((rec) => rec.trial ?? 0)).toEqual([3, 2, 1, 0]);
  });

  it("prints the same rows as g runs 1:20 and g runs -a as g runs :", () => {
    const home = tempDir();
    generateStore({ runs: 400, out: home, steps: 2, seed: "cli" });
    const fast = g(["runs"], { home });
    const full = g(["runs", "1:20"], { home });
    expect(fast.code).toBe(0);
    expect(fast.stdout).toBe(full.stdout);
    expect(fast.stderr).toContain("showing 20 of 400 runs");
    expect(g(["compare", "-T"], { home }).code).toBe(0); // now the index serves -a
    const all = g(["runs", "-a"], { home });
    expect(all.stdout).toBe(g(["runs", ":"], { home }).stdout);
    expect(all.stdout.trim().split("\n")).toHaveLength(401);
    expect(g(["runs"], { home }).stdout).toBe(full.stdout);
  });
});
