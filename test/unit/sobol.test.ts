import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import { SOBOL_MAX_DIM, directionNumbers, sobolPoints } from "../../src/search/sobol.js";

/** True when every one of the 2^a × 2^b cells of dims (i, j) holds the same number of the points. */
function isBalanced(points: Float64Array[], i: number, j: number, a: number, b: number): boolean {
  const counts = new Map<number, number>();
  for (const p of points) {
    const key = Math.floor(p[i]! * 2 ** a) * 2 ** b + Math.floor(p[j]! * 2 ** b);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const per = points.length / 2 ** (a + b);
  return counts.size === 2 ** (a + b) && [...counts.values()].every((c) => c === per);
}

describe("sobol points", () => {
  it("starts as the standard unscrambled sequence (Gray-code order)", () => {
    const p = sobolPoints(8, 3).map((x) => Array.from(x));
    expect(p).toEqual([
      [0, 0, 0],
      [0.5, 0.5, 0.5],
      [0.75, 0.25, 0.25],
      [0.25, 0.75, 0.75],
      [0.375, 0.375, 0.625],
      [0.875, 0.875, 0.125],
      [0.625, 0.125, 0.875],
      [0.125, 0.625, 0.375],
    ]);
  });

  it("keeps direction numbers odd multiples of their bit (valid m_k)", () => {
    for (let d = 0; d < SOBOL_MAX_DIM; d++) {
      const v = directionNumbers(d);
      for (let k = 0; k < 32; k++) {
        const m = v[k]! / 2 ** (31 - k);
        expect(Number.isInteger(m) && m % 2 === 1 && m < 2 ** (k + 1)).toBe(true);
      }
    }
  });

  it("puts one of the first 256 points in each 1/256 of every dimension, scrambled or not", () => {
    for (const rng of [undefined, seedrandom("scramble")]) {
      const points = sobolPoints(256, SOBOL_MAX_DIM, rng);
      for (let d = 0; d < SOBOL_MAX_DIM; d++) expect(new Set(points.map((p) => Math.floor(p[d]! * 256))).size).toBe(256);
    }
  });

  it("makes the first two dimensions a (0, m, 2)-net, scrambled or not", () => {
    for (const rng of [undefined, seedrandom("net")]) {
      const points = sobolPoints(64, 2, rng);
      for (let a = 0; a <= 6; a++) expect(isBalanced(points, 0, 1, a, 6 - a)).toBe(true);
    }
  });

  it("is seeded: the same rng gives the same points, another a different scramble", () => {
    const a = sobolPoints(16, 4, seedrandom("s"));
    expect(sobolPoints(16, 4, seedrandom("s"))).toEqual(a);
    expect(sobolPoints(16, 4, seedrandom("t"))).not.toEqual(a);
  });

  it("fills dimensions past the table with uniform draws in [0, 1)", () => {
    const points = sobolPoints(32, SOBOL_MAX_DIM + 2, seedrandom("wide"));
    for (const p of points) for (const v of p) expect(v >= 0 && v < 1).toBe(true);
    expect(new Set(points.map((p) => p[SOBOL_MAX_DIM + 1])).size).toBe(32);
  });
});
