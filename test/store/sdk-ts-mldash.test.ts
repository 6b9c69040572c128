// ml_dash's Experiment API in the TypeScript SDK (src/sdk): files, leveled
// logs, metrics append/read/stats/buffer, the run manager, mlDashExperiment,
// and the Optimizer over g's ask-tell session, in process against
// temporary stores read back with g's RunStore.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BayesianOptimization, Experiment, Optimizer, mlDashExperiment } from "../../src/sdk/index.js";
import { RunStore } from "../../src/store/store.js";
import { AskTellSession } from "../../src/trials/ask-tell-session.js";
import type { Run } from "../../src/store/types.js";

let home: string;
let store: RunStore;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "g-sdk-mldash-"));
  store = new RunStore(home);
  env = { G_HOME: home };
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function runs(): Run[] {
  const { runs, warnings } = store.listRuns();
  expect(warnings).toEqual([]);
  return runs;
}

describe("files", () => {
  it("uploads, saves, lists, downloads, updates and deletes files in the run's files/ folder", async () => {
    const source = join(home, "model.pt");
    writeFileSync(source, "weights");
    await new Experiment({ prefix: "alice/p/files", env }).run((exp) => {
      const saved = exp.files("models").upload(source, { description: "best", tags: ["best"] });
      expect(saved).toMatchObject({ path: "models", filename: "model.pt", sizeBytes: 7, description: "best" });
      exp.files("configs").saveJson({ lr: 0.1 }, { to: "config.json" });
      exp.files.saveText("a: 1\n", { to: "configs/view.yaml" });
      exp.files("data").saveBlob(Buffer.from([0, 1, 2]), { to: "data.bin" });
      expect(exp.files.list().map((f) => f.filename)).toEqual(["model.pt", "config.json", "view.yaml", "data.bin"]);
      expect(
        exp
          .files("configs")
          .list("*.json")
          .map((f) => f.filename),
      ).toEqual(["config.json"]);
      expect(exp.files("configs/config.json").readText()).toBe('{\n  "lr": 0.1\n}');
      const copy = join(home, "copy.pt");
      expect(exp.files("models/model.pt").download(undefined, { to: copy })).toBe(copy);
      expect(readFileSync(copy, "utf8")).toBe("weights");
      expect(exp.files({ fileId: saved.id, tags: ["best", "v1"] }).update().tags).toEqual(["best", "v1"]);
      expect(exp.files.delete("data/*.bin")).toHaveLength(1);
      expect(exp.files("data/data.bin").exists()).toBe(false);
      expect(() => exp.files("../x").saveText("t", { to: "f.txt" })).toThrow(/leaves the run's files\/ folder/);
      expect(() => exp.files("nope.txt").download()).toThrow(/file not found: nope.txt/);
    });
    const [run] = runs();
    expect(store.readSdkFiles(run!).map((f) => `${f.path}/${f.filename}`)).toEqual([
      "models/model.pt",
      "configs/config.json",
      "configs/view.yaml",
    ]);
    expect(readFileSync(join(run!.dir, "files/models/model.pt"), "utf8")).toBe("weights");
  });
});

describe("logs", () => {
  it("writes levels and metadata to logs.jsonl and output.log, and refuses an unknown level", async () => {
    await new Experiment({ prefix: "alice/p/logs", env }).run((exp) => {
      exp.log("started");
      exp.log("low memory", "warning", { free_gb: 1.5 });
      exp.logs.error("failed", { code: 5 });
      expect(() => exp.log("x", "verbose")).toThrow('g-runs: invalid log level "verbose"; use one of debug, info, warn, error, fatal');
    });
    const [run] = runs();
    expect(store.summarizeSdkLogs(run!)).toEqual({ count: 3, levels: { info: 1, warn: 1, error: 1 } });
    const output = readFileSync(join(run!.dir, "output.log"), "utf8");
    expect(output).toMatch(/ WARN low memory \{"free_gb":1\.5\}\n/);
    expect(output).toMatch(/ ERROR failed \{"code":5\}\n/);
  });
});

describe("metrics", () => {
  it("append, appendBatch, the nested log form, read, stats and the buffer's summaries", async () => {
    await new Experiment({ prefix: "alice/p/metrics", env }).run((exp) => {
      exp.metrics("train_loss").append({ value: 0.5, step: 100 });
      exp.metrics.append("train_loss", { value: 0.4, epoch: 2 });
      exp.metrics("lr").appendBatch([{ value: 0.1 }, { value: 0.05 }]);
      exp.metrics.log({ epoch: 3, train: { loss: 0.2, accuracy: 0.9 } }).flush();
      for (const v of [1, 2, 3, 4]) exp.metrics("batch").buffer({ loss: v });
      exp.metrics.buffer.logSummary("mean", "p50", "count");
      exp.metrics.flush();
      expect(
        exp
          .metrics("train_loss")
          .read()
          .data.map((p) => p.data),
      ).toEqual([
        { step: 100, value: 0.5 },
        { step: 2, value: 0.4, epoch: 2 },
      ]);
      expect(exp.metrics("train_loss").stats().totalDataPoints).toBe(2);
      expect(exp.metrics("lr").read(1, 5)).toMatchObject({ startIndex: 1, endIndex: 1, total: 1, hasMore: false });
      expect(() => exp.metrics.buffer.logSummary("mode" as "mean")).toThrow(/unknown aggregation "mode"/);
    });
    const [run] = runs();
    const rows = store.readScalars(run!.id).map((r) => [r.key, r.value, r.step]);
    expect(rows).toEqual([
      ["train_loss", 0.5, 100],
      ["train_loss", 0.4, 2],
      ["train_loss/epoch", 2, 2],
      ["lr", 0.1, 0],
      ["lr", 0.05, 1],
      ["epoch", 3, 3],
      ["train/loss", 0.2, 3],
      ["train/accuracy", 0.9, 3],
      ["batch/loss.mean", 2.5, 1],
      ["batch/loss.p50", 2.5, 1],
      ["batch/loss.count", 4, 1],
    ]);
  });
});

describe("the run manager, decorator and options", () => {
  it("run.start/cancel ends terminated; mlDashExperiment runs each call as a new experiment; localPath is the store", async () => {
    const exp = new Experiment({ prefix: "alice/p/cancelled", localPath: home, env: {} });
    exp.run.start();
    exp.run.cancel();
    const train = mlDashExperiment({ prefix: "alice/p/decorated", dashRoot: home, env: {} })(async (experiment, lr: number) => {
      experiment.params.set({ lr, model: { depth: 3 } });
      expect(experiment.params.get(false)).toEqual({ lr, model: { depth: 3 } });
      return lr * 2;
    });
    expect(await train(0.5)).toBe(1);
    const all = runs();
    expect(all.map((r) => [r.record.label, r.status])).toEqual([
      ["decorated", "completed"],
      ["cancelled", "terminated"],
    ]);
    expect(() => new Experiment({ prefix: "a/b/c", dashUrl: "https://api.dash.ml" })).toThrow(/dashUrl selects ml_dash's remote server/);
  });
});

describe("tracks", () => {
  it("appends per topic with ml_dash's _ts rules, merges one timestamp, reads, slices, and counts for g runs info", async () => {
    let runId = "";
    await new Experiment({ prefix: "alice/robotics/multi-modal", env }).run((experiment) => {
      runId = experiment.id!;
      for (let step = 0; step < 4; step++) {
        experiment.tracks("robot/pose").append({ position: [step, 2, 3], joints: { q: new Float32Array([0.5, 0.25]) }, _ts: 10 + step });
        experiment.tracks("camera/left").append({ width: 640, height: 480, _ts: -1 });
      }
      experiment.tracks("multi-sensor").append({ temperature: 25.0, _ts: 12345.67 });
      experiment.tracks("multi-sensor").append({ pressure: 1013.0, _ts: -1 });
      experiment.tracks("sensors/temperature").append({ value: 21.5 });
      experiment.tracks("sensors/temperature").append({ value: 21.6 });
      experiment.tracks("robot/pose").append({ position: [0, 0, 0], _ts: 100 });
      experiment.metrics("train").log({ loss: 0.5, _ts: -1 }).flush();
      experiment.tracks.flush();
      expect(experiment.tracks("multi-sensor").read()).toEqual({
        entries: [{ timestamp: 12345.67, temperature: 25, pressure: 1013 }],
        count: 1,
      });
      const trajectory = experiment.tracks("robot/pose").slice(10, 30);
      expect(trajectory.length).toBe(4);
      expect([...trajectory].map((e) => e["joints.q"])).toEqual(Array(4).fill([0.5, 0.25]));
      expect(trajectory.findByTime(11.5).timestamp).toBe(11);
      expect(trajectory.findByTime([10, 12.9, 99]).map((e) => e.timestamp)).toEqual([10, 12, 13]);
      expect(() => trajectory.findByTime(9)).toThrow(/no entry of track "robot\/pose" at or before 9; the first is at 10/);
      expect(experiment.tracks("camera/left").read({ startTimestamp: 12, columns: ["width"] }).entries).toEqual([
        { timestamp: 12, width: 640 },
        { timestamp: 13, width: 640 },
      ]);
      expect(new TextDecoder().decode(experiment.tracks("camera/left").read({ endTimestamp: 10, format: "jsonl" }))).toBe(
        '{"timestamp":10,"width":640,"height":480}',
      );
      expect(experiment.tracks("sensors/temperature").listEntries()).toHaveLength(2);
      expect(experiment.metrics("train").read().data[0]!.createdAt).toBe(100);
      expect(() => experiment.tracks("x").append({ v: new Date() })).toThrow(/track field "v" must be JSON data/);
      expect(() => experiment.tracks("x").append({ v: 1, _ts: Number.NaN })).toThrow(/_ts must be seconds since the epoch or -1/);
      expect(() => experiment.tracks("x").read({ format: "parquet" as "json" })).toThrow(/track format "parquet" is not supported/);
    });
    const run = runs().find((r) => r.id === runId)!;
    expect(store.summarizeTracks(run)).toEqual({ "robot/pose": 5, "camera/left": 4, "multi-sensor": 1, "sensors/temperature": 2 });
    const ended = new Experiment({ prefix: "a/b/c", env });
    ended.run.start();
    ended.run.complete();
    expect(() => ended.tracks("robot/pose").append({ x: 1 })).toThrow(/has finished/);
    expect(() => ended.tracks.flush()).toThrow(/has finished/);
    expect(ended.tracks("robot/pose").read()).toEqual({ entries: [], count: 0 });
  });
});

describe("prefix templates and dxp", () => {
  it("expands {EXP.name}, {EXP.id}, {EXP.date}, {now:...} and {job_counter} as ml_dash does", async () => {
    const exp = new Experiment({ prefix: "test/project/my-experiment", env });
    exp.run.prefix = "iclr_2024/{EXP.name}";
    expect([exp.run.prefix, exp.run.name, exp.run.owner, exp.run.project]).toEqual([
      "iclr_2024/my-experiment",
      "my-experiment",
      "iclr_2024",
      "my-experiment",
    ]);
    const exp2 = new Experiment({ prefix: "test/project/my-experiment", env });
    exp2.run.prefix = "iclr_2024/{EXP.name}.{EXP.id}";
    expect(exp2.run.prefix).toBe(`iclr_2024/my-experiment.${exp2.run.id}`);
    expect(String(exp2.run.id)).toMatch(/^\d{17,19}$/);
    const fixed = new Date(2026, 2, 1, 12, 0, 0);
    const exp3 = new Experiment({ prefix: "test/project/experiment", now: fixed, env });
    exp3.run.prefix = "{EXP.name}.{EXP.date}";
    expect(exp3.run.prefix).toBe("experiment.20260301");
    const dated = new Experiment({ prefix: "tom/proj/{now:%Y-%m-%d}/{job_counter:03d}", now: fixed, jobCounter: 5, env });
    await dated.run(() => dated.params.set({ lr: 0.1 }));
    expect(runs().map((r) => [r.record.op, r.record.label])).toEqual([["tom/proj/2026-03-01", "005"]]);
    const deflt = new Experiment({
      prefix: "{project}/{now:%Y/%m-%d}/{path_stem}/{job_name}",
      user: "alice",
      now: fixed,
      pathStem: "exps/train",
      jobCounter: 1,
      env,
    });
    expect(deflt.prefix).toBe("alice/scratch/2026/03-01/exps/train/12.00.00/001");
    expect(() => (exp.run.prefix = "x/{EXP.invalid_var}")).toThrow(/RUN has no attribute 'invalid_var'/);
    expect(() => new Experiment({ prefix: "a/b/{nope}", env })).toThrow(/prefix template: unknown field \{nope\}/);
    expect(() => (dated.run.prefix = "x/y")).toThrow(/cannot change the prefix after the run has started/);
  });

  it("dxp is an experiment under ml_dash's default prefix, not started on import", async () => {
    const before = runs().length;
    const { dxp } = await import("../../src/sdk/auto-start.js");
    expect(runs()).toHaveLength(before);
    expect(dxp.prefix).toMatch(/^[^/]+\/scratch\/\d{4}\/\d\d-\d\d\/.+\/\d\d\.\d\d\.\d\d\/\d{3}$/);
    expect(dxp.isFinished).toBe(false);
  });
});

describe("Optimizer", () => {
  it("suggests what g ask-tell's session suggests for the same seed and observations", async () => {
    const space = { x: [0, 1] as const, y: { choices: ["a", "b"] } };
    const optimizer = new Optimizer(space, { optimizer: "tpe", seed: 7 });
    const session = await AskTellSession.start({
      optimizer: "tpe",
      space: { x: { type: "uniform", low: 0, high: 1 }, y: { type: "choice", values: ["a", "b"] } },
      direction: "minimize",
      seed: "7",
    });
    for (let i = 0; i < 12; i++) {
      const mine = await optimizer.suggest();
      expect(mine).toEqual(session.suggest());
      const value = ((mine.x as number) - 0.3) ** 2 + (mine.y === "b" ? 0 : 0.5);
      await optimizer.register(mine, value);
      session.observe(mine, value);
    }
    expect(optimizer.res).toHaveLength(12);
    expect(optimizer.max!.target).toBe(Math.min(...optimizer.res.map((r) => r.target!)));
  });

  it("BayesianOptimization maximises with gp, and a bad space or observation is one clear error", async () => {
    const optimizer = new BayesianOptimization({ pbounds: { x: [-2, 2] }, randomState: 1 });
    for (let i = 0; i < 8; i++) {
      const p = await optimizer.suggest();
      await optimizer.register(p, -(((p.x as number) - 1) ** 2));
    }
    expect(optimizer.max!.target).toBeGreaterThan(-1);
    expect(() => new Optimizer({ x: [2, 1] })).toThrow('g-runs: optimizer space: parameter "x": "low" 2 is above "high" 1');
    await expect(optimizer.register({ y: 1 }, 0)).rejects.toThrow(/g-runs: register\(\)/);
  });
});
