import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/store.js";
import { collect, g, gAsync, listRunsJson } from "../helpers/g.js";
import { EXAMPLES, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

const SCRIPTS = join(ROOT, "test", "e2e", "scripts");

const runs = listRunsJson;

function scalars(dir: string): Array<{ key: string; value: number; step: number | null }> {
  const path = join(dir, "scalars.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Whether `pid` is a live process (a zombie is not). */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Ends a script's process group, if any of it is left (so a test leaves nothing behind). */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

function waitFor(child: ReturnType<typeof gAsync>, text: string): Promise<void> {
  let seen = "";
  return new Promise((resolve) => {
    const on = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) resolve();
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
  });
}

afterEach(cleanTempDirs);

describe("g run", () => {
  it("runs a globals-style Python script with its globals replaced and records the run", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(EXAMPLES, "train.py"), "x=-0.3", "noise=0"], { home, cwd: EXAMPLES });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/loss: -0\.90/);
    const [run] = runs(home);
    expect(run!.status).toBe("completed");
    expect(run!.flags).toEqual({ x: -0.3, noise: 0 });
    const loss = scalars(run!.dir).find((s) => s.key === "loss")!;
    expect(loss.value).toBeCloseTo(Math.sin(-1.5) * (1 - Math.tanh(0.09)), 5);
    expect(readFileSync(join(run!.dir, "output.log"), "utf8")).toContain("loss: -0.90");
    expect(existsSync(join(run!.dir, "sourcecode", "train.py"))).toBe(true);
    expect(existsSync(join(run!.dir, "LOCK"))).toBe(false);
  });

  it("keeps a float global a float, given a whole number or left at its default (G_FLAGS' JSON has 1 for 1.0)", () => {
    const home = tempDir();
    const dir = tempDir();
    const script = join(dir, "types.py");
    writeFileSync(script, "x = 1.0\ny = -2.0\nn = 3\nb = False\nprint(repr(x), repr(y), repr(n), repr(b))\n");
    const plain = g(["run", "-y", script], { home });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain("1.0 -2.0 3 False");
    const given = g(["run", "-y", script, "x=2", "n=4", "b=true"], { home });
    expect(given.code, given.stderr).toBe(0);
    expect(given.stdout).toContain("2.0 -2.0 4 True");
  });

  it("records the script's defaults as flags when none are given", () => {
    const home = tempDir();
    expect(g(["run", "-y", join(EXAMPLES, "train.py")], { home }).code).toBe(0);
    expect(runs(home)[0]!.flags).toEqual({ x: 0.1, noise: 0.1 });
  });

  it("rejects an unknown flag of a globals-style script naming the known ones", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(EXAMPLES, "train.py"), "y=1"], { home });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(/no flag "y".*x, noise.*--force-flags/);
    expect(runs(home)).toHaveLength(0);
  });

  it("passes --name value to an argparse script, a bare --flag as true", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(EXAMPLES, "main.py"), "--alpha", "1e-3", "--do_something", "--model", "'bert'"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain("model: bert do_something: True");
    const [run] = runs(home);
    expect(run!.flags).toMatchObject({ alpha: 0.001, do_something: true, model: "bert", beta: 1 });
  });

  it("lists a script's flags with --help-flags", () => {
    const res = g(["run", join(EXAMPLES, "train.py"), "--help-flags"], { home: tempDir() });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/x\s+0\.1/);
    expect(res.stdout).toMatch(/noise\s+0\.1/);
  });

  it("runs a Node script with --name value and the G_ environment, recording steps", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(SCRIPTS, "count.js"), "--steps", "4"], { home });
    expect(res.code, res.stderr).toBe(0);
    const [run] = runs(home);
    expect(res.stdout).toContain(`run id: ${run!.id}`);
    expect(res.stdout).toContain('flags: {"steps":4}');
    expect(
      scalars(run!.dir)
        .filter((s) => s.key === "loss")
        .map((s) => s.step),
    ).toEqual([0, 1, 2, 3]);
  });

  it("exits 1 and records error when the script fails", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(SCRIPTS, "fail.py")], { home });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("failing on purpose");
    const [run] = runs(home);
    expect(run!.status).toBe("error");
    expect(scalars(run!.dir)[0]!.value).toBe(2.5);
  });

  it("exits 2 with one line for a missing script or a bad option", () => {
    const home = tempDir();
    const missing = g(["run", "-y", "nope.py"], { home });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe("g: no such script: nope.py");
    const bad = g(["run", "--max-trials", "many", join(EXAMPLES, "train.py")], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-trials takes a whole number/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it("forwards Ctrl-C to the script, records terminated and exits 130", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "sleepy.py")], { home });
    const done = collect(child);
    await waitFor(child, "started");
    child.kill("SIGINT");
    const res = await done;
    expect(res.code).toBe(130);
    const [run] = runs(home);
    expect(run!.status).toBe("terminated");
    expect(readFileSync(join(run!.dir, "output.log"), "utf8")).toContain("got signal 2");
  });

  it("shows running while the script of a SIGKILLed g lives on, g stop ends the script and records it terminated", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "plain-sleep.py")], { home });
    const done = collect(child);
    await waitFor(child, "started");
    const [running] = runs(home);
    const lock = JSON.parse(readFileSync(join(running!.dir, "LOCK"), "utf8")) as { child: number; child_start?: string };
    expect(lock.child_start).toMatch(/^[0-9a-f-]+:\d+$/);
    child.kill("SIGKILL");
    await done;
    try {
      // The script lives on in its own process group: the run is still going, in every view of it.
      expect(isAlive(lock.child)).toBe(true);
      expect(runs(home)[0]!.status).toBe("running");
      expect(g(["runs", "info", "1"], { home }).stdout).toMatch(/^status: +running$/m);
      const compare = JSON.parse(g(["compare", "--json"], { home }).stdout) as Array<Record<string, unknown>>;
      expect(compare[0]).toMatchObject({ status: "running" });

      const stop = g(["stop", "1"], { home });
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.stderr).toContain(
        `run ${running!.id.slice(0, 8)}: its g process was gone; stopped its script (pid ${lock.child}), recorded terminated`,
      );
      expect(isAlive(lock.child)).toBe(false);
    } finally {
      killGroup(lock.child);
    }
    // g stop recorded its end as its g would have: terminated, no exit status (nobody saw it), a whole record, no LOCK.
    const [after] = runs(home);
    expect(after!.status).toBe("terminated");
    const record = JSON.parse(readFileSync(join(after!.dir, "run.json"), "utf8")) as Record<string, unknown>;
    expect(record.stopped).toEqual(expect.any(String));
    expect(record).toMatchObject({ terminated: true, exit_status: null });
    expect(readdirSync(after!.dir).filter((f) => f.includes(".tmp") || f.startsWith(".") || f === "LOCK")).toEqual([]);
    const again = g(["stop", "1"], { home });
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toBe(`g: run ${after!.id.slice(0, 8)} is not running (terminated)`);
  });

  it("never signals a process that took the pid of a SIGKILLed g's script: the run reads error", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "plain-sleep.py")], { home });
    const done = collect(child);
    await waitFor(child, "started");
    const [running] = runs(home);
    const lockPath = join(running!.dir, "LOCK");
    const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { child: number; child_start: string };
    child.kill("SIGKILL");
    await done;
    killGroup(lock.child);
    // A process of the test's own stands for one that got the script's pid since: same pid, another start.
    const stranger = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      writeFileSync(lockPath, JSON.stringify({ ...lock, child: stranger.pid }));
      expect(runs(home)[0]!.status).toBe("error");
      const stop = g(["stop", "1"], { home });
      expect(stop.code).toBe(2);
      expect(stop.stderr).toMatch(/is not running \(error\)/);
      expect(isAlive(stranger.pid!)).toBe(true);
    } finally {
      stranger.kill("SIGKILL");
    }
  });

  it("never takes a process that got a SIGKILLed batch g's pid for that g: the batch reads error, g stop leaves the process alone", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "slow_trial.py"), "x=[1,2]", "seconds=30"], { home });
    const done = collect(child);
    await waitFor(child, "start:");
    const batch = runs(home).find((r) => r.op === "grid")!;
    const trial = runs(home).find((r) => r.batch === batch.id)!;
    const lockPath = join(batch.dir, "LOCK");
    const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { pid: number; pid_start?: string };
    const script = (JSON.parse(readFileSync(join(trial.dir, "LOCK"), "utf8")) as { child: number }).child;
    child.kill("SIGKILL");
    await done;
    killGroup(script);
    // A process of the test's own stands for one that got the batch g's pid since: same pid, another start.
    const stranger = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      writeFileSync(lockPath, JSON.stringify({ ...lock, pid: stranger.pid }));
      expect(runs(home).find((r) => r.id === batch.id)!.status).toBe("error");
      const stop = g(["stop", batch.id], { home });
      expect(stop.code).toBe(2);
      expect(stop.stderr.trim()).toBe(`g: run ${batch.id.slice(0, 8)} is not running (error)`);
      expect(isAlive(stranger.pid!)).toBe(true);
    } finally {
      stranger.kill("SIGKILL");
    }
  });

  it("records terminated when the script dies of a SIGTERM that reaches g just after it (a scheduler signals the whole job)", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "plain-sleep.py")], { home });
    const done = collect(child);
    await waitFor(child, "started");
    const [running] = runs(home);
    const lock = JSON.parse(readFileSync(join(running!.dir, "LOCK"), "utf8")) as { child: number };
    // The script first, g a moment later: the order slurmstepd's scancel may take.
    process.kill(-lock.child, "SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGTERM");
    const res = await done;
    expect(res.code).toBe(130);
    expect(runs(home)[0]!.status).toBe("terminated");
  });

  it("records error when the script dies of a SIGTERM that g never gets", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "plain-sleep.py")], { home });
    const done = collect(child);
    await waitFor(child, "started");
    const [running] = runs(home);
    const lock = JSON.parse(readFileSync(join(running!.dir, "LOCK"), "utf8")) as { child: number };
    process.kill(-lock.child, "SIGTERM");
    const res = await done;
    expect(res.code).toBe(1);
    const [run] = runs(home);
    expect(run!.status).toBe("error");
  });

  it("stops a running run with g stop", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "sleepy.py")], { home });
    const done = collect(child);
    await waitFor(child, "started");
    const stop = g(["stop", "1"], { home });
    expect(stop.code, stop.stderr).toBe(0);
    expect((await done).code).toBe(130);
    expect(runs(home)[0]!.status).toBe("terminated");
  });

  it("g stop exits 1 when the scheduler will not cancel a batch's job (a failure, not bad input)", () => {
    const home = tempDir();
    // Slurm's tools as a cluster that refuses: scancel fails, scontrol cannot be asked.
    const bin = tempDir();
    writeFileSync(
      join(bin, "scancel"),
      "#!/bin/sh\necho 'scancel: error: Kill job error on job id 4242: Access/permission denied' >&2\nexit 1\n",
      {
        mode: 0o755,
      },
    );
    writeFileSync(join(bin, "scontrol"), "#!/bin/sh\necho 'scontrol: error: cannot reach slurmctld' >&2\nexit 1\n", { mode: 0o755 });
    const store = new RunStore(home);
    const batch = store.createRun({ op: "gp", started: new Date().toISOString() });
    store.writeLock(batch.id, { pid: 0, host: "login1", placement: { backend: "slurm", job: "4242" } });
    const env = { PATH: `${bin}:${process.env.PATH ?? ""}` };
    expect(g(["runs", "list", "--json"], { home, env }).stdout).toContain('"status": "running"');
    const stop = g(["stop", batch.id.slice(0, 8)], { home, env });
    expect(stop.code, stop.stderr).toBe(1);
    expect(stop.stderr.trim().split("\n").at(-1)).toMatch(
      new RegExp(`^g: run ${batch.id.slice(0, 8)}: could not cancel slurm job 4242: .*Access/permission denied`),
    );
  });

  it("g stop stops the running runs it is given, names each it cannot stop in one line, and exits 2", async () => {
    const home = tempDir();
    expect(g(["run", "-y", join(EXAMPLES, "train.py"), "noise=0"], { home, cwd: EXAMPLES }).code).toBe(0);
    const [done] = runs(home);
    // A run recorded on another host, its lease fresh: running there, out of this host's reach.
    const store = new RunStore(home);
    const far = store.createRun({ op: "far.py", started: new Date().toISOString() });
    store.writeLock(far.id, { pid: 4242, host: "far-host", beat: Date.now() });
    const child = gAsync(["run", "-y", join(SCRIPTS, "sleepy.py")], { home });
    const ended = collect(child);
    await waitFor(child, "started");
    const live = runs(home).find((r) => r.op.endsWith("sleepy.py"))!;

    const stop = g(["stop", done!.id.slice(0, 8), live.id.slice(0, 8), far.id.slice(0, 8)], { home });
    expect(stop.code).toBe(2);
    const lines = stop.stderr.trim().split("\n");
    expect(lines).toEqual([
      "Asked 1 run(s) to stop",
      `g: run ${done!.id.slice(0, 8)} is not running (completed)`,
      `g: run ${far.id.slice(0, 8)} runs on host far-host; stop it there`,
    ]);
    // The one that could be stopped was, all the same.
    expect((await ended).code).toBe(130);
    expect(runs(home).find((r) => r.id === live.id)!.status).toBe("terminated");

    const none = g(["stop", done!.id.slice(0, 8)], { home });
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(`g: run ${done!.id.slice(0, 8)} is not running (completed)\n`);
    // Without RUNs, g stop stops what runs here: a run on another host is named and left, not an error.
    const all = g(["stop", "-y"], { home });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr.trim()).toBe(`run ${far.id.slice(0, 8)} runs on host far-host; stop it there`);
    store.removeLock(far.id);
    const nothing = g(["stop", "-y"], { home });
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(nothing.stderr.trim()).toBe("no running runs to stop");
  });

  it("restarts a failed run with this attempt's scalars alone, the earlier output kept above a marker", () => {
    const home = tempDir();
    const work = tempDir();
    writeFileSync(
      join(work, "flaky.py"),
      "import os, sys\nprint('loss: 5')\nprint('loss: 4')\nsys.exit(1 if os.environ.get('FLAKY') else 0)\n",
    );
    expect(g(["run", "-y", join(work, "flaky.py")], { home, cwd: work, env: { FLAKY: "1" } }).code).toBe(1);
    const again = g(["run", "-y", "--restart", "1"], { home, cwd: work, env: { FLAKY: "" } });
    expect(again.code, again.stderr).toBe(0);
    const [run] = runs(home);
    expect(run!.status).toBe("completed");
    expect(scalars(run!.dir).map((r) => r.value)).toEqual([5, 4]);
    const log = readFileSync(join(run!.dir, "output.log"), "utf8");
    expect(log).toMatch(/^loss: 5\nloss: 4\n--- g: run restarted \S+; the earlier attempt's scalars were dropped ---\nloss: 5\nloss: 4\n$/);
    const table = g(["compare", "-T", "-c", "count loss"], { home });
    expect(table.stdout).toMatch(/count loss[\s\S]*\b2\b/);
  });

  it("stops one trial of a batch with g stop, and the batch goes on with the rest", async () => {
    const home = tempDir();
    const child = gAsync(["run", "-y", join(SCRIPTS, "sleepy.py"), "seconds=[30,0.1,0.2]"], { home });
    const done = collect(child);
    await waitFor(child, "started");
    const long = runs(home).find((r) => r.flags.seconds === 30 && r.status === "running")!;
    const stop = g(["stop", long.id.slice(0, 8)], { home });
    expect(stop.code, stop.stderr).toBe(0);
    const res = await done;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/2 completed, 0 failed, 1 stopped \(g stop\)/);
    const after = runs(home);
    expect(after.find((r) => r.id === long.id)!.status).toBe("terminated");
    expect(after.filter((r) => r.flags.seconds !== 30).map((r) => r.status)).toEqual(["completed", "completed", "completed"]);
    expect(existsSync(join(long.dir, "STOP"))).toBe(false);
  });
});

describe("g runs", () => {
  function fixture(): string {
    const home = tempDir();
    cpSync(join(ROOT, "runs-fixtures", "small"), home, { recursive: true });
    return home;
  }

  it("refuses a G_HOME that is a file, in one line, before touching anything", () => {
    const file = join(tempDir(), "not-a-folder");
    writeFileSync(file, "x");
    for (const args of [["runs"], ["run", "-y", join(EXAMPLES, "train.py")], ["compare", "-T"]]) {
      const res = g(args, { home: file });
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr).toBe(
        `g: G_HOME is ${file}, which is a file, not a folder; point G_HOME at a folder (g makes it when it is missing)\n`,
      );
    }
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  it("says did-you-mean for a misspelt runs subcommand", () => {
    const home = tempDir();
    const res = g(["runs", "lsit"], { home });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe("g: unknown command 'runs lsit'; did you mean runs list?\n");
    expect(g(["runs", "infoo", "1"], { home }).stderr).toMatch(/did you mean runs info\?/);
    expect(g(["runs", "zzzzz"], { home }).stderr).toMatch(/^g: bad run "zzzzz"/);
  });

  it("lists runs latest first, warns about damaged ones without failing", () => {
    const home = fixture();
    const res = g(["runs"], { home });
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/#\s+id\s+op\s+started\s+time\s+status\s+label/);
    expect(lines).toHaveLength(11);
    expect(lines[4]).toMatch(/07070707\s+train\.py.*completed\s+baseline/);
    expect(res.stderr.match(/warning: skipping damaged run/g)).toHaveLength(3);
    expect(lines[5]).toMatch(/01010101 #5/);
  });

  it("selects by index, range, id prefix and filters", () => {
    const home = fixture();
    expect(runs(home, ["1:3"]).map((r) => r.id.slice(0, 2))).toEqual(["0a", "09", "08"]);
    expect(runs(home, [":2"]).map((r) => r.id.slice(0, 2))).toEqual(["0a", "09"]);
    expect(runs(home, ["9:"]).map((r) => r.id.slice(0, 2))).toEqual(["02", "01"]);
    expect(runs(home, ["0707"]).map((r) => r.label)).toEqual(["baseline"]);
    expect(runs(home, ["--status", "error"]).map((r) => r.id.slice(0, 2))).toEqual(["08"]);
    expect(runs(home, ["--op", "grid"])).toHaveLength(1);
    expect(runs(home, ["--tag", "demo"])).toHaveLength(1);
    expect(runs(home, ["--label", "base"])).toHaveLength(1);
  });

  it("exits 3 for a run that does not exist, with one line", () => {
    const home = fixture();
    const missing = g(["runs", "info", "abcdef"], { home });
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim().split("\n").pop()).toBe('g: no run matches "abcdef"; see g runs');
    expect(g(["runs", "info", "40"], { home }).code).toBe(3);
  });

  it("shows a run's flags, scalars and files", () => {
    const home = fixture();
    const res = g(["runs", "info", "0707"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/label:\s+baseline/);
    expect(res.stdout).toMatch(/loss: 0\.2 \(last; min 0\.2, max 1, 5 values, step 4\)/);
    expect(res.stdout).toContain("output.log");
    const json = JSON.parse(g(["runs", "info", "0707", "--json"], { home }).stdout);
    expect(json.scalars.acc.count).toBe(5);
  });

  it("labels, tags, deletes to the trash, restores and purges", () => {
    const home = fixture();
    expect(g(["runs", "label", "0707", "--set", "best so far"], { home }).code).toBe(0);
    expect(runs(home, ["0707"])[0]!.label).toBe("best so far");
    expect(g(["runs", "tag", "0707", "--add", "keep", "--remove", "demo"], { home }).code).toBe(0);
    expect(runs(home, ["0707"])[0]!.tags).toEqual(["keep"]);

    const noYes = g(["runs", "delete", "0808"], { home });
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain("-y");
    expect(g(["runs", "delete", "-y", "0808", "0909"], { home }).code).toBe(0);
    expect(runs(home)).toHaveLength(8);
    expect(runs(home, ["--trash"])).toHaveLength(2);
    expect(g(["runs", "restore", "-y", "0808"], { home }).code).toBe(0);
    expect(runs(home)).toHaveLength(9);
    const miss = g(["runs", "restore", "-y", "7"], { home });
    expect(miss.code).toBe(3);
    expect(miss.stderr).toBe("g: no run at index 7 (there is 1 run); see g runs list --trash\n");
    expect(g(["runs", "purge", "-y"], { home }).code).toBe(0);
    expect(runs(home, ["--trash"])).toHaveLength(0);
    expect(existsSync(join(home, "trash", "runs", "09".repeat(16)))).toBe(false);
    const empty = g(["runs", "purge", "-y", "7"], { home });
    expect(empty.code).toBe(3);
    expect(empty.stderr).toBe("g: the trash is empty: no run 7 to purge\n");
    expect(g(["runs", "purge", "-y"], { home }).stderr).toBe("the trash is empty\n");
  });

  it("refuses to delete a running run", () => {
    const home = fixture();
    const res = g(["runs", "delete", "-y", "1"], { home });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/is running; stop it first/);
  });
});

/** A script written into a fresh temporary folder; its path. */
function writeScript(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

const outputOf = (run: { dir: string }) => readFileSync(join(run.dir, "output.log"), "utf8");

describe("g run --restart with flags", () => {
  const LR = 'lr = 0.1\nprint("loss: %s" % lr)\n';

  it("refuses flags given with a run to rerun, saying how to run with them, and runs nothing", () => {
    const home = tempDir();
    const script = writeScript("rr.py", LR);
    expect(g(["run", "-y", "-q", script, "lr=0.5"], { home }).code).toBe(0);
    const res = g(["run", "-y", "--restart", "1", "lr=0.9", "nosuch=3"], { home });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(/--restart takes no flags \(got lr=0\.9 nosuch=3\): it reruns [0-9a-f]{8} with its own flags/);
    expect(res.stderr).toContain(`g run ${script} lr=0.9 nosuch=3`);
    const [run] = runs(home);
    expect(run!.flags).toEqual({ lr: 0.5 });
    expect(outputOf(run!).match(/loss:/g)).toHaveLength(1);
  });

  it("refuses flags given with a batch to continue", () => {
    const home = tempDir();
    const script = writeScript("rr.py", LR);
    expect(g(["run", "-y", "-q", "-o", "random", "--max-trials", "1", script, "lr=[1:2]"], { home }).code).toBe(0);
    const batch = runs(home).find((r) => r.op === "random")!;
    const res = g(["run", "-y", "--restart", batch.id.slice(0, 8), "lr=[5:6]"], { home });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(
      /continues batch [0-9a-f]{8} with its own search space; to search other values, start a new batch: g run \S+rr\.py 'lr=\[5:6\]'/,
    );
    expect(runs(home)).toHaveLength(2);
  });
});

describe("booleans on an argparse script's command line", () => {
  it("passes True to an option that takes a value, the bare switch only to a store_true", () => {
    const home = tempDir();
    const script = writeScript(
      "s2b.py",
      [
        "import argparse",
        "p = argparse.ArgumentParser()",
        'p.add_argument("--pretrained", type=lambda v: v == "True", default=False)',
        'p.add_argument("--fast", action="store_true")',
        "a = p.parse_args()",
        'print("pretrained=%s fast=%s" % (a.pretrained, a.fast))',
        "",
      ].join("\n"),
    );
    const res = g(["run", "-y", script, "--pretrained", "True", "--fast"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain("pretrained=True fast=True");
    const off = g(["run", "-y", script, "pretrained=no", "fast=no"], { home });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain("pretrained=False fast=False");
    expect(runs(home).map((r) => r.flags)).toEqual([
      { pretrained: false, fast: false },
      { pretrained: true, fast: true },
    ]);
  });

  it("passes a boolean word to a string option as Python writes it", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(EXAMPLES, "main.py"), "--model", "yes"], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain("model: True do_something: False");
  });

  it("records a store_false switch as given or not, and passes it only when given", () => {
    const home = tempDir();
    const script = writeScript(
      "dash.py",
      [
        "import argparse",
        "p = argparse.ArgumentParser()",
        'p.add_argument("--no-aug", dest="aug", action="store_false")',
        'print("aug=%s" % p.parse_args().aug)',
        "",
      ].join("\n"),
    );
    expect(g(["run", "-y", "-q", script], { home }).code).toBe(0);
    expect(g(["run", "-y", "-q", script, "--no-aug"], { home }).code).toBe(0);
    const [withSwitch, without] = runs(home);
    expect(without!.flags).toEqual({ "no-aug": false });
    expect(outputOf(without!)).toContain("aug=True");
    expect(withSwitch!.flags).toEqual({ "no-aug": true });
    expect(outputOf(withSwitch!)).toContain("aug=False");
    expect(g(["run", script, "--help-flags"], { home }).stdout).toMatch(/no-aug\s+false\s+\(switch\)/);
  });
});

describe('a counted argparse option (action="count")', () => {
  const counted = () =>
    writeScript(
      "verbose.py",
      [
        "import argparse",
        "p = argparse.ArgumentParser()",
        'p.add_argument("-v", "--verbose", action="count", default=0)',
        'print("verbose=%d" % p.parse_args().verbose)',
        "",
      ].join("\n"),
    );

  it("gives the option as many times as the flag's whole number says, and records the number", () => {
    const home = tempDir();
    const script = counted();
    for (const flag of ["verbose=2", "--verbose", "verbose=0"]) {
      const res = g(["run", "-y", script, flag], { home });
      expect(res.code, res.stderr).toBe(0);
    }
    const [zero, bare, two] = runs(home);
    expect(two!.flags).toEqual({ verbose: 2 });
    expect(outputOf(two!)).toContain("verbose=2");
    expect(bare!.flags).toEqual({ verbose: 1 });
    expect(outputOf(bare!)).toContain("verbose=1");
    expect(zero!.flags).toEqual({ verbose: 0 });
    expect(outputOf(zero!)).toContain("verbose=0");
    const info = g(["runs", "info", two!.id], { home });
    expect(info.stdout).toMatch(/^command: +\S+ \S+verbose\.py --verbose --verbose$/m);
    expect(g(["run", script, "--help-flags"], { home }).stdout).toMatch(/verbose\s+0\s+\(counted: verbose=2 is --verbose --verbose\)/);
  });

  it("searches it over whole numbers, and refuses a value that is no count in one line, exit 2", () => {
    const home = tempDir();
    const script = counted();
    const grid = g(["run", "-y", "-q", script, "verbose=[0,1,3]"], { home });
    expect(grid.code, grid.stderr).toBe(0);
    const trials = runs(home).filter((r) => r.batch !== null);
    expect(trials.map((r) => [r.flags.verbose, outputOf(r).match(/verbose=(\d+)/)?.[1]]).sort()).toEqual([
      [0, "0"],
      [1, "1"],
      [3, "3"],
    ]);
    for (const flag of ["verbose=-1", "verbose=1.5", "verbose=loud", "verbose=[0.5:2.5]"]) {
      const res = g(["run", "-y", script, flag], { home });
      expect(res.code, flag).toBe(2);
      expect(res.stderr.trim().split("\n"), flag).toHaveLength(1);
      expect(res.stderr, flag).toMatch(
        /^g: flag verbose: --verbose is counted \(action="count"\), so its value is how many times it is given/,
      );
    }
    expect(runs(home)).toHaveLength(4);
  });
});

describe("what g run says about the script", () => {
  it("says a directory given as the script is one, and names scripts in it", () => {
    const home = tempDir();
    const res = g(["run", "-y", EXAMPLES], { home });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(/is a directory, not a script; give a \.py or \.js file or an executable, e\.g\. \S+\/\w+\.py/);
    const empty = join(tempDir(), "empty");
    mkdirSync(empty);
    expect(g(["run", "-y", empty], { home }).stderr.trim()).toBe(
      `g: ${empty} is a directory, not a script; give a .py or .js file or an executable`,
    );
  });

  it("shows a globals-style script's traceback from its own frames, not g's, and exits 1", () => {
    const home = tempDir();
    const script = writeScript("crash.py", "x = 1\ndef f():\n    return 1 / (x - 1)\nf()\n");
    const res = g(["run", "-y", script], { home });
    expect(res.code).toBe(1);
    const [run] = runs(home);
    expect(run!.status).toBe("error");
    for (const text of [res.stderr, outputOf(run!)]) {
      expect(text).toMatch(/Traceback \(most recent call last\):\n {2}File "[^"]*crash\.py", line 4, in <module>/);
      expect(text).toContain("ZeroDivisionError");
      expect(text).not.toContain("g_bootstrap");
    }
  });

  it("wraps the description of g run --help at whole lines", () => {
    const res = g(["run", "--help"], { home: tempDir() });
    expect(res.code).toBe(0);
    const description = res.stdout.split("\n\n")[1]!.split("\n");
    // Every line but a paragraph's last is filled: none ends after a word or two.
    for (const line of description.slice(0, -1)) expect(line.length, line).toBeGreaterThan(60);
    expect(description.every((l) => l.length <= 80)).toBe(true);
  });
});

describe("the command line", () => {
  it("answers a usage error in any command with exit 2 and a g: line, and help with exit 0", () => {
    const home = tempDir();
    for (const args of [["ask-tell"], ["runs", "list", "--status"], ["compare", "--top"], ["bogus"]]) {
      const res = g(args, { home });
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr, args.join(" ")).toMatch(/^g: /);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
    const help = g(["compare", "--help"], { home });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--min <col>");
  });
});

describe("when the store cannot be written", () => {
  it("stops the script, says so in one line, records error, and never crashes", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(SCRIPTS, "break_store.py")], { home });
    expect(res.code).toBe(1);
    // One line naming the file that could not be written, not the exit status of the stopped script.
    expect(res.stderr).toMatch(/g: cannot write \S*scalars\.jsonl \(EISDIR\)/);
    expect(res.stderr.match(/^g: /gm)).toHaveLength(1);
    expect(res.stderr).not.toContain("exit status");
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stdout).not.toContain("never reached");
    const [run] = runs(home);
    expect(run!.status).toBe("error");
    expect(existsSync(join(run!.dir, "LOCK"))).toBe(false);
  });

  it("says for each trial of a batch which file could not be written", () => {
    const home = tempDir();
    const res = g(["run", "-y", "--force-flags", join(SCRIPTS, "break_store.py"), "x=[1,2]"], { home });
    expect(res.code).toBe(1);
    expect(res.stderr.match(/^g: cannot write \S*scalars\.jsonl \(EISDIR\) \(run [0-9a-f]{8} stopped\)$/gm)).toHaveLength(2);
    expect(res.stderr).toMatch(/0 completed, 2 failed/);
  });
});
