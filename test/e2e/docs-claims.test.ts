// What the docs say g prints, beyond the exit codes the docs test checks:
// the version, the search preview with -y, and flags read with g_runs.flags().

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { g, listRunsJson } from "../helpers/g.js";
import { EXAMPLES, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

const TRAIN = join(EXAMPLES, "train.py");
const SHORT_FORMS = join(EXAMPLES, "sdk", "short_forms.py");

describe("g --version", () => {
  it("prints the version in package.json", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const res = g(["--version"], { home: tempDir() });
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe(pkg.version);
  });
});

describe("g ask-tell --help", () => {
  it("points to the protocol in docs that ship with the package", () => {
    const res = g(["ask-tell", "--help"], { home: tempDir() });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("docs/optimizers.md");
    expect(res.stdout).not.toContain("bench.py");
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[] };
    expect(pkg.files).toContain("docs");
    expect(readFileSync(join(ROOT, "docs", "optimizers.md"), "utf8")).toMatch(/## `g ask-tell`[\s\S]*"type":"suggestion"/);
  });
});

describe("the preview of g run", () => {
  it("is printed on stderr with -y: optimizer, trials, seed and how each flag was read", () => {
    const res = g(["run", "-y", TRAIN, "noise=0", "x=[-0.4:-0.2]", "--max-trials", "2", "--random-seed", "7"], { home: tempDir() });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/random optimizer \(2 trials, seed 7\)/);
    expect(res.stderr).toContain("x: uniform float in [-0.4, -0.2]");
    expect(res.stdout).not.toMatch(/seed 7|uniform float/);
  });

  it("is printed without a terminal and without -y (nothing asks then)", () => {
    const res = g(["run", TRAIN, "x=[-0.3,-0.2]", "noise=0"], { home: tempDir() });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/grid optimizer \(2 trials, seed \d+\)/);
    expect(res.stderr).not.toContain("Continue?");
  });

  it("is left out with -q", () => {
    const res = g(["run", "-y", "-q", TRAIN, "x=[-0.3,-0.2]", "noise=0"], { home: tempDir() });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/optimizer|x: one of/);
  });
});

describe("a script that reads its flags with g_runs.flags()", () => {
  it("takes the flags it reads, records the defaults of the others, and gets the values", () => {
    const home = tempDir();
    const res = g(["run", "-y", SHORT_FORMS, "lr=0.3"], { home });
    expect(res.code, res.stderr).toBe(0);
    const [run] = listRunsJson(home);
    expect(run!.flags).toEqual({ lr: 0.3, epochs: 5 });
    const losses = readFileSync(join(run!.dir, "scalars.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { key: string; value: number });
    expect(losses).toHaveLength(5);
    // the script computed with lr = 0.3, not its default 0.1: |0.3 - 0.03| * 10 + 1
    expect(losses[0]!.value).toBeCloseTo(3.7, 6);
  });

  it("lists the names it reads with --help-flags and refuses another name", () => {
    const home = tempDir();
    const help = g(["run", SHORT_FORMS, "--help-flags"], { home });
    expect(help.stdout).toMatch(/lr\s+0\.1\s+\(float\)/);
    expect(help.stdout).toMatch(/epochs\s+5\s+\(int\)/);
    const typo = g(["run", "-y", SHORT_FORMS, "lrr=0.3"], { home });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/no flag "lrr".*lr, epochs/);
    expect(listRunsJson(home)).toHaveLength(0);
  });

  it("accepts any flag when the script hands the dict on, and records none it did not get", () => {
    const home = tempDir();
    const dir = tempDir();
    const script = join(dir, "open_flags.py");
    const required = join(dir, "required_flag.py");
    writeFileSync(script, "import g_runs\n\ndef train(**kw):\n    print('loss: %f' % kw['lr'])\n\ntrain(**g_runs.flags())\n");
    writeFileSync(required, "from g_runs import flags\nprint('loss: %f' % flags()['lr'])\n");
    const open = g(["run", "-y", script, "lr=0.25"], { home });
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout).toContain("loss: 0.250000");
    const given = g(["run", "-y", required, "lr=0.5"], { home });
    expect(given.code, given.stderr).toBe(0);
    expect(listRunsJson(home)[0]!.flags).toEqual({ lr: 0.5 });
    // read as flags()["lr"] with no default: not recorded as null when left out
    const missing = g(["run", "-y", required], { home });
    expect(missing.code).toBe(1);
    expect(listRunsJson(home)[0]!.flags).toEqual({});
  });
});
