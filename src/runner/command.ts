// The one path from flag values to a child's argv and environment, for `g run`,
// batch trials and sweep agents alike (shared/DESIGN.md, "Flags reach the script").
//
// The rule that keeps a search from changing what the user never set: an
// argparse-style (`--name value`) script gets on its command line only the
// flags the user gave or searched. Detected defaults stay off it, because
// passing a default back is not always neutral (`--no-aug` with
// `action="store_false"` *sets* aug to False). Globals-style scripts get every
// value through G_FLAGS: replacing a global by its own value changes nothing.

import { delimiter, extname, resolve } from "node:path";
import type { Point } from "../flags/space.js";
import { DEFAULT_COMMAND, type SweepConfig } from "../flags/sweep-space.js";
import type { Flags, FlagValue } from "../store/types.js";
import { inspectScript, pythonCommand, type ScriptInfo } from "./inspect.js";
import { bootstrapPy, sdkPythonDir } from "./paths.js";

/**
 * A flag value as one argument of a child's command line: strings as they
 * are, numbers in JavaScript's shortest round-trip text (which Python's
 * float() and int() read back unchanged), booleans true/false, null as null.
 */
export function formatArgValue(value: FlagValue): string {
  return value === null ? "null" : String(value);
}

/**
 * `--name value` arguments for the named flags, in the order of `flags`:
 * true is the bare `--name`; null is left out, and so is false for a flag the
 * script declares as a boolean switch.
 */
export function flagArgs(flags: Flags, given: Iterable<string>, info?: ScriptInfo): string[] {
  const names = new Set(given);
  const out: string[] = [];
  for (const [name, value] of Object.entries(flags)) {
    if (!names.has(name) || value === null) continue;
    if (value === true) {
      out.push(`--${name}`);
      continue;
    }
    if (value === false && info?.flags[name]?.type === "bool") continue;
    out.push(`--${name}`, formatArgValue(value));
  }
  return out;
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

/**
 * The argv of a sweep trial from the sweep's command template and W&B's
 * macros: `${args}` is `--name=value` per flag, `${args_no_hyphens}`
 * `name=value`, `${args_json}` one JSON argument, `${interpreter}` the
 * interpreter for the program ("" drops it), `${env}` /usr/bin/env. Never a
 * shell string.
 */
export function expandSweepCommand(config: Pick<SweepConfig, "command" | "program">, point: Point, interpreter: string): string[] {
  const template = config.command ?? DEFAULT_COMMAND;
  const out: string[] = [];
  for (const part of template) {
    switch (part) {
      case "${args}":
        for (const [k, v] of Object.entries(point)) out.push(`--${k}=${formatArgValue(v)}`);
        continue;
      case "${args_no_hyphens}":
        for (const [k, v] of Object.entries(point)) out.push(`${k}=${formatArgValue(v)}`);
        continue;
      case "${args_json}":
        out.push(JSON.stringify(point));
        continue;
      case "${interpreter}":
        if (interpreter !== "") out.push(interpreter);
        continue;
      case "${env}":
        out.push("/usr/bin/env");
        continue;
    }
    out.push(part.replaceAll("${program}", config.program).replaceAll("${interpreter}", interpreter).replaceAll("${env}", "/usr/bin/env"));
  }
  return out;
}

/**
 * The argv of a sweep trial run from `cwd`: the sweep's command, except that a
 * Python program without argparse (globals style, and no command of its own)
 * runs under the bootstrap, which sets its globals from G_FLAGS.
 */
export function buildSweepArgv(config: Pick<SweepConfig, "command" | "program">, point: Point, cwd: string): string[] {
  const program = config.program;
  const ext = extname(program).toLowerCase();
  const interpreter = ext === ".py" ? pythonCommand() : ext === ".js" || ext === ".mjs" || ext === ".cjs" ? process.execPath : "";
  if (config.command === null && ext === ".py") {
    const path = resolve(cwd, program);
    try {
      if (inspectScript(path, null).style === "globals") return [interpreter, bootstrapPy(), path];
    } catch {
      /* unreadable script: run it as written and let it fail in its own words */
    }
  }
  return expandSweepCommand(config, point, interpreter);
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
