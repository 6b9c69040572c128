// g run's live progress panel in a real terminal: tmux runs bin/g, capture-pane
// reads the screen. A gated script holds its trials open so the live panel can
// be read while they run; examples/train.py then runs a batch to its summary.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, EXAMPLES } from "../helpers/paths.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const SESSION = `g-progress-${process.pid}`;
let dir: string;

// Prints its loss, then waits until the test creates the file `go`.
const GATED = `import os, time
x = 0.1
print("loss: %f" % (x * x))
while not os.path.exists("go"):
    time.sleep(0.05)
`;

function tmux(...args: string[]): string {
  const res = spawnSync("tmux", ["-L", SESSION, ...args], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${res.stderr}`);
  return res.stdout;
}

const screen = (): string => tmux("capture-pane", "-t", SESSION, "-p");

/** Waits until the screen matches (g starts in a second or so, longer on a busy machine). */
async function waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
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
  dir = mkdtempSync(join(tmpdir(), "g-tmux-progress-"));
  copyFileSync(join(EXAMPLES, "train.py"), join(dir, "train.py"));
  writeFileSync(join(dir, "gated.py"), GATED);
  // A wrapper, so the shell in tmux runs exactly this checkout's g with this store.
  writeFileSync(join(dir, "g"), `#!/bin/sh\nG_HOME="${join(dir, "home")}" exec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  tmux(
    "new-session",
    "-d",
    "-s",
    SESSION,
    "-x",
    "100",
    "-y",
    "30",
    "-c",
    dir,
    "env",
    "-u",
    "NO_COLOR",
    "-u",
    "CI",
    "TERM=xterm-256color",
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

describe.skipIf(!hasTmux && !process.env.CI)("g run's progress panel in a real terminal (tmux)", () => {
  it("shows the running trials with their scalars while they run, then the summary", async () => {
    tmux("send-keys", "-t", SESSION, "clear; ./g run -y -j 2 gated.py x=[0.5,2,3]", "Enter");
    await waitFor(/\[2\] x=2 · \S+ · loss 4/);
    // Both trials are gated after their first line: under load trial 1's may reach the panel a frame later.
    let text = await waitFor(/\[1\] x=0\.5 · \S+ · loss 0\.25[\s\S]*\[2\] x=2 · \S+ · loss 4/);
    expect(text).toContain("grid batch");
    expect(text).toMatch(/0\/3 trials ░+ 0%/);
    expect(text).toMatch(/\[1\] x=0\.5 · \S+ · loss 0\.25/);
    expect(text).toContain("best loss: none yet");
    // The scripts' output is logged above the panel, prefixed by trial.
    expect(text).toContain("[1] loss: 0.250000");
    writeFileSync(join(dir, "go"), "");
    text = await waitFor(/look further/);
    expect(text).toMatch(/grid batch \w{8} · gated\.py finished in [\d:]+: 3 completed, 0 failed/);
    expect(text).toMatch(/best loss 0\.25 at trial 1 \(run \w{8}\): x=0\.5/);
    expect(text).toContain("Best is trial 1 with value 0.25.");
    // The live panel left no frame behind: its heading is on the screen once, in the summary.
    expect(text.match(/grid batch/g)).toHaveLength(1);
    expect(text).not.toMatch(/trials [█░]/);
  });

  it("runs a batch of examples/train.py and leaves the best trial and where to look further", async () => {
    tmux("send-keys", "-t", SESSION, "clear; ./g run -y train.py x=[-1,0,1] noise=0", "Enter");
    // This batch's summary, not the last test's (still on the screen until `clear` has run).
    const text = await waitFor(/about to run train\.py[\s\S]*look further.*\n.*\n\$/);
    expect(text).toContain("[1] loss: 0.228613");
    expect(text).toContain("Trial 3 finished with loss -0.228613 (x=1 noise=0). Best is trial 3 with value -0.228613.");
    expect(text).toMatch(/3 completed, 0 failed/);
    expect(text).toContain("best loss -0.228613 at trial 3");
    expect(text).toMatch(/look further: g compare --filter '\.batch = "\w{8}"' -m loss · g view --batch \w{8}/);
  });
});
