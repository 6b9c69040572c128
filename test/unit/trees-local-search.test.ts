import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import type { Observation, Point, Space } from "../../src/flags/space.js";
import { buildEncoding, decodePoint, encodePoint } from "../../src/search/encode.js";
import {
  climbAcquisition,
  END_GAME_STEP_SDS,
  LOCAL_NEIGHBOURS_PER_FLAG,
  sampleAround,
  sampleNeighbours,
  searchLocally,
} from "../../src/search/trees/local-search.js";
import { proposeTrees, type TreeSettings } from "../../src/search/trees.js";
import { loadProposer } from "../../src/trials/optimizers.js";

const mixed: Space = {
  opt: { type: "choice", values: ["sgd", "adam", "rmsprop", "adagrad"] },
  layers: { type: "uniform", low: 1, high: 8, integer: true },
  lr: { type: "loguniform", low: 1e-5, high: 1 },
};

/** The flags on which two points differ. */
const changed = (a: Point, b: Point): string[] => Object.keys(a).filter((k) => a[k] !== b[k]);

describe("one-exchange neighbourhood", () => {
  it("changes one flag per neighbour, keeps integers on their grid and choices one-hot", () => {
    const enc = buildEncoding(mixed);
    const u = encodePoint(enc, { opt: "adam", layers: 4, lr: 1e-3 });
    const centre = decodePoint(enc, u);
    const rng = seedrandom("n");
    const neighbours = sampleNeighbours(enc, u, rng);
    // Three other values of opt, at most four steps of each numeric flag (a step of layers may snap back).
    expect(neighbours.length).toBeGreaterThanOrEqual(3 + LOCAL_NEIGHBOURS_PER_FLAG);
    expect(neighbours.length).toBeLessThanOrEqual(3 + 2 * LOCAL_NEIGHBOURS_PER_FLAG);
    const opts = new Set<unknown>();
    for (const n of neighbours) {
      const p = decodePoint(enc, n);
      expect(changed(centre, p)).toHaveLength(1);
      expect(Number.isInteger(p.layers)).toBe(true);
      expect(n.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(1);
      for (const v of n) expect(v >= 0 && v <= 1).toBe(true);
      if (p.opt !== "adam") opts.add(p.opt);
    }
    expect([...opts].sort()).toEqual(["adagrad", "rmsprop", "sgd"]);
  });

  it("climbs a smooth acquisition to its top and reports every point it scored", () => {
    const enc = buildEncoding({ a: { type: "uniform", low: 0, high: 1 }, b: { type: "uniform", low: 0, high: 1 } });
    const score = (u: Float64Array): number => -((u[0]! - 0.3) ** 2) - (u[1]! - 0.7) ** 2;
    const start = Float64Array.of(0.95, 0.05);
    const visited = climbAcquisition(enc, { u: start, a: score(start) }, score, seedrandom("c"));
    const top = visited.reduce((p, q) => (q.a > p.a ? q : p));
    expect(Math.abs(top.u[0]! - 0.3)).toBeLessThan(0.1);
    expect(Math.abs(top.u[1]! - 0.7)).toBeLessThan(0.1);
    for (const v of visited) expect(v.a).toBe(score(v.u));
  });

  it("starts its climbs from the best of the pool", () => {
    const enc = buildEncoding({ a: { type: "uniform", low: 0, high: 1 } });
    // Two peaks; the pool's best point sits at the higher one's foot, so only its climb can reach it.
    const score = (u: Float64Array): number => Math.max(1 - 40 * (u[0]! - 0.9) ** 2, 0.5 - 40 * (u[0]! - 0.1) ** 2);
    const pool = [0.02, 0.05, 0.08, 0.12, 0.8].map((x) => ({ u: Float64Array.of(x), a: score(Float64Array.of(x)) }));
    const one = searchLocally(enc, pool, score, seedrandom("s"), 1);
    expect(Math.max(...one.map((v) => v.a))).toBeGreaterThan(0.9);
  });
});

describe("end game around the incumbent", () => {
  it("moves every numeric flag a little, keeps the centre's choice and stays in the box", () => {
    const enc = buildEncoding(mixed);
    const centre = encodePoint(enc, { opt: "rmsprop", layers: 8, lr: 1e-5 });
    const around = sampleAround(enc, centre, 300, seedrandom("a"));
    expect(around).toHaveLength(300);
    const lrSteps = around.map((u) => Math.abs(u[5]! - centre[5]!));
    for (const u of around) {
      expect(decodePoint(enc, u).opt).toBe("rmsprop");
      for (const v of u) expect(v >= 0 && v <= 1).toBe(true);
    }
    // Steps of at most 0.1 standard deviation: none wider than half the range.
    expect(Math.max(...lrSteps)).toBeLessThan(0.5);
    expect(lrSteps.filter((d) => d > 0).length).toBe(300);
    expect(Math.max(...END_GAME_STEP_SDS)).toBeLessThanOrEqual(0.1);
  });
});

describe("proposeTrees with local search and an end game", () => {
  const space: Space = {
    a: { type: "uniform", low: 0, high: 1 },
    b: { type: "uniform", low: 0, high: 1 },
    c: { type: "uniform", low: 0, high: 1 },
  };
  const f = (p: Point): number => ((p.a as number) - 0.2) ** 2 + ((p.b as number) - 0.6) ** 2 + ((p.c as number) - 0.4) ** 2;
  const LIGHT: Partial<TreeSettings> = { trees: 20, candidates: 200 };

  function run(settings: Partial<TreeSettings>, seed: string, n: number, total?: number): Observation[] {
    const rng = seedrandom(seed);
    const out: Observation[] = [];
    for (let k = 0; k < n; k++) {
      const progress = total === undefined ? undefined : { trial: k + 1, total };
      const point = proposeTrees("forest", space, out, rng, { ...LIGHT, ...settings }, progress);
      out.push({ point, value: f(point) });
    }
    return out;
  }

  it("proposes as before until the end game, and the same without a budget", () => {
    const plain = run({ endGame: "off" }, "e", 50).map((o) => o.point);
    expect(run({ endGame: 0.2 }, "e", 50).map((o) => o.point)).toEqual(plain);
    const budgeted = run({ endGame: 0.2 }, "e", 50, 50).map((o) => o.point);
    expect(budgeted.slice(0, 40)).toEqual(plain.slice(0, 40));
    expect(budgeted.slice(40)).not.toEqual(plain.slice(40));
  });

  it("reaches forest through the proposer a batch or ask-tell session uses: by default, only when the budget is known", async () => {
    const history = run({}, "p", 12);
    const propose = await loadProposer("forest", space, { trees: 20, candidates: 200 });
    const off = await loadProposer("forest", space, { trees: 20, candidates: 200, endGame: "off" });
    const plain = propose(history, seedrandom("q"));
    // Trial 50 of 50 is in the last fifth, after 40 others: the end game. Trial 13 of 50 is not, nor trial 30 of 30
    // (24 trials before the end game: too early to refine), nor a proposal without a budget.
    expect(propose(history, seedrandom("q"), { trial: 13, total: 50 })).toEqual(plain);
    expect(propose(history, seedrandom("q"), { trial: 30, total: 30 })).toEqual(plain);
    expect(off(history, seedrandom("q"), { trial: 50, total: 50 })).toEqual(plain);
    expect(propose(history, seedrandom("q"), { trial: 50, total: 50 })).not.toEqual(plain);
  });

  it("leaves a one-flag search alone: its candidates already resolve the range", () => {
    const line: Space = { x: { type: "uniform", low: -2, high: 2 } };
    const trials = (settings: Partial<TreeSettings>) => {
      const rng = seedrandom("one");
      const out: Observation[] = [];
      for (let k = 0; k < 50; k++) {
        const point = proposeTrees("forest", line, out, rng, { ...LIGHT, ...settings }, { trial: k + 1, total: 50 });
        out.push({ point, value: Math.sin(5 * (point.x as number)) });
      }
      return out.map((o) => o.point);
    };
    expect(trials({ endGame: 0.5 })).toEqual(trials({}));
  });

  it("spends the end game next to the best trial so far, with no random draws", () => {
    for (const seed of ["1", "2", "3"]) {
      const h = run({ endGame: 0.2, randomFraction: 1 }, seed, 50, 50);
      // With random-fraction 1 every trial before the end game is a random draw; the last ten are not.
      for (let k = 40; k < 50; k++) {
        const before = h.slice(0, k);
        const best = before.reduce((p, o) => (o.value! < p.value! ? o : p)).point;
        for (const name of ["a", "b", "c"]) expect(Math.abs((h[k]!.point[name] as number) - (best[name] as number))).toBeLessThan(0.5);
      }
    }
  });

  it("with local search keeps points valid, never repeats one, and is seeded", () => {
    const trial = (seed: string) => {
      const rng = seedrandom(seed);
      const out: Observation[] = [];
      for (let k = 0; k < 20; k++) {
        const point = proposeTrees("forest", mixed, out, rng, { ...LIGHT, localSearch: true });
        out.push({
          point,
          value:
            (point.opt === "adam" ? 0 : 1) + Math.abs((point.layers as number) - 3) / 5 + Math.abs(Math.log10(point.lr as number) + 3) / 4,
        });
      }
      return out.map((o) => o.point);
    };
    const points = trial("l");
    expect(trial("l")).toEqual(points);
    expect(new Set(points.map((p) => JSON.stringify(p))).size).toBe(points.length);
    for (const p of points)
      expect(Number.isInteger(p.layers) && ["sgd", "adam", "rmsprop", "adagrad"].includes(p.opt as string)).toBe(true);
  });
});
