import { describe, expect, it } from "vitest";
import { parseRunArgs } from "../../src/cli/run-args.js";
import { RUN_OPTIONS, optionNames } from "../../src/cli/run-options.js";
import { buildProgram } from "../../src/cli/program.js";

describe("parseRunArgs", () => {
  it("takes Guild name=value flags after the script", () => {
    const a = parseRunArgs(["train.py", "x=[-0.5,-0.4]", "noise=0"]);
    expect(a.script).toBe("train.py");
    expect(a.flags).toEqual([
      { name: "x", text: "[-0.5,-0.4]" },
      { name: "noise", text: "0" },
    ]);
  });

  it("takes Grid.ai --name value flags, and a bare --name as true", () => {
    const a = parseRunArgs(["main.py", "--alpha", "uniform(1e-5, 1e-1, 3)", "--do_something", "--beta=[1, 2]"]);
    expect(a.flags).toEqual([
      { name: "alpha", text: "uniform(1e-5, 1e-1, 3)" },
      { name: "do_something", text: true },
      { name: "beta", text: "[1, 2]" },
    ]);
  });

  it("reads a bare --flag followed by a name=value flag as true", () => {
    expect(parseRunArgs(["main.py", "--verbose", "x=1"]).flags).toEqual([
      { name: "verbose", text: true },
      { name: "x", text: "1" },
    ]);
  });

  it("keeps a value containing = whole, in every form", () => {
    expect(parseRunArgs(["main.py", "--v", "a=b=c"]).flags).toEqual([{ name: "v", text: "a=b=c" }]);
    expect(parseRunArgs(["main.py", "--v=a=b"]).flags).toEqual([{ name: "v", text: "a=b" }]);
    expect(parseRunArgs(["main.py", "v=a=b", "--w", "x==1"]).flags).toEqual([
      { name: "v", text: "a=b" },
      { name: "w", text: "x==1" },
    ]);
    expect(parseRunArgs(["main.py", "--v", "=x"]).flags).toEqual([{ name: "v", text: "=x" }]);
    expect(parseRunArgs(["--label=a=b", "main.py", "--opt-flag", "xi=a=b"])).toMatchObject({ label: "a=b", optFlags: ["xi=a=b"] });
  });

  it("suggests the closest g run option for a mistyped one before the script", () => {
    expect(() => parseRunArgs(["--max-trails", "3", "train.py"])).toThrow(
      /^unknown option --max-trails for g run; did you mean --max-trials\?$/,
    );
  });

  it("takes a negative number as a flag's value", () => {
    expect(parseRunArgs(["main.py", "--x", "-0.5"]).flags).toEqual([{ name: "x", text: "-0.5" }]);
  });

  it("recognises run options before and after the script", () => {
    const a = parseRunArgs([
      "--strategy",
      "random_search",
      "--trials",
      "3",
      "main.py",
      "--alpha",
      "1",
      "--optimizer",
      "bayesian",
      "-y",
      "-j",
      "2",
    ]);
    expect(a).toMatchObject({ strategy: "random_search", trials: 3, optimizer: "bayesian", yes: true, parallel: 2, script: "main.py" });
    expect(a.flags).toEqual([{ name: "alpha", text: "1" }]);
  });

  it("passes everything after -- to the script, run option names included", () => {
    const a = parseRunArgs(["train.py", "--", "--label", "x"]);
    expect(a.label).toBeUndefined();
    expect(a.flags).toEqual([{ name: "label", text: "x" }]);
  });

  it("collects repeated --tag and --opt-flag", () => {
    const a = parseRunArgs(["--tag", "a", "train.py", "--tag", "b", "--opt-flag", "xi=0.1"]);
    expect(a.tags).toEqual(["a", "b"]);
    expect(a.optFlags).toEqual(["xi=0.1"]);
  });

  it("rejects an unknown option before the script, a bad count and a repeated flag", () => {
    expect(() => parseRunArgs(["--bogus", "train.py"])).toThrow(/unknown option --bogus/);
    expect(() => parseRunArgs(["--max-trials", "ten", "train.py"])).toThrow('--max-trials takes a whole number of at least 1, not "ten"');
    // The bound the message names is the option's own: 0 is a seed, never a number of trials.
    expect(() => parseRunArgs(["-j", "-1", "train.py"])).toThrow('-j takes a whole number of at least 1, not "-1"');
    expect(() => parseRunArgs(["--random-seed", "x", "train.py"])).toThrow('--random-seed takes a whole number of 0 or more, not "x"');
    expect(() => parseRunArgs(["train.py", "x=1", "x=2"])).toThrow(
      /^flag x is given twice; give it once \(a list such as x=\[1,2\] searches several values\)$/,
    );
    expect(() => parseRunArgs(["train.py", "--verbose", "--verbose"])).toThrow(
      /given twice; .*; a counted option takes how many times: verbose=2 passes --verbose --verbose$/,
    );
    expect(() => parseRunArgs(["train.py", "--label"])).toThrow(/--label needs a value/);
    expect(() => parseRunArgs(["-j", "0", "train.py"])).toThrow(/at least 1/);
  });

  it("takes only the listed values for --learn-from", () => {
    expect(parseRunArgs(["--learn-from", "all", "train.py"]).learnFrom).toBe("all");
    expect(() => parseRunArgs(["--learn-from=some", "train.py"])).toThrow(/--learn-from takes batch or all, not "some"/);
  });
});

describe("g run's option table", () => {
  it("is what the parser reads: every name of every option, before the script", () => {
    for (const def of RUN_OPTIONS) {
      for (const name of optionNames(def)) {
        const value = def.kind === "bool" ? [] : def.kind === "string" ? ["choices" in def ? def.choices[0] : "text"] : ["3"];
        const parsed = parseRunArgs([name, ...value, "train.py"]) as unknown as Record<string, unknown>;
        const expected = def.kind === "bool" ? true : def.kind === "int" ? 3 : def.kind === "list" ? [value[0]] : value[0];
        expect(parsed[def.key], name).toEqual(expected);
        expect(parsed.script).toBe("train.py");
      }
    }
  });

  it("is what g run --help lists, in the same order", () => {
    const run = buildProgram().commands.find((c) => c.name() === "run")!;
    const listed = run.options.map((o) => o.flags).filter((f) => f !== "-h, --help");
    expect(listed).toEqual(RUN_OPTIONS.map((d) => d.flags));
  });
});

describe("createRng", () => {
  it("gives the same stream as seedrandom(seed), so seeds mean the same everywhere", async () => {
    const { default: seedrandom } = await import("seedrandom");
    const { createRng } = await import("../../src/search/rng.js");
    const a = seedrandom("7");
    const b = createRng(7);
    expect(Array.from({ length: 5 }, () => b())).toEqual(Array.from({ length: 5 }, () => a()));
  });
});
