// Shell completion through the real binary: bash sources `g completion bash`
// and its completion function is called as bash would at a <TAB>.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { g, listRunsJson } from "../helpers/g.js";
import { RunStore } from "../../src/store/store.js";
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
function bashComplete(line: string, store = home): string[] {
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
    env: { ...process.env, G_HOME: store, PATH: `${join(dir, "bin")}:${process.env.PATH}` },
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

describe("g completion offers the runs each command takes", () => {
  let store: string;
  const ids: Record<"trashed" | "done" | "here" | "elsewhere", string> = { trashed: "", done: "", here: "", elsewhere: "" };
  beforeAll(async () => {
    store = join(dir, "store2");
    for (let i = 0; i < 4; i++) expect(g(["run", "-y", "-q", "train.py", `x=${i}`], { home: store, cwd: dir }).code).toBe(0);
    const [elsewhere, here, done, trashed] = listRunsJson(store).map((r) => r.id.slice(0, 8));
    Object.assign(ids, { elsewhere, here, done, trashed });
    expect(g(["runs", "delete", "-y", trashed!], { home: store }).code).toBe(0);
    // Two runs made running again through the store: one recorded by this (live) process on this host, one by a
    // process on another host (a LOCK without a heartbeat counts as alive there).
    const runs = new RunStore(store);
    for (const [id, host] of [
      [here!, hostname()],
      [elsewhere!, "another-host.example"],
    ] as const) {
      const full = runs.listRuns().runs.find((r) => r.id.startsWith(id))!.id;
      await runs.updateRun(full, (r) => {
        r.stopped = null;
        r.exit_status = null;
      });
      runs.writeLock(full, { pid: process.pid, host });
    }
    const status = Object.fromEntries(listRunsJson(store).map((r) => [r.id.slice(0, 8), r.status]));
    expect(status).toEqual({ [here!]: "running", [elsewhere!]: "running", [done!]: "completed" });
  });

  it("g stop: only the runs running on this host", () => {
    expect(bashComplete("g stop ", store)).toEqual([ids.here]);
  });

  it("g runs restore, purge and list --trash: the runs in the trash", () => {
    expect(bashComplete("g runs restore ", store)).toEqual([ids.trashed]);
    expect(bashComplete("g runs purge ", store)).toEqual([ids.trashed]);
    expect(bashComplete("g runs list --trash ", store)).toEqual([ids.trashed]);
  });

  it("g runs delete: runs neither running nor in the trash; g runs info: any run not in the trash", () => {
    expect(bashComplete("g runs delete ", store)).toEqual([ids.done]);
    expect(bashComplete("g runs info ", store).sort()).toEqual([ids.elsewhere, ids.here, ids.done].sort());
  });

  it("g run --restart: the optimizers and the runs it can restart, none running", () => {
    const offered = bashComplete("g run --restart ", store);
    expect(offered).toContain("gp");
    expect(offered).toContain(ids.done);
    expect(offered).not.toContain(ids.here);
    expect(offered).not.toContain(ids.elsewhere);
  });

  it("leaves out the columns already in a -c list and the sort keys already given", () => {
    const next = bashComplete("g compare -c loss,", store);
    expect(next).toContain("loss,=x");
    expect(next).not.toContain("loss,loss");
    expect(bashComplete("g compare -c =x,lo", store)).toEqual(["x,loss"]); // bash's word starts after the =
    // zsh and fish hand over whole words
    const words = g(["__complete", "--words", "compare", "-c", "loss, =x, "], { home: store }).stdout.split("\n");
    expect(words).toContain("loss, =x, .time");
    expect(words.filter((w) => /, (loss|=x)$/.test(w))).toEqual([]);
    expect(bashComplete("g compare -m loss -M lo", store)).toEqual([]);
    expect(bashComplete("g compare --status running --status r", store)).toEqual([]);
  });
});
