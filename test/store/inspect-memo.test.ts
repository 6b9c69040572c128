// A process inspects a Python script once per version of it: an agent finds its program's flag
// style before every claim, and a script edited between two claims is inspected again.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inspectScript } from "../../src/runner/inspect.js";

const dir = mkdtempSync(join(tmpdir(), "g-inspect-memo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("inspectScript, remembered per process", () => {
  it("gives the same answer twice, and a new one when the script changes", () => {
    const script = join(dir, "train.py");
    writeFileSync(script, "lr = 0.1\nprint('loss: 1')\n");
    const first = inspectScript(script, null);
    expect(first.style).toBe("globals");
    expect(Object.keys(first.flags)).toEqual(["lr"]);
    first.flags.mutated = first.flags.lr!; // a caller's change does not leak into the next answer
    expect(Object.keys(inspectScript(script, null).flags)).toEqual(["lr"]);
    writeFileSync(script, "lr = 0.1\nepochs = 3\nprint('loss: 1')\n");
    utimesSync(script, new Date(), new Date(Date.now() + 5_000));
    expect(Object.keys(inspectScript(script, null).flags).sort()).toEqual(["epochs", "lr"]);
  });
});
