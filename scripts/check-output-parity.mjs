#!/usr/bin/env node
// Checks that this build prints byte for byte what another build prints for
// the listing commands that read the index (compare's table, sorts, chosen
// columns with qualifiers, filters, JSON and CSV; g runs; g view --export's
// data), in two time zones: what a change of index.bin's layout must keep.
// Each build gets its own G_HOME over the same runs folder (a symlink), so
// each reads and writes its own index files; every command is run twice, the
// first building the index where it is missing, the second reading it.
//
//   node scripts/check-output-parity.mjs --store G_HOME --old-bin PATH [--bin bin/g] [--zones UTC,Asia/Kolkata] [--no-export]
//
// --no-export leaves out g view --export (its page holds every run's curves: some 8 KB a run).
//
// Exit 0 when every output matches, 1 otherwise (the first difference is shown).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** The commands compared: each reads the index a different way (cells ready-made, numbers, decoded records). */
const COMMANDS = [
  ["compare", "-T"],
  ["compare", "-T", "-m", "loss", "-t", "50"],
  ["compare", "-T", "-M", "accuracy"],
  ["compare", "-T", "-c", "min loss, max loss, step accuracy, count loss, avg loss, first loss, =lr, .time, .started"],
  ["compare", "-T", "--filter", "loss < 0.5 and lr > 0.001"],
  ["compare", "--json", "1:300"],
  ["compare", "--csv", "-", "-m", "loss"],
  ["runs", "-a"],
  ["runs"],
];

function parseArgs(argv) {
  const opts = { store: null, bin: join(ROOT, "bin", "g"), oldBin: null, zones: ["UTC", "Asia/Kolkata"], exportPage: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--store") opts.store = resolve(argv[++i]);
    else if (a === "--bin") opts.bin = resolve(argv[++i]);
    else if (a === "--old-bin") opts.oldBin = resolve(argv[++i]);
    else if (a === "--zones") opts.zones = argv[++i].split(",");
    else if (a === "--no-export") opts.exportPage = false;
    else {
      process.stderr.write(`check: unknown argument "${a}"\n`);
      process.exit(2);
    }
  }
  if (opts.store === null || opts.oldBin === null) {
    process.stderr.write(
      "usage: node scripts/check-output-parity.mjs --store G_HOME --old-bin PATH [--bin bin/g] [--zones UTC,Asia/Kolkata]\n",
    );
    process.exit(2);
  }
  return opts;
}

/** A G_HOME whose runs folder is the store's: its own index files. */
function homeOver(store, dir) {
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(store, "runs"), join(dir, "runs"));
  return dir;
}

function runG(bin, args, home, zone) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, G_HOME: home, TZ: zone, NO_COLOR: "1", COLUMNS: "400" },
    encoding: "buffer",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString("utf8") };
}

/** The data a `g view --export` page carries (the page is the same code, so only its data can differ), or null without one. */
function exportData(bin, home, zone, dir) {
  const file = join(dir, `export-${Math.random().toString(36).slice(2)}.html`);
  const r = spawnSync(process.execPath, [bin, "view", "--export", file], {
    env: { ...process.env, G_HOME: home, TZ: zone, NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (r.status !== 0 || !existsSync(file)) return { code: r.status, data: null };
  const html = readFileSync(file, "utf8");
  rmSync(file);
  const m = html.match(/<script[^>]*id="g-data"[^>]*>([\s\S]*?)<\/script>/);
  return { code: r.status, data: m ? m[1] : html };
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  const from = Math.max(0, i - 80);
  return `at byte ${i}:\n  new: ${JSON.stringify(a.subarray(from, i + 80).toString("utf8"))}\n  old: ${JSON.stringify(b.subarray(from, i + 80).toString("utf8"))}`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(join(opts.store, "runs"))) {
    process.stderr.write(`check: ${opts.store} has no runs folder\n`);
    process.exit(2);
  }
  const work = mkdtempSync(join(tmpdir(), "g-parity-"));
  let failures = 0;
  let checks = 0;
  try {
    for (const zone of opts.zones) {
      const homes = {
        new: homeOver(opts.store, join(work, `${zone.replace("/", "-")}-new`)),
        old: homeOver(opts.store, join(work, `${zone.replace("/", "-")}-old`)),
      };
      for (const args of COMMANDS) {
        // Twice: the first builds the index where it is missing, the second reads it.
        for (const pass of ["first", "again"]) {
          const mine = runG(opts.bin, args, homes.new, zone);
          const old = runG(opts.oldBin, args, homes.old, zone);
          checks++;
          // An empty answer proves nothing: only commands that printed something count as the same.
          const same = mine.code === old.code && mine.stdout.length > 0 && Buffer.compare(mine.stdout, old.stdout) === 0;
          const label = `TZ=${zone} g ${args.join(" ")} (${pass})`;
          if (same) process.stdout.write(`ok   ${label}: ${mine.stdout.length} bytes\n`);
          else {
            failures++;
            process.stdout.write(
              `DIFF ${label}: exit ${mine.code} vs ${old.code}, ${mine.stdout.length} vs ${old.stdout.length} bytes\n${firstDifference(mine.stdout, old.stdout)}\n${mine.stderr}${old.stderr}`,
            );
          }
        }
      }
      if (!opts.exportPage) continue;
      const mine = exportData(opts.bin, homes.new, zone, work);
      const old = exportData(opts.oldBin, homes.old, zone, work);
      checks++;
      const label = `TZ=${zone} g view --export (its data)`;
      if (mine.code === old.code && mine.data === old.data) process.stdout.write(`ok   ${label}: ${mine.data?.length ?? 0} characters\n`);
      else {
        failures++;
        process.stdout.write(`DIFF ${label}: exit ${mine.code} vs ${old.code}\n`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`${checks - failures} of ${checks} outputs the same\n`);
  process.exit(failures === 0 ? 0 : 1);
}

main();
