import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { collect, g, gAsync, listRunsJson, type RunJson } from "../helpers/g.js";
import { BIN, EXAMPLES, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

const SCRIPTS = join(ROOT, "test", "e2e", "scripts");
const TRAIN = join(EXAMPLES, "train.py");
const MAIN = join(EXAMPLES, "main.py");

function allRuns(home: string): RunJson[] {
  return listRunsJson(home);
}

function trials(home: string): RunJson[] {
  return allRuns(home)
    .filter((r) => r.batch !== null)
    .sort((a, b) => a.trial! - b.trial!);
}

function printTrials(args: string[]): Array<Record<string, unknown>> {
  const res = g(["run", ...args, "--print-trials", "--json"], { home: tempDir() });
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as Array<{ flags: Record<string, unknown> }>).map((t) => t.flags);
}

afterEach(cleanTempDirs);

describe("grid and random batches", () => {
  it("runs the cartesian product of Guild lists: 6 runs with exactly those pairs", () => {
    const home = tempDir();
    const res = g(["run", "-y", "-q", TRAIN, "x=[-0.25,-0.30,-0.35]", "noise=[0.0,0.1]"], { home });
    expect(res.code, res.stderr).toBe(0);
    const pairs = trials(home).map((t) => [t.flags.x, t.flags.noise]);
    expect(pairs).toEqual([
      [-0.25, 0],
      [-0.25, 0.1],
      [-0.3, 0],
      [-0.3, 0.1],
      [-0.35, 0],
      [-0.35, 0.1],
    ]);
    const batch = allRuns(home).find((r) => r.batch === null)!;
    expect(batch.op).toBe("grid");
    expect(batch.status).toBe("completed");
    expect(res.stderr).toMatch(/6 completed, 0 failed; best loss/);
  });

  it("draws Grid.ai distributions into a grid axis: uniform(…, 3) × [1, 2, 3, 4] is 12 runs", () => {
    const home = tempDir();
    const res = g(["run", "-y", "-q", "--random-seed", "5", MAIN, "--alpha", "uniform(1e-5, 1e-1, 3)", "--beta", "[1, 2, 3, 4]"], { home });
    expect(res.code, res.stderr).toBe(0);
    const ts = trials(home);
    expect(ts).toHaveLength(12);
    const alphas = [...new Set(ts.map((t) => t.flags.alpha as number))];
    expect(alphas).toHaveLength(3);
    for (const a of alphas) expect(a >= 1e-5 && a <= 1e-1).toBe(true);
    expect(ts.map((t) => t.flags.beta)).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    expect(ts.every((t) => t.status === "completed")).toBe(true);
  });

  it("runs a random subset of the grid without repeats for --strategy random_search --trials 3", () => {
    const grid = printTrials(["--random-seed", "9", MAIN, "--alpha", "uniform(1e-5, 1e-1, 3)", "--beta", "[1, 2, 3, 4]"]).map((p) =>
      JSON.stringify(p),
    );
    const home = tempDir();
    const res = g(
      [
        "run",
        "-y",
        "-q",
        "--strategy",
        "random_search",
        "--trials",
        "3",
        "--random-seed",
        "9",
        MAIN,
        "--alpha",
        "uniform(1e-5, 1e-1, 3)",
        "--beta",
        "[1, 2, 3, 4]",
      ],
      { home },
    );
    expect(res.code, res.stderr).toBe(0);
    const chosen = trials(home).map((t) => JSON.stringify({ alpha: t.flags.alpha, beta: t.flags.beta }));
    expect(chosen).toHaveLength(3);
    expect(new Set(chosen).size).toBe(3);
    for (const c of chosen) expect(grid).toContain(c);
  });

  it('follows Python range semantics for --layers "(1, 10, 2)"', () => {
    const home = tempDir();
    expect(g(["run", "-y", "-q", MAIN, "--layers", "(1, 10, 2)"], { home }).code).toBe(0);
    expect(trials(home).map((t) => t.flags.layers)).toEqual([1, 3, 5, 7, 9]);
  });

  it("runs 20 random trials within [-0.4:-0.2]", () => {
    const home = tempDir();
    const res = g(["run", "-y", "-q", TRAIN, "noise=0", "x=[-0.4:-0.2]"], { home });
    expect(res.code, res.stderr).toBe(0);
    const xs = trials(home).map((t) => t.flags.x as number);
    expect(xs).toHaveLength(20);
    for (const x of xs) expect(x >= -0.4 && x <= -0.2).toBe(true);
    expect(new Set(xs).size).toBe(20);
    expect(allRuns(home).find((r) => r.batch === null)!.op).toBe("random");
  });

  it("reproduces the same trials with the same --random-seed, and not with another", () => {
    const a = printTrials(["--random-seed", "1", TRAIN, "x=[-2:2]", "--max-trials", "5"]);
    const b = printTrials(["--random-seed", "1", TRAIN, "x=[-2:2]", "--max-trials", "5"]);
    const c = printTrials(["--random-seed", "2", TRAIN, "x=[-2:2]", "--max-trials", "5"]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // train.py's default x = 0.1 is a float, so [-2:2] is a float range (as Guild reads it).
    expect(a.some((p) => !Number.isInteger(p.x))).toBe(true);
    // main.py's --layers defaults to an int: integer bounds sample integers.
    const ints = printTrials(["--random-seed", "1", MAIN, "--layers", "[-2:2]", "--max-trials", "5"]);
    expect(ints.every((p) => Number.isInteger(p.layers))).toBe(true);
  });

  it("rejects an almost-form with one line naming the flag (exit 2) and runs nothing", () => {
    const home = tempDir();
    for (const bad of ["x=[1:]", "x=range[1:10:0]"]) {
      const res = g(["run", "-y", TRAIN, bad], { home });
      expect(res.code, bad).toBe(2);
      expect(res.stderr.trim().split("\n"), bad).toHaveLength(1);
      expect(res.stderr).toContain("x");
    }
    const gridai = g(["run", "-y", MAIN, "--alpha", "uniform(1, 2"], { home });
    expect(gridai.code).toBe(2);
    expect(gridai.stderr).toContain("alpha");
    expect(allRuns(home)).toHaveLength(0);
  });

  it("keeps going when a trial fails, then exits 1 with a summary", () => {
    const home = tempDir();
    const res = g(["run", "-y", "-q", join(SCRIPTS, "fail_on_two.py"), "x=[1,2,3]"], { home });
    expect(res.code).toBe(1);
    expect(trials(home).map((t) => t.status)).toEqual(["completed", "error", "completed"]);
    expect(res.stderr).toMatch(/2 completed, 1 failed/);
  });

  it("overlaps trials with -j 4 and keeps each trial's output whole", () => {
    const home = tempDir();
    const meet = tempDir("g-meet-");
    // Each trial waits until all four have arrived: a runner that ran them
    // one at a time would leave the first waiting, and it gives up (exit 1).
    const res = g(["run", "-y", "-j", "4", join(SCRIPTS, "rendezvous_trial.py"), "x=[1,2,3,4]", `meet=${meet}`], { home });
    expect(res.code, res.stderr + res.stdout).toBe(0);
    const outputs = trials(home).map((t) => ({ x: t.flags.x, out: readFileSync(join(t.dir, "output.log"), "utf8") }));
    expect(outputs).toHaveLength(4);
    for (const { x, out } of outputs) {
      // only its own lines, whole: arrived, met all four, its loss
      expect(out.trim().split("\n")).toEqual([`arrived: ${x}`, "met: 4", `loss: ${x}`]);
    }
    expect(res.stdout).toMatch(/^\[\d\] arrived: /m);
  });

  it("stops a batch on Ctrl-C: running trials terminated, nothing further starts", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "slow_trial.py"), "x=[1,2,3,4,5]", "seconds=[3]"], { home });
    const done = collect(child);
    await new Promise<void>((resolve) => child.stdout!.on("data", (d: Buffer) => d.toString().includes("start:") && resolve()));
    child.kill("SIGINT");
    const res = await done;
    expect(res.code).toBe(130);
    const ts = trials(home);
    expect(ts).toHaveLength(1);
    expect(ts[0]!.status).toBe("terminated");
    expect(allRuns(home).find((r) => r.batch === null)!.status).toBe("terminated");
  });
});

describe("which flags reach an argparse script", () => {
  const AUG = join(SCRIPTS, "argparse_aug.py");
  const outputOf = (t: RunJson) => readFileSync(join(t.dir, "output.log"), "utf8");

  it("gives each trial only the searched flag: a store_false switch (--no-aug) is not given unless asked for", () => {
    const home = tempDir();
    const res = g(["run", "-y", "-q", AUG, "--layers", "[1, 2]"], { home });
    expect(res.code, res.stderr).toBe(0);
    const ts = trials(home);
    expect(ts.map((t) => t.flags.layers)).toEqual([1, 2]);
    for (const t of ts) {
      expect(outputOf(t)).toContain("aug=True");
      // The record still shows the script's defaults, for comparison: the switch not given.
      expect(t.flags["no-aug"]).toBe(false);
      expect(t.flags.lr).toBe(0.1);
    }
  });

  it("passes the switch when the user gives it, to a single run and to trials", () => {
    const home = tempDir();
    const res = g(["run", "-y", "-q", AUG, "--no-aug", "--lr", "[0.2, 0.3]"], { home });
    expect(res.code, res.stderr).toBe(0);
    const ts = trials(home);
    expect(ts).toHaveLength(2);
    for (const t of ts) expect(outputOf(t)).toContain("aug=False");
    const single = g(["run", "-y", "-q", AUG, "--lr", "0.5"], { home: tempDir() });
    expect(single.code, single.stderr).toBe(0);
  });

  it("reruns a run in place with the flags its command line had, not its recorded defaults", () => {
    const home = tempDir();
    expect(g(["run", "-y", "-q", AUG, "--lr", "0.5"], { home }).code).toBe(0);
    const again = g(["run", "--restart", "1", "-y", "-q"], { home });
    expect(again.code, again.stderr).toBe(0);
    const [run] = allRuns(home);
    const log = outputOf(run!);
    expect(log.match(/aug=True/g)).toHaveLength(2);
    expect(log).not.toContain("aug=False");
  });
});

describe("Bayesian optimisation", () => {
  it("finds x near -0.29 in 20 gp trials and learns from them on --restart gp", () => {
    const home = tempDir();
    const first = g(["run", "-y", "-q", TRAIN, "x=[-2.0:2.0]", "noise=0", "--optimizer", "bayesian", "--random-seed", "4"], { home });
    expect(first.code, first.stderr).toBe(0);
    const batch = allRuns(home).find((r) => r.batch === null)!;
    expect(batch.op).toBe("gp");
    const before = trials(home);
    expect(before).toHaveLength(20);
    const cmp = g(["compare", "--top", "5", "--min", "loss", "--table"], { home });
    expect(cmp.code, cmp.stderr).toBe(0);
    const best = before
      .map((t) => ({ x: t.flags.x as number, loss: Math.sin(5 * (t.flags.x as number)) * (1 - Math.tanh((t.flags.x as number) ** 2)) }))
      .sort((a, b) => a.loss - b.loss)[0]!;
    expect(Math.abs(best.x - -0.289)).toBeLessThan(0.1);

    const again = g(["run", "--restart", "gp", "-y", "-q"], { home });
    expect(again.code, again.stderr).toBe(0);
    const after = trials(home);
    expect(after).toHaveLength(40);
    expect(after.every((t) => t.batch === batch.id)).toBe(true);
    expect(after.map((t) => t.trial)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const xs = after.map((t) => t.flags.x as number);
    expect(new Set(xs).size).toBe(40);
  });

  it("tells gp the batch's size: end-game changes only the last share of --max-trials", () => {
    const run = (maxTrials: number) => {
      const home = tempDir();
      const args = ["run", "-y", "-q", TRAIN, "x=[-2.0:2.0]", "noise=0", "--optimizer", "gp", "--random-seed", "3"];
      // Five random starts (a single flag gets ten by default, which would leave no model trials to compare).
      const res = g([...args, "--max-trials", String(maxTrials), "--opt-flag", "end-game=0.25", "--opt-flag", "random-starts=5"], { home });
      expect(res.code, res.stderr).toBe(0);
      return trials(home).map((t) => t.flags.x as number);
    };
    const short = run(8);
    const long = run(10);
    // Trials 7 and 8 are the end game of 8 trials; that of 10 is trials 8 to 10 (a quarter of 10, rounded).
    expect(short.slice(0, 6)).toEqual(long.slice(0, 6));
    expect(short[6]).not.toEqual(long[6]);
  });

  it.each(["forest", "gbrt"])("runs a %s batch, learns from it on --restart and shows its settings", (optimizer) => {
    const home = tempDir();
    const args = ["run", "-y", "-q", TRAIN, "x=[-2.0:2.0]", "noise=0", "--optimizer", optimizer, "--max-trials", "8"];
    const first = g([...args, "--opt-flag", "random-starts=3", "--random-seed", "2"], { home });
    expect(first.code, first.stderr).toBe(0);
    const batch = allRuns(home).find((r) => r.batch === null)!;
    expect(batch.op).toBe(optimizer);
    expect(trials(home)).toHaveLength(8);
    const again = g(["run", "--restart", optimizer, "--max-trials", "4", "-y", "-q"], { home });
    expect(again.code, again.stderr).toBe(0);
    const after = trials(home);
    expect(after.map((t) => t.trial)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(new Set(after.map((t) => t.flags.x)).size).toBe(12);
    const help = g(["run", "--help-optimizer", optimizer], { home });
    expect(help.stdout).toMatch(new RegExp(`${optimizer} settings[\\s\\S]*random-starts[\\s\\S]*kappa[\\s\\S]*xi`));
    const bad = g([...args, "--opt-flag", "kappa=-1"], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^g: --opt-flag kappa=-1: expected a number >= 0/);
  });

  it("shows an optimizer's settings with --help-optimizer", () => {
    const res = g(["run", "--help-optimizer", "gp"], { home: tempDir() });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/gp settings/);
    expect(g(["run", "--help-optimizer", "nope"], { home: tempDir() }).code).toBe(2);
  });

  it("rejects --restart of an optimizer that has no batch with exit 3", () => {
    const res = g(["run", "--restart", "tpe", "-y"], { home: tempDir() });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/no tpe batch to restart/);
  });
});

describe("restarts and objectives", () => {
  it("resumes a grid batch stopped by Ctrl-C: the interrupted trial reruns in place, the rest run once", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "slow_trial.py"), "x=[1,2,3,4]"], { home });
    const done = collect(child);
    await new Promise<void>((resolve) => child.stdout!.on("data", (d: Buffer) => d.toString().includes("start:") && resolve()));
    child.kill("SIGINT");
    expect((await done).code).toBe(130);
    const interrupted = trials(home);
    expect(interrupted.map((t) => t.status)).toEqual(["terminated"]);
    const batch = allRuns(home).find((r) => r.batch === null)!;

    const res = g(["run", "--restart", batch.id.slice(0, 8), "-y", "-q"], { home });
    expect(res.code, res.stderr).toBe(0);
    const after = trials(home);
    expect(after.map((t) => [t.trial, t.flags.x, t.status])).toEqual([
      [1, 1, "completed"],
      [2, 2, "completed"],
      [3, 3, "completed"],
      [4, 4, "completed"],
    ]);
    expect(after[0]!.id).toBe(interrupted[0]!.id);
    expect(allRuns(home).find((r) => r.batch === null)!.status).toBe("completed");
  });

  it("reports the best over the whole batch after --restart, not only the new trials", () => {
    const home = tempDir();
    const cwd = tempDir();
    const first = g(
      ["run", "-y", "-q", join(SCRIPTS, "worse_later.py"), "x=[-2.0:2.0]", "--optimizer", "tpe", "--max-trials", "3", "--random-seed", "3"],
      { home, cwd },
    );
    expect(first.code, first.stderr).toBe(0);
    const early = trials(home).map((t) => ({ trial: t.trial!, x: t.flags.x as number }));
    const best = early.sort((a, b) => a.x - b.x)[0]!;
    writeFileSync(join(cwd, "worse"), "");
    const batch = allRuns(home).find((r) => r.batch === null)!;

    const again = g(["run", "--restart", batch.id.slice(0, 8), "--max-trials", "2", "-y", "-q"], { home, cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(trials(home)).toHaveLength(5);
    const summary = again.stderr.trim().split("\n").pop()!;
    expect(summary).toMatch(/2 completed, 0 failed; best loss /);
    expect(summary).toContain(`(trial ${best.trial})`);
    expect(Number(/best loss (\S+)/.exec(summary)![1])).toBeCloseTo(best.x, 4);
  });

  it("warns once when the trials of a gp search print no scalars at all", () => {
    const home = tempDir();
    const work = tempDir();
    writeFileSync(join(work, "quiet.py"), "x = 0.1\nprint('done')\n");
    const res = g(["run", "-y", "-q", join(work, "quiet.py"), "x=[0:1]", "-o", "gp", "--max-trials", "3"], { home, cwd: work });
    expect(res.code, res.stderr).toBe(0);
    const warnings = res.stderr.split("\n").filter((l) => l.includes("logged no scalars"));
    expect(warnings).toEqual([
      'warning: trial 1 logged no scalars, so gp cannot learn from it; print "loss: <value>" from the script, or log loss with the SDK',
    ]);
  });

  it("maximises the column given with --maximize", () => {
    const home = tempDir();
    const res = g(
      [
        "run",
        "-y",
        "-q",
        join(SCRIPTS, "maximize.py"),
        "x=[0:6]",
        "--optimizer",
        "gp",
        "--maximize",
        "accuracy",
        "--max-trials",
        "12",
        "--random-seed",
        "2",
      ],
      { home },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/best accuracy (9\.\d+|10)/);
    // The values are exact, so the noise model finds none, and the best is the highest.
    expect(res.stderr).toContain("no noise found, best by highest value");
    const best = trials(home)
      .map((t) => t.flags.x as number)
      .sort((a, b) => Math.abs(a - 3) - Math.abs(b - 3))[0]!;
    expect(Math.abs(best - 3)).toBeLessThanOrEqual(1);
  });

  it("serves the optimizer protocol through g ask-tell", () => {
    const space = { x: { type: "float", low: -2, high: 2 } };
    const lines = [{ type: "init", protocol: 1, direction: "minimize", space, seed: 1, budget: 3, function: "f" }];
    const input = [...lines, { type: "suggest", trial: 0 }].map((m) => JSON.stringify(m)).join("\n") + "\n";
    const first = spawnSync(process.execPath, [BIN, "ask-tell", "--optimizer", "tpe"], {
      input: input + JSON.stringify({ type: "end" }) + "\n",
      encoding: "utf8",
    });
    expect(first.status, first.stderr).toBe(0);
    const out = first.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; params?: { x: number } });
    expect(out[0]!.type).toBe("ready");
    expect(out[1]!.type).toBe("suggestion");
    expect(Math.abs(out[1]!.params!.x)).toBeLessThanOrEqual(2);
  });
});
