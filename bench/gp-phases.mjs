#!/usr/bin/env node
// Where in a gp search a setting makes its difference (in-process, as bench/sim.mjs):
//   node bench/gp-phases.mjs FN SEEDS BUDGET [name=value ...]
// prints the median best-so-far regret after 10, 15, ... trials, the share of model trials whose fit
// finds noise (noise variance ≥ 1e-2 of the values', the gate of EI's noise factor and of the end game),
// the share of proposals more than 0.5 (unit cube) from the incumbent, and in how many seeds the last
// 5 trials found a new best. START=N begins at seed N (seeds N..N+SEEDS-1, to extend a sample);
// PER_SEED=1 prints each seed's final regret; SWITCH=none@45 (or auto@T, evidence@T) changes the
// warp from trial T on, to ask which part of the search a warp matters in. The random stream is part
// of the result: a change that draws one more random number per trial moves a 40-seed median of
// ackley5 by ±0.2 on its own (docs/benchmarks.md, issue 14, "Ninth round"), so compare over 160 seeds.
// Uses the build in bench/out/dist (npx tsc --outDir bench/out/dist), or G_DIST.
// --smoke (what CI runs so the bench cannot rot): branin, 1 seed of 12 trials, with the package's own dist/.
import { existsSync, readFileSync } from "node:fs";

const SMOKE = process.argv.includes("--smoke");
const dist = process.env.G_DIST ?? new URL(SMOKE ? "../dist/" : "./out/dist/", import.meta.url).pathname;
const { proposeGp, parseGpSettings } = await import(`${dist}/search/gp.js`);
const { createRng } = await import(`${dist}/search/rng.js`);
const { FUNCTIONS } = await import(new URL("./functions.mjs", import.meta.url).pathname);

const NOISE_FILE = new URL("./out/noise.json", import.meta.url);
const noise = existsSync(NOISE_FILE) ? JSON.parse(readFileSync(NOISE_FILE, "utf8")) : null;
const NOISY_FIT = 1e-2;
const FAR_UNIT = 0.5;
const LATE_TRIALS = 5;

const [fname, seedsText, budgetText, ...rest] = SMOKE ? ["branin", "1", "12"] : process.argv.slice(2);
const fn = FUNCTIONS[fname];
if (!fn) {
  process.stderr.write(`gp-phases: unknown function '${fname}': expected one of ${Object.keys(FUNCTIONS).join(", ")}\n`);
  process.exit(2);
}
const settings = parseGpSettings(Object.fromEntries(rest.map((a) => [a.split("=")[0], a.slice(a.indexOf("=") + 1)])));
const [switchWarp, switchAt] = (process.env.SWITCH ?? "@Infinity").split("@");
const budget = Number(budgetText);
const start = Number(process.env.START ?? 0);
const names = Object.keys(fn.space);
const toUnit = (p) => names.map((n) => (p[n] - fn.space[n].low) / (fn.space[n].high - fn.space[n].low));
const CHECKS = [10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 80, 100].filter((c) => c <= budget);
const byCheck = CHECKS.map(() => []);
const finals = [];
let modelTrials = 0;
let noisyFits = 0;
let farProposals = 0;
let lateBests = 0;

for (let seed = start; seed < start + Number(seedsText); seed++) {
  const rng = createRng(String(seed));
  const cache = {};
  const history = [];
  let bestObs = Infinity;
  let bestTrue = Infinity;
  let bestUnit = null;
  let lateBest = false;
  for (let k = 0; k < budget; k++) {
    const warp = k + 1 >= Number(switchAt) ? { warp: switchWarp } : {};
    const p = proposeGp(fn.space, history, rng, { ...settings, ...warp, progress: { trial: k + 1, total: budget } }, cache);
    const u = toUnit(p);
    if (cache.theta && bestUnit) {
      modelTrials++;
      if (Math.exp(cache.theta[cache.theta.length - 1]) >= NOISY_FIT) noisyFits++;
      if (Math.hypot(...u.map((v, i) => v - bestUnit[i])) > FAR_UNIT) farProposals++;
    }
    const f = fn.f(p);
    const y = f + (fn.noise ?? 0) * (noise?.[seed]?.[k] ?? 0);
    history.push({ point: p, value: y });
    if (y < bestObs) {
      bestObs = y;
      bestTrue = f;
      bestUnit = u;
      if (k >= budget - LATE_TRIALS) lateBest = true;
    }
    const c = CHECKS.indexOf(k + 1);
    if (c >= 0) byCheck[c].push(bestTrue - fn.fmin);
  }
  if (lateBest) lateBests++;
  finals.push(bestTrue - fn.fmin);
}

/** numpy's linear-interpolation percentile, as the harness summarises. */
function quantile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  const at = p * (s.length - 1);
  const lo = Math.floor(at);
  return s[lo] + (at - lo) * ((s[Math.min(s.length - 1, lo + 1)] ?? s[lo]) - s[lo]);
}
const pct = (a, b) => `${((100 * a) / Math.max(1, b)).toFixed(0)}%`;
console.log(
  `${fname} ${rest.join(" ") || "default"}${process.env.SWITCH ? ` switch ${process.env.SWITCH}` : ""}, seeds ${start}..${start + finals.length - 1}:`,
);
console.log(`  best so far (median): ${CHECKS.map((c, i) => `${c}: ${quantile(byCheck[i], 0.5).toPrecision(3)}`).join("  ")}`);
console.log(`  at ${budget}: median ${quantile(finals, 0.5).toPrecision(4)}, 75th ${quantile(finals, 0.75).toPrecision(4)}`);
console.log(
  `  fits finding noise ${pct(noisyFits, modelTrials)}; proposals > ${FAR_UNIT} from the incumbent ${pct(farProposals, modelTrials)}; a new best in the last ${LATE_TRIALS} trials: ${lateBests}/${finals.length} seeds`,
);
if (process.env.PER_SEED) console.log(`  per seed: ${finals.map((r) => r.toPrecision(3)).join(" ")}`);
