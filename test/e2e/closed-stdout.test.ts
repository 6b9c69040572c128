// A closed stdout is not a failure (issue 12, item 17): `g run ... | head`
// keeps the run going without printing, output.log gets everything, and the
// run and its batch end `completed`; `g runs | head` and `g compare | head`
// end quietly with status 0 and no stack trace.

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listRunsJson } from "../helpers/g.js";
import { BIN, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";
import { execFileSync } from "node:child_process";

afterEach(cleanTempDirs);

const LINES = 300;

/** A script that prints LINES lines and a scalar per line, slowly enough to outlive the reader. */
function chattyScript(dir: string): string {
  const path = join(dir, "chatty.py");
  writeFileSync(
    path,
    `import time\nfor i in range(${LINES}):\n    print(f"line {i}\\nloss: {1 / (i + 1)}", flush=True)\n    time.sleep(0.002)\n`,
  );
  return path;
}

/**
 * Runs bin/g with stdout piped and closes the pipe after the first chunk,
 * as `| head -1` does; resolves with the exit code and all of stderr.
 */
function runAndCloseStdout(args: string[], home: string): Promise<{ code: number | null; stderr: string; sawOutput: boolean }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: home,
    env: { ...process.env, NO_COLOR: "1", G_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let sawOutput = false;
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.once("data", () => {
    sawOutput = true;
    child.stdout.destroy();
  });
  return new Promise((done) => child.on("close", (code) => done({ code, stderr, sawOutput })));
}

describe("g run with its stdout closed", () => {
  it("keeps a single run going and records it completed, with its whole output in output.log", async () => {
    const home = tempDir();
    const script = chattyScript(home);
    const res = await runAndCloseStdout(["run", "-y", script], home);
    expect(res.sawOutput).toBe(true);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain("g: stdout was closed; carrying on");
    expect(res.stderr).toMatch(/run [0-9a-f]{8} completed/);
    expect(res.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    const [run, ...rest] = listRunsJson(home);
    expect(rest).toEqual([]);
    expect(run!.status).toBe("completed");
    const log = readFileSync(join(run!.dir, "output.log"), "utf8");
    expect(log.split("\n").filter((l) => l.startsWith("line "))).toHaveLength(LINES);
    const scalars = readFileSync(join(run!.dir, "scalars.jsonl"), "utf8").trim().split("\n");
    expect(scalars).toHaveLength(LINES);
  });

  it("keeps a batch going: every trial and the batch end completed", async () => {
    const home = tempDir();
    const script = chattyScript(home);
    const res = await runAndCloseStdout(["run", "-y", script, "x=[1,2]", "--force-flags"], home);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/2 completed, 0 failed/);
    const all = listRunsJson(home);
    expect(all).toHaveLength(3);
    expect(all.map((r) => r.status)).toEqual(["completed", "completed", "completed"]);
    for (const trial of all.filter((r) => r.batch !== null)) {
      expect(
        readFileSync(join(trial.dir, "output.log"), "utf8")
          .split("\n")
          .filter((l) => l.startsWith("line ")),
      ).toHaveLength(LINES);
    }
  });
});

describe("listings with their stdout closed", () => {
  it("g runs, g runs --json, g compare -T/--csv/--json end with status 0 and no stack", async () => {
    const home = tempDir();
    execFileSync(process.execPath, [join(ROOT, "runs-fixtures", "generate.mjs"), "--runs", "1500", "--out", home, "--steps", "2"], {
      stdio: "ignore",
    });
    for (const args of [
      ["runs", "-a"],
      ["runs", "list", "--json"],
      ["compare", "-T"],
      ["compare", "--csv"],
      ["compare", "--json"],
    ]) {
      const res = await runAndCloseStdout(args, home);
      expect(res.sawOutput, args.join(" ")).toBe(true);
      expect(res.code, `${args.join(" ")}: ${res.stderr}`).toBe(0);
      expect(res.stderr, args.join(" ")).not.toMatch(/EPIPE|Error|at .*\.js:\d+/);
    }
  });
});
