// What inspection reads from an argparse script's add_argument calls: each
// option's default and how it is written on a command line (a switch, a
// --name/--no-name toggle, a counted option, or --name VALUE), which decides how a value reaches it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inspectScript } from "../../src/runner/inspect.js";

const dir = mkdtempSync(join(tmpdir(), "g-inspect-argparse-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("inspectScript on an argparse script", () => {
  it("tells switches, toggles and options that take a value apart", () => {
    const script = join(dir, "opts.py");
    writeFileSync(
      script,
      [
        "import argparse",
        "p = argparse.ArgumentParser()",
        'p.add_argument("--fast", action="store_true")',
        'p.add_argument("--no-aug", dest="aug", action="store_false")',
        'p.add_argument("--mode", action="store_const", const="x")',
        'p.add_argument("--color", action=argparse.BooleanOptionalAction, default=True)',
        'p.add_argument("--pretrained", type=lambda v: v == "True", default=False)',
        'p.add_argument("--model", type=str, default="resnet18")',
        'p.add_argument("-v", "--verbose", action="count", default=0)',
        'p.add_argument("--quiet", action="count")',
        "p.parse_args()",
        "",
      ].join("\n"),
    );
    expect(inspectScript(script, null).flags).toEqual({
      fast: { default: false, type: "bool", arg: "switch" },
      // The switch's flag says whether it is given, not what it stores in aug.
      "no-aug": { default: false, type: "bool", arg: "switch" },
      mode: { default: false, type: "bool", arg: "switch" },
      color: { default: true, type: "bool", arg: "toggle" },
      pretrained: { default: false, type: "bool", arg: "value" },
      model: { default: "resnet18", type: "string", arg: "value" },
      verbose: { default: 0, type: "int", arg: "count" },
      quiet: { default: null, type: "int", arg: "count" },
    });
  });
});
