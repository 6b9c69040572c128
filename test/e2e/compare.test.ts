import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { g, listRunsJson } from "../helpers/g.js";
import { BIN, FIXTURES, cleanTempDirs, tempDir } from "../helpers/paths.js";
import { RunStore } from "../../src/store/store.js";
// @ts-expect-error: plain JS generator, no type declarations
import { generateStore } from "../../runs-fixtures/generate.mjs";

/** The numbers of one column of a `-T` table (the header says where it starts and ends). */
function numbersUnder(table: string, header: string): number[] {
  const [head, ...lines] = table.trimEnd().split("\n");
  const end = head!.indexOf(header) + header.length; // right-aligned: values end where the header does
  return lines.map((l) => Number(l.slice(0, end).trim().split(/\s+/).pop()));
}

describe("g compare on the small fixture store", () => {
  let home: string;
  beforeAll(() => {
    home = tempDir("g-compare-");
    cpSync(join(FIXTURES, "small"), home, { recursive: true });
  });
  afterAll(cleanTempDirs);

  it("prints the five lowest losses of the last twenty runs, sorted", () => {
    const res = g(["compare", "1:20", "-T", "-m", "loss", "-t", "5"], { home });
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(6);
    const losses = numbersUnder(res.stdout, "loss");
    expect(losses).toHaveLength(5);
    expect([...losses].sort((a, b) => a - b)).toEqual(losses);
    expect(losses[0]).toBeCloseTo(-0.907962, 5);
  });

  it("warns about each damaged run on stderr and still compares the others", () => {
    const res = g(["compare", "--json"], { home });
    expect(res.code).toBe(0);
    for (const id of ["0b", "0c", "0d"]) expect(res.stderr).toContain(id.repeat(16));
    expect(res.stderr).toMatch(/warning/);
    const rows = JSON.parse(res.stdout) as Array<{ id: string; status: string; scalars: Record<string, { min: number }> }>;
    expect(rows).toHaveLength(10);
    expect(rows.find((r) => r.id.startsWith("0a"))!.status).toBe("running");
    expect(rows.find((r) => r.id.startsWith("07"))!.scalars.loss!.min).toBeTypeOf("number");
  });

  it("prints a table when stdout is not a terminal, even without -T", () => {
    const res = g(["compare", "1:3"], { home });
    expect(res.code).toBe(0);
    expect(res.stdout.split("\n")[0]).toMatch(/^#\s+run\s+op/);
    expect(res.stdout.trimEnd().split("\n")).toHaveLength(4);
    expect(res.stdout).not.toMatch(/\x1b\[/);
  });

  it("writes CSV to a file with --csv FILE, and to stdout with --csv", () => {
    const file = join(home, "out.csv");
    const res = g(["compare", "--csv", file, "-c", "loss, =x", "--skip-core", "--filter", "=x < 0"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe("");
    const lines = readFileSync(file, "utf8").split("\r\n");
    expect(lines[0]).toBe("loss,x");
    expect(lines.slice(1, -1)).toHaveLength(5);
    const stdout = g(["compare", "1", "--csv"], { home });
    expect(stdout.stdout.startsWith("#,run,op")).toBe(true);
  });

  it("reads `--csv 1:3` as CSV of runs 1 to 3 on stdout, not a file named 1:3", () => {
    const res = g(["compare", "--csv", "1:3"], { home, cwd: home });
    expect(res.code, res.stderr).toBe(0);
    expect(
      res.stdout
        .split("\r\n")
        .slice(1, -1)
        .map((l) => l.split(",")[0]),
    ).toEqual(["1", "2", "3"]);
  });

  it("says so in one line when the CSV file cannot be written", () => {
    const res = g(["compare", "--csv", join(home, "no", "such", "dir.csv")], { home });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--csv: cannot write .*dir\.csv \(ENOENT\)/);
  });

  it("finds the trial with the largest x with -M =x, not the batch run that records x as its search spec", () => {
    const res = g(["compare", "--json", "-M", "=x", "-t", "1"], { home });
    expect(res.code, res.stderr).toBe(0);
    const [top] = JSON.parse(res.stdout) as Array<{ op: string; flags: { x: unknown } }>;
    expect(top).toMatchObject({ op: "train.py", flags: { x: 5 } });
    const last = g(["compare", "--csv", "-M", "=x", "-c", "=x", "--skip-core"], { home });
    expect(last.stdout.split("\r\n").slice(1, -1).pop()).toBe('"[-0.5,-0.4,-0.3,-0.2,-0.1]"');
  });

  it("never matches the batch run's text in a numeric --filter", () => {
    const x = (filter: string) =>
      g(["compare", "--csv", "-c", "=x", "--skip-core", "--filter", filter], { home }).stdout.split("\r\n").slice(1, -1);
    expect(x("x > -0.25")).toEqual(["0.3", "0.2", "5", "0.1", "-0.1", "-0.2"]);
    expect(x("x >= 10")).toEqual([]);
  });

  it("advises on a mistaken qualifier, a qualified flag and a misspelt attribute (exit 2)", () => {
    const median = g(["compare", "-T", "-c", "median loss"], { home });
    expect(median.code).toBe(2);
    expect(median.stderr).toMatch(
      /g: -c\/--cols: "median" at column 1 is not a qualifier; did you mean "avg loss".*Qualifiers: last, first, min, max/,
    );
    const flag = g(["compare", "-T", "-m", "min =x"], { home });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(
      /g: -m\/--min: "min =x" at column 1: qualifiers apply to scalars, not flags; =x has one value a run: write =x/,
    );
    const attr = g(["compare", "-T", "-m", ".sttaus"], { home });
    expect(attr.code).toBe(2);
    expect(attr.stderr).toMatch(/unknown run attribute "\.sttaus" at column 2; did you mean \.status\?/);
  });

  it("names the filter that matched nothing, with a did-you-mean for --op, exit 0", () => {
    const op = g(["compare", "-T", "--op", "trian"], { home });
    expect(op.code).toBe(0);
    expect(op.stdout).toBe("");
    expect(op.stderr.trim().split("\n").pop()).toBe("no run matches --op trian; did you mean --op train?");
    const nosuch = g(["compare", "-T", "--op", "nosuch"], { home });
    expect(nosuch.stderr).toMatch(/no run matches --op nosuch \(no run's op contains "nosuch"; ops here: grid, train\.py\)/);
    expect(nosuch.stderr).not.toMatch(/no runs to compare/);
    const filter = g(["compare", "-T", "--filter", "x > 100"], { home });
    expect(filter.code).toBe(0);
    expect(filter.stderr.trim().split("\n").pop()).toBe('no run matches --filter "x > 100" (10 runs selected before --filter)');
  });

  it("exits 1 saying the disk is full when --csv FILE cannot be written for want of space", () => {
    const res = g(["compare", "--csv", "/dev/full"], { home });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split("\n").pop()).toBe(
      "g: --csv: the disk is full writing /dev/full (ENOSPC); free some space and try again",
    );
  });

  it("rejects a bad filter with exit 2 and the position, in one line", () => {
    const res = g(["compare", "-T", "--filter", "loss < and x"], { home });
    expect(res.code).toBe(2);
    expect(
      res.stderr
        .trim()
        .split("\n")
        .filter((l) => !l.includes("warning")),
    ).toEqual([expect.stringMatching(/--filter: expected a value after "<" at column 8/)]);
    expect(res.stdout).toBe("");
  });

  it("says when no run is at an index, with exit 3", () => {
    const res = g(["compare", "99", "-T"], { home });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/no run at index 99/);
  });

  it("rejects two output formats at once", () => {
    const res = g(["compare", "--json", "-T"], { home });
    expect(res.code).toBe(2);
  });

  it("answers any --top that is not a whole number >= 1 with the same one line, exit 2", () => {
    for (const top of ["0", "abc", "1.5"]) {
      const res = g(["compare", "-T", "--top", top], { home });
      expect(res.code, top).toBe(2);
      expect(res.stderr.trim(), top).toBe(`g: -t/--top takes a whole number of runs >= 1, not "${top}" (e.g. -t 5)`);
    }
  });
});

describe("g compare of a script whose flag and scalar share a name", () => {
  afterAll(cleanTempDirs);

  it("heads the flag =acc beside the scalar acc in -c columns, as in the default table", () => {
    const home = tempDir("g-compare-acc-");
    const dir = join(home, "project");
    mkdirSync(dir);
    writeFileSync(join(dir, "acc.py"), 'acc = 0.5\nprint("acc: %f" % (acc * 1.5))\n');
    const run = g(["run", "-y", "-q", "acc.py", "acc=0.2"], { home, cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const chosen = g(["compare", "--csv", "-c", "acc, =acc", "--skip-core"], { home });
    expect(chosen.stdout).toBe("acc,=acc\r\n0.3,0.2\r\n");
    const table = g(["compare", "-T", "-c", "acc, =acc", "--skip-core"], { home });
    expect(table.stdout.split("\n")[0]!.trim().split(/\s+/)).toEqual(["acc", "=acc"]);
    expect(g(["compare", "--csv", "--skip-core"], { home }).stdout.split("\r\n")[0]).toBe("=acc,acc");
  });
});

describe("g compare on a generated store", () => {
  let home: string;
  beforeAll(() => {
    home = tempDir("g-compare-gen-");
    generateStore({ runs: 60, out: home, seed: "e2e", summary: false });
  });
  afterAll(cleanTempDirs);

  it("compares every run, building the missing summaries", () => {
    const res = g(["compare", "--json"], { home });
    expect(res.code, res.stderr).toBe(0);
    const rows = JSON.parse(res.stdout) as Array<{ scalars: Record<string, { count: number }>; flags: Record<string, unknown> }>;
    expect(rows).toHaveLength(60);
    const trained = rows.filter((r) => r.scalars.loss !== undefined);
    expect(trained.length).toBeGreaterThan(40);
    expect(Object.keys(trained[0]!.flags)).toHaveLength(10);
  });

  it("leaves the old CSV file whole when writing the new one fails part-way", () => {
    const file = join(home, "kept.csv");
    writeFileSync(file, "old\n");
    g(["compare", "--csv"], { home }); // the index is current: the limited run below writes only the CSV
    // A file size limit of 4 KiB (the CSV has some 10) fails the write part-way (EFBIG), as a full disk would (ENOSPC).
    const res = spawnSync("bash", ["-c", `ulimit -f 4; exec "$0" "$@"`, process.execPath, BIN, "compare", "--csv", file], {
      env: { ...process.env, G_HOME: home, NO_COLOR: "1" },
      encoding: "utf8",
    });
    expect(res.status, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/--csv: the file is larger than allowed writing .*kept\.csv \(EFBIG\); .*kept\.csv was left as it was/);
    expect(readFileSync(file, "utf8")).toBe("old\n");
    expect(readdirSync(home).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("sorts descending with -M, runs without the scalar last", () => {
    const res = g(["compare", "--csv", "-M", "val_accuracy", "-c", "val_accuracy", "--skip-core"], { home });
    expect(res.code, res.stderr).toBe(0);
    const [head, ...cells] = res.stdout.split("\r\n").slice(0, -1);
    expect(head).toBe("val_accuracy");
    expect(cells).toHaveLength(60);
    const firstMissing = cells.indexOf("");
    expect(firstMissing).toBeGreaterThan(0);
    expect(cells.slice(firstMissing).every((c) => c === "")).toBe(true);
    const values = cells.slice(0, firstMissing).map(Number);
    expect([...values].sort((a, b) => b - a)).toEqual(values);
  });
});

describe("the run generator", () => {
  afterAll(cleanTempDirs);

  it("writes the same store for the same seed, and another for another seed", () => {
    const [a, b, c] = [tempDir("g-gen-a-"), tempDir("g-gen-b-"), tempDir("g-gen-c-")];
    generateStore({ runs: 30, out: a, seed: "7" });
    generateStore({ runs: 30, out: b, seed: "7" });
    generateStore({ runs: 30, out: c, seed: "8" });
    const ids = (home: string) => readdirSync(join(home, "runs")).sort();
    expect(ids(a)).toHaveLength(30);
    expect(ids(b)).toEqual(ids(a));
    expect(ids(c)).not.toEqual(ids(a));
    for (const id of ids(a)) {
      for (const file of ["run.json", "output.log"]) {
        expect(readFileSync(join(b, "runs", id, file), "utf8")).toBe(readFileSync(join(a, "runs", id, file), "utf8"));
      }
    }
  });
});

describe("control characters in flag values and labels", () => {
  let home: string;
  let id: string;
  const MSG = "a\nb\tc\r\x1b[31mred";
  const SHOWN = "a\\nb\\tc\\r\\x1b[31mred";
  beforeAll(async () => {
    home = tempDir("g-compare-ctl-");
    // Enough runs for index.bin, whose kept cells then give the table's cells.
    generateStore({ runs: 70, out: home, seed: "ctl", steps: 3, summary: false });
    const cwd = tempDir("g-compare-ctl-src-");
    writeFileSync(join(cwd, "s.py"), 'msg = "hi"\nopt = 1\nprint("loss: 0.5")\n');
    // Spawned without a shell: the newline, tab, carriage return and escape reach g as they are.
    const res = g(["run", "-y", "-q", "s.py", `msg=${MSG}`, "opt=null"], { home, cwd });
    expect(res.code, res.stderr).toBe(0);
    id = listRunsJson(home)[0]!.id;
    await new RunStore(home).updateRun(id, (r) => void (r.label = "two\nlines\there"));
  });
  afterAll(cleanTempDirs);

  it("shows a newline, tab, CR or escape in a flag or label escaped, one row a run, columns aligned", () => {
    // Twice: the first listing writes index.bin, the second reads the cells it keeps.
    for (let pass = 0; pass < 2; pass++) {
      const res = g(["compare", "-T", "-c", "=msg, .label, =opt"], { home });
      expect(res.code, res.stderr).toBe(0);
      const lines = res.stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(72);
      expect(res.stdout).not.toMatch(/[\r\t\x1b]/);
      const row = lines.find((l) => l.includes(id.slice(0, 8)))!;
      expect(row).toContain(SHOWN);
      expect(row).toContain("two\\nlines\\there");
      // The label column starts where its header does: the msg column is as wide as what it shows.
      expect(row.indexOf("two\\nlines")).toBe(lines[0]!.indexOf("label"));
      // opt=null reads null, under its header (the other runs lack the flag: nothing there).
      expect(row.endsWith("null")).toBe(true);
      expect(row.length).toBe(lines[0]!.indexOf("opt") + "null".length);
      expect(lines.filter((l) => l.endsWith("null"))).toHaveLength(1);
      // Every flag then every scalar: cells index.bin keeps ready-made, a row's flags and scalars at once.
      const all = g(["compare", "-T"], { home });
      expect(all.stdout.trimEnd().split("\n")).toHaveLength(72);
      expect(all.stdout).not.toMatch(/[\r\t\x1b]/);
      expect(all.stdout).toContain(SHOWN);
      expect(all.stdout.split("\n").find((l) => l.includes(id.slice(0, 8)))).toMatch(/\bnull\b/);
    }
    expect(existsSync(join(home, "index.bin"))).toBe(true);
  });

  it("lists the run on one line in g runs, its label escaped", () => {
    const res = g(["runs", "1:3"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trimEnd().split("\n")).toHaveLength(4);
    expect(res.stdout.split("\n")[1]).toMatch(/two\\nlines\\there$/);
  });

  it("keeps the exact value and label in JSON", () => {
    const rows = JSON.parse(g(["compare", "--json", id.slice(0, 8)], { home }).stdout) as Array<{
      label: string;
      flags: Record<string, unknown>;
    }>;
    expect(rows[0]!.flags).toMatchObject({ msg: MSG, opt: null });
    expect(rows[0]!.label).toBe("two\nlines\there");
  });
});
