// Grid and random search and the batch plan of `g run`: the trial counts and
// combinations the Guild and Grid.ai seeds promise, reproducible by seed.

import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { parseFlagSpec, type FlagSpec } from "../../src/flags/grammar.js";
import type { Point, Space } from "../../src/flags/space.js";
import { gridPoints, gridSize } from "../../src/search/grid.js";
import { planBatch, type BatchInput } from "../../src/trials/plan.js";
import { gridSubset, initialPoint, randomPoints, samplePoint } from "../../src/search/random.js";

/** Specs from `name=text` pairs as a command line gives them. */
function specs(flags: Record<string, string | true>): Record<string, FlagSpec> {
  return Object.fromEntries(Object.entries(flags).map(([n, t]) => [n, parseFlagSpec(n, t)]));
}

function plan(flags: Record<string, string | true>, options: Omit<BatchInput, "specs" | "rng"> = {}, seed = "42") {
  return planBatch({ specs: specs(flags), rng: seedrandom(seed), ...options });
}

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const message = (e as UsageError).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected a UsageError");
}

const key = (p: Point) => JSON.stringify(p);

describe("gridPoints", () => {
  it("gives the 6 pairs of x=[-0.25,-0.30,-0.35] noise=[0.0,0.1], first flag slowest", () => {
    const points = gridPoints({
      x: { type: "choice", values: [-0.25, -0.3, -0.35] },
      noise: { type: "choice", values: [0, 0.1] },
    });
    expect(points).toStrictEqual([
      { x: -0.25, noise: 0 },
      { x: -0.25, noise: 0.1 },
      { x: -0.3, noise: 0 },
      { x: -0.3, noise: 0.1 },
      { x: -0.35, noise: 0 },
      { x: -0.35, noise: 0.1 },
    ]);
  });

  it("puts constants into every point, keeping the flag order", () => {
    const points = gridPoints({
      a: { type: "choice", values: [1, 2] },
      c: { type: "const", value: "k" },
      b: { type: "choice", values: [true, false] },
    });
    expect(points).toHaveLength(4);
    expect(points[1]).toStrictEqual({ a: 1, c: "k", b: false });
    expect(Object.keys(points[3]!)).toStrictEqual(["a", "c", "b"]);
  });

  it("refuses a range, naming the flag", () => {
    const message = usageError(() => gridPoints({ a: { type: "choice", values: [1] }, x: { type: "uniform", low: -0.4, high: -0.2 } }));
    expect(message).toContain("flag x is a range (uniform float in [-0.4, -0.2])");
    expect(message).toContain("--optimizer random");
  });

  it("refuses to enumerate a huge grid and says how to run part of it", () => {
    const big: Space = Object.fromEntries(["a", "b", "c", "d", "e", "f"].map((n) => [n, { type: "choice" as const, values: range(10) }]));
    expect(gridSize(big)).toBe(1_000_000);
    expect(usageError(() => gridPoints(big))).toContain("--max-trials");
  });
});

describe("samplePoint and randomPoints", () => {
  it("samples 20 values of x=[-0.4:-0.2] within the range", () => {
    const points = randomPoints({ x: { type: "uniform", low: -0.4, high: -0.2 } }, 20, seedrandom("42"));
    expect(points).toHaveLength(20);
    for (const p of points) expect((p.x as number) >= -0.4 && (p.x as number) <= -0.2).toBe(true);
    expect(new Set(points.map((p) => p.x)).size).toBe(20);
  });

  it("samples integers for [1:10], reaching both ends", () => {
    const space = { epochs: parseFlagSpec("epochs", "[1:10]") } as Space;
    const values = randomPoints(space, 300, seedrandom("1")).map((p) => p.epochs as number);
    for (const v of values) expect(Number.isInteger(v)).toBe(true);
    expect(Math.min(...values)).toBe(1);
    expect(Math.max(...values)).toBe(10);
  });

  it("samples log-uniform integers within their bounds", () => {
    const values = randomPoints({ n: { type: "loguniform", low: 1, high: 1000, integer: true } }, 300, seedrandom("1")).map(
      (p) => p.n as number,
    );
    for (const v of values) expect(Number.isInteger(v) && v >= 1 && v <= 1000).toBe(true);
    // Log-uniform: about a third below 10.
    expect(values.filter((v) => v < 10).length).toBeGreaterThan(60);
  });

  it("rounds to multiples of q", () => {
    const values = randomPoints({ w: { type: "uniform", low: 0, high: 1, q: 0.1 } }, 100, seedrandom("q")).map((p) => p.w as number);
    for (const v of values) expect(Math.round(v * 10) / 10).toBe(v);
  });

  it("picks list values uniformly and passes constants through", () => {
    const points = randomPoints({ m: { type: "choice", values: ["a", "b", "c"] }, k: { type: "const", value: 5 } }, 300, seedrandom("c"));
    const counts = new Map<unknown, number>();
    for (const p of points) counts.set(p.m, (counts.get(p.m) ?? 0) + 1);
    for (const v of ["a", "b", "c"]) expect(counts.get(v)).toBeGreaterThan(70);
    expect(points.every((p) => p.k === 5)).toBe(true);
  });

  it("samples normal and lognormal dimensions", () => {
    const rng = seedrandom("n");
    const normal = Array.from({ length: 2000 }, () => samplePoint({ w: { type: "normal", mu: 3, sigma: 0.5 } }, rng).w as number);
    const mean = normal.reduce((s, v) => s + v, 0) / normal.length;
    expect(Math.abs(mean - 3)).toBeLessThan(0.05);
    const logn = Array.from({ length: 200 }, () => samplePoint({ w: { type: "lognormal", mu: 0, sigma: 1 } }, rng).w as number);
    expect(logn.every((v) => v > 0)).toBe(true);
  });

  it("reproduces the same points for the same seed, and others for another seed", () => {
    const space: Space = { x: { type: "uniform", low: -0.4, high: -0.2 } };
    expect(randomPoints(space, 5, seedrandom("1"))).toStrictEqual(randomPoints(space, 5, seedrandom("1")));
    expect(randomPoints(space, 5, seedrandom("1"))).not.toStrictEqual(randomPoints(space, 5, seedrandom("2")));
  });
});

describe("gridSubset", () => {
  const space: Space = { a: { type: "choice", values: [1, 2, 3] }, b: { type: "choice", values: [1, 2, 3, 4] } };

  it("chooses n distinct points of the grid, in grid order", () => {
    for (const seed of ["1", "2", "3", "4", "5"]) {
      const points = gridSubset(space, 5, seedrandom(seed));
      expect(points).toHaveLength(5);
      expect(new Set(points.map(key)).size).toBe(5);
      const all = gridPoints(space).map(key);
      const indices = points.map((p) => all.indexOf(key(p)));
      expect(indices.every((i) => i >= 0)).toBe(true);
      expect(indices).toStrictEqual([...indices].sort((x, y) => x - y));
    }
  });

  it("gives the whole grid when n is at least its size", () => {
    expect(gridSubset(space, 12, seedrandom("1"))).toStrictEqual(gridPoints(space));
    expect(gridSubset(space, 50, seedrandom("1"))).toStrictEqual(gridPoints(space));
  });

  it("reaches every point over many seeds", () => {
    const seen = new Set<string>();
    for (let s = 0; s < 60; s++) for (const p of gridSubset(space, 2, seedrandom(String(s)))) seen.add(key(p));
    expect(seen.size).toBe(12);
  });
});

describe("planBatch", () => {
  it("makes a single run when nothing is searched", () => {
    const p = plan({ noise: "0.1", do_something: true });
    expect(p.optimizer).toBeNull();
    expect(p.points).toBeNull();
    expect(p.space).toStrictEqual({ noise: { type: "const", value: 0.1 }, do_something: { type: "const", value: true } });
  });

  it("runs a grid for lists only: Guild's x × noise gives 6 trials", () => {
    const p = plan({ x: "[-0.25,-0.30,-0.35]", noise: "[0.0,0.1]" });
    expect(p.optimizer).toBe("grid");
    expect(p.maxTrials).toBe(6);
    expect(p.points!.map((q) => [q.x, q.noise])).toStrictEqual([
      [-0.25, 0],
      [-0.25, 0.1],
      [-0.3, 0],
      [-0.3, 0.1],
      [-0.35, 0],
      [-0.35, 0.1],
    ]);
  });

  it('gives 12 trials for --alpha "uniform(1e-5, 1e-1, 3)" --beta "[1, 2, 3, 4]"', () => {
    const p = plan({ alpha: "uniform(1e-5, 1e-1, 3)", beta: "[1, 2, 3, 4]" });
    expect(p.optimizer).toBe("grid");
    expect(p.points).toHaveLength(12);
    const alphas = [...new Set(p.points!.map((q) => q.alpha))];
    expect(alphas).toHaveLength(3);
    expect(p.points!.slice(0, 4).map((q) => q.beta)).toStrictEqual([1, 2, 3, 4]);
    expect(p.points!.slice(0, 4).every((q) => q.alpha === alphas[0])).toBe(true);
    expect(p.space.alpha).toStrictEqual({ type: "choice", values: alphas });
    expect(p.notes.join("\n")).toContain("alpha: 3 values drawn from uniform(1e-5, 1e-1, 3)");
  });

  it("runs 3 distinct of those 12 combinations for --strategy random_search --trials 3", () => {
    const full = plan({ alpha: "uniform(1e-5, 1e-1, 3)", beta: "[1, 2, 3, 4]" }).points!.map(key);
    const p = plan({ alpha: "uniform(1e-5, 1e-1, 3)", beta: "[1, 2, 3, 4]" }, { strategy: "random_search", trials: 3 });
    expect(p.optimizer).toBe("random");
    expect(p.maxTrials).toBe(3);
    const chosen = p.points!.map(key);
    expect(new Set(chosen).size).toBe(3);
    // Same seed, same alpha draws: the chosen trials are among the full grid's.
    for (const c of chosen) expect(full).toContain(c);
  });

  it('runs 1, 3, 5, 7, 9 for --layers "(1, 10, 2)"', () => {
    const p = plan({ layers: "(1, 10, 2)" });
    expect(p.optimizer).toBe("grid");
    expect(p.points!.map((q) => q.layers)).toStrictEqual([1, 3, 5, 7, 9]);
  });

  it("runs 20 random trials within x=[-0.4:-0.2], with constants alongside", () => {
    const p = plan({ noise: "0", x: "[-0.4:-0.2]" });
    expect(p.optimizer).toBe("random");
    expect(p.maxTrials).toBe(20);
    expect(p.points).toHaveLength(20);
    for (const q of p.points!) {
      expect(q.noise).toBe(0);
      expect((q.x as number) >= -0.4 && (q.x as number) <= -0.2).toBe(true);
    }
  });

  it("treats lists next to a range as categorical choices of the random search", () => {
    const p = plan({ x: "[0:1]", model: "[a, b]" }, { maxTrials: 50 });
    expect(p.optimizer).toBe("random");
    expect(p.points).toHaveLength(50);
    expect(new Set(p.points!.map((q) => q.model))).toStrictEqual(new Set(["a", "b"]));
  });

  it("reproduces the same trials for the same seed, and others for another", () => {
    const flags = { alpha: "uniform(1e-5, 1e-1, 3)", x: "[-0.4:-0.2]" };
    expect(plan(flags, {}, "5").points).toStrictEqual(plan(flags, {}, "5").points);
    expect(plan(flags, {}, "5").points).not.toStrictEqual(plan(flags, {}, "6").points);
    const subset = (seed: string) => plan({ a: "range[1:10]", b: "[1,2,3]" }, { strategy: "random_search", trials: 4 }, seed).points;
    expect(subset("5")).toStrictEqual(subset("5"));
    expect(subset("5")).not.toStrictEqual(subset("6"));
  });

  it("caps a grid with --max-trials to its first N trials", () => {
    const p = plan({ a: "[1,2,3]", b: "[1,2]" }, { maxTrials: 4 });
    expect(p.points).toStrictEqual([
      { a: 1, b: 1 },
      { a: 1, b: 2 },
      { a: 2, b: 1 },
      { a: 2, b: 2 },
    ]);
    expect(p.maxTrials).toBe(4);
    expect(p.notes.join("\n")).toContain("runs the first 4");
  });

  it("caps a huge grid without enumerating it", () => {
    const flags = Object.fromEntries(["a", "b", "c", "d", "e", "f", "g"].map((n) => [n, "range[0:9]"]));
    expect(plan(flags, { maxTrials: 3 }).points).toHaveLength(3);
    expect(plan(flags, { strategy: "random_search", trials: 3 }).points).toHaveLength(3);
  });

  it("sets the random count with --max-trials", () => {
    expect(plan({ x: "[0:1]" }, { maxTrials: 7 }).points).toHaveLength(7);
  });

  it("samples lists without repeats under --optimizer random, at most the grid's size", () => {
    const p = plan({ a: "[1,2,3]" }, { optimizer: "random" });
    expect(p.optimizer).toBe("random");
    expect(p.points!.map((q) => q.a)).toStrictEqual([1, 2, 3]);
    expect(p.notes.join("\n")).toContain("each runs once");
  });

  it("takes --trials alone as Grid.ai's random_search", () => {
    const p = plan({ a: "[1,2,3,4]" }, { trials: 2 });
    expect(p.optimizer).toBe("random");
    expect(p.points).toHaveLength(2);
  });

  it("runs --strategy grid_search as a grid", () => {
    expect(plan({ a: "[1,2]" }, { strategy: "grid_search" }).optimizer).toBe("grid");
  });

  it("plans gp (also called bayesian) and tpe without fixed points", () => {
    for (const name of ["gp", "bayesian", "Bayesian"]) {
      const p = plan({ x: "[-2.0:2.0]" }, { optimizer: name });
      expect(p.optimizer).toBe("gp");
      expect(p.points).toBeNull();
      expect(p.maxTrials).toBe(20);
    }
    expect(plan({ x: "[-2.0:2.0]" }, { optimizer: "tpe", maxTrials: 8 })).toMatchObject({ optimizer: "tpe", points: null, maxTrials: 8 });
  });

  const errors: Array<[string, Record<string, string | true>, Omit<BatchInput, "specs" | "rng">, string[]]> = [
    [
      "a grid with a range",
      { a: "[1,2]", x: "[-0.4:-0.2]" },
      { optimizer: "grid" },
      ["grid search cannot enumerate the range x=[-0.4:-0.2]", "--optimizer random"],
    ],
    ["grid_search with a range", { x: "loguniform[1e-5:1e-1]" }, { strategy: "grid_search" }, ["x=loguniform[1e-05:0.1]"]],
    ["an unknown optimizer", { x: "[0:1]" }, { optimizer: "anneal" }, ['unknown optimizer "anneal"', "grid, random, gp", "tpe"]],
    ["an unknown strategy", { x: "[1,2]" }, { strategy: "hyperband" }, ['unknown strategy "hyperband"', "grid_search or random_search"]],
    ["--trials 0", { x: "[1,2]" }, { strategy: "random_search", trials: 0 }, ["--trials takes a whole number of at least 1"]],
    ["--max-trials 0", { x: "[1,2]" }, { maxTrials: 0 }, ["--max-trials takes a whole number of at least 1"]],
    ["--max-trials and --trials", { x: "[1,2]" }, { maxTrials: 2, trials: 2 }, ["not both"]],
    ["disagreeing optimizer and strategy", { x: "[1,2]" }, { optimizer: "grid", strategy: "random_search" }, ["disagree"]],
    ["--trials with gp", { x: "[0:1]" }, { optimizer: "gp", trials: 3 }, ["--max-trials N"]],
    ["--trials with grid_search", { x: "[1,2]" }, { strategy: "grid_search", trials: 3 }, ["--max-trials N"]],
    ["an optimizer with nothing to search", { x: "1" }, { optimizer: "random" }, ["needs a flag to search"]],
    ["--max-trials with nothing to search", { x: "1" }, { maxTrials: 3 }, ["needs a searched flag"]],
  ];
  it.each(errors)("rejects %s with one line", (_title, flags, options, words) => {
    const message = usageError(() => plan(flags, options));
    for (const w of words) expect(message).toContain(w);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

describe("initial values ([LOW:HIGH:INITIAL])", () => {
  const space: Space = {
    x: { type: "uniform", low: -0.4, high: -0.2, initial: -0.3 },
    n: { type: "uniform", low: 1, high: 10, integer: true },
    c: { type: "choice", values: ["a", "b"] },
  };

  it("makes the first random trial the initial values, the other flags drawn, and the rest random", () => {
    const points = randomPoints(space, 20, seedrandom("i"));
    expect(points).toHaveLength(20);
    expect(points[0]!.x).toBe(-0.3);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).toContain(points[0]!.n);
    expect(points.slice(1).some((p) => p.x !== -0.3)).toBe(true);
    for (const p of points) expect((p.x as number) >= -0.4 && (p.x as number) <= -0.2).toBe(true);
  });

  it("is null without initial values, and random search is unchanged then", () => {
    const plain: Space = { x: { type: "uniform", low: 0, high: 1 } };
    expect(initialPoint(plain, seedrandom("i"))).toBeNull();
    expect(randomPoints(plain, 3, seedrandom("s"))).toStrictEqual(
      Array.from(
        { length: 3 },
        (
          (rng) => () =>
            samplePoint(plain, rng)
        )(seedrandom("s")),
      ),
    );
  });

  it("plans a random batch whose first trial is the initial value", () => {
    const plan = planBatch({ specs: { x: parseFlagSpec("x", "[0:1:0.25]") }, rng: seedrandom("p"), maxTrials: 5 });
    expect(plan.optimizer).toBe("random");
    expect(plan.points![0]).toStrictEqual({ x: 0.25 });
  });
});
