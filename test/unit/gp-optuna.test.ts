import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import type { Observation, Space } from "../../src/flags/space.js";
import { UsageError } from "../../src/errors.js";
import { parseGpSettings, proposeGp, proposeOptunaGp, type GpCache } from "../../src/search/gp.js";
import { buildEncoding, encodePoint } from "../../src/search/encode.js";
import { matern52, predict } from "../../src/search/gp/model.js";
import {
  OPTUNA_MIN_NOISE,
  OPTUNA_STARTUP_TRIALS,
  fitOptunaKernel,
  localSearchOptuna,
  logExpectedImprovement,
  modelFromKernel,
  optunaLogPrior,
  optunaLoss,
  standardiseOptuna,
} from "../../src/search/gp/optuna.js";
import { normalCdf, normalPdf } from "../../src/search/linalg.js";

const SPACE: Space = {
  x: { type: "uniform", low: -2, high: 2 },
  y: { type: "uniform", low: 0, high: 1 },
  act: { type: "choice", values: ["relu", "tanh", "elu"] },
};

function randomTrials(n: number, seed: string): { x: Float64Array[]; y: Float64Array; sqd: Float64Array[] } {
  const rng = seedrandom(seed);
  const x: Float64Array[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Float64Array.of(rng(), rng());
    x.push(u);
    values.push(Math.sin(6 * u[0]!) + (u[1]! - 0.3) ** 2 + 0.05 * rng());
  }
  const sqd = [0, 1].map((d) => {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = (x[i]![d]! - x[j]![d]!) ** 2;
    return m;
  });
  return { x, y: standardiseOptuna(values), sqd };
}

function numericGradient(f: (t: Float64Array) => number, t: Float64Array, h = 1e-6): Float64Array {
  return Float64Array.from(t, (_, k) => {
    const up = Float64Array.from(t);
    const down = Float64Array.from(t);
    up[k]! += h;
    down[k]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

describe("the Optuna GPSampler port: kernel fit", () => {
  it("has Optuna's default prior: −(0.1/λ + 0.1λ) per flag, Gamma(2, 1) scale, Gamma(1.1, 30) noise", () => {
    const raw = Float64Array.of(Math.log(4), 0, Math.log(0.5), Math.log(0.01));
    const noise = 0.01 + OPTUNA_MIN_NOISE;
    const expected = -(0.1 / 4 + 0.4) - (0.1 + 0.1) + (Math.log(0.5) - 0.5) + (0.1 * Math.log(noise) - 30 * noise);
    expect(optunaLogPrior(raw, "optuna").value).toBeCloseTo(expected, 12);
  });

  it("differentiates the loss correctly in every raw parameter, with either prior", () => {
    const { y, sqd } = randomTrials(12, "grad");
    const raw = Float64Array.of(Math.log(3), Math.log(0.7), Math.log(1.3), Math.log(0.02));
    for (const prior of ["optuna", "g"] as const) {
      const analytic = optunaLoss(sqd, y, raw, prior).grad();
      const numeric = numericGradient((t) => optunaLoss(sqd, y, t, prior).f, raw);
      for (let k = 0; k < raw.length; k++) expect(analytic[k]).toBeCloseTo(numeric[k]!, 4);
    }
  });

  it("fits from the default start, keeps the fit in the cache and warm-starts from it", () => {
    const { y, sqd } = randomTrials(20, "fit");
    const cache: GpCache = {};
    const k = fitOptunaKernel(sqd, y, cache, "optuna");
    expect(cache.optuna).toHaveLength(4);
    const fitted = optunaLoss(sqd, y, cache.optuna!, "optuna").f;
    const defaults = optunaLoss(sqd, y, Float64Array.of(0, 0, 0, Math.log(1 - 0.99e-6)), "optuna").f;
    expect(fitted).toBeLessThan(defaults - 1);
    // x varies fast (sin 6x), y slowly: x gets the larger inverse squared length scale.
    expect(k.inverseSquaredLengthscales[0]!).toBeGreaterThan(k.inverseSquaredLengthscales[1]!);
    expect(k.noise).toBeGreaterThanOrEqual(OPTUNA_MIN_NOISE);
    const again = fitOptunaKernel(sqd, y, cache, "optuna");
    expect(again.kernelScale).toBeCloseTo(k.kernelScale, 1);
  });

  it("gives a choice's one-hot block the Hamming kernel: λ times 1 when the values differ", () => {
    const enc = buildEncoding(SPACE);
    const a = encodePoint(enc, { x: 0, y: 0.5, act: "relu" });
    const b = encodePoint(enc, { x: 0, y: 0.5, act: "elu" });
    const kernel = { inverseSquaredLengthscales: Float64Array.of(1, 1, 0.8), kernelScale: 1.7, noise: 1e-6 };
    const model = modelFromKernel(enc, [a], Float64Array.of(0), kernel);
    // With one trial at a, the posterior variance at b is s − k(a, b)²/(s + noise).
    const k = 1.7 * matern52(Math.sqrt(0.8));
    expect(predict(model, b).variance).toBeCloseTo(1.7 - (k * k) / (1.7 + 1e-6 + 1e-8), 6);
  });
});

describe("the Optuna GPSampler port: acquisition", () => {
  it("computes log EI and its gradient", () => {
    const enc = buildEncoding({ x: SPACE.x!, y: SPACE.y! });
    const { x, y } = randomTrials(10, "ei");
    const kernel = { inverseSquaredLengthscales: Float64Array.of(60, 30), kernelScale: 1, noise: 1e-4 };
    const model = modelFromKernel(enc, x, y, kernel);
    const u = Float64Array.of(0.42, 0.77);
    const p = predict(model, u);
    const sd = Math.sqrt(p.variance + 1e-12);
    // A threshold half a standard deviation below the mean, where plain EI is still accurate.
    const best = p.mean - 0.5 * sd;
    const z = -0.5;
    expect(logExpectedImprovement(model, u, best, false).a).toBeCloseTo(Math.log(sd * (normalPdf(z) + z * normalCdf(z))), 5);
    const g = logExpectedImprovement(model, u, best, true).grad!;
    const numeric = numericGradient((v) => logExpectedImprovement(model, v, best, false).a, u);
    expect(g[0]).toBeCloseTo(numeric[0]!, 3);
    expect(g[1]).toBeCloseTo(numeric[1]!, 3);
  });

  it("local search climbs the continuous flags and sets each choice to its best value", () => {
    const enc = buildEncoding(SPACE);
    const target = [0.3, 0.8];
    const score = (u: Float64Array, withGrad: boolean) => {
      const a = -((u[0]! - target[0]!) ** 2) - (u[1]! - target[1]!) ** 2 + (u[4] === 1 ? 1 : 0);
      const grad = withGrad ? Float64Array.from(u, (_, i) => (i < 2 ? -2 * (u[i]! - target[i]!) : 0)) : null;
      return { a, grad };
    };
    const start = encodePoint(enc, { x: 1.5, y: 0.1, act: "relu" });
    const r = localSearchOptuna(enc, Float64Array.of(0.5, 0.5, 1, 1, 1), start, score);
    expect(r.u[0]).toBeCloseTo(0.3, 3);
    expect(r.u[1]).toBeCloseTo(0.8, 3);
    expect(Array.from(r.u.subarray(2))).toEqual([0, 0, 1]);
    expect(r.a).toBeCloseTo(1, 5);
  });
});

describe("the Optuna GPSampler port: proposals", () => {
  const space: Space = { x: SPACE.x!, y: SPACE.y! };
  const f = (p: Record<string, unknown>) => ((p.x as number) - 0.5) ** 2 + ((p.y as number) - 0.25) ** 2;

  function run(trials: number, seed: string, settings: Parameters<typeof proposeOptunaGp>[3] = {}): Observation[] {
    const rng = seedrandom(seed);
    const cache: GpCache = {};
    const history: Observation[] = [];
    for (let k = 0; k < trials; k++) {
      const point = proposeOptunaGp(space, history, rng, settings, cache);
      history.push({ point, value: f(point) });
    }
    return history;
  }

  it("makes 10 random start-up trials, then finds the minimum of a bowl", () => {
    const history = run(25, "bowl");
    expect(OPTUNA_STARTUP_TRIALS).toBe(10);
    const startBest = Math.min(...history.slice(0, OPTUNA_STARTUP_TRIALS).map((o) => o.value!));
    const best = Math.min(...history.map((o) => o.value!));
    expect(best).toBeLessThan(1e-3);
    expect(best).toBeLessThan(startBest / 10);
  });

  it("is seeded and never proposes a tried point again", () => {
    const a = run(15, "same");
    expect(run(15, "same")).toEqual(a);
    const keys = new Set(a.map((o) => JSON.stringify(o.point)));
    expect(keys.size).toBe(a.length);
  });

  it("with optuna-swap=starts uses g's random starts: the model takes over after 5", () => {
    const ports = run(6, "swap");
    const swapped = run(6, "swap", { optunaSwap: ["starts"], randomStarts: 5 });
    // The sixth is a model proposal with the swap and a random draw without.
    expect(swapped[5]!.value!).toBeLessThan(Math.min(...swapped.slice(0, 5).map((o) => o.value!)) + 0.5);
    expect(swapped[5]!.point).not.toEqual(ports[5]!.point);
  });

  it("is what proposeGp runs with model=optuna, with every part swap accepted", () => {
    const history = run(12, "dispatch");
    const viaGp = proposeGp(space, history, seedrandom("next"), { model: "optuna" }, {});
    expect(viaGp).toEqual(proposeOptunaGp(space, history, seedrandom("next"), {}, {}));
    const all = parseGpSettings({ model: "optuna", "optuna-swap": "starts+warp+prior+fit+candidates+beliefs" });
    const p = proposeGp(space, history, seedrandom("all"), all, {});
    expect(typeof p.x).toBe("number");
  });
});

describe("model and optuna-swap settings", () => {
  it("parses them", () => {
    expect(parseGpSettings({ model: "Optuna", optuna_swap: "warp+starts,warp" })).toEqual({
      model: "optuna",
      optunaSwap: ["warp", "starts"],
    });
    expect(parseGpSettings({ "optuna-swap": "none" })).toEqual({ optunaSwap: [] });
  });

  it("rejects unknown values with a usage error", () => {
    expect(() => parseGpSettings({ model: "botorch" })).toThrow(UsageError);
    expect(() => parseGpSettings({ "optuna-swap": "kernel" })).toThrow(/'kernel' is not a part/);
  });
});
