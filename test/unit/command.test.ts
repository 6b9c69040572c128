// The one path from flag values to a child's argv (src/runner/command.ts):
// which flags reach the script, how each value is written, and W&B's macros.

import { describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildArgv,
  expandSweepCommand,
  flagArgs,
  formatArgValue,
  givenFlagNames,
  readShebang,
  resolveSweepProgram,
} from "../../src/runner/command.js";
import { sweepIdFromPath } from "../../src/store/sweeps.js";
import type { ScriptInfo } from "../../src/runner/inspect.js";

const argparseScript: ScriptInfo = {
  path: "/work/main2.py",
  kind: "python",
  style: "args",
  flags: {
    layers: { default: "[4]", type: "string", arg: "value" },
    lr: { default: 0.1, type: "float", arg: "value" },
    "no-aug": { default: false, type: "bool", arg: "switch" },
    pretrained: { default: false, type: "bool", arg: "value" },
    aug: { default: true, type: "bool", arg: "toggle" },
    verbose: { default: 0, type: "int", arg: "count" },
  },
};
const globalsScript: ScriptInfo = { path: "/work/train.py", kind: "python", style: "globals", flags: { x: { default: 1, type: "int" } } };

describe("formatArgValue", () => {
  it("writes strings as they are", () => expect(formatArgValue("[1, 2]")).toBe("[1, 2]"));
  it("writes numbers in their shortest round-trip text", () => {
    expect(formatArgValue(0.1)).toBe("0.1");
    expect(formatArgValue(3)).toBe("3");
    expect(formatArgValue(1e-7)).toBe("1e-7");
    expect(Number(formatArgValue(0.1 + 0.2))).toBe(0.1 + 0.2);
  });
  it("writes booleans and null as words", () => {
    expect(formatArgValue(true)).toBe("true");
    expect(formatArgValue(false)).toBe("false");
    expect(formatArgValue(null)).toBe("null");
  });
});

describe("flagArgs", () => {
  it("passes only the given flags, never a detected default", () => {
    const flags = { layers: "[1, 2]", lr: 0.1, "no-aug": false };
    expect(flagArgs(flags, ["layers"], argparseScript)).toEqual(["--layers", "[1, 2]"]);
  });
  it("passes a given true as the bare switch", () => {
    expect(flagArgs({ "no-aug": true }, ["no-aug"], argparseScript)).toEqual(["--no-aug"]);
  });
  it("leaves out a given false for a declared boolean and a given null", () => {
    expect(flagArgs({ "no-aug": false, lr: null }, ["no-aug", "lr"], argparseScript)).toEqual([]);
  });
  it("passes false as a value to a flag the script does not declare, true as the bare --name", () => {
    expect(flagArgs({ fast: false }, ["fast"], argparseScript)).toEqual(["--fast", "false"]);
    expect(flagArgs({ fast: true }, ["fast"], argparseScript)).toEqual(["--fast"]);
  });
  it("passes a boolean to an option that takes a value as Python's True or False", () => {
    expect(flagArgs({ pretrained: true }, ["pretrained"], argparseScript)).toEqual(["--pretrained", "True"]);
    expect(flagArgs({ pretrained: false }, ["pretrained"], argparseScript)).toEqual(["--pretrained", "False"]);
    expect(flagArgs({ layers: true }, ["layers"], argparseScript)).toEqual(["--layers", "True"]);
  });
  it("passes a BooleanOptionalAction's boolean as --name or --no-name", () => {
    expect(flagArgs({ aug: true }, ["aug"], argparseScript)).toEqual(["--aug"]);
    expect(flagArgs({ aug: false }, ["aug"], argparseScript)).toEqual(["--no-aug"]);
  });
  it("passes a counted option as many times as its number says, and 0 as nothing", () => {
    expect(flagArgs({ verbose: 3 }, ["verbose"], argparseScript)).toEqual(["--verbose", "--verbose", "--verbose"]);
    expect(flagArgs({ verbose: 1, lr: 0.5 }, ["verbose", "lr"], argparseScript)).toEqual(["--verbose", "--lr", "0.5"]);
    expect(flagArgs({ verbose: 0 }, ["verbose"], argparseScript)).toEqual([]);
  });
  it("keeps the order of the flags, not of the given names", () => {
    expect(flagArgs({ a: 1, b: 2 }, ["b", "a"])).toEqual(["--a", "1", "--b", "2"]);
  });
});

describe("buildArgv", () => {
  it("gives an argparse trial its searched and set flags only", () => {
    const argv = buildArgv(argparseScript, { layers: "[1, 2]", lr: 0.5, "no-aug": false }, ["layers", "lr"]);
    expect(argv.slice(1)).toEqual(["/work/main2.py", "--layers", "[1, 2]", "--lr", "0.5"]);
  });
  it("runs a globals script under the bootstrap with no flag arguments", () => {
    const argv = buildArgv(globalsScript, { x: 2 }, ["x"]);
    expect(argv).toHaveLength(3);
    expect(argv[1]).toMatch(/g_bootstrap\.py$/);
    expect(argv[2]).toBe("/work/train.py");
  });
  it("passes given flags to an executable", () => {
    const exec: ScriptInfo = { path: "/work/run.sh", kind: "exec", style: "args", flags: {} };
    expect(buildArgv(exec, { n: 3, s: "a b" }, ["n", "s"])).toEqual(["/work/run.sh", "--n", "3", "--s", "a b"]);
  });
});

describe("givenFlagNames", () => {
  it("reads the names from the run's recorded argv", () => {
    const cmd = ["python3", "/work/main2.py", "--layers", "[1, 2]"];
    expect(givenFlagNames({ layers: "[1, 2]", lr: 0.1, "no-aug": false }, cmd, argparseScript)).toEqual(["layers"]);
  });
  it("falls back to the values that differ from the defaults when the run never started", () => {
    expect(givenFlagNames({ layers: "[4]", lr: 0.5, "no-aug": false, extra: 1 }, undefined, argparseScript)).toEqual(["lr", "extra"]);
  });
});

describe("expandSweepCommand", () => {
  const point = { lr: 0.01, optimizer: "adam", fast: true };
  const py = { interpreter: ["python3"], program: "cnn.py" };
  const ctx = (program = py, argsJsonFile: string | null = null) => ({ program, argsJsonFile, env: { HOME_DIR: "/home/u" } });

  it("passes --name=value after the interpreter and program by default, values as Python's str()", () => {
    expect(expandSweepCommand({ command: null, space: {} }, point, ctx())).toEqual([
      "python3",
      "cnn.py",
      "--lr=0.01",
      "--optimizer=adam",
      "--fast=True",
    ]);
  });

  it("drops an empty interpreter", () => {
    expect(expandSweepCommand({ command: null, space: {} }, { a: 1 }, ctx({ interpreter: [], program: "./run.sh" }))).toEqual([
      "./run.sh",
      "--a=1",
    ]);
  });

  it("writes null as None and small floats as Python does", () => {
    expect(expandSweepCommand({ command: null, space: {} }, { a: null, b: 1e-7 }, ctx({ interpreter: [], program: "./run.sh" }))).toEqual([
      "./run.sh",
      "--a=None",
      "--b=1e-07",
    ]);
  });

  it("expands every W&B macro, whole arguments only, and ${envvar:NAME} anywhere", () => {
    const cmd = [
      "${env}",
      "${interpreter}",
      "${program}",
      "--config",
      "${args_json}",
      "${args_no_hyphens}",
      "${args_no_equals}",
      "${args_no_boolean_flags}",
      "--file",
      "${args_json_file}",
      "--home=${envvar:HOME_DIR}",
      "${envvar:NOT_SET}",
    ];
    const point = { a: 1, b: "x y", c: false, d: true };
    expect(
      expandSweepCommand({ command: cmd, space: {} }, point, ctx({ interpreter: ["python3"], program: "t.py" }, "/r/args.json")),
    ).toEqual([
      "/usr/bin/env",
      "python3",
      "t.py",
      "--config",
      '{"a": 1, "b": "x y", "c": false, "d": true}',
      "a=1",
      "b=x y",
      "c=False",
      "d=True",
      "--a",
      "1",
      "--b",
      "x y",
      "--c",
      "False",
      "--d",
      "True",
      "--a=1",
      "--b=x y",
      "--d",
      "--file",
      "/r/args.json",
      "--home=/home/u",
      "NOT_SET",
    ]);
  });
});

describe("resolveSweepProgram", () => {
  it("runs scripts by extension, executables directly and others by their #! line", () => {
    const dir = mkdtempSync(join(tmpdir(), "g-prog-"));
    try {
      writeFileSync(join(dir, "run.sh"), "#!/bin/sh\necho hi\n");
      chmodSync(join(dir, "run.sh"), 0o755);
      writeFileSync(join(dir, "plain.sh"), "#!/usr/bin/env  bash -e \necho hi\n");
      writeFileSync(join(dir, "none"), "echo hi\n");
      expect(resolveSweepProgram("t.py", dir).interpreter).toHaveLength(1);
      expect(resolveSweepProgram("t.mjs", dir).interpreter).toEqual([process.execPath]);
      expect(resolveSweepProgram("run.sh", dir)).toEqual({ interpreter: [], program: "./run.sh" });
      // As Linux reads #!: the interpreter, then the rest of the line as one argument.
      expect(resolveSweepProgram("plain.sh", dir)).toEqual({ interpreter: ["/usr/bin/env", "bash -e"], program: "./plain.sh" });
      expect(resolveSweepProgram("none", dir)).toEqual({ interpreter: [], program: "./none" });
      expect(resolveSweepProgram("bin/tool", dir).program).toBe("bin/tool");
      expect(readShebang(join(dir, "missing"))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("sweepIdFromPath", () => {
  it("takes the id from W&B's path forms", () => {
    expect(sweepIdFromPath("3fa9c2d1")).toBe("3fa9c2d1");
    expect(sweepIdFromPath("proj/3fa9c2d1")).toBe("3fa9c2d1");
    expect(sweepIdFromPath("me/proj/3fa9")).toBe("3fa9");
    expect(() => sweepIdFromPath("a/b/c/3fa9c2d1")).toThrow(/ID, project\/ID or entity\/project\/ID/);
    expect(() => sweepIdFromPath("me/proj/")).toThrow(/not a sweep id/);
  });
});
