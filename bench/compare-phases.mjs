#!/usr/bin/env node
// Where a warm `g compare -T` spends its time (npm run bench:compare-phases):
// its four phases run in process from a build's dist/ (tsc's modules, not the
// bundle) over a generated store with its index made: listing (snapshot,
// run.json stats, unfinished runs read from their files), selection, building
// the rows, writing the table to /dev/null. Wall and CPU milliseconds (CPU of
// every thread: process.cpuUsage) and the heap after each phase; this build
// and --old ROOT's alternate, each round in fresh processes, and the table
// gives the median of the rounds.
//
//   node bench/compare-phases.mjs [--runs 100000] [--rounds 3] [--old ROOT] [--out DIR]

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureStore, median, table } from "./util.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SMOKE = process.argv.includes("--smoke");
const PHASES = ["listing", "selection", "rows", "table"];

function parseArgs(argv) {
  const opts = { runs: 100000, rounds: 3, old: null, out: join(ROOT, "bench", "out") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--smoke") Object.assign(opts, { runs: 20, rounds: 1, out: mkdtempSync(join(tmpdir(), "g-bench-phases-")) });
    else if (a === "--runs") opts.runs = Number(argv[++i]);
    else if (a === "--rounds") opts.rounds = Number(argv[++i]);
    else if (a === "--old") opts.old = argv[++i];
    else if (a === "--out") opts.out = argv[++i];
    else {
      process.stderr.write(
        `bench: unknown argument "${a}"\nusage: node bench/compare-phases.mjs [--runs N] [--rounds N] [--old ROOT] [--out DIR]\n`,
      );
      process.exit(2);
    }
  }
  return opts;
}

// Run in a fresh node for each measurement: the phases of compareCommand, as src/commands/compare.ts calls them.
const CHILD = `
const [dist] = process.argv.slice(1);
const { openSync, writeSync } = await import("node:fs");
const { RunStore } = await import(dist + "/store/store.js");
const { loadCompareRuns } = await import(dist + "/commands/compare.js");
// A build from before the snapshot kept cells (SNAPSHOT_CELL_TEXTS) or the table took bytes (emitBytes) ignores them.
const { buildCompareData, SNAPSHOT_CELL_TEXTS } = await import(dist + "/query/compare-data.js");
const { emitTable } = await import(dist + "/format/table.js");
const out = [];
let t = performance.now(), c = process.cpuUsage();
const mark = () => {
  const t2 = performance.now(), c2 = process.cpuUsage();
  out.push({ wall: t2 - t, cpu: (c2.user + c2.system - c.user - c.system) / 1000, heap: process.memoryUsage().heapUsed / 1048576 });
  t = performance.now();
  c = process.cpuUsage();
};
const store = new RunStore(process.env.G_HOME);
// As compare -T lists (the summaries' numbers unread until asked for: index.bin version 5; an older build ignores it).
const listing = store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS, { values: false }); mark();
const { runs } = loadCompareRuns(store, [], {}, listing); mark();
const data = buildCompareData({ runs, now: Date.now() }); mark();
const fd = openSync("/dev/null", "w");
emitTable(data, { color: false, emitBytes: (b) => writeSync(fd, b) }, (s) => writeSync(fd, s)); mark();
process.stdout.write(JSON.stringify({ phases: out, rss: process.memoryUsage().rss / 1048576, rows: data.rows.length }));
`;

function measure(dist, home) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD, pathToFileURL(dist).href], {
    env: { ...process.env, G_HOME: home },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`phases of ${dist} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const home = ensureStore(opts.runs, { root: opts.out });
  const builds = [["g", join(ROOT, "dist")], ...(opts.old ? [["old g", join(opts.old, "dist")]] : [])];
  // Each build its own G_HOME over the same runs folder (index.bin of one build is not the other's to trust).
  const homes = builds.map((_, k) => (k === 0 ? home : `${home}-build${k}`));
  for (const [k, [, dist]] of builds.entries()) {
    if (k > 0 && !existsSync(homes[k])) {
      mkdirSync(homes[k]);
      symlinkSync(join(home, "runs"), join(homes[k], "runs"));
    }
    measure(dist, homes[k]); // makes the index, fills the page cache
  }
  const samples = builds.map(() => []);
  const loads = [];
  for (let i = 0; i < opts.rounds; i++) {
    builds.forEach(([, dist], k) => samples[k].push(measure(dist, homes[k])));
    loads.push(os.loadavg()[0]);
  }
  const rows = [];
  PHASES.forEach((phase, p) => {
    const row = [phase];
    for (const s of samples) {
      row.push(median(s.map((x) => x.phases[p].wall)).toFixed(0), median(s.map((x) => x.phases[p].cpu)).toFixed(0));
      row.push(median(s.map((x) => x.phases[p].heap)).toFixed(0));
    }
    rows.push(row);
  });
  const total = ["all four"];
  for (const s of samples) {
    total.push(median(s.map((x) => x.phases.reduce((a, ph) => a + ph.wall, 0))).toFixed(0));
    total.push(median(s.map((x) => x.phases.reduce((a, ph) => a + ph.cpu, 0))).toFixed(0));
    total.push(`RSS ${Math.max(...s.map((x) => x.rss)).toFixed(0)}`);
  }
  rows.push(total);
  const headers = ["phase"];
  for (const [name] of builds) headers.push(`${name} wall ms`, `${name} CPU ms`, `${name} heap MB`);
  process.stdout.write(
    `warm \`g compare -T\` of ${opts.runs.toLocaleString("en")} runs in process, median of ${opts.rounds} rounds, builds alternated; ` +
      `node ${process.version}, ${os.cpus().length} CPUs, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}\n\n` +
      table(headers, rows) +
      "\n",
  );
  if (SMOKE) rmSync(opts.out, { recursive: true, force: true });
}

main();
