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

  describe('a counted option (action="count")', () => {
    const count = { v: { type: "int" as const, default: 0, arg: "count" } };
    const typed = (text: string) => applyDefaultTypes({ v: parseFlagSpec("v", text) }, count).specs.v;

    it("takes whole numbers, true as 1 and false as 0", () => {
      expect(typed("2")).toEqual({ type: "const", value: 2 });
      expect(typed("yes")).toEqual({ type: "const", value: 1 });
      expect(typed("no")).toEqual({ type: "const", value: 0 });
      expect(typed("[0,true,3]")).toEqual({ type: "choice", values: [0, 1, 3] });
      expect(typed("[0:3]")).toEqual({ type: "uniform", low: 0, high: 3, integer: true });
    });

    it("refuses a value or a search that gives no whole count", () => {
      expect(() => typed("-1")).toThrow(/flag v: --v is counted \(action="count"\).*not -1; e\.g\. v=2$/);
      expect(() => typed("1.5")).toThrow(/not 1\.5/);
      expect(() => typed("loud")).toThrow(/not loud/);
      expect(() => typed("[1,2.5]")).toThrow(/not 2\.5/);
      expect(() => typed("[0.5:2.5]")).toThrow(/search it over whole numbers of at least 0, e\.g\. v=\[0:3\]/);
      expect(() => typed("[-2:2]")).toThrow(/search it over whole numbers/);
    });
  });
});
