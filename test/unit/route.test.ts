// Which bundle a command line starts (src/cli/route.ts): the short routes take
// exactly the command lines they reproduce commander's answer for; everything
// else, mistakes included, goes to commander's program.
import { describe, expect, it } from "vitest";
import { chooseRoute, isVersion, plainAgentArgs, runsScripts } from "../../src/cli/route.js";

describe("chooseRoute", () => {
  it.each([
    [["run", "train.py", "lr=0.1"], "run"],
    [["run", "-y", "train.py", "--", "--help"], "run"],
    [["runs"], "runs-list"],
    [["runs", "list"], "runs-list"],
    [["agent", "abc123"], "agent"],
    [["agent", "abc123", "--count", "3", "--no-retry"], "agent"],
  ])("%j goes to the %s bundle", (args, route) => {
    expect(chooseRoute(args)).toBe(route);
  });

  it.each([
    [[]],
    [["run", "--help"]],
    [["run", "-y", "-h", "train.py"]],
    [["runs", "1:5"]],
    [["runs", "list", "-a"]],
    [["runs", "lst"]],
    [["agent"]],
    [["agent", "--count", "3"]],
    [["agent", "abc", "--count", "x"]],
    [["agent", "abc", "--count", "1", "--count", "2"]],
    [["agent", "abc", "--no-retry", "--no-retry"]],
    [["compare", "-T"]],
    [["--version"]],
    [["compar"]],
  ])("%j goes to commander's program", (args) => {
    expect(chooseRoute(args)).toBe("program");
  });

  it("gives the agent's options as commander does", () => {
    expect(plainAgentArgs(["agent", "s1"])).toEqual({ id: "s1", opts: { retry: true } });
    expect(plainAgentArgs(["agent", "s1", "--no-retry", "--count", "12"])).toEqual({ id: "s1", opts: { retry: false, count: 12 } });
  });

  it("tells the version flag and the commands that run scripts", () => {
    expect(isVersion(["--version"])).toBe(true);
    expect(isVersion(["-V"])).toBe(true);
    expect(isVersion(["-V", "runs"])).toBe(false);
    expect(runsScripts(["run", "x.py"])).toBe(true);
    expect(runsScripts(["agent", "s1"])).toBe(true);
    expect(runsScripts(["runs"])).toBe(false);
  });
});
