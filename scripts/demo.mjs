// `npm run demo`: the Guild quick-start, end to end, in a store of its own
// (.demo-runs/ in this folder, or the folder given as its one argument): one
// run, a grid search, a Bayesian search, then the comparison of the best runs
// and the run list.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const home = process.argv[2] === undefined ? join(root, ".demo-runs") : resolve(process.argv[2]);
rmSync(home, { recursive: true, force: true });
const env = { ...process.env, G_HOME: home };

const steps = [
  ["run", "-y", "examples/train.py", "x=-0.3", "noise=0"],
  ["run", "-y", "examples/train.py", "x=[-0.5,-0.4,-0.3,-0.2,-0.1]"],
  ["run", "-y", "-q", "examples/train.py", "x=[-2.0:2.0]", "noise=0", "--optimizer", "bayesian", "--random-seed", "1"],
  ["compare", "1:20", "-T", "-m", "loss", "-t", "5"],
  ["runs", "list", "1:8"],
];
for (const args of steps) {
  process.stderr.write(`\n$ g ${args.map((a) => (/[\[\] ]/.test(a) ? `'${a}'` : a)).join(" ")}\n`);
  const res = spawnSync(process.execPath, [join(root, "bin", "g"), ...args], { cwd: root, env, stdio: "inherit" });
  if (res.status !== 0) {
    process.stderr.write(`demo step failed (exit ${res.status})\n`);
    process.exit(res.status ?? 1);
  }
}
process.stderr.write(
  `\nThe runs are in ${relative(process.cwd(), home) || home}. Explore them with:\n  G_HOME=${home} node bin/g compare\n`,
);
