import { describe, expect, it } from "vitest";
import { seriesOf } from "../../src/view/data.js";
import type { Run, ScalarRecord } from "../../src/store/types.js";

const run = { id: "a".repeat(32), dir: "/nowhere", status: "completed", record: { started: "2026-01-01T00:00:00.000Z" } } as unknown as Run;
const T0 = Date.parse("2026-01-01T00:00:00.000Z") / 1000;

describe("scalar series for the curves page", () => {
  it("groups records by key, x = step, or the position when no step was logged", () => {
    const records: ScalarRecord[] = [
      { key: "loss", value: 3, step: 10, t: T0 + 1 },
      { key: "acc", value: 0.5, step: null, t: T0 + 1 },
      { key: "loss", value: 2, step: 20, t: T0 + 2 },
      { key: "acc", value: 0.7, step: null, t: T0 + 3 },
    ];
    expect(seriesOf(run, records, "step", 1000)).toEqual([
      { run: run.id, key: "loss", xs: [10, 20], ys: [3, 2] },
      { run: run.id, key: "acc", xs: [0, 1], ys: [0.5, 0.7] },
    ]);
  });

  it("measures x = time in seconds since the run started", () => {
    const records: ScalarRecord[] = [
      { key: "loss", value: 3, step: 1, t: T0 + 1.5 },
      { key: "loss", value: 2, step: 2, t: T0 + 4 },
    ];
    expect(seriesOf(run, records, "time", 1000)[0]!.xs).toEqual([1.5, 4]);
  });

  it("sorts steps logged out of order and drops non-finite values", () => {
    const records: ScalarRecord[] = [
      { key: "loss", value: 1, step: 5, t: T0 },
      { key: "loss", value: Number.NaN, step: 6, t: T0 },
      { key: "loss", value: 3, step: 1, t: T0 },
    ];
    expect(seriesOf(run, records, "step", 1000)).toEqual([{ run: run.id, key: "loss", xs: [1, 5], ys: [3, 1] }]);
  });

  it("down-samples each series to the asked number of points", () => {
    const records: ScalarRecord[] = Array.from({ length: 5000 }, (_, i) => ({ key: "loss", value: Math.sin(i), step: i, t: T0 + i }));
    const [s] = seriesOf(run, records, "step", 100);
    expect(s!.xs).toHaveLength(100);
    expect(s!.xs[0]).toBe(0);
    expect(s!.xs[99]).toBe(4999);
  });
});
