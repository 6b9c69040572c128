import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import { UsageError } from "../../src/errors.js";
import type { Observation, Point, Space } from "../../src/flags/space.js";
import {
  defaultTreeSettings,
  fitForest,
  fitQuantileBoosting,
  fitTree,
  parseTreeSettings,
  predictForest,
  predictQuantiles,
  predictTree,
  proposeTrees,
  quantile,
  treeSettingsHelp,
  type TreeSettings,
  type TreeSurrogate,
} from "../../src/search/trees.js";
import { OPTIMIZERS } from "../../src/format/completion.js";
import { OPTIMIZER_NAMES, isSequential, loadProposer, parseOptimizerSettings, resolveOptimizer } from "../../src/trials/optimizers.js";

/** Small surrogates keep the tests quick; the test of search quality uses fewer trees only. */
const LIGHT = { trees: 20, candidates: 200 };

function optimise(
  kind: TreeSurrogate,
  space: Space,
  f: (p: Point) => number | null,
  seed: string,
  n: number,
  history: Observation[] = [],
  settings: Partial<TreeSettings> = LIGHT,
) {
  const rng = seedrandom(seed);
  const out = [...history];
  for (let k = 0; k < n; k++) {
    const point = proposeTrees(kind, space, out, rng, settings);
    out.push({ point, value: f(point) });
  }
  return out;
}

const mixed: Space = {
  opt: { type: "choice", values: ["sgd", "adam", "rmsprop", "adagrad"] },
  layers: { type: "uniform", low: 1, high: 8, integer: true },
  lr: { type: "loguniform", low: 1e-5, high: 1 },
};
/** Best at adam, 3 layers, lr = 1e-3. */
const mixedLoss = (p: Point): number =>
  (p.opt === "adam" ? 0 : 1) + 0.2 * Math.abs((p.layers as number) - 3) + (Math.log10(p.lr as number) + 3) ** 2 / 4;

const grid2d = (n: number): Float64Array[] =>
  Array.from({ length: n * n }, (_, k) => Float64Array.of((k % n) / (n - 1), Math.floor(k / n) / (n - 1)));

describe("regression tree", () => {
  it("fits exact data exactly when leaves may hold one sample", () => {
    const x = grid2d(5);
    const y = x.map((u) => 3 * u[0]! - 2 * u[1]! + (u[0]! > 0.5 ? 1 : 0));
    for (const splitter of ["best", "random"] as const) {
      const tree = fitTree(x, y, { splitter, minSamplesLeaf: 1, maxDepth: Infinity }, seedrandom("t"));
      x.forEach((u, i) => expect(predictTree(tree, u)).toBeCloseTo(y[i]!, 12));
    }
  });

  it("keeps at least minSamplesLeaf samples in every leaf and respects the depth limit", () => {
    const x = grid2d(6);
    const y = x.map((u) => Math.sin(6 * u[0]!) + u[1]!);
    const tree = fitTree(x, y, { splitter: "best", minSamplesLeaf: 4, maxDepth: 2 }, seedrandom("t"));
    const depth = (node: number): number => (tree.feature[node]! < 0 ? 0 : 1 + Math.max(depth(tree.left[node]!), depth(tree.right[node]!)));
    expect(depth(0)).toBeLessThanOrEqual(2);
    for (let node = 0; node < tree.feature.length; node++) {
      if (tree.feature[node]! < 0) expect(tree.samples[node]!.length).toBeGreaterThanOrEqual(4);
    }
  });
});

describe("extra-trees forest", () => {
  it("predicts the data closely and is less sure in a gap between them than among them", () => {
    // Samples on [0, 0.3] and [0.7, 1]: the middle is a gap.
    const x = Array.from({ length: 30 }, (_, i) => Float64Array.of(i < 15 ? (i / 14) * 0.3 : 0.7 + ((i - 15) / 14) * 0.3));
    const y = x.map((u) => Math.sin(8 * u[0]!));
    const forest = fitForest(x, y, 100, seedrandom("f"), 1);
    x.forEach((u, i) => expect(predictForest(forest, u).mean).toBeCloseTo(y[i]!, 6));
    const near = predictForest(forest, Float64Array.of(0.15)).variance;
    const far = predictForest(forest, Float64Array.of(0.5)).variance;
    expect(near).toBeLessThan(far);
  });

  it("its spread shrinks where data are added", () => {
    const rng = seedrandom("s");
    const x = Array.from({ length: 12 }, () => Float64Array.of(rng(), rng()));
    const f = (u: Float64Array): number => (u[0]! - 0.3) ** 2 + (u[1]! - 0.7) ** 2;
    const probe = Float64Array.of(0.8, 0.2);
    const before = predictForest(fitForest(x, x.map(f), 100, seedrandom("a"), 2), probe).variance;
    const more = [...x, ...Array.from({ length: 8 }, (_, k) => Float64Array.of(0.8 + 0.01 * (k % 3), 0.2 + 0.01 * Math.floor(k / 3)))];
    const after = predictForest(fitForest(more, more.map(f), 100, seedrandom("a"), 2), probe).variance;
    expect(after).toBeLessThan(before);
  });
});

describe("gradient-boosted quantile regressor", () => {
  it("gives ordered quantiles that bracket noisy data", () => {
    const rng = seedrandom("q");
    const x = Array.from({ length: 60 }, () => Float64Array.of(rng()));
    const y = x.map((u) => 2 * u[0]! + (rng() - 0.5));
    const model = fitQuantileBoosting(x, y);
    let inside = 0;
    for (let k = 0; k <= 20; k++) {
      const [lo, mid, hi] = predictQuantiles(model, Float64Array.of(k / 20));
      expect(lo).toBeLessThanOrEqual(mid);
      expect(mid).toBeLessThanOrEqual(hi);
      expect(hi - lo).toBeGreaterThan(0);
    }
    x.forEach((u, i) => {
      const [lo, , hi] = predictQuantiles(model, u);
      if (y[i]! >= lo && y[i]! <= hi) inside++;
    });
    // A 16–84 % band holds most of the training data (boosting fits them tighter than new data).
    expect(inside).toBeGreaterThanOrEqual(0.5 * x.length);
  });

  it("computes quantiles by linear interpolation", () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.84)).toBe(5);
    expect(quantile([0, 10], 0.16)).toBeCloseTo(1.6, 12);
  });
});

describe.each(["forest", "gbrt"] as const)("proposeTrees (%s)", (kind) => {
  it("gives the same proposals for the same seed and different ones for another", () => {
    const a = optimise(kind, mixed, mixedLoss, "5", 15).map((o) => o.point);
    const b = optimise(kind, mixed, mixedLoss, "5", 15).map((o) => o.point);
    const c = optimise(kind, mixed, mixedLoss, "6", 15).map((o) => o.point);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("keeps integers integral, choices among the values, and never repeats a point", () => {
    const h = optimise(kind, mixed, mixedLoss, "2", 30);
    for (const o of h) {
      expect(Number.isInteger(o.point.layers)).toBe(true);
      expect(["sgd", "adam", "rmsprop", "adagrad"]).toContain(o.point.opt);
      expect(o.point.lr as number).toBeGreaterThanOrEqual(1e-5);
      expect(o.point.lr as number).toBeLessThanOrEqual(1);
    }
    expect(new Set(h.map((o) => JSON.stringify(o.point))).size).toBe(h.length);
  });

  it("beats its random starts on a mixed space and settles on the best choice", () => {
    const h = optimise(kind, mixed, mixedLoss, "1", 40, [], { trees: 50 });
    const best = h.reduce((a, o) => (o.value! < a.value! ? o : a));
    expect(best.point.opt).toBe("adam");
    expect(best.value!).toBeLessThan(Math.min(...h.slice(0, 5).map((o) => o.value!)));
  });

  it("continues from history on restart: no random starts again, no point repeated", () => {
    const space: Space = { x: { type: "uniform", low: -2, high: 2 } };
    const f = (p: Point): number => Math.sin(5 * (p.x as number)) * (1 - Math.tanh((p.x as number) ** 2));
    const first = optimise(kind, space, f, "batch:0", 12);
    const restarted = optimise(kind, space, f, "batch:1", 12, first);
    const xs = restarted.map((o) => o.point.x as number);
    expect(new Set(xs).size).toBe(24);
    // A restart proposes from the 12 trials it was given, as the session before would have.
    const fromHistory = proposeTrees(kind, space, first, seedrandom("batch:1"), LIGHT);
    expect(fromHistory).toEqual(restarted[12]!.point);
    expect(proposeTrees(kind, space, [], seedrandom("batch:1"), LIGHT)).not.toEqual(fromHistory);
    const best = restarted.reduce((a, o) => (o.value! < a.value! ? o : a));
    expect(Math.abs((best.point.x as number) + 0.289)).toBeLessThan(0.1);
  });

  it("skips failed trials (null values) and does not propose them again", () => {
    const space: Space = { a: { type: "choice", values: [1, 2, 3] }, b: { type: "choice", values: ["u", "v"] } };
    const history: Observation[] = [
      { point: { a: 1, b: "u" }, value: null },
      { point: { a: 2, b: "u" }, value: 0.5 },
      { point: { a: 3, b: "v" }, value: 0.1 },
      { point: { a: 1, b: "v" }, value: 0.9 },
      { point: { a: 2, b: "v" }, value: 0.3 },
      { point: { a: 3, b: "u" }, value: 0.2 },
    ];
    // Every combination tried: the only way out is a repeat, which must still be a valid point.
    const p = proposeTrees(kind, space, history, seedrandom("x"));
    expect([1, 2, 3]).toContain(p.a);
    const fewer = history.slice(0, 5);
    expect(proposeTrees(kind, space, fewer, seedrandom("x"))).toEqual({ a: 3, b: "u" });
  });
});

describe("forest and gbrt settings", () => {
  it("parses Guild's names and refuses bad values with a usage error", () => {
    expect(parseTreeSettings("forest", { "random-starts": "3", kappa: "1", xi: "0.05", "acq-func": "LCB", trees: "50" })).toEqual({
      randomStarts: 3,
      kappa: 1,
      xi: 0.05,
      acquisition: "lcb",
      trees: 50,
    });
    expect(() => parseTreeSettings("gbrt", { kappa: "-1" })).toThrow(UsageError);
    expect(() => parseTreeSettings("gbrt", { "acq-func": "gp_hedge" })).toThrow(/expected ei, lcb or pi/);
    expect(() => parseTreeSettings("forest", { noise: "1" })).toThrow(/unknown forest setting 'noise'/);
    expect(parseTreeSettings("forest", { random_fraction: "0" })).toEqual({ randomFraction: 0 });
    expect(() => parseTreeSettings("forest", { "random-fraction": "1.5" })).toThrow(/from 0 to 1/);
    expect(treeSettingsHelp("gbrt").map((h) => h.name)).toEqual([
      "random-starts",
      "acq-func",
      "kappa",
      "xi",
      "candidates",
      "trees",
      "random-fraction",
      "local-search",
      "end-game",
    ]);
    expect([defaultTreeSettings("forest").endGame, defaultTreeSettings("gbrt").endGame]).toEqual([0.2, "off"]);
    expect(parseTreeSettings("forest", { "local-search": "ON", end_game: "0.2" })).toEqual({ localSearch: true, endGame: 0.2 });
    expect(parseTreeSettings("gbrt", { "end-game": "off" })).toEqual({ endGame: "off" });
    expect(parseTreeSettings("gbrt", { "end-game": "0" })).toEqual({ endGame: "off" });
    expect(() => parseTreeSettings("forest", { "end-game": "2" })).toThrow(/off or a share from 0 to 1/);
    expect(() => parseTreeSettings("forest", { "local-search": "yes" })).toThrow(/expected on or off/);
  });

  it("give gbrt EI with one flag and LCB with more, unless acq-func is set", () => {
    expect(defaultTreeSettings("gbrt", 1).acquisition).toBe("ei");
    expect(defaultTreeSettings("gbrt", 2).acquisition).toBe("lcb");
    expect(defaultTreeSettings("forest", 1).acquisition).toBe("lcb");
    expect(treeSettingsHelp("gbrt").find((h) => h.name === "acq-func")!.default).toBe("lcb (ei with one flag)");
    // The proposals follow the rule: with one flag gbrt's trials are those of an explicit EI, not LCB's.
    const space: Space = { x: { type: "uniform", low: -2, high: 2 } };
    const trials = (settings: Partial<TreeSettings>) => {
      const noise = seedrandom("noise");
      const f = (p: Point): number => Math.sin(5 * (p.x as number)) * (1 - Math.tanh((p.x as number) ** 2)) + 0.2 * (noise() - 0.5);
      return optimise("gbrt", space, f, "h", 25, [], { ...LIGHT, ...settings }).map((o) => o.point.x);
    };
    expect(trials({})).toEqual(trials({ acquisition: "ei" }));
    expect(trials({})).not.toEqual(trials({ acquisition: "lcb" }));
  });

  it("are registered: names, settings, proposers, and the names completion offers", async () => {
    for (const name of ["forest", "gbrt"] as const) {
      expect(resolveOptimizer(name.toUpperCase())).toBe(name);
      expect(isSequential(name)).toBe(true);
      expect(await parseOptimizerSettings(name, { kappa: "2" })).toEqual({ kappa: 2 });
      const propose = await loadProposer(name, { x: { type: "uniform", low: 0, high: 1 } }, {});
      expect(typeof propose([], seedrandom("p")).x).toBe("number");
    }
    expect([...OPTIMIZERS].sort()).toEqual([...OPTIMIZER_NAMES].sort());
  });
});
