// index.bin version 5 (issue 18): a summary's seven numbers are a cold part at
// the end of the file with a checksum of its own, read only when asked for,
// and a time that its number gives back is not in the string table. These
// pin the layout: round trips with and without the cold part, a damaged cold
// part, times that do not round-trip, and a snapshot of an older version.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateStore } from "../../runs-fixtures/generate.mjs";
import { Snapshot, encodeSnapshot, isoTextOfMs, type SnapshotEntry } from "../../src/store/index-snapshot.js";
import { SNAPSHOT_CELL_TEXTS } from "../../src/query/compare-data.js";
import { formatValue } from "../../src/format/values.js";
import { RunStore, summarizeScalars } from "../../src/store/store.js";
import type { CellRange, RunRecord, ScalarSummary } from "../../src/store/types.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

/** Bytes of the cold part: seven float64 a summary. */
const COLD_BYTES_A_SUMMARY = 7 * 8;

function summary(last: number, step: number | null = 3): ScalarSummary {
  return { last, first: last + 1, min: last - 2, max: last + 4, avg: (3 * last) / 5, total: 3 * last, count: 5, step };
}

/** Three runs: two with summaries, one without; times in toISOString's form. */
function sampleEntries(): SnapshotEntry[] {
  const record = (i: number, flags: Record<string, number | string>) =>
    ({
      op: "train.py",
      cwd: "/p",
      flags,
      created: new Date(Date.UTC(2026, 0, 1, 10, i)).toISOString(),
      started: new Date(Date.UTC(2026, 0, 1, 10, i, 1)).toISOString(),
      stopped: new Date(Date.UTC(2026, 0, 1, 10, i, 30, 250)).toISOString(),
      exit_status: 0,
      label: "",
      tags: [],
    }) as unknown as RunRecord;
  return [
    {
      id: "a".repeat(32),
      ino: 1,
      size: 10,
      mtime: 100,
      record: record(3, { lr: 0.1, opt: "adam" }),
      summaries: { loss: summary(0.25), acc: summary(0.9, null) },
    },
    {
      id: "b".repeat(32),
      ino: 2,
      size: 20,
      mtime: 200,
      record: record(2, { lr: 0.2, opt: "sgd" }),
      summaries: { loss: summary(0.5), acc: summary(0.8) },
    },
    { id: "c".repeat(32), ino: 3, size: 30, mtime: 300, record: record(1, { lr: 0.3, opt: "sgd" }), summaries: {} },
  ];
}

/** The summaries as plain numbers (PackedSummary gives them through getters). */
function plain(summaries: Record<string, ScalarSummary>): unknown {
  return JSON.parse(JSON.stringify(summaries));
}

function writeSnapshot(bytes: Buffer): string {
  const path = join(tempDir(), "index.bin");
  writeFileSync(path, bytes);
  return path;
}

describe("index.bin version 5", () => {
  it("puts the summaries' numbers in a cold part at the end and gives the same runs back with or without it read", () => {
    const entries = sampleEntries();
    const bytes = encodeSnapshot(entries, SNAPSHOT_CELL_TEXTS);
    expect(bytes.readUInt32LE(4)).toBe(7); // versions 6 and 7 are version 5's layout (flag cells escaped, null shown)
    const cold = bytes.subarray(bytes.length - 4 * COLD_BYTES_A_SUMMARY);
    expect([...new Float64Array(cold.buffer.slice(cold.byteOffset, cold.byteOffset + 7 * 8))]).toEqual([
      0.25, 1.25, -1.75, 4.25, 0.75, 5, 3,
    ]);
    const path = writeSnapshot(bytes);
    for (const values of [true, false]) {
      const snap = Snapshot.read(path, values)!;
      expect(snap.shared()!.byteLength).toBe(statSync(path).size - 4 * COLD_BYTES_A_SUMMARY);
      // Read with the rest, or not yet: then the open file is what a row thread reads it from.
      expect(snap.sharedCold().values === null).toBe(!values);
      expect(snap.sharedCold().fd >= 0).toBe(!values);
      for (const [i, e] of entries.entries()) {
        expect(snap.id(i)).toBe(e.id);
        expect(snap.record(i)).toEqual(e.record);
        const keys: string[] = [];
        snap.forEachScalar(i, (k) => keys.push(k));
        expect(keys).toEqual(Object.keys(e.summaries));
      }
      // A table's default row reads the keys and the cells, not the numbers.
      const range: CellRange = { flags: ["lr", "opt"], scalars: ["loss", "acc"], lengths: new Uint32Array(4), kinds: new Uint8Array(4) };
      expect(snap.rangeText(1, range)).toBe(["0.2", "sgd", "0.5", "0.8"].join(""));
      expect(snap.sharedCold().values === null).toBe(!values);
      // The numbers, read from the file on first use.
      expect(snap.scalar(0, "acc", "step")).toBeNull();
      expect(snap.scalar(1, "loss", "max")).toBe(4.5);
      expect(snap.scalarText(0, "loss", "min", formatValue, {})).toBe(formatValue(-1.75));
      for (const [i, e] of entries.entries()) expect(plain(snap.summaries(i))).toEqual(plain(e.summaries));
      expect(snap.sharedCold().values).toBeInstanceOf(SharedArrayBuffer);
    }
  });

  it("hands another thread's snapshot the cold part, read or to be read from the open file", () => {
    const entries = sampleEntries();
    const path = writeSnapshot(encodeSnapshot(entries));
    const lazy = Snapshot.read(path, false)!;
    // Not read yet: the other side reads it through the borrowed descriptor, and checks it.
    const other = Snapshot.fromShared(lazy.shared()!, lazy.sharedCold())!;
    expect(plain(other.summaries(1))).toEqual(plain(entries[1]!.summaries));
    expect(lazy.sharedCold().values).toBeNull(); // each side reads its own
    // Read: the other side shares it.
    lazy.summaryValues();
    const shared = Snapshot.fromShared(lazy.shared()!, lazy.sharedCold())!;
    expect(shared.scalar(0, "loss", "avg")).toBe(0.15);
    // Without the cold part and no file to read it from, a number cannot be had: it throws rather than make one up.
    const bare = Snapshot.fromShared(lazy.shared()!)!;
    expect(bare.record(0)).toEqual(entries[0]!.record);
    expect(() => bare.scalar(0, "loss", "last")).toThrow(/index\.bin/);
  });

  it("refuses a damaged cold part when read with the rest, and removes the file when it is met later", () => {
    const entries = sampleEntries();
    const bytes = encodeSnapshot(entries, SNAPSHOT_CELL_TEXTS);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 13] = damaged[damaged.length - 13]! ^ 0x20;
    expect(Snapshot.fromBytes(bytes)).not.toBeNull();
    expect(Snapshot.fromBytes(damaged)).toBeNull();
    const path = writeSnapshot(damaged);
    expect(Snapshot.read(path, true)).toBeNull();
    // The hot part is whole: a table that needs no number reads it.
    const snap = Snapshot.read(path, false)!;
    expect(snap).not.toBeNull();
    expect(snap.record(2)).toEqual(entries[2]!.record);
    const range: CellRange = { flags: ["lr", "opt"], scalars: ["loss", "acc"], lengths: new Uint32Array(4), kinds: new Uint8Array(4) };
    expect(snap.rangeText(0, range)).toBe("0.1adam0.250.9");
    expect(plain(snap.summaries(2))).toEqual({}); // no summary: no number read
    expect(() => snap.summaries(0).loss!.last).toThrow(/damaged/);
    expect(existsSync(path)).toBe(false); // the next reader rebuilds it
    // A damaged hot part is refused whether or not the cold part is read.
    const hot = Buffer.from(bytes);
    hot[200] = hot[200]! ^ 1;
    expect(Snapshot.read(writeSnapshot(hot), false)).toBeNull();
    // Truncated (the cold part cut short) or longer than the header says: refused too.
    expect(Snapshot.read(writeSnapshot(bytes.subarray(0, bytes.length - 8)), false)).toBeNull();
    expect(Snapshot.read(writeSnapshot(Buffer.concat([bytes, Buffer.alloc(8)])), false)).toBeNull();
  });

  it("keeps a time out of the string table when its number gives it back, and any other time as text", () => {
    const iso = ["2026-05-01T10:00:00.000Z", "2026-05-01T10:00:00.001Z", "+010000-01-01T00:00:00.000Z", "-000001-06-01T00:00:00.000Z"];
    const odd = ["2026-05-01T10:00:00Z", "2026-05-01 10:00:00", "yesterday", "2026-05-01T10:00:00.000+00:00", ""];
    const times = [...iso, ...odd];
    const entries: SnapshotEntry[] = times.map((t, i) => ({
      id: i.toString(16).padStart(32, "0"),
      ino: i,
      size: 1,
      mtime: 1,
      record: { op: "x", flags: {}, created: t, started: t, stopped: iso[i % iso.length], exit_status: 0 } as unknown as RunRecord,
      summaries: {},
    }));
    const bytes = encodeSnapshot(entries);
    for (const t of iso) expect(bytes.includes(t), t).toBe(false);
    for (const t of odd.filter((t) => t !== "")) expect(bytes.includes(t), t).toBe(true);
    const snap = Snapshot.fromBytes(bytes)!;
    entries.forEach((e, i) => {
      expect(snap.record(i)).toEqual(e.record);
      expect(snap.readsInPlace(i)).toBe(true);
      expect(snap.field(i, "created")).toBe(e.record.created);
    });
    // The listing's order (created, later first) is the order of the texts as strings, whichever way each is kept.
    for (let i = 0; i < times.length; i++)
      for (let j = 0; j < times.length; j++) {
        const a = times[i]!;
        const b = times[j]!;
        const byText = a < b ? 1 : a > b ? -1 : Math.sign(j - i); // equal texts: the greater id first
        expect(Math.sign(snap.compareNewestFirst(i, j)), `${a} ${b}`).toBe(byText);
      }
  });

  it("reads a damaged time number as a damaged entry: decoded from the files, never out of range", () => {
    const entries = sampleEntries();
    const bytes = Buffer.from(encodeSnapshot(entries));
    const snap = Snapshot.fromBytes(bytes)!;
    expect(snap.readsInPlace(0)).toBe(true);
    // Break run 0's created number in memory (past the checksum's reach): its text cannot be had from it.
    const runs = (snap as unknown as { runDoubles: Float64Array }).runDoubles;
    const created = runs.indexOf(Date.parse(entries[0]!.record.created as string));
    runs[created] = 1e300;
    expect(snap.readsInPlace(0)).toBe(false);
    expect(() => snap.record(0)).toThrow(RangeError);
  });

  it("ignores a snapshot of version 4 and rebuilds it, with the same answer", () => {
    const home = tempDir();
    generateStore({ runs: 120, out: home, steps: 4, seed: "v5", summary: false });
    const store = new RunStore(home);
    const byFiles = store
      .listRuns()
      .runs.map((r) => ({ id: r.id, label: r.record.label, summaries: summarizeScalars(store.readScalars(r.id)) }));
    const listed = (values: boolean) =>
      store
        .listRunsWithSummaries(SNAPSHOT_CELL_TEXTS, { values })
        .runs.map((r) => ({ id: r.run.id, label: r.run.record.label, summaries: plain(r.summaries) }));
    expect(listed(false)).toEqual(plain(byFiles));
    const path = join(home, "index.bin");
    const whole = readFileSync(path);
    expect(listed(false)).toEqual(plain(byFiles)); // from the snapshot, its numbers read when asked for
    expect(listed(true)).toEqual(plain(byFiles));
    const older = Buffer.from(whole);
    older.writeUInt32LE(4, 4);
    writeFileSync(path, older);
    expect(Snapshot.read(path)).toBeNull();
    expect(listed(false)).toEqual(plain(byFiles));
    expect(readFileSync(path)).toEqual(whole); // rebuilt as version 7
    // A damaged cold part met by a listing that did not read it: the first use throws and removes the file; the
    // next listing reads the files and writes a new one.
    const damaged = Buffer.from(whole);
    damaged[damaged.length - 9] = damaged[damaged.length - 9]! ^ 0x40;
    writeFileSync(path, damaged);
    const lazy = store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS, { values: false }).runs;
    const withSummary = lazy.find((r) => Object.keys(r.summaries).length > 0)!;
    expect(() => plain(withSummary.summaries)).toThrow(/index\.bin/);
    expect(existsSync(path)).toBe(false);
    expect(listed(true)).toEqual(plain(byFiles));
    expect(readFileSync(path)).toEqual(whole);
  });
});

describe("isoTextOfMs", () => {
  it("gives toISOString's text for any time, the day's text kept between calls", () => {
    const edges = [
      0, -1, 1, -62167219200000, -62167219200001, 253402300799999, 253402300800000, 951782400000, 951868799999, 8.64e15, -8.64e15, 1.5,
    ];
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const times = [...edges, ...Array.from({ length: 20000 }, () => Math.floor(random() * 3e14))];
    for (const ms of times) expect(isoTextOfMs(ms), String(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTextOfMs(NaN)).toThrow(RangeError);
    expect(() => isoTextOfMs(8.64e15 + 1)).toThrow(RangeError);
  });
});
