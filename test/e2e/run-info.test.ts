// `g runs info` and `g compare` show what a run records about itself: an SDK
// run's description, a batch's optimizer settings (--opt-flag), and the
// parent/children links of an SDK script's experiments (issue 12, item 19).

import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/store.js";
import { g, listRunsJson } from "../helpers/g.js";
import { BIN, EXAMPLES, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

const SDK_DIR = join(ROOT, "src", "sdk", "python");

afterEach(cleanTempDirs);

/** A standalone SDK run with a description, made by python3 against `home`. */
function sdkRunWithDescription(home: string, description: string): void {
  const script = join(home, "describe.py");
  writeFileSync(
    script,
    `from g_runs import Experiment\nwith Experiment(prefix="alice/info/one", description=${JSON.stringify(description)}).run as e:\n    e.metrics.log(loss=0.5).flush()\n`,
  );
  const res = spawnSync("python3", [script], {
    cwd: home,
    env: { ...process.env, G_HOME: home, PYTHONPATH: SDK_DIR, G_RUN_DIR: "" },
    encoding: "utf8",
  });
  expect(res.status, res.stderr).toBe(0);
}

describe("g runs info", () => {
  it("shows an SDK run's description, and compare takes .description as a column", () => {
    const home = tempDir();
    sdkRunWithDescription(home, "Grid search: lr=0.1, batch_size=16");
    const info = g(["runs", "info", "1"], { home });
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain("description: Grid search: lr=0.1, batch_size=16\n");
    expect(JSON.parse(g(["runs", "info", "1", "--json"], { home }).stdout).description).toBe("Grid search: lr=0.1, batch_size=16");

    const csv = g(["compare", "--csv", "-c", ".description, loss"], { home });
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.split("\n")[0]).toContain("description");
    expect(csv.stdout).toContain('"Grid search: lr=0.1, batch_size=16"');
    const json = JSON.parse(g(["compare", "--json", "-c", ".desc"], { home }).stdout) as Array<{
      description: string;
      columns: Record<string, unknown>;
    }>;
    expect(json[0]!.description).toBe("Grid search: lr=0.1, batch_size=16");
    expect(json[0]!.columns.description).toBe("Grid search: lr=0.1, batch_size=16");
  });

  it("shows a batch's --opt-flag settings", () => {
    const home = tempDir();
    const res = g(
      [
        "run",
        "-y",
        "-q",
        join(EXAMPLES, "train.py"),
        "x=[-2.0:2.0]",
        "noise=0",
        "--optimizer",
        "gp",
        "--max-trials",
        "3",
        "--opt-flag",
        "xi=0.3",
        "--opt-flag",
        "random-starts=2",
      ],
      { home },
    );
    expect(res.code, res.stderr).toBe(0);
    const list = JSON.parse(g(["runs", "list", "--json"], { home }).stdout) as Array<{ id: string; batch: string | null; op: string }>;
    const batch = list.find((r) => r.op === "gp")!;
    const info = g(["runs", "info", batch.id], { home });
    expect(info.code, info.stderr).toBe(0);
    const settings = info.stdout.split("\n").find((l) => l.startsWith("settings:"));
    expect(settings).toMatch(/xi=0\.3/);
    expect(settings).toMatch(/random-starts=2/);
    const json = JSON.parse(g(["runs", "info", batch.id, "--json"], { home }).stdout) as { optimizer_settings: Record<string, unknown> };
    expect(Object.values(json.optimizer_settings)).toContain(0.3);
  });
});

describe("g runs info's command line", () => {
  /** `g runs info`'s `command:` line. */
  function commandLine(home: string, run: string): string {
    const info = g(["runs", "info", run], { home });
    expect(info.code, info.stderr).toBe(0);
    return info.stdout.match(/^command: +(.*)$/m)![1]!;
  }
  /** The line pasted into a shell (sh) where `g` is this g, with the same store. */
  function pasteInShell(home: string, line: string, cwd: string) {
    const bin = join(home, "bin");
    mkdirSync(bin, { recursive: true });
    symlinkSync(BIN, join(bin, "g"));
    const env = { ...process.env, NO_COLOR: "1", G_HOME: home, PATH: `${bin}:${process.env.PATH ?? ""}` };
    return spawnSync("sh", ["-c", line], { cwd, env, encoding: "utf8", input: "" });
  }

  it("is a g run of the script with every global's value for a globals-style script, and runs it again", () => {
    const home = tempDir();
    const script = join(home, "glob train.py");
    writeFileSync(
      script,
      [
        "import g_runs",
        "lr = 0.1",
        'name = "base"',
        'tag = "x"',
        "gamma = None",
        "with g_runs.Experiment(prefix='me/p').run as e:",
        "    e.params.set(lr=lr, batch=32)  # batch is the SDK's param, no global",
        "print('loss: 1')",
        "",
      ].join("\n"),
    );
    const res = g(["run", "-y", script, "lr=-1e-5", "name=it's [a b]", "tag='1'"], { home, cwd: home });
    expect(res.code, res.stderr).toBe(0);
    const line = commandLine(home, "1");
    expect(line).toBe(`g run '${script}' lr=-1e-05 'name="it'\\''s [a b]"' 'tag='\\''1'\\''' gamma=null`);
    const again = pasteInShell(home, line, tempDir());
    expect(again.status, again.stderr).toBe(0);
    const [second, first] = listRunsJson(home);
    expect(first!.flags).toEqual({ lr: -1e-5, batch: 32, name: "it's [a b]", tag: "1", gamma: null });
    expect(second!.flags).toEqual(first!.flags);
  });

  it("is the real command line for an argparse-style script, and runs it again", () => {
    const home = tempDir();
    const script = join(home, "args train.py");
    writeFileSync(
      script,
      [
        "import argparse",
        "p = argparse.ArgumentParser()",
        'p.add_argument("--name", default="base")',
        'p.add_argument("--lr", type=float, default=0.1)',
        "a = p.parse_args()",
        'print("got %r %r" % (a.name, a.lr))',
        "",
      ].join("\n"),
    );
    const res = g(["run", "-y", script, "name=it's [a b]", "lr=0.5"], { home, cwd: home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`got "it's [a b]" 0.5`);
    const line = commandLine(home, "1");
    expect(line).toBe(`python3 '${script}' --name 'it'\\''s [a b]' --lr 0.5`);
    const again = pasteInShell(home, line, tempDir());
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe(`got "it's [a b]" 0.5\n`);
  });
});

describe("g runs info and g's messages with control characters", () => {
  // Spawned without a shell: the newline, tab, carriage return and escape reach g as they are.
  const MSG = "a\nb\tc\r\x1b[31mred";
  const SHOWN = "a\\nb\\tc\\r\\x1b[31mred";
  const RAW = /[\r\t\x1b]/;

  it("shows each field of g runs info on its line, a flag, the command, label, description and prefix escaped; --json exact", async () => {
    const home = tempDir();
    const cwd = tempDir();
    writeFileSync(join(cwd, "s.js"), "console.log('loss: 0.5');\n");
    const res = g(["run", "-y", "-q", "s.js", `msg=${MSG}`], { home, cwd });
    expect(res.code, res.stderr).toBe(0);
    const store = new RunStore(home);
    const id = store.listRuns().runs[0]!.id;
    await store.updateRun(id, (r) => {
      r.label = "two\nlines";
      r.description = "desc\x1b]0;title\x07";
      r.prefix = "alice/\rx";
    });
    const info = g(["runs", "info", "1"], { home });
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).not.toMatch(RAW);
    const lines = info.stdout.trimEnd().split("\n");
    expect(lines).toContain(`  msg: ${SHOWN}`);
    expect(lines).toContain("label:     two\\nlines");
    expect(lines).toContain("description: desc\\x1b]0;title\\x07");
    expect(lines).toContain("prefix:    alice/\\rx");
    // The command as bash reads it back: $'...' with the controls escaped.
    expect(lines.find((l) => l.startsWith("command:"))).toMatch(/ --msg \$'a\\nb\\tc\\r\\x1b\[31mred'$/);
    // Every line is a field, a heading or an indented item: nothing split off a value.
    for (const line of lines) expect(line).toMatch(/^(?:[a-z]+:|  \S)/);
    const json = JSON.parse(g(["runs", "info", "1", "--json"], { home }).stdout) as { label: string; flags: { msg: string } };
    expect(json.flags.msg).toBe(MSG);
    expect(json.label).toBe("two\nlines");
  });

  it("quotes what the user typed in an error or a did-you-mean on one line, escaped", () => {
    const home = tempDir();
    const cwd = tempDir();
    writeFileSync(join(cwd, "s.js"), "console.log('loss: 0.5');\n");
    expect(g(["run", "-y", "-q", "s.js"], { home, cwd }).code).toBe(0);
    const cases: Array<[string[], number, string]> = [
      [["runs", "info", "ab\x1b[2Jc"], 2, 'g: bad run "ab\\x1b[2Jc"'],
      [["compare", "-T", "--op", "s.j\ns"], 0, 'no run matches --op "s.j\\ns"; did you mean --op s.js?'],
      [["compare", "-T", "--fo\x1b[2J"], 2, "g: unknown option '--fo\\x1b[2J'"],
      [["runs", "lis\x1b"], 2, "g: unknown command 'runs lis\\x1b'; did you mean runs list?"],
      [["run", "-y", "s.js", "--optimizer", "gri\rd"], 2, 'g: unknown optimizer "gri\\rd"'],
    ];
    for (const [args, code, start] of cases) {
      const res = g(args, { home, cwd });
      expect(res.code, res.stderr).toBe(code);
      expect(res.stderr).not.toMatch(RAW);
      expect(res.stderr.trimEnd().split("\n"), res.stderr).toHaveLength(1);
      expect(res.stderr).toContain(start);
    }
  });
});
