// Every benchmark in bench/ runs with --smoke (tiny sizes, no timing asserted)
// and exits 0 printing its table, so none can rot unnoticed as the code moves
// under it (bench/agents.mjs once broke for weeks when the sweep store moved).
// A new bench/*.mjs without a --smoke mode fails here. Needs a build.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/paths.js";

const BENCH = join(ROOT, "bench");
/** Modules the benchmarks import, not benchmarks (each is run by the benches that use it). */
const LIBRARIES = new Set(["util.mjs", "functions.mjs"]);
/** Two at a time: the machine that runs the tests has few cores. */
const AT_ONCE = 2;
/** Per bench, generous: a loaded 2-core machine runs each smoke in seconds to tens of seconds. */
const SMOKE_TIMEOUT_MS = 240_000;

const benches = readdirSync(BENCH)
  .filter((name) => name.endsWith(".mjs") && !LIBRARIES.has(name))
  .sort();

let running = 0;
const waiting: (() => void)[] = [];
async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function runSmoke(name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(BENCH, name), "--smoke"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("benchmarks in smoke mode", () => {
  it("finds the benchmarks", () => {
    expect(benches).toContain("agents.mjs");
    expect(benches).toContain("startup.mjs");
  });

  for (const name of benches) {
    it.concurrent(
      `${name} --smoke exits 0 with its figures`,
      async () => {
        const res = await withSlot(() => runSmoke(name));
        expect(res.code, `${name} --smoke failed:\n${res.stderr}`).toBe(0);
        // Its figures (a markdown table, sim's lines, ask-tell's protocol), or why it skipped.
        expect(res.stdout.trim()).not.toBe("");
      },
      SMOKE_TIMEOUT_MS,
    );
  }
});
