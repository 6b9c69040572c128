// scripts/slurm-local.sh under a folder only root can open (mktemp -d's 0700,
// a home folder): munged runs as the munge user, so its files go to a folder
// of their own under /tmp, and the cluster takes jobs. A second cluster on
// ports of its own (G_SLURM_PORT), beside the one CI starts; the real g
// submits a sweep's agents to it. Needs root and Debian's slurm and munge
// (installed by the script or by .ci/run); skipped without them.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { g } from "../helpers/g.js";
import { ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

const SCRIPT = join(ROOT, "scripts", "slurm-local.sh");
const CAN_START =
  process.getuid?.() === 0 &&
  ["slurmctld", "slurmd", "sbatch", "munged"].every((cmd) => spawnSync("sh", ["-c", 'command -v "$0"', cmd]).status === 0);

/** A port where this one and the next are free (slurmctld's and slurmd's). */
async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, () => server.close(() => resolve(true)));
    });
  for (let port = 17_000 + 2 * Math.floor(Math.random() * 2_000); ; port += 2) {
    if ((await listen(port)) && (await listen(port + 1))) return port;
  }
}

let stopCluster: (() => void) | undefined;

afterAll(() => {
  stopCluster?.();
  cleanTempDirs();
});

describe.skipIf(!CAN_START)("scripts/slurm-local.sh", () => {
  it("starts a cluster whose folder is under a 0700 one and runs g's agents on it", async () => {
    const closed = tempDir("g-slurm-0700-");
    expect(statSync(closed).mode & 0o777).toBe(0o700);
    const dir = join(closed, "cluster");
    const env = { ...process.env, G_SLURM_DIR: dir, G_SLURM_PORT: String(await freePortPair()) };
    const script = (cmd: string) => spawnSync(SCRIPT, [cmd], { env, encoding: "utf8", timeout: 110_000 });
    stopCluster = () => void script("stop");

    const started = script("start");
    expect(started.status, started.stderr).toBe(0);
    expect(started.stdout).toBe(`SLURM_CONF=${join(dir, "slurm.conf")}\n`);
    const munge = readFileSync(join(dir, "munge-dir"), "utf8").trim();
    expect(munge).toMatch(/^\/tmp\/g-slurm-munge-/);
    expect(started.stderr).toContain(
      `the munge user cannot reach ${dir} (a folder above it lacks o+x); munged's socket and logs go to ${munge}`,
    );

    const home = join(closed, "home");
    writeFileSync(join(closed, "quick.py"), "import sys\nprint('loss: %s' % sys.argv[1].split('=')[1])\n");
    writeFileSync(join(closed, "grid.yaml"), "program: quick.py\nmethod: grid\nparameters:\n  a: {values: [1, 2]}\n");
    const clusterEnv = { SLURM_CONF: join(dir, "slurm.conf") };
    const id = g(["sweep", "grid.yaml"], { home, cwd: closed }).stdout.trim();
    const r = g(["agent", id, "--backend", "slurm", "--agents", "2", "--wait"], { home, cwd: closed, env: clusterEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("2 trial(s) claimed, 2 completed, 0 failed");

    const stopped = script("stop");
    stopCluster = undefined;
    expect(stopped.status, stopped.stderr).toBe(0);
    expect(existsSync(munge)).toBe(false);
  });
});
