import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import {
  computeImportance,
  groupPredictability,
  neighbourCount,
  neighbourPredictability,
  rank,
  type ImportanceTrial,
} from "../../src/view/importance.js";

/** `n` trials with x uniform in [-2, 2] and the objective `f(x, random)`. */
function trialsOf(seed: string, n: number, f: (x: number, random: () => number) => number): ImportanceTrial[] {
  const random = seedrandom(seed);
  return Array.from({ length: n }, () => {
    const x = random() * 4 - 2;
    return { flags: { x }, value: f(x, random) };
  });
}

function scoreOf(trials: ImportanceTrial[], flag = "x", categorical: Set<string> = new Set()): number {
  const found = computeImportance(trials, [flag], categorical).find((s) => s.flag === flag);
  if (found === undefined) throw new Error(`no score for ${flag}`);
  return found.score;
}

/** The mean score of `f` over `seeds` random draws of 20 trials. */
function meanScore(seeds: number, f: (x: number, random: () => number) => number): number {
  let sum = 0;
  for (let s = 0; s < seeds; s++) sum += scoreOf(trialsOf(`seed-${s}`, 20, f));
  return sum / seeds;
}

describe("flag importance", () => {
  it("ranks ties by their mean rank", () => {
    expect(rank([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it("averages √n neighbours, from 2 to 10", () => {
    expect([3, 4, 9, 20, 30, 100, 1000].map(neighbourCount)).toEqual([2, 2, 3, 4, 5, 10, 10]);
  });

  it("scores a U-shaped dependence high, which a rank correlation misses", () => {
    for (const seed of ["a", "b", "c"]) expect(scoreOf(trialsOf(seed, 20, (x) => x * x))).toBeGreaterThan(0.5);
    expect(meanScore(50, (x, random) => x * x + 0.1 * random())).toBeGreaterThan(0.7);
  });

  it("scores a monotone dependence high, whatever its scale", () => {
    expect(scoreOf(trialsOf("m", 20, (x) => Math.exp(3 * x)))).toBeGreaterThan(0.9);
    expect(meanScore(50, (x, random) => -x + 0.2 * random())).toBeGreaterThan(0.8);
  });

  it("scores pure noise near 0 on average, and never below 0", () => {
    const scores = Array.from({ length: 200 }, (_, s) => scoreOf(trialsOf(`noise-${s}`, 20, (_x, random) => random())));
    expect(scores.reduce((a, b) => a + b, 0) / scores.length).toBeLessThan(0.1);
    expect(Math.min(...scores)).toBe(0);
  });

  it("invents nothing for a flag whose trials an optimizer crowded near one point when the objective ignores it", () => {
    let sum = 0;
    for (let s = 0; s < 100; s++) {
      const random = seedrandom(`crowd-${s}`);
      const trials = Array.from({ length: 20 }, (_, i) => ({
        flags: { x: i < 8 ? random() * 4 - 2 : -0.29 + 0.001 * random() },
        value: random(),
      }));
      sum += scoreOf(trials);
    }
    expect(sum / 100).toBeLessThan(0.1);
  });

  it("scores 0 for a flag that does not vary, even when the objective improves trial by trial", () => {
    const trials = Array.from({ length: 20 }, (_, i) => ({ flags: { x: 0.5, opt: "adam" }, value: 20 - i }));
    expect(scoreOf(trials, "x")).toBe(0);
    expect(scoreOf(trials, "opt")).toBe(0);
  });

  it("takes tied values together, so the trials' order does not change a score", () => {
    const random = seedrandom("ties");
    const trials = Array.from({ length: 24 }, () => {
      const size = [16, 32, 64][Math.floor(random() * 3)]!;
      return { flags: { size }, value: Math.abs(size - 32) + random() };
    });
    const forward = scoreOf(trials, "size");
    expect(forward).toBeGreaterThan(0.5);
    expect(scoreOf([...trials].reverse(), "size")).toBeCloseTo(forward, 12);
  });

  it("predicts a numeric point from its nearest neighbours in rank order, itself left out", () => {
    // 4 points, 2 neighbours each: ys 1, 2, 3, 4 at xs 1, 10, 100, 1000 (ranks 1..4).
    // 1 ← mean(2, 3) = 2.5, 2 ← mean(1, 3) = 2 (ties at distance 1 both taken), 3 ← 3, 4 ← 2.5:
    // SS_res = 2.25 + 0 + 0 + 2.25 = 4.5, SS_tot = 5: 1 − 4.5/5 = 0.1.
    expect(neighbourPredictability([1, 10, 100, 1000], [1, 2, 3, 4])).toBeCloseTo(0.1, 12);
    expect(neighbourPredictability([1, 1, 1, 1], [1, 2, 3, 4])).toBe(0);
    expect(neighbourPredictability([1, 2, 3, 4], [5, 5, 5, 5])).toBe(0);
  });

  it("predicts a categorical point by its group's mean without it", () => {
    expect(groupPredictability(["a", "a", "b", "b"], [1, 1, 5, 5])).toBeCloseTo(1, 12);
    // each point predicted by the other of its group: SS_res = 4·16, SS_tot = 16: below 0, so 0
    expect(groupPredictability(["a", "a", "b", "b"], [1, 5, 1, 5])).toBe(0);
    // one group says nothing
    expect(groupPredictability(["a", "a", "a"], [1, 2, 3])).toBe(0);
  });

  it("scores the flag the objective depends on above the ones it ignores, numeric and categorical alike", () => {
    const random = seedrandom("mixed");
    const trials = Array.from({ length: 60 }, (_, i) => {
      const lr = random();
      const noise = random();
      const opt = ["adam", "sgd", "rmsprop"][i % 3]!;
      const act = ["relu", "tanh"][Math.floor(random() * 2)]!;
      return { flags: { lr, noise, opt, act }, value: 4 * (lr - 0.5) ** 2 + (opt === "sgd" ? 0.6 : 0) };
    });
    const scores = computeImportance(trials, ["noise", "lr", "opt", "act"], new Set(["opt", "act"]));
    const by = Object.fromEntries(scores.map((s) => [s.flag, s.score]));
    expect(by.lr!).toBeGreaterThan(0.2);
    expect(by.opt!).toBeGreaterThan(0.1);
    expect(by.noise!).toBeLessThan(0.1);
    expect(by.act!).toBeLessThan(0.1);
    for (const s of scores) expect(s.score).toBeGreaterThanOrEqual(0);
    for (const s of scores) expect(s.score).toBeLessThanOrEqual(1);
  });

  it("treats text flags as categorical and skips trials without a value", () => {
    const trials = [
      { flags: { opt: "a" }, value: 1 },
      { flags: { opt: "a" }, value: 1.1 },
      { flags: { opt: "b" }, value: 9 },
      { flags: { opt: "b" }, value: 9.2 },
      { flags: { opt: "b" }, value: null },
    ];
    // Ranks 1,2 | 3,4, each predicted by the other of its group: SS_res = 4·1, SS_tot = 5.
    expect(computeImportance(trials, ["opt"])).toEqual([{ flag: "opt", score: expect.closeTo(0.2, 12) as number }]);
  });

  it("gives no scores from fewer than three trials", () => {
    expect(
      computeImportance(
        [
          { flags: { x: 1 }, value: 1 },
          { flags: { x: 2 }, value: 2 },
        ],
        ["x"],
      ),
    ).toEqual([]);
  });
});
