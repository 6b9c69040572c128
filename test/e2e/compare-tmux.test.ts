// The interactive compare view driven in a real terminal: tmux runs bin/g,
// send-keys types, capture-pane reads the screen.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { g } from "../helpers/g.js";
import { BIN, EXAMPLES } from "../helpers/paths.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const SESSION = `g-test-${process.pid}`;
let dir: string;
let home: string;

function tmux(...args: string[]): string {
  const res = spawnSync("tmux", ["-L", SESSION, ...args], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${res.stderr}`);
  return res.stdout;
}

const screen = (): string => tmux("capture-pane", "-t", SESSION, "-p");

/** Waits until the screen matches (the view starts in a second or so, longer on a busy machine). */
async function waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = screen();
    if (pattern.test(text)) return text;
    if (Date.now() > until) throw new Error(`screen never matched ${pattern}:\n${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(() => {
  if (!hasTmux) return;
  dir = mkdtempSync(join(tmpdir(), "g-tmux-"));
  home = join(dir, "home");
  copyFileSync(join(EXAMPLES, "train.py"), join(dir, "train.py"));
  expect(g(["run", "-y", "-q", "train.py", "x=[-1,0,1]", "noise=0"], { home, cwd: dir }).code).toBe(0);
  // A wrapper, so the shell in tmux runs exactly this checkout's g with this store.
  writeFileSync(join(dir, "g"), `#!/bin/sh\nG_HOME="${home}" exec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  tmux(
    "new-session",
    "-d",
    "-s",
    SESSION,
    "-x",
    "120",
    "-y",
    "24",
    "-c",
    dir,
    "env",
    "-u",
    "NO_COLOR",
    // A user's terminal: with CI set, Ink draws only the last frame.
    "-u",
    "CI",
    "PS1=$ ",
    "bash",
    "--norc",
    "--noprofile",
  );
});

afterAll(() => {
  if (!hasTmux) return;
  spawnSync("tmux", ["-L", SESSION, "kill-server"]);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasTmux && !process.env.CI)("g compare in a real terminal (tmux)", () => {
  it("shows the batch with its trials, sorts, filters, and leaves the terminal clean", async () => {
    tmux("send-keys", "-t", SESSION, "clear; ./g compare", "Enter");
    let text = await waitFor(/q quit/);
    expect(text).toMatch(/▾ +4 +\w{8} +grid/);
    expect(text.match(/│/g)?.length).toBe(3);
    // Filter in the --filter language, then clear it.
    tmux("send-keys", "-t", SESSION, "/", "x > 0", "Enter");
    text = await waitFor(/filter "x > 0"/);
    expect(text.match(/│/g)?.length).toBe(1);
    tmux("send-keys", "-t", SESSION, "/", "Escape");
    // The batch run's x is text ("[-1,0,1]"), which "x > 0" does not match: the cursor went to the
    // matching trial, run 2 of 4, and stays there when the filter is cleared.
    await waitFor(/run 2\/4/);
    // Fold the batch's trials.
    tmux("send-keys", "-t", SESSION, "c");
    text = await waitFor(/▸/);
    expect(text, text).not.toMatch(/│/);
    tmux("send-keys", "-t", SESSION, "q");
    text = await waitFor(/^\$\s*$/m);
    expect(text).not.toMatch(/grid|q quit/);
  });

  it("prints -T in a narrow terminal with the columns that did not fit named first", async () => {
    // 40 columns: the message (stderr) comes once, before the table (stdout), which is printed after its runs are checked.
    tmux("send-keys", "-t", SESSION, "clear; stty cols 40; ./g compare -T; echo END; stty cols 120", "Enter");
    const text = await waitFor(/^END/m);
    const lines = text.split("\n");
    const note = lines.findIndex((l) => / did not fit: /.test(l));
    expect(note, text).toBeGreaterThanOrEqual(0);
    expect(text.match(/ did not fit: /g)).toHaveLength(1);
    expect(
      lines.findIndex((l) => /^\s*#?\s*\d+\s+[0-9a-f]{8}/.test(l)),
      text,
    ).toBeGreaterThan(note);
  });
});
