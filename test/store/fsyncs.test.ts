// A run's fsyncs stay within their budget (issue 18: at most 3 per `g run`):
// counted in process by fs-atomic's counter for the runner's own path, and
// with strace -f on the real bin/g (g and everything it starts) when strace
// can trace here. The crash guarantees these fsyncs keep are tested in
// store.test.ts (SIGKILL mid-write) and files.test.ts (whole files).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStartedRun, startRun } from "../../src/runner/execute.js";
import { countSyncs, writeFileAtomic } from "../../src/store/fs-atomic.js";
import { RunStore } from "../../src/store/store.js";
import { g } from "../helpers/g.js";
import { BIN, cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

/** What issue 18 allows one `g run` of a trivial script (it was 12). */
const FSYNCS_PER_RUN = 3;

describe("fsyncs counted in process", () => {
  it("a run, created started, run and ended, makes 3 fsyncs", async () => {
    const store = new RunStore(tempDir());
    const argv = ["sh", "-c", 'echo "loss: 0.5"'];
    const before = countSyncs();
    const run = createStartedRun(store, { op: "trivial" }, argv);
    const proc = await startRun({ store, run, argv, env: process.env, cwd: store.home, sink: null, createdStarted: true });
    const done = await proc.done;
    expect(countSyncs() - before).toBe(FSYNCS_PER_RUN);
    expect(done.status).toBe("completed");
    const record = store.readRun(run.id).record;
    expect(record.started).not.toBeNull();
    expect(record.exit_status).toBe(0);
    expect(store.readScalars(run.id).map((r) => r.value)).toEqual([0.5]);
  });

  it("a run that settles later (an agent's trial): its record says stopped when done resolves, the rest follows, 3 fsyncs in all", async () => {
    const store = new RunStore(tempDir());
    const argv = ["sh", "-c", 'echo "loss: 0.25"'];
    const before = countSyncs();
    const run = createStartedRun(store, { op: "trial" }, argv);
    const proc = await startRun({
      store,
      run,
      argv,
      env: process.env,
      cwd: store.home,
      sink: null,
      createdStarted: true,
      settleLater: true,
    });
    const done = await proc.done;
    // What the agent goes on with at once: the record, whole and stopped, and the summaries.
    const recorded = JSON.parse(readFileSync(join(run.dir, "run.json"), "utf8"));
    expect(recorded.stopped).not.toBeNull();
    expect(recorded.exit_status).toBe(0);
    expect(done.summaries.loss?.last).toBe(0.25);
    // Whatever of the rest is done by now (a LOCK still there counts for nothing once stopped):
    expect(store.readRun(run.id).status).toBe("completed");
    await done.settled;
    expect(countSyncs() - before).toBe(FSYNCS_PER_RUN);
    expect(existsSync(join(run.dir, "LOCK"))).toBe(false);
    expect(readFileSync(join(store.home, "index.jsonl"), "utf8")).toContain(run.id);
  });

  it("a stopped run whose LOCK a killed agent left (its pid alive or not) reads as its record says", async () => {
    const store = new RunStore(tempDir());
    const argv = ["sh", "-c", "exit 3"];
    const run = createStartedRun(store, { op: "trial" }, argv);
    const done = await (await startRun({ store, run, argv, env: process.env, cwd: store.home, sink: null, createdStarted: true })).done;
    expect(done.status).toBe("error");
    // The agent died between the record and the LOCK's removal: a LOCK of a live pid (this one) and of a dead one.
    for (const pid of [process.pid, 2 ** 22 + 1]) {
      writeFileSync(join(run.dir, "LOCK"), JSON.stringify({ pid, host: hostname(), beat: Date.now() }));
      const read = store.readRun(run.id);
      expect(read.status).toBe("error");
      expect(read.record.exit_status).toBe(3);
    }
    await store.updateRun(run.id, (r) => void (r.exit_status = 0));
    expect(store.readRun(run.id).status).toBe("completed");
  });

  it("a run started after it was created (a rerun) makes one more", async () => {
    const store = new RunStore(tempDir());
    const argv = ["sh", "-c", "true"];
    const before = countSyncs();
    const run = store.createRun({ op: "pending" });
    await (
      await startRun({ store, run, argv, env: process.env, cwd: store.home, sink: null })
    ).done;
    expect(countSyncs() - before).toBe(FSYNCS_PER_RUN + 1);
  });

  it("counts each level of writeFileAtomic: durable 2, whole 1, atomic 0", () => {
    const dir = tempDir();
    const path = join(dir, "f.json");
    const count = (write: () => void) => {
      const before = countSyncs();
      write();
      return countSyncs() - before;
    };
    expect(count(() => writeFileAtomic(path, "a"))).toBe(2);
    expect(count(() => writeFileAtomic(path, "b", "whole"))).toBe(1);
    expect(count(() => writeFileAtomic(path, "c", "atomic"))).toBe(0);
    expect(readFileSync(path, "utf8")).toBe("c");
  });
});

/** strace -f -c of `bin/g ARGS`: the number of fsync-like calls, or null when strace cannot trace here. */
function straceSyncs(args: string[], home: string, cwd: string): number | null {
  const out = join(cwd, `strace-${Date.now()}.txt`);
  const res = spawnSync(
    "strace",
    ["-f", "-c", "-o", out, "-e", "trace=fsync,fdatasync,sync_file_range,syncfs", process.execPath, BIN, ...args],
    { cwd, env: { ...process.env, G_HOME: home, NO_COLOR: "1" }, encoding: "utf8", timeout: 120_000 },
  );
  if (res.error || /ptrace|Operation not permitted/.test(res.stderr ?? "")) return null;
  expect(res.status, res.stderr).toBe(0);
  // strace -c's last line: "100.00 SECONDS USECS/CALL CALLS [ERRORS] total"; none when nothing was called.
  const total = readFileSync(out, "utf8")
    .split("\n")
    .find((line) => line.trim().endsWith("total"));
  return total ? Number(total.trim().split(/\s+/)[3]) : 0;
}

const straceWorks = spawnSync("strace", ["-f", "-o", "/dev/null", "true"]).status === 0;

describe.skipIf(!straceWorks)("fsyncs of bin/g under strace", () => {
  it("g run of a trivial script, first run (script inspected) and second: at most 3 each", () => {
    const home = tempDir();
    const cwd = tempDir();
    writeFileSync(join(cwd, "trivial.py"), 'x = 1\nprint("loss: %s" % x)\n');
    expect(straceSyncs(["run", "-y", "-q", "trivial.py"], home, cwd)).toBeLessThanOrEqual(FSYNCS_PER_RUN);
    expect(straceSyncs(["run", "-y", "-q", "trivial.py", "x=2"], home, cwd)).toBeLessThanOrEqual(FSYNCS_PER_RUN);
    expect(g(["runs", "list", "--json"], { home }).stdout).toContain('"completed"');
  });

  it("g agent running one sweep trial (claim included): at most 3", () => {
    const home = tempDir();
    const cwd = tempDir();
    writeFileSync(join(cwd, "nap.sh"), 'echo "loss: 1"\n');
    writeFileSync(
      join(cwd, "s.yaml"),
      'program: nap.sh\nmethod: random\nrun_cap: 2\ncommand: [sh, "${program}"]\nparameters:\n  a: {min: 0.0, max: 1.0}\n',
    );
    const id = g(["sweep", "s.yaml"], { home, cwd }).stdout.trim();
    expect(straceSyncs(["agent", id, "--count", "1"], home, cwd)).toBeLessThanOrEqual(FSYNCS_PER_RUN);
    const runs = JSON.parse(g(["runs", "list", "--json"], { home }).stdout) as { status: string }[];
    expect(runs.map((r) => r.status)).toEqual(["completed"]);
  });
});
