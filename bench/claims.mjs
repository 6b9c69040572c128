// Claim latency of 8 bayes (gp) agents on one store, proposing outside the
// sweep's lock (as g agent does) and, side by side, inside it (as before
// issue 15). Each worker process claims, "runs" its trial (sleeps, logs a
// loss, finishes the run) and claims again; it times the gp proposal and the
// claim (waiting for the lock + holding it) separately. Build first
// (npm run build); run with: node bench/claims.mjs [--agents 8] [--trials 64] [--sleep 0.2]

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};

if (process.argv[2] === "--worker") {
  // One agent: [--worker, home, sweepId, mode, sleepS, outFile]
  const [, , , home, sweepId, mode, sleepS, outFile] = process.argv;
  const { RunStore } = await import(join(root, "dist/store/store.js"));
  const { claimTrial, readSweep } = await import(join(root, "dist/store/sweeps.js"));
  const { chooseTrial, loadBayesProposer, proposeBayesTrial, CLAIM_LOCK_TIMEOUT_MS } = await import(join(root, "dist/trials/sweep.js"));
  await loadBayesProposer();
  const store = new RunStore(home);
  const sweep = readSweep(home, sweepId);
  const finishedCache = new Map();
  const times = [];
  for (;;) {
    const t0 = performance.now();
    const outside = mode === "outside" ? proposeBayesTrial(store, sweep, finishedCache) : null;
    const t1 = performance.now();
    let inside = 0;
    const claim = await claimTrial(store, sweepId, {
      cwd: home,
      finishedCache,
      lockTimeoutMs: CLAIM_LOCK_TIMEOUT_MS,
      choose: (fresh, trials) => {
        if (mode === "outside") return chooseTrial(fresh, trials, true, outside);
        const s = performance.now();
        const proposal = proposeBayesTrial(store, fresh, finishedCache);
        inside = performance.now() - s;
        return chooseTrial(fresh, trials, true, proposal);
      },
    });
    const t2 = performance.now();
    if (claim.kind === "done") break;
    times.push({ propose: mode === "outside" ? t1 - t0 : inside, claim: t2 - t1 });
    await new Promise((r) => setTimeout(r, Number(sleepS) * 1000));
    const a = Number(claim.point.a),
      b = Number(claim.point.b);
    store.appendScalars(claim.run.id, [{ key: "loss", value: (a - 0.3) ** 2 + (b - 0.6) ** 2, step: null, t: Date.now() / 1000 }]);
    await store.updateRun(claim.run.id, (r) => {
      r.started = r.stopped = new Date().toISOString();
      r.exit_status = 0;
    });
    store.removeLock(claim.run.id);
  }
  writeFileSync(outFile, JSON.stringify(times));
  process.exit(0);
}

// --smoke (what CI runs so the bench cannot rot): 2 agents, 4 trials of 0.05 s.
const SMOKE = process.argv.includes("--smoke");
const AGENTS = SMOKE ? 2 : arg("agents", 8);
const TRIALS = SMOKE ? 4 : arg("trials", 64);
const SLEEP_S = SMOKE ? 0.05 : arg("sleep", 0.2);
const { createSweep: createSweepRecord } = await import(join(root, "dist/store/sweeps.js"));
const { parseSweepConfig } = await import(join(root, "dist/flags/sweep-config.js"));
/** A sweep from its YAML text, as `g sweep` makes it. */
const createSweep = (home, file, text, cwd) => createSweepRecord(home, file, text, parseSweepConfig(text, file), cwd);
const work = mkdtempSync(join(tmpdir(), "g-bench-claims-"));
const pct = (xs, p) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
try {
  const rows = [];
  for (const mode of ["inside", "outside"]) {
    const home = join(work, mode);
    const yaml = `program: t.py\nmethod: bayes\nrun_cap: ${TRIALS}\nmetric: {name: loss, goal: minimize}\nparameters:\n  a: {min: 0.0, max: 1.0}\n  b: {min: 0.0, max: 1.0}\n`;
    const sweep = createSweep(home, "bench.yaml", yaml, work);
    const t0 = Date.now();
    const outs = await Promise.all(
      Array.from({ length: AGENTS }, (_, i) => {
        const out = join(work, `${mode}-${i}.json`);
        return new Promise((res, rej) =>
          spawn(process.execPath, [fileURLToPath(import.meta.url), "--worker", home, sweep.id, mode, String(SLEEP_S), out], {
            stdio: "inherit",
          }).on("close", (code) => (code === 0 ? res(out) : rej(new Error(`worker exited ${code}`)))),
        );
      }),
    );
    const wall = (Date.now() - t0) / 1000;
    const all = outs.flatMap((f) => JSON.parse(readFileSync(f, "utf8")));
    const claim = all.map((t) => t.claim);
    const propose = all.map((t) => t.propose);
    rows.push([
      mode === "inside" ? "inside the lock (before)" : "outside the lock (now)",
      String(all.length),
      pct(claim, 0.5).toFixed(1),
      pct(claim, 0.95).toFixed(1),
      pct(propose, 0.5).toFixed(1),
      pct(propose, 0.95).toFixed(1),
      wall.toFixed(1),
    ]);
  }
  const headers = ["gp proposal", "claims", "claim p50 ms", "claim p95 ms", "propose p50 ms", "propose p95 ms", "wall s"];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(`${AGENTS} bayes agents, ${TRIALS} trials of ${SLEEP_S} s, one store (claim = waiting for the sweep lock + holding it):`);
  console.log([line(headers), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...rows.map(line)].join("\n"));
  console.log(
    `\n${new Date().toISOString().slice(0, 16)} UTC, load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
