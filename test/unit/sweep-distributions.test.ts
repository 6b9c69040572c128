// Every distribution of W&B's sweep configuration, read from sweep.yaml text and
// drawn many times with a seeded stream: bounds, moments, quantisation, the
// Python type W&B would give the values, and the same draws for the same seed.

import { describe, expect, it } from "vitest";
import { parseSweepConfig, type SweepConfig } from "../../src/flags/sweep-config.js";
import { samplePoint } from "../../src/search/random.js";
import { createRng } from "../../src/search/rng.js";
import { buildEncoding } from "../../src/search/encode.js";

const DRAWS = 4000;

function sweep(param: string, method = "random"): SweepConfig {
  return parseSweepConfig(`program: t.py\nmethod: ${method}\nmetric: {name: loss}\nparameters:\n  x: ${param}\n`, "sweep.yaml");
}

function draw(param: string, seed = "s"): number[] {
  const c = sweep(param);
  const rng = createRng(seed);
  return Array.from({ length: DRAWS }, () => samplePoint(c.space, rng).x as number);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
};
const isMultiple = (v: number, q: number) => Math.abs(v / q - Math.round(v / q)) < 1e-9;

describe("W&B distributions drawn", () => {
  it("constant: always the value, whatever its type", () => {
    expect(new Set(draw("{value: 7}"))).toEqual(new Set([7]));
    expect(sweep("{distribution: constant, value: adam}").space.x).toEqual({ type: "const", value: "adam" });
  });

  it("categorical: each value about equally often", () => {
    const xs = draw("{values: [1, 2, 3, 4]}");
    for (const v of [1, 2, 3, 4]) expect(xs.filter((x) => x === v).length / DRAWS).toBeCloseTo(0.25, 1);
  });

  it("categorical with probabilities: each value as often as its probability", () => {
    const xs = draw("{values: [1, 2, 3], probabilities: [0.7, 0.2, 0.1]}");
    expect(xs.filter((x) => x === 1).length / DRAWS).toBeCloseTo(0.7, 1);
    expect(xs.filter((x) => x === 2).length / DRAWS).toBeCloseTo(0.2, 1);
    expect(xs.filter((x) => x === 3).length / DRAWS).toBeCloseTo(0.1, 1);
    // A value of probability 0 is never drawn.
    expect(draw("{distribution: categorical_w_probabilities, values: [a, b], probabilities: [0, 1]}")).not.toContain("a");
  });

  it("int_uniform: whole numbers in [min, max], both ends included, mean in the middle", () => {
    const xs = draw("{min: 1, max: 6}");
    expect(xs.every((x) => Number.isInteger(x) && x >= 1 && x <= 6)).toBe(true);
    expect(new Set(xs)).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    expect(mean(xs)).toBeCloseTo(3.5, 1);
  });

  it("uniform: floats in [min, max] with the uniform's mean and variance", () => {
    const xs = draw("{min: 2.0, max: 4.0}");
    expect(xs.every((x) => x >= 2 && x <= 4)).toBe(true);
    expect(mean(xs)).toBeCloseTo(3, 1);
    expect(variance(xs)).toBeCloseTo(4 / 12, 1);
  });

  it("q_uniform: multiples of q in [min, max]", () => {
    const xs = draw("{distribution: q_uniform, min: 0, max: 10, q: 2.5}");
    expect(xs.every((x) => isMultiple(x, 2.5) && x >= 0 && x <= 10)).toBe(true);
    expect(new Set(xs)).toEqual(new Set([0, 2.5, 5, 7.5, 10]));
  });

  it("log_uniform: min/max are natural logs; the log of the draws is uniform", () => {
    const xs = draw("{distribution: log_uniform, min: 0, max: 4.605170185988092}");
    expect(xs.every((x) => x >= 1 && x <= 100 + 1e-9)).toBe(true);
    const logs = xs.map(Math.log);
    expect(mean(logs)).toBeCloseTo(Math.log(100) / 2, 1);
    expect(variance(logs)).toBeCloseTo(Math.log(100) ** 2 / 12, 0);
  });

  it("log_uniform_values: min/max are the values", () => {
    const xs = draw("{distribution: log_uniform_values, min: 0.001, max: 0.1}");
    expect(xs.every((x) => x >= 0.001 && x <= 0.1)).toBe(true);
    // Half the draws below the geometric middle, 0.01.
    expect(xs.filter((x) => x < 0.01).length / DRAWS).toBeCloseTo(0.5, 1);
  });

  it("q_log_uniform and q_log_uniform_values: quantised log-uniform", () => {
    const a = draw("{distribution: q_log_uniform, min: 3.4657359027997265, max: 5.545177444479562, q: 1}");
    expect(a.every((x) => Number.isInteger(x) && x >= 32 && x <= 256)).toBe(true);
    const b = draw("{distribution: q_log_uniform_values, min: 1, max: 1024, q: 4}");
    expect(b.every((x) => isMultiple(x, 4) && x >= 1 && x <= 1024)).toBe(true);
    expect(b.filter((x) => x < 32).length / DRAWS).toBeCloseTo(0.5, 1);
  });

  it("inv_log_uniform: exp(-u), u uniform in [min, max]", () => {
    const xs = draw("{distribution: inv_log_uniform, min: 0, max: 4.605170185988092}");
    expect(xs.every((x) => x >= 0.01 - 1e-12 && x <= 1)).toBe(true);
    expect(mean(xs.map((x) => -Math.log(x)))).toBeCloseTo(Math.log(100) / 2, 1);
  });

  it("inv_log_uniform_values: log-uniform between the values", () => {
    const xs = draw("{distribution: inv_log_uniform_values, min: 0.01, max: 1}");
    expect(xs.every((x) => x >= 0.01 && x <= 1)).toBe(true);
    expect(xs.filter((x) => x < 0.1).length / DRAWS).toBeCloseTo(0.5, 1);
  });

  it("normal and q_normal: mean mu, variance sigma², q steps", () => {
    const xs = draw("{distribution: normal, mu: 5, sigma: 2}");
    expect(mean(xs)).toBeCloseTo(5, 0);
    expect(variance(xs)).toBeCloseTo(4, 0);
    const qs = draw("{distribution: q_normal, mu: 0, sigma: 10, q: 5}");
    expect(qs.every((x) => isMultiple(x, 5))).toBe(true);
    expect(draw("{distribution: normal}").every((x) => Number.isFinite(x))).toBe(true);
  });

  it("log_normal and q_log_normal: the log is normal(mu, sigma)", () => {
    const logs = draw("{distribution: log_normal, mu: 1, sigma: 0.5}").map(Math.log);
    expect(mean(logs)).toBeCloseTo(1, 1);
    expect(variance(logs)).toBeCloseTo(0.25, 1);
    const qs = draw("{distribution: q_log_normal, mu: 3, sigma: 0.5, q: 1}");
    expect(qs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
  });

  it("beta and q_beta: in [0, 1] with mean a/(a+b) and the beta's variance", () => {
    const xs = draw("{distribution: beta, a: 2, b: 5}");
    expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(mean(xs)).toBeCloseTo(2 / 7, 1);
    expect(variance(xs)).toBeCloseTo((2 * 5) / (49 * 8), 2);
    // a, b < 1 (the U shape) goes through the gamma boost.
    const u = draw("{distribution: beta, a: 0.5, b: 0.5}");
    expect(mean(u)).toBeCloseTo(0.5, 1);
    expect(variance(u)).toBeCloseTo(0.125, 1);
    expect(draw("{distribution: q_beta, a: 1, b: 1, q: 0.25}").every((x) => isMultiple(x, 0.25) && x >= 0 && x <= 1)).toBe(true);
    expect(sweep("{distribution: beta}").space.x).toEqual({ type: "beta", a: 1, b: 1 });
  });

  it("gives the same draws for the same seed, others for another", () => {
    for (const p of [
      "{distribution: beta, a: 2, b: 3}",
      "{distribution: q_log_normal, mu: 2, sigma: 1, q: 0.5}",
      "{values: [a, b], probabilities: [0.3, 0.7]}",
    ]) {
      expect(draw(p, "seed-1")).toEqual(draw(p, "seed-1"));
      expect(draw(p, "seed-1")).not.toEqual(draw(p, "seed-2"));
    }
  });
});

describe("W&B's inference and value types", () => {
  it.each([
    ["{value: 3}", "const", "literal"],
    ["{values: [1, 2]}", "choice", "literal"],
    ["{values: [a, b], probabilities: [0.5, 0.5]}", "choice", "literal"],
    ["{min: 1, max: 3}", "uniform", "int"],
    ["{min: 1, max: 3.0}", "uniform", "float"],
    ["{min: 0.5, max: 3}", "uniform", "float"],
    ["{distribution: uniform, min: 1, max: 3}", "uniform", "float"],
    ["{distribution: q_uniform, min: 0, max: 9, q: 3}", "uniform", "int"],
    ["{distribution: q_uniform, min: 0, max: 9}", "uniform", "float"],
    ["{distribution: q_log_uniform_values, min: 1, max: 9, q: 1}", "loguniform", "int"],
    ["{distribution: q_normal, q: 0.5}", "normal", "float"],
    ["{distribution: beta}", "beta", "float"],
  ])("%s is a %s whose values are Python %s", (form, type, kind) => {
    const c = sweep(form);
    expect(c.space.x!.type).toBe(type);
    expect(c.params!.x!.kind).toBe(kind);
  });

  it("keeps which literal values were written as floats, and lists and mappings whole", () => {
    const c = sweep("{values: [1, 1.0, [1, 2.5], {a: 1}, x]}");
    expect(c.space.x).toEqual({ type: "choice", values: [1, 1, "[1,2.5]", '{"a":1}', "x"] });
    expect(c.params!.x).toEqual({
      path: ["x"],
      kind: "literal",
      floats: [1],
      structured: [
        { index: 2, repr: "[1, 2.5]", json: "[1, 2.5]" },
        { index: 3, repr: "{'a': 1}", json: '{"a": 1}' },
      ],
    });
    expect(sweep("{value: [1, 2]}").space.x).toEqual({ type: "const", value: "[1,2]" });
  });

  it("names nested parameters by their path joined with dots", () => {
    const c = parseSweepConfig(
      "program: t.py\nmethod: grid\nparameters:\n  batch_size: {values: [32, 64]}\n  optimizer:\n    parameters:\n      lr: {values: [0.001, 0.0001]}\n      nadam:\n        parameters:\n          beta: {values: [0.9, 0.95]}\n",
      "sweep.yaml",
    );
    expect(Object.keys(c.space)).toEqual(["batch_size", "optimizer.lr", "optimizer.nadam.beta"]);
    expect(c.params!["optimizer.nadam.beta"]!.path).toEqual(["optimizer", "nadam", "beta"]);
  });

  it("maps every continuous distribution onto the unit cube for bayes", () => {
    for (const form of [
      "{distribution: beta, a: 2, b: 2}",
      "{distribution: inv_log_uniform_values, min: 0.01, max: 1}",
      "{distribution: q_log_normal, mu: 1, sigma: 1, q: 1}",
      "{distribution: log_uniform, min: -5, max: 0}",
    ]) {
      const enc = buildEncoding(sweep(form).space);
      const coord = enc.coords[0]!;
      expect(coord.kind).toBe("numeric");
      if (coord.kind !== "numeric") continue;
      for (const u of [0, 0.25, 0.5, 0.75, 1]) {
        const v = coord.fromUnit(u);
        expect(Number.isFinite(v)).toBe(true);
        expect(coord.toUnit(v)).toBeGreaterThanOrEqual(0);
        expect(coord.toUnit(v)).toBeLessThanOrEqual(1);
      }
    }
  });
});
