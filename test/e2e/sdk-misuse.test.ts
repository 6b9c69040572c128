// SDK misuse is refused with a clear error in both languages (issue 12,
// item 8): writing to a run that has ended, a step that is not a whole
// number, params JSON cannot hold. Nothing is dropped or stored silently.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Experiment, log } from "../../src/sdk/index.js";
import { RunStore } from "../../src/store/store.js";
import { g } from "../helpers/g.js";
import { ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

const SDK_DIR = join(ROOT, "src", "sdk", "python");

afterEach(cleanTempDirs);

function scalarLines(dir: string): string[] {
  const path = join(dir, "scalars.jsonl");
  return existsSync(path) ? readFileSync(path, "utf8").trim().split("\n").filter(Boolean) : [];
}

/** Runs Python code against a fresh store; each `check(label, fn)` prints what fn raised. */
function python(home: string, body: string): Record<string, string> {
  const script = join(home, "misuse.py");
  const prelude = [
    "import math, g_runs as g",
    "from g_runs import Experiment",
    "def check(label, fn):",
    "    try:",
    "        fn()",
    "    except Exception as e:",
    "        print(label + '\\t' + type(e).__name__ + ': ' + str(e))",
    "    else:",
    "        print(label + '\\tno error')",
  ];
  writeFileSync(script, [...prelude, body].join("\n") + "\n");
  const env: NodeJS.ProcessEnv = { ...process.env, G_HOME: home, PYTHONPATH: SDK_DIR };
  for (const name of ["G_RUN_DIR", "G_RUN_ID", "G_FLAGS"]) delete env[name];
  const res = spawnSync("python3", [script], { cwd: home, env, encoding: "utf8" });
  expect(res.status, res.stderr).toBe(0);
  return Object.fromEntries(
    res.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("\t") as [string, string]),
  );
}

describe("Python SDK misuse", () => {
  it("raises on every write after the run ended, and nothing more is recorded", () => {
    const home = tempDir();
    const out = python(
      home,
      [
        "e = Experiment(prefix='p/ended')",
        "with e.run as x:",
        "    x.metrics.log(loss=1.0).flush()",
        "check('metrics.log', lambda: e.metrics.log(loss=2.0))",
        "check('metrics ns log', lambda: e.metrics('train').log(loss=2.0))",
        "check('flush', lambda: e.metrics.flush())",
        "check('log_scalars', lambda: e.log_scalars({'loss': 2.0}))",
        "check('log nan only', lambda: e.log_scalars({'loss': math.nan}))",
        "check('message', lambda: e.log('late'))",
        "check('params', lambda: e.params.set(lr=0.1))",
        "check('start', lambda: e.run.start())",
      ].join("\n"),
    );
    for (const label of ["metrics.log", "metrics ns log", "flush", "log_scalars", "log nan only", "message", "params", "start"]) {
      expect(out[label], label).toMatch(/^RuntimeError: g_runs: run [0-9a-f]{32} has finished; start a new Experiment/);
    }
    const [run] = new RunStore(home).listRuns().runs;
    expect(scalarLines(run!.dir)).toHaveLength(1);
    expect(run!.record.flags).toEqual({});
  });

  it("raises for a step that is not a whole number, in g.log, log_scalars and metrics.log", () => {
    const home = tempDir();
    const out = python(
      home,
      [
        "check('g.log text', lambda: g.log(loss=1, step='x'))",
        "check('g.log bool', lambda: g.log(loss=1, step=True))",
        "check('g.log fraction', lambda: g.log(loss=1, step=1.5))",
        "check('g.log nan', lambda: g.log(loss=1, step=math.nan))",
        "check('g.log whole float', lambda: g.log(loss=1, step=2.0))",
        "e = Experiment(prefix='p/steps')",
        "with e.run as x:",
        "    check('metrics.log text', lambda: x.metrics.log(loss=1, step='3'))",
        "    check('log_scalars text', lambda: x.log_scalars({'loss': 1}, step='3'))",
        "    check('metric text', lambda: x.metrics('train').log(loss='low'))",
        "    check('metric none', lambda: x.metrics.log(loss=None))",
      ].join("\n"),
    );
    expect(out["g.log text"]).toBe("TypeError: g_runs: step must be a whole number, got str 'x'");
    expect(out["g.log bool"]).toBe("TypeError: g_runs: step must be a whole number, got bool True");
    expect(out["g.log fraction"]).toMatch(/^TypeError: g_runs: step must be a whole number, got 1\.5/);
    expect(out["g.log nan"]).toMatch(/^TypeError: g_runs: step must be a whole number/);
    expect(out["g.log whole float"]).toBe("no error");
    expect(out["metrics.log text"]).toMatch(/^TypeError: g_runs: step must be a whole number, got str '3'/);
    expect(out["log_scalars text"]).toMatch(/^TypeError: g_runs: step must be a whole number/);
    // A bad value is reported by the log() that was given it, not by a later flush.
    expect(out["metric text"]).toBe("TypeError: g_runs: metric 'train/loss' must be a number, got str 'low'");
    expect(out["metric none"]).toMatch(/^TypeError: g_runs: metric 'loss' must be a number/);
    const lines = new RunStore(home).listRuns().runs.flatMap((r) => scalarLines(r.dir).map((l) => JSON.parse(l) as { step: unknown }));
    expect(lines.map((l) => l.step)).toEqual([2]);
  });

  it("raises for params JSON cannot hold instead of storing their text", () => {
    const home = tempDir();
    const out = python(
      home,
      [
        "e = Experiment(prefix='p/params')",
        "with e.run as x:",
        "    check('function', lambda: x.params.set(fn=print))",
        "    check('object', lambda: x.params.set(obj=object()))",
        "    check('nan', lambda: x.params.set(lr=math.nan))",
        "    check('inf in list', lambda: x.params.set(lrs=[0.1, math.inf]))",
        "    check('set in list', lambda: x.params.set(sizes=[{1, 2}]))",
        "    check('too big', lambda: x.params.set(seed=2**53 + 1))",
        "    check('good', lambda: x.params.set(lr=0.1, layers=[1, 2], model={'depth': 3}, note=None, big=2**60))",
      ].join("\n"),
    );
    // g reads a flag as a double: 2**53 + 1 would read back 2**53 (the TypeScript SDK refuses it too); 2**60 is exact.
    expect(out["too big"]).toBe(
      "ValueError: g_runs: param 'seed' is 9007199254740993, too large to store exactly; pass str(value) to record its digits",
    );
    expect(out["function"]).toMatch(
      /^TypeError: g_runs: param 'fn' must be text, a number, a boolean, None, a list or a dict, got builtin_function_or_method/,
    );
    expect(out["object"]).toMatch(/^TypeError: g_runs: param 'obj' must be/);
    expect(out["nan"]).toMatch(/^ValueError: g_runs: param 'lr' is nan; flags hold finite numbers/);
    expect(out["inf in list"]).toMatch(/^ValueError: g_runs: param 'lrs' holds inf/);
    expect(out["set in list"]).toMatch(/^TypeError: g_runs: param 'sizes' holds a value of type set/);
    expect(out["good"]).toBe("no error");
    const [run] = new RunStore(home).listRuns().runs;
    expect(run!.record.flags).toEqual({ lr: 0.1, layers: "[1,2]", "model.depth": 3, note: null, big: 2 ** 60 });
  });

  it("records a list param as the JSON text the TypeScript SDK records, so the two compare equal", async () => {
    const home = tempDir();
    python(home, "with Experiment(prefix='p/py').run as x:\n    x.params.set(layers=[64, 32], mix=('é', [True, None], {'k': 0.5}))");
    await new Experiment({ prefix: "p/ts", env: { G_HOME: home } }).run(
      (x) => void x.params.set({ layers: [64, 32], mix: ["é", [true, null], { k: 0.5 }] }),
    );
    const flags = Object.fromEntries(new RunStore(home).listRuns().runs.map((r) => [r.record.label, r.record.flags]));
    expect(flags["py"]).toEqual({ layers: "[64,32]", mix: '["é",[true,null],{"k":0.5}]' });
    expect(flags["py"]).toEqual(flags["ts"]);
  });
  it("records the numbers of a list param as g and the TypeScript SDK write them: 1.0 is 1", async () => {
    const home = tempDir();
    // Doubles of every size, from their bits (a fixed LCG): each is written by both SDKs and compared.
    const doubles = seededDoubles(2000);
    writeFileSync(join(home, "doubles.json"), JSON.stringify(doubles));
    python(
      home,
      [
        "import json",
        "doubles = [float(v) for v in json.load(open('doubles.json'))]",
        "with Experiment(prefix='p/py').run as x:",
        "    x.params.set(layers=[1.0, 2], small=[1e-07, 1e-06, 0.1], big=(1e21, 1e20, 2.0**64), zero=[-0.0], doubles=doubles,",
        "                 keyed=[{'b': 1.5, '2': 2.0, '10': 3, '01': 4}])",
      ].join("\n"),
    );
    await new Experiment({ prefix: "p/ts", env: { G_HOME: home } }).run(
      (x) =>
        void x.params.set({
          layers: [1, 2],
          small: [1e-7, 1e-6, 0.1],
          big: [1e21, 1e20, 2 ** 64],
          zero: [-0],
          doubles,
          keyed: [{ b: 1.5, "2": 2, "10": 3, "01": 4 }],
        }),
    );
    const flags = Object.fromEntries(new RunStore(home).listRuns().runs.map((r) => [r.record.label, r.record.flags]));
    expect(flags["py"]!["layers"]).toBe("[1,2]");
    expect(flags["py"]!["small"]).toBe("[1e-7,0.000001,0.1]");
    expect(flags["py"]!["big"]).toBe("[1e+21,100000000000000000000,18446744073709552000]");
    expect(flags["py"]!["zero"]).toBe("[0]");
    expect(flags["py"]!["keyed"]).toBe('[{"2":2,"10":3,"b":1.5,"01":4}]');
    expect(flags["py"]).toEqual(flags["ts"]);
    // So g compare takes them for one value.
    const res = g(["compare", "--json", "--filter", '=layers = "[1,2]"', "-c", "=layers"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as unknown[]).length).toBe(2);
  });
});

/** `n` finite doubles spread over every exponent, made from random bits by a fixed LCG. */
function seededDoubles(n: number): number[] {
  const bits = new Uint32Array(2);
  const asDouble = new Float64Array(bits.buffer);
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  const out: number[] = [];
  while (out.length < n) {
    bits[0] = next();
    bits[1] = next();
    if (Number.isFinite(asDouble[0])) out.push(asDouble[0]!);
  }
  return out;
}

describe("TypeScript SDK misuse", () => {
  it("throws on every write after the run ended, and nothing more is recorded", async () => {
    const home = tempDir();
    const exp = new Experiment({ prefix: "p/ended", env: { G_HOME: home } });
    await exp.run((x) => void x.metrics.log({ loss: 1 }).flush());
    const ended = /^g-runs: run [0-9a-f]{32} has finished; start a new Experiment/;
    expect(() => exp.metrics.log({ loss: 2 })).toThrow(ended);
    expect(() => exp.metrics("train").log({ loss: 2 })).toThrow(ended);
    expect(() => exp.metrics.flush()).toThrow(ended);
    expect(() => exp.logScalars({ loss: 2 })).toThrow(ended);
    expect(() => exp.logScalars({ loss: NaN })).toThrow(ended);
    expect(() => exp.log("late")).toThrow(ended);
    expect(() => exp.params.set({ lr: 0.1 })).toThrow(ended);
    await expect(exp.run(() => undefined)).rejects.toThrow(ended);
    const [run] = new RunStore(home).listRuns().runs;
    expect(scalarLines(run!.dir)).toHaveLength(1);
    expect(run!.record.flags).toEqual({});
  });

  it("throws for a step that is not a whole number", async () => {
    const home = tempDir();
    const exp = new Experiment({ prefix: "p/steps", env: { G_HOME: home } });
    await exp.run((x) => {
      const bad = (step: unknown) => ({ loss: 1, step }) as unknown as Parameters<typeof x.logScalars>[0];
      expect(() => x.logScalars(bad("x"))).toThrow('g-runs: step must be a whole number, got string "x"');
      expect(() => x.logScalars(bad("3"))).toThrow('g-runs: step must be a whole number, got string "3"');
      expect(() => x.logScalars(bad(true))).toThrow("g-runs: step must be a whole number, got boolean true");
      expect(() => x.metrics.log(bad(1.5))).toThrow("g-runs: step must be a whole number, got 1.5");
      expect(() => x.metrics.log(bad(NaN))).toThrow("g-runs: step must be a whole number, got NaN");
      expect(() => log(bad("x"))).toThrow(/step must be a whole number/);
      x.logScalars({ loss: 1, step: 2 });
    });
    const [run] = new RunStore(home).listRuns().runs;
    expect(scalarLines(run!.dir).map((l) => (JSON.parse(l) as { step: unknown }).step)).toEqual([2]);
  });

  it("throws for params JSON cannot hold instead of storing their text", async () => {
    const home = tempDir();
    const exp = new Experiment({ prefix: "p/params", env: { G_HOME: home } });
    await exp.run((x) => {
      expect(() => x.params.set({ fn: () => 1 })).toThrow(
        /^g-runs: param "fn" must be text, a number, a boolean, null, an array or a plain object, got a function/,
      );
      expect(() => x.params.set({ when: new Date(0) })).toThrow(/param "when" must be .* got an object of type Date/);
      expect(() => x.params.set({ lr: NaN })).toThrow(/param "lr" is NaN; flags hold finite numbers/);
      expect(() => x.params.set({ lrs: [0.1, Infinity] })).toThrow(/param "lrs" holds Infinity/);
      expect(() => x.params.set({ sizes: [new Map()] })).toThrow(/param "sizes" holds an object of type Map/);
      expect(() => x.params.set({ big: 2n ** 64n + 1n })).toThrow(/too large/);
      x.params.set({ lr: 0.1, layers: [1, 2], model: { depth: 3 }, note: null });
    });
    const [run] = new RunStore(home).listRuns().runs;
    expect(run!.record.flags).toEqual({ lr: 0.1, layers: "[1,2]", "model.depth": 3, note: null });
  });
});
