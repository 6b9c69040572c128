#!/usr/bin/env node
// What a restarted optimizer child costs the Python SDK's Optimizer
// (g_runs.Optimizer over `g ask-tell`): TRIALS suggest/register rounds on
// Branin, then the `g ask-tell` child is killed and the call that starts a new
// one and brings it to where the old one stood is timed, next to one
// suggestion of an uninterrupted twin (same seed, same trials), whose
// suggestion the resumed child must repeat. With --old, an older build's rows
// come first, run in turn with this build's so both see the same load.
//
//   npm run bench:sdk-restart -- [--trials 200] [--optimizer gp] [--old DIR] [--rounds 1]
//   DIR: a project folder with a built bin/g and its src/sdk/python (an older build)
// --smoke (what CI runs so the bench cannot rot): 4 trials, this build only.
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { ROOT, table } from "./util.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const SMOKE = args.includes("--smoke");
const TRIALS = SMOKE ? "4" : option("--trials", "200");
const OPTIMIZER = option("--optimizer", "gp");
const OLD = SMOKE ? null : option("--old", null);
const ROUNDS = SMOKE ? 1 : Number(option("--rounds", "1"));

// The loop, in Python as a user writes it; it prints one JSON line of timings.
const DRIVER = `
import json, math, sys, time
from g_runs import Optimizer

def branin(x0, x1):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x1 - b * x0 ** 2 + c * x0 - 6) ** 2 + 10 * (1 - t) * math.cos(x0) + 10

trials, name = int(sys.argv[1]), sys.argv[2]
space = {"x0": (-5.0, 10.0), "x1": (0.0, 15.0)}
opt, twin = Optimizer(space, optimizer=name, seed=7), Optimizer(space, optimizer=name, seed=7)
start = time.perf_counter()
for _ in range(trials):
    p = opt.suggest()
    twin.suggest()
    opt.register(p, branin(p["x0"], p["x1"]))
    twin.register(p, branin(p["x0"], p["x1"]))
search_s = time.perf_counter() - start
opt._proc.kill()
opt._proc.wait()
try:
    opt.suggest()
except RuntimeError:
    pass  # the call that finds the child stopped raises; the next one starts a new child
start = time.perf_counter()
resumed = opt.suggest()
restart_s = time.perf_counter() - start
start = time.perf_counter()
expected = twin.suggest()
one_s = time.perf_counter() - start
opt.close()
twin.close()
print(json.dumps({"search_s": search_s, "restart_s": restart_s, "one_s": one_s, "same": resumed == expected}))
`;

function measure(root) {
  const env = { ...process.env, G_BIN: join(root, "bin", "g"), PYTHONPATH: join(root, "src", "sdk", "python") };
  const res = spawnSync("python3", ["-c", DRIVER, TRIALS, OPTIMIZER], { env, encoding: "utf8" });
  if (res.status !== 0) {
    process.stderr.write(`sdk-restart: the Python loop failed for ${root}:\n${res.stderr}`);
    process.exit(1);
  }
  return JSON.parse(res.stdout.trim().split("\n").pop());
}

const builds = OLD
  ? [
      ["old", OLD],
      ["this", ROOT],
    ]
  : [["this", ROOT]];
const rows = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const [label, root] of builds) {
    const m = measure(root);
    rows.push([label, OPTIMIZER, TRIALS, m.search_s.toFixed(1), m.restart_s.toFixed(2), m.one_s.toFixed(2), m.same ? "yes" : "NO"]);
  }
}
console.log(
  table(
    ["build", "optimizer", "trials", "search (2 clients), s", "restart + next suggestion, s", "one suggestion, s", "same next suggestion"],
    rows,
  ),
);
console.log(`load average ${loadavg()[0].toFixed(1)}`);
if (rows.some((r) => r[6] !== "yes")) process.exit(1);
