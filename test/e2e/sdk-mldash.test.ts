// ml_dash's Experiment API through the Python SDK, end to end, in ml_dash's own
// code form (examples/sdk: the API tour, the seed's Bayesian-optimisation
// variation): real python3 scripts against a temporary G_HOME, read back with
// bin/g (`g runs info`, `g runs --prefix`, `g compare --prefix`).

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const G_BIN = join(ROOT, "bin/g");
const SDK_DIR = join(ROOT, "src/sdk/python");
const EXAMPLES = join(ROOT, "examples/sdk");

let home: string;
let work: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "g-mldash-"));
  home = join(work, "store");
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, G_HOME: home, PYTHONPATH: SDK_DIR, PYTHONDONTWRITEBYTECODE: "1", NO_COLOR: "1", ...extra };
  for (const name of ["G_RUN_DIR", "G_RUN_ID", "G_FLAGS"]) delete e[name];
  return e;
}

function python(args: string[]) {
  return spawnSync("python3", args, { cwd: work, env: env(), encoding: "utf8", timeout: 300_000 });
}

function g(args: string[]) {
  return spawnSync(process.execPath, [G_BIN, ...args], { cwd: work, env: env(), encoding: "utf8", timeout: 120_000 });
}

function gJson<T>(args: string[]): T {
  const res = g(args);
  expect(res.stderr).toBe("");
  expect(res.status).toBe(0);
  return JSON.parse(res.stdout) as T;
}

interface InfoJson {
  id: string;
  status: string;
  label: string;
  flags: Record<string, unknown>;
  description: string | null;
  artifacts: Array<{ path: string; filename: string; sizeBytes: number; description: string | null; tags: string[] }>;
  logs: { count: number; levels: Record<string, number> };
  scalars: Record<string, { last: number; count: number }>;
  tracks: Record<string, number>;
}

describe("ml_dash's Experiment API (examples/sdk/ml_dash_tour.py)", () => {
  it("records params, leveled logs, metrics, files, decorators and a cancelled run; g runs info shows them", () => {
    const res = python([join(EXAMPLES, "ml_dash_tour.py"), home]);
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toContain("train points: 4\n");
    expect(res.stdout).toContain("train_loss points: 2\n");
    expect(res.stdout).toContain("listed: ['config.json', 'data.bin', 'model.pt', 'results.pkl', 'view.yaml']\n");
    expect(res.stdout).toContain("configs: ['config.json']\n");
    expect(res.stdout).toContain("downloaded: copy.pt True\n");
    expect(res.stdout).toContain("exists: True False\n");
    expect(res.stdout).toContain("decorator: done\nml_dash_experiment: done\n");
    expect(readFileSync(join(work, "by-id.pt"))).toEqual(Buffer.from("\x00weights\x01", "latin1"));

    const list = gJson<Array<{ label: string; status: string }>>(["runs", "--json", "--prefix", "alice/tour"]);
    expect(list.map((r) => [r.label, r.status])).toEqual([
      ["cancelled", "terminated"],
      ["decorated-2", "completed"],
      ["decorated", "completed"],
      ["resnet-baseline", "completed"],
    ]);

    const info = gJson<InfoJson>(["runs", "info", "4", "--json"]);
    expect(info.description).toBe("ResNet baseline, every API call once");
    expect(info.flags).toEqual({ "model.architecture": "resnet50", "model.layers": 50, "optimizer.lr": 0.001, batch_size: 64 });
    expect(info.logs).toEqual({ count: 4, levels: { info: 2, warn: 1, error: 1 } });
    expect(info.artifacts.map((a) => `${a.path}/${a.filename}`)).toEqual([
      "models/model.pt",
      "configs/config.json",
      "configs/view.yaml",
      "data/results.pkl",
    ]);
    expect(info.artifacts[0]).toMatchObject({ sizeBytes: 9, description: "Best model checkpoint", tags: ["best", "v1"] });
    expect(info.scalars["train_loss"]).toMatchObject({ last: 0.4, count: 2 });
    expect(info.scalars["eval/accuracy"]).toMatchObject({ last: 0.8 });
    expect(info.scalars["batch/loss.mean"]!.last).toBeCloseTo(0.15);

    const text = g(["runs", "info", "4"]).stdout;
    expect(text).toContain("prefix:    alice/tour/resnet-baseline\n");
    expect(text).toContain("logs:      4 (info 2, warn 1, error 1)\n");
    expect(text).toContain("artifacts:\n  files/models/model.pt (9 B) Best model checkpoint [best, v1]\n");
    const record = JSON.parse(readFileSync(join(home, "runs", info.id, "run.json"), "utf8")) as Record<string, unknown>;
    expect(record).toMatchObject({ bindrs: ["team-a"], metadata: { gpu: "a100" } });
    const logs = readFileSync(join(home, "runs", info.id, "logs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    expect(logs[1]).toMatchObject({ level: "warn", message: "GPU memory low", metadata: { free_gb: 1.5 } });
    expect(logs[3]).toMatchObject({ level: "error", message: "Failed to load checkpoint", metadata: { path: "/ckpt/last.pt" } });
  });

  it("refuses what g cannot do or ml_dash does not define, with one clear line", () => {
    const cases: Array<[string, RegExp]> = [
      ['Experiment(prefix="a/b/c", dash_url="https://api.dash.ml")', /ValueError: g_runs: dash_url= selects ml_dash's remote server/],
      [
        'Experiment(prefix="a/b/c").run.start().log("x", level="verbose")',
        /ValueError: g_runs: invalid log level 'verbose'; use one of debug, info, warn, error, fatal/,
      ],
      ['Experiment(prefix="a/b/c").run.start().metrics.buffer.log_summary("mode")', /ValueError: g_runs: unknown aggregation 'mode'/],
      [
        'Experiment(prefix="a/b/c").run.start().files("../x").save_text("t", to="f.txt")',
        /ValueError: g_runs: file path .* leaves the run's files\/ folder/,
      ],
      ['Experiment(prefix="a/b/c").run.start().files("nope.txt").download()', /ValueError: g_runs: file not found: nope.txt/],
      ['Experiment(prefix="a/b/c", job_id="x")', /TypeError: .*unexpected keyword argument 'job_id'/],
      ['Experiment(prefix="a/b/{nope}")', /KeyError: 'nope'/],
      ['Experiment(prefix="a/b/c").run.prefix = "x/{EXP.invalid_var}"', /AttributeError: RUN has no attribute 'invalid_var'/],
      [
        'e = Experiment(prefix="a/b/c")\nwith e.run:\n    e.run.prefix = "x/y"',
        /RuntimeError: g_runs: cannot change the prefix after the run has started/,
      ],
      [
        'Experiment(prefix="a/b/c").tracks("robot/pos").read(format="parquet")',
        /ValueError: g_runs: track format 'parquet' is not supported; use one of json, jsonl/,
      ],
      [
        'Experiment(prefix="a/b/c").tracks("robot/pos").append(x=1.0, _ts="now")',
        /TypeError: g_runs: _ts must be seconds since the epoch or -1/,
      ],
      ['Experiment(prefix="a/b/c").tracks("robot/pos").append(x=object())', /TypeError: g_runs: a track field must be JSON data/],
    ];
    for (const [code, message] of cases) {
      const res = python(["-c", `from g_runs import Experiment\n${code}`]);
      expect(res.status, code).toBe(1);
      expect(res.stderr.trim().split("\n").pop(), code).toMatch(message);
    }
  });
});

describe("ml_dash's Track API (its guide's code form)", () => {
  it("appends timestamped entries per topic, merges one timestamp, reads, slices; g runs info counts them", () => {
    writeFileSync(
      join(work, "robot.py"),
      [
        "from g_runs import Experiment",
        "",
        "with Experiment(prefix='alice/robotics/multi-modal').run as experiment:",
        "    for step in range(4):",
        "        experiment.tracks('robot/pose').append(position=[1.0 * step, 2.0, 3.0], _ts=10.0 + step)",
        "        experiment.tracks('camera/left').append(width=640, height=480, _ts=-1)",
        "        experiment.tracks('robot/velocity').append(linear=[0.1, 0.0, 0.0], _ts=-1)",
        "    experiment.tracks('multi-sensor').append(temperature=25.0, _ts=12345.67)",
        "    experiment.tracks('multi-sensor').append(pressure=1013.0, _ts=-1)",
        "    experiment.tracks('multi-sensor').append(humidity=60.0, _ts=-1)",
        "    experiment.tracks('sensors/temperature').append(value=21.5)",
        "    experiment.tracks('sensors/temperature').append(value=21.6)",
        "    experiment.tracks('robot/pose').append(position=[0, 0, 0], _ts=100.0)",
        "    experiment.metrics('train').log(loss=0.5, _ts=-1)",
        "    experiment.metrics.flush()",
        "    experiment.tracks.flush()",
        "    print('merged:', experiment.tracks('multi-sensor').read())",
        "    trajectory = experiment.tracks('robot/pose').slice(10.0, 30.0)",
        "    print('slice:', len(trajectory), [e['position'][0] for e in trajectory])",
        "    print('floor:', trajectory.findByTime(11.5)['timestamp'], [e['timestamp'] for e in trajectory.findByTime([10.0, 12.9, 99.0])])",
        "    try:",
        "        trajectory.findByTime(9.0)",
        "    except KeyError as e:",
        "        print('before first:', type(e).__name__)",
        "    print('columns:', experiment.tracks('camera/left').read(start_timestamp=12.0, columns=['width']))",
        "    print('jsonl:', experiment.tracks('robot/velocity').read(end_timestamp=10.0, format='jsonl'))",
        "    print('auto:', len(experiment.tracks('sensors/temperature').list_entries()))",
        "    print('metric at:', experiment.metrics('train').read()['data'][0]['createdAt'])",
        "print('after the run:', experiment.tracks('robot/pose').read()['count'])",
        "",
      ].join("\n"),
    );
    const res = python(["robot.py"]);
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(
      "merged: {'entries': [{'timestamp': 12345.67, 'temperature': 25.0, 'pressure': 1013.0, 'humidity': 60.0}], 'count': 1}\n",
    );
    expect(res.stdout).toContain("slice: 4 [0.0, 1.0, 2.0, 3.0]\n");
    expect(res.stdout).toContain("floor: 11.0 [10.0, 12.0, 13.0]\n");
    expect(res.stdout).toContain("before first: KeyError\n");
    expect(res.stdout).toContain(
      "columns: {'entries': [{'timestamp': 12.0, 'width': 640}, {'timestamp': 13.0, 'width': 640}], 'count': 2}\n",
    );
    expect(res.stdout).toContain(`jsonl: b'{"timestamp": 10.0, "linear": [0.1, 0.0, 0.0]}'\n`);
    expect(res.stdout).toContain("auto: 2\n");
    expect(res.stdout).toContain("metric at: 100.0\n");
    expect(res.stdout).toContain("after the run: 5\n");

    const info = g(["runs", "info", "1"]);
    expect(info.stderr).toBe("");
    expect(info.stdout).toContain("tracks:    robot/pose 5, camera/left 4, robot/velocity 4, multi-sensor 1, sensors/temperature 2\n");
    const json = gJson<InfoJson>(["runs", "info", "1", "--json"]);
    expect(json.tracks).toEqual({ "robot/pose": 5, "camera/left": 4, "robot/velocity": 4, "multi-sensor": 1, "sensors/temperature": 2 });
    const lines = readFileSync(join(home, "runs", json.id, "tracks.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(lines).toHaveLength(18);
    expect(JSON.parse(lines[0]!)).toEqual({ topic: "robot/pose", timestamp: 10, data: { position: [0, 2, 3] } });
  });
});

describe("ml_dash's prefix templates and the dxp singleton", () => {
  it("expands {EXP.name}, {EXP.id}, {EXP.date}, {now:...} and {job_counter} as ml_dash does", () => {
    writeFileSync(
      join(work, "templates.py"),
      [
        "from datetime import datetime",
        "from g_runs import Experiment",
        "",
        "exp = Experiment(prefix='test/project/my-experiment')",
        "exp.run.prefix = 'iclr_2024/{EXP.name}'",
        "print('name:', exp.run.prefix, exp.run.name)",
        "exp2 = Experiment(prefix='test/project/my-experiment')",
        "exp2.run.prefix = 'iclr_2024/{EXP.name}.{EXP.id}'",
        "print('id:', exp2.run.prefix.split('.')[1] == str(exp2.run.id), exp2.run.prefix.split('.')[1].isdigit())",
        "exp3 = Experiment(prefix='test/project/experiment')",
        "exp3.run.prefix = '{EXP.name}.{EXP.date}'",
        "print('date:', exp3.run.prefix == 'experiment.' + datetime.now().strftime('%Y%m%d'))",
        "fixed = datetime(2026, 3, 1, 12, 0, 0)",
        "with Experiment(prefix='tom/proj/{now:%Y-%m-%d}/{job_counter:03d}', now=fixed).run as run:",
        "    run.params.set(lr=0.1)",
        "print('now:', run.prefix)",
        "",
      ].join("\n"),
    );
    const res = python(["templates.py"]);
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toBe("name: iclr_2024/my-experiment my-experiment\nid: True True\ndate: True\nnow: tom/proj/2026-03-01/004\n");
    const list = gJson<Array<{ op: string; label: string; status: string }>>(["runs", "--json", "--prefix", "tom/proj"]);
    expect(list.map((r) => [r.op, r.label, r.status])).toEqual([["tom/proj/2026-03-01", "004", "completed"]]);
  });

  it("dxp (from g_runs.auto_start import dxp) records under ml_dash's default prefix and completes", () => {
    writeFileSync(join(work, "pyproject.toml"), "");
    mkdirSync(join(work, "exps"));
    writeFileSync(
      join(work, "exps", "train.py"),
      [
        "from g_runs.auto_start import dxp",
        "",
        "with dxp.run:",
        "    dxp.log('Hello from dxp!', level='info')",
        "    dxp.params.set(lr=1e-3, epochs=10)",
        "    for epoch in range(10):",
        "        dxp.metrics('train').log(loss=1.0 / (epoch + 1), epoch=epoch)",
        "    dxp.flush()",
        "",
      ].join("\n"),
    );
    const res = spawnSync("python3", ["exps/train.py"], { cwd: work, env: env({ USER: "alice", ML_DASH_USER: "" }), encoding: "utf8" });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    const info = gJson<InfoJson & { op: string }>(["runs", "info", "1", "--json"]);
    expect(`${info.op}/${info.label}`).toMatch(/^alice\/scratch\/\d{4}\/\d\d-\d\d\/exps\/train\/\d\d\.\d\d\.\d\d\/001$/);
    const record = JSON.parse(readFileSync(join(home, "runs", info.id, "run.json"), "utf8")) as { prefix: string };
    expect(record.prefix).toBe(`${info.op}/${info.label}`);
    expect(info.status).toBe("completed");
    expect(info.flags).toMatchObject({ lr: 0.001, epochs: 10 });
    expect(info.scalars["train/loss"]).toMatchObject({ count: 10, last: 0.1 });
    expect(info.logs).toEqual({ count: 1, levels: { info: 1 } });
  });
});

describe("the seed's Bayesian-optimisation variation (examples/sdk/bayesian_optimization.py)", () => {
  it("runs as written over g's gp: 100 trials under alice/bayes-opt that close in on the best", () => {
    const res = python([join(EXAMPLES, "bayesian_optimization.py")]);
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^best accuracy 0\.9[0-9]+ at \{'log_lr': -2\.[0-9]+, 'momentum': 0\.[0-9]+\}\n$/);

    interface Row {
      label: string;
      prefix: string | null;
      flags: Record<string, number>;
      scalars: Record<string, { last: number }>;
    }
    const rows = gJson<Row[]>(["compare", "--json", "--prefix", "alice/bayes-opt"]);
    expect(rows).toHaveLength(100);
    // Latest first: trial-99 ... trial-0, each with the params suggested for it.
    expect(rows.map((r) => r.prefix)).toEqual(Array.from({ length: 100 }, (_, i) => `alice/bayes-opt/trial-${99 - i}`));
    for (const r of rows) {
      expect(r.flags.log_lr).toBeGreaterThanOrEqual(-4);
      expect(r.flags.log_lr).toBeLessThanOrEqual(-1);
      expect(r.flags.momentum).toBeGreaterThanOrEqual(0.5);
      expect(r.flags.momentum).toBeLessThanOrEqual(0.99);
    }
    // The gp closes in: the last 20 trials average far above what random points give (about 0.85).
    const last20 = rows.slice(0, 20).map((r) => r.scalars["val/accuracy"]!.last);
    expect(last20.reduce((a, b) => a + b, 0) / 20).toBeGreaterThan(0.93);
    const table = g(["compare", "-T", "--prefix", "alice/bayes-opt", "-M", "val/accuracy", "-t", "1", "-c", ".prefix"]);
    expect(table.stdout).toMatch(/prefix\n.*alice\/bayes-opt\/trial-\d+\s*\n$/);
  }, 300_000);
});

describe("prefix and description", () => {
  it("g runs and g compare select the seed's grid by --prefix and show .prefix and .description", () => {
    const res = python([join(EXAMPLES, "grid_search.py")]);
    expect(res.status).toBe(0);
    const listed = gJson<Array<{ label: string }>>(["runs", "--json", "--prefix", "alice/hyperparameter-search"]);
    expect(listed).toHaveLength(9);
    expect(gJson<unknown[]>(["runs", "--json", "--prefix", "alice/hyperparameter-search/search-lr0.1-bs16"])).toHaveLength(1);

    const table = g(["compare", "-T", "--prefix", "alice/hyperparameter-search", "-c", ".prefix,.description", "-t", "9"]);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain("alice/hyperparameter-search/search-lr0.001-bs64");
    expect(table.stdout).toContain("Grid search: lr=0.001, batch_size=64");
    expect(table.stdout.trim().split("\n")).toHaveLength(10);

    const info = g(["runs", "info", "1"]).stdout;
    expect(info).toContain("prefix:    alice/hyperparameter-search/search-lr0.001-bs64\n");
    expect(info).toContain("description: Grid search: lr=0.001, batch_size=64\n");
    expect(info).toContain("logs:      2 (info 2)\n");

    // A prefix no run has: nothing selected, exit 0, and a note naming the prefixes there are.
    const miss = g(["runs", "--prefix", "alice/hyperparameter"]);
    expect([miss.status, miss.stdout]).toEqual([0, ""]);
    expect(miss.stderr).toBe('no run has a prefix under "alice/hyperparameter"; prefixes under alice: alice/hyperparameter-search\n');
    const missCompare = g(["compare", "-T", "--prefix", "bob"]);
    expect([missCompare.status, missCompare.stdout, missCompare.stderr]).toEqual([
      0,
      "",
      'no run has a prefix under "bob"; prefixes here: alice\n',
    ]);
    const bad = g(["compare", "-T", "--prefix", "/"]);
    expect([bad.status, bad.stderr]).toEqual([2, 'g: --prefix needs a path such as alice/hyperparameter-search, got "/"\n']);
  }, 120_000);
});

describe("inside g run", () => {
  it("files and log lines of a first experiment move with it into its child run when a second one starts", () => {
    writeFileSync(
      join(work, "two.py"),
      [
        "from g_runs import Experiment",
        "for name in ['first', 'second']:",
        "    with Experiment(prefix=f'alice/two/{name}').run as exp:",
        "        exp.log(f'hello from {name}', level='warn')",
        "        exp.files('out').save_text(name, to=f'{name}.txt')",
        "        exp.tracks('robot/pose').append(who=name, _ts=1.0)",
        "",
      ].join("\n"),
    );
    const res = g(["run", "-y", "two.py"]);
    expect(res.status).toBe(0);
    const children = gJson<Array<{ id: string; label: string }>>(["runs", "--json", "--prefix", "alice/two"]);
    expect(children.map((c) => c.label).sort()).toEqual(["first", "second"]);
    for (const child of children) {
      const info = gJson<InfoJson>(["runs", "info", child.id, "--json"]);
      expect(info.artifacts.map((a) => `${a.path}/${a.filename}`)).toEqual([`out/${child.label}.txt`]);
      expect(info.logs).toEqual({ count: 1, levels: { warn: 1 } });
      expect(info.tracks).toEqual({ "robot/pose": 1 });
      expect(readFileSync(join(home, "runs", child.id, "files/out", `${child.label}.txt`), "utf8")).toBe(child.label);
    }
    const parent = gJson<Array<{ id: string; op: string }>>(["runs", "--json"]).find((r) => r.op === "two.py")!;
    const info = gJson<InfoJson>(["runs", "info", parent.id, "--json"]);
    expect([info.artifacts, info.logs.count, info.tracks]).toEqual([[], 0, {}]);
  }, 120_000);
});

describe("the Python Optimizer client", () => {
  it("speaks g ask-tell: ranges, log ranges and choices, tpe, and one clear error for a bad space", () => {
    const script = [
      "from g_runs import Optimizer",
      "opt = Optimizer({'lr': (1e-4, 1e-1, 'log'), 'bs': [16, 32, 64], 'depth': {'type': 'int', 'low': 1, 'high': 4}}, optimizer='tpe', seed=3)",
      "for i in range(12):",
      "    p = opt.suggest()",
      "    assert 1e-4 <= p['lr'] <= 1e-1 and p['bs'] in (16, 32, 64) and p['depth'] in (1, 2, 3, 4), p",
      "    opt.register(p, (p['bs'] - 32) ** 2 + p['depth'])",
      "print(len(opt.res), opt.max['target'] == min(r['target'] for r in opt.res))",
      "opt.close()",
      "try:",
      "    Optimizer({'x': (2, 1)}).suggest()",
      "except RuntimeError as e:",
      "    print(e)",
      // A budget goes into init: the same first suggestions as without one; a bad one is refused at once.
      "a = Optimizer({'x': (0, 1)}, seed=2, settings={'end-game': 0.5}, budget=8)",
      "b = Optimizer({'x': (0, 1)}, seed=2, settings={'end-game': 0.5})",
      "print(a.suggest() == b.suggest())",
      "a.close(); b.close()",
      "try:",
      "    Optimizer({'x': (0, 1)}, budget=-1)",
      "except ValueError as e:",
      "    print(e)",
    ].join("\n");
    const res = python(["-c", script]);
    expect(res.stderr).toBe("");
    expect(res.stdout).toBe(
      '12 True\ng_runs: the optimizer stopped: g: ask-tell: line 1: init: parameter "x": "low" 2 is above "high" 1\n' +
        "True\ng_runs: the optimizer's budget must be a whole number >= 0, got -1\n",
    );
  }, 120_000);
});
