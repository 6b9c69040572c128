#!/usr/bin/env node
// An optimizer's own cost per proposal at 50 evaluations (issue 14, goal 6):
// CPU time of the optimizer and wall time, for an older build and this one,
// run alternately function by function so both see the same machine load.
// Each (optimizer, build, function) runs `bench/sim.mjs OPT FN SEEDS 50` in a
// child process (in-process proposals, no harness round trips) and reads the
// per-evaluation figures it prints; random search is the floor.
//
//   npm run bench:gp-overhead -- [--optimizers gp,tpe,forest,gbrt] [--old DIR] [--seeds N] [--functions a,b]
//   --optimizers: which optimizers get rows (default gp)
//   DIR: a project folder with a built dist/ (an older build); without --old only this build's rows
//   --settings "hyper-samples=4 ..." adds a row of this build with those --opt-flag settings (for each optimizer)
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
const OPTIMIZERS = option("--optimizers", "gp").split(",");
/** The module each optimizer's proposer lives in, to check that a build has it. */
const MODULE = { gp: "gp.js", tpe: "tpe.js", forest: "trees.js", gbrt: "trees.js" };
for (const opt of OPTIMIZERS) {
  if (!(opt in MODULE)) {
    process.stderr.write(`gp-overhead: unknown optimizer '${opt}': expected some of ${Object.keys(MODULE).join(",")}\n`);
    process.exit(2);
  }
}

const builds = [
  ...OPTIMIZERS.flatMap((opt) => [
    ...(OLD === null ? [] : [{ name: `${opt} old`, dist: join(OLD, "dist"), opt }]),
    { name: `${opt} new`, dist: join(ROOT, "dist"), opt },
    ...(SETTINGS.length === 0 ? [] : [{ name: `${opt} new, ${SETTINGS.join(" ")}`, dist: join(ROOT, "dist"), opt, settings: SETTINGS }]),
  ]),
  { name: "random (floor)", dist: join(ROOT, "dist"), opt: "random" },
];
for (const b of builds) {
  const file = join(b.dist, "search", MODULE[b.opt] ?? "gp.js");
  if (!existsSync(file)) {
    process.stderr.write(`gp-overhead: no ${file}: build it first (npm run build)\n`);
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
console.log(`${OPTIMIZERS.join(", ")} per proposal at ${BUDGET} evaluations, ms, ${SEEDS} seeds; old = ${OLD ?? "none (no --old)"}`);
console.log(table(["build", ...FUNCTIONS], rows));
console.log(`load average (1 min) during the run: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
