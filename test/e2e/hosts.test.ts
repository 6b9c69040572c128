// Many hosts, one store: agents in separate UTS namespaces (`unshare --uts`,
// each with its own hostname) share one G_HOME, as machines sharing an NFS
// folder would. Liveness across them is the LOCK's lease, not a pid. Needs
// root (or user namespaces) for unshare; skipped where it is not allowed.
// Spawns the real bin/g (build first: npm run build).

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = resolve(__dirname, "../../bin/g");
/** The lease of every g here (readers judge a lease by their own setting): short, so a takeover comes within the test. */
const TEST_LEASE_MS = 1_000;

const CAN_UNSHARE = spawnSync("unshare", ["--uts", "--", "sh", "-c", "hostname g-probe"], { stdio: "ignore" }).status === 0;

let work: string;
let home: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "g-hosts-e2e-"));
  home = join(work, "home");
});

/** Every agent a test started: stopped before the store is removed, even when a test timed out. */
const agents = new Set<ChildProcess>();

afterAll(async () => {
  await Promise.all([...agents].map(stopAgent));
  rmSync(work, { recursive: true, force: true });
}, 20_000);

/** SIGTERM (the agent ends its trial as `terminated`), SIGKILL if it is still there after 5 s. */
function stopAgent(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("close", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function g(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: work,
    env: { ...process.env, G_HOME: home, NO_COLOR: "1", G_LEASE_MS: String(TEST_LEASE_MS), ...env },
    encoding: "utf8",
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `g agent ARGS` on a host of its own: a new UTS namespace named `host`, the same store. */
function agentOnHost(host: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn("unshare", ["--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', host, process.execPath, BIN, "agent", ...args], {
    cwd: work,
    env: { ...process.env, G_HOME: home, G_LEASE_MS: String(TEST_LEASE_MS), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  agents.add(child);
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<{ code: number; stderr: string }>((res) =>
    child.on("close", (code, signal) => res({ code: code ?? (signal ? 128 : -1), stderr: err })),
  );
  return { child, exit };
}

function createSweep(name: string, yaml: string): string {
  writeFileSync(join(work, name), yaml);
  const r = g(["sweep", name]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

interface TrialRun {
  id: string;
  trial: number;
  flags: Record<string, unknown>;
  status: string;
  retried_by?: string;
}

function sweepRuns(id: string, env: Record<string, string> = {}): TrialRun[] {
  const listed = JSON.parse(g(["runs", "list", "--op", `sweep:${id}`, "--all", "--json"], env).stdout) as { id: string; status: string }[];
  const status = new Map(listed.map((r) => [r.id, r.status]));
  return readFileSync(join(home, "sweeps", id, "trials.jsonl"), "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const { run } = JSON.parse(line) as { run: string };
      const record = JSON.parse(readFileSync(join(home, "runs", run, "run.json"), "utf8")) as TrialRun;
      return {
        id: run,
        trial: record.trial,
        flags: record.flags,
        status: status.get(run) ?? "missing",
        ...(record.retried_by ? { retried_by: record.retried_by } : {}),
      };
    });
}

function sweepCounts(id: string): { state: string; counts: Record<string, number> } {
  return (JSON.parse(g(["sweeps", "--json"]).stdout) as { id: string; state: string; counts: Record<string, number> }[]).find(
    (s) => s.id === id,
  )!;
}

describe.skipIf(!CAN_UNSHARE)("agents on two hosts sharing one store", () => {
  it("reruns the trial of an agent SIGKILLed on host B from host A once its lease expires, counted once", async () => {
    writeFileSync(
      join(work, "slow-first.py"),
      `import argparse, os, time
p = argparse.ArgumentParser()
p.add_argument("--x", type=int)
a = p.parse_args()
marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slow-first.marker")
if a.x == 1 and not os.path.exists(marker):
    open(marker, "w").close()
    time.sleep(60)
time.sleep(0.4)
print("loss: %d" % a.x)
`,
    );
    const id = createSweep("kill.yaml", "program: slow-first.py\nmethod: grid\nparameters:\n  x: {values: [1, 2, 3, 4, 5, 6]}\n");
    const b = agentOnHost("host-b", [id]);
    const lockPath = () => {
      const text = readFileSync(join(home, "sweeps", id, "trials.jsonl"), "utf8").trim();
      return text ? join(home, "runs", (JSON.parse(text.split("\n")[0]!) as { run: string }).run, "LOCK") : null;
    };
    let lock: { host: string; child?: number; beat?: number } | null = null;
    for (let i = 0; i < 400 && !(lock?.child && existsSync(join(work, "slow-first.marker"))); i++) {
      await new Promise((r) => setTimeout(r, 50));
      const path = lockPath();
      try {
        lock = path ? JSON.parse(readFileSync(path, "utf8")) : null;
      } catch {
        lock = null;
      }
    }
    expect(lock?.host).toBe("host-b");
    expect(lock?.beat).toBeGreaterThan(0);
    b.child.kill("SIGKILL");
    await b.exit;
    try {
      process.kill(-lock!.child!, "SIGKILL");
    } catch {
      /* already gone */
    }

    // Host A cannot signal host B's pid: until the lease runs out the trial is
    // running as far as A knows; after, A runs it again (5 trials of 0.4 s outlast a 1 s lease).
    const a = agentOnHost("host-a", [id]);
    const done = await a.exit;
    expect(done.code, done.stderr).toBe(0);
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(7);
    const live = runs.filter((r) => r.retried_by === undefined);
    expect(live.map((r) => r.flags.x).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(live.every((r) => r.status === "completed")).toBe(true);
    expect(runs[0]!.retried_by).toBe(live.find((r) => r.flags.x === 1)!.id);
    const listing = sweepCounts(id);
    expect(listing.counts.claimed).toBe(6);
    expect(listing.counts.completed).toBe(6);
    expect(listing.state).toBe("finished");
  }, 120_000);

  it("runs a 64-point grid exactly once with 8 agents across 2 hosts, 2 times out of 2", async () => {
    writeFileSync(
      join(work, "quick.py"),
      `import argparse\np = argparse.ArgumentParser()\np.add_argument("--a")\np.add_argument("--b")\na = p.parse_args()\nprint("loss: 1.0")\n`,
    );
    const yaml =
      "program: quick.py\nmethod: grid\nparameters:\n  a: {values: [1, 2, 3, 4, 5, 6, 7, 8]}\n  b: {values: [1, 2, 3, 4, 5, 6, 7, 8]}\n";
    for (let round = 0; round < 2; round++) {
      const id = createSweep(`grid64-${round}.yaml`, yaml);
      // The documented lease: nobody dies here, and a loaded machine may stall an agent past a 1 s one.
      const agents = Array.from({ length: 8 }, (_, i) => agentOnHost(i % 2 === 0 ? "host-a" : "host-b", [id], { G_LEASE_MS: "60000" }));
      const exits = await Promise.all(agents.map((x) => x.exit));
      expect(
        exits.map((e) => e.code),
        exits.map((e) => e.stderr).join("\n"),
      ).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      const runs = sweepRuns(id, { G_LEASE_MS: "60000" });
      expect(runs).toHaveLength(64);
      expect(new Set(runs.map((r) => `${r.flags.a}/${r.flags.b}`)).size).toBe(64);
      expect(runs.every((r) => r.status === "completed")).toBe(true);
      expect(
        JSON.parse(g(["sweeps", "--json"], { G_LEASE_MS: "60000" }).stdout).find((s: { id: string }) => s.id === id).counts.completed,
      ).toBe(64);
    }
  }, 400_000);
});
