// A claim holds the ledger's lock only to append its line {trial, run, point}
// (claimLedgerTrial): the ledger is read and the trial chosen before it; the
// run's record, its fsync and its rename into place come after the release. These pin down what other claimers see in between, what a claimer
// that dies there leaves, the brief lock itself, and the proposal thread.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BusyError } from "../../src/errors.js";
import { removeStaleLock } from "../../src/store/locks.js";
import { RunStore, withBriefDirLock, withDirLock } from "../../src/store/store.js";
import { appendTrialEntry, claimLedgerTrial, readTrials, type ClaimChoice, type Trial } from "../../src/store/sweeps.js";
import { DIST, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

/** A pid that no process has: one that ran and exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", "0"]).pid!;
}

/** The first trial number in 1..4 that no trial that counts holds (a four-combination grid). */
function chooseFree(trials: Trial[]): ClaimChoice {
  const taken = new Set(trials.map((t) => t.trial));
  for (let n = 1; n <= 4; n++) if (!taken.has(n)) return { kind: "trial", trial: n, point: { x: n }, retryOf: null };
  return { kind: "done", reason: "all four claimed" };
}

function ledger(home: string): string {
  const dir = join(home, "ledger");
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe("claims", () => {
  it("counts a trial whose claim has not renamed its run into place as running, from its hidden folder", () => {
    const home = tempDir();
    const store = new RunStore(home);
    const dir = ledger(home);
    const id = store.beginRun({ pid: process.pid, host: hostname() });
    const record = store.recordRun(id, { op: "x", trial: 1, flags: { x: 1 }, started: new Date().toISOString() });
    appendTrialEntry(dir, { trial: 1, run: id });

    const [pending] = readTrials(store, { dir });
    expect(pending!.run?.status).toBe("running");
    expect(pending!.run?.dir).toBe(join(store.runsDir, `.new-${id}`));
    expect(store.listRuns().runs).toEqual([]);

    store.commitRun(id, record);
    const [committed] = readTrials(store, { dir });
    expect(committed!.run?.dir).toBe(join(store.runsDir, id));
    expect(committed!.run?.record.flags).toEqual({ x: 1 });
  });

  it("treats a trial whose claimer died before the rename as never claimed: the next claim takes its number", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const dir = ledger(home);
    const id = store.beginRun({ pid: deadPid(), host: hostname() });
    store.recordRun(id, { op: "x", trial: 1, flags: { x: 1 } });
    appendTrialEntry(dir, { trial: 1, run: id });
    expect(readTrials(store, { dir })[0]!.run).toBeNull();

    const claim = await claimLedgerTrial(store, dir, {
      choose: chooseFree,
      newRun: (choice) => ({ op: "x", trial: choice.trial, flags: choice.point }),
      lockTimeoutMs: 5_000,
    });
    expect(claim.kind === "trial" && claim.trial).toBe(1);
    const counting = readTrials(store, { dir }).filter((t) => t.run !== null);
    expect(counting.map((t) => t.trial)).toEqual([1]);
    // The claim's run is in place, whole, with this process's LOCK; nothing of it is left hidden.
    expect(readdirSync(store.runsDir).filter((n) => n.startsWith(".new-") && !n.endsWith(id))).toEqual([]);
    if (claim.kind === "trial") {
      expect(JSON.parse(readFileSync(join(claim.run.dir, "LOCK"), "utf8")).pid).toBe(process.pid);
      expect(store.readRun(claim.run.id).record.flags).toEqual({ x: 1 });
    }
  });

  it("counts a trial whose claim has appended its line but not written run.json as running, at the line's point", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const dir = ledger(home);
    const id = store.beginRun({ pid: process.pid, host: hostname() });
    appendTrialEntry(dir, { trial: 1, run: id, point: { x: 1 } });

    const [pending] = readTrials(store, { dir });
    expect(pending!.run?.status).toBe("running");
    expect(pending!.run?.record.flags).toEqual({ x: 1 });
    expect(pending!.orphaned).toBe(false);
    // run.json half written (it is written in place, then fsynced): still the line's claim.
    writeFileSync(join(store.runsDir, `.new-${id}`, "run.json"), '{"format": 1, "id": "');
    expect(readTrials(store, { dir }).map((t) => [t.run?.status, t.run?.record.flags])).toEqual([["running", { x: 1 }]]);

    const claim = await claimLedgerTrial(store, dir, {
      choose: chooseFree,
      newRun: (choice) => ({ op: "x", trial: choice.trial, flags: choice.point }),
      lockTimeoutMs: 5_000,
    });
    expect(claim.kind === "trial" && claim.trial).toBe(2);
  });

  it("frees the trial of a claimer killed with SIGKILL between its ledger line and its run.json", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const dir = ledger(home);
    const marks = join(home, "marks");
    const child = spawn(process.execPath, [join(ROOT, "test", "store", "workers", "claim-die.mjs"), home, dir, marks], {
      stdio: "inherit",
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, sig) => resolve(sig)));
    expect(signal).toBe("SIGKILL");
    expect(readFileSync(marks, "utf8")).toBe("killed\n");
    // Its line is in the ledger, with its point; its run never became visible.
    const lines = readFileSync(join(dir, "trials.jsonl"), "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l) as { trial: number; point: unknown })).toMatchObject([{ trial: 1, point: { x: 1 } }]);
    expect(readdirSync(store.runsDir).filter((n) => !n.startsWith(".new-"))).toEqual([]);
    expect(readTrials(store, { dir })[0]!.run).toBeNull();

    const claim = await claimLedgerTrial(store, dir, {
      choose: chooseFree,
      newRun: (choice) => ({ op: "x", trial: choice.trial, flags: choice.point }),
      lockTimeoutMs: 5_000,
    });
    expect(claim.kind === "trial" && claim.trial).toBe(1);
    const counting = readTrials(store, { dir }).filter((t) => t.run !== null);
    expect(counting.map((t) => [t.trial, t.runId])).toEqual([[1, claim.kind === "trial" ? claim.run.id : ""]]);
    expect(store.listRuns().runs.map((r) => r.record.trial)).toEqual([1]);
  });

  it("keeps its own line whole after a line torn by a claimer that died mid-write", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const dir = ledger(home);
    writeFileSync(join(dir, "trials.jsonl"), '{"trial":1,"run":"0123');
    const claim = await claimLedgerTrial(store, dir, {
      choose: chooseFree,
      newRun: (choice) => ({ op: "x", trial: choice.trial, flags: choice.point }),
      lockTimeoutMs: 5_000,
    });
    expect(claim.kind === "trial" && claim.trial).toBe(1);
    expect(readTrials(store, { dir }).map((t) => [t.trial, t.run?.id])).toEqual([[1, claim.kind === "trial" ? claim.run.id : ""]]);
  });

  it("chooses again under the lock when lines were appended since the claim read the ledger", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const dir = ledger(home);
    const other = store.beginRun({ pid: process.pid, host: hostname() });
    const seen: number[][] = [];
    const claim = await claimLedgerTrial(store, dir, {
      choose: (trials) => {
        seen.push(trials.map((t) => t.trial));
        // Another claimer appends trial 1 between this claim's read and its lock.
        if (seen.length === 1) appendTrialEntry(dir, { trial: 1, run: other, point: { x: 1 } });
        return chooseFree(trials);
      },
      newRun: (choice) => ({ op: "x", trial: choice.trial, flags: choice.point }),
      lockTimeoutMs: 5_000,
    });
    expect(seen).toEqual([[], [1]]);
    expect(claim.kind === "trial" && claim.trial).toBe(2);
  });

  it("renews the claim's heartbeat when it waited for the lock longer than a quarter of the lease", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const dir = ledger(home);
    const lease = process.env.G_LEASE_MS;
    process.env.G_LEASE_MS = "40";
    try {
      let releasedAt = 0;
      let holding!: () => void;
      const isHeld = new Promise<void>((r) => (holding = r));
      const held = withDirLock(dir, () => {
        holding();
        return new Promise<void>((r) => setTimeout(() => ((releasedAt = Date.now()), r()), 60));
      });
      await isHeld;
      const claim = await claimLedgerTrial(store, dir, {
        choose: chooseFree,
        newRun: (choice) => ({ op: "x", trial: choice.trial, flags: choice.point }),
        lockTimeoutMs: 5_000,
      });
      await held;
      expect(claim.kind).toBe("trial");
      if (claim.kind === "trial")
        expect(JSON.parse(readFileSync(join(claim.run.dir, "LOCK"), "utf8")).beat).toBeGreaterThanOrEqual(releasedAt);
    } finally {
      if (lease === undefined) delete process.env.G_LEASE_MS;
      else process.env.G_LEASE_MS = lease;
    }
  });

  it("leaves no hidden folder when the claim finds nothing to claim", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const dir = ledger(home);
    const claim = await claimLedgerTrial(store, dir, {
      choose: () => ({ kind: "done", reason: "nothing" }),
      newRun: () => ({ op: "x" }),
      lockTimeoutMs: 5_000,
    });
    expect(claim).toEqual({ kind: "done", reason: "nothing" });
    expect(existsSync(store.runsDir) ? readdirSync(store.runsDir) : []).toEqual([]);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
  });

  it("claims each of 120 grid points exactly once with 6 processes claiming at once, 3 times out of 3", async () => {
    for (let round = 0; round < 3; round++) {
      const home = tempDir();
      const store = new RunStore(home);
      const dir = ledger(home);
      const outs = await Promise.all(
        Array.from(
          { length: 6 },
          () =>
            new Promise<string>((resolve, reject) => {
              const child = spawn(process.execPath, [join(ROOT, "test", "store", "workers", "claim.mjs"), home, dir, "120"], {
                stdio: ["ignore", "pipe", "inherit"],
              });
              let out = "";
              child.stdout.on("data", (d: Buffer) => (out += d));
              child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`claimer exited ${code}`))));
            }),
        ),
      );
      expect(outs.reduce((sum, o) => sum + Number(o), 0)).toBe(120);
      const runs = store.listRuns().runs;
      expect(runs).toHaveLength(120);
      expect(new Set(runs.map((r) => r.record.trial)).size).toBe(120);
      expect(
        readTrials(store, { dir })
          .map((t) => t.trial)
          .sort((a, b) => a - b),
      ).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      // Every claim renamed its run into place: nothing is left hidden.
      expect(readdirSync(store.runsDir).filter((name) => name.startsWith("."))).toEqual([]);
    }
  }, 120_000);

  it("gives every one of 4 concurrent claims in one process its own trial", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const dir = ledger(home);
    const claims = await Promise.all(
      Array.from({ length: 5 }, () =>
        claimLedgerTrial(store, dir, {
          choose: chooseFree,
          newRun: (choice) => ({ op: "x", trial: choice.trial, flags: choice.point }),
          lockTimeoutMs: 5_000,
        }),
      ),
    );
    expect(claims.map((c) => (c.kind === "trial" ? c.trial : 0)).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(store.listRuns().runs).toHaveLength(4);
  });
});

describe("the brief lock", () => {
  it("gives up with BusyError while another process holds the lock", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, ".lock"));
    await expect(withBriefDirLock(dir, () => 1, 50)).rejects.toBeInstanceOf(BusyError);
  });

  it("takes over a lock left by a dead process (not refreshed for the stale time)", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, ".lock"));
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, ".lock"), old, old);
    expect(await withBriefDirLock(dir, () => "mine", 1_000)).toBe("mine");
    expect(existsSync(join(dir, ".lock"))).toBe(false);
  });

  it("does not remove a lock taken since it was seen stale (two waiters, one stale lock: only one takes it over)", () => {
    const dir = tempDir();
    const lockPath = join(dir, ".lock");
    symlinkSync(".", lockPath);
    const old = new Date(Date.now() - 60_000);
    lutimesSync(lockPath, old, old);
    // Both waiters saw it stale; the first removed it and took the lock anew, then the second removes "it".
    const seenBySecond = lstatSync(lockPath);
    removeStaleLock(lockPath, lstatSync(lockPath));
    expect(existsSync(lockPath)).toBe(false);
    symlinkSync(".", lockPath);
    removeStaleLock(lockPath, seenBySecond);
    expect(lstatSync(lockPath).isSymbolicLink()).toBe(true);
    // While another waiter removes a stale lock (it holds .lock.break), this one leaves it alone.
    lutimesSync(lockPath, old, old);
    symlinkSync(".", `${lockPath}.break`);
    removeStaleLock(lockPath, lstatSync(lockPath));
    expect(existsSync(lockPath)).toBe(true);
    // A .lock.break left by a remover that died is itself taken away once stale.
    lutimesSync(`${lockPath}.break`, old, old);
    removeStaleLock(lockPath, lstatSync(lockPath));
    removeStaleLock(lockPath, lstatSync(lockPath));
    expect(readdirSync(dir)).toEqual([]);
  });

  it("is a symlink that the store's other lock (proper-lockfile's directory) waits for, and takes over when stale", async () => {
    const dir = tempDir();
    const seen = await withBriefDirLock(dir, () => lstatSync(join(dir, ".lock")).isSymbolicLink());
    expect(seen).toBe(true);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    // A brief lock held (by another process, here made by hand): the other lock waits, then gives up.
    symlinkSync(".", join(dir, ".lock"));
    await expect(withDirLock(dir, () => 1, 50)).rejects.toBeInstanceOf(BusyError);
    // Left by a dead process: taken over after the stale time, by both kinds of lock.
    const old = new Date(Date.now() - 60_000);
    lutimesSync(join(dir, ".lock"), old, old);
    expect(await withDirLock(dir, () => "dir lock", 1_000)).toBe("dir lock");
    symlinkSync(".", join(dir, ".lock"));
    lutimesSync(join(dir, ".lock"), old, old);
    expect(await withBriefDirLock(dir, () => "brief", 1_000)).toBe("brief");
    expect(existsSync(join(dir, ".lock"))).toBe(false);
  });

  it("waits for a holder of the store's other lock and runs once it lets go", async () => {
    const dir = tempDir();
    const order: string[] = [];
    let release!: () => void;
    let holding!: () => void;
    const isHeld = new Promise<void>((r) => (holding = r));
    const held = withDirLock(dir, () => {
      holding();
      return new Promise<void>((r) => (release = () => (order.push("released"), r())));
    });
    await isHeld;
    const brief = withBriefDirLock(dir, () => order.push("brief"), 5_000);
    await new Promise((r) => setTimeout(r, 30));
    release();
    await Promise.all([held, brief]);
    expect(order).toEqual(["released", "brief"]);
  });
});

describe("proper-lockfile's lock (withDirLock, withDirLockSync)", () => {
  /** Runs `n` stale-takeover workers on `dir` at once; resolves with what each printed (the most holders it saw). */
  function runWaiters(dir: string, n: number, mode: "async" | "sync"): Promise<number[]> {
    const signal = tempDir();
    const worker = join(ROOT, "test", "store", "workers", "stale-takeover.mjs");
    return Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<number>((resolve, reject) => {
            const child = spawn(process.execPath, [worker, dir, signal, String(n), mode, "200"], { stdio: ["ignore", "pipe", "inherit"] });
            let out = "";
            child.stdout.on("data", (d: Buffer) => (out += d));
            child.on("close", (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`waiter exited ${code}`))));
          }),
      ),
    );
  }

  for (const mode of ["async", "sync"] as const) {
    it(`lets one waiter at a time take over a stale lock that six waiters saw stale at once (${mode})`, async () => {
      const dir = tempDir();
      mkdirSync(join(dir, ".lock"));
      const old = new Date(Date.now() - 60_000);
      utimesSync(join(dir, ".lock"), old, old);
      // Each waiter's first lstat of the lock waits for the others': all six see it stale before any removes it.
      const most = await runWaiters(dir, 6, mode);
      expect(most).toEqual([1, 1, 1, 1, 1, 1]);
      expect(readdirSync(dir)).toEqual([]);
    }, 120_000);
  }
});

describe("the proposal thread", () => {
  const space = { a: { type: "uniform" as const, low: 0, high: 1 }, b: { type: "uniform" as const, low: 0, high: 1 } };
  const history = Array.from({ length: 12 }, (_, i) => ({ point: { a: ((i * 7) % 12) / 12, b: i / 12 }, value: ((i * 5) % 12) / 12 }));

  it("proposes the point the main thread would, from a thread of lower priority (Linux)", async () => {
    // The built modules: the worker's file sits beside propose-thread.js there.
    const thread = (await import(join(DIST, "trials", "propose-thread.js"))) as typeof import("../../src/trials/propose-thread.js");
    const { loadProposer } = (await import(join(DIST, "trials", "optimizers.js"))) as typeof import("../../src/trials/optimizers.js");
    const { createRng } = (await import(join(DIST, "search", "rng.js"))) as typeof import("../../src/search/rng.js");
    const offThread = await thread.proposeOffThread("gp", space, {}, history, "7:13");
    const here = (await loadProposer("gp", space, {}))(history, createRng("7:13"));
    expect(offThread).toEqual(here);
    if (process.platform === "linux") {
      // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value.
      const niceOf = (tid: string | number): number => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      };
      // Relative to the process's own priority: the suite may itself run under `nice`.
      const base = niceOf(process.pid);
      const nices = readdirSync("/proc/self/task").map(niceOf);
      const lowered = Math.min(19, base + 10);
      if (lowered > base) expect(nices.filter((n) => n === lowered)).toHaveLength(1);
      expect(nices).toContain(base);
    }
  });
});
