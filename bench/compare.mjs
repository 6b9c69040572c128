#!/usr/bin/env node
// Benchmark of `g compare -T` (npm run bench:compare): builds stores of 1 000,
// 10 000 and 100 000 generated runs (cached under bench/out/; from 10 000 runs
// on by copying a block of 1 000, see runs-fixtures/generate.mjs), warms the
// cache with one run, then times the median of several, with peak RSS, and
// prints a markdown table beside Guild's figure. Then the first compare of a
// store without any cache (no index, no summary.json), as after copying a
// store from a cluster (issue 18); --drop-caches also empties the page cache
// first (root only), for a cold disk. --old-bin times an earlier build beside
// (its cold rows only up to 10 000 runs: it takes minutes beyond). --cold-repeat N
// times N rounds of the first compare, the builds in turn, each on a fresh
// hard-linked copy of the store (cp -al: its own index files, the same file
// contents in the page cache), and prints each round's pair with the load.
//
//   node bench/compare.mjs [--sizes 1000,10000,100000] [--cold-sizes 10000,100000] [--repeat 5]
//                          [--cold-repeat 1] [--bin bin/g] [--old-bin PATH] [--drop-caches] [--out DIR]

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import os, { tmpdir } from "node:os";
import { dropPageCache, ensureStore, timeNode } from "./util.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** --smoke (what CI runs so the bench cannot rot): one store of 20 runs, once, in a temporary folder. */
const SMOKE = process.argv.includes("--smoke");
/** Where the generated stores are kept (--out DIR; several GB at 100 000 runs). */
const OUT_ARG = process.argv.indexOf("--out");
const OUT = SMOKE ? mkdtempSync(join(tmpdir(), "g-bench-compare-")) : OUT_ARG > 0 ? process.argv[OUT_ARG + 1] : join(ROOT, "bench", "out");
if (SMOKE) process.on("exit", () => rmSync(OUT, { recursive: true, force: true }));
const GUILD_SECONDS = { 1000: 2.2 };
const TARGET_SECONDS = { 1000: 0.15, 100000: 2 };
const TARGET_RSS_MB = 300;
/** First compare without caches (issue 18). */
const COLD_TARGET_SECONDS = { 10000: 3, 100000: 30 };
/** The old build's cold compare is timed only up to this many runs (it fsyncs two files a run). */
const OLD_COLD_MAX_RUNS = 10000;

function parseArgs(argv) {
  const opts = {
    sizes: [1000, 10000, 100000],
    coldSizes: [10000, 100000],
    repeat: 5,
    coldRepeat: 1,
    bin: join(ROOT, "bin", "g"),
    oldBin: null,
    dropCaches: false,
  };
  const list = (v) => (v === "" ? [] : v.split(",").map(Number));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--smoke") Object.assign(opts, { sizes: [20], coldSizes: [20], repeat: 1 });
    else if (a === "--sizes") opts.sizes = list(argv[++i]);
    else if (a === "--cold-sizes") opts.coldSizes = list(argv[++i]);
    else if (a === "--repeat") opts.repeat = Number(argv[++i]);
    else if (a === "--cold-repeat") opts.coldRepeat = Number(argv[++i]);
    else if (a === "--bin") opts.bin = argv[++i];
    else if (a === "--old-bin") opts.oldBin = argv[++i];
    else if (a === "--drop-caches") opts.dropCaches = true;
    else if (a === "--out")
      i++; // read above
    else {
      process.stderr.write(
        `bench: unknown argument "${a}"\nusage: node bench/compare.mjs [--sizes 1000,10000] [--cold-sizes 10000] [--repeat 5] [--cold-repeat 1] [--bin bin/g] [--old-bin PATH] [--drop-caches] [--out DIR]\n`,
      );
      process.exit(2);
    }
  }
  return opts;
}

/** One timed `g ARGS` with stdout to /dev/null: wall seconds, CPU seconds (user + sys) and peak RSS in MB. */
function timeOnce(bin, args, home) {
  return timeNode([bin, ...args], { G_HOME: home });
}

/** The first `g compare -T` of a store without caches: index files removed (and the page cache, when asked). */
function timeCold(bin, home, dropCaches) {
  for (const f of ["index.bin", "index.jsonl", "index-keys.txt"]) rmSync(join(home, f), { force: true });
  const dropped = dropCaches && dropPageCache();
  return { ...timeOnce(bin, ["compare", "-T"], home), dropped };
}

/** A copy of the store at `to` whose files are hard links to the store's (cp -al), or a full copy where that fails. */
function copyStore(from, to) {
  rmSync(to, { recursive: true, force: true });
  const linked = spawnSync("cp", ["-al", from, to]);
  if (linked.status !== 0) {
    rmSync(to, { recursive: true, force: true });
    cpSync(from, to, { recursive: true });
  }
}

/** A G_HOME beside `store` whose runs folder is a link to the store's: the same runs, its own index files. */
function ownHome(store, k) {
  const home = `${store}-build${k}`;
  if (!existsSync(home)) {
    mkdirSync(home);
    symlinkSync(join(store, "runs"), join(home, "runs"));
  }
  return home;
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
  if (!existsSync(join(ROOT, "dist", "bundle", "main.js")) && opts.bin === join(ROOT, "bin", "g")) {
    process.stderr.write("bench: g is not built; run `npm run build` first\n");
    process.exit(2);
  }
  const bins = [["g", opts.bin], ...(opts.oldBin ? [["old g", opts.oldBin]] : [])];
  const loads = [];
  const floor = [];
  for (let i = 0; i < opts.repeat; i++) floor.push(timeNode(["-e", "0"]));
  const rows = [summarize("node -e 0 (floor)", 0, floor)];
  const empty = join(tmpdir(), `g-bench-empty-${process.pid}`);
  for (const [name, bin] of bins) {
    const baseline = [];
    for (let i = 0; i < opts.repeat; i++) baseline.push(timeOnce(bin, ["compare", "-T"], empty));
    rows.push({ ...summarize(`${name}: empty store (start-up)`, 0, baseline), base: true });
  }

  for (const n of opts.sizes) {
    const store = ensureStore(n, { root: OUT });
    // Each build its own G_HOME over the same runs folder: their index files differ (index.bin since
    // issue 18's third round), and one build's index would send the other back to every run's files.
    const homes = bins.map((_, k) => (k === 0 ? store : ownHome(store, k)));
    bins.forEach(([, bin], k) => timeOnce(bin, ["compare", "-T"], homes[k])); // warm: builds any missing caches, fills the page cache
    const repeat = n >= 100000 ? Math.min(opts.repeat, 3) : opts.repeat;
    const samples = bins.map(() => []);
    // Interleaved, so a change of load hits both builds alike.
    for (let i = 0; i < repeat; i++) bins.forEach(([, bin], k) => samples[k].push(timeOnce(bin, ["compare", "-T"], homes[k])));
    loads.push(os.loadavg()[0]);
    bins.forEach(([name], k) => {
      const row = summarize(`${name}: ${n.toLocaleString("en")}`, n, samples[k]);
      rows.push(row);
      process.stderr.write(`bench: ${name} ${n} runs: ${row.seconds.toFixed(3)} s\n`);
    });
  }

  const pairLines = [];
  for (const n of opts.coldSizes) {
    const home = ensureStore(n, { summary: false, root: OUT });
    const coldBins = bins.filter(([name]) => name === "g" || n <= OLD_COLD_MAX_RUNS);
    const samples = coldBins.map(() => []);
    // Rounds of the builds in turn, each on its own fresh copy, so a change of load hits both alike.
    for (let round = 0; round < opts.coldRepeat; round++) {
      const load = os.loadavg()[0];
      // Each round the other build goes first.
      const order = coldBins.map((_, k) => k);
      if (round % 2 === 1) order.reverse();
      for (const k of order) {
        const [name, bin] = coldBins[k];
        const copy = join(OUT, `cold-copy-${process.pid}`);
        copyStore(home, copy);
        const r = timeCold(bin, copy, opts.dropCaches);
        rmSync(copy, { recursive: true, force: true });
        samples[k].push(r);
        process.stderr.write(`bench: ${name} ${n} runs without caches: ${r.seconds.toFixed(3)} s\n`);
      }
      loads.push(load, os.loadavg()[0]);
      pairLines.push(
        `| ${n.toLocaleString("en")} | ${round + 1} | ${load.toFixed(1)} | ` +
          coldBins
            .map((_, k) => `${samples[k][round].seconds.toFixed(3)} s (CPU ${samples[k][round].cpu?.toFixed(2) ?? "–"})`)
            .join(" | ") +
          " |",
      );
    }
    coldBins.forEach(([name], k) => {
      const disk = samples[k].some((r) => r.dropped) ? "cold disk" : "page cache warm";
      const label = `${name}: ${n.toLocaleString("en")} without caches (first run, ${disk}${opts.coldRepeat > 1 ? `, ${opts.coldRepeat} rounds` : ""})`;
      rows.push({ ...summarize(label, n, samples[k]), cold: true });
    });
  }

  const fmt = (x, d = 3) => (x === null ? "–" : x.toFixed(d));
  const lines = [
    `\`g compare -T\` > /dev/null; warm rows: median of ${opts.repeat} (3 for 100 000) after one warming run, builds interleaved; ` +
      `node ${process.version}, ${os.cpus().length} CPUs, load average ${Math.min(...loads, 99).toFixed(1)}–${Math.max(...loads, 0).toFixed(1)}`,
    "",
    "| runs | wall s (median) | wall s (best) | CPU s | CPU µs per run | peak RSS MB | target | Guild 0.9 |",
    "|---|---:|---:|---:|---:|---:|---|---:|",
  ];
  for (const r of rows) {
    const base = rows.find((b) => b.base && r.label.startsWith(b.label.split(":")[0] + ":"));
    const perRun = r.n > 0 && r.cpu !== null && base?.cpu != null ? (((r.cpu - base.cpu) / r.n) * 1e6).toFixed(0) : "";
    const mine = r.label.startsWith("g:");
    const target = !mine
      ? ""
      : r.cold
        ? COLD_TARGET_SECONDS[r.n] !== undefined
          ? `≤ ${COLD_TARGET_SECONDS[r.n]} s`
          : ""
        : TARGET_SECONDS[r.n] !== undefined
          ? `≤ ${TARGET_SECONDS[r.n]} s${r.n >= 100000 ? `, ≤ ${TARGET_RSS_MB} MB` : ""}`
          : "";
    const guild = !r.cold && mine && GUILD_SECONDS[r.n] !== undefined ? `${GUILD_SECONDS[r.n]} s` : "";
    lines.push(
      `| ${r.label} | ${fmt(r.seconds)} | ${fmt(r.best)} | ${fmt(r.cpu, 2)} | ${perRun} | ${r.rssMb.toFixed(0)} | ${target} | ${guild} |`,
    );
  }
  lines.push("", "CPU µs per run: (CPU s − the same build's empty-store CPU s) / runs; a flat column means linear growth.");
  if (opts.coldRepeat > 1 && pairLines.length > 0) {
    const names = bins.map(([name]) => name);
    lines.push(
      "",
      "First compare without caches, round by round (each build on a fresh hard-linked copy; load average at the round's start):",
      "",
      `| runs | round | load | ${names.map((x) => `${x} wall (CPU s)`).join(" | ")} |`,
      `|---:|---:|---:|${names.map(() => "---:").join("|")}|`,
      ...pairLines,
    );
  }
  process.stdout.write(lines.join("\n") + "\n");
}

main();
