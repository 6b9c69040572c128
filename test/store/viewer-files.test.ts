import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listSourceFiles, readOutputTailText, readSourceFile } from "../../src/store/viewer-files.js";
import { RunStore } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";

describe("run files for viewers", () => {
  let run: Run;
  let outside: string;
  beforeAll(() => {
    const home = tempDir("g-run-files-");
    run = new RunStore(home).createRun({ op: "train.py" });
    const src = join(run.dir, "sourcecode");
    mkdirSync(join(src, "pkg"), { recursive: true });
    writeFileSync(join(src, "train.py"), "print('hi')\n");
    writeFileSync(join(src, "pkg", "model.py"), "W = 1\n");
    outside = join(home, "secret.txt");
    writeFileSync(outside, "secret\n");
    symlinkSync(outside, join(src, "leak.txt"));
    symlinkSync(join(home), join(src, "up"));
    symlinkSync(join(src, "train.py"), join(src, "alias.py"));
  });
  afterAll(cleanTempDirs);

  it("lists source files relative and sorted, without following symlinks", () => {
    expect(listSourceFiles(run)).toEqual(["pkg/model.py", "train.py"]);
  });

  it("reads a source file by relative path", () => {
    expect(readSourceFile(run, "train.py")).toBe("print('hi')\n");
    expect(readSourceFile(run, "pkg/model.py")).toBe("W = 1\n");
    expect(readSourceFile(run, "alias.py")).toBe("print('hi')\n");
  });

  it("refuses paths leaving the sourcecode folder", () => {
    for (const bad of [
      "../run.json",
      "pkg/../../run.json",
      "/etc/passwd",
      outside,
      "leak.txt",
      "up/secret.txt",
      "./train.py",
      "pkg//model.py",
      "pkg\\model.py",
      "",
      "pkg",
      "nope.py",
      "train.py\0",
    ]) {
      expect(readSourceFile(run, bad), bad).toBeNull();
    }
  });

  it("returns the tail of output.log from a line start", () => {
    expect(readOutputTailText(run)).toBe("");
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n") + "\n";
    writeFileSync(join(run.dir, "output.log"), lines);
    expect(readOutputTailText(run)).toBe(lines);
    const tail = readOutputTailText(run, 100);
    expect(tail.length).toBeLessThanOrEqual(100);
    expect(tail.endsWith("line 1999\n")).toBe(true);
    expect(tail.startsWith("line ")).toBe(true);
  });
});
