import { describe, expect, it } from "vitest";
import { groupScalars, renderSparkline } from "../../src/ui/sparkline.js";

describe("sparklines", () => {
  it("draws a rising series from the lowest to the highest block", () =>
    expect(renderSparkline([1, 2, 3, 4, 5, 6, 7, 8], 8)).toBe("▁▂▃▄▅▆▇█"));
  it("resamples a long series to the width by bucket means", () => expect(renderSparkline([0, 0, 10, 10], 2)).toBe("▁█"));
  it("draws a flat series as a low line", () => expect(renderSparkline([3, 3, 3], 10)).toBe("▁▁▁"));
  it("skips NaN and infinities, and draws nothing without values", () => {
    expect(renderSparkline([NaN, 1, Infinity, 2], 10)).toBe("▁█");
    expect(renderSparkline([], 10)).toBe("");
  });
  it("groups a run's scalars by key in logged order", () => {
    const recs = [
      { key: "loss", value: 1, step: 0, t: 0 },
      { key: "acc", value: 0.5, step: 0, t: 0 },
      { key: "loss", value: 0.5, step: 1, t: 1 },
    ];
    expect([...groupScalars(recs)]).toEqual([
      ["loss", [1, 0.5]],
      ["acc", [0.5]],
    ]);
  });
});
