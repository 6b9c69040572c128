#!/usr/bin/env node
// Benchmark of `g compare -T` (npm run bench:compare): builds stores of 1 000,
// 10 000 and 100 000 generated runs (cached under bench/out/), warms the
// cache with one run, then times the median of several, with peak RSS, and
// prints a markdown table beside Guild's figure.
//
//   node bench/compare.mjs [--sizes 1000,10000,100000] [--repeat 5] [--bin bin/g]

import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import os, { tmpdir } from "node:os";
import { generateStore } from "../runs-fixtures/generate.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** --smoke (what CI runs so the bench cannot rot): one store of 20 runs, once, in a temporary folder. */
const SMOKE = process.argv.includes("--smoke");
const OUT = SMOKE ? mkdtempSync(join(tmpdir(), "g-bench-compare-")) : join(ROOT, "bench", "out");
if (SMOKE) process.on("exit", () => rmSync(OUT, { recursive: true, force: true }));
const GUILD_SECONDS = { 1000: 2.2 };
const TARGET_SECONDS = { 1000: 0.15, 100000: 5 };
const TARGET_RSS_MB = 500;
const TIME_BIN = "/usr/bin/time";

function parseArgs(argv) {
  const opts = { sizes: [1000, 10000, 100000], repeat: 5, bin: join(ROOT, "bin", "g") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--smoke") Object.assign(opts, { sizes: [20], repeat: 1 });
    else if (a === "--sizes") opts.sizes = argv[++i].split(",").map(Number);
    else if (a === "--repeat") opts.repeat = Number(argv[++i]);
    else if (a === "--bin") opts.bin = argv[++i];
    else {
      process.stderr.write(
        `bench: unknown argument "${a}"\nusage: node bench/compare.mjs [--sizes 1000,10000] [--repeat 5] [--bin bin/g]\n`,
      );
      process.exit(2);
    }
  }
  return opts;
}

/** A store of n runs under bench/out, generated once (the marker file says it is whole). */
function ensureStore(n) {
  const home = join(OUT, `store-${n}`);
  const marker = join(home, "complete");
  if (existsSync(marker)) return home;
  rmSync(home, { recursive: true, force: true });
  process.stderr.write(`bench: generating ${n} runs in ${home} ...\n`);
  const t0 = performance.now();
  generateStore({ runs: n, out: home, seed: "bench" });
  writeFileSync(marker, `${n} runs, seed bench\n`);
  process.stderr.write(`bench: generated in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return home;
}

/** One timed `g ARGS` with stdout to /dev/null: wall seconds, CPU seconds (user + sys) and peak RSS in MB. */
function timeOnce(bin, args, home) {
  const devnull = openSync("/dev/null", "w");
  const useTime = existsSync(TIME_BIN);
  const rssFile = join(tmpdir(), `g-bench-rss-${process.pid}`);
  const cmd = useTime ? TIME_BIN : process.execPath;
  const argv = useTime ? ["-f", "%M %U %S", "-o", rssFile, process.execPath, bin, ...args] : [bin, ...args];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { env: { ...process.env, G_HOME: home, NO_COLOR: "1" }, stdio: ["ignore", devnull, "pipe"] });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`g ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  let rssMb = null;
  let cpu = null;
  if (useTime) {
    const [kb, user, sys] = readFileSync(rssFile, "utf8").trim().split("\n").pop().split(" ").map(Number);
    rssMb = kb / 1024;
    cpu = user + sys;
    rmSync(rssFile, { force: true });
  }
  return { seconds, cpu, rssMb };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarize(label, n, samples) {
  const cpus = samples.map((r) => r.cpu).filter((c) => c !== null);
  return {
    label,
    n,
    seconds: median(samples.map((r) => r.seconds)),
    best: Math.min(...samples.map((r) => r.seconds)),
    cpu: cpus.length > 0 ? median(cpus) : null,
    rssMb: Math.max(...samples.map((r) => r.rssMb ?? 0)),
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(join(ROOT, "dist", "cli", "main.js")) && opts.bin === join(ROOT, "bin", "g")) {
    process.stderr.write("bench: g is not built; run `npm run build` first\n");
    process.exit(2);
  }
  const empty = join(OUT, "store-0");
  const baseline = [];
  for (let i = 0; i < opts.repeat; i++) baseline.push(timeOnce(opts.bin, ["compare", "-T"], empty));
  const rows = [summarize("empty store (start-up)", 0, baseline)];

  for (const n of opts.sizes) {
    const home = ensureStore(n);
    timeOnce(opts.bin, ["compare", "-T"], home); // warm: builds any missing summary caches, fills the page cache
    const repeat = n >= 100000 ? Math.min(opts.repeat, 3) : opts.repeat;
    const samples = [];
    for (let i = 0; i < repeat; i++) samples.push(timeOnce(opts.bin, ["compare", "-T"], home));
    const row = summarize(n.toLocaleString("en"), n, samples);
    rows.push(row);
    process.stderr.write(`bench: ${n} runs: ${row.seconds.toFixed(3)} s\n`);
  }

  // The first compare of runs whose summary caches are missing (a store from before the
  // cache, or copied without it) reads every scalars.jsonl and writes the caches.
  // The smoke run makes this store of 20 runs too (1 000 takes seconds).
  const coldRuns = SMOKE ? 20 : 1000;
  const cold = join(tmpdir(), `g-bench-nosummary-${process.pid}`);
  generateStore({ runs: coldRuns, out: cold, seed: "bench", summary: false });
  rows.push({
    ...summarize(`${coldRuns.toLocaleString("en")} without summary caches (first run)`, coldRuns, [
      timeOnce(opts.bin, ["compare", "-T"], cold),
    ]),
    cold: true,
  });
  rmSync(cold, { recursive: true, force: true });

  const base = rows[0];
  const fmt = (x, d = 3) => (x === null ? "–" : x.toFixed(d));
  const lines = [
    `\`g compare -T\` > /dev/null on a warm cache; median of ${opts.repeat} (3 for 100 000); node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at the end`,
    "",
    "| runs | wall s (median) | wall s (best) | CPU s | CPU µs per run | peak RSS MB | target | Guild 0.9 |",
    "|---:|---:|---:|---:|---:|---:|---|---:|",
  ];
  for (const r of rows) {
    const perRun = r.n > 0 && r.cpu !== null && base.cpu !== null ? (((r.cpu - base.cpu) / r.n) * 1e6).toFixed(0) : "";
    const target =
      !r.cold && TARGET_SECONDS[r.n] !== undefined ? `≤ ${TARGET_SECONDS[r.n]} s${r.n >= 100000 ? `, ≤ ${TARGET_RSS_MB} MB` : ""}` : "";
    const guild = !r.cold && GUILD_SECONDS[r.n] !== undefined ? `${GUILD_SECONDS[r.n]} s` : "";
    lines.push(
      `| ${r.label} | ${fmt(r.seconds)} | ${fmt(r.best)} | ${fmt(r.cpu, 2)} | ${perRun} | ${r.rssMb.toFixed(0)} | ${target} | ${guild} |`,
    );
  }
  lines.push("", "CPU µs per run: (CPU s − the empty store's CPU s) / runs; a flat column means linear growth.");
  process.stdout.write(lines.join("\n") + "\n");
}

main();
