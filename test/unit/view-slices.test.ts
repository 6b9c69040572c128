// The search page's slice plots as data: one per searched flag, a point per
// trial with an objective value, on the axis its dimension calls for.
import { describe, expect, it } from "vitest";
import type { SearchResponse, SearchTrial } from "../../src/view/api.js";
import { axisCategories, bestTrial, buildSlices } from "../../src/view/app/slices.js";

function trial(n: number | null, flags: SearchTrial["flags"], value: number | null): SearchTrial {
  return { id: `${String(n ?? "x")}`.padStart(32, "0"), trial: n, status: "completed", flags, value };
}

const SEARCH: SearchResponse = {
  id: "b".repeat(32),
  op: "tpe",
  objective: { column: "loss", goal: "min" },
  dims: [
    { name: "lr", type: "log", low: 1e-5, high: 0.1 },
    { name: "size", type: "int", low: 16, high: 128, choices: [128, 16, 64] },
    { name: "opt", type: "categorical", choices: ["sgd", "adam"] },
    { name: "drop", type: "float", low: 0, high: 0.5 },
  ],
  trials: [
    trial(1, { lr: 0.01, size: 64, opt: "adam", drop: 0.1 }, 0.5),
    trial(2, { lr: 0.001, size: 16, opt: "sgd", drop: 0.2 }, 0.2),
    trial(3, { lr: 0.1, size: 128, opt: "adam", drop: 0.3 }, null),
    trial(4, { lr: 0.0001, size: 16, opt: "rmsprop", drop: 0.4 }, 0.9),
  ],
  importance: [],
};

describe("slice plots", () => {
  it("gives each searched flag its axis: log for a log dimension, the choices in order, the range otherwise", () => {
    const axes = Object.fromEntries(buildSlices(SEARCH).map((s) => [s.flag, s.axis]));
    expect(axes).toEqual({
      lr: { type: "log", min: 1e-5, max: 0.1 },
      size: { type: "category", categories: ["16", "64", "128"] },
      // a value the space does not list (an older batch's) comes after the listed ones
      opt: { type: "category", categories: ["sgd", "adam", "rmsprop"] },
      drop: { type: "value", min: 0, max: 0.5 },
    });
  });

  it("draws every trial with an objective value, when it ran, and marks the best", () => {
    const [lr, size, opt] = buildSlices(SEARCH);
    expect(lr!.points.map((p) => [p.x, p.y, p.order])).toEqual([
      [0.01, 0.5, 1],
      [0.001, 0.2, 2],
      [0.0001, 0.9, 4],
    ]);
    expect(size!.points.map((p) => p.x)).toEqual([1, 0, 0]);
    expect(opt!.points.map((p) => p.x)).toEqual([1, 0, 2]);
    for (const s of buildSlices(SEARCH)) expect(s.points[s.best!]!.trial, s.flag).toBe(2);
    expect(bestTrial({ ...SEARCH, objective: { column: "loss", goal: "max" } })!.trial).toBe(4);
  });

  it("orders a sweep's runs without trial numbers by their place in the search", () => {
    const sweep = { ...SEARCH, trials: SEARCH.trials.map((t) => ({ ...t, trial: null })) };
    expect(buildSlices(sweep)[0]!.points.map((p) => [p.order, p.trial])).toEqual([
      [1, null],
      [2, null],
      [4, null],
    ]);
  });

  it("leaves out a value its axis cannot show, and has no best where the best trial lacks the flag", () => {
    const odd: SearchResponse = {
      ...SEARCH,
      dims: [{ name: "lr", type: "log", low: 1e-5, high: 0.1 }],
      trials: [trial(1, { lr: 0 }, 0.1), trial(2, { lr: "high" }, 0.3), trial(3, {}, 0.4), trial(4, { lr: 0.01 }, 0.5)],
    };
    const [lr] = buildSlices(odd);
    expect(lr!.points.map((p) => p.trial)).toEqual([4]);
    expect(lr!.best).toBeNull();
  });

  it("gives a range no categories and a choice its values without a missing one", () => {
    expect(axisCategories({ name: "lr", type: "float", low: 0, high: 1 }, SEARCH.trials)).toBeNull();
    expect(axisCategories({ name: "opt", type: "categorical", choices: ["a"] }, [trial(1, {}, 1), trial(2, { opt: "a" }, 2)])).toEqual([
      "a",
    ]);
  });
});
