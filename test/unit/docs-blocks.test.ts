import { describe, expect, it } from "vitest";
import { commandLines, expectedExitCode, extractBlocks, looksLikeGCommand, splitShellWords } from "../helpers/docs-blocks.js";

const noSubstitute = (argv: string[]): string => {
  throw new Error(`unexpected $(${argv.join(" ")})`);
};
const words = (text: string, vars: Record<string, string> = {}) => splitShellWords(text, vars, noSubstitute).argv;

describe("extractBlocks", () => {
  it("finds fenced blocks with their language and line", () => {
    const md = ["# t", "", "```sh", "g runs", "```", "", "```", "plain", "```"].join("\n");
    expect(extractBlocks(md)).toEqual([
      { lang: "sh", line: 3, body: ["g runs"], skip: null, cwd: null },
      { lang: "", line: 7, body: ["plain"], skip: null, cwd: null },
    ]);
  });

  it("attaches skip and cwd directives to the next block only", () => {
    const md = [
      "<!-- docs-test: skip — needs a GPU -->",
      "",
      "<!-- docs-test: cwd examples -->",
      "```sh",
      "g a",
      "```",
      "```sh",
      "g b",
      "```",
    ].join("\n");
    const [first, second] = extractBlocks(md);
    expect(first).toMatchObject({ skip: "needs a GPU", cwd: "examples" });
    expect(second).toMatchObject({ skip: null, cwd: null });
  });

  it("drops a directive that text separates from the block", () => {
    const md = ["<!-- docs-test: skip — why -->", "Some prose.", "```sh", "g a", "```"].join("\n");
    expect(extractBlocks(md)[0]?.skip).toBeNull();
  });

  it("refuses a skip without a reason and an unknown directive", () => {
    expect(() => extractBlocks("<!-- docs-test: skip -->\n```sh\ng a\n```")).toThrow(/needs a reason/);
    expect(() => extractBlocks("<!-- docs-test: skp — x -->\n```sh\ng a\n```")).toThrow(/unknown docs-test directive/);
  });

  it("takes inline code at the start of a line for text, not a fence", () => {
    expect(extractBlocks("```` ```sh ```` is how a block is marked\n\n```sh\ng a\n```")).toEqual([
      { lang: "sh", line: 3, body: ["g a"], skip: null, cwd: null },
    ]);
  });

  it("keeps a longer fence open across a shorter one", () => {
    const md = ["````md", "```sh", "g inner", "```", "````"].join("\n");
    expect(extractBlocks(md)).toHaveLength(1);
    expect(extractBlocks(md)[0]?.body).toEqual(["```sh", "g inner", "```"]);
  });
});

describe("commandLines", () => {
  const block = (body: string[]) => ({ lang: "sh", line: 10, body, skip: null, cwd: null });

  it("joins continuations, drops comments and blank lines, strips a $ prompt", () => {
    expect(commandLines(block(["# setup", "", "$ g runs", "g run a.py \\", "    x=1   # one run"]))).toEqual([
      { line: 13, text: "g runs" },
      { line: 14, text: "g run a.py x=1   # one run" },
    ]);
  });
});

describe("splitShellWords", () => {
  it("splits on blanks and removes quotes as a shell does", () => {
    expect(words(`g run main.py --alpha "uniform(1e-5, 1e-1, 3)" --model 'a b' x=[1,2]`)).toEqual([
      "g",
      "run",
      "main.py",
      "--alpha",
      "uniform(1e-5, 1e-1, 3)",
      "--model",
      "a b",
      "x=[1,2]",
    ]);
  });

  it("keeps quotes inside the other kind of quotes, and escaped characters", () => {
    expect(words(`g x="'[1:]'" y='say "hi"' z=a\\ b w="\\$x \\"q\\""`)).toEqual(["g", "x='[1:]'", 'y=say "hi"', "z=a b", 'w=$x "q"']);
  });

  it("concatenates adjacent quoted and unquoted parts into one word", () => {
    expect(words(`g a'b'"c"d`)).toEqual(["g", "abcd"]);
    expect(words(`g ''`)).toEqual(["g", ""]);
  });

  it("takes # as a comment only at the start of a word", () => {
    expect(splitShellWords("g run a#b  # exit 2: bad", {}, noSubstitute)).toEqual({
      assignments: [],
      argv: ["g", "run", "a#b"],
      comment: "exit 2: bad",
    });
  });

  it("expands $NAME and ${NAME}, not inside single quotes", () => {
    expect(words(`g agent "$ID" \${ID}x '$ID'`, { ID: "3fa9" })).toEqual(["g", "agent", "3fa9", "3fa9x", "$ID"]);
    expect(() => words("g agent $NOPE")).toThrow(/\$NOPE is not set/);
  });

  it("runs $(...) through the substitute and trims its trailing newlines", () => {
    const seen: string[][] = [];
    const split = splitShellWords(`ID=$(g sweep "my sweep.yaml")`, {}, (argv) => (seen.push(argv), "3fa9\n"));
    expect(seen).toEqual([["g", "sweep", "my sweep.yaml"]]);
    expect(split).toEqual({ assignments: [["ID", "3fa9"]], argv: [], comment: "" });
  });

  it("separates leading NAME=value words from the command", () => {
    const split = splitShellWords(`PYTHONPATH="$(g sdk python-path)" python3 x.py lr=0.1`, {}, () => "/sdk\n");
    expect(split.assignments).toEqual([["PYTHONPATH", "/sdk"]]);
    expect(split.argv).toEqual(["python3", "x.py", "lr=0.1"]);
  });

  it("does not take a quoted NAME= for an assignment", () => {
    expect(splitShellWords(`"A=1" g`, {}, noSubstitute)).toMatchObject({ assignments: [], argv: ["A=1", "g"] });
  });

  it("refuses what needs a shell", () => {
    for (const line of ["g runs | head", "g a && g b", "g a; g b", "g runs > out", "g run x &", "g `x`"]) {
      expect(() => words(line), line).toThrow();
    }
    expect(() => words(`g "open`)).toThrow(/unclosed/);
  });
});

describe("expectedExitCode", () => {
  it("reads the exit code a comment documents, else 0", () => {
    expect(expectedExitCode("exit 2: no flag")).toBe(2);
    expect(expectedExitCode("a typo exits with code 2")).toBe(2);
    expect(expectedExitCode("exit status 3")).toBe(3);
    expect(expectedExitCode("20 trials")).toBe(0);
  });
});

describe("looksLikeGCommand", () => {
  it("tells a g command from g's output and from code", () => {
    expect(looksLikeGCommand("g run train.py x=1")).toBe(true);
    expect(looksLikeGCommand("$ g compare -T")).toBe(true);
    expect(looksLikeGCommand("ID=$(g sweep s.yaml)")).toBe(true);
    expect(looksLikeGCommand("g: flag x: bad")).toBe(false);
    expect(looksLikeGCommand("g.log(loss=1)")).toBe(false);
  });
});
