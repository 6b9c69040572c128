#!/usr/bin/env node
// What reading index.bin costs the main thread of a warm `g compare -T`
// (npm run bench:snapshot-read): the file's size, the bytes compare -T reads
// of it (version 5 leaves the summaries' numbers, its cold part, unread), and
// the time of `Snapshot.read` (the reads into shared memory, page faults
// included, the checksum, the section views) in a fresh process, wall and
// CPU; this build and --old ROOT's alternate, each over its own G_HOME on the
// same runs (its own index.bin, made by one `g compare -T` when missing).
//
//   node bench/snapshot-read.mjs [--runs 100000] [--rounds 5] [--old ROOT] [--out DIR]

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureStore, median, table } from "./util.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SMOKE = process.argv.includes("--smoke");

function parseArgs(argv) {
  const opts = { runs: 100000, rounds: 5, old: null, out: join(ROOT, "bench", "out") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--smoke")
      Object.assign(opts, { runs: 200, rounds: 1, out: mkdtempSync(join(tmpdir(), "g-bench-snapread-")) }); // 200: enough runs for an index.bin;
    else if (a === "--runs") opts.runs = Number(argv[++i]);
    else if (a === "--rounds") opts.rounds = Number(argv[++i]);
    else if (a === "--old") opts.old = argv[++i];
    else if (a === "--out") opts.out = argv[++i];
    else {
      process.stderr.write(
        `bench: unknown argument "${a}"\nusage: node bench/snapshot-read.mjs [--runs N] [--rounds N] [--old ROOT] [--out DIR]\n`,
      );
      process.exit(2);
    }
  }
  return opts;
}

// In a fresh node each time: Snapshot.read as compare -T calls it (a build before version 5 takes the path alone),
// then the bytes it holds (its shared memory: the hot part, or the whole file before version 5).
const CHILD = `
const [dist, path] = process.argv.slice(1);
const { Snapshot } = await import(dist + "/store/index-snapshot.js");
const t = performance.now(), c = process.cpuUsage();
const snapshot = Snapshot.read(path, false);
const wall = performance.now() - t, u = process.cpuUsage(c);
if (snapshot === null) throw new Error("index.bin not read");
process.stdout.write(JSON.stringify({ wall, cpu: (u.user + u.system) / 1000, held: snapshot.shared().byteLength, runs: snapshot.count }));
`;

function measure(dist, path) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD, pathToFileURL(dist).href, path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`snapshot read of ${dist} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const home = ensureStore(opts.runs, { root: opts.out });
  const builds = [["g", ROOT], ...(opts.old ? [["old g", opts.old]] : [])];
  // The G_HOMEs of bench:compare and bench:compare-phases: the store's own for this build, store-build1 for the old.
  const homes = builds.map((_, k) => (k === 0 ? home : `${home}-build${k}`));
  for (const [k, [, root]] of builds.entries()) {
    if (k > 0 && !existsSync(homes[k])) {
      mkdirSync(homes[k]);
      symlinkSync(join(home, "runs"), join(homes[k], "runs"));
    }
    const made = spawnSync(process.execPath, [join(root, "bin", "g"), "compare", "-T"], {
      env: { ...process.env, G_HOME: homes[k] },
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (made.status !== 0) throw new Error(`g compare -T of ${root} exited ${made.status}: ${made.stderr}`);
  }
  const samples = builds.map(() => []);
  const loads = [];
  for (let i = 0; i < opts.rounds; i++) {
    builds.forEach(([, root], k) => samples[k].push(measure(join(root, "dist"), join(homes[k], "index.bin"))));
    loads.push(os.loadavg()[0]);
  }
  const mb = (bytes) => (bytes / 1048576).toFixed(1);
  const rows = builds.map(([name], k) => [
    name,
    samples[k][0].runs.toLocaleString("en"),
    mb(statSync(join(homes[k], "index.bin")).size),
    mb(samples[k][0].held),
    median(samples[k].map((s) => s.wall)).toFixed(0),
    Math.min(...samples[k].map((s) => s.wall)).toFixed(0),
    median(samples[k].map((s) => s.cpu)).toFixed(0),
  ]);
  process.stdout.write(
    `Snapshot.read of index.bin as \`g compare -T\` reads it, ${opts.runs.toLocaleString("en")} runs, fresh process each, median of ${opts.rounds} rounds, builds alternated; ` +
      `node ${process.version}, ${os.cpus().length} CPUs, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}\n\n` +
      table(["build", "runs in it", "index.bin MB", "read MB", "read ms (median)", "read ms (best)", "CPU ms"], rows) +
      "\n",
  );
  if (SMOKE) rmSync(opts.out, { recursive: true, force: true });
}

main();
