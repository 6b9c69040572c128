#!/usr/bin/env node
// Benchmark of `g runs` (the 20 newest) and `g runs -a` on a big store
// (npm run bench:runs, issue 18), side by side with `node -e 0` (the floor)
// and, with --old-bin, an earlier build of g, in one run. The store is
// generated once under bench/out/ and warmed (index built) before timing.
//
//   node bench/runs.mjs [--runs 100000] [--repeat 5] [--old-bin /path/to/old/bin/g] [--out DIR]
// --smoke (what CI runs so the bench cannot rot): 30 runs, once, in a temporary folder.

import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ensureStore, median, timeNode } from "./util.mjs";

const SMOKE = process.argv.includes("--smoke");
const ROOT_DIR = SMOKE ? mkdtempSync(join(tmpdir(), "g-bench-runs-")) : undefined;
if (ROOT_DIR) process.on("exit", () => rmSync(ROOT_DIR, { recursive: true, force: true }));

const TARGET_SECONDS = 0.3;

function parseArgs(argv) {
  const opts = { runs: 100000, repeat: 5, oldBin: null, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--smoke") Object.assign(opts, { runs: 30, repeat: 1 });
    else if (a === "--runs") opts.runs = Number(argv[++i]);
    else if (a === "--repeat") opts.repeat = Number(argv[++i]);
    else if (a === "--old-bin") opts.oldBin = argv[++i];
    else if (a === "--out")
      opts.out = argv[++i]; // where the store is kept (bench/out/ by default; some 4 GB at 100 000 runs)
    else {
      process.stderr.write(
        `bench: unknown argument "${a}"\nusage: node bench/runs.mjs [--runs 100000] [--repeat 5] [--old-bin PATH] [--out DIR]\n`,
      );
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1 || !Number.isInteger(opts.repeat) || opts.repeat < 1) {
    process.stderr.write("bench: --runs and --repeat take whole numbers >= 1\n");
    process.exit(2);
  }
  return opts;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const root = ROOT_DIR ?? opts.out;
  const home = ensureStore(opts.runs, root ? { root } : {});
  const cases = [{ label: "node -e 0 (floor)", argv: ["-e", "0"], env: { G_HOME: home } }];
  const builds = [["g", BIN], ...(opts.oldBin ? [["old g", opts.oldBin]] : [])];
  builds.forEach(([name, bin], k) => {
    // Each build its own G_HOME over the same runs: two builds' caches in one home would send
    // each other back to the run files (and the other build's "changed" row would move the
    // folder before this build's plain row).
    const env = { G_HOME: ownHome(home, k) };
    // Warm: the first call builds what the build caches (index, keys) and fills the page cache.
    timeNode([bin, "compare", "-T"], env);
    timeNode([bin, "runs"], env);
    cases.push(
      // Steady state: the last listing is current (an untimed call first, as after any g command).
      { label: `${name} runs`, argv: [bin, "runs"], env, before: () => timeNode([bin, "runs"], env) },
      // The runs folder changed since the last listing (a folder made and removed in it, as a run's
      // .new- folder is): g runs lists it again and rewrites runs-order.txt.
      { label: `${name} runs, runs/ changed`, argv: [bin, "runs"], env, before: () => touchRunsFolder(home) },
      { label: `${name} runs -a`, argv: [bin, "runs", "-a"], env },
    );
  });
  // Interleaved, so a change of load hits every case alike.
  const samples = cases.map(() => []);
  const loads = [];
  for (let i = 0; i < opts.repeat; i++) {
    cases.forEach((c, k) => {
      c.before?.();
      samples[k].push(timeNode(c.argv, c.env));
    });
    loads.push(os.loadavg()[0]);
  }
  const fmt = (x, d = 3) => (x === null ? "–" : x.toFixed(d));
  const lines = [
    `\`g runs\` > /dev/null, ${opts.runs.toLocaleString("en")} runs (page cache warm, index built); median of ${opts.repeat}, interleaved; ` +
      `node ${process.version}, ${os.cpus().length} CPUs, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
    "",
    "| command | wall s (median) | wall s (best) | CPU s | peak RSS MB | target |",
    "|---|---:|---:|---:|---:|---|",
  ];
  cases.forEach((c, k) => {
    const s = samples[k];
    const cpus = s.map((r) => r.cpu).filter((x) => x !== null);
    const target = c.label === "g runs" ? `≤ ${TARGET_SECONDS} s` : "";
    lines.push(
      `| ${c.label} | ${fmt(median(s.map((r) => r.seconds)))} | ${fmt(Math.min(...s.map((r) => r.seconds)))} | ${cpus.length ? fmt(median(cpus), 2) : "–"} | ${Math.max(...s.map((r) => r.rssMb ?? 0)).toFixed(0)} | ${target} |`,
    );
  });
  process.stdout.write(lines.join("\n") + "\n");
}

/** A G_HOME beside `home` whose runs folder is a link to its runs: the same runs, its own caches. */
function ownHome(home, k) {
  const own = `${home}-build${k}`;
  if (!existsSync(own)) {
    mkdirSync(own);
    symlinkSync(join(home, "runs"), join(own, "runs"));
  }
  return own;
}

/** Moves the runs folder's ctime and mtime without changing its runs. */
function touchRunsFolder(home) {
  const dir = join(home, "runs", ".bench-touch");
  mkdirSync(dir);
  rmSync(dir, { recursive: true });
}

main();
