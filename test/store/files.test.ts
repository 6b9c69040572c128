// The store's files stay whole: an append that fails part-way is cut back,
// output.log receives whole lines, and run.json appears only whole.
import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendWhole, type WriteChunk } from "../../src/store/fs-atomic.js";
import { OutputLog, readOutputTail } from "../../src/store/output.js";
import { RunStore, StoreWriteError } from "../../src/store/store.js";
import { readBatchRecord, type RunRecord } from "../../src/store/types.js";
import { toStoreWriteError } from "../../src/store/write-errors.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
}

/** A write that puts `budget` more bytes on disk, then fails as a full disk does. */
function diskWithRoomFor(budget: number): WriteChunk {
  let left = budget;
  return (fd, buf, offset, length) => {
    if (left === 0) throw enospc();
    const n = writeSync(fd, buf, offset, Math.min(length, left));
    left -= n;
    return n;
  };
}

describe("appendWhole", () => {
  it("cuts a line that fails part-way back off, leaving the earlier lines as they were", () => {
    const path = join(tempDir(), "scalars.jsonl");
    writeFileSync(path, '{"key":"loss","value":1}\n');
    const fd = openSync(path, "a");
    try {
      expect(() => appendWhole(fd, Buffer.from('{"key":"loss","value":2}\n'), diskWithRoomFor(6))).toThrow(/ENOSPC/);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, "utf8")).toBe('{"key":"loss","value":1}\n');
  });

  it("writes the whole buffer when the system call writes it in pieces", () => {
    const path = join(tempDir(), "out");
    const fd = openSync(path, "a");
    let calls = 0;
    const inPieces: WriteChunk = (f, buf, offset, length) => {
      calls++;
      return writeSync(f, buf, offset, Math.min(length, 3));
    };
    try {
      appendWhole(fd, Buffer.from("one line\n"), inPieces);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, "utf8")).toBe("one line\n");
    expect(calls).toBe(3);
  });

  it("leaves the file alone when nothing could be written", () => {
    const path = join(tempDir(), "out");
    writeFileSync(path, "kept\n");
    const fd = openSync(path, "a");
    try {
      expect(() => appendWhole(fd, Buffer.from("lost\n"), diskWithRoomFor(0))).toThrow(/ENOSPC/);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, "utf8")).toBe("kept\n");
  });
});

describe("write errors", () => {
  it("names the file and says what to do when the disk is full", () => {
    const err = toStoreWriteError(enospc(), "/data/g/runs/abc/output.log");
    expect(err).toBeInstanceOf(StoreWriteError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe("no space left on device writing /data/g/runs/abc/output.log; free space and rerun");
  });

  it("names the file and the code for other failures", () => {
    const err = toStoreWriteError(Object.assign(new Error("x"), { code: "EISDIR" }), "/g/runs/abc/scalars.jsonl");
    expect(err.message).toBe("cannot write /g/runs/abc/scalars.jsonl (EISDIR)");
  });
});

describe("output.log", () => {
  it("receives whole lines only; an unfinished line waits for its newline or the end", () => {
    const dir = tempDir();
    const log = new OutputLog(dir);
    const text = () => readFileSync(join(dir, "output.log"), "utf8");
    log.append(Buffer.from("epo"), "stdout");
    expect(text()).toBe("");
    log.append(Buffer.from("ch 1\nloss: 0."), "stdout");
    expect(text()).toBe("epoch 1\n");
    log.append(Buffer.from("warning: slow\n"), "stderr");
    expect(text()).toBe("epoch 1\nwarning: slow\n");
    log.append(Buffer.from("5"), "stdout");
    log.flush();
    log.close();
    expect(text()).toBe("epoch 1\nwarning: slow\nloss: 0.5");
  });

  it("writes a very long unfinished line (a progress bar) rather than hold it", () => {
    const dir = tempDir();
    const log = new OutputLog(dir);
    const bar = Buffer.alloc(70 * 1024, "#");
    log.append(bar, "stdout");
    log.close();
    expect(readFileSync(join(dir, "output.log")).length).toBe(bar.length);
  });

  it("returns the last lines of output.log, or nothing when there is none", () => {
    const dir = tempDir();
    expect(readOutputTail(dir, 3)).toEqual([]);
    writeFileSync(join(dir, "output.log"), Array.from({ length: 10 }, (_, i) => `line ${i}`).join("\n") + "\n");
    expect(readOutputTail(dir, 3)).toEqual(["line 7", "line 8", "line 9"]);
  });

  it("gives a line of output.log as written, a progress bar's carriage returns and colour codes included", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "output.log"), "10%\r55%\r100%\n\x1b[32mok\x1b[0m\r\n");
    expect(readOutputTail(dir, 5)).toEqual(["10%\r55%\r100%", "\x1b[32mok\x1b[0m\r"]);
  });
});

describe("making a run folder", () => {
  it("leaves no folder behind when run.json cannot be written", () => {
    const home = tempDir();
    const store = new RunStore(home);
    store.createRun({ op: "first.py" });
    // A field JSON cannot hold makes the write fail after the folder was made.
    expect(() => store.createRun({ op: "x", bad: 10n } as never)).toThrow();
    expect(readdirSync(join(home, "runs"))).toHaveLength(1);
  });

  it("refuses an id that exists rather than replace its folder", () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "a.py" });
    expect(() => store.createRun({ op: "b.py", id: run.id })).toThrow(/exists already/);
    expect(store.readRun(run.id).record.op).toBe("a.py");
    expect(existsSync(join(store.runsDir, `.new-${run.id}`))).toBe(false);
  });
});

describe("batch records", () => {
  const base: RunRecord = {
    format: 1,
    id: "a".repeat(32),
    op: "gp",
    cmd: [],
    cwd: "/",
    flags: {},
    created: "",
    started: null,
    stopped: null,
    exit_status: null,
    label: "",
    tags: [],
  };

  it("reads a batch's record with its fields typed", () => {
    const rec = readBatchRecord({
      ...base,
      optimizer: "grid",
      space: { x: { type: "choice", values: [1, 2] } },
      points: [{ x: 1 }, { x: 2 }],
      seed: 7,
      max_trials: 2,
    });
    expect(rec?.points).toEqual([{ x: 1 }, { x: 2 }]);
    expect(rec?.seed).toBe(7);
  });

  it("is null for a plain run, a trial, and a batch record with a field of the wrong type", () => {
    expect(readBatchRecord(base)).toBeNull();
    expect(readBatchRecord({ ...base, batch: "b".repeat(32), trial: 1 })).toBeNull();
    expect(readBatchRecord({ ...base, optimizer: "gp", space: { x: { low: 0 } } })).toBeNull();
    expect(readBatchRecord({ ...base, optimizer: "gp", space: {}, seed: "7" })).toBeNull();
    expect(readBatchRecord({ ...base, optimizer: "gp", space: {}, points: [1] })).toBeNull();
  });
});
