// Reliability through bin/g: bad input of every kind is one `g:` line on
// stderr and exit 2, before anything runs; nothing crashes or answers
// silently wrong (issue 12: items 2, 5, 6, 7, 11, 12, 13, 14, 15).

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { g, listRunsJson, type GResult } from "../helpers/g.js";
import { BIN, EXAMPLES, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

const SCRIPTS = join(ROOT, "test", "e2e", "scripts");

/** Exit 2 with exactly one `g: ...` line on stderr matching `message`, and no stack trace. */
function expectUsageError(res: GResult, message: RegExp): void {
  expect(res.code, res.stderr).toBe(2);
  const lines = res.stderr.trimEnd().split("\n");
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^g: /);
  expect(lines[0]).toMatch(message);
}

afterAll(cleanTempDirs);

describe("compare: names that no selected run has", () => {
  let home: string;
  beforeAll(() => {
    home = tempDir();
    for (const x of ["0.1", "-0.3"]) {
      const res = g(["run", "-y", "-q", join(EXAMPLES, "train.py"), `x=${x}`, "noise=0"], { home });
      expect(res.code, res.stderr).toBe(0);
    }
  });

  it("refuses a mistyped sort, filter or column with a did-you-mean (exit 2)", () => {
    expectUsageError(g(["compare", "-T", "-m", "lsos"], { home }), /-m\/--min: .*"lsos"; did you mean loss\?$/);
    expectUsageError(g(["compare", "-T", "--filter", "lsos < 0"], { home }), /--filter: .*"lsos"; did you mean loss\?$/);
    expectUsageError(g(["compare", "-T", "-c", "los"], { home }), /-c\/--cols: .*"los"; did you mean loss\?$/);
    expectUsageError(g(["compare", "--json", "-M", "=xx"], { home }), /flag "=xx"; did you mean =x\?$/);
  });

  it("still sorts and filters by names the runs have", () => {
    const res = g(["compare", "--csv", "-c", "=x, loss", "--skip-core", "-m", "loss", "--filter", "loss < 1"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(
      res.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(",")[0]),
    ).toEqual(["x", "-0.3", "0.1"]);
  });

  it("keeps the .attr columns -c asks for under --skip-core, in the table and in JSON", () => {
    const table = g(["compare", "-T", "--skip-core", "-c", ".status, loss"], { home });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/status\s.*loss/);
    expect(table.stdout).toContain("completed");
    const json = g(["compare", "--json", "--skip-core", "-c", ".status, .op, loss"], { home });
    const rows = JSON.parse(json.stdout) as Array<{ columns: Record<string, unknown> }>;
    expect(Object.keys(rows[0]!.columns)).toEqual(["status", "op", "loss"]);
    expect(rows[0]!.columns.status).toBe("completed");
  });
});

describe("filters nested too deep", () => {
  it("answers 10 000 ( or 20 000 not with exit 2, not a stack overflow", () => {
    const home = tempDir();
    expectUsageError(
      g(["compare", "-T", "--filter", "(".repeat(10_000) + "loss < 1" + ")".repeat(10_000)], { home }),
      /--filter: "\(" and "not" nest more than 100 deep/,
    );
    expectUsageError(g(["compare", "-T", "--filter", "not ".repeat(20_000) + "loss < 1"], { home }), /nest more than 100 deep/);
  });

  it("answers 20 000 nested brackets in a flag, a sweep file or an ask-tell line with exit 2", () => {
    const home = tempDir();
    const dir = tempDir();
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    writeFileSync(join(dir, "t.py"), "x = 1\n");
    expectUsageError(g(["run", "-y", "t.py", `x=${deep}`], { home, cwd: dir }), /^g: flag x: "\[{57}\.\.\." holds a nested list/);
    writeFileSync(join(dir, "sweep.yaml"), `program: t.py\nmethod: grid\nparameters:\n  x: {values: ${deep}}\n`);
    expectUsageError(g(["sweep", "sweep.yaml"], { home, cwd: dir }), /sweep\.yaml:4: not valid YAML: lists or mappings nested too deep/);
    const nested = '{"a":'.repeat(50_000) + "1" + "}".repeat(50_000);
    const res = spawnSync(process.execPath, [BIN, "ask-tell", "--optimizer", "gp"], {
      input: `{"type":"init","protocol":${nested}}\n`,
      encoding: "utf8",
    });
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toBe("g: ask-tell: line 1: unsupported protocol an object; g speaks protocol 1\n");
    expect(listRunsJson(home)).toHaveLength(0);
  });
});

describe("g run: flags and options", () => {
  it("keeps a value containing = whole (--v a=b=c, w=x=y)", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(SCRIPTS, "echo_args.js"), "--v", "a=b=c", "w=x=y"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('argv: ["--v","a=b=c","--w","x=y"]');
    expect(listRunsJson(home)[0]!.flags).toEqual({ v: "a=b=c", w: "x=y" });
  });

  it("refuses a mistyped g run option after the script, and an unknown argparse flag, before any run", () => {
    const home = tempDir();
    expectUsageError(
      g(["run", "-y", join(EXAMPLES, "main.py"), "--max-trails", "3", "--alpha", "[0.1, 0.2]"], { home }),
      /main\.py has no flag "max-trails"; did you mean --max-trials \(a g run option\)\?/,
    );
    expectUsageError(
      g(["run", "-y", join(EXAMPLES, "main.py"), "--alpah", "0.1"], { home }),
      /main\.py has no flag "alpah"; did you mean --alpha\?/,
    );
    expectUsageError(
      g(["run", "-y", join(EXAMPLES, "train.py"), "--max-trails", "3", "x=[1,2]"], { home }),
      /did you mean --max-trials \(a g run option\)\?/,
    );
    expectUsageError(
      g(["run", "--max-trails", "3", "-y", join(EXAMPLES, "train.py")], { home }),
      /unknown option --max-trails for g run; did you mean --max-trials\?/,
    );
    expect(listRunsJson(home)).toHaveLength(0);
  });

  it("passes an unknown argparse flag with --force-flags", () => {
    const home = tempDir();
    const res = g(["run", "-y", "-q", "--force-flags", join(EXAMPLES, "main.py"), "--alpah", "0.1"], { home });
    expect(res.code).toBe(1); // argparse itself refuses it
    expect(listRunsJson(home)[0]!.flags).toMatchObject({ alpah: 0.1 });
  });

  it("warns once when the trials log no scalar named by --minimize, suggesting the closest", () => {
    const home = tempDir();
    const res = g(
      ["run", "-y", "-q", join(EXAMPLES, "train.py"), "x=[-1:1]", "--minimize", "lsos", "--max-trials", "2", "--random-seed", "1"],
      { home },
    );
    expect(res.code, res.stderr).toBe(0);
    const warnings = res.stderr.split("\n").filter((l) => l.startsWith("warning:"));
    expect(warnings).toEqual([
      'warning: trial 1 logged no "lsos" (the objective), so the optimizer cannot learn from it; it logged loss; did you mean loss?',
    ]);
  });

  it("searches floats for [-2:2] when the script's default is a float, integers when it is an int", () => {
    const home = tempDir();
    const floats = g(
      ["run", join(EXAMPLES, "train.py"), "x=[-2:2]", "--print-trials", "--json", "--max-trials", "8", "--random-seed", "3"],
      { home },
    );
    expect(floats.code, floats.stderr).toBe(0);
    const xs = (JSON.parse(floats.stdout) as Array<{ flags: { x: number } }>).map((t) => t.flags.x);
    expect(xs.some((x) => !Number.isInteger(x))).toBe(true);
    for (const x of xs) expect(Math.abs(x)).toBeLessThanOrEqual(2);
    const ints = g(
      ["run", join(EXAMPLES, "main.py"), "--layers", "[1:4]", "--print-trials", "--json", "--max-trials", "8", "--random-seed", "3"],
      { home },
    );
    expect(ints.code, ints.stderr).toBe(0);
    for (const t of JSON.parse(ints.stdout) as Array<{ flags: { layers: number } }>) expect(Number.isInteger(t.flags.layers)).toBe(true);
  });
});

describe("scripts that cannot start", () => {
  it("refuses a non-executable script before any run is created, with the chmod hint", () => {
    const home = tempDir();
    const dir = tempDir();
    const script = join(dir, "train.sh");
    writeFileSync(script, "#!/bin/sh\necho loss: 1\n");
    expectUsageError(
      g(["run", "-y", "train.sh"], { home, cwd: dir }),
      /cannot run train\.sh: it is not executable; make it so with chmod \+x train\.sh/,
    );
    expect(listRunsJson(home)).toHaveLength(0);
    chmodSync(script, 0o755);
    expect(g(["run", "-y", "train.sh"], { home, cwd: dir }).code).toBe(0);
  });

  it("refuses g run and g agent without python3 on PATH, before any trial", () => {
    const home = tempDir();
    const dir = tempDir();
    copyFileSync(join(EXAMPLES, "train.py"), join(dir, "train.py"));
    // A first run caches the script's inspection, so the later check is the one before the run.
    expect(g(["run", "-y", "-q", "train.py"], { home, cwd: dir }).code).toBe(0);
    // bin/g is started by its absolute node path, so an empty PATH hides only python3.
    const noPython = { PATH: "/nonexistent" };
    expectUsageError(
      g(["run", "-y", "train.py", "x=[0.1,0.2]"], { home, cwd: dir, env: noPython }),
      /python3 is not on PATH; install Python 3, or put it on PATH/,
    );
    writeFileSync(join(dir, "sweep.yaml"), "program: train.py\nmethod: random\nrun_cap: 3\nparameters:\n  x: {min: 0.0, max: 1.0}\n");
    const sweep = g(["sweep", "sweep.yaml"], { home, cwd: dir });
    expect(sweep.code, sweep.stderr).toBe(0);
    expectUsageError(g(["agent", sweep.stdout.trim()], { home, cwd: dir, env: noPython }), /python3 is not on PATH/);
    expect(listRunsJson(home)).toHaveLength(1);
  });
});

describe("names and ids", () => {
  it("refuses sweep parameter names that are not flag names", () => {
    const home = tempDir();
    const dir = tempDir();
    for (const [name, message] of [
      ["'a=b'", /parameters\."a=b": is not a flag name/],
      ["''", /parameters\."": is empty/],
    ] as const) {
      writeFileSync(join(dir, "sweep.yaml"), `program: train.py\nmethod: random\nparameters:\n  ${name}: {values: [1, 2]}\n`);
      expectUsageError(g(["sweep", "sweep.yaml"], { home, cwd: dir }), message);
    }
  });

  it("refuses run specs that are paths, even with an empty trash", () => {
    const home = tempDir();
    for (const args of [
      ["runs", "purge", "-y", "../../x"],
      ["runs", "restore", "-y", "../x"],
      ["runs", "info", "../x"],
      ["stop", "-y", "a/b"],
      ["runs", "delete", "-y", "../x"],
    ]) {
      expectUsageError(g(args, { home }), /bad run "/);
    }
    expectUsageError(g(["agent", "../../x"], { home }), /is not a sweep id/);
  });

  it("refuses empty tags, tags with a comma and tags with a control character", () => {
    const home = tempDir();
    expectUsageError(
      g(["run", "-y", "--tag", "a\x1b[1mb", join(SCRIPTS, "echo_args.js")], { home }),
      /--tag: tag "a\\u001b\[1mb" has a control character/,
    );
    expectUsageError(g(["run", "-y", "--tag", "", join(SCRIPTS, "echo_args.js")], { home }), /--tag: a tag cannot be empty/);
    expectUsageError(g(["run", "-y", "--tag", "x,y", join(SCRIPTS, "echo_args.js")], { home }), /--tag: tag "x,y" has a space or comma/);
    expectUsageError(g(["run", "-y", "-l", "a\nb", join(SCRIPTS, "echo_args.js")], { home }), /-l\/--label: a label is one line of text/);
    expect(listRunsJson(home)).toHaveLength(0);
    expect(g(["run", "-y", join(SCRIPTS, "echo_args.js")], { home }).code).toBe(0);
    expectUsageError(g(["runs", "tag", "1", "--add", "x\x07"], { home }), /--add: tag "x\\u0007" has a control character/);
    expect(listRunsJson(home)[0]!.tags).toEqual([]);
  });
});

describe("g ask-tell: bad lines", () => {
  const init = { type: "init", protocol: 1, direction: "minimize", space: { x: { type: "float", low: -2, high: 2 } }, seed: 1 };
  const askTell = (lines: unknown[]) =>
    spawnSync(process.execPath, [BIN, "ask-tell", "--optimizer", "gp"], {
      input: lines.map((l) => JSON.stringify(l)).join("\n") + "\n",
      encoding: "utf8",
    });

  it.each([
    ["a null line", [null], /^g: ask-tell: line 1: expected a JSON object with a "type", got null$/],
    [
      "an observe with null params, then suggest",
      [init, { type: "observe", trial: 0, params: null, value: 1 }, { type: "suggest", trial: 1 }],
      /^g: ask-tell: line 2: observe: "params" must be an object/,
    ],
    [
      "a log range from 0",
      [{ ...init, space: { x: { type: "float", low: 0, high: 1, log: true } } }],
      /^g: ask-tell: line 1: .*a log range needs "low" above 0/,
    ],
    [
      "an int range without an integer",
      [{ ...init, space: { n: { type: "int", low: 0.2, high: 0.7 } } }],
      /line 1: .*no whole number lies in \[0\.2, 0\.7\]/,
    ],
    [
      "a string value",
      [init, { type: "observe", trial: 0, params: { x: 0 }, value: "1" }],
      /line 2: observe: "value" must be a number or null/,
    ],
  ])("answers %s with exit 2 and one line", (_what, lines, message) => {
    const res = askTell(lines);
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(res.stderr.trimEnd()).toMatch(message);
    expect(res.stderr).not.toMatch(/internal error/);
  });
});

describe("usage errors", () => {
  it("show the user's line breaks and escape sequences escaped, on one line", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(SCRIPTS, "echo_args.js"), "name=[a\x1b[1m,\nb]"], { home });
    expectUsageError(res, /^g: flag name: "\[a\\x1b\[1m,\\nb\]" has unbalanced brackets; /);
    expect(res.stderr).not.toMatch(/\x1b/);
  });
  it("are one line, with commander's did-you-mean on it", () => {
    const home = tempDir();
    expectUsageError(g(["compare", "--mn", "loss"], { home }), /^g: unknown option '--mn'; did you mean --min\?$/);
    expectUsageError(g(["comapre"], { home }), /^g: unknown command 'comapre'; did you mean compare\?$/);
    expectUsageError(g(["agent"], { home }), /^g: missing required argument 'sweep-id'$/);
  });
});

describe("g run: a mistyped script name", () => {
  it("is exit 2 naming the closest file in the folder it names", () => {
    const dir = tempDir();
    copyFileSync(join(EXAMPLES, "train.py"), join(dir, "train.py"));
    const home = tempDir();
    expectUsageError(g(["run", "-y", "trian.py"], { home, cwd: dir }), /^g: no such script: trian\.py; did you mean train\.py\?$/);
    expectUsageError(
      g(["run", "-y", join(dir, "trian.py")], { home }),
      new RegExp(`did you mean ${join(dir, "train.py").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\?$`),
    );
    expect(listRunsJson(home)).toEqual([]);
  });
});
