// The flag grammar: every flag form of the Guild and Grid.ai seeds, typed
// values, and the one-line errors for texts that almost are a search form.

import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { describeDimension } from "../../src/flags/describe.js";
import { materializeSpace, parseFlagSpec, type FlagSpec } from "../../src/flags/grammar.js";
import type { Dimension } from "../../src/flags/space.js";
import { encodeFlagValue, formatFlagValue, parseFlagValue } from "../../src/flags/value.js";
import type { FlagValue } from "../../src/store/types.js";

describe("parseFlagValue", () => {
  const cases: Array<[string, FlagValue]> = [
    ["32", 32],
    ["-3", -3],
    ["+7", 7],
    ["0.01", 0.01],
    ["1e-2", 0.01],
    ["1E-2", 0.01],
    [".5", 0.5],
    ["-.5", -0.5],
    ["5.", 5],
    ["1e5", 100000],
    ["bert", "bert"],
    ["'bert'", "bert"],
    ['"bert"', "bert"],
    ["'1'", "1"],
    ['"yes"', "yes"],
    ["''", ""],
    ["", ""],
    ["a b", "a b"],
    ["true", true],
    ["True", true],
    ["TRUE", true],
    ["yes", true],
    ["on", true],
    ["false", false],
    ["False", false],
    ["no", false],
    ["off", false],
    ["tRUE", "tRUE"],
    ["null", null],
    ["None", null],
    ["~", null],
    ["inf", "inf"],
    ["nan", "nan"],
    ["1_000", "1_000"],
    ["0x1F", "0x1F"],
    ["1:2", "1:2"],
    ["12345678901234567890", "12345678901234567890"],
    ["'a' 'b'", "'a' 'b'"],
  ];
  it.each(cases)("reads %j as %j", (text, value) => {
    expect(parseFlagValue(text)).toStrictEqual(value);
  });
});

describe("formatFlagValue", () => {
  const cases: Array<[FlagValue, string]> = [
    [32, "32"],
    [-3, "-3"],
    [0.01, "0.01"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1.5e-7, "1.5e-07"],
    [1e16, "1e+16"],
    [0.1 + 0.2, "0.30000000000000004"],
    [true, "true"],
    [false, "false"],
    [null, "null"],
    ["bert", "bert"],
  ];
  it.each(cases)("writes %j as %j", (value, text) => {
    expect(formatFlagValue(value)).toBe(text);
  });

  it("writes floats that read back as the same number", () => {
    const rng = seedrandom("round-trip");
    for (let i = 0; i < 500; i++) {
      const v = (rng() - 0.5) * 10 ** Math.floor(rng() * 40 - 20);
      expect(parseFlagValue(formatFlagValue(v))).toBe(v);
    }
  });

  it("encodes strings that would read as something else so they read back as strings", () => {
    for (const v of ["1", "yes", "null", "[1:2]", "uniform(1, 2, 3)", "", " padded", "it's"]) {
      expect(parseFlagValue(encodeFlagValue(v))).toBe(v);
    }
    expect(encodeFlagValue("bert")).toBe("bert");
    expect(encodeFlagValue("1")).toBe("'1'");
  });
});

const guildDraw = (spec: FlagSpec): Dimension => materializeSpace({ f: spec }, seedrandom("1")).f!;

describe("parseFlagSpec: forms that give one value", () => {
  const cases: Array<[string, string | true, FlagValue]> = [
    ["bare --do_something is true", true, true],
    ["--learning_rate 0.01", "0.01", 0.01],
    ["--learning_rate 1e-2", "1e-2", 0.01],
    ["--batch_size 32", "32", 32],
    ["--model bert", "bert", "bert"],
    ["--model 'bert'", "'bert'", "bert"],
    ['--model "bert"', '"bert"', "bert"],
    ["noise=0", "0", 0],
    ["quoted list text stays text", "'[1:2]'", "[1:2]"],
    ["quoted draw text stays text", '"uniform(1, 2, 3)"', "uniform(1, 2, 3)"],
    ["an unknown call is text", "relu(0.1)", "relu(0.1)"],
    ["parentheses around a word are text", "(default)", "(default)"],
    ["indexing without a colon is text", "a[0]", "a[0]"],
    ["a path is text", "data/train.csv", "data/train.csv"],
  ];
  it.each(cases)("%s", (_title, text, value) => {
    expect(parseFlagSpec("x", text)).toStrictEqual({ type: "const", value });
  });
});

describe("parseFlagSpec: lists", () => {
  const cases: Array<[string, string, FlagValue[]]> = [
    ["Guild x=[-0.5,-0.4,-0.3,-0.2,-0.1]", "[-0.5,-0.4,-0.3,-0.2,-0.1]", [-0.5, -0.4, -0.3, -0.2, -0.1]],
    ["Guild x=[-0.25,-0.30,-0.35]", "[-0.25,-0.30,-0.35]", [-0.25, -0.3, -0.35]],
    ["Guild noise=[0.0,0.1]", "[0.0,0.1]", [0, 0.1]],
    ['Grid.ai --layers "[32, 64, 128]"', "[32, 64, 128]", [32, 64, 128]],
    ['Grid.ai --beta "[1, 2, 3, 4]"', "[1, 2, 3, 4]", [1, 2, 3, 4]],
    ["Grid.ai string list, numpy style", "['resnet18' 'transformer', 'resnet50']", ["resnet18", "transformer", "resnet50"]],
    ["unquoted words", "[resnet18, transformer resnet50]", ["resnet18", "transformer", "resnet50"]],
    ["mixed types", "[1, 2.5, yes, null, 'a b', bert]", [1, 2.5, true, null, "a b", "bert"]],
    ["quotes keep commas, colons and brackets", `['a,b', "c:d", '[e]']`, ["a,b", "c:d", "[e]"]],
    ["nested quotes", `["it's", 'say "hi"']`, ["it's", 'say "hi"']],
    ["a trailing comma", "[1, 2,]", [1, 2]],
    ["one value", "[7]", [7]],
  ];
  it.each(cases)("%s", (_title, text, values) => {
    expect(parseFlagSpec("x", text)).toStrictEqual({ type: "choice", values });
  });
});

describe("parseFlagSpec: Python ranges and Guild sequences", () => {
  const cases: Array<[string, string, FlagValue[]]> = [
    ['Grid.ai --layers "(1, 10, 2)"', "(1, 10, 2)", [1, 3, 5, 7, 9]],
    ["two values", "(1, 4)", [1, 2, 3]],
    ["one value is range(stop)", "(3)", [0, 1, 2]],
    ["a negative step", "(10, 1, -3)", [10, 7, 4]],
    ["range includes its stop, as in Guild", "range[1:5]", [1, 2, 3, 4, 5]],
    ["range with a step", "range[0:5:2]", [0, 2, 4]],
    ["range downwards", "range[5:1:-1]", [5, 4, 3, 2, 1]],
    ["range with a float step", "range[0.1:0.5:0.1]", [0.1, 0.2, 0.3, 0.4, 0.5]],
    ["range in scientific notation", "range[1e-5:5e-5:1e-5]", [1e-5, 2e-5, 3e-5, 4e-5, 5e-5]],
    ["linspace defaults to 5 values", "linspace[1:10]", [1, 3.25, 5.5, 7.75, 10]],
    ["linspace with a count", "linspace[0:1:3]", [0, 0.5, 1]],
    ["logspace", "logspace[-5:0:6]", [1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1]],
    ["logspace with a base", "logspace[0:3:4:2]", [1, 2, 4, 8]],
  ];
  it.each(cases)("%s", (_title, text, values) => {
    expect(parseFlagSpec("x", text)).toStrictEqual({ type: "choice", values });
  });
});

describe("parseFlagSpec: Guild ranges", () => {
  const cases: Array<[string, Dimension]> = [
    ["[-0.4:-0.2]", { type: "uniform", low: -0.4, high: -0.2 }],
    ["[-2.0:2.0]", { type: "uniform", low: -2, high: 2 }],
    ["[1:10]", { type: "uniform", low: 1, high: 10, integer: true }],
    ["[1.0:10]", { type: "uniform", low: 1, high: 10 }],
    ["uniform[0:1e-1]", { type: "uniform", low: 0, high: 0.1 }],
    ["uniform[ 1 : 5 ]", { type: "uniform", low: 1, high: 5, integer: true }],
    ["loguniform[1e-5:1e-1]", { type: "loguniform", low: 1e-5, high: 0.1 }],
    ["log-uniform[1:1000]", { type: "loguniform", low: 1, high: 1000, integer: true }],
  ];
  it.each(cases)("reads %s", (text, dim) => {
    expect(parseFlagSpec("x", text)).toStrictEqual(dim);
  });
});

describe("parseFlagSpec: Grid.ai draws", () => {
  it('reads --alpha "uniform(1e-5, 1e-1, 3)" as 3 draws in [1e-5, 1e-1)', () => {
    const spec = parseFlagSpec("alpha", "uniform(1e-5, 1e-1, 3)");
    expect(spec).toMatchObject({ type: "draw", distribution: "uniform", params: { low: 1e-5, high: 0.1 }, size: 3 });
    const dim = guildDraw(spec);
    expect(dim.type).toBe("choice");
    const values = (dim as { values: number[] }).values;
    expect(values).toHaveLength(3);
    for (const v of values) expect(v >= 1e-5 && v < 0.1).toBe(true);
  });

  it("takes numpy's keyword arguments and np.random. prefixes", () => {
    expect(parseFlagSpec("a", "np.random.normal(loc=1, scale=0.5, size=4)")).toMatchObject({
      distribution: "normal",
      params: { loc: 1, scale: 0.5 },
      size: 4,
    });
    expect(parseFlagSpec("a", "lognormal(0, 1, size=2)")).toMatchObject({
      distribution: "lognormal",
      params: { mean: 0, sigma: 1 },
      size: 2,
    });
    expect(parseFlagSpec("a", "normal(size=2)")).toMatchObject({ params: { loc: 0, scale: 1 }, size: 2 });
  });

  it("reads randint(high) as numpy does: [0, high)", () => {
    expect(parseFlagSpec("a", "randint(5)")).toMatchObject({ distribution: "randint", params: { low: 0, high: 5 }, size: 1 });
  });

  it("draws randint integers in [low, high) and loguniform values in [low, high)", () => {
    const ints = guildDraw(parseFlagSpec("a", "randint(1, 4, 200)")) as { values: number[] };
    expect(new Set(ints.values)).toStrictEqual(new Set([1, 2, 3]));
    const logs = guildDraw(parseFlagSpec("a", "loguniform(1e-4, 1e-1, 200)")) as { values: number[] };
    for (const v of logs.values) expect(v >= 1e-4 && v < 0.1).toBe(true);
    // Log-uniform puts about a third of the draws in each decade.
    expect(logs.values.filter((v) => v < 1e-3).length).toBeGreaterThan(40);
  });

  it("draws normal values around loc with spread scale", () => {
    const dim = guildDraw(parseFlagSpec("a", "normal(10, 2, 2000)")) as { values: number[] };
    const mean = dim.values.reduce((s, v) => s + v, 0) / dim.values.length;
    const sd = Math.sqrt(dim.values.reduce((s, v) => s + (v - mean) ** 2, 0) / dim.values.length);
    expect(Math.abs(mean - 10)).toBeLessThan(0.2);
    expect(Math.abs(sd - 2)).toBeLessThan(0.2);
  });

  it("draws the same values for the same seed and others for another", () => {
    const spec = parseFlagSpec("alpha", "uniform(1e-5, 1e-1, 3)");
    const a = materializeSpace({ alpha: spec }, seedrandom("7"));
    const b = materializeSpace({ alpha: spec }, seedrandom("7"));
    const c = materializeSpace({ alpha: spec }, seedrandom("8"));
    expect(a).toStrictEqual(b);
    expect(a).not.toStrictEqual(c);
  });

  it("passes dimensions other than draws through materializeSpace unchanged, in order", () => {
    const space = materializeSpace({ b: parseFlagSpec("b", "[1:2]"), a: parseFlagSpec("a", "3") }, seedrandom("1"));
    expect(Object.keys(space)).toStrictEqual(["b", "a"]);
    expect(space.a).toStrictEqual({ type: "const", value: 3 });
  });
});

describe("parseFlagSpec: almost-forms are one-line usage errors", () => {
  // [flag text, words the message must contain]
  const cases: Array<[string, string[]]> = [
    ["[1:]", ["flag x", '"[1:]"', "no upper bound", "x=[LOW:HIGH]", "e.g. x=[-0.4:-0.2]"]],
    ["[:1]", ["no lower bound", "x=[LOW:HIGH]"]],
    ["[1:2:3:4]", ["4 values", "x=[LOW:HIGH]"]],
    ["[1:2:3]", ["initial value 3", "outside [1, 2]"]],
    ["[0:1:a]", ['initial value "a"', "not a number"]],
    ["[2:1]", ["not below", "x=[LOW:HIGH]"]],
    ["[a:b]", ["not both numbers", "quotes"]],
    ["[1,2", ["does not close", "x=[A,B,C]"]],
    ["[]", ["empty list", "x=[1,2,3]"]],
    ["[1,,2]", ["empty item", "x=[A,B,C]"]],
    ["['a, b]", ["unclosed ' quote"]],
    ["[[1,2],3]", ["nested list"]],
    ["loguniform[0:1]", ["at or below 0", "loguniform[LOW:HIGH]", "e.g. x=loguniform[1e-5:1e-1]"]],
    ["loguniform[-1:1]", ["at or below 0"]],
    ["uniform[1:2", ["does not close", "x=[LOW:HIGH]"]],
    ["range[1:10:0]", ["step of 0", "x=range[START:STOP:STEP]", "e.g. x=range[1:10:2]"]],
    ["range[1:10:-1]", ["no values"]],
    ["range[1]", ["takes START:STOP"]],
    ["range[1:a]", ['"a"', "not a number"]],
    ["range[0:1e9]", ["more than 10000"]],
    ["linspace[0:1:0]", ["at least 1"]],
    ["linspace[0:1:2.5]", ["whole number"]],
    ["unifrom[0:1]", ["unknown function unifrom", "uniform", "loguniform"]],
    ["uniform(1, 2", ["does not close", 'x="uniform(1e-5, 1e-1, 3)"']],
    ["uniform(2, 1, 3)", ["low=2, high=1", "numpy requires low < high"]],
    ["uniform(1, 2, 0)", ["size is a whole number of at least 1"]],
    ["uniform(1, 2, 2.5)", ["size is a whole number"]],
    ["uniform(1, 2, 3, 4)", ["more than 3 values"]],
    ["uniform(1, b)", ['"b"', "not a number"]],
    ["uniform(low=1, 2)", ["positional value after a keyword"]],
    ["normal(0, -1, 3)", ["scale=-1", "scale >= 0"]],
    ["normal(mu=0)", ["unknown parameter mu", "loc, scale, size"]],
    ["loguniform(0, 1, 3)", ["low=0", "low > 0"]],
    ["loguniform(1, size=3)", ["does not give loguniform its high"]],
    ["randint(1.5, 4, 3)", ["not a whole number"]],
    ["dirichlet([1, 1], 3)", ["dirichlet", "vector", "one value per trial"]],
    ["np.random.foo(3)", ["not a numpy distribution"]],
    ["(1, 10", ["does not close", 'x="(1, 10, 2)"']],
    ["(1, 10, 0)", ["step of 0"]],
    ["(10, 1)", ["empty range"]],
    ["(0.1, 0.5, 0.1)", ["whole numbers", "range[0.1:0.5:0.1]"]],
    ["(1, 2, 3, 4)", ["at most 3"]],
  ];
  it.each(cases)("rejects %j", (text, words) => {
    let error: unknown;
    try {
      parseFlagSpec("x", text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message.startsWith(`flag x: "${text}" `)).toBe(true);
    expect(message).not.toContain("\n");
    for (const w of words) expect(message).toContain(w);
  });

  it("gives the documented message for x=[1:]", () => {
    expect(() => parseFlagSpec("x", "[1:]")).toThrow(
      'flag x: "[1:]" looks like a range but has no upper bound; write x=[LOW:HIGH], e.g. x=[-0.4:-0.2]',
    );
  });
});

describe("describeDimension", () => {
  const cases: Array<[string, string, string]> = [
    ["x", "[-0.4:-0.2]", "x: uniform float in [-0.4, -0.2]"],
    ["epochs", "[1:10]", "epochs: uniform integer in [1, 10]"],
    ["lr", "loguniform[1e-5:1e-1]", "lr: log-uniform float in [1e-05, 0.1]"],
    ["model", "['resnet18' 'transformer', 'resnet50']", "model: one of resnet18, transformer, resnet50"],
    ["noise", "0.1", "noise: 0.1"],
    ["flag", "[yes]", "flag: true (a list of one)"],
    ["n", "range[1:12]", "n: one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, … (12 values)"],
  ];
  it.each(cases)("describes %s=%s", (name, text, line) => {
    expect(describeDimension(name, parseFlagSpec(name, text) as Dimension)).toBe(line);
  });

  it("escapes control characters in text values, so the preview stays one line a flag", () => {
    const dim: Dimension = { type: "choice", values: ["a\tb", "c\x1bx\n"] };
    expect(describeDimension("name", dim)).toBe("name: one of a\\tb, c\\x1bx\\n");
    expect(describeDimension("name", { type: "const", value: "x\ny" })).toBe("name: x\\ny");
  });

  it("describes normal dimensions and steps", () => {
    expect(describeDimension("w", { type: "normal", mu: 0, sigma: 1 })).toBe("w: normal float, mean 0, sd 1");
    expect(describeDimension("w", { type: "uniform", low: 0, high: 1, q: 0.1 })).toBe("w: uniform float in [0, 1], in steps of 0.1");
  });
});

describe("describeDimension: long numbers", () => {
  it("shows drawn values to 6 significant digits", () => {
    expect(describeDimension("alpha", { type: "choice", values: [0.08652641742695602, 0.05173720272686999] })).toBe(
      "alpha: one of 0.0865264, 0.0517372",
    );
  });

  it("shows more digits when 6 would make two values look alike", () => {
    expect(describeDimension("a", { type: "choice", values: [0.12345671, 0.12345678] })).toBe("a: one of 0.1234567, 0.1234568");
  });
});

describe("Guild's [LOW:HIGH:INITIAL]", () => {
  it("reads the third value as the first trial's value", () => {
    expect(parseFlagSpec("x", "[-0.4:-0.2:-0.3]")).toStrictEqual({ type: "uniform", low: -0.4, high: -0.2, initial: -0.3 });
    expect(parseFlagSpec("n", "[1:10:4]")).toStrictEqual({ type: "uniform", low: 1, high: 10, integer: true, initial: 4 });
    expect(parseFlagSpec("x", "[0:1:0.25]")).toStrictEqual({ type: "uniform", low: 0, high: 1, initial: 0.25 });
    expect(parseFlagSpec("lr", "loguniform[1e-5:1e-1:1e-3]")).toStrictEqual({ type: "loguniform", low: 1e-5, high: 0.1, initial: 1e-3 });
  });

  it("says the first trial's value in the preview", () => {
    expect(describeDimension("x", parseFlagSpec("x", "[-0.4:-0.2:-0.3]") as Dimension)).toBe(
      "x: uniform float in [-0.4, -0.2], first trial -0.3",
    );
  });
});
