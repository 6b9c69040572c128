#!/usr/bin/env node
// Benchmark of `g view`'s runs table (npm run bench:view): on one generated
// store, side by side in one run, `g compare --json` > /dev/null (a whole
// process: start, read, build, print) against GET /api/runs of a running
// `g view` — the first request after the server starts (reads the store,
// builds, serialises), a GET after a change (reads the store again), and
// later requests (the store read is cached until the change feed moves). Also the size of the page's bundle and of an export.
//
//   node bench/view.mjs [--runs 10000] [--repeat 5] [--export-runs 1000]

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import os from "node:os";
import { generateStore } from "../runs-fixtures/generate.mjs";
import { BIN, ROOT, median, table, tempDir } from "./util.mjs";

/** --smoke (what CI runs so the bench cannot rot): 20 runs, once, in a temporary folder. */
const SMOKE = process.argv.includes("--smoke");
const OUT = SMOKE ? mkdtempSync(join(os.tmpdir(), "g-bench-view-")) : join(ROOT, "bench", "out");
if (SMOKE) process.on("exit", () => rmSync(OUT, { recursive: true, force: true }));
const GOAL_RATIO = 1.5;

function parseArgs(argv) {
  const opts = { runs: 10000, repeat: 5, exportRuns: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--smoke") Object.assign(opts, { runs: 20, repeat: 1, exportRuns: 5 });
    else if (a === "--runs") opts.runs = Number(argv[++i]);
    else if (a === "--repeat") opts.repeat = Number(argv[++i]);
    else if (a === "--export-runs") opts.exportRuns = Number(argv[++i]);
    else {
      process.stderr.write(`bench: unknown argument "${a}"\nusage: node bench/view.mjs [--runs 10000] [--repeat 5] [--export-runs 1000]\n`);
      process.exit(2);
    }
  }
  return opts;
}

/** The store of bench/compare.mjs (bench/out/store-N), generated once. */
function ensureStore(n) {
  const home = join(OUT, `store-${n}`);
  const marker = join(home, "complete");
  if (existsSync(marker)) return home;
  rmSync(home, { recursive: true, force: true });
  process.stderr.write(`bench: generating ${n} runs in ${home} ...\n`);
  generateStore({ runs: n, out: home, seed: "bench" });
  writeFileSync(marker, `${n} runs, seed bench\n`);
  return home;
}

function timeCompare(home) {
  const devnull = openSync("/dev/null", "w");
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, "compare", "--json"], {
    env: { ...process.env, G_HOME: home },
    stdio: ["ignore", devnull, "pipe"],
  });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`g compare --json exited ${r.status}: ${r.stderr}`);
  return s;
}

/** Starts `g view` and resolves with { child, url } once the URL is printed. */
function startView(home) {
  const child = spawn(process.execPath, [BIN, "view", "--port", "0", "--no-open"], {
    env: { ...process.env, G_HOME: home },
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve({ child, url: out.slice(0, nl) });
    });
    child.on("exit", (code) => reject(new Error(`g view exited ${code}`)));
  });
}

/** Connects to the change feed, reads the event sent on connect, and returns a wait for the next one. */
async function connectEvents(url) {
  const res = await fetchRetry(`${url}api/events`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const waitFor = async (n) => {
    while ((text.match(/event: change/g) ?? []).length < n) {
      const { value, done } = await reader.read();
      if (done) throw new Error("event stream ended");
      text += decoder.decode(value);
    }
  };
  await waitFor(1);
  return async () => {
    await waitFor(2);
    await reader.cancel();
  };
}

/** fetch, once more when a pooled keep-alive socket was closed by the server just as it was reused. */
async function fetchRetry(url) {
  try {
    return await fetch(url);
  } catch {
    return fetch(url);
  }
}

async function timeGet(url) {
  const t0 = performance.now();
  const res = await fetchRetry(url);
  const body = await res.text();
  const s = (performance.now() - t0) / 1000;
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 200)}`);
  return { s, bytes: Buffer.byteLength(body) };
}

async function stopView(v) {
  const exited = new Promise((r) => v.child.on("exit", r));
  v.child.kill("SIGINT");
  await exited;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(join(ROOT, "dist", "bundle", "main.js"))) {
    process.stderr.write("bench: g is not built; run `npm run build` first\n");
    process.exit(2);
  }
  const home = ensureStore(opts.runs);
  timeCompare(home); // warm: summary caches, index, page cache

  const compare = [];
  const changed = [];
  const later = [];
  let bytes = 0;
  const v = await startView(home);
  try {
    // Interleaved, so a change in machine load hits both sides alike. Each sample adds (then
    // removes) an empty run folder: the change feed bumps the version, so the next GET reads
    // the store again (a damaged-run warning for the empty folder is part of the answer).
    for (let i = 0; i < opts.repeat; i++) {
      compare.push(timeCompare(home));
      for (const step of ["add", "remove"]) {
        const dir = join(home, "runs", "f".repeat(31) + String(i % 10));
        const next = await connectEvents(v.url);
        if (step === "add") mkdirSync(dir);
        else rmSync(dir, { recursive: true, force: true });
        await next();
        const a = await timeGet(`${v.url}api/runs`);
        changed.push(a.s);
        bytes = a.bytes;
      }
      for (let k = 0; k < 2; k++) later.push((await timeGet(`${v.url}api/runs`)).s);
    }
  } finally {
    await stopView(v);
  }
  // From starting `g view` to the first answer: start-up + store read + build + JSON, like g compare.
  const cold = [];
  for (let i = 0; i < opts.repeat; i++) {
    const t0 = performance.now();
    const w = await startView(home);
    await timeGet(`${w.url}api/runs`);
    cold.push((performance.now() - t0) / 1000);
    await stopView(w);
  }

  const c = median(compare);
  const rows = [
    ["`g compare --json` > /dev/null (whole process)", (c * 1000).toFixed(0), "1.00", ""],
    ["`g view` start + first GET /api/runs", (median(cold) * 1000).toFixed(0), (median(cold) / c).toFixed(2), ""],
    [
      "GET /api/runs after a change (reads the store)",
      (median(changed) * 1000).toFixed(0),
      (median(changed) / c).toFixed(2),
      `${(bytes / 1024 / 1024).toFixed(1)} MB`,
    ],
    ["GET /api/runs, later (store read cached)", (median(later) * 1000).toFixed(0), (median(later) / c).toFixed(2), ""],
  ];

  // Bundle and export sizes.
  const js = statSync(join(ROOT, "dist", "view", "app.js")).size;
  const css = statSync(join(ROOT, "dist", "view", "app.css")).size;
  const gz = (p) => spawnSync("gzip", ["-c", p], { maxBuffer: 64 * 1024 * 1024 }).stdout.length;
  const exportHome = ensureStore(opts.exportRuns);
  const dir = tempDir("g-bench-view-");
  const file = join(dir, "report.html");
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, "view", "--export", file], {
    env: { ...process.env, G_HOME: exportHome },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exportSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`g view --export exited ${r.status}: ${r.stderr}`);
  const exportBytes = statSync(file).size;
  const exportGz = gz(file);
  rmSync(dir, { recursive: true, force: true });

  const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
  const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  process.stdout.write(
    [
      `${opts.runs.toLocaleString("en")} generated runs (bench/out/store-${opts.runs}); median of ${opts.repeat} (GETs: ${opts.repeat * 2} each); node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at the end; goal: GET ≤ ${GOAL_RATIO}× g compare --json`,
      "",
      table(["what", "ms", "× compare", "body"], rows),
      "",
      table(
        ["artefact", "size", "gzip"],
        [
          ["dist/view/app.js", kb(js), kb(gz(join(ROOT, "dist", "view", "app.js")))],
          ["dist/view/app.css", kb(css), kb(gz(join(ROOT, "dist", "view", "app.css")))],
          [
            `export of ${opts.exportRuns.toLocaleString("en")} runs (${exportSeconds.toFixed(1)} s to write)`,
            mb(exportBytes),
            mb(exportGz),
          ],
        ],
      ),
      "",
    ].join("\n"),
  );
}

await main();
