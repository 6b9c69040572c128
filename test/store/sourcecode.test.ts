// The source copy's listing, walked by hand, against the glob it replaced (fast-glob with the
// options runner/sourcecode.ts passed it until the fifth round), on a tree with every case the
// rules decide: depth, dot names, ignored folders, symlinks, a fifo, extensions and their case.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fg from "fast-glob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copySourceCode, listSources } from "../../src/runner/sourcecode.js";

const FAST_GLOB_PATTERNS = ["**/*.{py,js,mjs,cjs,ts,sh,r,R,jl,json,yaml,yml,toml,cfg,ini,txt,md}"];
const FAST_GLOB_IGNORE = [
  "**/node_modules/**",
  "**/.git/**",
  "**/__pycache__/**",
  "**/venv/**",
  "**/.venv/**",
  "**/dist/**",
  "**/build/**",
  "**/.g/**",
  "**/runs/**",
];

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "g-sourcecode-"));
  const files = [
    "train.py",
    "A.PY",
    "x.r",
    "y.R",
    "z.tar.json",
    "notes.md",
    "md",
    "data.csv",
    ".hidden.py",
    ".py",
    "README.txt",
    "pkg/mod.py",
    "pkg/sub/deep.py",
    "pkg/sub/deeper/deepest.py",
    "pkg/sub/deeper/more/gone.py",
    ".hid/h.py",
    "node_modules/x/n.js",
    "runs/r.py",
    "sub/runs/r.py",
    "dist/d.js",
    "build/b.js",
    "build2/k.md",
    "venv/v.py",
    ".venv/v.py",
    "__pycache__/c.py",
    ".git/config.json",
    "lib/.inner/i.py",
    "conf/settings.yaml",
    "conf/a.toml",
  ];
  for (const f of files) {
    mkdirSync(join(root, f, ".."), { recursive: true });
    writeFileSync(join(root, f), "x = 1\n");
  }
  symlinkSync("train.py", join(root, "link.py"));
  symlinkSync("pkg", join(root, "pkglink"));
  execFileSync("mkfifo", [join(root, "pipe.sh")]);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("listSources", () => {
  it("lists what fast-glob's **/*.{ext} with the old options listed", async () => {
    const theirs = await fg(FAST_GLOB_PATTERNS, {
      cwd: root,
      ignore: FAST_GLOB_IGNORE,
      deep: 3,
      onlyFiles: true,
      followSymbolicLinks: false,
      suppressErrors: true,
      dot: false,
    });
    const ours = await listSources(root);
    expect([...ours].sort()).toEqual([...theirs].sort());
    expect(ours).toContain("pkg/sub/deep.py");
    expect(ours).not.toContain("pkg/sub/deeper/deepest.py");
  });

  it("copies the script first, then the nearest files, into sourcecode/", async () => {
    const run = mkdtempSync(join(tmpdir(), "g-sourcecode-run-"));
    try {
      const copied = await copySourceCode(join(root, "pkg", "mod.py"), run);
      expect(copied).toEqual(["mod.py", "sub/deep.py", "sub/deeper/deepest.py"]);
      expect(readdirSync(join(run, "sourcecode", "sub")).sort()).toEqual(["deep.py", "deeper"]);
    } finally {
      rmSync(run, { recursive: true, force: true });
    }
  });

  it("copies nothing from the store when G_HOME is a folder beside the script", async () => {
    const project = mkdtempSync(join(tmpdir(), "g-sourcecode-home-"));
    try {
      writeFileSync(join(project, "train.py"), "x = 1\n");
      mkdirSync(join(project, "store", "cache"), { recursive: true });
      writeFileSync(join(project, "store", "runs-order.txt"), "");
      writeFileSync(join(project, "store", "cache", "index.json"), "{}");
      mkdirSync(join(project, "storey"));
      writeFileSync(join(project, "storey", "kept.py"), "");
      const run = join(project, "store", "runs", "0123");
      mkdirSync(run, { recursive: true });
      const copied = await copySourceCode(join(project, "train.py"), run, join(project, "store"));
      expect(copied.sort()).toEqual(["storey/kept.py", "train.py"]);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
