#!/usr/bin/env node
// Benchmark of `g compare -T` (npm run bench:compare): builds stores of 1 000,
// 10 000 and 100 000 generated runs (cached under bench/out/), warms the
// cache with one run, then times the median of several, with peak RSS, and
// prints a markdown table beside Guild's figure.
//
//   node bench/compare.mjs [--sizes 1000,10000,100000] [--repeat 5] [--bin bin/g]

import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { generateStore } from "../runs-fixtures/generate.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const OUT = join(ROOT, "bench", "out");
const GUILD_SECONDS = { 1000: 2.2 };
const TARGET_SECONDS = { 1000: 0.15, 100000: 5 };
const TARGET_RSS_MB = 500;
const TIME_BIN = "/usr/bin/time";

function parseArgs(argv) {
  const opts = { sizes: [1000, 10000, 100000], repeat: 5, bin: join(ROOT, "bin", "g") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--sizes") opts.sizes = argv[++i].split(",").map(Number);
    else if (a === "--repeat") opts.repeat = Number(argv[++i]);
    else if (a === "--bin") opts.bin = argv[++i];
    else {
      process.stderr.write(`bench: unknown argument "${a}"\nusage: node bench/compare.mjs [--sizes 1000,10000] [--repeat 5] [--bin bin/g]\n`);
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

/** One timed `g ARGS` with stdout to /dev/null: wall seconds and peak RSS in MB. */
function timeOnce(bin, args, home) {
  const devnull = openSync("/dev/null", "w");
  const useTime = existsSync(TIME_BIN);
  const rssFile = join(tmpdir(), `g-bench-rss-${process.pid}`);
  const cmd = useTime ? TIME_BIN : process.execPath;
  const argv = useTime ? ["-f", "%M", "-o", rssFile, process.execPath, bin, ...args] : [bin, ...args];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { env: { ...process.env, G_HOME: home, NO_COLOR: "1" }, stdio: ["ignore", devnull, "pipe"] });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`g ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  let rssMb = null;
  if (useTime) {
    rssMb = Number(readFileSync(rssFile, "utf8").trim().split("\n").pop()) / 1024;
    rmSync(rssFile, { force: true });
  }
  return { seconds, rssMb };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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
  const rows = [["empty store (node start-up)", median(baseline.map((b) => b.seconds)), Math.max(...baseline.map((b) => b.rssMb ?? 0)), null]];

  for (const n of opts.sizes) {
    const home = ensureStore(n);
    timeOnce(opts.bin, ["compare", "-T"], home); // warm: builds any missing summary caches, fills the page cache
    const repeat = n >= 100000 ? Math.min(opts.repeat, 3) : opts.repeat;
    const runs = [];
    for (let i = 0; i < repeat; i++) runs.push(timeOnce(opts.bin, ["compare", "-T"], home));
    rows.push([n, median(runs.map((r) => r.seconds)), Math.max(...runs.map((r) => r.rssMb ?? 0)), runs.length]);
    process.stderr.write(`bench: ${n} runs: ${median(runs.map((r) => r.seconds)).toFixed(3)} s\n`);
  }

  const lines = [
    `\`g compare -T\` > /dev/null, warm cache, median of ${opts.repeat} (3 for 100 000); node ${process.version}`,
    "",
    "| runs | g seconds | µs per run | peak RSS (MB) | target | Guild 0.9 |",
    "|---:|---:|---:|---:|---|---:|",
  ];
  const base = rows[0][1];
  for (const [n, s, rss] of rows) {
    if (typeof n !== "number") {
      lines.push(`| ${n} | ${s.toFixed(3)} | | ${rss.toFixed(0)} | | |`);
      continue;
    }
    const target = TARGET_SECONDS[n] !== undefined ? `≤ ${TARGET_SECONDS[n]} s${n >= 100000 ? `, ≤ ${TARGET_RSS_MB} MB` : ""}` : "";
    const perRun = (((s - base) / n) * 1e6).toFixed(0);
    lines.push(`| ${n.toLocaleString("en")} | ${s.toFixed(3)} | ${perRun} | ${rss.toFixed(0)} | ${target} | ${GUILD_SECONDS[n] !== undefined ? GUILD_SECONDS[n] + " s" : ""} |`);
  }
  lines.push("", "µs per run: (seconds − empty-store seconds) / runs; flat means linear growth.");
  process.stdout.write(lines.join("\n") + "\n");
}

main();
