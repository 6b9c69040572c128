import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import type { Observation, Point, Space } from "../../src/flags/space.js";
import { proposeGp, sampleGp, sliceSample, transformOutputs, type GpCache } from "../../src/search/gp.js";
import { fitGp, hyperparameterDensity } from "../../src/search/gp/fit.js";
import { buildLatinDesign, sampleDesign } from "../../src/search/design.js";
import { buildEncoding, encodePoint } from "../../src/search/encode.js";

describe("slice sampling", () => {
  it("draws a standard normal's mean and variance", () => {
    const rng = seedrandom("slice");
    const logp = (t: Float64Array) => -0.5 * t[0]! * t[0]!;
    let state = Float64Array.of(3);
    const draws: number[] = [];
    for (let k = 0; k < 4000; k++) {
      state = sliceSample(logp, state, [-50], [50], [1], rng, 1);
      draws.push(state[0]!);
    }
    const kept = draws.slice(100);
    const mean = kept.reduce((a, b) => a + b, 0) / kept.length;
    const variance = kept.reduce((a, b) => a + (b - mean) ** 2, 0) / kept.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(variance).toBeGreaterThan(0.85);
    expect(variance).toBeLessThan(1.15);
  });

  it("stays inside the box and leaves coordinates with lo = hi alone", () => {
    const rng = seedrandom("box");
    // A density that would pull far outside the box on the first coordinate.
    const logp = (t: Float64Array) => -0.5 * (t[0]! - 10) ** 2;
    let state = Float64Array.of(0.5, 7);
    for (let k = 0; k < 200; k++) {
      state = sliceSample(logp, state, [0, 7], [1, 7], [0.3, 1], rng, 1);
      expect(state[0]).toBeGreaterThanOrEqual(0);
      expect(state[0]).toBeLessThanOrEqual(1);
      expect(state[1]).toBe(7);
    }
  });
});

describe("hyperparameter samples", () => {
  const rng = seedrandom("hyper");
  const x = Array.from({ length: 12 }, () => Float64Array.of(rng(), rng()));
  // Varies fast along the first coordinate, not at all along the second.
  const y = transformOutputs(
    x.map((u) => Math.sin(9 * u[0]!)),
    "none",
  );

  it("returns the MAP fit and the asked number of distinct draws around it", () => {
    const { map, samples } = sampleGp(x, y, 2, "fit", seedrandom("s"), 6);
    const alone = fitGp(x, y, 2, "fit", seedrandom("s"));
    expect(Array.from(map.lengthscales)).toEqual(Array.from(alone.lengthscales));
    expect(samples).toHaveLength(6);
    expect(new Set(samples.map((m) => m.lengthscales[0])).size).toBe(6);
    // The data pin the first scale down: the draws stay short there and longer along the flat one.
    for (const m of samples) expect(m.lengthscales[0]!).toBeLessThan(m.lengthscales[1]!);
  });

  it("continues the chain from the cache on the next call", () => {
    const cache: GpCache = {};
    sampleGp(x, y, 2, "fit", seedrandom("a"), 3, cache);
    const last = Float64Array.from(cache.chain!);
    const again = sampleGp(x, y, 2, "fit", seedrandom("b"), 1, cache);
    expect(Array.from(cache.chain!)).not.toEqual(Array.from(last));
    expect(again.samples).toHaveLength(1);
  });

  it("samples the density the MAP fit maximises", () => {
    for (const noise of ["fit", 1e-3] as const) {
      const { fast, exact } = hyperparameterDensity(x, y, 2, noise);
      for (const theta of [Float64Array.of(-1, 0.5, 0.2, -4), Float64Array.of(-2.5, -0.3, -1, -9)]) {
        expect(fast(theta)).toBeCloseTo(exact(theta), 8);
      }
    }
  });

  it("keeps a pinned length scale at the MAP fit's value in every draw", () => {
    const { map, samples } = sampleGp(x, y, 2, "fit", seedrandom("p"), 4, undefined, undefined, [1]);
    for (const m of samples) expect(m.lengthscales[1]).toBe(map.lengthscales[1]);
    expect(new Set(samples.map((m) => m.lengthscales[0])).size).toBe(4);
  });

  it("keeps a fixed noise fixed in every draw", () => {
    const { samples } = sampleGp(x, y, 2, 1e-4, seedrandom("n"), 4);
    for (const m of samples) expect(m.noise).toBeCloseTo(1e-4, 12);
  });

  it("proposes repeatably for a seed and finds the quadratic's basin", () => {
    const space: Space = { a: { type: "uniform", low: -2, high: 2 }, b: { type: "uniform", low: -2, high: 2 } };
    const f = (p: Point) => ((p.a as number) - 0.7) ** 2 + ((p.b as number) + 0.4) ** 2;
    const run = (seed: string): Observation[] => {
      const r = seedrandom(seed);
      const cache: GpCache = {};
      const history: Observation[] = [];
      for (let k = 0; k < 14; k++) {
        const point = proposeGp(space, history, r, { hyperSamples: 4 }, cache);
        history.push({ point, value: f(point) });
      }
      return history;
    };
    const first = run("q");
    expect(run("q")).toEqual(first);
    expect(Math.min(...first.map((o) => o.value!))).toBeLessThan(0.01);
  });
});

describe("Latin hypercube design of the random starts", () => {
  it("puts one point in each stratum of every flag, the first point included", () => {
    const first = Float64Array.of(0.05, 0.93, 0.5);
    const design = buildLatinDesign(first, [0, 1, 2], 5, seedrandom("lhs"));
    expect(design).toHaveLength(5);
    expect(Array.from(design[0]!)).toEqual(Array.from(first));
    for (let d = 0; d < 3; d++) {
      const strata = design.map((u) => Math.floor(u[d]! * 5)).sort();
      expect(strata).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it("is rebuilt the same from the first trial alone, whatever the random stream", () => {
    const space: Space = {
      x: { type: "uniform", low: -5, high: 5 },
      y: { type: "loguniform", low: 1e-4, high: 1 },
      n: { type: "int", low: 1, high: 8 },
      act: { type: "choice", values: ["relu", "tanh"] },
    };
    const enc = buildEncoding(space);
    const tried: Point[] = [sampleDesign(enc, [], new Set(), seedrandom("0"), 5)];
    for (let k = 1; k < 5; k++) {
      const a = sampleDesign(enc, tried, new Set(), seedrandom(`a${k}`), 5);
      const b = sampleDesign(enc, tried, new Set(), seedrandom(`b${k}`), 5);
      expect([a.x, a.y, a.n]).toEqual([b.x, b.y, b.n]);
      tried.push(a);
    }
    // x's five values fall in five different fifths of its range.
    expect(new Set(tried.map((p) => Math.floor(((p.x as number) + 5) / 2))).size).toBe(5);
    expect(new Set(tried.map((p) => encodePoint(enc, p)[0]!.toFixed(12))).size).toBe(5);
  });

  it("is what gp's random starts are with design=latin", () => {
    const space: Space = { x: { type: "uniform", low: 0, high: 1 }, y: { type: "uniform", low: 0, high: 1 } };
    const history: Observation[] = [];
    const r = seedrandom("d");
    for (let k = 0; k < 5; k++) {
      const p = proposeGp(space, history, r, { design: "latin" });
      history.push({ point: p, value: 1 });
    }
    for (const name of ["x", "y"]) {
      expect(new Set(history.map((o) => Math.floor((o.point[name] as number) * 5))).size).toBe(5);
    }
  });
});
