// g on Slurm, end to end, against the one-node cluster of
// scripts/slurm-local.sh (started by .ci/run; SLURM_CONF names it). Skipped
// when no cluster answers. Spawns the real bin/g (build first: npm run build).

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

  it("refuses sbatch options that are not options, before submitting anything", () => {
    const id = createSweep("opt.yaml", "program: quick.py\nmethod: grid\nparameters:\n  a: {values: [1]}\n");
    const r = g(["agent", id, "--backend", "slurm", "--slurm-opt", "gpu; rm -rf /"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('g: --slurm-opt takes sbatch options such as --partition=gpu; "gpu;" is not one (write --opt=value)');
    expect(r.stdout).toBe("");
  });
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
