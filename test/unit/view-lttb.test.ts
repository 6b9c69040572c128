import { describe, expect, it } from "vitest";
import { downsampleLttb } from "../../src/view/lttb.js";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("LTTB down-sampling", () => {
  it("returns a series already under the threshold unchanged", () => {
    expect(downsampleLttb([0, 1, 2], [5, 6, 7], 10)).toEqual({ xs: [0, 1, 2], ys: [5, 6, 7] });
  });

  it("keeps the first and last points and exactly `threshold` points", () => {
    const xs = range(10_000);
    const ys = xs.map((x) => Math.sin(x / 100));
    const d = downsampleLttb(xs, ys, 500);
    expect(d.xs).toHaveLength(500);
    expect(d.ys).toHaveLength(500);
    expect(d.xs[0]).toBe(0);
    expect(d.xs[499]).toBe(9999);
  });

  it("keeps x ascending and every kept point one of the input's", () => {
    const xs = range(1000).map((i) => i * 3);
    const ys = xs.map((x) => (x * 7919) % 101);
    const d = downsampleLttb(xs, ys, 50);
    for (let i = 1; i < d.xs.length; i++) expect(d.xs[i]!).toBeGreaterThan(d.xs[i - 1]!);
    for (let i = 0; i < d.xs.length; i++) expect(ys[d.xs[i]! / 3]).toBe(d.ys[i]);
  });

  it("keeps a single spike that plain decimation would drop", () => {
    const xs = range(1000);
    const ys = xs.map((x) => (x === 537 ? 100 : 0));
    const d = downsampleLttb(xs, ys, 20);
    expect(d.ys).toContain(100);
    expect(d.xs[d.ys.indexOf(100)]).toBe(537);
  });

  it("picks the point farthest from the line in each bucket (a V keeps its bottom)", () => {
    const xs = range(101);
    const ys = xs.map((x) => Math.abs(x - 50));
    const d = downsampleLttb(xs, ys, 3);
    expect(d).toEqual({ xs: [0, 50, 100], ys: [50, 0, 50] });
  });

  it("handles tiny thresholds", () => {
    expect(downsampleLttb([0, 1, 2, 3], [1, 2, 3, 4], 2)).toEqual({ xs: [0, 3], ys: [1, 4] });
    expect(downsampleLttb([0, 1, 2, 3], [1, 2, 3, 4], 1)).toEqual({ xs: [0], ys: [1] });
    expect(downsampleLttb([0, 1, 2, 3], [1, 2, 3, 4], 0)).toEqual({ xs: [], ys: [] });
  });
});
