// A full disk (issue 12, item 9) on a real, small tmpfs: files g writes stay
// whole, a run that cannot be created leaves no folder under runs/, and the
// one error line names the file and says to free space. Needs permission to
// mount (root in a container); skipped with the reason printed otherwise.
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/store.js";
import { g } from "../helpers/g.js";
import { ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

const SDK_PYTHON_DIR = join(ROOT, "src", "sdk", "python");

/** Small enough to fill in a moment, big enough for g's cache and a run's first files. */
const TMPFS_SIZE = "1m";
const DISK_FULL_LINE = /^g: no space left on device writing (\S+); free space and rerun$/m;

const mountPoint = tempDir("g-tmpfs-");
const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_SIZE}`, "tmpfs", mountPoint], { encoding: "utf8" });
const cannotMount = mounted.error
  ? mounted.error.message
  : mounted.status !== 0
    ? mounted.stderr.trim() || `mount exited ${mounted.status}`
    : null;
if (cannotMount) console.log(`skipping the disk-full tests: cannot mount a tmpfs (${cannotMount})`);

afterAll(() => {
  if (!cannotMount) spawnSync("umount", [mountPoint]);
  cleanTempDirs();
});

describe.skipIf(cannotMount !== null)("a full disk", () => {
  let scripts: string;
  let n = 0;
  let home: string;

  beforeAll(() => {
    scripts = tempDir();
    // Lines of output and scalars until g stops it: far more than the tmpfs holds.
    writeFileSync(
      join(scripts, "fill.js"),
      'for (let i = 0; i < 5000; i++) console.log(`step: ${i}\\nloss: ${1 / (i + 1)}\\n${"x".repeat(4000)}`);\n',
    );
  });
  afterEach(() => {
    // Each test gets its own store on the tmpfs; empty it for the next.
    spawnSync("rm", ["-rf", home]);
  });

  function freshHome(): string {
    home = join(mountPoint, `home-${n++}`);
    mkdirSync(home);
    return home;
  }

  it("stops a run that fills it: whole lines in output.log and scalars.jsonl, one line naming the file", () => {
    freshHome();
    const res = g(["run", "-y", "-q", join(scripts, "fill.js")], { home, cwd: scripts });
    expect(res.code, res.stderr).toBe(1);
    const gLines = res.stderr.split("\n").filter((l) => l.startsWith("g: "));
    expect(gLines, res.stderr).toHaveLength(1);
    const m = DISK_FULL_LINE.exec(res.stderr);
    expect(m, res.stderr).not.toBeNull();
    expect(m![1]).toMatch(/\/runs\/[0-9a-f]{32}\/(output\.log|scalars\.jsonl|run\.json|LOCK)$/);
    expect(res.stderr).not.toMatch(/exit status|internal error/);

    const [id] = readdirSync(join(home, "runs")).filter((name) => /^[0-9a-f]{32}$/.test(name));
    const dir = join(home, "runs", id!);
    const output = readFileSync(join(dir, "output.log"), "utf8");
    expect(output.length).toBeGreaterThan(0);
    expect(output.endsWith("\n")).toBe(true);
    expect(
      output
        .split("\n")
        .slice(0, -1)
        .every((l) => l === "" || /^(step: \d+|loss: [\d.e-]+|x{4000})$/.test(l)),
    ).toBe(true);
    const scalars = readFileSync(join(dir, "scalars.jsonl"), "utf8");
    expect(scalars.endsWith("\n")).toBe(true);
    for (const line of scalars.split("\n").slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();

    // The store still reads: the run is there, as error, and nothing is damaged.
    const list = new RunStore(home).listRuns();
    expect(list.warnings).toEqual([]);
    expect(list.runs.map((r) => [r.id, r.status])).toEqual([[id, "error"]]);
  });

  it("keeps the Python SDK's scalars.jsonl whole when a script's logging fills it", () => {
    freshHome();
    const script = join(scripts, "sdk_fill.py");
    writeFileSync(
      script,
      [
        "import g_runs as g",
        "try:",
        "    for i in range(200000):",
        "        g.log(step=i, **{f'metric_with_a_long_name_{k}': i * 0.5 for k in range(20)})",
        "except OSError as e:",
        "    print('stopped by', e.errno, flush=True)",
        "",
      ].join("\n"),
    );
    const res = spawnSync("python3", [script], {
      cwd: scripts,
      env: { ...process.env, G_HOME: home, PYTHONPATH: SDK_PYTHON_DIR, PYTHONDONTWRITEBYTECODE: "1" },
      encoding: "utf8",
    });
    expect(res.stdout, res.stderr).toContain("stopped by 28");
    const [id] = readdirSync(join(home, "runs")).filter((name) => /^[0-9a-f]{32}$/.test(name));
    const scalars = readFileSync(join(home, "runs", id!, "scalars.jsonl"), "utf8");
    expect(scalars.length).toBeGreaterThan(0);
    expect(scalars.endsWith("\n")).toBe(true);
    for (const line of scalars.split("\n").slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("creates no run folder when run.json cannot be written, and says which folder", () => {
    freshHome();
    // g's own files first (inspection cache), then nothing is left.
    expect(g(["run", "--help-flags", join(scripts, "fill.js")], { home, cwd: scripts }).code).toBe(0);
    fillDisk(join(home, "filler"));
    const res = g(["run", "-y", join(scripts, "fill.js")], { home, cwd: scripts });
    expect(res.code, res.stderr).toBe(1);
    const m = DISK_FULL_LINE.exec(res.stderr);
    expect(m, res.stderr).not.toBeNull();
    expect(m![1]).toContain(join(home, "runs"));
    expect(res.stderr.split("\n").filter((l) => l.startsWith("g: "))).toHaveLength(1);
    // Neither a half-made run nor its building folder is left behind.
    let names: string[] = [];
    try {
      names = readdirSync(join(home, "runs"));
    } catch {
      /* not even runs/ could be made */
    }
    expect(names).toEqual([]);
    const listed = g(["runs"], { home });
    expect(listed.code).toBe(0);
    expect(listed.stderr).not.toContain("damaged");
  });
});

/** Writes `path` until the file system is full. */
function fillDisk(path: string): void {
  const fd = openSync(path, "w");
  const block = Buffer.alloc(64 * 1024, 0);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
  // Small writes may still fit in the last partial page; take those too.
  const tiny = openSync(`${path}-tail`, "w");
  try {
    for (;;) writeSync(tiny, Buffer.alloc(512, 0));
  } catch {
    /* full */
  } finally {
    closeSync(tiny);
  }
}
