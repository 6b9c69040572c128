// `npm run demo`, the README's first command after `npm install`: the Guild
// quick-start end to end (scripts/demo.mjs), into a store of the test's own.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

afterAll(cleanTempDirs);

describe("npm run demo", () => {
  it("runs the quick-start search and prints the five best runs, near x = -0.3", () => {
    const store = join(tempDir("g-demo-"), "runs");
    const res = spawnSync(process.execPath, [join(ROOT, "scripts", "demo.mjs"), store], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 180_000,
    });
    expect(res.stderr).toContain("$ g compare 1:20 -T -m loss -t 5");
    expect(res.status).toBe(0);
    const lines = res.stdout.split("\n");
    const header = lines.findIndex((l) => /^#\s+run\s+op/.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    const best = lines.slice(header + 1, header + 6);
    expect(best.every((l) => l.includes("examples/train.py") && l.includes("completed"))).toBe(true);
    // the Bayesian search's best x (noise 0): the minimum of train.py's loss is at x ≈ -0.29
    // columns end with x, noise and loss (the label before them is empty)
    expect(lines[header]!.trim().split(/\s+/).slice(-3)).toEqual(["x", "noise", "loss"]);
    const x = Number(best[0]!.trim().split(/\s+/).at(-3));
    expect(Math.abs(x + 0.29)).toBeLessThan(0.05);
    expect(res.stderr).toContain(`G_HOME=${store} node bin/g compare`);
  }, 200_000);
});
