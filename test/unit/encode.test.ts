import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import type { Point, Space } from "../../src/flags/space.js";
import { buildEncoding, decodePoint, encodePoint, isContinuous, pointKey, sampleSpread, sampleUnit } from "../../src/search/encode.js";

const space: Space = {
  lr: { type: "loguniform", low: 1e-4, high: 1e-1 },
  layers: { type: "uniform", low: 1, high: 10, integer: true },
  dropout: { type: "uniform", low: 0, high: 0.5, q: 0.1 },
  act: { type: "choice", values: ["relu", "tanh", "gelu"] },
  epochs: { type: "const", value: 5 },
  x: { type: "uniform", low: -2, high: 2 },
  mom: { type: "normal", mu: 0.9, sigma: 0.01 },
};

describe("buildEncoding", () => {
  it("gives numbers one coordinate, choices one per value and consts none", () => {
    const enc = buildEncoding(space);
    expect(enc.width).toBe(1 + 1 + 1 + 3 + 1 + 1);
    expect(enc.consts).toEqual({ epochs: 5 });
    expect(isContinuous(enc)).toBe(false);
    expect(isContinuous(buildEncoding({ x: space.x! }))).toBe(true);
  });

  it("treats single-valued ranges and choices as constants", () => {
    const enc = buildEncoding({ a: { type: "uniform", low: 3, high: 3 }, b: { type: "choice", values: ["only"] } });
    expect(enc.width).toBe(0);
    expect(decodePoint(enc, [])).toEqual({ a: 3, b: "only" });
  });
});

describe("encode/decode round trip", () => {
  const enc = buildEncoding(space);

  it("returns the same point for values on the space's grid", () => {
    const point = { lr: 0.001, layers: 7, dropout: 0.3, act: "gelu", epochs: 5, x: -1.25, mom: 0.905 };
    const back = decodePoint(enc, encodePoint(enc, point));
    expect(back.lr).toBeCloseTo(0.001, 12);
    expect(back.x).toBeCloseTo(-1.25, 12);
    expect(back.mom).toBeCloseTo(0.905, 12);
    expect({ ...back, lr: 0, x: 0, mom: 0 }).toEqual({ ...point, lr: 0, x: 0, mom: 0 });
  });

  it("keeps the order of the space's flags in decoded points", () => {
    const back = decodePoint(enc, sampleUnit(enc, seedrandom("1")));
    expect(Object.keys(back)).toEqual(Object.keys(space));
  });

  it("maps log ranges in log space: the geometric midpoint is at 0.5", () => {
    const u = encodePoint(enc, { lr: Math.sqrt(1e-4 * 1e-1) });
    expect(u[0]).toBeCloseTo(0.5, 12);
  });

  it("rounds integers and q steps and stays in range for any unit vector", () => {
    const rng = seedrandom("7");
    for (let k = 0; k < 200; k++) {
      const p = decodePoint(enc, sampleUnit(enc, rng));
      expect(Number.isInteger(p.layers)).toBe(true);
      expect(p.layers as number).toBeGreaterThanOrEqual(1);
      expect(p.layers as number).toBeLessThanOrEqual(10);
      expect([0, 0.1, 0.2, 0.3, 0.4, 0.5]).toContain(p.dropout);
      expect(["relu", "tanh", "gelu"]).toContain(p.act);
      expect(p.lr as number).toBeGreaterThanOrEqual(1e-4);
      expect(p.lr as number).toBeLessThanOrEqual(1e-1);
    }
  });

  it("maps a normal dimension over mu ± 3 sigma and clips beyond", () => {
    const moms = [0, 0.5, 1].map((u) => {
      const v = new Float64Array(enc.width);
      v[enc.width - 1] = u;
      return decodePoint(enc, v).mom as number;
    });
    expect(moms[0]).toBeCloseTo(0.87, 12);
    expect(moms[1]).toBeCloseTo(0.9, 12);
    expect(moms[2]).toBeCloseTo(0.93, 12);
    expect(encodePoint(enc, { mom: 5 })[enc.width - 1]).toBe(1);
  });

  it("matches choice values that come back as strings", () => {
    const e = buildEncoding({ n: { type: "choice", values: [16, 32, 64] } });
    expect(Array.from(encodePoint(e, { n: "32" }))).toEqual([0, 1, 0]);
  });
});

describe("sampleSpread", () => {
  const space: Space = { x: { type: "uniform", low: 0, high: 1 } };
  const enc = buildEncoding(space);
  const largestGap = (xs: number[]): number => {
    const s = [0, ...xs.sort((a, b) => a - b), 1];
    return Math.max(...s.slice(1).map((v, i) => v - s[i]!));
  };
  const draw = (seed: string, candidates: number): number[] => {
    const rng = seedrandom(seed);
    const tried: Point[] = [];
    for (let k = 0; k < 5; k++) tried.push(sampleSpread(enc, tried, new Set(), rng, candidates));
    return tried.map((p) => p.x as number);
  };

  it("covers a range more evenly than uniform draws", () => {
    const seeds = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const spread = seeds.map((s) => largestGap(draw(s, 10)));
    const uniform = seeds.map((s) => largestGap(draw(s, 1)));
    expect(Math.max(...spread)).toBeLessThan(0.45);
    expect(spread.reduce((a, b) => a + b)).toBeLessThan(0.75 * uniform.reduce((a, b) => a + b));
  });

  it("never repeats a tried point of a small integer range", () => {
    const ints: Space = { n: { type: "uniform", low: 1, high: 4, integer: true } };
    const e = buildEncoding(ints);
    const rng = seedrandom("3");
    const tried: Point[] = [];
    const seen = new Set<string>();
    for (let k = 0; k < 4; k++) {
      const p = sampleSpread(e, tried, seen, rng, 10);
      expect(seen.has(pointKey(e, p))).toBe(false);
      tried.push(p);
      seen.add(pointKey(e, p));
    }
  });
});
