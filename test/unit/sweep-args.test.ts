// How a sweep trial's values reach the program as W&B's agent writes them:
// Python's str() and json.dumps(), nested parameters grouped under their
// parent, and every ${args...} macro.

import { describe, expect, it } from "vitest";
import { PyFloat, formatPyFloat, pyJsonDumps, pyRepr, pyStr } from "../../src/flags/python-repr.js";
import { groupSweepPoint, sweepMacroArgs } from "../../src/flags/sweep-args.js";
import { parseSweepConfig } from "../../src/flags/sweep-config.js";

describe("Python's text for values", () => {
  it.each([
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [0.1, "0.1"],
    [1, "1.0"],
    [2.5, "2.5"],
    [1234567890123456, "1234567890123456.0"],
    [1e16, "1e+16"],
    [1.5e-7, "1.5e-07"],
    [-0.001, "-0.001"],
    [0.30000000000000004, "0.30000000000000004"],
    [123456.789, "123456.789"],
    [1e100, "1e+100"],
    [0, "0.0"],
  ])("repr(float %s) is %s", (x, text) => expect(formatPyFloat(x)).toBe(text));

  it("writes ints, bools, None and strings as str() does", () => {
    expect(pyStr(3)).toBe("3");
    expect(pyStr(true)).toBe("True");
    expect(pyStr(false)).toBe("False");
    expect(pyStr(null)).toBe("None");
    expect(pyStr("adam")).toBe("adam");
    expect(pyStr(new PyFloat(3))).toBe("3.0");
    expect(pyStr(0.5)).toBe("0.5");
  });

  it("writes lists and dicts with repr() inside", () => {
    expect(pyRepr([1, "a", new PyFloat(2), null, true])).toBe("[1, 'a', 2.0, None, True]");
    expect(pyStr({ lr: new PyFloat(0.001), name: "it's" })).toBe(`{'lr': 0.001, 'name': "it's"}`);
  });

  it("writes JSON as json.dumps does", () => {
    expect(pyJsonDumps({ lr: new PyFloat(1e-5), n: 3, on: true, none: null, s: "é" })).toBe(
      '{"lr": 1e-05, "n": 3, "on": true, "none": null, "s": "\\u00e9"}',
    );
  });
});

const config = (params: string) => parseSweepConfig(`program: t.py\nmethod: random\nparameters:\n${params}`, "sweep.yaml");

describe("sweepMacroArgs", () => {
  it("writes each value with the Python type W&B gives it", () => {
    const c = config(
      "  lr: {distribution: uniform, min: 0, max: 1}\n  n: {min: 1, max: 9}\n  w: {values: [1.0, 2]}\n  q: {distribution: q_uniform, min: 0, max: 8, q: 2}\n  f: {distribution: q_uniform, min: 0, max: 8}\n",
    );
    const args = sweepMacroArgs(c, { lr: 1, n: 3, w: 1, q: 4, f: 4 });
    expect(args.args).toEqual(["--lr=1.0", "--n=3", "--w=1.0", "--q=4", "--f=4.0"]);
    expect(sweepMacroArgs(c, { w: 2 }).args).toEqual(["--w=2"]);
    expect(args.args_json).toBe('{"lr": 1.0, "n": 3, "w": 1.0, "q": 4, "f": 4.0}');
  });

  it("passes list and mapping values whole", () => {
    const c = config("  layers: {value: [64, 32]}\n  opt: {values: [{name: adam, lr: 0.1}]}\n");
    const args = sweepMacroArgs(c, { layers: "[64,32]", opt: '{"name":"adam","lr":0.1}' });
    expect(args.args).toEqual(["--layers=[64, 32]", "--opt={'name': 'adam', 'lr': 0.1}"]);
    expect(args.args_json).toBe('{"layers": [64, 32], "opt": {"name": "adam", "lr": 0.1}}');
  });

  it("groups nested parameters under their parent, as W&B's run config holds them", () => {
    const c = config(
      "  batch_size: {values: [32]}\n  optimizer:\n    parameters:\n      lr: {values: [0.001]}\n      nadam:\n        parameters:\n          beta: {values: [0.9]}\n",
    );
    const point = { batch_size: 32, "optimizer.lr": 0.001, "optimizer.nadam.beta": 0.9 };
    expect(groupSweepPoint(c, point).map(([k]) => k)).toEqual(["batch_size", "optimizer"]);
    const args = sweepMacroArgs(c, point);
    expect(args.args).toEqual(["--batch_size=32", "--optimizer={'lr': 0.001, 'nadam': {'beta': 0.9}}"]);
    expect(args.args_json).toBe('{"batch_size": 32, "optimizer": {"lr": 0.001, "nadam": {"beta": 0.9}}}');
  });

  it("leaves a flat dotted name flat", () => {
    const c = config("  model.depth: {values: [2]}\n");
    expect(sweepMacroArgs(c, { "model.depth": 2 }).args).toEqual(["--model.depth=2"]);
  });

  it("gives every form of the arguments", () => {
    const c = config("  fast: {values: [true, false]}\n  lr: {value: 0.01}\n");
    const on = sweepMacroArgs(c, { fast: true, lr: 0.01 });
    const off = sweepMacroArgs(c, { fast: false, lr: 0.01 });
    expect(on.args_no_hyphens).toEqual(["fast=True", "lr=0.01"]);
    expect(on.args_no_equals).toEqual(["--fast", "True", "--lr", "0.01"]);
    expect(on.args_no_boolean_flags).toEqual(["--fast", "--lr=0.01"]);
    expect(off.args_no_boolean_flags).toEqual(["--lr=0.01"]);
  });

  it("writes values of a sweep made by an older g (no types recorded) by their JS type", () => {
    const args = sweepMacroArgs({ space: {} }, { a: 1, b: 1e-5, c: true });
    expect(args.args).toEqual(["--a=1", "--b=1e-05", "--c=True"]);
  });
});
