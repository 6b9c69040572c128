import { describe, expect, it } from "vitest";
import { parseFlagSpec } from "../../src/flags/grammar.js";
import { applyDefaultTypes } from "../../src/flags/script-types.js";

describe("applyDefaultTypes", () => {
  const specs = () => ({
    x: parseFlagSpec("x", "[-2:2]"),
    n: parseFlagSpec("n", "loguniform[1:1000]"),
    e: parseFlagSpec("e", "[1:10]"),
    l: parseFlagSpec("l", "[1,2]"),
  });

  it("reads integer bounds as a float range when the script's default is a float, and says so", () => {
    const { specs: out, notes } = applyDefaultTypes(specs(), { x: { type: "float", default: 0.1 }, n: { type: "float", default: 10.0 } });
    expect(out.x).toEqual({ type: "uniform", low: -2, high: 2 });
    expect(out.n).toEqual({ type: "loguniform", low: 1, high: 1000 });
    expect(notes).toEqual([
      "x: searched as floats, since the script's default 0.1 is a float (x=range[-2:2] gives the whole numbers)",
      "n: searched as floats, since the script's default 10.0 is a float (n=range[1:1000] gives the whole numbers)",
    ]);
  });

  it("keeps integer ranges for an integer default, no default, or an unknown flag, and lists as they are", () => {
    const { specs: out, notes } = applyDefaultTypes(specs(), {
      e: { type: "int", default: 3 },
      x: { type: "none", default: null },
      l: { type: "float", default: 0.5 },
    });
    expect(out.x).toEqual({ type: "uniform", low: -2, high: 2, integer: true });
    expect(out.e).toEqual({ type: "uniform", low: 1, high: 10, integer: true });
    expect(out.n).toEqual({ type: "loguniform", low: 1, high: 1000, integer: true });
    expect(out.l).toEqual({ type: "choice", values: [1, 2] });
    expect(notes).toEqual([]);
  });
});
