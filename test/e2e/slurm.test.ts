// g on Slurm, end to end, against the one-node cluster of
// scripts/slurm-local.sh (started by .ci/run; SLURM_CONF names it). Skipped
// when no cluster answers. Spawns the real bin/g (build first: npm run build).

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = resolve(__dirname, "../../bin/g");

const CLUSTER_UP = spawnSync("sinfo", ["-h", "-o", "%T"], { encoding: "utf8" }).status === 0;

let work: string;
let home: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "g-slurm-e2e-"));
  // Slurm's tasks run as this user from this folder; mkdtemp's 0700 is fine for root, not for others.
  chmodSync(work, 0o755);
  home = join(work, "home");
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function g(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: work,
    env: { ...process.env, G_HOME: home, NO_COLOR: "1" },
    encoding: "utf8",
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function createSweep(name: string, yaml: string): string {
  writeFileSync(join(work, name), yaml);
  const r = g(["sweep", name]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

interface ListedRun {
  id: string;
  status: string;
  flags: Record<string, unknown>;
  job: string | null;
}

function sweepRuns(id: string): ListedRun[] {
  return JSON.parse(g(["runs", "list", "--op", `sweep:${id}`, "--all", "--json"]).stdout) as ListedRun[];
}

function counts(id: string): Record<string, number> {
  return (JSON.parse(g(["sweeps", "--json"]).stdout) as { id: string; counts: Record<string, number> }[]).find((s) => s.id === id)!.counts;
}

/**
 * A node failure, as far as one trial goes: its g and its script (the leader
 * of its own process group, once the LOCK names it) SIGKILLed together.
 * Killing g alone leaves the script running, and the run then reads `running`
 * while the script lives: not a failure.
 */
async function killOutright(dir: string): Promise<void> {
  const lockOf = () => JSON.parse(readFileSync(join(dir, "LOCK"), "utf8")) as { pid: number; child?: number };
  await until(() => lockOf().child !== undefined, `the script of ${dir} to start`);
  const lock = lockOf();
  process.kill(lock.pid, "SIGKILL");
  try {
    process.kill(-lock.child!, "SIGKILL");
  } catch {
    /* already gone */
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!CLUSTER_UP)("g agent --backend slurm", () => {
  it("runs a 12-point grid with 4 agents as one job array, each trial once, each naming its array task", () => {
    writeFileSync(
      join(work, "quick.py"),
      `import argparse\np = argparse.ArgumentParser()\np.add_argument("--a")\na = p.parse_args()\nprint("loss: %s" % a.a)\n`,
    );
    const id = createSweep(
      "grid.yaml",
      "program: quick.py\nmethod: grid\nparameters:\n  a: {values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}\n",
    );
    const r = g([
      "agent",
      id,
      "--backend",
      "slurm",
      "--agents",
      "4",
      "--slurm-array-parallel",
      "2",
      "--slurm-opt",
      "--time=10:00",
      "--wait",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const job = r.stdout.trim();
    expect(job).toMatch(/^\d+$/);
    const runs = sweepRuns(id);
    expect(runs).toHaveLength(12);
    expect(new Set(runs.map((x) => x.flags.a)).size).toBe(12);
    expect(runs.every((x) => x.status === "completed")).toBe(true);
    for (const x of runs) expect(x.job).toMatch(new RegExp(`^slurm ${job}_[0-3]$`));
    expect(counts(id).completed).toBe(12);
    expect(r.stderr).toContain(`agents of job ${job} ended: 12 trial(s) claimed, 12 completed`);
  }, 180_000);

  it("leaves a trial terminated when its array task is scancelled mid-trial, and a later agent finishes the grid", async () => {
    writeFileSync(
      join(work, "slow.py"),
      `import argparse, time\np = argparse.ArgumentParser()\np.add_argument("--a", type=int)\na = p.parse_args()\nif a.a == 1:\n    time.sleep(120)\nprint("loss: %d" % a.a)\n`,
    );
    const id = createSweep("slow.yaml", "program: slow.py\nmethod: grid\nparameters:\n  a: {values: [1, 2, 3]}\n");
    const r = g(["agent", id, "--backend", "slurm", "--agents", "1", "--count", "1"]);
    expect(r.code, r.stderr).toBe(0);
    const job = r.stdout.trim();
    await until(() => sweepRuns(id).some((x) => x.status === "running" && x.job === `slurm ${job}_0`), "trial 1 to run in the array task");
    const cancel = spawnSync("scancel", [job], { encoding: "utf8" });
    expect(cancel.status, cancel.stderr).toBe(0);
    await until(() => sweepRuns(id)[0]?.status === "terminated", "the trial to end terminated");
    const info = g(["runs", "info", sweepRuns(id)[0]!.id]);
    expect(info.stdout).toMatch(new RegExp(`job: +slurm ${job}_0`));
    // A terminated trial counts as run (as with g stop); the rest of the grid is still there.
    const rest = g(["agent", id]);
    expect(rest.code, rest.stderr).toBe(0);
    const runs = sweepRuns(id);
    expect(runs.map((x) => x.status).sort()).toEqual(["completed", "completed", "terminated"]);
    expect(counts(id).claimed).toBe(3);
  }, 180_000);

  it("with --wait, names each array task that failed with its log and exits 1", () => {
    writeFileSync(join(work, "fails.py"), "import sys\nprint('no luck')\nsys.exit(3)\n");
    const id = createSweep("fails.yaml", "program: fails.py\nmethod: grid\nparameters:\n  a: {values: [1, 2]}\n");
    // --count 1: each task's agent runs one of the two trials, so both fail.
    const r = g(["agent", id, "--backend", "slurm", "--agents", "2", "--count", "1", "--wait"]);
    expect(r.code).toBe(1);
    const job = r.stdout.trim();
    const failed = [...r.stderr.matchAll(/^agent (\d) of job (\d+) failed \(Slurm: job \d+_\d FAILED [^)]*\)\); its output: (\S+)$/gm)];
    expect(failed.map((m) => Number(m[1])).sort()).toEqual([0, 1]);
    for (const m of failed) {
      expect(m[2]).toBe(job);
      expect(m[3]).toBe(join(home, "sweeps", id, "agents", `${job}_${m[1]}.out`));
      expect(readFileSync(m[3]!, "utf8")).toMatch(/agent ran 1 trial\(s\): 0 completed, 0 early-stopped, 1 failed/);
    }
    expect(r.stderr).toMatch(/2 failed, 0 terminated; 2 agent\(s\) failed\n$/);
  }, 180_000);

  it("without --wait, returns at once naming each array task's log", () => {
    writeFileSync(join(work, "ok.py"), "print('loss: 1')\n");
    const id = createSweep("nowait.yaml", "program: ok.py\nmethod: grid\nparameters:\n  a: {values: [1]}\n");
    const r = g(["agent", id, "--backend", "slurm", "--agents", "1"]);
    expect(r.code, r.stderr).toBe(0);
    const job = r.stdout.trim();
    expect(r.stderr).toContain(`  agent 0: ${join(home, "sweeps", id, "agents", `${job}_0.out`)}\n`);
  });

  it("refuses sbatch options that are not options, before submitting anything", () => {
    const id = createSweep("opt.yaml", "program: quick.py\nmethod: grid\nparameters:\n  a: {values: [1]}\n");
    const r = g(["agent", id, "--backend", "slurm", "--slurm-opt", "gpu; rm -rf /"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('g: --slurm-opt takes sbatch options such as --partition=gpu; "gpu;" is not one (write --opt=value)');
    expect(r.stdout).toBe("");
  });
});

interface BatchTrial {
  id: string;
  status: string;
  trial: number | null;
  batch: string | null;
  flags: Record<string, unknown>;
  job: string | null;
}

function batchRuns(batch: string): BatchTrial[] {
  const all = JSON.parse(g(["runs", "list", "--all", "--json"]).stdout) as BatchTrial[];
  return all.filter((r) => r.batch === batch).sort((a, b) => a.trial! - b.trial!);
}

function runInfo(id: string): Record<string, unknown> {
  return JSON.parse(g(["runs", "info", id, "--json"]).stdout) as Record<string, unknown>;
}

/** `g run ... --backend slurm` prints "BATCH JOB" on stdout. */
function submitted(stdout: string): { batch: string; job: string } {
  const m = /^([0-9a-f]{32}) (\d+)\n$/.exec(stdout);
  expect(m, stdout).not.toBeNull();
  return { batch: m![1]!, job: m![2]! };
}

describe.skipIf(!CLUSTER_UP)("g run --backend slurm", () => {
  beforeAll(() => {
    writeFileSync(
      join(work, "train.py"),
      [
        "import argparse, os, time",
        "p = argparse.ArgumentParser()",
        'p.add_argument("--x", type=float, default=0.5)',
        'p.add_argument("--block", default="")',
        "a = p.parse_args()",
        "# Waits while the file named by --block exists (the test removes it to let the trial finish).",
        "while a.block and os.path.exists(a.block):",
        "    time.sleep(0.2)",
        'print("loss: %s" % ((a.x - 0.3) ** 2))',
        "",
      ].join("\n"),
    );
  });

  it("runs a grid batch as one job array: task k is trial k, every trial once, the batch completed", () => {
    const r = g(["run", "train.py", "x=[0.1,0.2,0.3,0.4,0.5,0.6]", "--backend", "slurm", "--slurm-array-parallel", "3", "--wait", "-y"]);
    expect(r.code, r.stderr).toBe(0);
    const { batch, job } = submitted(r.stdout);
    expect(r.stderr).toContain(`6 trial(s) submitted to slurm as job ${job} (array 1-6%3;`);
    expect(r.stderr).toContain(`batch ${batch.slice(0, 8)} (grid): 6 completed, 0 failed; best loss 0 (trial 3)`);
    const trials = batchRuns(batch);
    expect(trials.map((t) => t.trial)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(trials.map((t) => t.flags.x)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    expect(trials.every((t) => t.status === "completed")).toBe(true);
    for (const t of trials) expect(t.job).toBe(`slurm ${job}_${t.trial}`);
    const info = g(["runs", "info", trials[0]!.id]);
    expect(info.stdout).toMatch(new RegExp(`job: +slurm ${job}_1\n`));
    const b = runInfo(batch);
    expect(b.status).toBe("completed");
    expect(b.job).toBe(`slurm ${job}`);
  }, 180_000);

  it("runs a gp batch as one job array: each task claims its trial, proposals from the finished ones, no point twice", () => {
    const r = g([
      "run",
      "train.py",
      "x=[0:1]",
      "--optimizer",
      "gp",
      "--max-trials",
      "8",
      "--random-seed",
      "7",
      "--backend",
      "slurm",
      "--slurm-array-parallel",
      "4",
      "--slurm-opt",
      "--time=10:00 --job-name='g gp test'",
      "--wait",
      "-y",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { batch, job } = submitted(r.stdout);
    const trials = batchRuns(batch);
    expect(trials.map((t) => t.trial)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(trials.every((t) => t.status === "completed")).toBe(true);
    expect(new Set(trials.map((t) => t.flags.x)).size).toBe(8);
    for (const t of trials) expect(t.job).toBe(`slurm ${job}_${t.trial}`);
    expect(runInfo(batch).status).toBe("completed");
    expect(r.stderr).toMatch(/\(gp\): 8 completed, 0 failed; best loss/);
    // A restart of a Slurm batch goes to Slurm again: two more trials, numbered after the eight.
    const more = g(["run", "--restart", batch.slice(0, 8), "--max-trials", "2", "--wait", "-y"]);
    expect(more.code, more.stderr).toBe(0);
    const again = submitted(more.stdout);
    expect(more.stderr).toContain(`2 trial(s) submitted to slurm as job ${again.job} (array 9-10%4;`);
    const all = batchRuns(batch);
    expect(all.map((t) => t.trial)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(all.slice(8).map((t) => t.job)).toEqual([`slurm ${again.job}_9`, `slurm ${again.job}_10`]);
    expect(new Set(all.map((t) => t.flags.x)).size).toBe(10);
  }, 240_000);

  it("refuses unbalanced quotes in --slurm-opt and -j with --backend, before creating anything", () => {
    const quote = g(["run", "train.py", "x=[1,2]", "--backend", "slurm", "--slurm-opt", "--comment='a b", "-y"]);
    expect(quote.code).toBe(2);
    expect(quote.stderr.trim()).toBe(`g: --slurm-opt "--comment='a b" has an unclosed ' quote; close it or drop it`);
    const j = g(["run", "train.py", "x=[1,2]", "--backend", "slurm", "-j", "2", "-y"]);
    expect(j.code).toBe(2);
    expect(j.stderr.trim()).toBe("g: -j runs trials at once on this machine; with --backend slurm give --slurm-array-parallel 2");
    expect(quote.stdout + j.stdout).toBe("");
  });

  it("g stop on the batch scancels its job: the running trial terminated with Slurm's reason, the rest never run; restart runs only those, counted once", async () => {
    const block = join(work, "block-stop");
    writeFileSync(block, "");
    const r = g(["run", "train.py", "x=[0.1,0.2,0.3,0.4]", `block=${block}`, "--backend", "slurm", "--slurm-array-parallel", "1", "-y"]);
    expect(r.code, r.stderr).toBe(0);
    const { batch, job } = submitted(r.stdout);
    await until(() => batchRuns(batch)[0]?.status === "running", "trial 1 to run");
    expect(runInfo(batch).status).toBe("running");
    const stop = g(["stop", batch.slice(0, 8)]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stderr).toContain(`run ${batch.slice(0, 8)} (batch): cancelled slurm job ${job}`);
    await until(() => runInfo(batch).status === "terminated", "the batch to end terminated");
    const first = batchRuns(batch);
    expect(first).toHaveLength(1);
    expect(first[0]!.status).toBe("terminated");
    expect(runInfo(first[0]!.id).error).toBe(`Slurm: job ${job}_1 CANCELLED (cancelled by scancel or g stop)`);
    expect(runInfo(batch).error).toBe(`3 trial(s) never started (job ${job} ended first)`);

    rmSync(block);
    const again = g(["run", "--restart", batch.slice(0, 8), "--wait", "-y"]);
    expect(again.code, again.stderr).toBe(0);
    const second = submitted(again.stdout);
    expect(second.batch).toBe(batch);
    expect(again.stderr).toContain(`4 trial(s) submitted to slurm as job ${second.job} (array 1-4%1;`);
    const trials = batchRuns(batch);
    // Trial 1 ran again in its own run; 2-4 ran for the first time: four trials, one run each.
    expect(trials.map((t) => [t.trial, t.status])).toEqual([
      [1, "completed"],
      [2, "completed"],
      [3, "completed"],
      [4, "completed"],
    ]);
    expect(trials[0]!.id).toBe(first[0]!.id);
    expect(trials.map((t) => t.job)).toEqual([1, 2, 3, 4].map((n) => `slurm ${second.job}_${n}`));
    expect(runInfo(batch).status).toBe("completed");
    const nothing = g(["run", "--restart", batch.slice(0, 8), "-y"]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("has run all its 4 trials");
  }, 240_000);

  it("a task scancelled mid-trial leaves its trial terminated with Slurm's reason; a task whose g is killed outright is recorded from Slurm's state; g stop TRIAL cancels its task", async () => {
    const block = join(work, "block-kill");
    writeFileSync(block, "");
    const r = g(["run", "train.py", "x=[0.1,0.2,0.3]", `block=${block}`, "--backend", "slurm", "-y"]);
    const { batch, job } = submitted(r.stdout);
    await until(() => batchRuns(batch).filter((t) => t.status === "running").length === 3, "three trials to run");
    const cancel = spawnSync("scancel", [`${job}_1`], { encoding: "utf8" });
    expect(cancel.status, cancel.stderr).toBe(0);
    // Killed outright, as a node failure would: the task's g and its script, so the task's g records nothing.
    const victim = batchRuns(batch)[1]!;
    await killOutright(join(home, "runs", victim.id));
    await until(() => batchRuns(batch)[0]!.status === "terminated", "trial 1 to end terminated");
    await until(() => runInfo(victim.id).status === "error", "trial 2 to read error");
    // g stop on one trial cancels only its array task.
    const third = batchRuns(batch)[2]!;
    const stop = g(["stop", third.id.slice(0, 8)]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stderr).toContain(`run ${third.id.slice(0, 8)} on `);
    expect(stop.stderr).toContain(`: cancelled slurm job ${job}_3`);
    await until(() => runInfo(batch).status !== "running", "the batch to end");
    rmSync(block);
    const trials = batchRuns(batch);
    expect(trials.map((t) => t.status)).toEqual(["terminated", "error", "terminated"]);
    // While Slurm still shows a task COMPLETING, its reason says the final state follows; the next look writes it.
    const settled = (id: string) => !String(runInfo(id).error).includes("COMPLETING");
    await until(() => settled(third.id) && settled(trials[0]!.id), "Slurm's final states to be recorded");
    expect(runInfo(third.id).error).toBe(`Slurm: job ${job}_3 CANCELLED (cancelled by scancel or g stop)`);
    expect(runInfo(trials[0]!.id).error).toBe(`Slurm: job ${job}_1 CANCELLED (cancelled by scancel or g stop)`);
    expect(String(runInfo(trials[1]!.id).error)).toMatch(new RegExp(`^Slurm: job ${job}_2 FAILED`));
    const info = g(["runs", "info", trials[0]!.id]);
    expect(info.stdout).toContain(`error:     Slurm: job ${job}_1 CANCELLED`);
    expect(runInfo(batch).status).toBe("terminated");
  }, 180_000);

  it("g compare and g view record a task Slurm ended without its g recording it, as g runs does", async () => {
    const block = join(work, "block-reap");
    writeFileSync(block, "");
    const r = g(["run", "train.py", "x=[0.1,0.2]", `block=${block}`, "--backend", "slurm", "-y"]);
    const { batch, job } = submitted(r.stdout);
    await until(() => batchRuns(batch).filter((t) => t.status === "running").length === 2, "two trials to run");
    const [first, second] = batchRuns(batch);
    const record = (id: string) => JSON.parse(readFileSync(join(home, "runs", id, "run.json"), "utf8")) as Record<string, unknown>;
    // Killed outright, as a node failure would (g and its script): the task's g records nothing, Slurm ends the task.
    for (const t of [first!, second!]) await killOutright(join(home, "runs", t.id));
    // Only g compare looks (no g runs in between): it records the trial from Slurm's state.
    await until(() => {
      expect(g(["compare", "--json", first!.id.slice(0, 8)]).code).toBe(0);
      return record(first!.id).stopped != null;
    }, "g compare to record trial 1");
    expect(String(record(first!.id).error)).toMatch(new RegExp(`^Slurm: job ${job}_1 FAILED`));
    // And g view, here its export (a serving view does the same every 10 s).
    const page = join(work, "reap.html");
    await until(() => {
      expect(g(["view", second!.id.slice(0, 8), "--export", page]).code).toBe(0);
      return record(second!.id).stopped != null;
    }, "g view to record trial 2");
    expect(String(record(second!.id).error)).toMatch(new RegExp(`^Slurm: job ${job}_2 FAILED`));
    expect(batchRuns(batch).map((t) => t.status)).toEqual(["error", "error"]);
    rmSync(block);
    await until(() => runInfo(batch).status !== "running", "the batch to end");
  }, 180_000);
});

it("g agent --backend names the backends it knows", () => {
  const bad = (() => {
    const dir = mkdtempSync(join(tmpdir(), "g-backend-"));
    writeFileSync(join(dir, "s.yaml"), "program: q.py\nmethod: grid\nparameters:\n  a: {values: [1]}\n");
    const r = spawnSync(process.execPath, [BIN, "sweep", "s.yaml"], {
      cwd: dir,
      env: { ...process.env, G_HOME: join(dir, "home") },
      encoding: "utf8",
    });
    const out = spawnSync(process.execPath, [BIN, "agent", r.stdout.trim(), "--backend", "k8s"], {
      cwd: dir,
      env: { ...process.env, G_HOME: join(dir, "home") },
      encoding: "utf8",
    });
    rmSync(dir, { recursive: true, force: true });
    return out;
  })();
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim()).toBe('g: unknown --backend "k8s"; choose one of local, slurm');
});
