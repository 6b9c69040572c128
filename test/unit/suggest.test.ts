import { describe, expect, it } from "vitest";
import { RUN_OPTION_NAMES } from "../../src/cli/run-args.js";
import { UsageError } from "../../src/errors.js";
import { checkLabel, checkScriptFlagNames, checkTags } from "../../src/flags/check-names.js";
import { closestNames, didYouMean, editDistance } from "../../src/format/suggest.js";
import { missingObjectiveWarning, noScalarsWarning } from "../../src/query/objective.js";
import { parseGpSettings } from "../../src/search/gp.js";
import { parseTpeSettings } from "../../src/search/tpe.js";
import { parseTreeSettings } from "../../src/search/trees.js";

describe("editDistance", () => {
  it("counts a swap of neighbouring letters as one edit", () => {
    expect(editDistance("lsos", "loss")).toBe(1);
    expect(editDistance("max-trails", "max-trials")).toBe(1);
  });

  it("counts insertions, deletions and substitutions", () => {
    expect(editDistance("los", "loss")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });
});

describe("closestNames / didYouMean", () => {
  it("suggests the nearest names, nearest first", () => {
    expect(closestNames("lsos", ["acc", "loss", "val_loss"])).toEqual(["loss"]);
    expect(closestNames("LOSS", ["loss"])).toEqual(["loss"]);
    expect(didYouMean("los", ["loss", "lost", "acc"])).toBe("; did you mean loss or lost?");
  });

  it("suggests nothing when no name is a plausible typo", () => {
    expect(closestNames("accuracy", ["loss", "lr"])).toEqual([]);
    expect(didYouMean("zzz", ["loss"])).toBe("");
  });
});

describe("checkScriptFlagNames", () => {
  const globals = { script: "train.py", style: "globals" as const, python: true, declared: ["x", "noise"] };
  const argparse = { script: "main.py", style: "args" as const, python: true, declared: ["alpha", "beta", "do_something"] };
  const message = (fn: () => void): string => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error("expected a UsageError");
  };

  it("accepts declared flags", () => {
    expect(() => checkScriptFlagNames(globals, ["x", "noise"], RUN_OPTION_NAMES, false)).not.toThrow();
    expect(() => checkScriptFlagNames(argparse, ["alpha", "do_something"], RUN_OPTION_NAMES, false)).not.toThrow();
  });

  it("suggests a g run option for a mistyped one after the script", () => {
    expect(message(() => checkScriptFlagNames(globals, ["max-trails"], RUN_OPTION_NAMES, false))).toBe(
      'train.py has no flag "max-trails"; did you mean --max-trials (a g run option)? (its flags are x, noise; --force-flags passes it anyway)',
    );
    expect(message(() => checkScriptFlagNames(argparse, ["max-trails"], RUN_OPTION_NAMES, false))).toMatch(
      /did you mean --max-trials \(a g run option\)\?/,
    );
  });

  it("rejects an unknown flag of an argparse script, suggesting its closest option", () => {
    expect(message(() => checkScriptFlagNames(argparse, ["alpah"], RUN_OPTION_NAMES, false))).toMatch(
      /^main.py has no flag "alpah"; did you mean --alpha\?/,
    );
    // An abbreviation argparse would expand is refused too, naming the full option.
    expect(message(() => checkScriptFlagNames(argparse, ["do"], RUN_OPTION_NAMES, false))).toMatch(/did you mean --do_something\?/);
  });

  it("lets everything through with --force-flags, for non-Python scripts, and when no options were detected", () => {
    expect(() => checkScriptFlagNames(argparse, ["anything"], RUN_OPTION_NAMES, true)).not.toThrow();
    expect(() => checkScriptFlagNames({ ...argparse, python: false }, ["anything"], RUN_OPTION_NAMES, false)).not.toThrow();
    expect(() => checkScriptFlagNames({ ...argparse, declared: [] }, ["anything"], RUN_OPTION_NAMES, false)).not.toThrow();
    expect(() => checkScriptFlagNames({ ...globals, declared: [] }, ["y"], RUN_OPTION_NAMES, false)).toThrow(
      /it has no module-level flags/,
    );
  });
});

describe("checkTags", () => {
  it("accepts plain tags and rejects empty ones and ones the --tag filter would split", () => {
    expect(() => checkTags(["best", "v1.2", "lr-sweep"], "--tag")).not.toThrow();
    expect(() => checkTags([""], "--tag")).toThrow(/^--tag: a tag cannot be empty$/);
    expect(() => checkTags(["x,y"], "--add")).toThrow(/^--add: tag "x,y" has a space or comma/);
    expect(() => checkTags(["a b"], "--tag")).toThrow(UsageError);
  });

  it("accepts a label of one line and rejects line breaks and control characters", () => {
    expect(() => checkLabel("lr 0.1, best so far", "--set")).not.toThrow();
    expect(() => checkLabel(undefined, "--set")).not.toThrow();
    expect(() => checkLabel("a\nb", "-l/--label")).toThrow(/^-l\/--label: a label is one line of text/);
    expect(() => checkLabel("a\tb", "--set")).toThrow(UsageError);
  });
});

describe("missingObjectiveWarning", () => {
  const summary = { last: 1, first: 1, min: 1, max: 1, avg: 1, total: 1, count: 1, step: null };
  it("warns when a run logged scalars but not the objective, suggesting the closest key", () => {
    expect(missingObjectiveWarning({ column: "lsos", goal: "minimize" }, { loss: summary, acc: summary }, "trial 1")).toBe(
      'warning: trial 1 logged no "lsos" (the objective), so the optimizer cannot learn from it; it logged loss, acc; did you mean loss?',
    );
    expect(missingObjectiveWarning({ column: "min val_loss", goal: "minimize" }, { loss: summary }, "trial 2")).toMatch(
      /logged no "val_loss"/,
    );
  });

  it("says nothing when the objective is there or nothing was logged", () => {
    expect(missingObjectiveWarning({ column: "loss", goal: "minimize" }, { loss: summary }, "trial 1")).toBeNull();
    expect(missingObjectiveWarning({ column: "loss", goal: "minimize" }, {}, "trial 1")).toBeNull();
  });
});

describe("an unknown optimizer setting", () => {
  it("names the close settings when there are any", () => {
    expect(() => parseGpSettings({ "end-game-chek": "2" })).toThrow(
      /^unknown gp setting 'end-game-chek'; did you mean end-game-check\? \(see g run --help-optimizer gp\)$/,
    );
    expect(() => parseTpeSettings({ gama: "0.2" })).toThrow(/^unknown tpe setting 'gama'; did you mean gamma\?/);
    expect(() => parseTreeSettings("forest", { kapa: "2" })).toThrow(/^unknown forest setting 'kapa'; did you mean kappa\?/);
    expect(() => parseTreeSettings("gbrt", { "end-gam": "off" })).toThrow(/did you mean end-game\?/);
  });

  it("lists every setting when none is close", () => {
    expect(() => parseGpSettings({ bogus: "1" })).toThrow(
      /^unknown gp setting 'bogus': expected one of random-starts, .*end-game-check.* \(see g run --help-optimizer gp\)$/,
    );
    expect(() => parseTpeSettings({ bogus: "1" })).toThrow(UsageError);
  });
});

describe("noScalarsWarning", () => {
  it("warns a learning search about a trial with no scalars at all, naming the key to print", () => {
    expect(noScalarsWarning({ column: "min val_loss", goal: "minimize" }, {}, "trial 1", "gp")).toBe(
      'warning: trial 1 logged no scalars, so gp cannot learn from it; print "val_loss: <value>" from the script, or log val_loss with the SDK',
    );
    const summary = { first: 1, last: 1, min: 1, max: 1, avg: 1, count: 1, step: null };
    expect(noScalarsWarning({ column: "loss", goal: "minimize" }, { acc: summary } as never, "trial 1", "gp")).toBeNull();
  });
});
