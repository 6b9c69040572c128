// The rest of Grid.ai's and Guild's surface, end to end with bin/g and the
// systems' own forms: every numpy distribution as a Grid.ai flag value,
// Guild's -Fo, [LOW:HIGH:INITIAL] and --restart random, and g init's
// project store.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { g, listRunsJson, type RunJson } from "../helpers/g.js";
import { BIN, EXAMPLES, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

const TRAIN = join(EXAMPLES, "train.py");
const MAIN = join(EXAMPLES, "main.py");

afterEach(cleanTempDirs);

function trials(home: string): RunJson[] {
  return listRunsJson(home)
    .filter((r) => r.batch !== null)
    .sort((a, b) => a.trial! - b.trial!);
}

function batchRecord(home: string): Record<string, unknown> {
  const batch = listRunsJson(home).find((r) => r.batch === null && r.op !== "main.py" && r.op !== "train.py")!;
  return JSON.parse(readFileSync(join(batch.dir, "run.json"), "utf8")) as Record<string, unknown>;
}

function expectUsageError(res: { code: number | null; stderr: string }, ...words: string[]): void {
  expect(res.code, res.stderr).toBe(2);
  const lines = res.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith("g: ")).toBe(true);
  for (const w of words) expect(lines[0]).toContain(w);
}

describe("Grid.ai: numpy distributions as flag values", () => {
  it("runs an argparse script over poisson, binomial, choice and gamma draws, whole numbers as integers", () => {
    const home = tempDir();
    const res = g(
      [
        "run",
        "-y",
        "-q",
        "--random-seed",
        "11",
        MAIN,
        "--beta",
        "poisson(3, 2)",
        "--layers",
        "np.random.binomial(n=10, p=0.3, size=2)",
        "--model",
        "choice(['bert', 'resnet50'], 1)",
        "--alpha",
        "gamma(2, 0.01)",
      ],
      { home },
    );
    expect(res.code, res.stderr).toBe(0);
    const ts = trials(home);
    expect(ts).toHaveLength(4);
    // argparse's type=int refuses "3.0": every trial completing shows the integers reached the script as such.
    expect(ts.every((t) => t.status === "completed")).toBe(true);
    for (const t of ts) {
      expect(Number.isInteger(t.flags.beta)).toBe(true);
      expect(Number.isInteger(t.flags.layers) && (t.flags.layers as number) <= 10).toBe(true);
      expect(["bert", "resnet50"]).toContain(t.flags.model);
      expect(t.flags.alpha as number).toBeGreaterThan(0);
    }
  });

  it("draws the same trials for the same seed", () => {
    const args = ["run", "--random-seed", "4", MAIN, "--alpha", "beta(2, 5, 3)", "--layers", "zipf(2, 2)", "--print-trials", "--json"];
    const a = g(args, { home: tempDir() });
    const b = g(args, { home: tempDir() });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout)).toHaveLength(6);
  });

  it("refuses what numpy refuses, and vector draws, with one line and exit 2, making no run", () => {
    const home = tempDir();
    expectUsageError(g(["run", "-y", MAIN, "--alpha", "beta(0, 1, 3)"], { home }), 'flag alpha: "beta(0, 1, 3)"', "numpy requires a > 0");
    expectUsageError(g(["run", "-y", MAIN, "--alpha", "dirichlet([1, 1], 3)"], { home }), "dirichlet", "one value per trial");
    expectUsageError(g(["run", "-y", MAIN, "--alpha", "normal(0, 1, (2, 3))"], { home }), "size is one whole number");
    expect(existsSync(join(home, "runs")) ? readdirSync(join(home, "runs")) : []).toEqual([]);
  });
});

describe("Guild: -Fo, [LOW:HIGH:INITIAL], --restart random", () => {
  it("takes -Fo as --opt-flag, and lists it in g run --help", () => {
    const home = tempDir();
    const res = g(["run", "-y", "-q", TRAIN, "x=[-0.4:-0.2]", "noise=0", "-o", "gp", "--max-trials", "3", "-Fo", "random-starts=2"], {
      home,
    });
    expect(res.code, res.stderr).toBe(0);
    expect(batchRecord(home).optimizer_settings).toMatchObject({ randomStarts: 2 });
    expectUsageError(g(["run", "-y", TRAIN, "x=[-0.4:-0.2]", "-o", "gp", "-Fo", "no-such=1"], { home }), "no-such");
    expect(g(["run", "--help"], { home }).stdout).toMatch(/-Fo, --opt-flag <name=value>/);
  });

  it.each([["random"], ["gp"], ["tpe"]])("starts a %s batch at the initial value of [LOW:HIGH:INITIAL]", (optimizer) => {
    const home = tempDir();
    const res = g(["run", "-y", "-o", optimizer, "--max-trials", "3", TRAIN, "x=[-0.4:-0.2:-0.3]", "noise=[0.0:0.1]"], { home });
    expect(res.code, res.stderr).toBe(0);
    const ts = trials(home);
    expect(ts).toHaveLength(3);
    expect(ts[0]!.flags.x).toBe(-0.3);
    expect(ts.slice(1).some((t) => t.flags.x !== -0.3)).toBe(true);
    expect(res.stderr).toContain("x: uniform float in [-0.4, -0.2], first trial -0.3");
  });

  it("refuses an initial value outside the range", () => {
    expectUsageError(g(["run", "-y", TRAIN, "x=[-0.4:-0.2:0.5]"], { home: tempDir() }), "initial value 0.5", "outside [-0.4, -0.2]");
  });

  it("adds --max-trials new trials to a finished random batch with --restart random, none a repeat", () => {
    const home = tempDir();
    expect(g(["run", "-y", "-q", "--random-seed", "3", TRAIN, "x=[-0.4:-0.2]", "noise=0", "--max-trials", "3"], { home }).code).toBe(0);
    const res = g(["run", "-y", "-q", "--restart", "random", "--max-trials", "2"], { home });
    expect(res.code, res.stderr).toBe(0);
    const ts = trials(home);
    expect(ts.map((t) => t.trial)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(ts.map((t) => t.flags.x)).size).toBe(5);
    expect(ts.every((t) => t.status === "completed" && t.flags.noise === 0)).toBe(true);
    const rec = batchRecord(home);
    expect(rec.restarts).toBe(1);
    expect(rec.points).toHaveLength(5);
    // Again: two more, from the next restart's stream.
    expect(g(["run", "-y", "-q", "--restart", "random", "--max-trials", "2"], { home }).code).toBe(0);
    expect(new Set(trials(home).map((t) => t.flags.x)).size).toBe(7);
    expect(listRunsJson(home).filter((r) => r.batch === null)).toHaveLength(1);
  });

  it("refuses --restart random when a random batch over lists has run every combination", () => {
    const home = tempDir();
    expect(g(["run", "-y", "-q", "-o", "random", TRAIN, "x=[-0.3,-0.2]", "noise=0"], { home }).code).toBe(0);
    expectUsageError(g(["run", "-y", "--restart", "random"], { home }), "every one of its grid's 2 combinations");
  });
});

describe("g init: a project store", () => {
  /** bin/g without G_HOME (unless given), HOME in a temp folder so ~/.g is not the user's. */
  function gHere(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
    const { G_HOME: _ignored, ...rest } = process.env;
    const res = spawnSync(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...rest, NO_COLOR: "1", HOME: userHome, ...env },
      encoding: "utf8",
      input: "",
    });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  }
  let userHome = "";

  it("makes ./.g, and g commands in the folder and below record and read runs there", () => {
    userHome = tempDir();
    const project = tempDir();
    const sub = join(project, "src", "deep");
    mkdirSync(sub, { recursive: true });
    const init = gHere(["init"], project);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain(`made ${join(project, ".g")}`);
    expect(existsSync(join(project, ".g", "runs"))).toBe(true);
    expect(readFileSync(join(project, ".g", ".gitignore"), "utf8")).toContain("*");

    const run = gHere(["run", "-y", "-q", TRAIN, "x=-0.3", "noise=0"], sub);
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(join(project, ".g", "runs"))).toHaveLength(1);
    expect(existsSync(join(userHome, ".g"))).toBe(false);

    const runs = gHere(["runs"], sub);
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stderr).toContain(`store: ${join(project, ".g")} (this project's, from g init)`);
    expect(runs.stdout).toContain("train.py");

    // Idempotent: says so and changes nothing.
    const again = gHere(["init"], project);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("already this project's g store");
    expect(readdirSync(join(project, ".g", "runs"))).toHaveLength(1);
  });

  it("refuses inside the G_HOME store, and in the home folder whose .g is the default store", () => {
    userHome = tempDir();
    const home = tempDir();
    mkdirSync(join(home, "runs"), { recursive: true });
    const inside = gHere(["init"], join(home, "runs"), { G_HOME: home });
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/is inside the g store /);
    expect(existsSync(join(home, "runs", ".g"))).toBe(false);
    mkdirSync(join(userHome, ".g", "runs"), { recursive: true });
    const atHome = gHere(["init"], userHome);
    expect(atHome.code).toBe(2);
    expect(atHome.stderr).toBe(
      `g: ${join(userHome, ".g")} is g's default store (for runs outside any project), not a project's; run g init in a project folder\n`,
    );
  });

  it("refuses inside a store's own folders, and lets G_HOME win (g runs says so)", () => {
    userHome = tempDir();
    const project = tempDir();
    expect(gHere(["init"], project).code).toBe(0);
    const inside = gHere(["init"], join(project, ".g", "runs"));
    expectUsageError(inside, "inside the g store", join(project, ".g"));

    const elsewhere = tempDir();
    const withHome = gHere(["init"], tempDir(), { G_HOME: elsewhere });
    expect(withHome.code).toBe(0);
    expect(withHome.stderr).toContain("G_HOME is set");
    const runs = gHere(["runs"], project, { G_HOME: elsewhere });
    expect(runs.code).toBe(0);
    expect(runs.stderr).toContain(`store: ${elsewhere} (G_HOME; not this project's ${join(project, ".g")})`);
    expect(gHere(["run", "-y", "-q", TRAIN, "noise=0"], project, { G_HOME: elsewhere }).code).toBe(0);
    expect(readdirSync(join(elsewhere, "runs"))).toHaveLength(1);
    expect(readdirSync(join(project, ".g", "runs"))).toHaveLength(0);
  });

  it("is where a standalone SDK experiment in the project records, as the W&B/ml_dash scripts run", () => {
    userHome = tempDir();
    const project = tempDir();
    expect(gHere(["init"], project).code).toBe(0);
    const script = [
      "from g_runs import Experiment",
      "with Experiment(prefix='alice/search/lr0.1').run as experiment:",
      "    experiment.params.set(learning_rate=0.1)",
      "    experiment.metrics('train').log(loss=0.5)",
    ].join("\n");
    const { G_HOME: _ignored, ...rest } = process.env;
    const py = spawnSync("python3", ["-c", script], {
      cwd: project,
      env: { ...rest, HOME: userHome, PYTHONPATH: join(ROOT, "src", "sdk", "python"), PYTHONDONTWRITEBYTECODE: "1" },
      encoding: "utf8",
    });
    expect(py.status, py.stderr).toBe(0);
    expect(readdirSync(join(project, ".g", "runs"))).toHaveLength(1);
    expect(existsSync(join(userHome, ".g"))).toBe(false);
  });
});
