// The Python SDK (src/sdk/python/g_runs) end to end: the seed's scripts from
// examples/sdk run with python3 against a temporary G_HOME, then the store is
// read back with g's own RunStore (the code `g compare` reads through).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";

const ROOT = resolve(import.meta.dirname, "../..");
const G_BIN = join(ROOT, "bin/g");
const SDK_DIR = join(ROOT, "src/sdk/python");
const EXAMPLES = join(ROOT, "examples/sdk");

let home: string;
let store: RunStore;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "g-sdk-py-"));
  store = new RunStore(home);
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function pyEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, G_HOME: home, PYTHONPATH: SDK_DIR, PYTHONDONTWRITEBYTECODE: "1", ...extra };
  for (const name of ["G_RUN_DIR", "G_RUN_ID", "G_FLAGS"]) if (!(name in extra)) delete env[name];
  return env;
}

function python(args: string[], extra: Record<string, string> = {}) {
  return spawnSync("python3", args, { cwd: home, env: pyEnv(extra), encoding: "utf8" });
}

function pythonAsync(args: string[], extra: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn("python3", args, { cwd: home, env: pyEnv(extra) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** Runs bin/g (built by `npm run build`) against the test's store. */
function g(args: string[], cwd = home) {
  return spawnSync(process.execPath, [G_BIN, ...args], { cwd, env: pyEnv({ NO_COLOR: "1" }), encoding: "utf8" });
}

function runs(): Run[] {
  const { runs, warnings } = store.listRuns();
  expect(warnings).toEqual([]);
  return runs;
}

function scalarSteps(run: Run, key: string): (number | null)[] {
  return store
    .readScalars(run.id)
    .filter((r) => r.key === key)
    .map((r) => r.step);
}

describe("the seed's grid search with g_runs", () => {
  it("records 9 completed runs with their params, tags and 10 epochs of metrics each", () => {
    const res = python([join(EXAMPLES, "grid_search.py")]);
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toContain("Hyperparameter Search Complete!");

    const all = runs();
    expect(all).toHaveLength(9);
    const combos = all.map((r) => `${r.record.flags.learning_rate}/${r.record.flags.batch_size}`).sort();
    expect(combos).toEqual(["0.001/16", "0.001/32", "0.001/64", "0.01/16", "0.01/32", "0.01/64", "0.1/16", "0.1/32", "0.1/64"]);
    for (const run of all) {
      const { record } = run;
      const lr = record.flags.learning_rate;
      const bs = record.flags.batch_size;
      expect(run.status).toBe("completed");
      expect(record.op).toBe("alice/hyperparameter-search");
      expect(record.label).toBe(`search-lr${lr}-bs${bs}`);
      expect(record.tags).toEqual(["grid-search", `lr-${lr}`, `bs-${bs}`]);
      expect(record.flags).toEqual({ learning_rate: lr, batch_size: bs, optimizer: "sgd", epochs: 10 });
      expect(record.description).toBe(`Grid search: lr=${lr}, batch_size=${bs}`);
      expect(record.exit_status).toBe(0);
      expect(existsSync(join(run.dir, "LOCK"))).toBe(false);

      // One row per epoch, each written with the epoch as its step.
      const epochs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
      expect(scalarSteps(run, "train/loss")).toEqual(epochs);
      expect(scalarSteps(run, "train/accuracy")).toEqual(epochs);
      expect(scalarSteps(run, "epoch")).toEqual(epochs);
      const summary = store.readSummaries(run);
      expect(summary["train/accuracy"]!.last).toBeCloseTo(Math.min(0.95, 0.5 + 9 * 0.05 * (32 / Number(bs))), 10);
      expect(summary["epoch"]).toMatchObject({ first: 0, last: 9, count: 10 });

      const log = readFileSync(join(run.dir, "output.log"), "utf8").trimEnd().split("\n");
      expect(log).toHaveLength(2);
      expect(log[0]).toMatch(
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO Starting training with lr=${lr}, bs=${bs}$`),
      );
      expect(log[1]).toMatch(/ INFO Final accuracy: 0\.\d{4}$/);
    }

    // What `g compare --json` shows for them.
    const compare = g(["compare", "--json"]);
    expect(compare.stderr).toBe("");
    const rows = JSON.parse(compare.stdout) as {
      op: string;
      status: string;
      flags: Record<string, unknown>;
      scalars: Record<string, { count: number; step: number | null }>;
    }[];
    expect(rows).toHaveLength(9);
    for (const row of rows) {
      expect(row).toMatchObject({ op: "alice/hyperparameter-search", status: "completed", flags: { optimizer: "sgd", epochs: 10 } });
      expect(row.scalars["train/loss"]).toMatchObject({ count: 10, step: 9 });
      expect(row.scalars["train/accuracy"]).toMatchObject({ count: 10, step: 9 });
    }
  });
});

describe("inside g run", () => {
  it("imports g_runs without installing it and records into the run g made", () => {
    const res = g(["run", join(EXAMPLES, "train_in_g_run.py"), "lr=0.5"]);
    expect(res.status, res.stderr).toBe(0);
    const [run, ...rest] = runs();
    expect(rest).toEqual([]);
    expect(run!.status).toBe("completed");
    // g's flag wins over the SDK's param of the same name; the others are merged in.
    expect(run!.record.flags).toEqual({ lr: 0.5, momentum: 0.9 });
    expect(run!.record.label).toBe("trial");
    expect(run!.record.tags).toEqual(["sdk"]);
    expect(scalarSteps(run!, "train/loss")).toEqual([0, 1, 2]);
    expect(store.readSummaries(run!)["train/loss"]!.last).toBeCloseTo(0.5 / 3, 12);
    const log = readFileSync(join(run!.dir, "output.log"), "utf8");
    expect(log).toContain("flags from g: {'lr': 0.5}\n");
    expect(log.match(/Z INFO hello from g_runs\n/g)).toHaveLength(1);
  });
});

describe("the seed's variations", () => {
  it("random search records one run per trial with sampled params", () => {
    const res = python([join(EXAMPLES, "random_search.py")], { N_TRIALS: "5" });
    expect(res.status).toBe(0);
    const all = runs();
    expect(all.map((r) => r.record.label).sort()).toEqual(["random-0", "random-1", "random-2", "random-3", "random-4"]);
    for (const run of all) {
      expect(run.record.op).toBe("alice/random-search");
      const lr = Number(run.record.flags.learning_rate);
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(0.1);
      expect([16, 32, 64, 128]).toContain(run.record.flags.batch_size);
      expect(scalarSteps(run, "train/loss")).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it("an optimizer loop records its trials in order, each with the params it suggested", () => {
    const res = python([join(EXAMPLES, "optimizer_loop.py")], { N_TRIALS: "6", SEED: "3" });
    expect(res.status).toBe(0);
    const all = runs();
    expect(all).toHaveLength(6);
    const byTrial = [...all].sort((a, b) => a.record.label.localeCompare(b.record.label));
    expect(byTrial.map((r) => r.record.label)).toEqual(["trial-0", "trial-1", "trial-2", "trial-3", "trial-4", "trial-5"]);
    for (const run of byTrial) {
      const { log_lr, momentum, learning_rate } = run.record.flags as Record<string, number>;
      expect(learning_rate).toBeCloseTo(10 ** log_lr!, 12);
      const expected = 0.95 - 0.1 * (log_lr! + 2.5) ** 2 - (momentum! - 0.9) ** 2;
      expect(store.readSummaries(run)["val/accuracy"]).toMatchObject({ count: 3, step: 2 });
      expect(store.readSummaries(run)["val/accuracy"]!.last).toBeCloseTo(expected, 10);
    }
    // Trials start in order: each run is created after the one before it ended.
    for (let i = 1; i < byTrial.length; i++) {
      expect(byTrial[i]!.record.started! >= byTrial[i - 1]!.record.stopped!).toBe(true);
    }
  });
});

describe("the Optimizer client keeps its history", () => {
  // Two optimizers with one seed see the same trials; `a` meets trouble, `b` does not. Every later proposal must agree.
  const TWINS = [
    "import os, signal, sys",
    "from g_runs import Optimizer",
    "space = {'x': (0, 1), 'n': {'type': 'int', 'low': 1, 'high': 8}, 'c': ['a', 'b', 3]}",
    "a = Optimizer(space, optimizer=sys.argv[1], seed=4, budget=14)",
    "b = Optimizer(space, optimizer=sys.argv[1], seed=4, budget=14)",
    "f = lambda p: (p['x'] - 0.3) ** 2 + (p['n'] - 5) ** 2 / 10 + (p['c'] == 'b')",
    "def trial():",
    "    pa, pb = a.suggest(), b.suggest()",
    "    a.register(pa, f(pa)); b.register(pb, f(pb))",
    "    return pa == pb",
    "same = [trial() for _ in range(6)]",
  ];

  it("refuses params outside the space with a ValueError before they reach g ask-tell", () => {
    const script = [
      ...TWINS,
      "good = {'x': 0.5, 'n': 2, 'c': 'a'}",
      "for bad in [dict(good, x=1.0000001), dict(good, x='0.5'), dict(good, x=True), dict(good, n=2.5), dict(good, n=9),",
      "            dict(good, c='d'), dict(good, c=True), dict(good, y=1), {'x': 0.5, 'n': 2}]:",
      "    try:",
      "        a.register(bad, 1.0)",
      "    except ValueError as e:",
      "        print(e)",
      "a.register(dict(good, x=1 + 1e-12, n=2.0, c=3.0), 1.0); b.register({'x': 1, 'n': 2, 'c': 3}, 1.0)",
      "same += [trial() for _ in range(4)]",
      "print(all(same), len(same), len(a.res))",
    ].join("\n");
    const res = python(["-c", script, "gp"]);
    expect(res.stderr).toBe("");
    expect(res.stdout.trimEnd().split("\n")).toEqual([
      'g_runs: register(): param "x" 1.0000001 is outside [0, 1]',
      'g_runs: register(): param "x" must be a number, got "0.5"',
      'g_runs: register(): param "x" must be a number, got true',
      'g_runs: register(): param "n" must be a whole number, got 2.5',
      'g_runs: register(): param "n" 9 is outside [1, 8]',
      'g_runs: register(): param "c" is "d", not one of ["a","b",3]',
      'g_runs: register(): param "c" is true, not one of ["a","b",3]',
      'g_runs: register(): "params" has "y", which is not in the space (x, n, c)',
      'g_runs: register(): "params" lacks "c"',
      "True 10 11",
    ]);
  }, 120_000);

  it.each(["gp", "tpe", "random"])(
    "%s: a killed g ask-tell is restarted where it stood: its state resumed, every trial told, a pending suggestion counted",
    (name) => {
      const script = [
        ...TWINS,
        "a.suggest(); b.suggest()  # pending: suggested, never registered",
        "os.kill(a._proc.pid, signal.SIGKILL); a._proc.wait()",
        "try:",
        "    a.suggest()",
        "except RuntimeError as e:",
        "    print(e)",
        "same += [trial() for _ in range(3)]",
        "a.close()  # closed, then used again: the same continuation",
        "same += [trial() for _ in range(3)]",
        "print(all(same), len(same), len(a.res))",
      ].join("\n");
      const res = python(["-c", script, name]);
      expect(res.stderr).toBe("");
      expect(res.stdout).toBe("g_runs: the optimizer stopped: g ask-tell was killed by SIGKILL\nTrue 12 12\n");
    },
    120_000,
  );

  it("brings a new child to where the last stood with one resume and one tell, never a past suggestion again", () => {
    // g ask-tell behind a shell that logs every line a client sends it, a file per child.
    const logs = join(home, "sent");
    mkdirSync(logs);
    const wrapper = join(home, "g-logged");
    writeFileSync(wrapper, `#!/bin/sh\ntee "${logs}/$$.jsonl" | '${process.execPath}' '${G_BIN}' "$@"\n`, { mode: 0o755 });
    const script = [
      ...TWINS,
      "a.suggest(); b.suggest()  # pending: suggested, never registered",
      "a.close()",
      "same += [trial() for _ in range(2)]",
      "print(all(same), len(same), len(a.res))",
    ].join("\n");
    const res = python(["-c", script, "gp"], { G_BIN: wrapper });
    expect(res.stderr).toBe("");
    expect(res.stdout).toBe("True 8 8\n");
    // Three children: a's first, b's, and a's second, the one resumed.
    const children = readdirSync(logs).map((name) =>
      readFileSync(join(logs, name), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; observations?: unknown[] }),
    );
    expect(children).toHaveLength(3);
    const resumed = children.filter((sent) => sent[1]?.type === "resume");
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.map((m) => m.type)).toEqual(["init", "resume", "tell", "suggest", "observe", "suggest", "observe", "end"]);
    expect(resumed[0]![2]!.observations).toHaveLength(6);
  }, 120_000);
});

describe("a block that raises", () => {
  it("records status error with the exception and lets the exception through", () => {
    const res = python([join(EXAMPLES, "failing_run.py")]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("ValueError: loss diverged");
    const [run, ...rest] = runs();
    expect(rest).toEqual([]);
    expect(run!.status).toBe("error");
    expect(run!.record.exit_status).toBe(1);
    expect(run!.record.error).toBe("ValueError: loss diverged");
    expect(run!.record.stopped).not.toBeNull();
    expect(run!.record.flags).toEqual({ learning_rate: 10 });
    expect(existsSync(join(run!.dir, "LOCK"))).toBe(false);
  });

  it("records the status sys.exit asked for, and terminated for Ctrl-C", () => {
    const script = join(home, "exits.py");
    writeFileSync(
      script,
      "import sys\nfrom g_runs import Experiment\nwith Experiment(prefix='p/' + sys.argv[1]).run:\n    if sys.argv[1] == 'int':\n        raise KeyboardInterrupt\n    sys.exit(int(sys.argv[1]))\n",
    );
    expect(python([script, "0"]).status).toBe(0);
    expect(python([script, "3"]).status).toBe(3);
    python([script, "int"]);
    const byOp = Object.fromEntries(runs().map((r) => [r.record.prefix, r]));
    expect(byOp["p/0"]).toMatchObject({ status: "completed", record: { exit_status: 0 } });
    expect(byOp["p/0"]!.record.error).toBeUndefined();
    expect(byOp["p/3"]).toMatchObject({ status: "error", record: { exit_status: 3, error: "SystemExit: 3" } });
    expect(byOp["p/int"]).toMatchObject({ status: "terminated", record: { exit_status: 130, terminated: true } });
  });

  it("reads as running while the block runs and as error when the process is killed", async () => {
    const script = join(home, "hang.py");
    writeFileSync(
      script,
      "import sys, time\nfrom g_runs import Experiment\nwith Experiment(prefix='p/hang').run:\n    print('ready', flush=True)\n    time.sleep(60)\n",
    );
    const child = spawn("python3", [script], { cwd: home, env: pyEnv() });
    await new Promise<void>((ready) => child.stdout.once("data", () => ready()));
    expect(runs()[0]!.status).toBe("running");
    const lock = JSON.parse(readFileSync(join(runs()[0]!.dir, "LOCK"), "utf8")) as { pid: number; host: string };
    expect(lock.pid).toBe(child.pid);
    child.kill("SIGKILL");
    await new Promise((gone) => child.on("close", gone));
    expect(runs()[0]!.status).toBe("error");
  });
});

describe("short forms", () => {
  it("g.log and g.flags write into the g run named by G_RUN_DIR, params into params.json", () => {
    const run = store.createRun({ op: "train.py", flags: { lr: 0.1 }, label: "" });
    const script = join(home, "train.py");
    writeFileSync(
      script,
      [
        "import json, g_runs as g",
        "print(json.dumps(g.flags()))",
        "g.log(loss=0.5, acc=True, step=3)",
        "g.log(loss=0.25)",
        "with g.Experiment(prefix='alice/inside/named', tags=['sdk']).run as exp:",
        "    exp.params.set(lr=0.5, model={'depth': 3, 'act': 'relu'})",
        "    exp.log('hello from the sdk')",
        "",
      ].join("\n"),
    );
    const res = python([script], { G_RUN_DIR: run.dir, G_RUN_ID: run.id, G_FLAGS: JSON.stringify({ lr: 0.1 }) });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    const [flagsLine, messageLine] = res.stdout.trimEnd().split("\n");
    expect(JSON.parse(flagsLine!)).toEqual({ lr: 0.1 });
    // Inside g run the runner tees stdout into output.log, so messages go there.
    expect(messageLine).toMatch(/Z INFO hello from the sdk$/);

    expect(store.readScalars(run.id).map(({ key, value, step }) => ({ key, value, step }))).toEqual([
      { key: "loss", value: 0.5, step: 3 },
      { key: "acc", value: 1, step: 3 },
      { key: "loss", value: 0.25, step: null },
    ]);
    expect(JSON.parse(readFileSync(join(run.dir, "params.json"), "utf8"))).toEqual({ lr: 0.5, "model.depth": 3, "model.act": "relu" });
    const record = store.readRun(run.id).record;
    // Shown while the run goes on, g run's own flags winning; run.json itself is left to the runner.
    expect(record.flags).toEqual({ lr: 0.1, "model.depth": 3, "model.act": "relu" });
    expect(JSON.parse(readFileSync(join(run.dir, "run.json"), "utf8")).flags).toEqual({ lr: 0.1 });
    expect(record.tags).toEqual(["sdk"]);
    expect(record.label).toBe("named");
    expect(store.listRuns().runs).toHaveLength(1); // no standalone run was made
  });

  it("g.log outside g run creates a run named after the script, completed at exit", () => {
    const script = join(home, "quick.py");
    writeFileSync(script, "import g_runs as g\nprint(g.flags())\ng.log(loss=1.5, step=0)\ng.log(loss=0.5, step=1)\n");
    const res = python([script]);
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe("{}");
    const [run] = runs();
    expect(run!.record.op).toBe("quick.py");
    expect(run!.status).toBe("completed");
    expect(store.readSummaries(run!)["loss"]).toMatchObject({ first: 1.5, last: 0.5, step: 1 });
  });

  it("an uncaught exception after g.log outside g run leaves the run in error", () => {
    const script = join(home, "crash.py");
    writeFileSync(script, "import g_runs as g\ng.log(loss=1.5)\nraise RuntimeError('out of memory')\n");
    expect(python([script]).status).toBe(1);
    const [run] = runs();
    expect(run!.status).toBe("error");
    expect(run!.record.error).toBe("RuntimeError: out of memory");
  });

  it("rejects a metric that is not a number with one clear message", () => {
    const script = join(home, "bad.py");
    writeFileSync(script, "import g_runs as g\ng.log(loss='low')\n");
    const res = python([script]);
    expect(res.status).toBe(1);
    expect(res.stderr.trimEnd().split("\n").pop()).toBe("TypeError: g_runs: metric 'loss' must be a number, got str 'low'");
  });
});

describe("concurrent writers", () => {
  const THREADS = 8;
  const LINES = 200;

  function expectIntactScalars(runId: string, writers: string[]) {
    const text = readFileSync(join(store.runDir(runId), "scalars.jsonl"), "utf8");
    const lines = text.split("\n");
    expect(lines.pop()).toBe(""); // ends with a whole line
    expect(lines).toHaveLength(writers.length * THREADS * LINES);
    const seen = new Set<string>();
    for (const line of lines) {
      const rec = JSON.parse(line) as { key: string; value: number; step: number };
      expect(rec.value).toBe(rec.step);
      seen.add(`${rec.key}#${rec.value}`);
    }
    expect(seen.size).toBe(lines.length);
  }

  it("4 processes of 8 threads appending to one g run lose no line and tear none", async () => {
    const run = store.createRun({ op: "many.py" });
    const writers = ["a", "b", "c", "d"];
    const results = await Promise.all(
      writers.map((w) =>
        pythonAsync([join(EXAMPLES, "concurrent_writers.py")], {
          G_RUN_DIR: run.dir,
          G_RUN_ID: run.id,
          WRITER: w,
          THREADS: String(THREADS),
          LINES: String(LINES),
        }),
      ),
    );
    for (const r of results) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      // Messages go to stdout inside g run; each one arrives whole.
      const out = r.stdout.trimEnd().split("\n");
      expect(out).toHaveLength(THREADS * LINES);
      for (const line of out) expect(line).toMatch(/Z INFO writer [a-d] thread \d line \d+ x{120}$/);
    }
    expectIntactScalars(run.id, writers);
  });

  it("8 threads of a standalone run append whole lines to scalars.jsonl and output.log", () => {
    const res = python([join(EXAMPLES, "concurrent_writers.py")], { WRITER: "solo", THREADS: String(THREADS), LINES: String(LINES) });
    expect(res.stderr).toBe("");
    const [run] = runs();
    expect(run!.status).toBe("completed");
    expectIntactScalars(run!.id, ["solo"]);
    const log = readFileSync(join(run!.dir, "output.log"), "utf8").trimEnd().split("\n");
    expect(log).toHaveLength(THREADS * LINES);
    expect(new Set(log.map((l) => l.replace(/^\S+ /, ""))).size).toBe(THREADS * LINES);
  });
});

describe("the run-directory lock", () => {
  // A lock entry and the `.lock.break` beside it, both aged past the 10 s stale
  // line or fresh, as another waiter would leave them; then DirLock with a short
  // timeout says whether it took the lock over.
  const TRY_LOCK = `
import os, sys, time
from g_runs._files import DirLock
d = sys.argv[1]
def age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t), follow_symlinks=False)
try:
    with DirLock(d, timeout=0.5):
        print("taken", os.path.isdir(os.path.join(d, ".lock")), os.path.lexists(os.path.join(d, ".lock.break")))
except TimeoutError:
    print("timeout")
`;

  function lockWith(setup: string): string {
    const dir = join(home, "run");
    rmSync(dir, { recursive: true, force: true });
    const script = TRY_LOCK.replace("try:\n    with", `${setup}\ntry:\n    with`);
    const r = python(["-c", script, dir], {});
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  }

  it("takes over a stale lock (g's brief-lock symlink or a directory) and leaves no .lock.break behind", () => {
    const brief = 'os.makedirs(d); os.symlink(".", os.path.join(d, ".lock")); age(os.path.join(d, ".lock"), 30)';
    expect(lockWith(brief)).toBe("taken True False");
    const directory = 'os.makedirs(d); os.mkdir(os.path.join(d, ".lock")); age(os.path.join(d, ".lock"), 30)';
    expect(lockWith(directory)).toBe("taken True False");
  });

  it("leaves a stale lock to the waiter holding .lock.break, and takes it once .lock.break is stale too", () => {
    const held =
      'os.makedirs(d); os.symlink(".", os.path.join(d, ".lock")); age(os.path.join(d, ".lock"), 30); os.symlink(".", os.path.join(d, ".lock.break"))';
    expect(lockWith(held)).toBe("timeout");
    const abandoned = `${held}; age(os.path.join(d, ".lock.break"), 30)`;
    expect(lockWith(abandoned)).toBe("taken True False");
  });

  it("does not remove a fresh lock that replaced the stale one it saw", () => {
    const dir = join(home, "run2");
    const r = python(
      [
        "-c",
        `
import os, sys, time
from g_runs._files import DirLock
d = sys.argv[1]
os.makedirs(d)
lock = DirLock(d)
os.mkdir(lock.path)
t = time.time() - 30
os.utime(lock.path, (t, t))
seen = lock._stale_entry()
os.rmdir(lock.path)
os.symlink(".", lock.path)   # another waiter took it over and holds it now
lock._remove_stale(seen)
print(os.path.islink(lock.path), os.path.lexists(lock.path + ".break"))
`,
        dir,
      ],
      {},
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("True False");
  });
});

describe("installing", () => {
  it("pip installs the package offline, without network or build dependencies", () => {
    const target = join(home, "site");
    const res = spawnSync(
      "python3",
      ["-m", "pip", "install", "--no-index", "--no-build-isolation", "--disable-pip-version-check", "--target", target, SDK_DIR],
      {
        cwd: home,
        encoding: "utf8",
        env: { ...process.env, PIP_NO_INPUT: "1", PYTHONDONTWRITEBYTECODE: "1" },
      },
    );
    expect(res.status, res.stderr).toBe(0);
    const check = spawnSync("python3", ["-c", "import g_runs, os; print(os.path.dirname(g_runs.__file__))"], {
      cwd: home,
      encoding: "utf8",
      env: { ...process.env, PYTHONPATH: target },
    });
    expect(check.stdout.trim()).toBe(join(target, "g_runs"));
  });
});
