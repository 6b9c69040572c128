import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import type { Observation, Point, Space } from "../../src/flags/space.js";
import { DEFAULT_GP_SETTINGS, fitGpFixed, parseGpSettings, predict, proposeGp, type GpCache } from "../../src/search/gp.js";
import { predictWithGradient } from "../../src/search/gp/model.js";
import { drawsHyperparameters } from "../../src/search/gp/acquisition.js";

describe("the posterior's input gradient", () => {
  const rng = seedrandom("grad");
  const x = Array.from({ length: 15 }, () => Float64Array.of(rng(), rng(), rng()));
  const y = Float64Array.from(x, (u) => Math.sin(5 * u[0]!) + u[1]! * u[2]!);
  const model = fitGpFixed(x, y, Float64Array.of(0.3, 0.5, 0.8), 1.2, 1e-3);

  it("agrees with predict and with finite differences", () => {
    const u = Float64Array.of(0.31, 0.62, 0.18);
    const g = predictWithGradient(model, u);
    const p = predict(model, u);
    expect(g.mean).toBeCloseTo(p.mean, 12);
    expect(g.variance).toBeCloseTo(p.variance, 12);
    for (let d = 0; d < 3; d++) {
      const up = Float64Array.from(u);
      const dn = Float64Array.from(u);
      up[d]! += 1e-6;
      dn[d]! -= 1e-6;
      expect(g.dMean[d]).toBeCloseTo((predict(model, up).mean - predict(model, dn).mean) / 2e-6, 5);
      expect(g.dVar[d]).toBeCloseTo((predict(model, up).variance - predict(model, dn).variance) / 2e-6, 5);
    }
  });

  it("gives the same answer for a point whatever was asked before (its work buffers hold no state)", () => {
    const a = Float64Array.of(0.1, 0.9, 0.4);
    const first = predictWithGradient(model, a);
    predictWithGradient(model, Float64Array.of(0.8, 0.2, 0.7));
    const again = predictWithGradient(model, a);
    expect(again.mean).toBe(first.mean);
    expect(again.variance).toBe(first.variance);
    expect(Array.from(again.dMean)).toEqual(Array.from(first.dMean));
    expect(Array.from(again.dVar)).toEqual(Array.from(first.dVar));
  });
});

describe("fit turns with hyperparameter draws", () => {
  it("takes draws before the turns start, then the single fit after odd counts only", () => {
    const s = { hyperSamples: 4, fitTurns: 25 };
    expect([5, 10, 23, 24].map((n) => drawsHyperparameters(s, n, false))).toEqual([true, true, true, true]);
    expect([25, 26, 27, 28, 49].map((n) => drawsHyperparameters(s, n, true))).toEqual([false, true, false, true, false]);
  });

  it("starts the turns at 25 trials, or 15 with a choice flag, by default", () => {
    expect(DEFAULT_GP_SETTINGS.fitTurns).toBe("auto");
    const s = { hyperSamples: 4, fitTurns: DEFAULT_GP_SETTINGS.fitTurns };
    expect([15, 17, 23, 25, 27].map((n) => drawsHyperparameters(s, n, false))).toEqual([true, true, true, false, false]);
    expect([13, 15, 16, 17, 25].map((n) => drawsHyperparameters(s, n, true))).toEqual([true, false, true, false, false]);
  });

  it("never takes the fit's turn with fit-turns=off, and never draws with hyper-samples=0", () => {
    for (let n = 0; n < 60; n++) {
      expect(drawsHyperparameters({ hyperSamples: 4, fitTurns: "off" }, n, true)).toBe(true);
      expect(drawsHyperparameters({ hyperSamples: 0, fitTurns: 10 }, n, false)).toBe(false);
      expect(drawsHyperparameters({ hyperSamples: 0, fitTurns: "auto" }, n, true)).toBe(false);
    }
  });

  it("parses fit-turns as a count, auto or off", () => {
    expect(parseGpSettings({ "fit-turns": "10" })).toEqual({ fitTurns: 10 });
    expect(parseGpSettings({ "fit-turns": "Auto" })).toEqual({ fitTurns: "auto" });
    expect(parseGpSettings({ fit_turns: "OFF" })).toEqual({ fitTurns: "off" });
    expect(() => parseGpSettings({ "fit-turns": "-3" })).toThrow(/whole number >= 0/);
    expect(() => parseGpSettings({ "fit-turns": "never" })).toThrow(/fit-turns/);
  });

  it("differs from drawing on every trial only on the fit's turns, and repeats for a seed", () => {
    const space: Space = { a: { type: "uniform", low: -2, high: 2 }, b: { type: "uniform", low: -2, high: 2 } };
    const f = (p: Point) => ((p.a as number) - 0.7) ** 2 + ((p.b as number) + 0.4) ** 2;
    const run = (settings: object): Observation[] => {
      const r = seedrandom("turns");
      const cache: GpCache = {};
      const history: Observation[] = [];
      for (let k = 0; k < 12; k++) {
        const point = proposeGp(space, history, r, { hyperSamples: 2, ...settings }, cache);
        history.push({ point, value: f(point) });
      }
      return history;
    };
    const turns = run({ fitTurns: 9 });
    const off = run({ fitTurns: "off" });
    expect(run({ fitTurns: 9 })).toEqual(turns);
    // Trials 1-9 come from the same stream; the 10th proposal (after 9 finished) is the fit's.
    expect(turns.slice(0, 9)).toEqual(off.slice(0, 9));
    expect(turns[9]).not.toEqual(off[9]);
    expect(Math.min(...turns.map((o) => o.value!))).toBeLessThan(0.05);
  });
});
