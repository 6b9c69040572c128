import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostname } from "node:os";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  RunStore,
  deriveStatus,
  isRunLockLive,
  isSameProcessAlive,
  leaseMs,
  ownLock,
  readProcessStart,
  summarizeScalars,
} from "../../src/store/store.js";
import { ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

const workers = join(ROOT, "test", "store", "workers");

function runNode(args: string[]): Promise<number | null> {
  return new Promise((resolve) => spawn(process.execPath, args, { stdio: "inherit" }).on("close", resolve));
}

afterEach(cleanTempDirs);

describe("run store", () => {
  it("creates a pending run and reads it back", () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "train.py", flags: { x: 0.1 } });
    expect(run.id).toMatch(/^[0-9a-f]{32}$/);
    const back = store.readRun(run.id);
    expect(back.record.flags).toEqual({ x: 0.1 });
    expect(back.record.format).toBe(1);
    expect(back.status).toBe("pending");
  });

  it("lists runs newest first and skips a damaged run with a warning naming it", () => {
    const home = tempDir();
    const store = new RunStore(home);
    const a = store.createRun({ op: "a.py", created: "2026-01-01T00:00:00.000Z" });
    const b = store.createRun({ op: "b.py", created: "2026-01-02T00:00:00.000Z" });
    const bad = "f".repeat(32);
    mkdirSync(join(home, "runs", bad));
    writeFileSync(join(home, "runs", bad, "run.json"), "{ not json");
    const { runs, warnings } = store.listRuns();
    expect(runs.map((r) => r.id)).toEqual([b.id, a.id]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(bad);
    expect(warnings[0]).toContain("not valid JSON");
  });

  it("never turns a bad id into a path", () => {
    const store = new RunStore(tempDir());
    expect(() => store.runDir("../../etc")).toThrow(/not a run id/);
    expect(() => store.readRun("abc/def")).toThrow(/not a run id/);
  });

  it("derives status from the record and the LOCK, not from a field alone", () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x", started: "2026-01-01T00:00:00.000Z" });
    // A LOCK whose process is dead: the run died without finishing.
    store.writeLock(run.id, { pid: 2 ** 22 + 12345, host: hostname() });
    expect(store.readRun(run.id).status).toBe("error");
    store.writeLock(run.id, { pid: process.pid, host: hostname() });
    expect(store.readRun(run.id).status).toBe("running");
    store.removeLock(run.id);
    expect(store.readRun(run.id).status).toBe("error");
    expect(deriveStatus({ ...run.record, started: "t", stopped: "t", exit_status: 0 }, run.dir)).toBe("completed");
    expect(deriveStatus({ ...run.record, started: "t", stopped: "t", exit_status: 130, terminated: true }, run.dir)).toBe("terminated");
    expect(deriveStatus({ ...run.record, started: "t", stopped: "t", exit_status: 143, early_stopped: true }, run.dir)).toBe(
      "early-stopped",
    );
  });

  it("warns once about a G_LEASE_MS that is not a whole number of ms, and uses the default", () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(leaseMs({ G_LEASE_MS: "60s" })).toBe(leaseMs({}));
      expect(leaseMs({ G_LEASE_MS: "60s" })).toBe(leaseMs({}));
      expect(leaseMs({ G_LEASE_MS: "5000" })).toBe(5000);
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual([`g: warning: G_LEASE_MS="60s" is not a whole number of milliseconds above 0; using ${leaseMs({})}\n`]);
  });

  it("counts a LOCK from another host as running only while its lease is fresh", () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x", started: "2026-01-01T00:00:00.000Z" });
    const lease = leaseMs();
    // The pid means nothing on another host (here it is dead on this one): only the heartbeat counts.
    store.writeLock(run.id, { pid: 2 ** 22 + 12345, host: "other-host", beat: Date.now() - lease / 2 });
    expect(store.readRun(run.id).status).toBe("running");
    store.writeLock(run.id, { pid: process.pid, host: "other-host", beat: Date.now() - lease - 1000 });
    expect(store.readRun(run.id).status).toBe("error");
    // A LOCK without a heartbeat (older g, the SDKs) cannot expire.
    store.writeLock(run.id, { pid: 2 ** 22 + 12345, host: "other-host" });
    expect(store.readRun(run.id).status).toBe("running");
  });

  it("counts a run whose recorder died as running while the script its LOCK names lives, by the script's identity", async () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x", started: "2026-01-01T00:00:00.000Z" });
    const script = spawn("sleep", ["30"], { stdio: "ignore" });
    const exited = new Promise((resolve) => script.on("exit", resolve));
    const pid = script.pid!;
    const start = readProcessStart(pid)!;
    expect(start).toMatch(/^[0-9a-f-]+:\d+$/);
    const recorder = 2 ** 22 + 12345; // dead: its g was killed
    try {
      store.writeLock(run.id, { pid: recorder, host: hostname(), child: pid, child_start: start });
      expect(store.readRun(run.id).status).toBe("running");
      expect(isRunLockLive(run.dir)).toBe(true);
      // The same pid with another start is another process (the pid was reused): not the run's.
      store.writeLock(run.id, { pid: recorder, host: hostname(), child: pid, child_start: `${start}1` });
      expect(store.readRun(run.id).status).toBe("error");
      // Without an identity (older g, no /proc) a pid proves nothing.
      store.writeLock(run.id, { pid: recorder, host: hostname(), child: pid });
      expect(store.readRun(run.id).status).toBe("error");
      // Another host's LOCK is its lease alone, whatever runs here with that pid.
      store.writeLock(run.id, { pid: recorder, host: "other-host", child: pid, child_start: start, beat: Date.now() - leaseMs() - 1000 });
      expect(store.readRun(run.id).status).toBe("error");
      store.writeLock(run.id, { pid: recorder, host: hostname(), child: pid, child_start: start });
    } finally {
      script.kill("SIGKILL");
    }
    await exited;
    expect(store.readRun(run.id).status).toBe("error");
    expect(isRunLockLive(run.dir)).toBe(false);
  });

  it("counts a recorder alive by its identity when the LOCK records one: a reused pid is not the run's recorder", async () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x", started: "2026-01-01T00:00:00.000Z" });
    const other = spawn("sleep", ["30"], { stdio: "ignore" });
    const exited = new Promise((resolve) => other.on("exit", resolve));
    const pid = other.pid!;
    const start = readProcessStart(pid)!;
    try {
      store.writeLock(run.id, { pid, host: hostname(), pid_start: start });
      expect(store.readRun(run.id).status).toBe("running");
      // The recorder died and its pid now names another process: the run's recorder is gone.
      store.writeLock(run.id, { pid, host: hostname(), pid_start: `${start}1` });
      expect(store.readRun(run.id).status).toBe("error");
      expect(isRunLockLive(run.dir)).toBe(false);
      // Without an identity (older g, the SDKs) the pid alone counts, as before.
      store.writeLock(run.id, { pid, host: hostname() });
      expect(store.readRun(run.id).status).toBe("running");
    } finally {
      other.kill("SIGKILL");
    }
    await exited;
    store.writeLock(run.id, { pid, host: hostname(), pid_start: start });
    expect(store.readRun(run.id).status).toBe("error");
  });

  it("writes this process's identity into the LOCKs it records under", () => {
    expect(ownLock()).toEqual({ pid: process.pid, host: hostname(), pid_start: readProcessStart(process.pid) });
  });

  it("takes a zombie for a dead script: an orphaned script's new parent may never reap it", async () => {
    // A parent that never waits for its child: the child stays a zombie while the parent sleeps.
    const parent = spawn(
      "python3",
      ["-c", "import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)"],
      {
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once("data", (d) => resolve(String(d)))));
      let state = "";
      for (let i = 0; i < 100 && state !== "Z"; i++) {
        state = /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))![1]!;
        if (state !== "Z") await new Promise((r) => setTimeout(r, 20));
      }
      expect(state).toBe("Z");
      const start = readProcessStart(pid)!;
      expect(start).not.toBeNull();
      expect(isSameProcessAlive(pid, start)).toBe(false);
      expect(isSameProcessAlive(parent.pid!, readProcessStart(parent.pid!)!)).toBe(true);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("keeps a held lease fresh and stops beating when released", async () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x", started: "2026-01-01T00:00:00.000Z" });
    const held = store.holdLease(run.id, { pid: process.pid, host: hostname() });
    const first = store.readLock(store.readRun(run.id))!.beat!;
    expect(first).toBeGreaterThan(0);
    held.update({ child: 42 });
    expect(store.readLock(store.readRun(run.id))!.child).toBe(42);
    // G_LEASE_MS is not set here: the beat comes every 15 s, so wait for none; update() wrote one.
    expect(store.readLock(store.readRun(run.id))!.beat!).toBeGreaterThanOrEqual(first);
    held.stop();
  });

  it("moves runs to the trash and restores them", () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x" });
    store.deleteRun(run.id);
    expect(store.listRuns().runs).toHaveLength(0);
    expect(store.listRuns({ trash: true }).runs.map((r) => r.id)).toEqual([run.id]);
    store.restoreRun(run.id);
    expect(store.listRuns().runs.map((r) => r.id)).toEqual([run.id]);
  });

  it("summarises scalars and rebuilds a stale summary cache", () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x" });
    store.appendScalars(run.id, [
      { key: "loss", value: 3, step: 0, t: 1 },
      { key: "loss", value: 1, step: 1, t: 2 },
    ]);
    expect(store.readSummaries(run).loss).toMatchObject({ last: 1, first: 3, min: 1, max: 3, avg: 2, count: 2, step: 1 });
    store.appendScalars(run.id, [{ key: "loss", value: 0.5, step: 2, t: 3 }]);
    expect(store.readSummaries(run).loss).toMatchObject({ last: 0.5, min: 0.5, count: 3 });
  });

  it("skips a torn last line of scalars.jsonl", () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x" });
    store.appendScalars(run.id, [{ key: "loss", value: 1, step: null, t: 1 }]);
    writeFileSync(join(run.dir, "scalars.jsonl"), readFileSync(join(run.dir, "scalars.jsonl"), "utf8") + '{"key":"loss","val', {
      flag: "w",
    });
    expect(store.readScalars(run.id)).toHaveLength(1);
    expect(summarizeScalars(store.readScalars(run.id)).loss!.count).toBe(1);
  });

  it("keeps every line when 8 processes append scalars to one run at once", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const run = store.createRun({ op: "x" });
    const perWorker = 400;
    const codes = await Promise.all(
      Array.from({ length: 8 }, (_, w) => runNode([join(workers, "append.mjs"), home, run.id, String(w), String(perWorker)])),
    );
    expect(codes).toEqual(Array(8).fill(0));
    const lines = readFileSync(join(run.dir, "scalars.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l !== "");
    expect(lines).toHaveLength(8 * perWorker);
    const perKey = new Map<string, number[]>();
    for (const line of lines) {
      const r = JSON.parse(line) as { key: string; value: number };
      perKey.set(r.key, [...(perKey.get(r.key) ?? []), r.value]);
    }
    for (let w = 0; w < 8; w++) expect(perKey.get(`w${w}`)).toEqual(Array.from({ length: perWorker }, (_, i) => i));
  });

  it("loses no update when 4 processes update one run.json under the lock", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const run = store.createRun({ op: "x" });
    const codes = await Promise.all(Array.from({ length: 4 }, () => runNode([join(workers, "update.mjs"), home, run.id, "15"])));
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(store.readRun(run.id).record.counter).toBe(60);
  });

  it("loses no update when the SDK's synchronous lock and the store's lock take turns", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const run = store.createRun({ op: "x" });
    const modes = ["sync", "async", "sync", "async"];
    const codes = await Promise.all(modes.map((mode) => runNode([join(workers, "update.mjs"), home, run.id, "15", mode])));
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(store.readRun(run.id).record.counter).toBe(60);
  });

  it("loses no update when the claims' brief lock takes turns with the store's and the SDK's", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const run = store.createRun({ op: "x" });
    const modes = ["brief", "async", "sync", "brief"];
    const codes = await Promise.all(modes.map((mode) => runNode([join(workers, "update.mjs"), home, run.id, "15", mode])));
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(store.readRun(run.id).record.counter).toBe(60);
  });

  it("never shows a half-written run.json when the writer is killed with SIGKILL", async () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x" });
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, [join(workers, "rewrite.mjs"), run.dir, run.id], { stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
      await new Promise((r) => setTimeout(r, 50 + round * 30));
      child.kill("SIGKILL");
      await new Promise((r) => child.on("close", r));
      const record = JSON.parse(readFileSync(join(run.dir, "run.json"), "utf8"));
      expect(record.id).toBe(run.id);
      expect(record.label).toHaveLength(64 * 1024);
      expect(store.listRuns().warnings).toEqual([]);
    }
    // Temp files a killed writer leaves are not runs and not run.json.
    expect(readdirSync(run.dir).filter((f) => f === "run.json")).toHaveLength(1);
  });
});

describe("store index (index.jsonl)", () => {
  function finishedRun(store: RunStore, op: string, loss: number) {
    const run = store.createRun({ op, started: "2026-01-01T00:00:00.000Z", stopped: "2026-01-01T00:00:01.000Z", exit_status: 0 });
    store.appendScalars(run.id, [{ key: "loss", value: loss, step: null, t: 1 }]);
    return run;
  }

  it("answers from the index once built, with the same runs and summaries", () => {
    const home = tempDir();
    const store = new RunStore(home);
    finishedRun(store, "a.py", 1);
    finishedRun(store, "b.py", 2);
    const first = store.listRunsWithSummaries();
    expect(readFileSync(join(home, "index.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    const second = store.listRunsWithSummaries();
    expect(second.runs.map((r) => [r.run.id, r.run.status, r.summaries.loss!.last])).toEqual(
      first.runs.map((r) => [r.run.id, r.run.status, r.summaries.loss!.last]),
    );
    // Served from the index: the fields it leaves out are gone.
    expect(second.runs[0]!.run.record.cmd).toBeUndefined();
  });

  it("sees a change made to run.json after indexing (label set by another command)", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const run = finishedRun(store, "a.py", 1);
    store.listRunsWithSummaries();
    await store.updateRun(run.id, (r) => void (r.label = "changed"));
    expect(store.listRunsWithSummaries().runs[0]!.run.record.label).toBe("changed");
  });

  it("never serves an unfinished run from the index, and survives a damaged or missing index", () => {
    const home = tempDir();
    const store = new RunStore(home);
    const done = finishedRun(store, "a.py", 1);
    const pending = store.createRun({ op: "p.py" });
    store.listRunsWithSummaries();
    expect(readFileSync(join(home, "index.jsonl"), "utf8")).not.toContain(pending.id);
    writeFileSync(join(home, "index.jsonl"), readFileSync(join(home, "index.jsonl"), "utf8") + '{"id": "torn');
    expect(
      store
        .listRunsWithSummaries()
        .runs.map((r) => r.run.id)
        .sort(),
    ).toEqual([done.id, pending.id].sort());
    writeFileSync(join(home, "index.jsonl"), "garbage\n");
    expect(store.listRunsWithSummaries().runs).toHaveLength(2);
  });

  it("leaves deleted runs out even though the index still lists them", () => {
    const home = tempDir();
    const store = new RunStore(home);
    const run = finishedRun(store, "a.py", 1);
    store.listRunsWithSummaries();
    store.deleteRun(run.id);
    expect(store.listRunsWithSummaries().runs).toHaveLength(0);
  });
});

describe("SDK params of a running run", () => {
  it("shows params.json in the flags while the run is unfinished, without writing them into run.json", async () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ op: "x", flags: { lr: 0.1 }, started: "2026-01-01T00:00:00.000Z" });
    writeFileSync(join(run.dir, "params.json"), JSON.stringify({ batch_size: 32, lr: 9 }));
    expect(store.readRun(run.id).record.flags).toEqual({ batch_size: 32, lr: 0.1 });
    await store.updateRun(run.id, (r) => void (r.label = "x"));
    expect(JSON.parse(readFileSync(join(run.dir, "run.json"), "utf8")).flags).toEqual({ lr: 0.1 });
  });
});

describe("abandoned SDK run folders", () => {
  it("removes runs/.new-<id> folders older than a minute and keeps younger ones", () => {
    const store = new RunStore(tempDir());
    const old = join(store.runsDir, `.new-${"a".repeat(32)}`);
    const young = join(store.runsDir, `.new-${"b".repeat(32)}`);
    mkdirSync(old, { recursive: true });
    mkdirSync(young, { recursive: true });
    const later = Date.now() + 30_000;
    expect(store.removeAbandonedRuns(60_000, later)).toBe(0);
    expect(store.removeAbandonedRuns(60_000, later + 60_000)).toBe(2);
    expect(readdirSync(store.runsDir)).toEqual([]);
  });

  it("removes folders a deletion left half removed (.gone-<id>-<pid>), in runs/ and the trash", () => {
    const store = new RunStore(tempDir());
    const left = join(store.trashDir, `.gone-${"c".repeat(32)}-123`);
    const kept = join(store.trashDir, `.gone-not-a-run`);
    mkdirSync(left, { recursive: true });
    mkdirSync(kept, { recursive: true });
    expect(store.removeAbandonedRuns(60_000, Date.now() + 120_000)).toBe(1);
    expect(readdirSync(store.trashDir)).toEqual([".gone-not-a-run"]);
  });
});
