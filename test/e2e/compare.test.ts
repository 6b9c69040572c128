import { cpSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { g } from "../helpers/g.js";
import { FIXTURES, cleanTempDirs, tempDir } from "../helpers/paths.js";
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
