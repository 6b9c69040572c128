import { describe, expect, it } from "vitest";
import {
  completeWords,
  formatCompletion,
  splitShellWords,
  type CommandShape,
  type CompletionSources,
  type RunChoice,
} from "../../src/format/completion.js";
import { trimForBash } from "../../src/commands/complete.js";

const opt = (names: string[], takesValue = false) => ({ names, takesValue, description: names.at(-1)! });
const cmd = (name: string, over: Partial<CommandShape> = {}): CommandShape => ({
  name,
  aliases: [],
  description: name,
  options: [],
  subcommands: [],
  positional: "none",
  ...over,
});

const tree = cmd("g", {
  options: [opt(["-V", "--version"])],
  subcommands: [
    cmd("run", {
      positional: "script",
      options: [opt(["-o", "--optimizer"], true), opt(["-y", "--yes"]), opt(["--restart"], true), opt(["--backend"], true)],
    }),
    cmd("runs", {
      positional: "runs",
      subcommands: [
        cmd("list", { positional: "runs", options: [opt(["--trash"])] }),
        cmd("info", { positional: "runs" }),
        cmd("delete", { aliases: ["rm"], positional: "idle-runs" }),
        cmd("restore", { positional: "trashed-runs" }),
      ],
    }),
    cmd("stop", { positional: "running-runs" }),
    cmd("compare", {
      positional: "runs",
      options: [
        opt(["-m", "--min"], true),
        opt(["-M", "--max"], true),
        opt(["-c", "--cols"], true),
        opt(["--csv"], true),
        opt(["--status"], true),
        opt(["--batch"], true),
        opt(["--sweep"], true),
      ],
    }),
    cmd("agent", { positional: "sweep" }),
    cmd("sweep", { positional: "file", options: [opt(["--cancel"], true), opt(["--delete"], true)] }),
    cmd("completion", { positional: "shell" }),
  ],
});

/** The store's runs as each choice sees them: 5cdcbbbc completed, f5d14ff9 a running batch, 7e7e7e7e in the trash. */
const RUNS: Record<RunChoice, string[]> = {
  any: ["5cdcbbbc", "f5d14ff9"],
  stoppable: ["f5d14ff9"],
  trashed: ["7e7e7e7e"],
  idle: ["5cdcbbbc"],
  restartable: ["5cdcbbbc"],
  batch: ["f5d14ff9"],
};

const sources: CompletionSources = {
  runs: (choice) => RUNS[choice].map((value) => ({ value })),
  sweeps: () => [{ value: "a1b2c3d4" }],
  columns: () => ["loss", "acc", "=x", ".time"],
  scriptFlags: (script) => (script === "train.py" ? [{ value: "x=" }, { value: "noise=" }] : []),
};

const values = (words: string[]) => {
  const c = completeWords(tree, words, sources);
  return c.kind === "files" ? ":files" : c.candidates.map((x) => x.value);
};

describe("completion", () => {
  it("offers commands after g", () => expect(values(["com"])).toEqual(["compare", "completion"]));
  it("offers a command's long options after a dash", () => expect(values(["run", "--r"])).toEqual(["--restart"]));
  it("offers optimizer names after --optimizer and -o", () => {
    expect(values(["run", "--optimizer", "b"])).toEqual(["bayesian"]);
    expect(values(["run", "-o", ""])).toContain("tpe");
  });
  it("offers the backends after --backend, and every optimizer (grid too) and the runs after --restart", () => {
    expect(values(["run", "--backend", ""])).toEqual(["local", "slurm"]);
    expect(values(["run", "--restart", "gr"])).toEqual(["grid"]);
    expect(values(["run", "--restart", ""])).toEqual(expect.arrayContaining(["grid", "gp", "5cdcbbbc"]));
    expect(values(["run", "--restart", "f5"])).toEqual([]); // running: not restartable
  });
  it("offers file names for g run's script and g sweep's file", () => {
    expect(values(["run", "-y", ""])).toBe(":files");
    expect(values(["sweep", ""])).toBe(":files");
  });
  it("offers the script's flags after g run SCRIPT, skipping option values", () => {
    expect(values(["run", "-o", "gp", "train.py", ""])).toEqual(["x=", "noise="]);
    expect(values(["run", "train.py", "n"])).toEqual(["noise="]);
  });
  it("offers run ids for runs, compare and their subcommands (aliases too)", () => {
    expect(values(["compare", "5"])).toEqual(["5cdcbbbc"]);
    expect(values(["runs", "info", ""])).toEqual(["5cdcbbbc", "f5d14ff9"]);
    expect(values(["runs", "rm", ""])).toEqual(["5cdcbbbc"]);
    expect(values(["runs", "i"])).toEqual(["info"]);
  });
  it("offers column names after -m, and the next column of a -c list", () => {
    expect(values(["compare", "-m", "l"])).toEqual(["loss"]);
    expect(values(["compare", "-c", "loss, a"])).toEqual(["loss, acc"]);
    expect(values(["compare", "--min="])).toEqual(["--min=loss", "--min=acc", "--min==x", "--min=.time"]);
    expect(values(["compare", "--min=a"])).toEqual(["--min=acc"]);
  });
  it("offers statuses, sweep ids and shells", () => {
    expect(values(["compare", "--status", "er"])).toEqual(["error"]);
    expect(values(["agent", ""])).toEqual(["a1b2c3d4"]);
    expect(values(["sweep", "--delete", ""])).toEqual(["a1b2c3d4"]);
    expect(values(["completion", "z"])).toEqual(["zsh"]);
  });
  it("offers file names for --csv", () => expect(values(["compare", "--csv", ""])).toBe(":files"));
  it("formats value<TAB>description lines, and :files", () => {
    expect(formatCompletion({ kind: "words", candidates: [{ value: "a", description: "one\ntwo" }, { value: "b" }] })).toBe(
      "a\tone two\nb\n",
    );
    expect(formatCompletion({ kind: "files" })).toBe(":files\n");
  });
  it("splits a line as the shell does, with an empty word after a trailing space", () => {
    expect(splitShellWords(`g run "a b.py" x='1 2' `)).toEqual(["g", "run", "a b.py", "x=1 2", ""]);
    expect(splitShellWords("g comp")).toEqual(["g", "comp"]);
  });
  it("trims candidates to bash's current word, which stops at = and :", () => {
    const c = { kind: "words" as const, candidates: [{ value: "--min=loss" }, { value: "--min=acc" }] };
    expect(trimForBash(c, "--min=", "=")).toEqual({ kind: "words", candidates: [{ value: "=loss" }, { value: "=acc" }] });
    expect(trimForBash(c, "--min=l", "l").kind).toBe("words");
  });

  it("offers each command the runs it takes: g stop running ones, restore the trash, delete those not running", () => {
    expect(values(["stop", ""])).toEqual(["f5d14ff9"]);
    expect(values(["runs", "restore", ""])).toEqual(["7e7e7e7e"]);
    expect(values(["runs", "list", "--trash", ""])).toEqual(["7e7e7e7e"]);
    expect(values(["runs", "list", ""])).toEqual(["5cdcbbbc", "f5d14ff9"]);
    expect(values(["runs", "delete", ""])).toEqual(["5cdcbbbc"]);
    expect(values(["compare", "--batch", ""])).toEqual(["f5d14ff9"]);
    expect(values(["compare", "--sweep", ""])).toEqual(["a1b2c3d4"]);
  });
  it("leaves out the columns a -c list holds already, however written", () => {
    expect(values(["compare", "-c", "loss,"])).toEqual(["loss,acc", "loss,=x", "loss,.time"]);
    expect(values(["compare", "-c", "loss, =x, "])).toEqual(["loss, =x, acc", "loss, =x, .time"]);
    expect(values(["compare", "-c", "loss as best,a"])).toEqual(["loss as best,acc"]);
    expect(values(["compare", "--cols=acc,"])).toEqual(["--cols=acc,loss", "--cols=acc,=x", "--cols=acc,.time"]);
  });
  it("leaves out the runs given already, by short or full id, but not an option's value", () => {
    expect(values(["stop", "f5d14ff9", ""])).toEqual([]);
    expect(values(["compare", "5cdcbbbc", ""])).toEqual(["f5d14ff9"]);
    expect(values(["compare", "f5d14ff9a0b1c2d3e4f5a6b7c8d9e0f1", ""])).toEqual(["5cdcbbbc"]);
    expect(values(["runs", "restore", "7e7e7e7e", ""])).toEqual([]);
    expect(values(["compare", "--batch", "f5d14ff9", ""])).toEqual(["5cdcbbbc", "f5d14ff9"]);
  });
  it("leaves out the script's flags given already after the script, in either form", () => {
    expect(values(["run", "train.py", "x=0.1", ""])).toEqual(["noise="]);
    expect(values(["run", "train.py", "--noise", "0.2", ""])).toEqual(["x="]);
    expect(values(["run", "-o", "gp", "train.py", "--noise=0.2", "x=[1:2]", ""])).toEqual([]);
  });
  it("leaves out the sort keys and statuses given already", () => {
    expect(values(["compare", "-m", "loss", "-M", ""])).toEqual(["acc", "=x", ".time"]);
    expect(values(["compare", "--min=loss", "-M", "acc", "--max", ""])).toEqual(["=x", ".time"]);
    expect(values(["compare", "-M", "loss", "--min="])).toEqual(["--min=acc", "--min==x", "--min=.time"]);
    expect(values(["compare", "--status", "running", "--status", "r"])).toEqual([]);
    expect(values(["compare", "--status", "running", "--status", ""])).not.toContain("running");
  });
});
