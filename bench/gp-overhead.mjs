#!/usr/bin/env node
// gp's own cost per proposal at 50 evaluations (issue 14, goal 6): CPU time
// of the optimizer and wall time, for an older build and this one, run
// alternately function by function so both see the same machine load.
// Each (build, function) pair runs `bench/sim.mjs gp FN SEEDS 50` in a child
// process (in-process proposals, no harness round trips) and reads the
// per-evaluation figures it prints; random search is the floor.
//
//   npm run bench:gp-overhead -- [--old DIR] [--seeds N] [--functions a,b]
//   DIR: a project folder with a built dist/ (an older build); without --old only this build's rows
//   --settings "hyper-samples=4 ..." adds a row of this build with those --opt-flag settings
// --smoke (what CI runs so the bench cannot rot): 1 seed on branin, this package's dist/ as both builds.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { ROOT, table } from "./util.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const SMOKE = args.includes("--smoke");
const OLD = SMOKE ? ROOT : option("--old", null);
const SEEDS = SMOKE ? "1" : option("--seeds", "5");
const FUNCTIONS = (SMOKE ? "branin" : option("--functions", "branin,hartmann6,rosenbrock4,ackley5,guild_noisy1d")).split(",");
const BUDGET = "50";
const SETTINGS = (SMOKE ? "" : option("--settings", "")).split(/\s+/).filter((t) => t !== "");

const builds = [
  ...(OLD === null ? [] : [{ name: "gp old", dist: join(OLD, "dist"), opt: "gp" }]),
  { name: "gp new", dist: join(ROOT, "dist"), opt: "gp" },
  ...(SETTINGS.length === 0 ? [] : [{ name: `gp new, ${SETTINGS.join(" ")}`, dist: join(ROOT, "dist"), opt: "gp", settings: SETTINGS }]),
  { name: "random (floor)", dist: join(ROOT, "dist"), opt: "random" },
];
for (const b of builds) {
  if (!existsSync(join(b.dist, "search", "gp.js"))) {
    process.stderr.write(`gp-overhead: no ${b.dist}/search/gp.js: build it first (npm run build)\n`);
    process.exit(2);
  }
}

/** Runs sim.mjs once and returns its wall and CPU ms per evaluation. */
function measure(build, fn) {
  const res = spawnSync(process.execPath, [join(ROOT, "bench", "sim.mjs"), build.opt, fn, SEEDS, BUDGET, ...(build.settings ?? [])], {
    env: { ...process.env, G_DIST: build.dist },
    encoding: "utf8",
  });
  const m = /([\d.]+) ms\/eval wall, ([\d.]+) ms\/eval CPU/.exec(res.stdout ?? "");
  if (res.status !== 0 || m === null) throw new Error(`sim.mjs ${build.opt} ${fn} (${build.dist}) failed: ${res.stderr}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) };
}

const loads = [loadavg()[0]];
const results = new Map(builds.map((b) => [b.name, {}]));
for (const fn of FUNCTIONS) {
  for (const b of builds) results.get(b.name)[fn] = measure(b, fn);
  loads.push(loadavg()[0]);
}

const rows = [];
for (const b of builds) {
  const r = results.get(b.name);
  rows.push([`${b.name}, CPU`, ...FUNCTIONS.map((fn) => r[fn].cpu.toFixed(1))]);
  rows.push([`${b.name}, wall`, ...FUNCTIONS.map((fn) => r[fn].wall.toFixed(1))]);
}
console.log(`gp per proposal at ${BUDGET} evaluations, ms, ${SEEDS} seeds; old = ${OLD ?? "none (no --old)"}`);
console.log(table(["build", ...FUNCTIONS], rows));
console.log(`load average (1 min) during the run: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
