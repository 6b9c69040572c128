// Finds out how a script takes its flags: Python's own `ast` (through the
// bundled g_bootstrap.py) tells globals-style from argparse-style scripts and
// lists their flags with defaults. Results are cached by path, size and mtime.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, join } from "node:path";
import { UsageError } from "../errors.js";
import { writeJsonAtomic } from "../store/fs-atomic.js";
import type { FlagValue } from "../store/types.js";
import { bootstrapPy } from "./paths.js";

/** Part of the cache key: bump when the inspection's output changes, so old entries are not reused. */
const INSPECT_FORMAT = 4;

export type ScriptKind = "python" | "node" | "exec";
export type FlagStyle = "globals" | "args";

export interface ScriptFlag {
  default: FlagValue;
  type: "int" | "float" | "bool" | "string" | "none";
  /** Read as `g_runs.flags()["name"]`: no default, so the run records it only when given. */
  required?: boolean;
  /**
   * For an argparse option, how it is written on a command line: `switch`
   * (store_true, store_false, store_const: no value; the flag says whether it
   * is given, so its default is false), `toggle` (BooleanOptionalAction:
   * `--name` or `--no-name`), `count` (action="count": the flag is a whole
   * number, `--name` given that many times), `value` (`--name VALUE`). Absent
   * when unknown.
   */
  arg?: "switch" | "toggle" | "count" | "value";
}

export interface ScriptInfo {
  path: string;
  kind: ScriptKind;
  style: FlagStyle;
  /** Flags the script declares, in source order (empty when unknown). */
  flags: Record<string, ScriptFlag>;
  /**
   * The script reads its flags with the Python SDK's `g_runs.flags()`:
   * `named` when only as `.get("name", default)` / `["name"]` (those names are
   * in `flags`), `open` when the dict is used otherwise and any name may be read.
   */
  sdkFlags?: "named" | "open";
}

export function pythonCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.G_PYTHON || "python3";
}

export function scriptKind(path: string): ScriptKind {
  const ext = extname(path).toLowerCase();
  if (ext === ".py") return "python";
  if (ext === ".js" || ext === ".mjs" || ext === ".cjs") return "node";
  return "exec";
}

/**
 * Inspections made by this process, by path, size and mtime: a sweep agent
 * finds its Python program's flag style before every claim (without the cache
 * folder), and would otherwise start Python each time.
 */
const inspected = new Map<string, ScriptInfo>();

export function inspectScript(path: string, cacheDir: string | null): ScriptInfo {
  const kind = scriptKind(path);
  if (kind !== "python") return { path, kind, style: "args", flags: {} };
  const st = statSync(path);
  const memoKey = `${path}\0${st.size}\0${st.mtimeMs}`;
  const known = inspected.get(memoKey);
  if (known) return JSON.parse(JSON.stringify(known)) as ScriptInfo;
  const info = inspectUncached(path, cacheDir, st);
  inspected.set(memoKey, JSON.parse(JSON.stringify(info)) as ScriptInfo);
  return info;
}

function inspectUncached(path: string, cacheDir: string | null, st: { size: number; mtimeMs: number }): ScriptInfo {
  const kind = scriptKind(path);
  const cachePath = cacheDir ? join(cacheDir, `${sha1Hex(`${INSPECT_FORMAT}\0${path}\0${st.size}\0${st.mtimeMs}`)}.json`) : null;
  if (cachePath) {
    try {
      return JSON.parse(readFileSync(cachePath, "utf8")) as ScriptInfo;
    } catch {
      /* not cached yet */
    }
  }
  const res = spawnSync(pythonCommand(), [bootstrapPy(), "--inspect", path], { encoding: "utf8" });
  if (res.error) {
    throw new UsageError(
      `cannot run ${pythonCommand()} to inspect ${path} (${(res.error as NodeJS.ErrnoException).code}); install Python 3 or set G_PYTHON`,
    );
  }
  let parsed: { style?: FlagStyle; flags?: Record<string, ScriptFlag>; sdk_flags?: "named" | "open"; error?: string };
  try {
    parsed = JSON.parse(res.stdout) as typeof parsed;
  } catch {
    throw new UsageError(`cannot inspect ${path}: ${res.stderr.trim().split("\n").pop() ?? "python failed"}`);
  }
  if (parsed.error) throw new UsageError(`cannot read flags of ${path}: ${parsed.error}`);
  const info: ScriptInfo = { path, kind, style: parsed.style ?? "globals", flags: parsed.flags ?? {} };
  if (parsed.sdk_flags) info.sdkFlags = parsed.sdk_flags;
  if (cachePath && cacheDir) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeJsonAtomic(cachePath, info, "atomic");
    } catch {
      /* the cache is an optimisation only */
    }
  }
  return info;
}

/**
 * The inspection cache's file name for a key. node:crypto is required here, on
 * first use, not with the module: it costs several milliseconds of start-up,
 * and an agent (which inspects without the cache) never needs it.
 */
function sha1Hex(text: string): string {
  const { createHash } = createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  return createHash("sha1").update(text).digest("hex");
}
