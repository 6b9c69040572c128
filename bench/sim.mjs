#!/usr/bin/env node
// Quick in-process optimizer check while tuning (no harness, no processes):
// node bench/sim.mjs OPT FN[,FN] SEEDS BUDGET [name=value ...]
// Uses the build in bench/out/dist (npx tsc --outDir bench/out/dist), or G_DIST.
// WITHIN=0.05 counts the seeds within that regret (hartmann6 counts its global
// basin, within 0.02, and the noisy 1-D function within 0.1 by default); PER_SEED=1 prints each seed's regret
// and the median and 75th percentile as the harness computes them (numpy's linear interpolation; on branin
// and rosenbrock4 these runs are the harness's own, seed for seed; ackley5 and hartmann6 drift apart in libm's last bits);
// gp, forest and gbrt are told the budget (trial k of BUDGET), as the harness's init does; bench/out/noise.json holds the harness's noise streams:
//   /usr/bin/python3 -c 'import sys,json,numpy as np; sys.path.insert(0,"../shared/bench/optimizers"); import bench;
//     print(json.dumps([np.random.default_rng(bench.NOISE_SEED_BASE+s).standard_normal(100).tolist() for s in range(160)]))' > bench/out/noise.json
// START=N runs seeds N..N+SEEDS-1 instead of 0..SEEDS-1 (to extend a sample, e.g. START=80 for the second 80 of 160).
// --smoke (what CI runs so the bench cannot rot): gp, tpe and random on branin, 1 seed of 6
// evaluations, noise-free, with the package's own dist/.
import { existsSync, readFileSync } from "node:fs";
const SMOKE = process.argv.includes("--smoke");
const dist = process.env.G_DIST ?? new URL(SMOKE ? "../dist/" : "./out/dist/", import.meta.url).pathname;
const { proposeGp, parseGpSettings, believedBest } = await import(`${dist}/search/gp.js`);
const { proposeTpe, parseTpeSettings } = await import(`${dist}/search/tpe.js`);
const { proposeTrees, parseTreeSettings } = await import(`${dist}/search/trees.js`);
const { createRng } = await import(`${dist}/search/rng.js`);
const { FUNCTIONS } = await import(new URL("./functions.mjs", import.meta.url).pathname);

const NOISE_FILE = new URL("./out/noise.json", import.meta.url);
// The shared noise draws (seed × evaluation); without the file every function is noise-free.
const noise = existsSync(NOISE_FILE) ? JSON.parse(readFileSync(NOISE_FILE, "utf8")) : null;
if (noise === null) process.stderr.write(`sim: no ${NOISE_FILE.pathname}: noise-free evaluations\n`);
if (SMOKE) {
  for (const o of ["gp", "tpe", "random"]) {
    const { status } = (await import("node:child_process")).spawnSync(process.execPath, [process.argv[1], o, "branin", "1", "6"], {
      stdio: "inherit",
      env: { ...process.env, G_DIST: dist },
    });
    if (status !== 0) process.exit(status ?? 1);
  }
  process.exit(0);
}
const [opt, fnList, seedsText, budgetText, ...rest] = process.argv.slice(2);
const raw = Object.fromEntries(rest.map((a) => [a.split("=")[0], a.slice(a.indexOf("=") + 1)]));
const TREES = ["forest", "gbrt"];
const settings =
  opt === "gp" ? parseGpSettings(raw) : opt === "tpe" ? parseTpeSettings(raw) : TREES.includes(opt) ? parseTreeSettings(opt, raw) : {};
const seeds = Number(seedsText ?? 10);
const budget = Number(budgetText ?? 50);
const start = Number(process.env.START ?? 0);

for (const fname of fnList.split(",")) {
  const fn = FUNCTIONS[fname];
  const regrets = [];
  const believed = [];
  let rightChoice = 0;
  let ms = 0;
  let cpu = 0;
  for (let seed = start; seed < start + seeds; seed++) {
    const rng = createRng(String(seed));
    const cache = {};
    const history = [];
    let bestObs = Infinity;
    let bestTrue = Infinity;
    let bestPoint = null;
    for (let k = 0; k < budget; k++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const p =
        opt === "gp"
          ? proposeGp(fn.space, history, rng, { ...settings, progress: { trial: k + 1, total: budget } }, cache)
          : opt === "tpe"
            ? proposeTpe(fn.space, history, rng, settings)
            : TREES.includes(opt)
              ? proposeTrees(opt, fn.space, history, rng, settings, { trial: k + 1, total: budget })
              : Object.fromEntries(Object.entries(fn.space).map(([n, d]) => [n, d.low + (d.high - d.low) * rng()]));
      ms += performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1000;
      const f = fn.f(p);
      const y = f + (fn.noise ?? 0) * (noise?.[seed]?.[k] ?? 0);
      history.push({ point: p, value: y });
      if (y < bestObs) {
        bestObs = y;
        bestTrue = f;
        bestPoint = p;
      }
    }
    regrets.push(bestTrue - fn.fmin);
    if (fn.bestChoice && bestPoint[fn.bestChoice[0]] === fn.bestChoice[1]) rightChoice++;
    if (fn.noise) {
      // The trial the batch summary reports: the model's pick when it fits noise.
      const pick = believedBest(fn.space, history, createRng(`report:${seed}`));
      believed.push((pick === null ? bestTrue : fn.f(history[pick.index].point)) - fn.fmin);
    }
  }
  // PER_SEED=1: every seed's regret in seed order, to pair two variants seed by seed.
  const perSeed = [...regrets];
  regrets.sort((a, b) => a - b);
  // The harness's own summary (numpy's linear interpolation), which the goals read; the line below takes the nearest rank.
  const qLinear = (p) => {
    const at = p * (regrets.length - 1);
    const lo = Math.floor(at);
    return regrets[lo] + (at - lo) * ((regrets[Math.min(regrets.length - 1, lo + 1)] ?? 0) - regrets[lo]);
  };
  if (process.env.PER_SEED)
    console.log(
      `  per seed: ${perSeed.map((r) => r.toPrecision(3)).join(" ")} (as the harness: median ${qLinear(0.5).toPrecision(4)}, 75th ${qLinear(0.75).toPrecision(4)})`,
    );
  const q = (p) => regrets[Math.min(regrets.length - 1, Math.floor(p * (regrets.length - 1) + 0.5))];
  const withinAt = process.env.WITHIN ? Number(process.env.WITHIN) : fn.within;
  const within = withinAt !== undefined ? ` within ${withinAt}: ${regrets.filter((r) => r <= withinAt).length}/${seeds}` : "";
  if (believed.length > 0)
    console.log(`  reported by the noise model: within ${fn.within}: ${believed.filter((r) => r <= fn.within).length}/${seeds}`);
  if (fn.bestChoice) console.log(`  best trial has ${fn.bestChoice.join("=")}: ${rightChoice}/${seeds}`);
  console.log(
    `${opt} ${fname} b${budget}: median ${q(0.5).toPrecision(3)} [${q(0.25).toPrecision(3)}, ${q(0.75).toPrecision(3)}]${within} ${(ms / seeds / budget).toFixed(1)} ms/eval wall, ${(cpu / seeds / budget).toFixed(1)} ms/eval CPU`,
  );
}
