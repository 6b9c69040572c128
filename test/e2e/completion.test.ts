// Shell completion through the real binary: bash sources `g completion bash`
// and its completion function is called as bash would at a <TAB>.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { g } from "../helpers/g.js";
import { BIN, EXAMPLES } from "../helpers/paths.js";

let dir: string;
let home: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "g-complete-"));
  home = join(dir, "home");
  mkdirSync(join(dir, "bin"));
  // bash's completion function runs `g`: put the real binary on PATH under that name.
  writeFileSync(join(dir, "bin", "g"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  copyFileSync(join(EXAMPLES, "train.py"), join(dir, "train.py"));
  const res = g(["run", "-y", "-q", "train.py", "x=[-1,1]"], { home, cwd: dir });
  expect(res.code).toBe(0);
  writeFileSync(join(dir, "g.bash"), g(["completion", "bash"], { home }).stdout);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** COMPREPLY after bash's completion function runs on `line` (cursor at its end). */
function bashComplete(line: string): string[] {
  const script = [
    `source ${JSON.stringify(join(dir, "g.bash"))}`,
    `COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}`,
    // bash's own word split, including its breaks at = and :
    `read -ra COMP_WORDS <<< "$(printf '%s' "$COMP_LINE" | sed -e 's/=/ = /g')"`,
    `[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")`,
    `COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))`,
    `_g_complete`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join("\n");
  const res = spawnSync("bash", ["-c", script], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, G_HOME: home, PATH: `${join(dir, "bin")}:${process.env.PATH}` },
  });
  expect(res.stderr).toBe("");
  return res.stdout.split("\n").filter((l) => l !== "");
}

describe("g completion", () => {
  it("completes commands, options, a script's flags, run ids and columns in bash", () => {
    expect(bashComplete("g comp")).toEqual(["compare", "completion"]);
    expect(bashComplete("g compare --sk")).toEqual(["--skip-core", "--skip-unchanged"]);
    expect(bashComplete("g run train.py ")).toEqual(["x=", "noise="]);
    expect(bashComplete("g run --optimizer ba")).toEqual(["bayesian"]);
    expect(bashComplete("g run -Fo xi=0.1 train.py ")).toEqual(["x=", "noise="]);
    expect(bashComplete("g ini")).toEqual(["init"]);
    const ids = g(["runs", "list", "--json"], { home }).stdout;
    const first = (JSON.parse(ids) as { id: string }[])[0]!.id.slice(0, 8);
    expect(bashComplete(`g runs info ${first.slice(0, 3)}`)).toContain(first);
    expect(bashComplete("g compare -m lo")).toEqual(["loss"]);
    expect(bashComplete("g compare --min=lo")).toEqual(["loss"]);
  });

  it("prints scripts for zsh and fish that call g __complete", () => {
    expect(g(["completion", "zsh"], { home }).stdout).toContain("compdef _g g");
    expect(g(["completion", "fish"], { home }).stdout).toContain("complete -c g -f -a '(__g_complete)'");
  });

  it("refuses an unknown shell with exit 2", () => {
    const res = g(["completion", "tcsh"], { home });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('g: no completion for shell "tcsh"; use one of bash, zsh, fish\n');
  });
});
