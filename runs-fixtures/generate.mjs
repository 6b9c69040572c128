#!/usr/bin/env node
// Writes N realistic runs in store format 1 (shared/DESIGN.md) for tests,
// docs and benchmarks: 10 flags, 5 scalar keys × 100 steps, mixed statuses,
// optimizer batches with their trials, timestamps spread over months.
// Deterministic for a seed. Plain JS so it needs no build.
//
//   node runs-fixtures/generate.mjs --runs 1000 --out /tmp/store [--seed 1] [--steps 100] [--no-summary]
//                                   [--block 1000 [--link]]
//
// DIR is a G_HOME: runs land in DIR/runs/<id>/. Each run also gets the
// summary.json cache that `g run` writes when a run ends (--no-summary leaves
// it out, so the first read has to build it).
//
// Big stores are made by copying (--block B, the default from 10 000 runs on):
// B runs are generated, then repeated with new ids, later times and their own
// batches until there are N, so 100 000 runs cost the disk writes and not
// 50 million JSON records computed one by one. Each copy's scalars.jsonl,
// output.log and summary.json are byte copies of its template's (scalar
// timestamps included); run.json is its own. --link hard-links those three
// files to the template's instead of writing them (a tenth of the disk, but
// every copy then shares the template's pages in the page cache: use it for
// warm measurements, not for a cold disk).

import { linkSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import seedrandom from "seedrandom";

const USAGE =
  "usage: node runs-fixtures/generate.mjs --runs N --out DIR [--seed S] [--steps N] [--no-summary] [--block B] [--link]";
/** From this many runs the command line copies a block of runs instead of generating each one. */
const CLI_BLOCK_FROM_RUNS = 10_000;
const CLI_BLOCK_RUNS = 1000;
const BASE_TIME_MS = Date.parse("2026-01-05T08:00:00Z");
/** Mean gap between runs' creation times. */
const GAP_MS = 4 * 60_000;
/** Every this many runs, half the time, an optimizer batch starts; the runs after it, up to the next such point, are its trials. */
const BATCH_EVERY = 25;
const SCALAR_KEYS = ["loss", "accuracy", "val_loss", "val_accuracy", "grad_norm"];

function parseArgs(argv) {
  const opts = { runs: undefined, out: undefined, seed: "1", steps: 100, summary: true, block: undefined, link: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--runs") opts.runs = Number(value());
    else if (a === "--out") opts.out = value();
    else if (a === "--seed") opts.seed = value();
    else if (a === "--steps") opts.steps = Number(value());
    else if (a === "--no-summary") opts.summary = false;
    else if (a === "--block") opts.block = Number(value());
    else if (a === "--link") opts.link = true;
    else if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    } else fail(`unknown argument "${a}"`);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) fail("--runs takes a whole number >= 1");
  if (!Number.isInteger(opts.steps) || opts.steps < 1) fail("--steps takes a whole number >= 1");
  if (!opts.out) fail("--out DIR is required");
  if (opts.block === undefined && opts.runs >= CLI_BLOCK_FROM_RUNS) opts.block = CLI_BLOCK_RUNS;
  if (opts.block !== undefined && (!Number.isInteger(opts.block) || opts.block < 1)) fail("--block takes a whole number >= 1");
  if (opts.link && opts.block === undefined) fail("--link needs --block (it links copies to their template)");
  return opts;
}

function fail(message) {
  process.stderr.write(`generate: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/**
 * Writes the runs; returns their ids, oldest first. With `block`, the first
 * `block` runs are generated and the rest are copies of them (see the top of
 * this file); `link` hard-links the copies' scalars, output and summary files.
 */
export function generateStore({ runs, out, seed = "1", steps = 100, summary = true, block = undefined, link = false }) {
  const rng = seedrandom(String(seed));
  const runsDir = join(out, "runs");
  mkdirSync(runsDir, { recursive: true });
  const made = makeRuns(rng, Math.min(runs, block ?? runs), seed, steps, summary);
  const ids = [];
  for (const run of made) {
    writeRun(runsDir, run);
    ids.push(run.record.id);
  }
  if (made.length === runs) return ids;
  // Each copy of the block starts one gap after the previous copy's last run.
  const span = Date.parse(made[made.length - 1].record.created) - Date.parse(made[0].record.created) + GAP_MS;
  for (let copy = 1; ids.length < runs; copy++) {
    const newIds = new Map();
    for (const run of made) {
      if (ids.length >= runs) break;
      const id = hexId(rng);
      newIds.set(run.record.id, id);
      const record = { ...run.record, id };
      for (const f of ["created", "started", "stopped"]) if (record[f]) record[f] = iso(Date.parse(record[f]) + copy * span);
      if (record.batch !== undefined) record.batch = newIds.get(record.batch);
      writeCopy(runsDir, run, record, link);
      ids.push(id);
    }
  }
  return ids;
}

/** `n` runs' records and file contents, in memory. */
function makeRuns(rng, n, seed, steps, summary) {
  const made = [];
  let batch = null;
  let clock = BASE_TIME_MS;
  for (let i = 0; i < n; i++) {
    clock += Math.round(GAP_MS * (0.5 + rng()));
    const id = hexId(rng);
    if (i % BATCH_EVERY === 0) batch = null;
    if (i % BATCH_EVERY === 0 && i + 1 < n && rng() < 0.5) {
      const optimizer = pick(rng, ["random", "grid", "gp", "tpe"]);
      batch = { id, trial: 0 };
      made.push(runFiles(batchRecord(id, optimizer, clock, seed), [], summary, steps));
      continue;
    }
    const flags = sampleFlags(rng);
    const status = sampleStatus(rng);
    const startMs = clock + Math.round(rng() * 2000);
    const seconds = Math.round(30 + rng() * 7200);
    const ran = status === "pending" ? 0 : status === "completed" || status === "early-stopped" ? steps : Math.max(1, Math.floor(steps * (0.1 + 0.8 * rng())));
    const record = {
      format: 1,
      id,
      op: "train.py",
      cmd: ["python", "train.py", ...Object.entries(flags).map(([k, v]) => `--${k}=${v}`)],
      cwd: "/home/user/project",
      flags,
      created: iso(clock),
      started: status === "pending" ? null : iso(startMs),
      stopped: status === "pending" ? null : iso(startMs + Math.round((seconds * 1000 * ran) / steps)),
      exit_status: status === "pending" ? null : status === "error" ? 1 : status === "terminated" ? null : 0,
      label: rng() < 0.15 ? pick(rng, ["baseline", "wide net", "lr sweep", "ablation: no dropout", "retry, seed 2"]) : "",
      tags: rng() < 0.1 ? [pick(rng, ["paper", "keep", "debug"])] : [],
    };
    if (status === "terminated") record.terminated = true;
    if (status === "early-stopped") record.early_stopped = true;
    if (batch !== null) record.batch = batch.id, record.trial = ++batch.trial;
    const scalars = ran === 0 ? [] : curves(rng, flags, ran, startMs, seconds / steps);
    made.push(runFiles(record, scalars, summary, ran));
  }
  return made;
}

function batchRecord(id, optimizer, clock, seed) {
  return {
    format: 1,
    id,
    op: optimizer,
    cmd: ["g", "run", "train.py", "-o", optimizer],
    cwd: "/home/user/project",
    flags: {},
    created: iso(clock),
    started: iso(clock),
    stopped: iso(clock + 3_600_000),
    exit_status: 0,
    label: "",
    tags: [],
    space: { lr: { type: "loguniform", low: 1e-5, high: 0.1 }, batch_size: { type: "choice", values: [16, 32, 64, 128, 256] } },
    objective: { column: "loss", goal: "minimize" },
    optimizer,
    seed: Number(seed) || 1,
    max_trials: BATCH_EVERY - 1,
  };
}

function sampleFlags(rng) {
  return {
    lr: round(10 ** (-5 + 4 * rng()), 6),
    batch_size: pick(rng, [16, 32, 64, 128, 256]),
    epochs: 5 + Math.floor(rng() * 96),
    dropout: round(rng() * 0.5, 3),
    optimizer: pick(rng, ["adam", "sgd", "rmsprop", "adamw"]),
    momentum: round(0.8 + rng() * 0.19, 3),
    weight_decay: round(10 ** (-6 + 3 * rng()), 7),
    layers: 1 + Math.floor(rng() * 8),
    activation: pick(rng, ["relu", "gelu", "tanh"]),
    augment: rng() < 0.5,
  };
}

function sampleStatus(rng) {
  const u = rng();
  if (u < 0.8) return "completed";
  if (u < 0.9) return "error";
  if (u < 0.95) return "terminated";
  if (u < 0.98) return "early-stopped";
  return "pending";
}

/** Loss falls towards a floor set by the flags (best near lr=3e-3, dropout 0.2); accuracy mirrors it. */
function curves(rng, flags, steps, startMs, secondsPerStep) {
  const floor = 0.05 + 0.08 * Math.abs(Math.log10(flags.lr) + 2.5) + 0.3 * Math.abs(flags.dropout - 0.2) + 0.02 * rng();
  const rate = 0.02 + 0.08 * rng();
  const lines = [];
  for (let step = 1; step <= steps; step++) {
    const t = (startMs + step * secondsPerStep * 1000) / 1000;
    const noise = () => (rng() - 0.5) * 0.02;
    const loss = floor + 2.3 * Math.exp(-rate * step) + noise();
    const valLoss = loss * (1.05 + 0.1 * rng());
    const acc = (l) => Math.min(1, Math.max(0, 1 - l / 2.5 + noise()));
    const values = [loss, acc(loss), valLoss, acc(valLoss), (0.5 + rng()) * (1 + 5 * Math.exp(-rate * step))];
    for (let k = 0; k < SCALAR_KEYS.length; k++) {
      lines.push({ key: SCALAR_KEYS[k], value: round(values[k], 6), step, t: round(t, 3) });
    }
  }
  return lines;
}

/** A run's record and the contents of its files (null: the file is left out). */
function runFiles(record, scalars, summary, steps) {
  const scalarsText = scalars.map((s) => JSON.stringify(s) + "\n").join("");
  const log = [`Running ${record.cmd.join(" ")}`];
  for (let s = 1; s <= steps; s += Math.max(1, Math.floor(steps / 5))) {
    const line = scalars.find((r) => r.step === s && r.key === "loss");
    if (line) log.push(`step: ${s}`, `loss: ${line.value}`);
  }
  if (record.exit_status === 1) log.push("Traceback (most recent call last):", "RuntimeError: CUDA out of memory");
  // The store's cache format (src/store/scalar-files.ts SummaryCache): valid while scalars.jsonl keeps this size.
  const summaryText =
    summary && scalars.length > 0 ? JSON.stringify({ bytes: Buffer.byteLength(scalarsText), scalars: summarize(scalars) }) : null;
  return {
    record,
    files: { "scalars.jsonl": Buffer.from(scalarsText), "output.log": Buffer.from(log.join("\n") + "\n"), "summary.json": summaryText && Buffer.from(summaryText) },
  };
}

function writeRun(runsDir, { record, files }) {
  const dir = join(runsDir, record.id);
  mkdirSync(dir);
  writeFileSync(join(dir, "run.json"), JSON.stringify(record, null, 2) + "\n");
  for (const [name, data] of Object.entries(files)) if (data !== null) writeFileSync(join(dir, name), data);
}

/** A copy of `template` as run `record.id`: its own run.json, the template's other files (written or linked). */
function writeCopy(runsDir, template, record, link) {
  const dir = join(runsDir, record.id);
  mkdirSync(dir);
  writeFileSync(join(dir, "run.json"), JSON.stringify(record, null, 2) + "\n");
  for (const [name, data] of Object.entries(template.files)) {
    if (data === null) continue;
    if (link) linkSync(join(runsDir, template.record.id, name), join(dir, name));
    else writeFileSync(join(dir, name), data);
  }
}

function summarize(records) {
  const out = {};
  for (const r of records) {
    const s = out[r.key];
    if (!s) {
      out[r.key] = { last: r.value, first: r.value, min: r.value, max: r.value, avg: r.value, total: r.value, count: 1, step: r.step };
      continue;
    }
    s.last = r.value;
    s.min = Math.min(s.min, r.value);
    s.max = Math.max(s.max, r.value);
    s.total += r.value;
    s.count += 1;
    s.avg = s.total / s.count;
    s.step = r.step;
  }
  return out;
}

function hexId(rng) {
  let s = "";
  for (let i = 0; i < 32; i++) s += Math.floor(rng() * 16).toString(16);
  return s;
}

function pick(rng, values) {
  return values[Math.floor(rng() * values.length)];
}

function round(v, digits) {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function iso(ms) {
  return new Date(ms).toISOString();
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("generate.mjs")) {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  generateStore(opts);
  process.stderr.write(`generate: wrote ${opts.runs} runs to ${join(opts.out, "runs")} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
