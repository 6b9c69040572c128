// The store's caches (index.bin, index.jsonl, index-keys.txt, runs-order.txt) are checked, not trusted
// (issue 18): whatever state they are in, listings give the answer of reading
// every run's files, and runs added, changed or removed behind their back are seen.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateStore } from "../../runs-fixtures/generate.mjs";
import { forEachLine } from "../../src/store/index-cache.js";
import { Snapshot, encodeSnapshot } from "../../src/store/index-snapshot.js";
import { NOT_A_RUN, startRunFolderProbe } from "../../src/store/run-folder-probe.js";
import type { CellRange, Flags, RunRecord, ScalarSummary } from "../../src/store/types.js";
import { SNAPSHOT_CELL_TEXTS } from "../../src/query/compare-data.js";
import { formatDuration, formatValue, timeFormatterMs } from "../../src/format/values.js";
import { RunStore, summarizeScalars, type RunListing } from "../../src/store/store.js";
import { stoppedStatus } from "../../src/store/status.js";
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

/**
 * The same, as listRunsWithSummaries answers it (from the index where it can).
 * `later`: as g compare asks, with the snapshot's runs checked later, and
 * listed again when one of them was not current.
 */
function readListed(store: RunStore, later = false) {
  const first = store.listRunsWithSummaries(undefined, { checkLater: later });
  return shown(first.checked === undefined || first.checked() ? first : store.listRunsWithSummaries());
}

/** What compare shows of each run of a listing, as readByFiles gives it. */
function shown({ runs, warnings }: RunListing) {
  return {
    runs: runs.map((r) => ({
      id: r.run.id,
      status: r.run.status,
      label: r.run.record.label,
      flags: r.run.record.flags,
      // As JSON: summaries from the snapshot are read-only views (their fields are getters).
      summaries: JSON.parse(JSON.stringify(r.summaries)) as Record<string, ScalarSummary>,
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

describe("index.jsonl, read in pieces", () => {
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
});

describe("index.bin, the binary snapshot", () => {
  it("gives back records and summaries as they went in, odd ones included", () => {
    const summary = (v: number, step: number | null) => ({ last: v, first: v, min: v, max: v, avg: v, total: v, count: 1, step });
    const records = [
      {
        op: "train.py",
        cwd: "/p",
        flags: { lr: 0.1, zero: -0, big: 1e300, s: "é€", t: true, f: false, n: null },
        created: "c1",
        started: "s1",
        stopped: "x1",
        exit_status: 0,
        label: "",
        tags: ["a", "b"],
        batch: "b".repeat(32),
        trial: 3,
      },
      {
        op: "grid",
        cwd: "/p",
        flags: {},
        created: "c2",
        started: null,
        stopped: "x2",
        exit_status: null,
        terminated: true,
        early_stopped: false,
        label: "l",
        tags: [],
        optimizer: "gp",
        objective: { column: "loss", goal: "minimize" },
        seed: 7,
      },
      // Hand-edited: fields of other types, no exit_status, a flag named __proto__, unknown fields.
      {
        op: "x",
        flags: JSON.parse('{"__proto__": 1, "obj": 2}'),
        created: "c3",
        stopped: "x3",
        label: 5,
        tags: "t",
        trial: "2",
        extra: [1],
      },
      { op: "y", flags: { o: { nested: true } }, created: "c4", stopped: "x4", exit_status: "1", tags: [1] },
    ] as unknown as RunRecord[];
    const summaries = [
      { loss: summary(0.5, 10), acc: summary(1, null) },
      {},
      JSON.parse('{"__proto__": {"last": 1}}'),
      { "": summary(-0, 0) },
    ];
    summaries[2]!["__proto__"] = summary(2, 1);
    const entries = records.map((record, i) => ({
      id: String(i).repeat(32),
      ino: i + 1,
      size: 10 * i,
      mtime: 1.5 * i,
      record,
      summaries: summaries[i]!,
    }));
    const snap = Snapshot.fromBytes(encodeSnapshot(entries))!;
    expect(snap.count).toBe(4);
    for (const [i, e] of entries.entries()) {
      expect(snap.id(i)).toBe(e.id);
      expect(snap.matches(i, e.ino, e.size, e.mtime)).toBe(true);
      expect(snap.matches(i, e.ino, e.size + 1, e.mtime)).toBe(false);
      expect(snap.record(i)).toEqual(e.record);
      expect(Object.keys(snap.record(i).flags ?? {})).toEqual(Object.keys(e.record.flags ?? {}));
      expect(JSON.parse(JSON.stringify(snap.summaries(i)))).toEqual(JSON.parse(JSON.stringify(e.summaries)));
    }
    // Read from its file into shared memory, which another thread reads as it is (compare's row thread).
    const path = join(tempDir(), "index.bin");
    writeFileSync(path, encodeSnapshot(entries));
    const read = Snapshot.read(path)!;
    const memory = read.shared()!;
    expect(memory).toBeInstanceOf(SharedArrayBuffer);
    // The hot part only: the summaries' numbers (7 float64 a summary, 4 summaries) are the cold part at the end.
    expect(memory.byteLength).toBe(statSync(path).size - 4 * 7 * 8);
    expect(read.sharedCold().values!.byteLength).toBe(4 * 7 * 8);
    expect(snap.shared()).toBeNull(); // from an ordinary Buffer
    const again = Snapshot.fromShared(memory)!;
    for (const [i, e] of entries.entries()) {
      expect(again.id(i)).toBe(e.id);
      expect(again.record(i)).toEqual(e.record);
    }
    const foreign = new SharedArrayBuffer(64);
    expect(Snapshot.fromShared(foreign)).toBeNull();
    expect(Object.is(snap.record(0).flags.zero, -0)).toBe(true);
    expect(Object.getPrototypeOf(snap.record(2).flags)).toBe(Object.prototype);
    expect(snap.summaries(0).acc!.step).toBeNull();
  });

  it("orders runs from their bytes as the listing orders records, times with non-ASCII text included", () => {
    // The listing's rule, from the records: created (else started, else ""), later first; then the higher trial; then the greater id.
    const keyOf = (r: RunRecord): { created: string; trial: number } => ({ created: r.created ?? r.started ?? "", trial: r.trial ?? 0 });
    const compareRecords = (a: { id: string; record: RunRecord }, b: { id: string; record: RunRecord }): number => {
      const ka = keyOf(a.record);
      const kb = keyOf(b.record);
      if (ka.created !== kb.created) return ka.created < kb.created ? 1 : -1;
      if (ka.trial !== kb.trial) return kb.trial - ka.trial;
      return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
    };
    // UTF-8 bytes order U+FF61 before U+1F600 (a surrogate pair in UTF-16), JS strings the other way round.
    const times = [
      "2026-01-01T00:00:00Z",
      "2026-01-01T00:00:01Z",
      "2026-01-01",
      "",
      "é",
      "\uff61",
      "\ud83d\ude00",
      "a\uff61",
      "a\ud83d\ude00",
      "~",
    ];
    const entries = [];
    let n = 0;
    for (const created of [...times, undefined]) {
      for (const started of ["2026-02-02T00:00:00Z", undefined]) {
        for (const trial of [undefined, 0, 2, 10]) {
          const id = (n++).toString(16).padStart(32, n % 3 === 0 ? "f" : "0");
          const record = { op: "x", flags: {}, stopped: "s", exit_status: 0, created, started, trial } as unknown as RunRecord;
          entries.push({ id, ino: 1, size: 2, mtime: 3, record, summaries: {} });
        }
      }
    }
    const snap = Snapshot.fromBytes(encodeSnapshot(entries))!;
    for (let i = 0; i < entries.length; i++) {
      expect(snap.readsInPlace(i)).toBe(true);
      for (let j = 0; j < entries.length; j++) {
        expect(Math.sign(snap.compareNewestFirst(i, j)), `${i} ${j}`).toBe(Math.sign(compareRecords(entries[i]!, entries[j]!)));
      }
    }
  });

  it("finds a run by its id's bytes, and nothing for a name that is not one of its ids", () => {
    // Ids that share their first bytes, or all but the last, still find their own entries.
    const ids = ["0".repeat(32), "0".repeat(31) + "1", "0".repeat(8) + "f".repeat(24), "f".repeat(32), "0123456789abcdef".repeat(2)];
    for (let n = 1; n <= 300; n++) ids.push(((n * 2654435761) >>> 0).toString(16).padStart(8, "0").repeat(4));
    const record = { op: "x", flags: {}, stopped: "2026-01-01T00:00:00.000Z", exit_status: 0 } as unknown as RunRecord;
    const snap = Snapshot.fromBytes(encodeSnapshot(ids.map((id) => ({ id, ino: 1, size: 2, mtime: 3, record, summaries: {} }))))!;
    ids.forEach((id, i) => expect(snap.findRun(id), id).toBe(i));
    for (const name of [
      "0".repeat(31) + "2",
      "0".repeat(31) + "A",
      "F".repeat(32),
      "0".repeat(33),
      "0".repeat(31),
      ".new-" + ids[0],
      "",
      "0".repeat(30) + "\u00e9" + "0",
    ])
      expect(snap.findRun(name), name).toBe(-1);
  });

  it("gives times in toISOString's form as numbers, others as NaN, and says whether its runs are in order", () => {
    const times = ["2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00Z", "2026-03-01", "yesterday", "+012345-01-01T00:00:00.000Z"];
    const entries = times.map((t, n) => ({
      id: n.toString(16).padStart(32, "0"),
      ino: 1,
      size: 2,
      mtime: 3,
      record: { op: "x", flags: {}, created: t, started: t, stopped: t, exit_status: 0 } as unknown as RunRecord,
      summaries: {},
    }));
    const snap = Snapshot.fromBytes(encodeSnapshot(entries))!;
    const ms = times.map((_, i) => snap.timeMs(i, "started"));
    expect(ms).toEqual([Date.parse(times[0]!), NaN, NaN, NaN, Date.parse(times[4]!)]);
    // Newest first by created: "yesterday" > "2026-..." > "+0123..." as text, so these five are not in order.
    expect(snap.inPlaceInOrder()).toBe(false);
    const sorted = [4, 3, 2, 1, 0].map((i) => entries[i]!).sort((a, b) => (a.record.created! < b.record.created! ? 1 : -1));
    expect(Snapshot.fromBytes(encodeSnapshot(sorted))!.inPlaceInOrder()).toBe(true);
  });

  it("keeps each run's cells as the compare builder makes them, and none it cannot keep as bytes", () => {
    const summary = (v: number) => ({ last: v, first: 0, min: 0, max: v, avg: v, total: v, count: 1, step: 1 });
    const record = (flags: Flags, started: string, stopped: string) =>
      ({ op: "x", flags, created: started, started, stopped, exit_status: 0 }) as unknown as RunRecord;
    const t0 = "2026-03-29T00:30:00.000Z"; // Europe's change of offset is an hour and a half later
    const entries = [
      { flags: { lr: 0.00123456789, opt: "adam", on: true, off: false, none: null }, sums: { loss: summary(1 / 3), acc: summary(2e-7) } },
      { flags: { lr: 5, opt: "sgd", on: false, off: true, none: null }, sums: { loss: summary(1e21), acc: summary(-0) } },
      { flags: { lr: 5, opt: "café", on: false, off: true, none: null }, sums: { loss: summary(1), acc: summary(2) } }, // not ASCII
      { flags: { lr: 5, opt: "x".repeat(256), on: false, off: true, none: null }, sums: { loss: summary(1), acc: summary(2) } }, // too long
      { flags: { opt: "sgd", lr: 5, on: false, off: true, none: null }, sums: { loss: summary(1), acc: summary(2) } }, // other order
    ].map((e, i) => ({
      id: String(i).repeat(32),
      ino: 1,
      size: 2,
      mtime: 3,
      record: record(e.flags as Flags, t0, new Date(Date.parse(t0) + 3_723_400 * (i + 1)).toISOString()),
      summaries: e.sums,
    }));
    const range = (): CellRange => ({
      flags: ["lr", "opt", "on", "off", "none"],
      scalars: ["loss", "acc"],
      lengths: new Uint32Array(7),
      kinds: new Uint8Array(7),
    });
    const snap = Snapshot.fromBytes(encodeSnapshot(entries, SNAPSHOT_CELL_TEXTS))!;
    for (const i of [0, 1]) {
      const r = range();
      const { flags } = entries[i]!.record;
      // A null flag keeps the cell `null`, as the builder shows it (kind 0: it makes its column neither numeric nor text).
      const texts = [...Object.values(flags!).map((v) => formatValue(v)), formatValue(entries[i]!.summaries.loss.last)];
      texts.push(formatValue(entries[i]!.summaries.acc.last));
      expect(snap.rangeText(i, r)).toBe(texts.join(""));
      expect([...r.lengths]).toEqual(texts.map((t) => t.length));
      expect([...r.kinds]).toEqual([1, 2, 2, 2, 0, 1, 1]);
      expect(snap.timeText(i, "time", 0)).toBe(formatDuration(3723.4 * (i + 1)));
    }
    expect(snap.rangeText(2, range())).toBeUndefined();
    expect(snap.rangeText(3, range())).toBeUndefined();
    expect(snap.rangeText(4, range())).toBeUndefined();
    expect(snap.rangeText(0, { ...range(), scalars: ["acc", "loss"] })).toBeUndefined();
    // The started cell in the zone it was made in (this process's), and not in a zone with another offset that hour.
    const offset = SNAPSHOT_CELL_TEXTS.offset(Date.parse(t0));
    expect(snap.timeText(0, "started", offset)).toBe(timeFormatterMs()(Date.parse(t0)));
    expect(snap.timeText(0, "started", offset + 3_600_000)).toBeUndefined();
    // Without the builder's formatters, no cell is kept: the builder makes them all.
    const bare = Snapshot.fromBytes(encodeSnapshot(entries))!;
    expect(bare.rangeText(0, range())).toBeUndefined();
    expect(bare.timeText(0, "time", 0)).toBeUndefined();
    expect(bare.timeText(0, "started", offset)).toBeUndefined();
    // The same cells as bytes (copyKeptCells): where rangeText and timeText give a text, its bytes, else -1.
    const out = Buffer.alloc(4096, 0x2a);
    for (const [snapshot, i] of [0, 1, 2, 3, 4].flatMap(
      (i) =>
        [
          [snap, i],
          [bare, i],
        ] as const,
    )) {
      const r = range();
      const want = snapshot.rangeText(i, range());
      const end = snapshot.copyKeptCells(i, r, 0, out, 10);
      expect(end === -1 ? undefined : out.toString("latin1", 10, end)).toBe(want);
      if (want !== undefined) {
        const t = range();
        snapshot.rangeText(i, t);
        expect([...r.lengths, ...r.kinds]).toEqual([...t.lengths, ...t.kinds]);
      }
      for (const [which, at] of [
        ["time", 0],
        ["started", offset],
        ["started", offset + 3_600_000],
      ] as const) {
        const q = snapshot.copyKeptCells(i, which, at, out, 7);
        expect(q === -1 ? undefined : out.toString("latin1", 7, q)).toBe(snapshot.timeText(i, which, at));
      }
    }
    expect(snap.copyKeptCells(0, { ...range(), scalars: ["acc", "loss"] }, 0, out, 0)).toBe(-1);
    // Without room for them, none are copied (the builder formats them).
    expect(snap.copyKeptCells(0, range(), 0, out, out.length - 3)).toBe(-1);
    expect(snap.copyKeptCells(0, range(), 0, out, 0)).toBe(snap.rangeText(0, range())!.length);
  });

  it("gives a run's status from its bits as the record gives it", () => {
    const records = [
      { exit_status: 0 },
      { exit_status: -0 },
      { exit_status: 1 },
      { exit_status: null },
      {},
      { exit_status: 0, terminated: true },
      { exit_status: 0, terminated: false },
      { exit_status: 0, early_stopped: true },
      { exit_status: 1, early_stopped: false, terminated: true },
    ];
    const entries = records.map((r, i) => ({
      id: String(i).padStart(32, "0"),
      ino: 1,
      size: 2,
      mtime: 3,
      record: { op: "x", flags: {}, stopped: "s", ...r } as unknown as RunRecord,
      summaries: {},
    }));
    const snap = Snapshot.fromBytes(encodeSnapshot(entries))!;
    expect(records.map((_, i) => snap.stoppedStatus(i))).toEqual(records.map((r) => stoppedStatus(r as RunRecord)));
  });

  it("refuses a truncated, damaged or foreign snapshot", () => {
    const entries = [
      { id: "a".repeat(32), ino: 1, size: 2, mtime: 3, record: { op: "x", flags: { lr: 1 } } as unknown as RunRecord, summaries: {} },
    ];
    const bytes = encodeSnapshot(entries);
    expect(Snapshot.fromBytes(bytes)).not.toBeNull();
    expect(Snapshot.fromBytes(bytes.subarray(0, bytes.length - 8))).toBeNull();
    for (let at = 48; at < bytes.length; at += 7) {
      const damaged = Buffer.from(bytes);
      damaged[at] = damaged[at]! ^ 0x5a;
      expect(Snapshot.fromBytes(damaged), `byte ${at}`).toBeNull();
    }
    expect(Snapshot.fromBytes(Buffer.from("not a snapshot at all, just some text here....."))).toBeNull();
  });
});

describe("the run folder probe", () => {
  it("lists the runs folder and stats each run.json on a worker thread, as statSync does, marking names that are not runs", () => {
    const home = tempDir();
    generateStore({ runs: 30, out: home, steps: 1, seed: "probe" });
    const runsDir = join(home, "runs");
    // Names that are not runs, odd characters included (the names come back joined by "/", which no name holds).
    const odd = ["not-a-run", "two\nlines", " spaced ", "é€"];
    for (const name of odd) writeFileSync(join(runsDir, name), "");
    const found = startRunFolderProbe(runsDir)!.wait()!;
    expect([...found.names].sort()).toEqual(readdirSync(runsDir).sort());
    found.names.forEach((name, i) => {
      const st = odd.includes(name) ? null : statSync(join(runsDir, name, "run.json"));
      expect([...found.stats.subarray(3 * i, 3 * i + 3)]).toEqual(st ? [st.ino, st.size, st.mtimeMs] : [NOT_A_RUN, 0, 0]);
    });
    expect(startRunFolderProbe(join(home, "missing"))!.wait()).toBeNull();
    // An empty folder: no names (not one empty name).
    const empty = join(home, "empty");
    mkdirSync(empty);
    expect(startRunFolderProbe(empty)!.wait()).toEqual({ names: [], stats: expect.any(Float64Array) });
  });
});

describe("the run folder probe, handed a snapshot's ids", () => {
  it("stats run.json by id while it lists, and joins the names with the ids in the folder's order", () => {
    const home = tempDir();
    generateStore({ runs: 30, out: home, steps: 1, seed: "probe-ids" });
    const runsDir = join(home, "runs");
    writeFileSync(join(runsDir, "not-a-run"), "");
    const runIds = readdirSync(runsDir).filter((n) => /^[0-9a-f]{32}$/.test(n));
    // Ten of the runs, one id twice (the first is the one joined), and one whose folder is gone.
    const gone = "0".repeat(32);
    const handed = [...runIds.slice(0, 10), runIds[3]!, gone];
    const record: RunRecord = { format: 1, id: "", created: "2024-01-01T00:00:00.000Z", flags: {} };
    const entries = handed.map((id, i) => ({ id, ino: i, size: i, mtime: i, record, summaries: {} }));
    const probe = startRunFolderProbe(runsDir)!;
    probe.statIds(Snapshot.fromBytes(encodeSnapshot(entries))!.sharedIds());
    probe.statUntilListed();
    const listed = probe.listed()!;
    const stats = probe.stats()!;
    // The folder's run ids in its order: the handed ones by their place, the others by name.
    const order = readdirSync(runsDir).filter((n) => /^[0-9a-f]{32}$/.test(n));
    const { runCount, placeOfId, otherAt } = listed.byIds!;
    expect(runCount).toBe(order.length);
    const rebuilt = new Array<string>(runCount);
    handed.forEach((id, i) => {
      if (placeOfId[i]! >= 0) rebuilt[placeOfId[i]!] = id;
    });
    listed.names.forEach((name, j) => (rebuilt[otherAt[j]!] = name));
    expect(rebuilt).toEqual(order);
    expect([placeOfId[10], placeOfId[11]]).toEqual([-1, -1]);
    expect([...listed.names].sort()).toEqual(runIds.slice(10).sort());
    handed.forEach((id, i) => {
      const st = id === gone ? null : statSync(join(runsDir, id, "run.json"));
      expect([...stats.subarray(3 * i, 3 * i + 3)]).toEqual(st ? [st.ino, st.size, st.mtimeMs] : [-1, 0, 0]);
    });
  });
});

describe("a listing whose snapshot runs are checked later", () => {
  it("says after whether the runs it took were current, and writes the index only from checked runs", () => {
    const home = tempDir();
    generateStore({ runs: 150, out: home, steps: 3, seed: "later" });
    const store = new RunStore(home, { probeFromBytes: 0 });
    readListed(store);
    const journal = join(home, "index.jsonl");
    const journalled = () => readFileSync(journal, "utf8");
    const first = store.listRunsWithSummaries(undefined, { checkLater: true });
    expect(first.checked).toBeDefined();
    expect(first.checked!()).toBe(true);
    expect(shown(first)).toEqual(readByFiles(store));

    const finished = store.listRuns().runs.filter((r) => r.record.stopped != null);
    // A run.json changed behind the index's back: the listing took the snapshot's record, and says it was not current.
    editRecord(finished[0]!.dir, (r) => void (r.label = "changed by hand"));
    const before = journalled();
    const stale = store.listRunsWithSummaries(undefined, { checkLater: true });
    expect(stale.checked!()).toBe(false);
    expect(journalled()).toBe(before);
    expect(readListed(store, true)).toEqual(readByFiles(store));

    // Folders of snapshot entries removed, and a run copied in: the runs taken are current; the new run is journalled.
    rmSync(finished[1]!.dir, { recursive: true });
    rmSync(finished[2]!.dir, { recursive: true });
    const newId = "e".repeat(32);
    cpSync(finished[3]!.dir, join(store.runsDir, newId), { recursive: true });
    editRecord(join(store.runsDir, newId), (r) => void (r.id = newId));
    const moved = store.listRunsWithSummaries(undefined, { checkLater: true });
    expect(moved.checked?.() ?? true).toBe(true);
    expect(shown(moved)).toEqual(readByFiles(store));
    expect(journalled()).toContain(newId);

    // A run changed and one added in the same listing: it would write the new run, so it checks first, finds
    // the change, and lists again, checked (no `checked` then), with both in the journal.
    editRecord(finished[4]!.dir, (r) => void (r.label = "changed again"));
    const newer = "d".repeat(32);
    cpSync(finished[5]!.dir, join(store.runsDir, newer), { recursive: true });
    editRecord(join(store.runsDir, newer), (r) => void (r.id = newer));
    const relisted = store.listRunsWithSummaries(undefined, { checkLater: true });
    expect(relisted.checked).toBeUndefined();
    expect(shown(relisted)).toEqual(readByFiles(store));
    expect(journalled()).toContain(newer);
    expect(journalled()).toContain("changed again");
  });
});

// Each check runs three times: run.json stat'ed on this thread; by the worker thread (what big stores do);
// and with the runs only their files describe read at once by another worker (big stores from 256 of them).
describe.each([
  ["stat'ed here", {}, false],
  ["stat'ed by a worker", { probeFromBytes: 0 }, false],
  ["stat'ed by a worker, runs without an entry read early", { probeFromBytes: 0, earlyReadsFromRuns: 1 }, false],
  ["stat'ed by a worker while the snapshot's runs are taken, checked later", { probeFromBytes: 0 }, true],
] as const)("the index, %s", (_, opts, later) => {
  it("builds the snapshot in one pass without writing a file per run", () => {
    const home = tempDir();
    generateStore({ runs: 120, out: home, steps: 4, seed: "idx", summary: false });
    const store = new RunStore(home, opts);
    const expected = readByFiles(store);
    expect(readListed(store, later)).toEqual(expected);
    for (const id of readdirSync(store.runsDir)) expect(readdirSync(join(store.runsDir, id))).not.toContain("summary.json");
    // Every finished run is in the snapshot, the journal is empty, and the next read answers the same.
    const finished = store.listRuns().runs.filter((r) => r.record.stopped != null).length;
    expect(Snapshot.read(join(home, "index.bin"))!.count).toBe(finished);
    expect(lineCount(join(home, "index.jsonl"))).toBe(0);
    expect(readListed(store, later)).toEqual(expected);
    expect(store.listRunsIndexed().runs.map((r) => [r.id, r.status, r.record.label])).toEqual(
      expected.runs.map((r) => [r.id, r.status, r.label]),
    );
  });

  it("rebuilds a truncated, damaged or stale snapshot and gives the same answer", async () => {
    const home = tempDir();
    generateStore({ runs: 150, out: home, steps: 4, seed: "stale", summary: false });
    const store = new RunStore(home, opts);
    const snapPath = join(home, "index.bin");
    readListed(store, later);
    const whole = readFileSync(snapPath);

    writeFileSync(snapPath, whole.subarray(0, Math.floor(whole.length / 2) + 17));
    expect(readListed(store, later)).toEqual(readByFiles(store));
    expect(readFileSync(snapPath)).toEqual(whole); // rebuilt

    const damaged = Buffer.from(whole);
    for (let at = 100; at < damaged.length; at += 997) damaged[at] = damaged[at]! ^ 0xff;
    writeFileSync(snapPath, damaged);
    expect(readListed(store, later)).toEqual(readByFiles(store));
    writeFileSync(snapPath, "garbage");
    expect(readListed(store, later)).toEqual(readByFiles(store));

    // Stale: labels changed through the store, and a hand edit that keeps run.json's size and inode.
    writeFileSync(snapPath, whole);
    const runs = store.listRuns().runs.filter((r) => r.record.stopped != null);
    for (const r of runs.slice(0, 10)) await store.updateRun(r.id, (rec) => void (rec.label = "relabelled"));
    const edited = runs.find((r) => r.record.exit_status === 0 && !r.record.terminated && !r.record.early_stopped)!;
    const size = readFileSync(join(edited.dir, "run.json")).length;
    editRecord(edited.dir, (r) => void (r.exit_status = 7));
    expect(readFileSync(join(edited.dir, "run.json")).length).toBe(size);
    const after = readListed(store, later);
    expect(after).toEqual(readByFiles(store));
    expect(after.runs.find((r) => r.id === edited.id)!.status).toBe("error");
    expect(after.runs.filter((r) => r.label === "relabelled")).toHaveLength(10);
    // Those runs went to the journal; the snapshot stays until enough runs come from elsewhere.
    expect(lineCount(join(home, "index.jsonl"))).toBe(new Set([...runs.slice(0, 10).map((r) => r.id), edited.id]).size);
    expect(readListed(store, later)).toEqual(readByFiles(store));
  });

  it("folds a journal of many or torn lines into a new snapshot", () => {
    const home = tempDir();
    generateStore({ runs: 40, out: home, steps: 2, seed: "compact" });
    const store = new RunStore(home, opts);
    readListed(store, later); // 40 runs: too few for a snapshot, they go to the journal
    const indexPath = join(home, "index.jsonl");
    const finished = lineCount(indexPath);
    expect(existsSync(join(home, "index.bin"))).toBe(false);
    writeFileSync(indexPath, readFileSync(indexPath, "utf8") + "torn line\n".repeat(1200));
    expect(readListed(store, later)).toEqual(readByFiles(store));
    expect(lineCount(indexPath)).toBe(0);
    expect(Snapshot.read(join(home, "index.bin"))!.count).toBe(finished);
    expect(lineCount(join(home, "index-keys.txt"))).toBe(finished);
    expect(readListed(store, later)).toEqual(readByFiles(store));
  });

  it("places runs outside the snapshot among its runs as the full read orders them, odd created times included", () => {
    const home = tempDir();
    generateStore({ runs: 160, out: home, steps: 2, seed: "merge" });
    const store = new RunStore(home, opts);
    // Two finished runs (in the snapshot) whose times are toISOString's of years past four digits: not text order.
    const [far, early] = store
      .listRuns()
      .runs.filter((r) => r.record.stopped != null)
      .slice(-2);
    editRecord(far!.dir, (r) => void (r.created = "+010000-01-01T00:00:00.000Z"));
    editRecord(early!.dir, (r) => void (r.created = "-000001-12-31T23:59:59.999Z"));
    readListed(store, later);
    expect(Snapshot.read(join(home, "index.bin"))!.inPlaceInOrder()).toBe(true);
    const finished = store.listRuns().runs.filter((r) => r.record.stopped != null);
    const middle = finished[Math.floor(finished.length / 2)]!;
    const next = finished[Math.floor(finished.length / 2) + 1]!;
    // Unfinished copies (read from their files at every listing), placed among the snapshot's runs by created time.
    const between = new Date((Date.parse(middle.record.created!) + Date.parse(next.record.created!)) / 2).toISOString();
    const createds: Array<[string | undefined, number]> = [
      [middle.record.created, (middle.record.trial ?? 0) + 1], // the same time: then by trial
      [middle.record.created, (middle.record.trial ?? 0) - 1],
      [middle.record.created, middle.record.trial ?? 0], // then by id
      [between, 0],
      [middle.record.created!.replace("T", " ").replace("Z", ""), 0], // not toISOString's text
      ["+010000-01-01T00:00:00.000Z", 0], // an expanded year: after every 4-digit year as a time, before as text
      ["-000001-12-31T23:59:59.999Z", 0],
      ["0000-01-01T00:00:00.000Z", 0],
      [undefined, 0], // no created time: started is the key
    ];
    createds.forEach(([created, trial], n) => {
      const id = `${n.toString(16).padStart(2, "0")}${middle.id.slice(2)}`;
      cpSync(finished[n]!.dir, join(store.runsDir, id), { recursive: true });
      editRecord(join(store.runsDir, id), (r) => {
        Object.assign(r, { id, trial, started: middle.record.started, stopped: null, exit_status: null });
        if (created === undefined) delete r.created;
        else r.created = created;
      });
    });
    const listed = readListed(store, later);
    expect(listed).toEqual(readByFiles(store));
    expect(listed.runs.filter((r) => r.status === "pending" || r.status === "error").length).toBeGreaterThanOrEqual(createds.length);
  });

  it("sees runs added, changed, finished or removed behind the index's back", () => {
    const home = tempDir();
    generateStore({ runs: 160, out: home, steps: 3, seed: "behind" });
    const store = new RunStore(home, opts);
    readListed(store, later);
    expect(existsSync(join(home, "index.bin"))).toBe(true);
    const all = store.listRuns().runs;
    const [first, second, third] = all.filter((r) => r.record.stopped != null);
    const pending = all.find((r) => r.status === "pending")!;
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
    // Finished by another writer (an SDK, a cluster's copy): never in the index while unfinished.
    writeFileSync(join(pending.dir, "scalars.jsonl"), '{"key":"loss","value":7,"step":2,"t":1}\n');
    editRecord(pending.dir, (r) => Object.assign(r, { started: r.created, stopped: r.created, exit_status: 0 }));

    const listed = readListed(store, later);
    expect(listed).toEqual(readByFiles(store));
    expect(listed.runs[0]).toMatchObject({ id: newId, label: "copied in" });
    expect(listed.runs.find((r) => r.id === second!.id)).toMatchObject({
      label: "changed by hand",
      summaries: { loss: { last: 42, count: 1 } },
    });
    expect(listed.runs.find((r) => r.id === pending.id)).toMatchObject({ status: "completed", summaries: { loss: { last: 7 } } });
    expect(listed.runs.some((r) => r.id === third!.id)).toBe(false);
    expect(store.listNewestRuns(1).runs[0]!.id).toBe(newId);
    expect(readListed(store, later)).toEqual(listed);
  });
});

describe("g compare from the index", () => {
  it("prints what reading every run's files prints, from the snapshot and from the journal", () => {
    const home = tempDir();
    generateStore({ runs: 400, out: home, steps: 5, seed: "same", summary: false });
    const views = [
      ["runs", "-a"],
      ["compare", "-T"],
      ["compare", "--json"],
      ["compare", "--csv", "-c", "min loss,max accuracy,avg val_loss,count loss,step loss,first grad_norm,=lr,.label,.time", "-M", "loss"],
    ];
    /** Each view's output; `uncached`: with no index at all, every run read from its files. */
    const print = (uncached: boolean) =>
      views.map((args) => {
        if (uncached) for (const f of ["index.bin", "index.jsonl", "index-keys.txt"]) rmSync(join(home, f), { force: true });
        const res = g(args, { home });
        expect(res.code, res.stderr).toBe(0);
        return res.stdout;
      });
    const fromFiles = print(true);
    expect(existsSync(join(home, "index.bin"))).toBe(true);
    expect(print(false)).toEqual(fromFiles); // from the snapshot
    // Three runs relabelled through g: the next read takes them from their files into the journal, the one after from it.
    const relabel = g(["runs", "label", "1:3", "--set", "journalled"], { home });
    expect(relabel.code, relabel.stderr).toBe(0);
    const relabelled = print(false);
    expect(relabelled[1]).toContain("journalled");
    expect(lineCount(join(home, "index.jsonl"))).toBe(3);
    expect(print(false)).toEqual(relabelled);
    expect(print(true)).toEqual(relabelled);
  });
});

describe("g compare on a store big enough for the probe (its snapshot's runs checked while the table is made)", () => {
  it("prints a run changed behind the index's back as its files say, and the same as without any index", () => {
    const home = tempDir();
    generateStore({ runs: 4000, out: home, steps: 1, seed: "later-cli", block: 500 });
    const compare = () => {
      const res = g(["compare", "-T", "-c", ".label,=lr,last loss"], { home });
      expect(res.code, res.stderr).toBe(0);
      return res;
    };
    compare();
    // Past PROBE_FROM_SNAPSHOT_BYTES (2 MiB): the runs folder is listed and stat'ed by the probe, and compare
    // takes the snapshot's runs before their stats are in.
    expect(statSync(join(home, "index.bin")).size).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    const store = new RunStore(home);
    const run = store.listRuns().runs.find((r) => r.record.stopped != null)!;
    editRecord(run.dir, (r) => void (r.label = "changed behind the index"));
    const changed = compare();
    expect(changed.stdout).toContain("changed behind the index");
    expect(changed.stderr).toBe("");
    for (const f of ["index.bin", "index.jsonl", "index-keys.txt"]) rmSync(join(home, f), { force: true });
    expect(compare().stdout).toBe(changed.stdout);
  });
});

describe("g compare from index.bin's kept cells in another time zone", () => {
  it("prints the started times of the zone it runs in, whichever zone wrote the snapshot", () => {
    const home = tempDir();
    generateStore({ runs: 300, out: home, steps: 3, seed: "zones", summary: false });
    const zones = ["UTC", "Australia/Lord_Howe", "Asia/Kathmandu", "America/New_York"];
    const compare = (tz: string, uncached: boolean) => {
      if (uncached) for (const f of ["index.bin", "index.jsonl", "index-keys.txt"]) rmSync(join(home, f), { force: true });
      const res = g(["compare", "-T"], { home, env: { TZ: tz } });
      expect(res.code, res.stderr).toBe(0);
      return res.stdout;
    };
    const fromFiles = new Map(zones.map((tz) => [tz, compare(tz, true)]));
    expect(new Set(fromFiles.values()).size).toBe(zones.length);
    for (const writer of zones) {
      compare(writer, true); // the snapshot's cells made in this zone
      for (const reader of zones) expect(compare(reader, false), `${writer} → ${reader}`).toBe(fromFiles.get(reader));
    }
  });
});

describe("g compare with runs read in place from index.bin", () => {
  it("prints what reading every run's files prints, with filters, sorts, columns and odd or damaged runs", () => {
    const home = tempDir();
    generateStore({ runs: 400, out: home, steps: 3, seed: "in place", summary: false }); // --json of more would pass spawnSync's 1 MB
    const runs = join(home, "runs");
    // Finished, failed, terminated and damaged runs from the hand-made store (not its running one: its time moves).
    for (const id of ["07", "08", "09", "0b", "0c", "0d"])
      cpSync(join("runs-fixtures/small/runs", id.repeat(16)), join(runs, id.repeat(16)), { recursive: true });
    const ids = readdirSync(runs).filter((n) => /^[0-9a-f]{32}$/.test(n) && !n.startsWith("0"));
    // Records the snapshot cannot keep in its slots (decoded instead of read in place), and a child run.
    editRecord(join(runs, ids[0]!), (r) => Object.assign(r, { note: "a field g does not know", tags: ["odd", "keep"] }));
    editRecord(join(runs, ids[1]!), (r) => void (r.flags = { lr: 0.5, nested: { a: 1 } }));
    editRecord(join(runs, ids[2]!), (r) =>
      Object.assign(r, { label: "child", parent: ids[3], prefix: "alice/search/lr", description: "an experiment" }),
    );
    editRecord(join(runs, ids[4]!), (r) =>
      Object.assign(r, { exit_status: 2, terminated: true, flags: { ...(r.flags as object), lr: "high", __proto__: 3 } }),
    );
    const views = [
      ["compare", "-T"],
      ["compare", "--csv"],
      ["compare", "--json"],
      ["compare", "-T", "-m", "loss", "-t", "25"],
      ["compare", "-T", "-M", "min val_loss", "-m", "=batch_size", "--skip-unchanged"],
      ["compare", "-T", "--filter", "lr > 0.001 and optimizer = 'adam' or .label = 'baseline'", "-c", "loss, min val_loss, =lr, .time"],
      [
        "compare",
        "--csv",
        "-c",
        ".id, .created, .stopped, .exit_status, .tags, .batch, .trial, .sweep, .optimizer, .description, .parent, .prefix, avg loss, count loss, step loss, total loss",
      ],
      ["compare", "--json", "-c", "first loss, max accuracy, =optimizer", "--status", "completed", "--tag", "keep"],
      ["compare", "-T", "--op", "train", "--label", "base", "1:300"],
      ["compare", "-T", ids[3]!.slice(0, 8), ids[2]!.slice(0, 8), "--skip-core"],
    ];
    const print = (uncached: boolean) =>
      views.map((args) => {
        if (uncached) for (const f of ["index.bin", "index.jsonl", "index-keys.txt"]) rmSync(join(home, f), { force: true });
        const res = g(args, { home });
        expect(res.code, `${args.join(" ")}: ${res.stderr}`).toBe(0);
        return { args: args.join(" "), stdout: res.stdout, stderr: res.stderr };
      });
    const fromFiles = print(true);
    expect(fromFiles[0]!.stderr).toContain("0b0b0b0b"); // the damaged runs are warned about
    expect(fromFiles[0]!.stderr).toContain("enclosing SDK experiments"); // ids[3] encloses ids[2]
    expect(fromFiles[6]!.stdout).toContain("alice/search/lr");
    expect(existsSync(join(home, "index.bin"))).toBe(true);
    const snapshot = Snapshot.read(join(home, "index.bin"))!;
    const inPlace = Array.from({ length: snapshot.count }, (_, i) => snapshot.readsInPlace(i));
    expect(inPlace.filter(Boolean).length).toBeGreaterThan(300);
    expect(inPlace.filter((x) => !x).length).toBeGreaterThan(3); // batches (objective, space...) and the odd records
    expect(print(false)).toEqual(fromFiles);
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

describe("index.jsonl and numbers JSON lacks", () => {
  it("reads back an overflowed total as the number, not as null (avg 0 before)", () => {
    const home = tempDir();
    const work = tempDir();
    writeFileSync(join(work, "h.py"), 'print("m: 1.7e308")\nprint("m: 1.7e308")\n');
    expect(g(["run", "-y", "-q", join(work, "h.py")], { home, cwd: work }).code).toBe(0);
    expect(readFileSync(join(home, "index.jsonl"), "utf8")).toContain('"Infinity"');
    const store = new RunStore(home);
    for (let pass = 0; pass < 2; pass++) {
      const [run] = store.listRunsWithSummaries().runs;
      const byFiles = summarizeScalars(store.readScalars(run!.run.id));
      expect(run!.summaries.m!.total).toBe(Infinity);
      expect(run!.summaries.m!.avg).toBe(byFiles.m!.avg);
      expect(run!.summaries.m!.max).toBe(1.7e308);
    }
  });
});
