// Sweeps end to end: `g sweep`, many `g agent` processes on one store, an
// agent killed mid-trial, and hyperband stopping a bad trial. Spawns the real
// bin/g (build first: npm run build) with real Python scripts.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = resolve(__dirname, "../../bin/g");
const DIST = resolve(__dirname, "../../dist/commands/agent.js");

let work: string;
let home: string;

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error("dist/ is not built; run npm run build before the e2e tests");
  work = mkdtempSync(join(tmpdir(), "g-sweep-e2e-"));
  home = join(work, "home");
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function g(args: string[], cwd = work): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, G_HOME: home, NO_COLOR: "1" }, encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function startAgent(args: string[]): { child: ChildProcess; exit: Promise<number> } {
  const child = spawn(process.execPath, [BIN, "agent", ...args], {
    cwd: work,
    env: { ...process.env, G_HOME: home },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<number>((res) => child.on("close", (code, signal) => res(code ?? (signal ? 128 : -1))));
  void exit.then((code) => {
    if (code !== 0 && process.env.G_TEST_DEBUG) process.stderr.write(err);
  });
  return { child, exit };
}

function createSweep(name: string, yaml: string): string {
  writeFileSync(join(work, name), yaml);
  const r = g(["sweep", name]);
  expect(r.code, r.stderr).toBe(0);
  const id = r.stdout.trim();
  expect(id).toMatch(/^[0-9a-f]{8}$/);
  return id;
}

interface RunJson {
  id: string;
  status: string;
  flags: Record<string, unknown>;
  sweep?: string;
  trial?: number;
}

/** The sweep's trials in claim order, with status as `g runs list --json` derives it. */
function sweepRuns(id: string): { id: string; status: string; flags: Record<string, unknown>; trial: number; retried_by?: string }[] {
  const listed = JSON.parse(g(["runs", "list", "--op", `sweep:${id}`, "--all", "--json"]).stdout) as { id: string; status: string }[];
  const status = new Map(listed.map((r) => [r.id, r.status]));
  const entries = readFileSync(join(home, "sweeps", id, "trials.jsonl"), "utf8")
    .trim()
    .split("\n")
    .filter(Boolean);
  return entries.map((line) => {
    const { run } = JSON.parse(line) as { run: string };
    const record = JSON.parse(readFileSync(join(home, "runs", run, "run.json"), "utf8")) as RunJson & { retried_by?: string };
    return {
      id: run,
      status: status.get(run) ?? "missing",
      flags: record.flags,
      trial: record.trial!,
      ...(record.retried_by ? { retried_by: record.retried_by } : {}),
    };
  });
}

function sweepListing(id: string): { state: string; counts: Record<string, number> } {
  const all = JSON.parse(g(["sweeps", "--json"]).stdout) as { id: string; state: string; counts: Record<string, number> }[];
  return all.find((s) => s.id === id)!;
}

const QUICK_PY = `import argparse, time
p = argparse.ArgumentParser()
for n in ["a", "b", "c"]:
    p.add_argument("--" + n)
a = p.parse_args()
time.sleep(0.05)
print("loss: 1.0")
`;

describe("g sweep and g agent", () => {
  it("rejects an invalid file with exit 2, its line, and creates nothing", () => {
    writeFileSync(join(work, "bad.yaml"), "program: t.py\nmethod: grid\nparameters:\n  lr: {min: 0.5, max: 0.01}\n");
    const r = g(["sweep", "bad.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("g: bad.yaml:4: parameters.lr: min (0.5) is not less than max (0.01)");
    expect(r.stdout).toBe("");
    expect(existsSync(join(home, "sweeps")) ? readdirSync(join(home, "sweeps")) : []).toEqual([]);
  });

  it("runs each of 24 grid combinations exactly once across 4 agents", async () => {
    writeFileSync(join(work, "quick.py"), QUICK_PY);
    const id = createSweep(
      "grid.yaml",
      "program: quick.py\nmethod: grid\nmetric: {name: loss}\nparameters:\n  a: {values: [1, 2, 3, 4]}\n  b: {values: [x, y, z]}\n  c: {values: [true, false]}\n",
    );
    const agents = Array.from({ length: 4 }, () => startAgent([id]));
    const codes = await Promise.all(agents.map((a) => a.exit));
    expect(codes).toEqual([0, 0, 0, 0]);
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(24);
    expect(runs.every((r) => r.status === "completed")).toBe(true);
    const combos = new Set(runs.map((r) => `${r.flags.a}/${r.flags.b}/${r.flags.c}`));
    expect(combos.size).toBe(24);
    expect(new Set(runs.map((r) => r.trial)).size).toBe(24);
    const listing = sweepListing(id);
    expect(listing.state).toBe("finished");
    expect(listing.counts.completed).toBe(24);
    // The runs show under `--op sweep` like any others.
    const listed = JSON.parse(g(["runs", "list", "--op", `sweep:${id}`, "--json"]).stdout) as unknown[];
    expect(listed).toHaveLength(24);
  });

  it("gives an argparse program's switches, toggles and counted options as they take them (W&B's --amp=True is refused)", () => {
    writeFileSync(
      join(work, "opts.py"),
      `import argparse
p = argparse.ArgumentParser()
p.add_argument("--amp", action="store_true")
p.add_argument("--shuffle", action=argparse.BooleanOptionalAction, default=True)
p.add_argument("-v", "--verbose", action="count", default=0)
p.add_argument("--lr", type=float, default=0.1)
a = p.parse_args()
print("loss: %f" % (a.lr + (0.5 if a.amp else 0) + (0.25 if a.shuffle else 0) + a.verbose))
`,
    );
    const id = createSweep(
      "opts.yaml",
      "program: opts.py\nmethod: grid\nparameters:\n  amp: {values: [true, false]}\n  shuffle: {values: [true, false]}\n  verbose: {values: [0, 2]}\n  lr: {value: 1.5}\n",
    );
    const res = g(["agent", id]);
    expect(res.code, res.stderr).toBe(0);
    const runs = sweepRuns(id);
    expect(runs.map((r) => r.status)).toEqual(Array(8).fill("completed"));
    // Each trial's script saw its values: the loss it printed is the one they make.
    for (const r of runs) {
      const f = r.flags as { amp: boolean; shuffle: boolean; verbose: number; lr: number };
      const expected = f.lr + (f.amp ? 0.5 : 0) + (f.shuffle ? 0.25 : 0) + f.verbose;
      const info = JSON.parse(g(["runs", "info", r.id, "--json"]).stdout) as { scalars: { loss: { last: number } } };
      expect(info.scalars.loss.last, JSON.stringify(f)).toBeCloseTo(expected, 6);
    }
  });

  it("stops a random sweep at run_cap exactly with 4 agents", async () => {
    const id = createSweep(
      "random.yaml",
      "program: quick.py\nmethod: random\nrun_cap: 10\nparameters:\n  a: {min: 0.0, max: 1.0}\n  b: {values: [x, y]}\n",
    );
    const agents = Array.from({ length: 4 }, () => startAgent([id]));
    expect(await Promise.all(agents.map((a) => a.exit))).toEqual([0, 0, 0, 0]);
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(10);
    expect(runs.map((r) => r.trial).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(sweepListing(id).counts.claimed).toBe(10);
  });

  it("re-runs the trial of an agent killed mid-trial, and counts it once", async () => {
    writeFileSync(
      join(work, "slow-first.py"),
      `import argparse, os, time
p = argparse.ArgumentParser()
p.add_argument("--x", type=int)
a = p.parse_args()
marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slow-first.marker")
if a.x == 1 and not os.path.exists(marker):
    open(marker, "w").close()
    time.sleep(30)
print("loss: %d" % a.x)
`,
    );
    const id = createSweep("kill.yaml", "program: slow-first.py\nmethod: grid\nparameters:\n  x: {values: [1, 2, 3]}\n");
    const first = startAgent([id]);
    const lockOf = () => {
      const entries = readFileSync(join(home, "sweeps", id, "trials.jsonl"), "utf8").trim();
      if (!entries) return null;
      const { run } = JSON.parse(entries.split("\n")[0]!) as { run: string };
      try {
        return JSON.parse(readFileSync(join(home, "runs", run, "LOCK"), "utf8")) as { pid: number; child?: number };
      } catch {
        return null;
      }
    };
    let lock = lockOf();
    for (let i = 0; i < 200 && !(lock?.child && existsSync(join(work, "slow-first.marker"))); i++) {
      await new Promise((r) => setTimeout(r, 50));
      lock = lockOf();
    }
    expect(lock?.child).toBeGreaterThan(0);
    first.child.kill("SIGKILL");
    await first.exit;
    // The trial's script lives on in its own process group; end it as a crash would leave it.
    try {
      process.kill(-lock!.child!, "SIGKILL");
    } catch {
      /* already gone */
    }

    const dead = sweepRuns(id);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.status).toBe("error");

    const noRetry = g(["agent", id, "--no-retry", "--count", "1"]);
    expect(noRetry.code, noRetry.stderr).toBe(0);
    const afterNoRetry = sweepRuns(id);
    expect(afterNoRetry.map((r) => r.flags.x)).toEqual([1, 2]);

    const second = g(["agent", id]);
    expect(second.code, second.stderr).toBe(0);
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(4);
    const live = runs.filter((r) => r.retried_by === undefined);
    expect(live.map((r) => r.flags.x).sort()).toEqual([1, 2, 3]);
    expect(live.every((r) => r.status === "completed")).toBe(true);
    expect(runs[0]!.retried_by).toBe(runs[2]!.id);
    const info = g(["runs", "info", runs[0]!.id]);
    expect(info.stdout).toMatch(new RegExp(`^retried: +by ${runs[2]!.id} \\[\\d+\\] \\(completed\\)$`, "m"));
    expect(info.stdout).toMatch(/^sweep: +[0-9a-f]+ \(trial \d+\)$/m);
    const listing = sweepListing(id);
    expect(listing.counts.claimed).toBe(3);
    expect(listing.counts.completed).toBe(3);
    expect(listing.state).toBe("finished");
  });

  it.each(["g stop", "kill"])(
    "does not run again a trial whose agent was killed while its script lives on; once %s ends the script",
    async (how) => {
      writeFileSync(
        join(work, "outlive.py"),
        `import argparse, os, time
p = argparse.ArgumentParser()
p.add_argument("--x", type=int)
a = p.parse_args()
marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "outlive.marker")
if not os.path.exists(marker):
    open(marker, "w").close()
    time.sleep(60)
print("loss: %d" % a.x)
`,
      );
      rmSync(join(work, "outlive.marker"), { force: true });
      const id = createSweep("outlive.yaml", "program: outlive.py\nmethod: grid\nparameters:\n  x: {values: [1]}\n");
      const first = startAgent([id]);
      const lockOf = () => {
        const entries = readFileSync(join(home, "sweeps", id, "trials.jsonl"), "utf8").trim();
        if (!entries) return null;
        const { run } = JSON.parse(entries.split("\n")[0]!) as { run: string };
        try {
          return JSON.parse(readFileSync(join(home, "runs", run, "LOCK"), "utf8")) as { pid: number; child?: number };
        } catch {
          return null;
        }
      };
      let lock = lockOf();
      for (let i = 0; i < 200 && !(lock?.child && existsSync(join(work, "outlive.marker"))); i++) {
        await new Promise((r) => setTimeout(r, 50));
        lock = lockOf();
      }
      expect(lock?.child).toBeGreaterThan(0);
      first.child.kill("SIGKILL");
      await first.exit;
      const script = lock!.child!;
      try {
        // The agent is dead, its script is not: the trial is running, and another agent leaves it be.
        expect(sweepRuns(id).map((r) => r.status)).toEqual(["running"]);
        const second = g(["agent", id]);
        expect(second.code, second.stderr).toBe(0);
        expect(sweepRuns(id).map((r) => r.status)).toEqual(["running"]);
        expect(() => process.kill(script, 0)).not.toThrow();

        if (how === "g stop") {
          // Stopped by the user: recorded terminated (its agent is dead), and never run again.
          const [trial] = sweepRuns(id);
          const stop = g(["stop", trial!.id.slice(0, 8)]);
          expect(stop.code, stop.stderr).toBe(0);
          expect(sweepRuns(id).map((r) => r.status)).toEqual(["terminated"]);
        }
      } finally {
        try {
          process.kill(-script, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      const third = g(["agent", id]);
      expect(third.code, third.stderr).toBe(0);
      const runs = sweepRuns(id);
      if (how === "g stop") {
        expect(runs.map((r) => r.status)).toEqual(["terminated"]);
        expect(sweepListing(id).counts.terminated).toBe(1);
        return;
      }
      // Ended outside g, nobody recorded it: an orphan, which the next agent runs again, once.
      expect(runs.map((r) => r.status)).toEqual(["error", "completed"]);
      expect(runs[0]!.retried_by).toBe(runs[1]!.id);
      expect(sweepListing(id).counts.completed).toBe(1);
    },
  );

  it("stops a clearly bad trial by hyperband while good ones run to the end", async () => {
    writeFileSync(
      join(work, "curve.py"),
      `import argparse, time
p = argparse.ArgumentParser()
p.add_argument("--quality")
a = p.parse_args()
base = {"good": 1.0, "bad": 10.0, "better": 0.8}[a.quality]
for step in range(8):
    print("val_loss: %f" % (base / (step + 1)), flush=True)
    time.sleep(0.15)
`,
    );
    const id = createSweep(
      "hb.yaml",
      "program: curve.py\nmethod: grid\nmetric: {name: val_loss, goal: minimize}\nearly_terminate: {type: hyperband, min_iter: 2, eta: 3}\nparameters:\n  quality: {values: [good, bad, better]}\n",
    );
    const r = g(["agent", id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/trial 2 \(run [0-9a-f]{8}\) stopped early: hyperband band 2/);
    const runs = sweepRuns(id);
    const byQuality = Object.fromEntries(runs.map((run) => [run.flags.quality as string, run]));
    expect(byQuality.good!.status).toBe("completed");
    expect(byQuality.better!.status).toBe("completed");
    expect(byQuality.bad!.status).toBe("early-stopped");
    const badScalars = readFileSync(join(home, "runs", byQuality.bad!.id, "scalars.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(badScalars.length).toBeLessThan(8);
    const betterScalars = readFileSync(join(home, "runs", byQuality.better!.id, "scalars.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(betterScalars).toHaveLength(8);
    expect(sweepListing(id).counts.earlyStopped).toBe(1);
  });

  // The metric logged through the Python SDK (scalars.jsonl), never printed: the agent follows the file.
  for (const [how, logLines] of [
    ["g_runs.log", "for i in range(6):\n    g.log(acc=a.x * (i + 1) / 6, step=i)\n    time.sleep(0.1)"],
    [
      "Experiment.metrics.log",
      'with g.Experiment(prefix="me/sdk-sweep/trial").run as e:\n    for i in range(6):\n        e.metrics.log(acc=a.x * (i + 1) / 6, step=i)\n        time.sleep(0.1)',
    ],
  ] as const) {
    it(`stops the low trial by envelope when the trial logs its metric with ${how}`, () => {
      const script = `sdk_${how.replace(/\W/g, "_")}.py`;
      writeFileSync(
        join(work, script),
        `import argparse, time
import g_runs as g
p = argparse.ArgumentParser()
p.add_argument("--x", type=float)
a = p.parse_args()
${logLines}
`,
      );
      const id = createSweep(
        `${script}.yaml`,
        `program: ${script}\nmethod: grid\nmetric: {name: acc, goal: maximize, target: 0.85}\nearly_terminate: {type: envelope, min_runs: 1, start_iter: 2, fraction: 0.5}\nparameters:\n  x: {values: [0.5, 0.1, 0.9, 0.95]}\n`,
      );
      const r = g(["agent", id, "-q"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/trial 2 \(run [0-9a-f]{8}\) stopped early: envelope at step 2/);
      expect(r.stderr).toContain("2 completed, 1 early-stopped");
      const byX = Object.fromEntries(sweepRuns(id).map((run) => [String(run.flags.x), run]));
      expect(byX["0.5"]!.status).toBe("completed");
      expect(byX["0.1"]!.status).toBe("early-stopped");
      expect(byX["0.9"]!.status).toBe("completed");
      // Stopped before its end: fewer than its 6 values, each recorded once.
      const low = readFileSync(join(home, "runs", byX["0.1"]!.id, "scalars.jsonl"), "utf8")
        .trim()
        .split("\n");
      expect(low.length).toBeLessThan(6);
    });
  }

  it("runs a bayes sweep to run_cap with 2 agents, every point distinct", async () => {
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
      "program: bowl.py\nmethod: bayes\nrun_cap: 8\nmetric: {name: val_loss, goal: minimize}\nparameters:\n  x: {min: -1.0, max: 1.0}\n  opt: {values: [adam, sgd]}\n",
    );
    const agents = Array.from({ length: 2 }, () => startAgent([id]));
    expect(await Promise.all(agents.map((a) => a.exit))).toEqual([0, 0]);
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(8);
    expect(runs.every((r) => r.status === "completed")).toBe(true);
    expect(new Set(runs.map((r) => `${r.flags.x}/${r.flags.opt}`)).size).toBe(8);
    expect(sweepListing(id).state).toBe("finished");
  });

  it("cancelling a sweep stops its running trial and its agent", async () => {
    writeFileSync(
      join(work, "forever.py"),
      "import time\nfor i in range(600):\n    print('loss: %d' % i, flush=True)\n    time.sleep(0.1)\n",
    );
    const id = createSweep("cancel.yaml", "program: forever.py\nmethod: grid\nparameters:\n  a: {values: [1, 2]}\n");
    const agent = startAgent([id]);
    for (let i = 0; i < 200 && sweepListing(id).counts.running === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sweepListing(id).counts.running).toBe(1);
    expect(g(["sweep", "--cancel", id]).code).toBe(0);
    expect(await agent.exit).toBe(0);
    const runs = sweepRuns(id);
    expect(runs.map((r) => r.status)).toEqual(["terminated"]);
    expect(sweepListing(id).state).toBe("cancelled");
  });

  it("stops, resumes and cancels a sweep", () => {
    const id = createSweep("state.yaml", "program: quick.py\nmethod: grid\nparameters:\n  a: {values: [1, 2]}\n");
    expect(g(["sweep", "--stop", id]).code).toBe(0);
    const stopped = g(["agent", id]);
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(/sweep [0-9a-f]{8} is stopped/);
    expect(sweepListing(id).counts.claimed).toBe(0);
    expect(g(["sweep", "--resume", id.slice(0, 4)]).code).toBe(0);
    expect(g(["agent", id, "--count", "1"]).code).toBe(0);
    expect(sweepListing(id).counts.claimed).toBe(1);
    expect(g(["sweep", "--cancel", id]).code).toBe(0);
    expect(sweepListing(id).state).toBe("cancelled");
    expect(g(["sweep", "--resume", id]).code).toBe(2);
    expect(g(["agent", "0000ffff"]).code).toBe(3);
  });

  it("warns once when the trials never log the sweep's metric.name", () => {
    writeFileSync(join(work, "score.py"), "print('score: 1.5')\n");
    const id = createSweep(
      "typo.yaml",
      "program: score.py\nmethod: bayes\nrun_cap: 3\nmetric: {name: scroe, goal: minimize}\nparameters:\n  a: {min: 0.0, max: 1.0}\n",
    );
    const r = g(["agent", id, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l.includes('logged no "scroe"'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: trial 1 \(run [0-9a-f]{8}\) logged no "scroe" .* it logged score; did you mean score\? \(the sweep's metric\.name; bayes, /,
    );
  });

  it("refuses to resume, stop or cancel a finished sweep, which stays finished", () => {
    const id = createSweep("done.yaml", "program: quick.py\nmethod: grid\nparameters:\n  a: {values: [1]}\n");
    expect(g(["sweep", "--resume", id]).stderr).toMatch(/sweep [0-9a-f]{8} is already running/);
    expect(g(["agent", id]).code).toBe(0);
    expect(sweepListing(id).state).toBe("finished");
    for (const action of ["--resume", "--stop", "--cancel"]) {
      const r = g(["sweep", action, id]);
      expect(r.code, action).toBe(2);
      expect(r.stderr).toMatch(/^g: sweep [0-9a-f]{8} is finished \(all 1 of its trials were claimed\); there is nothing to \w+/);
    }
    expect(sweepListing(id).state).toBe("finished");
  });
});
