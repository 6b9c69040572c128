// Where g's own files are, whether it runs from dist/ (tsc), dist/bundle/
// (esbuild chunks at any depth) or an installed package: found by walking up
// to the package root rather than by counting "../".

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | null = null;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "src", "runner", "python"))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find g's package folder (src/runner/python is missing); reinstall g");
    dir = up;
  }
}

export function bootstrapPy(): string {
  return join(packageRoot(), "src", "runner", "python", "g_bootstrap.py");
}

export function sdkPythonDir(): string {
  return join(packageRoot(), "src", "sdk", "python");
}

export function gBin(): string {
  return join(packageRoot(), "bin", "g");
}

/** The version in g's package.json: `g --version` says what is installed, never a copy of it. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}

/**
 * The script of a globals-style run's argv (`python3 g_bootstrap.py SCRIPT`,
 * as `buildArgv` makes it), or null for any other argv: that argv runs g's
 * bootstrap, which sets the globals from G_FLAGS, so it is no command a user
 * can run again by itself.
 */
export function globalsScriptOf(cmd: readonly string[]): string | null {
  return cmd.length === 3 && basename(cmd[1]!) === basename(bootstrapPy()) ? cmd[2]! : null;
}
