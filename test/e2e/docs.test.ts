// The docs run as tests: every shell block of README.md and docs/*.md is run,
// line by line and in order per file, against a temporary G_HOME and a
// temporary copy of examples/. Each line is split into an argument array
// (test/helpers/docs-blocks.ts) and spawned without a shell; it must exit 0,
// or the code its comment documents (`# ... exit 2`); a `g view` that serves is
// started, its page fetched, and stopped with Ctrl-C. A block that cannot run
// says why in a `<!-- docs-test: skip — reason -->` line before it. New docs
// are covered without touching this file.

import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  SHELL_LANGUAGES,
  commandLines,
  expectedExitCode,
  extractBlocks,
  looksLikeGCommand,
  splitShellWords,
  type DocBlock,
} from "../helpers/docs-blocks.js";
import { BIN, EXAMPLES, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

/** Longest a documented command may take (a 40-trial search on a loaded machine). */
const COMMAND_TIMEOUT_MS = 240_000;
/** Programs a documented line may start besides `g`; anything else needs a skip. */
const PROGRAMS: Record<string, string> = { python3: "python3", node: process.execPath };

const DOC_FILES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => join("docs", f)),
];

afterAll(cleanTempDirs);

interface Workspace {
  root: string;
  home: string;
  vars: Record<string, string>;
}

function makeWorkspace(): Workspace {
  const root = tempDir("g-docs-");
  cpSync(EXAMPLES, join(root, "examples"), { recursive: true });
  const home = join(root, "g-home");
  mkdirSync(home);
  return { root, home, vars: {} };
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnArgv(argv: string[], cwd: string, ws: Workspace, env: Record<string, string>): Outcome {
  const [program, ...args] = argv;
  let file: string;
  let fileArgs: string[];
  if (program === "g") {
    file = process.execPath;
    fileArgs = [BIN, ...args];
  } else if (program !== undefined && program in PROGRAMS) {
    file = PROGRAMS[program]!;
    fileArgs = args;
  } else {
    throw new Error(
      `"${program}" is not run by the docs test (only g, ${Object.keys(PROGRAMS).join(", ")}); mark the block skip with a reason`,
    );
  }
  const res = spawnSync(file, fileArgs, {
    cwd,
    // g itself on PATH, so that a documented program that calls `g` finds this build
    env: {
      ...process.env,
      NO_COLOR: "1",
      G_HOME: ws.home,
      PATH: `${dirname(BIN)}:${process.env.PATH ?? ""}`,
      ...env,
    },
    encoding: "utf8",
    input: "",
    timeout: COMMAND_TIMEOUT_MS,
  });
  if (res.error) throw res.error;
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** `g view` without `--export` serves until Ctrl-C: such a documented line is checked by its URL. */
function isServer(argv: string[]): boolean {
  return argv[0] === "g" && argv[1] === "view" && !argv.includes("--export") && !argv.includes("--help");
}

/**
 * Starts a documented `g view`, reads the URL it prints first, checks that the
 * page answers, then stops it as a user would (Ctrl-C: exit 130).
 */
async function serveAndStop(argv: string[], cwd: string, ws: Workspace): Promise<Outcome & { page: number }> {
  const child = spawn(process.execPath, [BIN, ...argv.slice(1), "--port", "0", "--no-open"], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", G_HOME: ws.home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
  const url = await new Promise<string | null>((done) => {
    child.stdout.on("data", (d) => {
      stdout += d;
      if (stdout.includes("\n")) done(stdout.split("\n")[0]!);
    });
    child.on("close", () => done(null));
  });
  let page = 0;
  if (url !== null) {
    page = (await fetch(url)).status;
    child.kill("SIGINT");
  }
  return { code: await exited, stdout, stderr, page };
}

function describeFailure(file: string, line: number, text: string, out: Outcome, want: number): string {
  const tail = (s: string) => s.trim().split("\n").slice(-15).join("\n");
  return `${file}:${line}: \`${text}\` exited ${out.code}, expected ${want}\n--- stderr\n${tail(out.stderr)}\n--- stdout\n${tail(out.stdout)}`;
}

/** Runs one shell block's lines in order; variables set by `NAME=$(g ...)` carry over. */
async function runBlock(file: string, block: DocBlock, ws: Workspace): Promise<void> {
  const cwd = resolve(ws.root, block.cwd ?? ".");
  expect(relative(ws.root, cwd).startsWith(".."), `${file}:${block.line}: cwd leaves the workspace`).toBe(false);
  for (const { line, text } of commandLines(block)) {
    const substitute = (argv: string[]): string => {
      const out = spawnArgv(argv, cwd, ws, {});
      if (out.code !== 0) throw new Error(describeFailure(file, line, `$(${argv.join(" ")})`, out, 0));
      return out.stdout;
    };
    const split = splitShellWords(text, ws.vars, substitute);
    if (split.argv.length === 0) {
      for (const [name, value] of split.assignments) ws.vars[name] = value;
      continue;
    }
    const want = expectedExitCode(split.comment);
    if (isServer(split.argv)) {
      const served = await serveAndStop(split.argv, cwd, ws);
      expect(served.page, describeFailure(file, line, text, served, 130)).toBe(200);
      expect(served.code, describeFailure(file, line, text, served, 130)).toBe(130);
      continue;
    }
    const out = spawnArgv(split.argv, cwd, ws, Object.fromEntries(split.assignments));
    expect(out.code, describeFailure(file, line, text, out, want)).toBe(want);
  }
}

for (const file of DOC_FILES) {
  const markdown = readFileSync(join(ROOT, file), "utf8");
  const blocks = extractBlocks(markdown);
  const shellBlocks = blocks.filter((b) => SHELL_LANGUAGES.has(b.lang));

  describe(file, () => {
    it("has every command in a shell block, so that none escapes this test", () => {
      const hidden = blocks
        .filter((b) => !SHELL_LANGUAGES.has(b.lang) && b.lang !== "text")
        .filter((b) => b.body.some((l) => looksLikeGCommand(l)))
        .map((b) => `line ${b.line} (\`\`\`${b.lang})`);
      expect(hidden, `blocks with g commands must be \`\`\`sh (run) or \`\`\`text (not commands)`).toEqual([]);
    });

    it("links only to files that exist", () => {
      const links = [...markdown.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)].map((m) => m[1] ?? "");
      const missing = links.filter((l) => !/^[a-z]+:/i.test(l) && !existsSync(resolve(ROOT, dirname(file), l)));
      expect(missing).toEqual([]);
    });

    if (shellBlocks.length === 0) return;
    const ws = makeWorkspace();
    for (const block of shellBlocks) {
      const title = `runs the block at line ${block.line}`;
      if (block.skip !== null) {
        it.skip(`${title} (skipped: ${block.skip})`, () => {});
        continue;
      }
      it(title, async () => runBlock(file, block, ws), COMMAND_TIMEOUT_MS * Math.max(1, commandLines(block).length));
    }
  });
}
