import { describe, expect, it } from "vitest";
import { computeImportance, etaSquared, rank, spearman } from "../../src/view/importance.js";

describe("flag importance", () => {
  it("ranks ties by their mean rank", () => {
    expect(rank([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it("Spearman is 1 for any increasing relation and -1 for a decreasing one", () => {
    const xs = [1, 2, 3, 4, 5, 6];
    expect(
      spearman(
        xs,
        xs.map((x) => Math.exp(x)),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        xs,
        xs.map((x) => -(x ** 3)),
      ),
    ).toBeCloseTo(-1, 12);
    expect(spearman(xs, [3, 3, 3, 3, 3, 3])).toBe(0);
  });

  it("η² is 1 when groups explain everything and 0 when group means are equal", () => {
    expect(etaSquared(["a", "a", "b", "b"], [1, 1, 5, 5])).toBeCloseTo(1, 12);
    expect(etaSquared(["a", "a", "b", "b"], [1, 5, 1, 5])).toBeCloseTo(0, 12);
    // Means 2.5 and 3.5 around 3: between 2·0.25 + 2·0.25 = 1, total 4 + 1 + 1 + 4 = 10.
    expect(etaSquared(["a", "b", "a", "b"], [1, 2, 4, 5])).toBeCloseTo(0.1, 12);
  });

  it("scores the flag the objective depends on above the one it ignores", () => {
    const trials = Array.from({ length: 30 }, (_, i) => {
      const lr = (i * 7) % 30;
      const noise = (i * 13) % 30;
      const opt = i % 3 === 0 ? "adam" : i % 3 === 1 ? "sgd" : "rmsprop";
      return { flags: { lr, noise, opt }, value: lr * 2 + (opt === "sgd" ? 0.5 : 0) };
    });
    const scores = computeImportance(trials, ["noise", "lr", "opt"], new Set(["opt"]));
    expect(scores.map((s) => s.flag)[0]).toBe("lr");
    const by = Object.fromEntries(scores.map((s) => [s.flag, s.score]));
    expect(by.lr).toBeCloseTo(1, 12);
    expect(by.noise!).toBeLessThan(0.5);
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
    // Ranks 1,2 | 3,4 around 2.5: between 4, total 5 (η² is computed on the ranks).
    expect(computeImportance(trials, ["opt"])).toEqual([{ flag: "opt", score: 0.8 }]);
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
