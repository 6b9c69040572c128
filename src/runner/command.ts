// The one path from flag values to a child's argv and environment, for `g run`,
// batch trials and sweep agents alike (shared/DESIGN.md, "Flags reach the script").
//
// The rule that keeps a search from changing what the user never set: an
// argparse-style (`--name value`) script gets on its command line only the
// flags the user gave or searched. Detected defaults stay off it, because
// passing a default back is not always neutral (two options of a mutually
// exclusive group both given; a `type=` converter argparse applies to a
// value given but not to a non-string default). Globals-style scripts get
// every value through G_FLAGS: replacing a global by its own value changes nothing.

import { delimiter, extname, resolve } from "node:path";
import type { Point } from "../flags/space.js";
import type { SweepConfig } from "../flags/sweep-config.js";
import { DEFAULT_COMMAND } from "../flags/sweep-grid.js";
import { sweepMacroArgs } from "../flags/sweep-args.js";
import { closeSync, openSync, readSync } from "node:fs";
import { findExecutable } from "./preflight.js";
import type { Flags, FlagValue } from "../store/types.js";
import { inspectScript, pythonCommand, type ScriptFlag, type ScriptInfo } from "./inspect.js";
import { bootstrapPy, globalsScriptOf, sdkPythonDir } from "./paths.js";

export { globalsScriptOf };

/**
 * A flag value as one argument of a child's command line: strings as they
 * are, numbers in JavaScript's shortest round-trip text (which Python's
 * float() and int() read back unchanged), booleans true/false, null as null.
 */
export function formatArgValue(value: FlagValue): string {
  return value === null ? "null" : String(value);
}

/**
 * `--name value` arguments for the named flags, in the order of `flags`; null
 * is left out. A boolean goes as the script's option takes it: to a switch
 * (store_true, store_false), true is the bare `--name` and false leaves it
 * off; to a BooleanOptionalAction, `--name` or `--no-name`; to an argparse
 * option that takes a value, Python's `True` / `False` (`--pretrained True`,
 * what a `type=` converter reading Python's words expects). A counted option
 * (action="count") is given as many times as its whole number says
 * (`verbose=2` is `--verbose --verbose`, 0 leaves it off). A flag the script
 * does not declare (or a program g cannot inspect) gets true as the bare
 * `--name`, false as `--name false`.
 */
export function flagArgs(flags: Flags, given: Iterable<string>, info?: ScriptInfo): string[] {
  const names = new Set(given);
  const out: string[] = [];
  for (const [name, value] of Object.entries(flags)) {
    if (!names.has(name) || value === null) continue;
    out.push(...argsForFlag(name, value, info?.flags[name]?.arg));
  }
  return out;
}

function argsForFlag(name: string, value: Exclude<FlagValue, null>, arg: ScriptFlag["arg"]): string[] {
  const times = arg === "count" ? countOf(value) : undefined;
  if (times !== undefined) return Array.from({ length: times }, () => `--${name}`);
  if (typeof value !== "boolean") return [`--${name}`, formatArgValue(value)];
  switch (arg) {
    case "switch":
    case "count":
      return value ? [`--${name}`] : [];
    case "toggle":
      return [value ? `--${name}` : `--no-${name}`];
    case "value":
      return [`--${name}`, value ? "True" : "False"];
    case undefined:
      return value ? [`--${name}`] : [`--${name}`, formatArgValue(value)];
  }
}

/** How many times a counted option is given for a value (a whole number of at least 0), or undefined. */
function countOf(value: Exclude<FlagValue, null>): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * The argv of a run of a script: `flags` are every value the run records
 * (defaults included), `given` the names the user set or searched, the only
 * ones a `--name value` script receives.
 */
export function buildArgv(info: ScriptInfo, flags: Flags, given: Iterable<string>): string[] {
  const script = resolve(info.path);
  switch (info.kind) {
    case "python":
      return info.style === "globals"
        ? [pythonCommand(), bootstrapPy(), script]
        : [pythonCommand(), script, ...flagArgs(flags, given, info)];
    case "node":
      return [process.execPath, script, ...flagArgs(flags, given, info)];
    case "exec":
      return [script, ...flagArgs(flags, given, info)];
  }
}

/**
 * The names a finished or interrupted run was given on its command line, for
 * running it again: the `--name` arguments of its recorded argv. A run that
 * never started has no argv; then the flags whose value differs from the
 * script's detected default are the ones the user set.
 */
export function givenFlagNames(flags: Flags, cmd: string[] | undefined, info: ScriptInfo): string[] {
  if (cmd !== undefined && cmd.length > 0) {
    const args = new Set(cmd.filter((a) => a.startsWith("--")).map((a) => a.slice(2)));
    return Object.keys(flags).filter((name) => args.has(name));
  }
  return Object.keys(flags).filter((name) => !(name in info.flags) || info.flags[name]!.default !== flags[name]);
}

/** How a sweep's program starts: what `${interpreter}` and `${program}` become. */
export interface SweepProgram {
  interpreter: string[];
  program: string;
}

/** Longest `#!` line read from a program. */
const SHEBANG_MAX_BYTES = 256;

/**
 * What runs a sweep's program found in `cwd`: python for `.py`, node for
 * `.js/.mjs/.cjs`; any other program runs itself when it is executable, else
 * through the interpreter its `#!` line names (W&B's `${interpreter}` is
 * always python, which only suits Python). A program named without a folder
 * is written `./name`, since spawn looks such names up on PATH.
 */
export function resolveSweepProgram(program: string, cwd: string): SweepProgram {
  if (program === "") return { interpreter: [], program: "" };
  const ext = extname(program).toLowerCase();
  if (ext === ".py") return { interpreter: [pythonCommand()], program };
  if (ext === ".js" || ext === ".mjs" || ext === ".cjs") return { interpreter: [process.execPath], program };
  const token = program.includes("/") ? program : `./${program}`;
  const path = resolve(cwd, program);
  if (findExecutable(path, cwd) !== null) return { interpreter: [], program: token };
  return { interpreter: readShebang(path) ?? [], program: token };
}

/** The interpreter argv of a `#!` line (as Linux reads it: the path, then the rest as one argument), or null. */
export function readShebang(path: string): string[] | null {
  let head: string;
  try {
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(SHEBANG_MAX_BYTES);
      head = buf.subarray(0, readSync(fd, buf, 0, SHEBANG_MAX_BYTES, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  if (!head.startsWith("#!")) return null;
  const line = head.slice(2).split("\n")[0]!.trim();
  if (line === "") return null;
  const space = line.search(/\s/);
  return space < 0 ? [line] : [line.slice(0, space), line.slice(space).trim()];
}

/** What a trial's command needs besides its flags. */
export interface SweepCommandContext {
  program: SweepProgram;
  /** The file `${args_json_file}` names (written by the caller), or null when the command does not use it. */
  argsJsonFile: string | null;
  env: NodeJS.ProcessEnv;
  /**
   * The program's argparse options that take no `=value` (switches, toggles,
   * counted options), when g inspected it: `${args}` gives those as the
   * option takes them (`--amp`, `--no-amp`, `--verbose --verbose`) rather than
   * W&B's `--amp=True`, which argparse refuses.
   */
  switches?: ReadonlyMap<string, ScriptFlag["arg"]>;
}

/**
 * The argv of a sweep trial from the sweep's command template, expanded as
 * W&B's agent does: an argument that is exactly a macro becomes its
 * arguments (`${args}`: `--name=value` per parameter, values as Python's
 * str(); `${env}`: /usr/bin/env; ...), `${envvar:NAME}` inside any argument
 * becomes $NAME (NAME itself when unset). Never a shell string.
 */
export function expandSweepCommand(
  config: Pick<SweepConfig, "command" | "space" | "params">,
  point: Point,
  ctx: SweepCommandContext,
): string[] {
  const template = config.command ?? DEFAULT_COMMAND;
  const macros = sweepMacroArgs(config, point);
  const out: string[] = [];
  for (const part of template) {
    switch (part) {
      case "${args}":
        out.push(...(ctx.switches === undefined ? macros.args : switchArgs(macros.args, point, ctx.switches)));
        continue;
      case "${args_no_hyphens}":
      case "${args_no_boolean_flags}":
      case "${args_no_equals}":
        out.push(...macros[part.slice(2, -1) as "args"]);
        continue;
      case "${args_json}":
        out.push(macros.args_json);
        continue;
      case "${args_json_file}":
        if (ctx.argsJsonFile !== null) out.push(ctx.argsJsonFile);
        continue;
      case "${interpreter}":
        out.push(...ctx.program.interpreter);
        continue;
      case "${program}":
        out.push(ctx.program.program);
        continue;
      case "${env}":
        out.push("/usr/bin/env");
        continue;
    }
    out.push(part.replace(/\$\{envvar:([A-Z0-9_]*)\}/g, (_, name: string) => ctx.env[name] ?? name));
  }
  return out;
}

/**
 * `${args}` (`--name=value` each) with each of `switches` given as the
 * program's option takes it (argsForFlag): a boolean to a switch or toggle, a
 * whole number to a counted option. Any other value stays as W&B writes it.
 */
function switchArgs(args: string[], point: Point, switches: ReadonlyMap<string, ScriptFlag["arg"]>): string[] {
  return args.flatMap((arg) => {
    const name = arg.slice(2, arg.indexOf("="));
    const kind = switches.get(name);
    const value = point[name];
    if (kind === undefined || value === undefined || value === null) return [arg];
    if (kind === "count" ? countOf(value) === undefined : typeof value !== "boolean") return [arg];
    return argsForFlag(name, value, kind);
  });
}

/** Whether the sweep's command writes its parameters to a file (`${args_json_file}`). */
export function usesArgsJsonFile(config: Pick<SweepConfig, "command">): boolean {
  return (config.command ?? DEFAULT_COMMAND).includes("${args_json_file}");
}

/**
 * The argv of a sweep trial run from `cwd`: the sweep's command, except that a
 * Python program without argparse (globals style, and no command of its own)
 * runs under the bootstrap, which sets its globals from G_FLAGS.
 */
export function buildSweepArgv(
  config: Pick<SweepConfig, "command" | "program" | "space" | "params">,
  point: Point,
  cwd: string,
  argsJsonFile: string | null = null,
): string[] {
  return prepareSweepArgv(config, cwd)(point, argsJsonFile);
}

/**
 * buildSweepArgv in two steps: what the program is (a stat, an access and a
 * read of its `#!` line; for Python, its inspection) is found once, and the
 * function returned expands the command for a point. An agent finds it before
 * it takes the sweep's lock, so the claim's critical section holds no file
 * system call of its own.
 */
export function prepareSweepArgv(
  config: Pick<SweepConfig, "command" | "program" | "space" | "params">,
  cwd: string,
): (point: Point, argsJsonFile?: string | null) => string[] {
  const program = resolveSweepProgram(config.program, cwd);
  let switches: Map<string, ScriptFlag["arg"]> | undefined;
  if (config.command === null && extname(config.program).toLowerCase() === ".py") {
    const path = resolve(cwd, config.program);
    try {
      const info = inspectScript(path, null);
      if (info.style === "globals") {
        const argv = [pythonCommand(), bootstrapPy(), path];
        return () => [...argv];
      }
      const named = Object.entries(info.flags).filter(([, f]) => f.arg === "switch" || f.arg === "toggle" || f.arg === "count");
      if (named.length > 0) switches = new Map(named.map(([name, f]) => [name, f.arg]));
    } catch {
      /* unreadable script: run it as written and let it fail in its own words */
    }
  }
  return (point, argsJsonFile = null) => expandSweepCommand(config, point, { program, argsJsonFile, env: process.env, switches });
}

export function buildEnv(base: NodeJS.ProcessEnv, run: { id: string; dir: string; home: string; flags: Flags }): NodeJS.ProcessEnv {
  const pythonPath = [sdkPythonDir(), base.PYTHONPATH].filter((p) => p && p !== "").join(delimiter);
  return {
    ...base,
    G_RUN_ID: run.id,
    G_RUN_DIR: run.dir,
    G_HOME: run.home,
    G_FLAGS: JSON.stringify(run.flags),
    PYTHONUNBUFFERED: "1",
    PYTHONPATH: pythonPath,
  };
}
