// Spawns the real bin/g with G_HOME set, as a user would run it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { BIN } from "./paths.js";

export interface GResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function g(args: string[], opts: { home: string; cwd?: string; env?: NodeJS.ProcessEnv; input?: string }): GResult {
  const res = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: "1", ...opts.env, G_HOME: opts.home },
    encoding: "utf8",
    input: opts.input ?? "",
    timeout: 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

export function gAsync(args: string[], opts: { home: string; cwd?: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: "1", ...opts.env, G_HOME: opts.home },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function collect(child: ChildProcess): Promise<GResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** A run as `g runs list --json` prints it. */
export interface RunJson {
  id: string;
  op: string;
  status: string;
  flags: Record<string, unknown>;
  dir: string;
  label: string;
  tags: string[];
  batch: string | null;
  trial: number | null;
}

/** `g runs list --json [args]`, failing the test if the command fails. */
export function listRunsJson(home: string, args: string[] = []): RunJson[] {
  const res = g(["runs", "list", "--json", ...args], { home });
  if (res.code !== 0) throw new Error(`g runs list failed (${res.code}): ${res.stderr}`);
  return JSON.parse(res.stdout) as RunJson[];
}
