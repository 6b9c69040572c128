// `g agent ID -j N` end to end: one agent process running up to N of a
// sweep's trials at once, each slot claiming through the sweep's lock as a
// separate agent would. How many ran at once is read from the trials' own
// start and stop records, never from timing. Spawns the real bin/g (build
// first: npm run build) with real Python scripts.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, g, gAsync } from "../helpers/g.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";

let work: string;
let home: string;

beforeAll(() => {
  work = tempDir("g-agent-j-");
  home = join(work, "home");
  writeFileSync(
    join(work, "nap.py"),
    `import argparse, time
p = argparse.ArgumentParser()
p.add_argument("--a")
p.add_argument("--b")
a = p.parse_args()
time.sleep(0.4)
print("loss: %s" % a.a)
`,
  );
  writeFileSync(
    join(work, "forever.py"),
    "import time\nfor i in range(600):\n    print('loss: %d' % i, flush=True)\n    time.sleep(0.1)\n",
  );
  writeFileSync(join(work, "broken.py"), "import sys\nsys.exit(3)\n");
});

afterAll(cleanTempDirs);

const run = (args: string[]) => g(args, { home, cwd: work });
const start = (args: string[]) => gAsync(args, { home, cwd: work });

function createSweep(name: string, yaml: string): string {
  writeFileSync(join(work, name), yaml);
  const r = run(["sweep", name]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

interface TrialRun {
  id: string;
  trial: number;
  flags: Record<string, unknown>;
  started: string | null;
  stopped: string | null;
  exit_status: number | null;
  retried_by?: string;
  status: string;
}

/** The sweep's trials in claim order, each with its run's record and derived status. */
function sweepRuns(id: string): TrialRun[] {
  const listed = JSON.parse(run(["runs", "list", "--op", `sweep:${id}`, "--all", "--json"]).stdout) as { id: string; status: string }[];
  const status = new Map(listed.map((r) => [r.id, r.status]));
  return readFileSync(join(home, "sweeps", id, "trials.jsonl"), "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const { run: runId } = JSON.parse(line) as { run: string };
      const record = JSON.parse(readFileSync(join(home, "runs", runId, "run.json"), "utf8")) as Omit<TrialRun, "status">;
      return { ...record, id: runId, status: status.get(runId) ?? "missing" };
    });
}

/** The run ids of the sweep's ledger so far (none before its first claim); their runs may not be written yet. */
function claimedRunIds(id: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(home, "sweeps", id, "trials.jsonl"), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.endsWith("}"))
    .map((line) => (JSON.parse(line) as { run: string }).run);
}

/**
 * The most trials running at one moment, from the runs' `started` and
 * `stopped` records (a stop at the very instant of a start counts first: the
 * slot's next trial starts after its last one ended).
 */
function mostAtOnce(runs: TrialRun[]): number {
  const events = runs.flatMap((r) => [
    { t: Date.parse(r.started!), d: +1 },
    { t: Date.parse(r.stopped!), d: -1 },
  ]);
  events.sort((x, y) => x.t - y.t || x.d - y.d);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.d));
  return most;
}

function sweepCounts(id: string): { state: string; counts: Record<string, number> } {
  const all = JSON.parse(run(["sweeps", "--json"]).stdout) as { id: string; state: string; counts: Record<string, number> }[];
  return all.find((s) => s.id === id)!;
}

async function waitFor(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("g agent -j N", () => {
  it("runs a random sweep's 9 trials, at most 3 at once, from one process", () => {
    const id = createSweep("random.yaml", "program: nap.py\nmethod: random\nrun_cap: 9\nparameters:\n  a: {min: 0.0, max: 1.0}\n");
    const r = run(["agent", id, "-j", "3"]);
    expect(r.code, r.stderr).toBe(0);
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(9);
    expect(runs.map((t) => t.trial).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(runs.every((t) => t.status === "completed")).toBe(true);
    const most = mostAtOnce(runs);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/3 trials at once/);
    expect(r.stderr).toContain("agent ran 9 trial(s): 9 completed, 0 early-stopped, 0 failed");
    // Trials at once: each output line says whose it is.
    expect(r.stdout.trim().split("\n").sort()).toEqual(runs.map((t) => `[${t.trial}] loss: ${t.flags.a}`).sort());
  });

  it("counts --count over all its trials", () => {
    const id = createSweep("count.yaml", "program: nap.py\nmethod: random\nrun_cap: 20\nparameters:\n  a: {min: 0.0, max: 1.0}\n");
    const r = run(["agent", id, "--parallel", "3", "--count", "4"]);
    expect(r.code, r.stderr).toBe(0);
    expect(sweepRuns(id)).toHaveLength(4);
    expect(r.stderr).toContain("agent ran 4 trial(s)");
  });

  it("with -q echoes no trial output, still saves it and reports progress", () => {
    const id = createSweep("quiet.yaml", "program: nap.py\nmethod: random\nrun_cap: 3\nparameters:\n  a: {min: 0.0, max: 1.0}\n");
    for (const args of [
      ["agent", id, "-q", "--count", "2"],
      ["agent", id, "--quiet", "-j", "2"],
    ]) {
      const r = run(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("agent ran");
      expect(r.stderr).not.toContain("loss:");
    }
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(3);
    for (const t of runs) expect(readFileSync(join(home, "runs", t.id, "output.log"), "utf8")).toContain(`loss: ${t.flags.a}`);
  });

  it("shares a sweep with -j agents and plain agents: run_cap exact, no trial claimed twice", async () => {
    const randomId = createSweep("mixed.yaml", "program: nap.py\nmethod: random\nrun_cap: 14\nparameters:\n  a: {min: 0.0, max: 1.0}\n");
    const gridId = createSweep(
      "mixed-grid.yaml",
      "program: nap.py\nmethod: grid\nparameters:\n  a: {values: [1, 2, 3, 4, 5]}\n  b: {values: [x, y]}\n",
    );
    const agents = [
      ...[randomId, gridId].flatMap((id) => [
        ["agent", id, "-j", "3"],
        ["agent", id, "-j", "2"],
        ["agent", id],
      ]),
    ].map((args) => collect(start(args)));
    const results = await Promise.all(agents);
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const random = sweepRuns(randomId);
    expect(random.map((t) => t.trial).sort((x, y) => x - y)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(new Set(random.map((t) => t.id)).size).toBe(14);
    expect(random.every((t) => t.status === "completed")).toBe(true);
    expect(sweepCounts(randomId).counts.claimed).toBe(14);

    const grid = sweepRuns(gridId);
    expect(grid).toHaveLength(10);
    expect(new Set(grid.map((t) => `${t.flags.a}/${t.flags.b}`)).size).toBe(10);
    expect(new Set(grid.map((t) => t.trial)).size).toBe(10);
    expect(sweepCounts(gridId).state).toBe("finished");
  });

  it("runs a bayes sweep with -j 2, every proposal a distinct point", () => {
    writeFileSync(
      join(work, "bowl.py"),
      `import argparse
p = argparse.ArgumentParser()
p.add_argument("--x", type=float)
p.add_argument("--opt")
a = p.parse_args()
print("val_loss: %f" % ((a.x - 0.3) ** 2 + (0.1 if a.opt == "sgd" else 0.0)))
`,
    );
    const id = createSweep(
      "bayes.yaml",
      "program: bowl.py\nmethod: bayes\nrun_cap: 10\nmetric: {name: val_loss, goal: minimize}\nparameters:\n  x: {min: -1.0, max: 1.0}\n  opt: {values: [adam, sgd]}\n",
    );
    const r = run(["agent", id, "-j", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(10);
    expect(runs.every((t) => t.status === "completed")).toBe(true);
    expect(new Set(runs.map((t) => `${t.flags.x}/${t.flags.opt}`)).size).toBe(10);
    expect(sweepCounts(id).state).toBe("finished");
    // An agent that starts on the finished bayes sweep (its proposal thread started, no proposal
    // asked of it) exits at once, plain or -j.
    for (const extra of [[], ["-j", "2"]]) {
      const again = run(["agent", id, ...extra]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain("reached its run_cap of 10");
    }
  });

  it("stops every running trial on Ctrl-C, claims no more, and exits 130", async () => {
    const id = createSweep("ctrl-c.yaml", "program: forever.py\nmethod: grid\nparameters:\n  a: {values: [1, 2, 3, 4, 5]}\n");
    const child = start(["agent", id, "-j", "3"]);
    const done = collect(child);
    await waitFor("3 running trials", () => sweepCounts(id).counts.running === 3);
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("Interrupted: stopping 3 running trial(s); no new trials are claimed.");
    expect(r.stderr).toMatch(/agent ran 3 trial\(s\): 0 completed, 0 early-stopped, 0 failed, 3 terminated; interrupted/);
    const runs = sweepRuns(id);
    expect(runs.map((t) => t.status)).toEqual(["terminated", "terminated", "terminated"]);
    expect(runs.every((t) => t.stopped !== null)).toBe(true);
    expect(sweepCounts(id).counts.running).toBe(0);
  });

  it("leaves the trials of a killed -j agent to be run again by another agent", async () => {
    writeFileSync(join(work, "hang.py"), "import time\ntime.sleep(600)\n");
    const id = createSweep("kill.yaml", "program: hang.py\nmethod: grid\nparameters:\n  a: {values: [1, 2]}\n");
    const child = start(["agent", id, "-j", "2"]);
    const done = collect(child);
    // The claimed runs' locks, by the ledger's run ids: a trial is in the ledger before its run.json is written.
    const locks = () =>
      claimedRunIds(id).flatMap((runId) => {
        try {
          return [JSON.parse(readFileSync(join(home, "runs", runId, "LOCK"), "utf8")) as { child?: number }];
        } catch {
          return [];
        }
      });
    await waitFor("2 trials with their scripts started", () => locks().filter((l) => l.child).length === 2);
    const scripts = locks().map((l) => l.child!);
    child.kill("SIGKILL");
    await done;
    // The scripts live on in their own process groups; end them as a crash would leave them.
    for (const pid of scripts) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    expect(sweepRuns(id).map((t) => t.status)).toEqual(["error", "error"]);

    writeFileSync(join(work, "hang.py"), "print('loss: 1')\n");
    const again = run(["agent", id]);
    expect(again.code, again.stderr).toBe(0);
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(4);
    const live = runs.filter((t) => t.retried_by === undefined);
    expect(live.map((t) => t.flags.a).sort()).toEqual([1, 2]);
    expect(live.every((t) => t.status === "completed")).toBe(true);
    expect(sweepCounts(id).counts.completed).toBe(2);
  });

  it("gives up after 5 failures in a row over all its slots, letting the running ones end", () => {
    const id = createSweep("broken.yaml", "program: broken.py\nmethod: random\nrun_cap: 30\nparameters:\n  a: {min: 0.0, max: 1.0}\n");
    const r = run(["agent", id, "-j", "3"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/g: 5 trials in a row failed; agent stopped/);
    const runs = sweepRuns(id);
    // The fifth failure ends the claiming; the other two slots' trials were running then at most.
    expect(runs.length).toBeGreaterThanOrEqual(5);
    expect(runs.length).toBeLessThanOrEqual(7);
    expect(runs.every((t) => t.status === "error" && t.stopped !== null)).toBe(true);
    // The hint names one of this sweep's failed runs by its id, not "1" (the store's newest run may be another agent's).
    const named = /see g runs info (\w+) for the last one's output/.exec(r.stderr)?.[1];
    expect(runs.some((t) => t.id.startsWith(named ?? "-"))).toBe(true);
  });

  it("passes -j to each agent that --backend local starts", () => {
    const id = createSweep("local.yaml", "program: nap.py\nmethod: random\nrun_cap: 6\nparameters:\n  a: {min: 0.0, max: 1.0}\n");
    const r = run(["agent", id, "--backend", "local", "--agents", "2", "-j", "2", "--wait"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("6 trial(s) claimed, 6 completed");
    // Each agent's own log: <pid of this g>_<task>.out.
    const dir = join(home, "sweeps", id, "agents");
    const logs = readdirSync(dir)
      .filter((f) => f.endsWith(".out"))
      .map((f) => readFileSync(join(dir, f), "utf8"));
    expect(logs).toHaveLength(2);
    for (const log of logs) expect(log).toMatch(/2 trials at once/);
    expect(sweepRuns(id)).toHaveLength(6);
  });

  it.each([
    [["-j", "0"], "g: -j/--parallel takes a number of trials at once, at least 1, e.g. g agent ID -j 4"],
    [["-j", "x"], 'g: -j/--parallel takes a whole number of at least 1, not "x"'],
    [["--parallel", "-2"], 'g: -j/--parallel takes a whole number of at least 1, not "-2"'],
    [["--backend", "local", "--agents", "0"], "g: --agents takes at least 1 agent, e.g. g agent ID --backend local --agents 4"],
  ])("refuses %j with one line and exit 2", (opt, line) => {
    const id = createSweep("usage.yaml", "program: nap.py\nmethod: random\nrun_cap: 2\nparameters:\n  a: {min: 0.0, max: 1.0}\n");
    const r = run(["agent", id, ...opt]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(line.replace("ID", id) + "\n");
    expect(sweepCounts(id).counts.claimed).toBe(0);
  });
});
