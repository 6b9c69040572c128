// Builds the child process's argv and environment for a run: how flags reach
// the script (shared/DESIGN.md, "Flags reach the script").

import { delimiter, resolve } from "node:path";
import type { Flags, FlagValue } from "../store/types.js";
import { pythonCommand, type ScriptInfo } from "./inspect.js";
import { bootstrapPy, sdkPythonDir } from "./paths.js";

/** `--name value` arguments: true is the bare `--name`; false/null are left out for declared booleans. */
export function flagArgs(flags: Flags, info?: ScriptInfo): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(flags)) {
    if (value === null) continue;
    if (value === true) {
      out.push(`--${name}`);
      continue;
    }
    if (value === false && info?.flags[name]?.type === "bool") continue;
    out.push(`--${name}`, formatArg(value));
  }
  return out;
}

function formatArg(value: FlagValue): string {
  return typeof value === "string" ? value : String(value);
}

export function buildArgv(info: ScriptInfo, flags: Flags): string[] {
  const script = resolve(info.path);
  switch (info.kind) {
    case "python":
      return info.style === "globals"
        ? [pythonCommand(), bootstrapPy(), script]
        : [pythonCommand(), script, ...flagArgs(flags, info)];
    case "node":
      return [process.execPath, script, ...flagArgs(flags, info)];
    case "exec":
      return [script, ...flagArgs(flags, info)];
  }
}

export function buildEnv(
  base: NodeJS.ProcessEnv,
  run: { id: string; dir: string; home: string; flags: Flags },
): NodeJS.ProcessEnv {
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
