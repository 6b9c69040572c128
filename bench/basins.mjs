#!/usr/bin/env node
// Which basin does gp reach first on hartmann6? A diagnostic for issue 14's
// goal 2, trial by trial (node bench/basins.mjs SEEDS BUDGET [name=value ...]):
// per seed, the first trial within RADIUS of the global minimum (G) and of the
// second basin's minimum (S), the closest any trial came to G, the best
// regret after every 10 trials, and the fitted length scales at the end.
// The seventh round found the race this prints: a seed reaches G exactly
// when it gets there before S. The ninth round added what the trials outside
// S's valley show (the best regret among trials at least OUTSIDE_S from S in
// the four flags S depends on): in the seeds that meet S first it stays near
// 2.9 (hartmann6's value is about 0 there), so no model has a slope towards G. Uses bench/out/dist (npx tsc --outDir
// bench/out/dist) or G_DIST, as bench/sim.mjs does; hartmann6 is noise-free.
// --smoke (what CI runs so the bench cannot rot): 2 seeds of 8 trials with
// the package's own dist/.
const SMOKE = process.argv.includes("--smoke");
const dist = process.env.G_DIST ?? new URL(SMOKE ? "../dist/" : "./out/dist/", import.meta.url).pathname;
const { proposeGp, parseGpSettings } = await import(`${dist}/search/gp.js`);
const { createRng } = await import(`${dist}/search/rng.js`);
const { FUNCTIONS } = await import(new URL("./functions.mjs", import.meta.url).pathname);

/** The global minimiser and the second basin's (Hartmann 6-D; the second is the fourth term's centre, refined). */
const GLOBAL = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573];
const SECOND = [0.4047, 0.8817, 0.8466, 0.5739, 0.1389, 0.0385];
/** A trial this close (Euclidean, unit cube) to a minimiser counts as having reached its basin. */
const RADIUS = 0.3;
/** Regret at or under this is "in the global basin", as bench/sim.mjs counts it. */
const WITHIN = 0.02;
/** The flags S depends on (its bump's widths in the other two, x2 and x4, are 0.05 and 0.1: S ignores them). */
const S_FLAGS = [0, 1, 3, 5];
/** A trial this far from S in S_FLAGS is outside S's valley. */
const OUTSIDE_S = 0.4;

const [seedsText = "20", budgetText = "50", ...rest] = SMOKE ? ["2", "8"] : process.argv.slice(2);
const settings = parseGpSettings(Object.fromEntries(rest.map((a) => [a.split("=")[0], a.slice(a.indexOf("=") + 1)])));
const fn = FUNCTIONS.hartmann6;
const distanceTo = (p, c) => Math.sqrt(c.reduce((s, v, i) => s + (p[`x${i}`] - v) ** 2, 0));
const distanceToS = (p) => Math.sqrt(S_FLAGS.reduce((s, i) => s + (p[`x${i}`] - SECOND[i]) ** 2, 0));

let reached = 0;
let firstG = 0;
let firstS = 0;
let bothOrder = 0;
const outsideS = [];
console.log("seed\tglobal\tfirst G\tfirst S\tclosest to G\tbest outside S\tbest regret at 10, 20, ...\tlength scales at the end");
for (let seed = 0; seed < Number(seedsText); seed++) {
  const rng = createRng(String(seed));
  const cache = {};
  const history = [];
  let g = -1;
  let s = -1;
  let closest = Infinity;
  let best = Infinity;
  let bestOutsideS = Infinity;
  const marks = [];
  for (let k = 0; k < Number(budgetText); k++) {
    const p = proposeGp(fn.space, history, rng, settings, cache);
    const y = fn.f(p);
    history.push({ point: p, value: y });
    best = Math.min(best, y - fn.fmin);
    if (distanceToS(p) >= OUTSIDE_S) bestOutsideS = Math.min(bestOutsideS, y - fn.fmin);
    const dg = distanceTo(p, GLOBAL);
    closest = Math.min(closest, dg);
    if (g < 0 && dg < RADIUS) g = k;
    if (s < 0 && distanceTo(p, SECOND) < RADIUS) s = k;
    if ((k + 1) % 10 === 0) marks.push(best.toPrecision(2));
  }
  const ok = best <= WITHIN;
  if (ok) reached++;
  if (g >= 0 && (s < 0 || g < s)) firstG++;
  if (s >= 0 && (g < 0 || s < g)) {
    firstS++;
    if (!ok) outsideS.push(bestOutsideS);
  }
  if (g >= 0 && s >= 0) bothOrder++;
  const ls = cache.theta ? Array.from(cache.theta.slice(0, 6), (t) => Math.exp(t).toFixed(2)).join(" ") : "";
  console.log(`${seed}\t${ok ? "yes" : "no"}\t${g}\t${s}\t${closest.toFixed(2)}\t${bestOutsideS.toFixed(2)}\t${marks.join(" ")}\t${ls}`);
}
console.log(
  `global basin (regret <= ${WITHIN}): ${reached}/${seedsText}; reached G first: ${firstG}, S first: ${firstS}, reached both: ${bothOrder}`,
);
outsideS.sort((a, b) => a - b);
if (outsideS.length > 0)
  console.log(
    `seeds that met S first and ended outside G: ${outsideS.length}; their best regret outside S's valley (>= ${OUTSIDE_S} from S in x${S_FLAGS.join(", x")}): median ${outsideS[Math.floor(outsideS.length / 2)].toFixed(2)}, lowest ${outsideS[0].toFixed(2)}`,
  );
