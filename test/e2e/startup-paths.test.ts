// The short paths of src/cli/main.ts (help texts from dist/bundle/help.json, a
// bare `g runs` without commander) print exactly what commander's own paths
// print, and mistakes still get commander's did-you-mean (issue 18).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateStore } from "../../runs-fixtures/generate.mjs";
import { g } from "../helpers/g.js";
import { BIN, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

const HELP_PATHS = Object.keys(JSON.parse(readFileSync(join(ROOT, "dist", "bundle", "help.json"), "utf8")) as Record<string, string>);

/** Commander's `help` command for a command path: `g help`, `g help compare`, `g runs help list`. */
function commanderHelpArgs(path: string): string[] {
  const words = path === "" ? [] : path.split(" ");
  return [...words.slice(0, -1), "help", ...words.slice(-1)];
}

describe("start-up paths", () => {
  it.each(HELP_PATHS.map((p) => [p === "" ? "g" : `g ${p}`, p]))("%s --help and -h print commander's help", (_, path) => {
    const home = tempDir();
    const words = path === "" ? [] : path.split(" ");
    const byCommander = g(commanderHelpArgs(path), { home });
    expect(byCommander.code).toBe(0);
    expect(byCommander.stdout).toMatch(/^Usage: g/);
    for (const flag of ["--help", "-h"]) {
      const built = g([...words, flag], { home });
      expect(built).toEqual({ code: 0, stdout: byCommander.stdout, stderr: "" });
    }
  });

  it("keeps commander's did-you-mean for mistakes", () => {
    const home = tempDir();
    expect(g(["compar"], { home })).toMatchObject({ code: 2, stdout: "", stderr: "g: unknown command 'compar'; did you mean compare?\n" });
    expect(g(["runs", "--hepl"], { home })).toMatchObject({ code: 2, stderr: "g: unknown option '--hepl'; did you mean --help?\n" });
    expect(g(["runs", "lst"], { home }).code).toBe(2);
  });

  it("g runs: the same table as commander's g runs list, and the empty store's note", () => {
    const home = tempDir();
    const empty = g(["runs"], { home });
    expect(empty).toEqual({ code: 0, stdout: "", stderr: `no runs yet in ${home}; start one with g run SCRIPT\n` });
    generateStore({ runs: 45, out: home, steps: 1, seed: "startup" });
    const bare = g(["runs"], { home });
    expect(bare.code).toBe(0);
    expect(bare.stdout.split("\n")).toHaveLength(22); // header, 20 rows, ""
    expect(bare.stdout).toBe(g(["runs", "1:20"], { home }).stdout);
    expect(bare.stderr).toBe("(showing 20 of 45 runs; -a shows all, g runs 1:50 a range)\n");
  });

  // g runs skips commander; --help is answered by the dispatcher alone; --version and the rest go through
  // the program bundle, whose commander required node:child_process (net, dgram, the streams) at its top.
  it.each(
    [
      ["runs"],
      ["--version"],
      ["-V"],
      ["--help"],
      ["runs", "--help"],
      ["compare"],
      ["compare", "--csv"],
      ["sweeps"],
      ["runs", "info", "1"],
    ].map((args) => [args.join(" "), args] as const),
  )("g %s on an empty store loads none of Node's stream modules, child_process, fs/promises or ES-module loader", (_, args) => {
    const home = tempDir();
    const listFile = join(home, "modules.txt");
    // Preloaded (-r): writes the Node modules loaded after it, when the process exits.
    const preload = join(home, "list-modules.cjs");
    writeFileSync(
      preload,
      `const before = new Set(process.moduleLoadList);
process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(listFile)}, process.moduleLoadList.filter((m) => !before.has(m)).join("\\n")));
`,
    );
    // stdout and stderr are pipes, as in a script: making process.stdout for one loads net and the streams.
    const res = spawnSync(process.execPath, ["-r", preload, BIN, ...args], { env: { ...process.env, G_HOME: home }, encoding: "utf8" });
    expect(res.status).toBe(args[0] === "runs" && args[1] === "info" ? 3 : 0);
    expect(res.stdout + res.stderr).not.toBe(""); // it printed, through writeSync
    const loaded = readFileSync(listFile, "utf8").split("\n");
    // The list is read: the bundle loader's one module (help is printed before any bundle is loaded).
    if (!args.includes("--help")) expect(loaded).toContain("NativeModule vm");
    // Each of these loads tens of modules more (a spread of node:fs reads fs.promises, and with it the streams).
    expect(
      loaded.filter((m) => /stream|readline|fs\/promises|modules\/esm|^NativeModule module$|child_process|^NativeModule net$/.test(m)),
    ).toEqual([]);
  });
});
