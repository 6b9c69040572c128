import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import { parseGpSettings, proposeGp } from "../../src/search/gp.js";
import { chooseAcquisition } from "../../src/search/gp/acquisition.js";
import { fitGpFixed, predict } from "../../src/search/gp/model.js";
import { gaussian } from "../../src/search/gp/fit.js";
import { fitMinValueGumbel, mesNoiseFree, mesNoisy, mesScore, sampleGumbelMin, sampleJointMin } from "../../src/search/gp/mes.js";
import type { Observation, Space } from "../../src/flags/space.js";
import { UsageError } from "../../src/errors.js";

const quantileOf = (sorted: number[], q: number): number => sorted[Math.floor(q * (sorted.length - 1))]!;

describe("max-value entropy search: the information of one trial", () => {
  it("matches Wang & Jegelka's formula and GIBBON's noisy form worked by hand", () => {
    // Noise-free, γ = (μ − y*)/s: α = γ φ(γ) / (2 Φ(γ)) − log Φ(γ).
    // γ = 0: α = log 2; γ = 1: 0.5 · 0.2419707 / 0.8413447 − log 0.8413447 = 0.3165538.
    expect(Math.exp(mesNoiseFree(0).logValue)).toBeCloseTo(Math.LN2, 6);
    expect(Math.exp(mesNoiseFree(1).logValue)).toBeCloseTo(0.3165538, 6);
    // Two samples of y* (1 and 0 with μ = 1, s = 1): the log of the mean of the two.
    expect(mesScore(1, 1, [1, 0], 0).value).toBeCloseTo(Math.log((Math.LN2 + 0.3165538) / 2), 6);
    // Noisy, ρ² = s² / (s² + σn²) = 0.5, γ = 0: r = φ(0)/Φ(0) = √(2/π), α = −½ log(1 − ½ r²) = 0.1915901.
    expect(Math.exp(mesNoisy(0, 0.5).logValue)).toBeCloseTo(0.1915901, 6);
    expect(mesScore(1, 1, [1], 1).value).toBeCloseTo(Math.log(0.1915901), 6);
    // γ = −0.5, ρ² = 0.8: 0.4399983.
    expect(Math.exp(mesNoisy(-0.5, 0.8).logValue)).toBeCloseTo(0.4399983, 6);
  });

  it("grows with the posterior's uncertainty at a fixed mean above every sample of y*", () => {
    const minValues = [-1.2, -1.6, -2.3];
    for (const noise of [0, 0.05]) {
      for (const mean of [-1.1, 0, 2]) {
        let last = -Infinity;
        for (const variance of [1e-6, 1e-4, 0.01, 0.1, 0.5, 1, 2, 4]) {
          const v = mesScore(mean, variance, minValues, noise).value;
          expect(v).toBeGreaterThan(last);
          last = v;
        }
      }
    }
  });

  it("gives noisy trials at a well-known point little information, where the noise-free form would repeat them", () => {
    // The model is nearly sure of f here (s² = 1e-4) but a trial sees it through noise 0.05.
    const noisy = mesScore(-1, 1e-4, [-1.05], 0.05).value;
    const exact = mesScore(-1, 1e-4, [-1.05], 0).value;
    expect(exact - noisy).toBeGreaterThan(3);
  });

  it("has the derivatives in mean and variance that finite differences give", () => {
    const minValues = [-1.1, -1.7, -2.6];
    for (const noise of [0, 0.03]) {
      for (const [mean, variance] of [
        [0.4, 0.3],
        [-1.5, 0.02],
        [3, 0.05],
        [-3, 0.8],
        [6, 0.01],
      ] as const) {
        const s = mesScore(mean, variance, minValues, noise);
        const h = 1e-6;
        const dMean =
          (mesScore(mean + h, variance, minValues, noise).value - mesScore(mean - h, variance, minValues, noise).value) / (2 * h);
        const dVar =
          (mesScore(mean, variance * (1 + h), minValues, noise).value - mesScore(mean, variance * (1 - h), minValues, noise).value) /
          (2 * h * variance);
        expect(s.dMean).toBeCloseTo(dMean, 3);
        expect(Math.abs(s.dVar - dVar)).toBeLessThan(1e-4 * Math.max(1, Math.abs(dVar)));
      }
    }
  });

  it("stays finite far above y*, where the information underflows", () => {
    const far = mesScore(40, 0.01, [-2], 0);
    expect(Number.isFinite(far.value)).toBe(true);
    expect(far.value).toBeLessThan(-1e4);
    expect(far.dMean).toBeLessThan(0);
    const farNoisy = mesScore(40, 0.01, [-2], 0.1);
    expect(Number.isFinite(farNoisy.value) && Number.isFinite(farNoisy.dMean) && Number.isFinite(farNoisy.dVar)).toBe(true);
  });
});

describe("max-value entropy search: samples of the minimum's value", () => {
  it("fits a Gumbel whose quantiles match the minima of independent posterior draws", () => {
    const rng = seedrandom("gumbel");
    const means = Array.from({ length: 60 }, () => 2 * rng() - 1);
    const sds = Array.from({ length: 60 }, () => 0.1 + 0.6 * rng());
    const draws: number[] = [];
    for (let k = 0; k < 20000; k++) {
      let min = Infinity;
      for (let i = 0; i < means.length; i++) min = Math.min(min, means[i]! + sds[i]! * gaussian(rng));
      draws.push(min);
    }
    draws.sort((a, b) => a - b);
    const g = fitMinValueGumbel(means, sds);
    const gumbelQuantile = (q: number) => g.location + g.scale * Math.log(-Math.log(1 - q));
    // The fit matches the quartiles of the exact distribution of the minimum (up to Monte Carlo error)…
    for (const q of [0.25, 0.5, 0.75]) expect(Math.abs(gumbelQuantile(q) - quantileOf(draws, q))).toBeLessThan(0.02);
    // …and is an approximation in the tails.
    for (const q of [0.05, 0.95]) expect(Math.abs(gumbelQuantile(q) - quantileOf(draws, q))).toBeLessThan(0.1);
    // Its samples follow it: their median is the draws' median, and they come sorted highest first.
    const samples = Array.from(sampleGumbelMin(g, 4001, seedrandom("s")));
    for (let k = 1; k < samples.length; k++) expect(samples[k]!).toBeLessThanOrEqual(samples[k - 1]!);
    expect(Math.abs(samples[2000]! - quantileOf(draws, 0.5))).toBeLessThan(0.02);
  });

  it("puts y* higher with joint draws when the points are correlated (the Gumbel takes them as independent)", () => {
    // Eight trials of a smooth function on a line; the candidates crowd one region.
    const x = Array.from({ length: 8 }, (_, i) => Float64Array.of(i / 7));
    const y = x.map((u) => Math.sin(6 * u[0]!));
    const model = fitGpFixed(x, y, [0.3], 1, 1e-6);
    const rng = seedrandom("joint");
    const points = Array.from({ length: 200 }, () => Float64Array.of(0.2 + 0.1 * rng()));
    const joint = sampleJointMin(model, points, 50, seedrandom("j"));
    const means: number[] = [];
    const sds: number[] = [];
    for (const u of points) {
      const p = predictAt(model, u);
      means.push(p.mean);
      sds.push(p.sd);
    }
    const gumbel = sampleGumbelMin(fitMinValueGumbel(means, sds), 50, seedrandom("g"));
    const median = (a: Float64Array) => Array.from(a).sort((p, q) => p - q)[25]!;
    expect(median(joint)).toBeGreaterThan(median(gumbel));
    expect(Array.from(sampleJointMin(model, points, 50, seedrandom("j")))).toEqual(Array.from(joint));
  });
});

function predictAt(model: ReturnType<typeof fitGpFixed>, u: Float64Array): { mean: number; sd: number } {
  const p = predict(model, u);
  return { mean: p.mean, sd: Math.max(1e-9, Math.sqrt(p.variance)) };
}

describe("max-value entropy search in proposals", () => {
  const space: Space = {
    a: { type: "uniform", low: 0, high: 1 },
    b: { type: "uniform", low: -2, high: 2 },
  };
  const f = (a: number, b: number) => (a - 0.3) ** 2 + Math.sin(3 * b) + 0.1 * b * b;
  const history = (): Observation[] => {
    const rng = seedrandom("history");
    return Array.from({ length: 9 }, () => {
      const point = { a: rng(), b: 4 * rng() - 2 };
      return { point, value: f(point.a, point.b) };
    });
  };

  it("gives the same point for the same seed, and another for another seed", () => {
    for (const mesMax of ["gumbel", "draws"] as const) {
      const settings = { acquisition: "mes" as const, mesMax };
      const one = proposeGp(space, history(), seedrandom("7"), settings);
      const again = proposeGp(space, history(), seedrandom("7"), settings);
      const other = proposeGp(space, history(), seedrandom("8"), settings);
      expect(again).toEqual(one);
      expect(other).not.toEqual(one);
      expect(one.a).toBeGreaterThanOrEqual(0);
      expect(one.a).toBeLessThanOrEqual(1);
    }
  });

  it("hands over to EI from mes-until finished trials on", () => {
    const rng = seedrandom("x");
    expect(chooseAcquisition("mes", 10, rng, 20)).toBe("mes");
    expect(chooseAcquisition("mes", 20, rng, 20)).toBe("ei");
    expect(chooseAcquisition("mes", 200, rng)).toBe("mes");
    const mesThenEi = proposeGp(space, history(), seedrandom("7"), { acquisition: "mes", mesUntil: 9 });
    const ei = proposeGp(space, history(), seedrandom("7"), { acquisition: "ei" });
    expect(mesThenEi).toEqual(ei);
  });

  it("does not pile a noisy objective's trials on one point", () => {
    // The Guild seed's function with noise 0.1: 20 trials.
    const guild = (x: number) => Math.sin(5 * x) * (1 - Math.tanh(x * x));
    const rng = seedrandom("noisy");
    const one: Space = { x: { type: "uniform", low: -2, high: 2 } };
    const h: Observation[] = [];
    for (let k = 0; k < 20; k++) {
      const p = proposeGp(one, h, rng, { acquisition: "mes" });
      h.push({ point: p, value: guild(p.x as number) + 0.1 * gaussian(rng) });
    }
    const xs = h.map((o) => o.point.x as number);
    // Trials spread over the range rather than repeating the luckiest draw, and some find the global basin (x ≈ −0.29).
    const nearest = (c: number) => xs.filter((x) => Math.abs(x - c) < 0.05).length;
    expect(Math.max(...xs.map(nearest))).toBeLessThan(10);
    expect(xs.some((x) => Math.abs(x + 0.29) < 0.1)).toBe(true);
  });
});

describe("max-value entropy search settings", () => {
  it("parses mes and its settings", () => {
    expect(parseGpSettings({ "acq-func": "MES", "mes-samples": "4", "mes-max": "draws", "mes-until": "25" })).toEqual({
      acquisition: "mes",
      mesSamples: 4,
      mesMax: "draws",
      mesUntil: 25,
    });
    expect(parseGpSettings({ mes_until: "off" })).toEqual({ mesUntil: "off" });
  });

  it("rejects bad values with a usage error naming the valid ones", () => {
    expect(() => parseGpSettings({ "mes-samples": "0" })).toThrow(UsageError);
    expect(() => parseGpSettings({ "mes-max": "sobol" })).toThrow(/gumbel or draws/);
    expect(() => parseGpSettings({ "mes-until": "-3" })).toThrow(/whole number >= 0/);
  });
});
