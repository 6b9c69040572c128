// sweep.yaml parsing: every parameter form, the seed's example, the command
// template's macros checked, and malformed files reported with their line and YAML path.

import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { parseSweepConfig, sweepGridPoints, sweepGridSize, type HyperbandRule } from "../../src/flags/sweep-config.js";

const SEED_EXAMPLE = `description: random sweep for my little cnn

# Training script to run
program: cnn.py  

# Method can be bayes, random, grid
method: bayes

# Metric to optimize
metric:
  name: val_loss
  goal: minimize

# Should we early terminate runs
early_terminate:
  type: envelope

# Parameters to search over
parameters:
  learning-rate:
    min: 0.001
    max: 0.1
  optimizer:
    values: ["adam", "sgd"]
  dropout:
    min: 0.01
    max: 0.5
  epochs:
    value: 30
`;

const parse = (text: string) => parseSweepConfig(text, "sweep.yaml");
const withParams = (params: string, method = "random") => parse(`program: t.py\nmethod: ${method}\nparameters:\n${params}`);

describe("parseSweepConfig", () => {
  it("parses the seed's example unchanged", () => {
    const c = parse(SEED_EXAMPLE);
    expect(c.program).toBe("cnn.py");
    expect(c.method).toBe("bayes");
    expect(c.description).toBe("random sweep for my little cnn");
    expect(c.metric).toEqual({ name: "val_loss", goal: "minimize" });
    expect(c.earlyTerminate).toEqual({ type: "envelope", fraction: 0.3, min_runs: 3, start_iter: 3 });
    expect(c.space).toEqual({
      "learning-rate": { type: "uniform", low: 0.001, high: 0.1 },
      optimizer: { type: "choice", values: ["adam", "sgd"] },
      dropout: { type: "uniform", low: 0.01, high: 0.5 },
      epochs: { type: "const", value: 30 },
    });
    expect(c.runCap).toBeNull();
    expect(c.command).toBeNull();
  });

  it("keeps the parameters in the order written", () => {
    expect(Object.keys(parse(SEED_EXAMPLE).space)).toEqual(["learning-rate", "optimizer", "dropout", "epochs"]);
  });

  it("reads integer min/max as integers and float ones as floats", () => {
    const c = withParams("  a: {min: 1, max: 10}\n  b: {min: 1.0, max: 10.0}\n  c: {min: 0, max: 1e3}\n");
    expect(c.space.a).toEqual({ type: "uniform", low: 1, high: 10, integer: true });
    expect(c.space.b).toEqual({ type: "uniform", low: 1, high: 10 });
    expect(c.space.c).toEqual({ type: "uniform", low: 0, high: 1000 });
  });

  it.each([
    ["{distribution: constant, value: adam}", { type: "const", value: "adam" }],
    ["{value: 30}", { type: "const", value: 30 }],
    ["{value: true}", { type: "const", value: true }],
    ["{distribution: categorical, values: [1, two, 3.5, false]}", { type: "choice", values: [1, "two", 3.5, false] }],
    ["{distribution: int_uniform, min: -2, max: 4}", { type: "uniform", low: -2, high: 4, integer: true }],
    ["{distribution: uniform, min: 0, max: 1}", { type: "uniform", low: 0, high: 1 }],
    ["{distribution: q_uniform, min: 0, max: 1, q: 0.25}", { type: "uniform", low: 0, high: 1, q: 0.25 }],
    ["{distribution: q_uniform, min: 0, max: 10}", { type: "uniform", low: 0, high: 10, q: 1 }],
    ["{distribution: log_uniform_values, min: 1e-5, max: 0.1}", { type: "loguniform", low: 1e-5, high: 0.1 }],
    ["{distribution: q_log_uniform_values, min: 1, max: 1024, q: 2}", { type: "loguniform", low: 1, high: 1024, q: 2 }],
    ["{distribution: log_uniform, min: 0, max: 1}", { type: "loguniform", low: 1, high: Math.E }],
    ["{distribution: normal, mu: 1, sigma: 2}", { type: "normal", mu: 1, sigma: 2 }],
    ["{distribution: normal}", { type: "normal", mu: 0, sigma: 1 }],
    ["{distribution: q_normal, mu: 0, sigma: 5, q: 2}", { type: "normal", mu: 0, sigma: 5, q: 2 }],
    ["{distribution: log_normal, mu: -1, sigma: 0.5}", { type: "lognormal", mu: -1, sigma: 0.5 }],
  ])("reads %s", (form, dim) => {
    expect(withParams(`  x: ${form}\n`).space.x).toEqual(dim);
  });

  it("reads hyperband with min_iter as bands min_iter * eta^i", () => {
    const c = parse(
      "program: t.py\nmethod: random\nmetric: {name: loss}\nearly_terminate: {type: hyperband, min_iter: 2, eta: 3, s: 3}\nparameters: {x: {values: [1]}}\n",
    );
    // As W&B: 100 bands min_iter * eta^i; s counts only with max_iter.
    const et = c.earlyTerminate as HyperbandRule;
    expect(et.bands.slice(0, 4)).toEqual([2, 6, 18, 54]);
    expect(et.bands).toHaveLength(100);
    expect(et.strict).toBe(true);
  });

  it("reads hyperband with max_iter and s as bands max_iter / eta^i", () => {
    const c = parse(
      "program: t.py\nmethod: random\nmetric: {name: loss}\nearly_terminate: {type: hyperband, max_iter: 27, s: 2}\nparameters: {x: {values: [1]}}\n",
    );
    expect(c.earlyTerminate).toEqual({ type: "hyperband", bands: [3, 9], eta: 3, strict: true });
  });

  it("reads run_cap, goal maximize, name and a command", () => {
    const c = parse(
      'name: s1\nprogram: t.py\nmethod: random\nrun_cap: 10\nmetric: {name: acc, goal: maximize}\ncommand:\n  - ${env}\n  - python3\n  - "${program}"\n  - ${args}\nparameters: {x: {values: [1]}}\n',
    );
    expect(c.name).toBe("s1");
    expect(c.runCap).toBe(10);
    expect(c.metric).toEqual({ name: "acc", goal: "maximize" });
    expect(c.command).toEqual(["${env}", "python3", "${program}", "${args}"]);
  });

  it("allows no program when the command does not use one", () => {
    const c = parse('method: grid\ncommand: [./train.sh, "${args_no_hyphens}"]\nparameters: {x: {values: [1]}}\n');
    expect(c.program).toBe("");
  });
});

describe("malformed sweep files", () => {
  const base = (over: string) => over;
  it.each([
    ["bad YAML", "program: t.py\nmethod: [grid\n", /^sweep\.yaml:\d+: not valid YAML/],
    ["not a mapping", "- a\n- b\n", /^sweep\.yaml:1: a sweep file is a mapping/],
    [
      "unknown top-level key",
      "program: t.py\nmethod: grid\nmethd: grid\nparameters: {x: {value: 1}}\n",
      /^sweep\.yaml:3: methd: unknown key; did you mean method\?; the top level takes /,
    ],
    [
      "duplicate key",
      "program: t.py\nmethod: grid\nmethod: random\nparameters: {x: {value: 1}}\n",
      /^sweep\.yaml:\d+: not valid YAML.*[Uu]nique/,
    ],
    [
      "unknown method",
      "program: t.py\nmethod: hillclimb\nparameters: {x: {value: 1}}\n",
      /^sweep\.yaml:2: method: unknown method "hillclimb"; use one of grid, random, bayes/,
    ],
    ["missing method", "program: t.py\nparameters: {x: {value: 1}}\n", /method: must be a text value/],
    ["missing parameters", "program: t.py\nmethod: grid\n", /^sweep\.yaml:1: parameters: is missing/],
    ["empty parameters", "program: t.py\nmethod: grid\nparameters: {}\n", /^sweep\.yaml:3: parameters: must map/],
    ["missing program", "method: grid\nparameters: {x: {value: 1}}\n", /program: is missing/],
    [
      "min > max",
      "program: t.py\nmethod: random\nparameters:\n  lr: {min: 0.1, max: 0.01}\n",
      /^sweep\.yaml:4: parameters\.lr: min \(0\.1\) is not less than max \(0\.01\)/,
    ],
    [
      "min without max",
      "program: t.py\nmethod: random\nparameters:\n  lr:\n    min: 0.1\n",
      /^sweep\.yaml:5: parameters\.lr: needs both min and max/,
    ],
    ["empty values", "program: t.py\nmethod: grid\nparameters:\n  x:\n    values: []\n", /^sweep\.yaml:5: parameters\.x\.values: is empty/],
    ["values not a list", "program: t.py\nmethod: grid\nparameters:\n  x:\n    values: 3\n", /parameters\.x\.values: must be a list/],
    [
      "unknown parameter key",
      "program: t.py\nmethod: random\nparameters:\n  x:\n    min: 1\n    max: 2\n    step: 1\n",
      /^sweep\.yaml:7: parameters\.x\.step: unknown key/,
    ],
    [
      "unknown distribution",
      "program: t.py\nmethod: random\nparameters:\n  x: {distribution: gamma, min: 0, max: 1}\n",
      /parameters\.x\.distribution: unknown distribution "gamma"/,
    ],
    [
      "misspelt parameter key",
      "program: t.py\nmethod: grid\nparameters:\n  x:\n    vlaues: [1, 2]\n",
      /^sweep\.yaml:5: parameters\.x\.vlaues: unknown key; did you mean values or value\?/,
    ],
    [
      "misspelt method",
      "program: t.py\nmethod: bayse\nparameters: {x: {value: 1}}\n",
      /method: unknown method "bayse"; did you mean bayes\?; use one of grid, random, bayes/,
    ],
    [
      "misspelt distribution",
      "program: t.py\nmethod: random\nparameters:\n  x: {distribution: log_unifrom, min: 0, max: 1}\n",
      /unknown distribution "log_unifrom"; did you mean log_uniform/,
    ],
    [
      "key foreign to the distribution",
      "program: t.py\nmethod: random\nparameters:\n  x: {distribution: uniform, min: 0, max: 1, mu: 3}\n",
      /parameters\.x\.mu: does not apply to distribution uniform/,
    ],
    [
      "int_uniform with floats",
      "program: t.py\nmethod: random\nparameters:\n  x: {distribution: int_uniform, min: 0.5, max: 3}\n",
      /parameters\.x\.min: int_uniform needs whole numbers/,
    ],
    [
      "log range through zero",
      "program: t.py\nmethod: random\nparameters:\n  x: {distribution: log_uniform_values, min: 0, max: 1}\n",
      /parameters\.x\.min: log_uniform_values needs min > 0/,
    ],
    [
      "negative sigma",
      "program: t.py\nmethod: random\nparameters:\n  x: {distribution: normal, sigma: -1}\n",
      /parameters\.x\.sigma: must be greater than 0/,
    ],
    [
      "q of zero",
      "program: t.py\nmethod: random\nparameters:\n  x: {distribution: q_uniform, min: 0, max: 1, q: 0}\n",
      /parameters\.x\.q: must be greater than 0/,
    ],
    [
      "non-numeric min",
      "program: t.py\nmethod: random\nparameters:\n  x: {min: low, max: 1}\n",
      /parameters\.x\.min: must be a number, not "low"/,
    ],
    [
      "a parameter name with =",
      "program: t.py\nmethod: random\nparameters:\n  'a=b': {values: [1]}\n",
      /^sweep\.yaml:4: parameters\."a=b": is not a flag name/,
    ],
    [
      "an empty parameter name",
      "program: t.py\nmethod: random\nparameters:\n  '': {values: [1]}\n",
      /^sweep\.yaml:4: parameters\."": is empty/,
    ],
    [
      "a parameter name with a space",
      "program: t.py\nmethod: random\nparameters:\n  'a b': {values: [1]}\n",
      /parameters\."a b": is not a flag name/,
    ],
    [
      "a parameter name starting with -",
      "program: t.py\nmethod: random\nparameters:\n  '--lr': {values: [1]}\n",
      /parameters\."--lr": is not a flag name/,
    ],
    ["parameter not a mapping", "program: t.py\nmethod: random\nparameters:\n  x: 3\n", /^sweep\.yaml:4: parameters\.x: must be a mapping/],
    ["parameter with nothing to search", "program: t.py\nmethod: random\nparameters:\n  x: {}\n", /parameters\.x: says nothing to search/],
    [
      "nested parameters beside other keys",
      "program: t.py\nmethod: random\nparameters:\n  opt:\n    value: 2\n    parameters:\n      lr: {value: 1}\n",
      /^sweep\.yaml:5: parameters\.opt\.value: unknown key; parameters\.opt takes parameters/,
    ],
    [
      "a nested name given twice",
      "program: t.py\nmethod: random\nparameters:\n  opt.lr: {value: 2}\n  opt:\n    parameters:\n      lr: {value: 1}\n",
      /parameters\.opt\.parameters\.lr: names the flag opt\.lr a second time/,
    ],
    [
      "mu and sigma without a distribution (W&B infers none)",
      "program: t.py\nmethod: random\nparameters:\n  x: {mu: 0, sigma: 1}\n",
      /^sweep\.yaml:4: parameters\.x: W&B infers a distribution only from .* e\.g\. distribution: normal/,
    ],
    ["q without a distribution", "program: t.py\nmethod: random\nparameters:\n  x: {min: 0, max: 10, q: 2}\n", /distribution: q_uniform/],
    [
      "min equal to max",
      "program: t.py\nmethod: random\nparameters:\n  x: {min: 1, max: 1}\n",
      /parameters\.x: min \(1\) is not less than max \(1\)/,
    ],
    [
      "probabilities that do not sum to 1",
      "program: t.py\nmethod: random\nparameters:\n  x: {values: [a, b], probabilities: [0.5, 0.6]}\n",
      /^sweep\.yaml:4: parameters\.x\.probabilities: must sum to 1, not 1\.1/,
    ],
    [
      "probabilities of another length",
      "program: t.py\nmethod: random\nparameters:\n  x: {values: [a, b], probabilities: [1]}\n",
      /parameters\.x\.probabilities: has 1 numbers for 2 values/,
    ],
    [
      "a negative probability",
      "program: t.py\nmethod: random\nparameters:\n  x: {values: [a, b], probabilities: [1.5, -0.5]}\n",
      /parameters\.x\.probabilities\[1\]: must be a number at least 0/,
    ],
    [
      "grid over weighted values",
      "program: t.py\nmethod: grid\nparameters:\n  x: {values: [a, b], probabilities: [0.5, 0.5]}\n",
      /parameters\.x: method grid takes no probabilities/,
    ],
    [
      "grid over a log range",
      "program: t.py\nmethod: grid\nparameters:\n  x: {distribution: q_log_uniform_values, min: 1, max: 8, q: 1}\n",
      /parameters\.x: method grid needs a finite list/,
    ],
    [
      "beta with a = 0",
      "program: t.py\nmethod: random\nparameters:\n  x: {distribution: beta, a: 0}\n",
      /parameters\.x\.a: must be greater than 0/,
    ],
    [
      "a key of W&B's server",
      "program: t.py\nmethod: random\njob: wandb/jobs/train:latest\nparameters: {x: {value: 1}}\n",
      /^sweep\.yaml:3: job: is not supported: W&B Launch jobs/,
    ],
    ["method custom", "program: t.py\nmethod: custom\nparameters: {x: {value: 1}}\n", /method: custom needs W&B's Launch scheduler/],
    [
      "metric.impute",
      "program: t.py\nmethod: random\nmetric: {name: loss, impute: best}\nparameters: {x: {value: 1}}\n",
      /metric\.impute: is not supported/,
    ],
    [
      "a non-numeric target",
      "program: t.py\nmethod: random\nmetric: {name: loss, target: low}\nparameters: {x: {value: 1}}\n",
      /metric\.target: must be a number/,
    ],
    [
      "a bad controller",
      "program: t.py\nmethod: random\ncontroller: {type: remote}\nparameters: {x: {value: 1}}\n",
      /controller\.type: must be local or cloud/,
    ],
    [
      "a macro inside an argument",
      "program: t.py\nmethod: random\ncommand:\n  - python3\n  - --script=${program}\nparameters: {x: {value: 1}}\n",
      /command\[1\]: \$\{program\} must be a whole argument/,
    ],
    [
      "hyperband strict not a boolean",
      "program: t.py\nmethod: random\nmetric: {name: l}\nearly_terminate: {type: hyperband, min_iter: 1, strict: yes please}\nparameters: {x: {value: 1}}\n",
      /early_terminate\.strict: must be true or false/,
    ],
    [
      "grid over a continuous range",
      "program: t.py\nmethod: grid\nparameters:\n  a: {values: [1, 2]}\n  lr: {min: 0.1, max: 0.2}\n",
      /^sweep\.yaml:5: parameters\.lr: method grid needs a finite list/,
    ],
    [
      "bayes without a metric",
      "program: t.py\nmethod: bayes\nparameters: {x: {min: 0.0, max: 1.0}}\n",
      /^sweep\.yaml:2: method: bayes needs a metric/,
    ],
    [
      "metric without a name",
      "program: t.py\nmethod: random\nmetric: {goal: minimize}\nparameters: {x: {value: 1}}\n",
      /metric\.name: is missing/,
    ],
    [
      "bad goal",
      "program: t.py\nmethod: random\nmetric: {name: loss, goal: lowest}\nparameters: {x: {value: 1}}\n",
      /^sweep\.yaml:3: metric\.goal: must be minimize or maximize, not "lowest"/,
    ],
    [
      "run_cap zero",
      "program: t.py\nmethod: random\nrun_cap: 0\nparameters: {x: {value: 1}}\n",
      /^sweep\.yaml:3: run_cap: must be a whole number of runs/,
    ],
    ["run_cap fractional", "program: t.py\nmethod: random\nrun_cap: 2.5\nparameters: {x: {value: 1}}\n", /run_cap: must be a whole number/],
    [
      "early_terminate without a metric",
      "program: t.py\nmethod: random\nearly_terminate: {type: envelope}\nparameters: {x: {value: 1}}\n",
      /early_terminate: needs a metric/,
    ],
    [
      "unknown early_terminate type",
      "program: t.py\nmethod: random\nmetric: {name: l}\nearly_terminate: {type: median}\nparameters: {x: {value: 1}}\n",
      /early_terminate\.type: unknown type "median"/,
    ],
    [
      "hyperband without min_iter or max_iter",
      "program: t.py\nmethod: random\nmetric: {name: l}\nearly_terminate: {type: hyperband, eta: 3}\nparameters: {x: {value: 1}}\n",
      /hyperband needs min_iter/,
    ],
    [
      "hyperband max_iter without s",
      "program: t.py\nmethod: random\nmetric: {name: l}\nearly_terminate: {type: hyperband, max_iter: 27}\nparameters: {x: {value: 1}}\n",
      /early_terminate\.s: is needed with max_iter/,
    ],
    [
      "hyperband eta 1",
      "program: t.py\nmethod: random\nmetric: {name: l}\nearly_terminate: {type: hyperband, min_iter: 1, eta: 1}\nparameters: {x: {value: 1}}\n",
      /early_terminate\.eta: must be greater than 1, not 1/,
    ],
    [
      "envelope with a hyperband key",
      "program: t.py\nmethod: random\nmetric: {name: l}\nearly_terminate: {type: envelope, eta: 3}\nparameters: {x: {value: 1}}\n",
      /early_terminate\.eta: does not apply to type envelope/,
    ],
    [
      "unquoted macros in a flow list",
      "program: t.py\nmethod: random\ncommand: [${env}, ${program}]\nparameters: {x: {value: 1}}\n",
      /^sweep\.yaml:3: not valid YAML: .*quote macros/,
    ],
    [
      "command not a list",
      "program: t.py\nmethod: random\ncommand: python t.py\nparameters: {x: {value: 1}}\n",
      /^sweep\.yaml:3: command: must be a list/,
    ],
    [
      "unknown macro",
      "program: t.py\nmethod: random\ncommand:\n  - ${python}\n  - ${program}\nparameters: {x: {value: 1}}\n",
      /^sweep\.yaml:4: command\[0\]: unknown macro \$\{python\}/,
    ],
  ])("rejects %s", (_what, text, message) => {
    let thrown: unknown;
    try {
      parse(base(text));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    const msg = (thrown as Error).message;
    expect(msg).toMatch(message);
    expect(msg).not.toContain("\n");
  });
});

describe("sweepGridPoints", () => {
  it("enumerates every combination, first parameter slowest", () => {
    const c = withParams("  a: {values: [1, 2]}\n  b: {values: [x, y, z]}\n  c: {value: 7}\n", "grid");
    expect(sweepGridPoints(c.space)).toEqual([
      { a: 1, b: "x", c: 7 },
      { a: 1, b: "y", c: 7 },
      { a: 1, b: "z", c: 7 },
      { a: 2, b: "x", c: 7 },
      { a: 2, b: "y", c: 7 },
      { a: 2, b: "z", c: 7 },
    ]);
    expect(sweepGridSize(c.space)).toBe(6);
  });

  it("turns int_uniform and q_uniform into grid axes as W&B does (q: numpy.arange, max left out)", () => {
    const c = withParams("  n: {min: 1, max: 4}\n  d: {distribution: q_uniform, min: 0, max: 0.4, q: 0.1}\n", "grid");
    const points = sweepGridPoints(c.space);
    expect(points.map((p) => p.n).filter((v, i, a) => a.indexOf(v) === i)).toEqual([1, 2, 3, 4]);
    expect(points.filter((p) => p.n === 1).map((p) => p.d)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(sweepGridSize(c.space)).toBe(16);
    // arange starts at min, not at a multiple of q.
    expect(sweepGridPoints(withParams("  d: {distribution: q_uniform, min: 0.1, max: 1, q: 0.25}\n", "grid").space)).toEqual([
      { d: 0.1 },
      { d: 0.35 },
      { d: 0.6 },
      { d: 0.85 },
    ]);
  });
});
