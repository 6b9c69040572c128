#!/usr/bin/env node
// Checks that a build of g prints what an older build prints (npm run
// bench:compare-same): the same stdout, stderr and exit code, byte for byte,
// for `g compare` in its output forms (-T, -m/-t, -c, --filter, --skip-unchanged,
// --csv, --json) and time zones. A change to how the table is made (its cells
// as bytes, a worker thread) must not change a byte of it. It runs on a mixed
// store it makes (a few thousand generated runs, some with labels, flag values
// and an op outside ASCII, a flag value too long to keep, runs relabelled after
// the index was written, so read from the journal, and the generator's
// unfinished runs), one copy a build, and on --store DIR when given (a big
// generated store, shared: neither build writes to it once its index is current).
//
//   node bench/compare-same.mjs --old-bin PATH [--bin bin/g] [--store DIR] [--out DIR] [--runs 5000]
//   node bench/compare-same.mjs --smoke     (CI: 60 runs, UTC only, the build against itself)

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const ZONES = ["UTC", "Asia/Kolkata", "America/New_York"];
/** The forms checked in every zone; the mixed store also gets MIXED_ONLY. */
const FORMS = [
  ["-T"],
  ["-T", "-m", "loss", "-t", "50"],
  ["-T", "-c", "min loss,max accuracy,.exit_status,.created,=lr,=optimizer,.label"],
  ["-T", "--filter", "lr > 0.001 and optimizer = 'adam'", "-M", "accuracy"],
  ["-T", "--skip-core", "1:3000"],
  ["-T", "--skip-unchanged", "1:500"],
  ["--csv"],
  ["--csv", "-c", ".started,.stopped,.created,.time,=optimizer,=augment,=lr,last loss,count loss"],
  ["--json"],
];
const MIXED_ONLY = [
  ["-T", "--status", "error", "1:3000"],
  ["-T", "-c", ".op,.label,=optimizer,.time"],
  ["-T", "1"],
];

function parseArgs(argv) {
  const opts = { oldBin: null, bin: join(ROOT, "bin", "g"), store: null, out: null, runs: 5000, zones: ZONES };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--old-bin") opts.oldBin = argv[++i];
    else if (a === "--bin") opts.bin = argv[++i];
    else if (a === "--store") opts.store = argv[++i];
    else if (a === "--out") opts.out = argv[++i];
    else if (a === "--runs") opts.runs = Number(argv[++i]);
    else if (a === "--smoke") Object.assign(opts, { runs: 60, zones: ["UTC"], oldBin: opts.oldBin ?? opts.bin });
    else {
      process.stderr.write(
        `bench: unknown argument "${a}"\nusage: node bench/compare-same.mjs --old-bin PATH [--bin bin/g] [--store DIR] [--out DIR] [--runs N]\n`,
      );
      process.exit(2);
    }
  }
  if (opts.oldBin === null) {
    process.stderr.write("bench: --old-bin PATH is required (the build to compare against)\n");
    process.exit(2);
  }
  return opts;
}

/** Runs `g ARGS` on a store; the digest of its stdout, stderr and exit code (and stdout's size). */
function runDigest(bin, args, home, tz, scratch) {
  const outFile = join(scratch, "stdout");
  const errFile = join(scratch, "stderr");
  const out = openSync(outFile, "w");
  const err = openSync(errFile, "w");
  let status;
  try {
    const child = spawnSync(process.execPath, [bin, "compare", ...args], {
      env: { ...process.env, G_HOME: home, TZ: tz, NO_COLOR: "", COLUMNS: "" },
      stdio: ["ignore", out, err],
    });
    status = child.status ?? child.signal;
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const stdout = readFileSync(outFile);
  const stderr = readFileSync(errFile);
  const hash = createHash("sha256").update(stdout).update("\0").update(stderr).update(`\0${status}`).digest("hex");
  return { hash, bytes: stdout.length, status, stderr: stderr.toString("utf8").split("\n")[0] };
}

/** The mixed store: generated runs, then some made to hold text outside ASCII, one flag value too long to keep. */
function makeMixedStore(dir, runs) {
  rmSync(dir, { recursive: true, force: true });
  const gen = spawnSync(
    process.execPath,
    [join(ROOT, "runs-fixtures", "generate.mjs"), "--runs", String(runs), "--out", dir, "--seed", "same"],
    {
      stdio: "inherit",
    },
  );
  if (gen.status !== 0) throw new Error("generate.mjs failed");
  const ids = readdirSync(join(dir, "runs")).sort();
  const edit = (id, change) => {
    const file = join(dir, "runs", id, "run.json");
    const record = JSON.parse(readFileSync(file, "utf8"));
    change(record);
    writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
  };
  // Spread over the store, so that several blocks of rows hold one.
  for (let k = 0; k < 40; k++) edit(ids[(k * 97) % ids.length], (r) => (r.label = k % 2 === 0 ? "λ sweep ü" : "séance"));
  for (let k = 0; k < 12; k++) edit(ids[(k * 389 + 5) % ids.length], (r) => r.flags && (r.flags.optimizer = "adam-é"));
  for (let k = 0; k < 4; k++) edit(ids[(k * 1201 + 7) % ids.length], (r) => r.flags && (r.flags.activation = "x".repeat(300)));
  edit(ids[11], (r) => (r.op = "тренировка.py"));
  return ids;
}

/** After the index is written: relabel runs, so that they are read again from their files and go to the journal. */
function touchAfterIndex(dir, ids) {
  for (let k = 0; k < 25; k++) {
    const file = join(dir, "runs", ids[(k * 211 + 3) % ids.length], "run.json");
    const record = JSON.parse(readFileSync(file, "utf8"));
    record.label = k % 3 === 0 ? "après" : "relabelled";
    writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const out = opts.out ?? join(tmpdir(), `g-compare-same-${process.pid}`);
  mkdirSync(out, { recursive: true });
  const scratch = join(out, "scratch");
  mkdirSync(scratch, { recursive: true });
  const builds = [
    { name: "new", bin: opts.bin },
    { name: "old", bin: opts.oldBin },
  ];
  const cases = [];
  // One mixed store a build (each writes its own index and journal), made and changed the same way.
  for (const b of builds) {
    const home = join(out, `mixed-${b.name}`);
    const ids = makeMixedStore(home, opts.runs);
    runDigest(b.bin, ["-T"], home, "UTC", scratch); // writes the index
    touchAfterIndex(home, ids);
    runDigest(b.bin, ["-T"], home, "UTC", scratch); // those runs go to the journal
    b.mixed = home;
  }
  for (const tz of opts.zones) for (const form of [...FORMS, ...MIXED_ONLY]) cases.push({ store: "mixed", tz, form });
  if (opts.store !== null) {
    if (!existsSync(join(opts.store, "runs"))) throw new Error(`--store ${opts.store}: no runs/ folder`);
    runDigest(opts.bin, ["-T"], opts.store, "UTC", scratch); // the index current before either is timed
    for (const tz of opts.zones) for (const form of tz === "UTC" ? FORMS : FORMS.slice(0, 3)) cases.push({ store: "given", tz, form });
  }
  let differ = 0;
  process.stdout.write("| store | TZ | g compare ... | stdout bytes | exit | same |\n|---|---|---|---:|---:|---|\n");
  for (const c of cases) {
    const got = builds.map((b) => runDigest(b.bin, c.form, c.store === "mixed" ? b.mixed : opts.store, c.tz, scratch));
    const same = got[0].hash === got[1].hash;
    if (!same) differ++;
    process.stdout.write(
      `| ${c.store} | ${c.tz} | ${c.form.join(" ")} | ${got[0].bytes} | ${got[0].status} | ${same ? "yes" : `**NO** (old ${got[1].bytes} bytes, exit ${got[1].status})`} |\n`,
    );
  }
  process.stdout.write(`\n${cases.length - differ} of ${cases.length} the same\n`);
  if (opts.out === null) rmSync(out, { recursive: true, force: true });
  else for (const b of builds) rmSync(b.mixed, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
  process.exitCode = differ === 0 ? 0 : 1;
}

main();
