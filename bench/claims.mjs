// Claim latency of 8 bayes (gp) agents on one store. Each worker process is
// an agent: it claims (claimNextTrial, as `g agent` does: the gp proposal
// outside the sweep's lock, then the claim), "runs" its trial (sleeps, logs a
// loss, finishes the run) and claims again. "claim" is the store's claim alone,
// from its start to the claimed run in hand: the ledger read and the choice,
// waiting for the sweep's lock, holding it, and what follows the release (the
// run's record, its fsync and rename); "wait + hold" is the bench's first
// definition, from asking for the lock to holding the claim; "propose" the gp
// proposal before it all. With --old DIR, a second build (a
// package root with its own dist/) runs the same sweep in the same run, each
// build's round interleaved with the other's, so the load falls on both alike.
// Build first (npm run build); run with:
//   node bench/claims.mjs [--agents 8] [--trials 64] [--sleep 0.2] [--rounds 1] [--old DIR]

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = resolve(fileURLToPath(new URL("..", import.meta.url)));
const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};

if (process.argv[2] === "--worker") {
  // One agent: [--worker, root, home, sweepId, sleepS, outFile]
  const [, , , root, home, sweepId, sleepS, outFile] = process.argv;
  const storeJs = await import(join(root, "dist/store/store.js"));
  const { RunStore } = storeJs;
  const sweepJs = await import(join(root, "dist/store/sweeps.js"));
  const trialsJs = await import(join(root, "dist/trials/sweep.js"));
  const store = new RunStore(home);
  const finishedCache = new Map();
  const times = [];
  // A build from before claims reported their timings proposes and claims as its claimNextTrial did.
  const timed = typeof storeJs.withBriefDirLock === "function";
  if (!timed) await trialsJs.loadBayesProposer();
  for (;;) {
    const timings = {};
    let claim;
    if (timed) {
      const t0 = performance.now();
      claim = await trialsJs.claimNextTrial(store, sweepId, { retry: true, cwd: home, finishedCache, timings });
      timings.totalMs = performance.now() - t0;
    } else {
      const sweep = sweepJs.readSweep(home, sweepId);
      const t0 = performance.now();
      const proposal = trialsJs.proposeBayesTrial(store, sweep, finishedCache);
      const t1 = performance.now();
      claim = await sweepJs.claimTrial(store, sweepId, {
        cwd: home,
        finishedCache,
        lockTimeoutMs: trialsJs.CLAIM_LOCK_TIMEOUT_MS,
        choose: (fresh, trials) => trialsJs.chooseTrial(fresh, trials, true, proposal),
      });
      Object.assign(timings, { proposeMs: t1 - t0, totalMs: performance.now() - t0 });
    }
    if (claim.kind === "done") break;
    const claimMs = timed ? timings.beforeMs + timings.holdMs + timings.afterMs : timings.totalMs - timings.proposeMs;
    times.push({ first: times.length === 0, claim: claimMs, ...timings });
    await new Promise((r) => setTimeout(r, Number(sleepS) * 1000));
    const a = Number(claim.point.a),
      b = Number(claim.point.b);
    store.appendScalars(claim.run.id, [{ key: "loss", value: (a - 0.3) ** 2 + (b - 0.6) ** 2, step: null, t: Date.now() / 1000 }]);
    await store.updateRun(claim.run.id, (r) => {
      r.started ??= new Date().toISOString();
      r.stopped = new Date().toISOString();
      r.exit_status = 0;
    });
    store.removeLock(claim.run.id);
  }
  writeFileSync(outFile, JSON.stringify(times));
  process.exit(0);
}

// --smoke (what CI runs so the bench cannot rot): 2 agents, 4 trials of 0.05 s.
const SMOKE = process.argv.includes("--smoke");
const AGENTS = SMOKE ? 2 : Number(arg("agents", 8));
const TRIALS = SMOKE ? 4 : Number(arg("trials", 64));
const SLEEP_S = SMOKE ? 0.05 : Number(arg("sleep", 0.2));
const ROUNDS = SMOKE ? 1 : Number(arg("rounds", 1));
const OLD = arg("old", null);
const builds = [{ name: "this build", root: here }, ...(OLD ? [{ name: `old (${OLD})`, root: resolve(OLD) }] : [])];

const { createSweep: createSweepRecord } = await import(join(here, "dist/store/sweeps.js"));
const { parseSweepConfig } = await import(join(here, "dist/flags/sweep-config.js"));
/** A sweep from its YAML text, as `g sweep` makes it. */
const createSweep = (home, file, text, cwd) => createSweepRecord(home, file, text, parseSweepConfig(text, file), cwd);
const work = mkdtempSync(join(tmpdir(), "g-bench-claims-"));
const pct = (xs, p) => (xs.length === 0 ? NaN : [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))]);
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
try {
  const results = builds.map(() => ({ times: [], walls: [], loads: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [b, build] of builds.entries()) {
      const home = join(work, `r${round}-b${b}`);
      const yaml = `program: t.py\nmethod: bayes\nrun_cap: ${TRIALS}\nmetric: {name: loss, goal: minimize}\nparameters:\n  a: {min: 0.0, max: 1.0}\n  b: {min: 0.0, max: 1.0}\n`;
      const sweep = createSweep(home, "bench.yaml", yaml, work);
      const t0 = Date.now();
      const outs = await Promise.all(
        Array.from({ length: AGENTS }, (_, i) => {
          const out = join(work, `r${round}-b${b}-${i}.json`);
          const argv = [fileURLToPath(import.meta.url), "--worker", build.root, home, sweep.id, String(SLEEP_S), out];
          return new Promise((res, rej) =>
            spawn(process.execPath, argv, { stdio: "inherit" }).on("close", (code) =>
              code === 0 ? res(out) : rej(new Error(`worker exited ${code}`)),
            ),
          );
        }),
      );
      results[b].walls.push((Date.now() - t0) / 1000);
      results[b].loads.push(loadavg()[0]);
      results[b].times.push(...outs.flatMap((f) => JSON.parse(readFileSync(f, "utf8"))));
    }
  }
  const rows = builds.map((build, b) => {
    const all = results[b].times;
    const col = (key, from = all) => from.map((t) => t[key]).filter((v) => typeof v === "number");
    const claim = col("claim");
    // The wait: from asking for the lock to holding it (waitMs); a build from before the fourth
    // round reports only beforeMs, its wait with the run folder's mkdir before it.
    const waitMs = all.map((t) => t.waitMs ?? t.beforeMs).filter((v) => typeof v === "number");
    // The bench's first definition of a claim: from asking for the sweep's lock to holding the claim.
    const lockMs = all.map((t) => (t.waitMs ?? t.beforeMs) + t.holdMs).filter((v) => Number.isFinite(v));
    const later = col(
      "claim",
      all.filter((t) => !t.first),
    );
    return [
      build.name,
      String(all.length),
      fmt(pct(claim, 0.5)),
      fmt(pct(claim, 0.95)),
      fmt(pct(later, 0.95)),
      `${fmt(pct(lockMs, 0.5))} / ${fmt(pct(lockMs, 0.95))}`,
      `${fmt(pct(waitMs, 0.5))} / ${fmt(pct(waitMs, 0.95))}`,
      `${fmt(pct(col("holdMs"), 0.5))} / ${fmt(pct(col("holdMs"), 0.95))}`,
      `${fmt(pct(col("afterMs"), 0.5))} / ${fmt(pct(col("afterMs"), 0.95))}`,
      `${fmt(pct(col("proposeMs"), 0.5))} / ${fmt(pct(col("proposeMs"), 0.95))}`,
      results[b].walls.map((w) => w.toFixed(1)).join(", "),
      results[b].loads.map((l) => l.toFixed(1)).join(", "),
    ];
  });
  const headers = [
    "build",
    "claims",
    "claim p50 ms",
    "claim p95 ms",
    "p95 after each agent's first",
    "wait + hold p50 / p95",
    "wait p50 / p95",
    "hold p50 / p95",
    "after p50 / p95",
    "propose p50 / p95",
    "wall s",
    "load",
  ];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(
    `${AGENTS} bayes agents, ${TRIALS} trials of ${SLEEP_S} s, one store, ${ROUNDS} round(s) per build; claim = the store's whole claim: read and choose, wait for the sweep lock, hold it, after the release (ms):`,
  );
  console.log([line(headers), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...rows.map(line)].join("\n"));
  console.log(
    `\n${new Date().toISOString().slice(0, 16)} UTC, load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(
        " ",
      )}; wait/hold/after only where the build reports them (wait: from asking for the lock to holding it; a build before the fourth round counts its run folder's mkdir in it)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
