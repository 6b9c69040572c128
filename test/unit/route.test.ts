// Which bundle a command line starts (src/cli/route.ts): the short routes take
// exactly the command lines they reproduce commander's answer for; everything
// else, mistakes included, goes to commander's program.
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { chooseRoute, isVersion, plainAgentArgs, runsScripts } from "../../src/cli/route.js";

describe("chooseRoute", () => {
  it.each([
    [["run", "train.py", "lr=0.1"], "run"],
    [["run", "-y", "train.py", "--", "--help"], "run"],
    [["runs"], "runs-list"],
    [["runs", "list"], "runs-list"],
    [["agent", "abc123"], "agent"],
    [["agent", "abc123", "--count", "3", "--no-retry"], "agent"],
    [["agent", "abc123", "-j", "8"], "agent"],
    [["agent", "abc123", "--parallel", "2", "--count", "3", "--no-retry"], "agent"],
    [["agent", "abc123", "-j", "0"], "agent"],
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
    [["agent", "abc", "-j"]],
    [["agent", "abc", "-j", "x"]],
    [["agent", "abc", "-j", "-1"]],
    [["agent", "abc", "-j", "1", "--parallel", "2"]],
    [["agent", "abc", "-j4"]],
    [["agent", "abc", "--parallel=4"]],
    [["compare", "-T"]],
    [["--version"]],
    [["compar"]],
  ])("%j goes to commander's program", (args) => {
    expect(chooseRoute(args)).toBe("program");
  });

  it("gives the agent's options as commander does", () => {
    expect(plainAgentArgs(["agent", "s1"])).toEqual({ id: "s1", opts: { retry: true } });
    expect(plainAgentArgs(["agent", "s1", "--no-retry", "--count", "12"])).toEqual({ id: "s1", opts: { retry: false, count: 12 } });
    expect(plainAgentArgs(["agent", "s1", "-j", "8"])).toEqual({ id: "s1", opts: { retry: true, parallel: 8 } });
    expect(plainAgentArgs(["agent", "s1", "--count", "5", "--parallel", "3"])).toEqual({
      id: "s1",
      opts: { retry: true, count: 5, parallel: 3 },
    });
    expect(plainAgentArgs(["agent", "s1", "-q", "-j", "2"])).toEqual({ id: "s1", opts: { retry: true, quiet: true, parallel: 2 } });
    expect(plainAgentArgs(["agent", "s1", "-q", "--quiet"])).toBeNull();
  });

  it.each([
    [["agent", "s1"]],
    [["agent", "s1", "--no-retry", "--count", "12"]],
    [["agent", "s1", "-j", "8"]],
    [["agent", "s1", "--parallel", "3", "--count", "5", "--no-retry"]],
    [["agent", "s1", "-j", "0"]],
    [["agent", "s1", "--quiet", "--count", "2"]],
    [["agent", "s1", "-q"]],
  ])("reads %j as commander's program does", async (args) => {
    const program = buildProgram().exitOverride();
    let parsed: { id: string; opts: Record<string, unknown> } | null = null;
    program.commands.find((c) => c.name() === "agent")!.action((id: string, opts: Record<string, unknown>) => void (parsed = { id, opts }));
    await program.parseAsync(args, { from: "user" });
    expect(parsed).toEqual(plainAgentArgs(args));
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
