import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import type { Observation, Point, Space } from "../../src/flags/space.js";
import { parseGpSettings, proposeGp, yeoJohnson, type GpCache } from "../../src/search/gp.js";
import { fitGpChoosingWarp, transformOutputs, transformOutputsWithJacobian } from "../../src/search/gp/fit.js";

/** Population standard deviation, as the transform standardises. */
function sd(v: ArrayLike<number>): number {
  const a = Array.from(v);
  const m = a.reduce((s, t) => s + t, 0) / a.length;
  return Math.sqrt(a.reduce((s, t) => s + (t - m) ** 2, 0) / a.length);
}

describe("the output transform's Jacobian", () => {
  const values = [300, 2, 1, 50, 0.5, 120, 8, 17];

  it("is −n log sd for plain standardising", () => {
    const out = transformOutputsWithJacobian(values, "none");
    expect(out.lambda).toBe(1);
    expect(out.logJacobian).toBeCloseTo(-values.length * Math.log(sd(values)), 10);
    expect(Array.from(out.y)).toEqual(Array.from(transformOutputs(values, "none")));
  });

  it("adds each value's Yeo–Johnson slope (by finite differences) and the second standardising", () => {
    const out = transformOutputsWithJacobian(values, "auto");
    expect(out.lambda).not.toBe(1);
    expect(Array.from(out.y)).toEqual(Array.from(transformOutputs(values, "auto")));
    const mean = values.reduce((s, t) => s + t, 0) / values.length;
    const z = values.map((v) => (v - mean) / sd(values));
    const w = z.map((t) => yeoJohnson(t, out.lambda));
    const h = 1e-6;
    let expected = 0;
    for (const t of z) {
      const slope = (yeoJohnson(t + h, out.lambda) - yeoJohnson(t - h, out.lambda)) / (2 * h);
      expected += Math.log(slope / (sd(values) * sd(w)));
    }
    expect(out.logJacobian).toBeCloseTo(expected, 5);
  });
});

describe("warp=evidence", () => {
  /** n points on [0, 1] (1-D) with values f(x). */
  function data(xs: number[], f: (x: number) => number): { x: Float64Array[]; values: number[] } {
    return { x: xs.map((t) => Float64Array.of(t)), values: xs.map(f) };
  }

  it("warps values spread over decades, which a log-like warp makes smooth", () => {
    const xs = Array.from({ length: 15 }, (_, i) => i / 14);
    const { x, values } = data(xs, (t) => Math.exp(9 * t));
    const r = fitGpChoosingWarp(x, values, 1, "fit", seedrandom("w"));
    expect(r.warped).toBe(true);
    expect(Array.from(r.y)).toEqual(Array.from(transformOutputs(values, "auto")));
  });

  it("keeps the plain values when they are skewed only by where they were measured", () => {
    // A straight line measured mostly near 0: the values look skewed, so the power transform bends
    // them, but the line itself is what a GP fits best.
    const xs = Array.from({ length: 15 }, (_, i) => (i / 14) ** 3);
    const { x, values } = data(xs, (t) => t);
    expect(transformOutputsWithJacobian(values, "auto").lambda).not.toBe(1);
    const r = fitGpChoosingWarp(x, values, 1, "fit", seedrandom("w"));
    expect(r.warped).toBe(false);
    expect(Array.from(r.y)).toEqual(Array.from(transformOutputs(values, "none")));
  });

  it("fits once when the power transform picks no exponent", () => {
    // Evenly spread values of a line: nothing to normalise, λ = 1, and no second fit is paid for.
    const xs = Array.from({ length: 9 }, (_, i) => i / 8);
    const { x, values } = data(xs, (t) => t);
    expect(transformOutputsWithJacobian(values, "auto").lambda).toBe(1);
    const cache: GpCache = {};
    const r = fitGpChoosingWarp(x, values, 1, "fit", seedrandom("w"), cache);
    expect(r.warped).toBe(false);
    expect(cache.theta).toBeDefined();
    expect(cache.unwarped).toBeUndefined();
  });

  it("keeps a warm start for each of its two fits", () => {
    const xs = Array.from({ length: 15 }, (_, i) => i / 14);
    const { x, values } = data(xs, (t) => Math.exp(9 * t));
    const cache: GpCache = {};
    fitGpChoosingWarp(x, values, 1, "fit", seedrandom("w"), cache);
    expect(cache.theta).toBeDefined();
    expect(cache.unwarped?.theta).toBeDefined();
    expect(Array.from(cache.unwarped!.theta!)).not.toEqual(Array.from(cache.theta!));
  });

  it("is a setting, and a seeded search with it repeats itself and stays in range", () => {
    expect(parseGpSettings({ warp: "Evidence" })).toEqual({ warp: "evidence" });
    const space: Space = { a: { type: "uniform", low: -2, high: 2 }, b: { type: "loguniform", low: 1e-3, high: 1 } };
    const f = (p: Point) => Math.exp(3 * Math.abs((p.a as number) - 0.5)) + 4 * Math.log10(p.b as number) ** 2;
    const run = (): Observation[] => {
      const rng = seedrandom("e");
      const cache: GpCache = {};
      const history: Observation[] = [];
      for (let k = 0; k < 14; k++) {
        const point = proposeGp(space, history, rng, { warp: "evidence" }, cache);
        history.push({ point, value: f(point) });
      }
      return history;
    };
    const first = run();
    expect(run()).toEqual(first);
    for (const o of first) {
      expect(o.point.a as number).toBeGreaterThanOrEqual(-2);
      expect(o.point.a as number).toBeLessThanOrEqual(2);
      expect(o.point.b as number).toBeGreaterThanOrEqual(1e-3);
      expect(o.point.b as number).toBeLessThanOrEqual(1);
    }
    // Better than its own random starts: the model is used.
    const best = Math.min(...first.map((o) => o.value as number));
    expect(best).toBeLessThan(Math.min(...first.slice(0, 5).map((o) => o.value as number)));
  });
});
