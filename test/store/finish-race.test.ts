// The finish race: the runner ends a run by writing `stopped` into run.json,
// then removing its LOCK. A reader that reads run.json just before the first
// and the LOCK just after the second sees a started, unstopped run without a
// LOCK: a dead writer's, so a claim would call its trial orphaned and run it
// again (a 64-point grid once ran as 65 runs so). These tests hold a reader in
// that window (the worker's reads of LOCK wait, as a descheduled reader's do)
// and check that the run reads as what it is. Workers import dist/ (build first).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/store.js";
import { writeJsonAtomic } from "../../src/store/fs-atomic.js";
import { appendTrialEntry, claimLedgerTrial, readTrialEntries, readTrials, type ClaimChoice, type Trial } from "../../src/store/sweeps.js";
import { ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

const WORKERS = join(ROOT, "test", "store", "workers");

/** Runs a worker to its end; resolves with its stdout, rejects when it fails. */
function runWorker(name: string, args: string[]): { done: Promise<string> } {
  const child = spawn(process.execPath, [join(WORKERS, name), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  const done = new Promise<string>((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${name} exited ${code}`)))),
  );
  return { done };
}

function makeLedger(home: string): string {
  const dir = join(home, "ledger");
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("the finish race", () => {
  it("reads a trial that ends between its run.json read and its LOCK read as completed, not orphaned", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const ledger = makeLedger(home);
    const signal = tempDir();
    const run = store.createRun(
      { op: "x", trial: 1, flags: { x: 1 }, started: new Date().toISOString() },
      { lock: { pid: process.pid, host: hostname() } },
    );
    appendTrialEntry(ledger, { trial: 1, run: run.id, point: { x: 1 } });
    expect(readTrials(store, { dir: ledger })[0]!.run!.status).toBe("running");

    const reader = runWorker("finish-race-read.mjs", [home, ledger, run.id, signal]);
    await waitForFile(join(signal, "reading"), 30_000);
    // As the runner ends a run (src/runner/execute.ts): the record first, then the LOCK.
    await store.updateRun(run.id, (r) => {
      r.stopped = new Date().toISOString();
      r.exit_status = 0;
    });
    store.removeLock(run.id);
    writeFileSync(join(signal, "finished"), "");

    const [read] = (await reader.done)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { trial: number; orphaned: boolean; status: string; held: boolean });
    expect(read).toEqual({ trial: 1, orphaned: false, status: "completed", held: true });
  }, 60_000);

  // Listings read each run once; a run ended inside that window showed `error` for one refresh.
  for (const mode of ["all", "summaries", "indexed", "newest"]) {
    it(`lists a run that ends between its run.json read and its LOCK read as completed (${mode})`, async () => {
      const home = tempDir();
      const store = new RunStore(home);
      const signal = tempDir();
      const run = store.createRun({ op: "x", started: new Date().toISOString() }, { lock: { pid: process.pid, host: hostname() } });
      const lister = runWorker("finish-race-list.mjs", [home, run.id, signal, mode]);
      await waitForFile(join(signal, "reading"), 30_000);
      await store.updateRun(run.id, (r) => {
        r.stopped = new Date().toISOString();
        r.exit_status = 0;
      });
      store.removeLock(run.id);
      writeFileSync(join(signal, "finished"), "");
      expect(JSON.parse(await lister.done)).toEqual({ status: "completed", stopped: true, held: true });
    }, 60_000);
  }

  it("still lists a run whose process died without stopping it as error", () => {
    const home = tempDir();
    const store = new RunStore(home);
    const run = store.createRun({ op: "x", started: new Date().toISOString() }, { lock: { pid: 2 ** 22 + 1, host: hostname() } });
    const statuses = [
      store.listRuns().runs,
      store.listRunsWithSummaries().runs.map((r) => r.run),
      store.listRunsIndexed().runs,
      store.listNewestRuns(20).runs,
    ].map((runs) => runs.find((r) => r.id === run.id)?.status);
    expect(statuses).toEqual(["error", "error", "error", "error"]);
  });

  it("still reads a trial whose process died without stopping its run as orphaned", () => {
    const home = tempDir();
    const store = new RunStore(home);
    const ledger = makeLedger(home);
    const run = store.createRun({ op: "x", trial: 1, flags: { x: 1 }, started: new Date().toISOString() });
    appendTrialEntry(ledger, { trial: 1, run: run.id, point: { x: 1 } });
    const [t] = readTrials(store, { dir: ledger });
    expect(t!.orphaned).toBe(true);
    expect(t!.run!.status).toBe("error");
  });

  it("reads an orphan chosen before the lock again under it, and chooses again when it has ended meanwhile", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const ledger = makeLedger(home);
    // Started, not stopped, no LOCK: read as abandoned (a writer stalled past its lease reads so too).
    const run = store.createRun({ op: "x", trial: 1, flags: { x: 1 }, started: new Date().toISOString() });
    appendTrialEntry(ledger, { trial: 1, run: run.id, point: { x: 1 } });
    const seen: string[] = [];
    const choose = (trials: Trial[]): ClaimChoice => {
      const orphan = trials.find((t) => t.orphaned);
      seen.push(orphan ? "orphan" : "none");
      if (seen.length === 1) {
        // Between the choice made before the lock and the lock, the run's writer records its end.
        writeJsonAtomic(join(run.dir, "run.json"), { ...run.record, stopped: new Date().toISOString(), exit_status: 0 });
      }
      if (orphan) return { kind: "trial", trial: orphan.trial, point: { x: 1 }, retryOf: orphan };
      const taken = new Set(trials.map((t) => t.trial));
      return taken.has(2) ? { kind: "done", reason: "both claimed" } : { kind: "trial", trial: 2, point: { x: 2 }, retryOf: null };
    };
    const claim = await claimLedgerTrial(store, ledger, {
      choose,
      newRun: (choice) => ({ op: "x", trial: choice.trial, flags: choice.point }),
      lockTimeoutMs: 5_000,
    });
    expect(seen).toEqual(["orphan", "none"]);
    expect(claim.kind === "trial" && { trial: claim.trial, retryOf: claim.retryOf }).toEqual({ trial: 2, retryOf: null });
    expect(store.readRun(run.id).record.retried_by).toBeUndefined();
    expect(readTrialEntries(ledger).map((e) => e.trial)).toEqual([1, 2]);
  });

  it("claims each of 48 grid points exactly once with 6 agents that rerun orphans, their LOCK reads held up to 4 ms, 3 times out of 3", async () => {
    for (let round = 0; round < 3; round++) {
      const home = tempDir();
      const store = new RunStore(home);
      const ledger = makeLedger(home);
      const outs = await Promise.all(Array.from({ length: 6 }, () => runWorker("claim-finish.mjs", [home, ledger, "48", "4"]).done));
      const entries = readTrialEntries(ledger);
      // A trial read orphaned while its run was ending shows as a 49th line, and its run marked retried_by.
      const retried = readdirSync(store.runsDir)
        .filter((name) => !name.startsWith("."))
        .filter((name) => JSON.parse(readFileSync(join(store.runsDir, name, "run.json"), "utf8")).retried_by !== undefined);
      expect({ lines: entries.length, retried: retried.length }).toEqual({ lines: 48, retried: 0 });
      expect(outs.reduce((sum, o) => sum + Number(o), 0)).toBe(48);
      expect(new Set(entries.map((e) => e.trial)).size).toBe(48);
      expect(readTrials(store, { dir: ledger }).every((t) => t.run?.status === "completed")).toBe(true);
    }
  }, 180_000);
});
