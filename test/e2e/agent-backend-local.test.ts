// `g agent ID --backend local --agents N` end to end: the agents are started
// detached and g returns, naming their logs, while they go on with the
// sweep; with --wait, g waits for them, names each agent that failed with its
// log and exits 1, and passes a Ctrl-C on to them. Whether g returned while
// the agents ran is shown by a gate the trials wait on, opened only after g
// has returned, never by timing. Spawns the real bin/g (build first: npm run
// build) with real Python scripts.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { collect, g, gAsync } from "../helpers/g.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";

let work: string;
let home: string;
/** Agents a test started, ended after it whatever happened. */
let agents: number[] = [];

beforeAll(() => {
  work = tempDir("g-agent-local-");
  home = join(work, "home");
  // Waits for the gate file (at most 5 minutes, so that nothing outlives a broken test for long).
  writeFileSync(
    join(work, "gated.py"),
    `import argparse, os, time
p = argparse.ArgumentParser()
p.add_argument("--a")
a = p.parse_args()
for _ in range(3000):
    if os.path.exists("gate"):
        break
    time.sleep(0.1)
print("loss: %s" % a.a)
`,
  );
  writeFileSync(join(work, "broken.py"), "import sys\nprint('no luck')\nsys.exit(3)\n");
});

afterEach(() => {
  for (const pid of agents.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* ended */
    }
  }
});

afterAll(cleanTempDirs);

const run = (args: string[]) => g(args, { home, cwd: work });

function createSweep(name: string, yaml: string): string {
  writeFileSync(join(work, name), yaml);
  const r = run(["sweep", name]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

function sweepCounts(id: string): Record<string, number> {
  const all = JSON.parse(run(["sweeps", "--json"]).stdout) as { id: string; counts: Record<string, number> }[];
  return all.find((s) => s.id === id)!.counts;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process group of `pid`, from /proc/PID/stat (the fifth field; the second, the name, may hold blanks). */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

async function waitFor(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("g agent --backend local", () => {
  it("starts the agents detached and returns while they go on to finish the sweep", async () => {
    const id = createSweep("gated.yaml", "program: gated.py\nmethod: grid\nparameters:\n  a: {values: [1, 2, 3, 4]}\n");
    const gate = join(work, "gate");
    const child = gAsync(["agent", id, "--backend", "local", "--agents", "2"], { home, cwd: work });
    // No trial can end before the gate opens, and it opens only once g has returned.
    const r = await collect(child);
    agents = r.stdout.trim().split(",").map(Number);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+,\d+\n$/);
    const logs = [...r.stderr.matchAll(/^ {2}agent (\d): (\S+)$/gm)].map((m) => [Number(m[1]), m[2]!] as const);
    expect(logs.map(([task]) => task)).toEqual([0, 1]);
    for (const [task, log] of logs) expect(log).toBe(join(home, "sweeps", id, "agents", `${child.pid}_${task}.out`));
    expect(r.stderr).toContain(`g sweep --cancel ${id}`);
    expect(existsSync(gate)).toBe(false);
    // Alive after g's exit, each the leader of its own process group.
    for (const pid of agents) {
      expect(isAlive(pid)).toBe(true);
      expect(processGroup(pid)).toBe(pid);
    }
    await waitFor("both agents running a trial", () => sweepCounts(id).running === 2);

    writeFileSync(gate, "");
    await waitFor("the agents to end", () => agents.every((pid) => !isAlive(pid)));
    const counts = sweepCounts(id);
    expect([counts.claimed, counts.completed]).toEqual([4, 4]);
    for (const [, log] of logs) expect(readFileSync(log, "utf8")).toMatch(/agent ran \d trial\(s\): \d completed/);
  });

  it("with --wait, names each agent that failed with its log and exits 1", () => {
    const id = createSweep("broken.yaml", "program: broken.py\nmethod: grid\nparameters:\n  a: {values: [1, 2]}\n");
    // --count 1: each agent runs one of the two trials, so both fail.
    const r = run(["agent", id, "--backend", "local", "--agents", "2", "--count", "1", "--wait"]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    const failed = lines
      .map((l) => /^agent (\d) of job \S+ failed \(exited with 1\); its output: (\S+)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [Number(m[1]), m[2]!] as const);
    expect(failed.map(([task]) => task).sort()).toEqual([0, 1]);
    for (const [, log] of failed)
      expect(readFileSync(log, "utf8")).toMatch(/agent ran 1 trial\(s\): 0 completed, 0 early-stopped, 1 failed/);
    expect(lines.at(-1)).toMatch(
      /^g: agents of job \S+ ended: 2 trial\(s\) claimed, 0 completed, 2 failed, 0 terminated; 2 agent\(s\) failed$/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("hands the agents the store as an absolute G_HOME: with a relative one they run in the sweep file's folder and find it", () => {
    const project = tempDir("g-agent-local-rel-");
    mkdirSync(join(project, "sub"));
    writeFileSync(join(project, "sub", "train.py"), "import sys\nprint('loss: 1')\n");
    writeFileSync(join(project, "sub", "s.yaml"), "program: train.py\nmethod: grid\nparameters:\n  a: {values: [1, 2]}\n");
    // G_HOME=store, relative to where g runs; the agents run in sub/, where train.py is.
    const made = g(["sweep", "sub/s.yaml"], { home: "store", cwd: project });
    expect(made.code, made.stderr).toBe(0);
    const r = g(["agent", made.stdout.trim(), "--backend", "local", "--agents", "1", "--wait"], { home: "store", cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ended: 2 trial\(s\) claimed, 2 completed, 0 failed/);
    expect(existsSync(join(project, "sub", "store"))).toBe(false);
  });

  it("with --wait, passes a Ctrl-C on to the agents, which stop their trials, and exits 130", async () => {
    rmSync(join(work, "gate"), { force: true });
    const id = createSweep("stopped.yaml", "program: gated.py\nmethod: grid\nparameters:\n  a: {values: [5, 6, 7]}\n");
    const child = gAsync(["agent", id, "--backend", "local", "--agents", "2", "--wait"], { home, cwd: work });
    const done = collect(child);
    await waitFor("both agents running a trial", () => sweepCounts(id).running === 2);
    const listed = JSON.parse(run(["runs", "list", "--op", `sweep:${id}`, "--all", "--json"]).stdout) as { id: string }[];
    const lockPids = listed.map((t) => (JSON.parse(readFileSync(join(home, "runs", t.id, "LOCK"), "utf8")) as { pid: number }).pid);
    agents = lockPids;
    // Only g itself gets the signal, as from a terminal whose foreground group it leads: the agents are in their own.
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/^g: agents of job \S+ ended: .*; interrupted: its tasks were stopped$/m);
    // They stopped as asked: no agent is named as failed.
    expect(r.stderr).not.toMatch(/failed \(/);
    for (const pid of lockPids) expect(isAlive(pid)).toBe(false);
    const counts = sweepCounts(id);
    expect([counts.running, counts.terminated]).toEqual([0, 2]);
  });
});
