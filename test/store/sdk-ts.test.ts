// The TypeScript SDK (src/sdk): in-process against temporary stores, and as
// the package `g-runs` imported by real Node scripts from examples/sdk
// (compiled once into a temporary node_modules/g-runs).

import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseSweepConfig } from "../../src/flags/sweep-config.js";
import { Experiment, flags, flattenParams } from "../../src/sdk/index.js";
import { RunStore } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";

const ROOT = resolve(import.meta.dirname, "../..");
const EXAMPLES = join(ROOT, "examples/sdk");

let home: string;
let store: RunStore;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "g-sdk-ts-"));
  store = new RunStore(home);
  env = { G_HOME: home };
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function onlyRun(): Run {
  const { runs, warnings } = store.listRuns();
  expect(warnings).toEqual([]);
  expect(runs).toHaveLength(1);
  return runs[0]!;
}

function rows(run: Run): [string, number, number | null][] {
  return store.readScalars(run.id).map((r) => [r.key, r.value, r.step]);
}

describe("Experiment, standalone", () => {
  it("records a completed run with op from the prefix, label, tags, params and messages", async () => {
    const result = await new Experiment({ prefix: "alice/search/lr-0.1", description: "first try", tags: ["grid"], env }).run((exp) => {
      expect(onlyRun().status).toBe("running");
      exp.params.set({ learning_rate: 0.1, optimizer: "sgd" });
      exp.params.set({ batch_size: 32, model: { depth: 3 } });
      exp.log("starting");
      return 42;
    });
    expect(result).toBe(42);
    const run = onlyRun();
    expect(run.status).toBe("completed");
    expect(run.record).toMatchObject({
      op: "alice/search",
      label: "lr-0.1",
      tags: ["grid"],
      description: "first try",
      exit_status: 0,
      flags: { learning_rate: 0.1, optimizer: "sgd", batch_size: 32, "model.depth": 3 },
    });
    expect(existsSync(join(run.dir, "LOCK"))).toBe(false);
    expect(readFileSync(join(run.dir, "output.log"), "utf8")).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO starting\n$/);
  });

  it("records status error with the exception's text when the block throws, and rethrows", async () => {
    const exp = new Experiment({ prefix: "p/fails", env });
    await expect(
      exp.run(async () => {
        exp.metrics.log({ loss: 1e6 });
        throw new RangeError("loss diverged");
      }),
    ).rejects.toThrow("loss diverged");
    const run = onlyRun();
    expect(run.status).toBe("error");
    expect(run.record.exit_status).toBe(1);
    expect(run.record.error).toBe("RangeError: loss diverged");
    // What was buffered before the throw is still written.
    expect(rows(run)).toEqual([["loss", 1e6, 0]]);
  });

  it("refuses writes after the run has finished", async () => {
    const exp = new Experiment({ prefix: "p/done", env });
    await exp.run(() => undefined);
    expect(() => exp.log("late")).toThrow(/has finished; start a new Experiment/);
  });
});

describe("metrics rows", () => {
  it("writes one row per flush with the epoch as its step, as the seed's loop does", async () => {
    await new Experiment({ prefix: "p/rows", env }).run((exp) => {
      for (let epoch = 0; epoch < 3; epoch++) {
        exp.metrics("train").log({ loss: 1 / (epoch + 1), accuracy: 0.5 });
        exp.metrics("val").log({ loss: 2 });
        exp.metrics.log({ epoch }).flush();
      }
    });
    const steps = rows(onlyRun()).map(([key, , step]) => `${key}@${step}`);
    expect(steps).toEqual([
      "train/loss@0",
      "train/accuracy@0",
      "val/loss@0",
      "epoch@0",
      "train/loss@1",
      "train/accuracy@1",
      "val/loss@1",
      "epoch@1",
      "train/loss@2",
      "train/accuracy@2",
      "val/loss@2",
      "epoch@2",
    ]);
  });

  it("numbers rows when no step or epoch is given, and starts a new row when a key repeats", async () => {
    await new Experiment({ prefix: "p/rows", env }).run((exp) => {
      exp.metrics("a")("b").log({ x: 1 });
      exp.metrics("a/b").log({ x: 2 }); // same key: the first row is written first
      exp.metrics.log({ y: 3 }).flush();
      exp.metrics.log({ y: 4, step: 10 }).flush();
      exp.metrics.log({ y: 5 }); // written when the run ends
    });
    expect(rows(onlyRun())).toEqual([
      ["a/b/x", 1, 0],
      ["a/b/x", 2, 1],
      ["y", 3, 1],
      ["y", 4, 10],
      ["y", 5, 3],
    ]);
  });

  it("skips non-finite values, records booleans as 1/0 and rejects text", async () => {
    const exp = new Experiment({ prefix: "p/values", env });
    await exp.run(() => {
      exp.logScalars({ nan: NaN, inf: Infinity, ok: true, big: 7n, step: 2 });
      // 2^60 is a double exactly; 2^60 + 1 is not.
      exp.logScalars({ pow: 2n ** 60n, step: 3 });
      expect(() => exp.logScalars({ odd: 2n ** 60n + 1n })).toThrow(/too large to store exactly/);
      expect(() => exp.metrics.log({ loss: "low" as unknown as number })).toThrow(
        'g-runs: metric "loss" must be a number, got string "low"',
      );
    });
    expect(rows(onlyRun())).toEqual([
      ["ok", 1, 2],
      ["big", 7, 2],
      ["pow", 2 ** 60, 3],
    ]);
  });
});

describe("inside g run (G_RUN_DIR set)", () => {
  it("writes into that run: scalars to it, params to params.json, tags and label to run.json", async () => {
    const run = store.createRun({ op: "train.js", flags: { lr: 0.1 } });
    const inside = { ...env, G_RUN_DIR: run.dir, G_RUN_ID: run.id };
    await new Experiment({ prefix: "alice/x/named", tags: ["sdk"], env: inside }).run((exp) => {
      exp.params.set({ lr: 0.5, layers: [64, 32] });
      exp.metrics.log({ loss: 0.25, step: 4 }).flush();
    });
    expect(JSON.parse(readFileSync(join(run.dir, "params.json"), "utf8"))).toEqual({ lr: 0.5, layers: "[64,32]" });
    const record = store.readRun(run.id).record;
    // Shown while the run goes on; g run's own flags win, and run.json keeps only them.
    expect(record.flags).toEqual({ lr: 0.1, layers: "[64,32]" });
    expect(JSON.parse(readFileSync(join(run.dir, "run.json"), "utf8")).flags).toEqual({ lr: 0.1 });
    expect(record.tags).toEqual(["sdk"]);
    expect(record.label).toBe("named");
    expect(record.stopped).toBeNull(); // the runner ends the run, not the SDK
    expect(rows(store.readRun(run.id))).toEqual([["loss", 0.25, 4]]);
    expect(store.listRuns().runs).toHaveLength(1);
  });

  it("flags() reads G_FLAGS and is {} without it", () => {
    expect(flags({ G_FLAGS: '{"lr":0.1,"opt":"adam"}' })).toEqual({ lr: 0.1, opt: "adam" });
    expect(flags({})).toEqual({});
    expect(flags({ G_FLAGS: "not json" })).toEqual({});
  });

  it("stores a list's numbers as g stores them for the same list in sweep.yaml: 1.0 is 1, 1e-7 is 1e-7", () => {
    const yaml = "program: t.py\nmethod: grid\nparameters:\n  layers: {value: [1.0, 2, 1e-07, 1.0e+21, 0.1]}\n";
    const dim = parseSweepConfig(yaml, "sweep.yaml").space["layers"];
    const sweepText = dim?.type === "const" ? dim.value : undefined;
    expect(sweepText).toBe("[1,2,1e-7,1e+21,0.1]");
    expect(flattenParams({ layers: [1.0, 2, 1e-7, 1.0e21, 0.1] })).toEqual({ layers: sweepText });
  });

  it("flattens nested params into dotted flag names", () => {
    expect(flattenParams({ model: { depth: 3, act: { name: "relu" } }, lr: 0.1, none: undefined })).toEqual({
      "model.depth": 3,
      "model.act.name": "relu",
      lr: 0.1,
      none: null,
    });
  });
});

describe("the package g-runs in Node scripts", () => {
  let pkgRoot: string;

  beforeAll(() => {
    // Compile the SDK (and the store code it reuses) as the package would ship it.
    pkgRoot = mkdtempSync(join(tmpdir(), "g-sdk-pkg-"));
    const pkg = join(pkgRoot, "node_modules", "g-runs");
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const res = spawnSync(
      process.execPath,
      [
        tsc,
        "--outDir",
        join(pkg, "dist"),
        "--rootDir",
        join(ROOT, "src"),
        "--module",
        "NodeNext",
        "--moduleResolution",
        "NodeNext",
        "--target",
        "ES2022",
        "--lib",
        "ES2023",
        "--strict",
        "--skipLibCheck",
        "--types",
        "node",
        join(ROOT, "src/sdk/index.ts"),
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(res.status, res.stdout + res.stderr).toBe(0);
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "g-runs", type: "module", main: "dist/sdk/index.js" }));
    // npm installs the package's dependencies beside it; the SDK locks run folders with proper-lockfile.
    symlinkSync(join(ROOT, "node_modules", "proper-lockfile"), join(pkgRoot, "node_modules", "proper-lockfile"), "dir");
    // ... and its Optimizer draws with seedrandom, as g's optimizers do.
    symlinkSync(join(ROOT, "node_modules", "seedrandom"), join(pkgRoot, "node_modules", "seedrandom"), "dir");
    mkdirSync(join(pkgRoot, "scripts"));
    cpSync(EXAMPLES, join(pkgRoot, "scripts"), { recursive: true });
  });
  afterAll(() => {
    rmSync(pkgRoot, { recursive: true, force: true });
  });

  function nodeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = { ...process.env, G_HOME: home, ...extra };
    for (const name of ["G_RUN_DIR", "G_RUN_ID", "G_FLAGS"]) if (!(name in extra)) delete base[name];
    return base;
  }

  function nodeScript(name: string, extra: Record<string, string> = {}) {
    return spawnSync(process.execPath, [join(pkgRoot, "scripts", name)], { cwd: home, env: nodeEnv(extra), encoding: "utf8" });
  }

  it("runs the seed's Bayesian-optimisation loop with BayesianOptimization over g's gp", () => {
    const res = nodeScript("bayesian-optimization.mjs", { N_TRIALS: "25" });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^best accuracy 0\.9\d{3}\n$/);
    const { runs } = store.listRuns();
    expect(runs.map((r) => r.record.prefix).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `alice/bayes-opt-js/trial-${i}`).sort());
    for (const run of runs) {
      expect(run.status).toBe("completed");
      expect(Object.keys(run.record.flags).sort()).toEqual(["log_lr", "momentum"]);
    }
  });

  it("runs the seed's grid search as 9 runs with params and 10 epochs of metrics", () => {
    const res = nodeScript("grid-search.mjs");
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    const { runs } = store.listRuns();
    expect(runs).toHaveLength(9);
    const combos = runs.map((r) => `${r.record.flags.learning_rate}/${r.record.flags.batch_size}`).sort();
    expect(combos).toEqual(["0.001/16", "0.001/32", "0.001/64", "0.01/16", "0.01/32", "0.01/64", "0.1/16", "0.1/32", "0.1/64"]);
    for (const run of runs) {
      expect(run.status).toBe("completed");
      expect(run.record.op).toBe("alice/hyperparameter-search");
      expect(run.record.sdk).toBe("typescript");
      expect(run.record.flags).toMatchObject({ optimizer: "sgd", epochs: 10 });
      const summary = store.readSummaries(run);
      expect(summary["train/loss"]).toMatchObject({ count: 10, step: 9 });
      expect(summary["epoch"]).toMatchObject({ first: 0, last: 9, count: 10 });
    }
  });

  it("finishes a short-form run at exit: completed, or error after an uncaught exception", () => {
    writeFileSync(
      join(pkgRoot, "scripts", "quick.mjs"),
      'import { log } from "g-runs";\nlog({ loss: 1.5, step: 0 });\nlog({ loss: 0.5, step: 1 });\n',
    );
    writeFileSync(
      join(pkgRoot, "scripts", "crash.mjs"),
      'import { log } from "g-runs";\nlog({ loss: 1.5 });\nthrow new Error("out of memory");\n',
    );
    expect(nodeScript("quick.mjs").status).toBe(0);
    const quick = onlyRun();
    expect(quick.record.op).toBe("quick.mjs");
    expect(quick.status).toBe("completed");
    expect(store.readSummaries(quick)["loss"]).toMatchObject({ first: 1.5, last: 0.5, step: 1 });

    expect(nodeScript("crash.mjs").status).toBe(1);
    const crashed = store.listRuns().runs.find((r) => r.record.op === "crash.mjs")!;
    expect(crashed.status).toBe("error");
    expect(crashed.record.error).toBe("Error: out of memory");
  });

  it("records into the run g made when the script is launched by g run", () => {
    const res = spawnSync(process.execPath, [join(ROOT, "bin/g"), "run", join(pkgRoot, "scripts", "train-in-g-run.mjs"), "lr=0.5"], {
      cwd: home,
      env: nodeEnv({ NO_COLOR: "1" }),
      encoding: "utf8",
    });
    expect(res.status, res.stderr).toBe(0);
    const run = onlyRun();
    expect(run.status).toBe("completed");
    expect(run.record.flags).toEqual({ lr: 0.5, momentum: 0.9 });
    expect(run.record).toMatchObject({ label: "trial", tags: ["sdk"] });
    expect(store.readSummaries(run)["train/loss"]).toMatchObject({ count: 3, step: 2 });
    const log = readFileSync(join(run.dir, "output.log"), "utf8");
    expect(log).toContain('flags from g: {"lr":0.5}\n');
    expect(log.match(/Z INFO hello from g-runs\n/g)).toHaveLength(1);
  });

  it("4 processes of 8 worker threads appending to one g run lose no line and tear none", async () => {
    const THREADS = 8;
    const LINES = 200;
    const run = store.createRun({ op: "many.mjs" });
    const writers = ["a", "b", "c", "d"];
    const codes = await Promise.all(
      writers.map(
        (w) =>
          new Promise<number | null>((done) => {
            const child = spawn(process.execPath, [join(pkgRoot, "scripts", "concurrent-writers.mjs")], {
              cwd: home,
              env: nodeEnv({ G_RUN_DIR: run.dir, G_RUN_ID: run.id, WRITER: w, THREADS: String(THREADS), LINES: String(LINES) }),
              stdio: "ignore",
            });
            child.on("close", done);
          }),
      ),
    );
    expect(codes).toEqual([0, 0, 0, 0]);
    const lines = readFileSync(join(run.dir, "scalars.jsonl"), "utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(writers.length * THREADS * LINES);
    const seen = new Set<string>();
    for (const line of lines) {
      const rec = JSON.parse(line) as { key: string; value: number; step: number };
      expect(rec.value).toBe(rec.step);
      seen.add(`${rec.key}#${rec.value}`);
    }
    expect(seen.size).toBe(lines.length);
  });
});
