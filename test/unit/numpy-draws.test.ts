// Grid.ai draws from numpy's distributions: every Generator method reads
// numpy's parameters, has the right mean and variance over many seeded draws,
// gives the same values for the same seed, and refuses what numpy refuses.

import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { drawValues, materializeSpace, parseFlagSpec, type DrawSpec } from "../../src/flags/grammar.js";
import { NUMPY_DISTRIBUTIONS } from "../../src/flags/numpy-draws.js";
import { logGamma } from "../../src/search/distributions.js";

const N = 20_000;

function drawMany(text: string, n = N, seed = "moments"): number[] {
  const spec = parseFlagSpec("x", text) as DrawSpec;
  expect(spec.type).toBe("draw");
  return drawValues({ ...spec, size: n }, seedrandom(seed)) as number[];
}

function moments(values: number[]): { mean: number; variance: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

// [draw, expected mean, expected variance, whole numbers]
const MOMENTS: Array<[string, number, number, boolean]> = [
  ["beta(2, 5)", 2 / 7, 10 / (49 * 8), false],
  ["beta(0.5, 0.5)", 0.5, 0.125, false],
  ["binomial(10, 0.3)", 3, 2.1, true],
  ["binomial(1000, 0.3)", 300, 210, true],
  ["chisquare(3)", 3, 6, false],
  ["exponential(2)", 2, 4, false],
  ["f(5, 10)", 1.25, 2600 / 1920, false],
  ["gamma(2, 0.5)", 1, 0.5, false],
  ["gamma(0.5)", 0.5, 0.5, false],
  ["geometric(0.3)", 1 / 0.3, 0.7 / 0.09, true],
  ["gumbel(1, 2)", 1 + 2 * 0.5772156649, (4 * Math.PI ** 2) / 6, false],
  ["hypergeometric(10, 5, 4)", 8 / 3, 4 * (10 / 15) * (5 / 15) * (11 / 14), true],
  ["hypergeometric(1000, 2000, 500)", 500 / 3, 500 * (1 / 3) * (2 / 3) * (2500 / 2999), true],
  ["integers(1, 7)", 3.5, 35 / 12, true],
  ["integers(1, 6, endpoint=True)", 3.5, 35 / 12, true],
  ["randint(1, 7)", 3.5, 35 / 12, true],
  ["random_integers(6)", 3.5, 35 / 12, true],
  ["laplace(1, 2)", 1, 8, false],
  ["logistic(0, 1)", 0, Math.PI ** 2 / 3, false],
  ["lognormal(0, 0.5)", Math.exp(0.125), (Math.exp(0.25) - 1) * Math.exp(0.25), false],
  ["logseries(0.6)", -0.6 / (0.4 * Math.log(0.4)), (-0.6 * (0.6 + Math.log(0.4))) / (0.16 * Math.log(0.4) ** 2), true],
  ["negative_binomial(5, 0.5)", 5, 10, true],
  ["noncentral_chisquare(3, 2)", 5, 14, false],
  ["noncentral_chisquare(0.5, 4)", 4.5, 2 * (0.5 + 8), false],
  ["normal(10, 2)", 10, 4, false],
  ["pareto(10)", 1 / 9, 10 / (81 * 8), false],
  ["poisson(3)", 3, 3, true],
  ["poisson(50)", 50, 50, true],
  ["poisson(lam=1000)", 1000, 1000, true],
  ["power(5)", 5 / 6, 5 / (36 * 7), false],
  ["random()", 0.5, 1 / 12, false],
  ["rand()", 0.5, 1 / 12, false],
  ["rayleigh(2)", 2 * Math.sqrt(Math.PI / 2), ((4 - Math.PI) / 2) * 4, false],
  ["standard_exponential()", 1, 1, false],
  ["standard_gamma(3)", 3, 3, false],
  ["standard_normal()", 0, 1, false],
  ["randn()", 0, 1, false],
  ["standard_t(10)", 0, 1.25, false],
  ["triangular(0, 0.2, 1)", 0.4, 0.84 / 18, false],
  ["uniform(-1, 3)", 1, 16 / 12, false],
  ["wald(1, 2)", 1, 0.5, false],
  ["weibull(1.5)", Math.exp(logGamma(1 + 1 / 1.5)), Math.exp(logGamma(1 + 2 / 1.5)) - Math.exp(2 * logGamma(1 + 1 / 1.5)), false],
];

describe("numpy draws: the right distribution", () => {
  it.each(MOMENTS)("%s has mean %d and variance %d", (text, mean, variance, whole) => {
    const values = drawMany(text);
    const m = moments(values);
    // Five standard errors of the mean; the variance within 8%.
    expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / N));
    expect(Math.abs(m.variance / variance - 1)).toBeLessThan(0.08);
    expect(values.every((v) => Number.isInteger(v))).toBe(whole);
  });

  it("standard_cauchy has median 0 and half its mass in [-1, 1]", () => {
    const values = drawMany("standard_cauchy()");
    const inside = values.filter((v) => Math.abs(v) < 1).length / N;
    expect(Math.abs(inside - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(values.filter((v) => v < 0).length / N - 0.5)).toBeLessThan(0.02);
  });

  it("zipf(2) gives k with probability k^-2 / zeta(2)", () => {
    const values = drawMany("zipf(2)");
    expect(values.every((v) => Number.isInteger(v) && v >= 1)).toBe(true);
    for (const k of [1, 2, 3, 4]) {
      const p = 1 / (k * k * (Math.PI ** 2 / 6));
      expect(Math.abs(values.filter((v) => v === k).length / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    }
  });

  it("vonmises(0, 4) stays in [-pi, pi] with E[cos x] = I1(4)/I0(4)", () => {
    const values = drawMany("vonmises(0, 4)");
    expect(values.every((v) => v >= -Math.PI && v <= Math.PI)).toBe(true);
    const meanCos = values.reduce((s, v) => s + Math.cos(v), 0) / N;
    expect(Math.abs(meanCos - 0.86352)).toBeLessThan(0.01);
    expect(Math.abs(moments(values).mean)).toBeLessThan(0.02);
  });

  it("noncentral_f(3, 20, 3) has mean dfden (dfnum + nonc) / (dfnum (dfden - 2))", () => {
    const m = moments(drawMany("noncentral_f(3, 20, 3)"));
    expect(Math.abs(m.mean / ((20 * 6) / (3 * 18)) - 1)).toBeLessThan(0.03);
  });

  it("choice picks with the probabilities p, and without replacement never repeats", () => {
    const picks = drawValues(
      { ...(parseFlagSpec("x", "choice(['a', 'b', 'c'], p=[0.2, 0.3, 0.5])") as DrawSpec), size: N },
      seedrandom("c"),
    );
    for (const [v, p] of [
      ["a", 0.2],
      ["b", 0.3],
      ["c", 0.5],
    ] as const)
      expect(Math.abs(picks.filter((x) => x === v).length / N - p)).toBeLessThan(0.015);
    const perm = drawValues(parseFlagSpec("x", "choice(5, 5, replace=False)") as DrawSpec, seedrandom("p"));
    expect([...perm].sort()).toStrictEqual([0, 1, 2, 3, 4]);
    expect(drawValues(parseFlagSpec("x", "choice([16, 32], 50)") as DrawSpec, seedrandom("q")).every((v) => v === 16 || v === 32)).toBe(
      true,
    );
  });

  it("covers every distribution numpy's Generator has for one value", () => {
    const generator = [
      "beta binomial chisquare choice exponential f gamma geometric gumbel hypergeometric integers laplace logistic lognormal",
      "logseries negative_binomial noncentral_chisquare noncentral_f normal pareto poisson power random rayleigh standard_cauchy",
      "standard_exponential standard_gamma standard_normal standard_t triangular uniform vonmises wald weibull zipf",
    ]
      .join(" ")
      .split(" ");
    for (const name of generator) expect(Object.keys(NUMPY_DISTRIBUTIONS)).toContain(name);
  });
});

describe("numpy draws: reading the call", () => {
  it("fills numpy's defaults and reads arguments by name or position, in numpy's order", () => {
    expect(parseFlagSpec("x", "gamma(2, size=3)")).toMatchObject({ distribution: "gamma", params: { shape: 2, scale: 1 }, size: 3 });
    expect(parseFlagSpec("x", "np.random.binomial(n=10, p=0.5, size=4)")).toMatchObject({ params: { n: 10, p: 0.5 }, size: 4 });
    expect(parseFlagSpec("x", "poisson(size=2)")).toMatchObject({ params: { lam: 1 }, size: 2 });
    expect(parseFlagSpec("x", "integers(5, size=2)")).toMatchObject({ params: { low: 0, high: 5, endpoint: false }, size: 2 });
    expect(parseFlagSpec("x", "integers(1, 10, 3, np.int64, True)")).toMatchObject({
      params: { low: 1, high: 10, endpoint: true },
      size: 3,
    });
    expect(parseFlagSpec("x", "choice([1, 'b'], 2, False, None)")).toMatchObject({
      params: { a: [1, "b"], replace: false, p: null },
      size: 2,
    });
    expect(parseFlagSpec("x", "triangular(0, 0.5, 1, 3)")).toMatchObject({ params: { left: 0, mode: 0.5, right: 1 }, size: 3 });
  });

  it("draws the same values for the same seed, and others for another", () => {
    for (const text of ["gamma(2, 1, 5)", "poisson(30, 5)", "binomial(100, 0.4, 5)", "zipf(2, 5)", "choice(10, 5)"]) {
      const spec = { x: parseFlagSpec("x", text) };
      expect(materializeSpace(spec, seedrandom("1"))).toStrictEqual(materializeSpace(spec, seedrandom("1")));
      expect(materializeSpace(spec, seedrandom("1"))).not.toStrictEqual(materializeSpace(spec, seedrandom("2")));
    }
  });
});

describe("numpy draws: what numpy refuses is one usage line", () => {
  const cases: Array<[string, string[]]> = [
    ["beta(0, 1, 3)", ["a=0", "numpy requires a > 0"]],
    ["binomial(10, 1.5)", ["p=1.5", "0 <= p <= 1"]],
    ["binomial(2.5, 0.5)", ['n "2.5"', "whole number"]],
    ["gamma(-1)", ["shape=-1", "shape >= 0"]],
    ["geometric(0)", ["0 < p <= 1"]],
    ["hypergeometric(3, 2, 9)", ["nsample <= ngood + nbad"]],
    ["logseries(1)", ["0 <= p < 1"]],
    ["zipf(1)", ["a > 1"]],
    ["triangular(1, 0, 2)", ["left <= mode"]],
    ["vonmises(0, -1)", ["kappa >= 0"]],
    ["wald(0, 1)", ["mean > 0"]],
    ["integers(5, 5)", ["low < high"]],
    ["choice([1, 2], 3, replace=False)", ["replace=False"]],
    ["choice([1, 2], p=[0.5, 0.6])", ["p to sum to 1"]],
    ["choice([1, 2], p=[1])", ["one probability per item"]],
    ["choice([], 1)", ["non-empty"]],
    ["choice([1, 2], replace=maybe)", ["True or False"]],
    ["normal(0, 1, (2, 3))", ["shape", "size is one whole number"]],
    ["integers(1, 5, dtype=float)", ["integer dtype"]],
    ["dirichlet([1, 1], 3)", ["dirichlet", "vector", "one value per trial"]],
    ["multivariate_normal([0, 0], [[1, 0], [0, 1]])", ["multivariate_normal", "vector"]],
    ["multinomial(10, [0.5, 0.5])", ["multinomial", "vector"]],
    ["np.random.foo(3)", ["foo", "not a numpy distribution"]],
    ["poisson(3, 10, 4)", ["more than 2 values"]],
    ["gamma(scale=2)", ["does not give gamma its shape"]],
  ];
  it.each(cases)("refuses %s", (text, words) => {
    let error: unknown;
    try {
      parseFlagSpec("x", text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message.startsWith(`flag x: "`)).toBe(true);
    expect(message).not.toContain("\n");
    for (const w of words) expect(message).toContain(w);
  });
});
