// Checks, before any run is created, that the program a run would start can
// be started: a script without its executable bit, or no python3 on PATH,
// would otherwise become one failed run per trial, each with a `cannot start`
// line. Here it is one usage error with the fix.

import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { UsageError } from "../errors.js";

/** What spawn would run for `command`: its path, or null when it cannot be found or executed. */
export function findExecutable(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (command === "") return null;
  if (command.includes("/")) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    return isExecutableFile(path) ? path : null;
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const path = join(dir, command);
    if (isExecutableFile(path)) return path;
  }
  return null;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws a UsageError when `argv[0]` of a run cannot be started; `script` is
 * the script as the user named it. `/usr/bin/env PROGRAM` (W&B's `${env}`)
 * is checked for PROGRAM.
 */
export function checkCanStart(argv: readonly string[], script: string, cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const viaEnv = argv[0] === "/usr/bin/env" && argv.length > 1 && !argv[1]!.startsWith("-") && !argv[1]!.includes("=");
  const program = viaEnv ? argv[1]! : argv[0];
  if (program === undefined || findExecutable(program, cwd, env) !== null) return;
  const path = program.includes("/") ? (isAbsolute(program) ? program : resolve(cwd, program)) : null;
  if (path !== null && isFile(path)) {
    throw new UsageError(`cannot run ${script}: it is not executable; make it so with chmod +x ${script}, or give a .py or .js script`);
  }
  if (path !== null) throw new UsageError(`cannot run ${script}: ${program} does not exist`);
  if (/python/i.test(program)) {
    throw new UsageError(
      `cannot run ${script}: ${program} is not on PATH; install Python 3, or put it on PATH (or set G_PYTHON to the interpreter's path)`,
    );
  }
  throw new UsageError(`cannot run ${script}: ${program} is not on PATH; install it or add its folder to PATH`);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
