#!/usr/bin/env node
// How fast the `g view` page draws in headless Chromium (Debian's
// /usr/bin/chromium via playwright-core): the runs table of a 10 000-run store
// (navigation start → table drawn), scrolling it, and the curves of 50 runs ×
// 10 000 steps (series received → every chart drawn). Also the bundle's size.
// Figures only; goals in docs/benchmarks.md, never asserted.
//
//   npm run build && npm run bench:view-browser -- [--runs 10000] [--curve-runs 50] [--steps 10000] [--repeat 3]
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { generateStore } from "../runs-fixtures/generate.mjs";
import { BIN, ROOT, median, table, tempDir } from "./util.mjs";

const opts = { runs: 10_000, curveRuns: 50, steps: 10_000, repeat: 3 };
// --smoke (what CI runs so the bench cannot rot): tiny sizes, once; skipped without Chromium.
const SMOKE = process.argv.includes("--smoke");
if (SMOKE) {
  Object.assign(opts, { runs: 30, curveRuns: 2, steps: 50, repeat: 1 });
  if (!existsSync("/usr/bin/chromium")) {
    console.log("bench: no /usr/bin/chromium here; the browser bench is skipped");
    process.exit(0);
  }
}
for (let i = 2; i < process.argv.length; i += SMOKE && process.argv[i] === "--smoke" ? 1 : 2) {
  if (process.argv[i] === "--smoke") continue;
  const key = { "--runs": "runs", "--curve-runs": "curveRuns", "--steps": "steps", "--repeat": "repeat" }[process.argv[i]];
  if (key === undefined) throw new Error(`unknown argument ${process.argv[i]}`);
  opts[key] = Number(process.argv[i + 1]);
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** `g view --port 0 --no-open` on a store; resolves with its URL and a stop function. */
function startView(home) {
  const child = spawn(process.execPath, [BIN, "view", "--port", "0", "--no-open"], {
    env: { ...process.env, G_HOME: home },
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve({ url: out.split("\n")[0].trim(), stop: () => child.kill("SIGINT") });
    });
    child.once("close", (code) => reject(new Error(`g view exited (${code})`)));
  });
}

/** Milliseconds between two performance marks of the page (or since navigation start when `from` is null). */
async function waitForMarks(page, from, to) {
  await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, to, { timeout: 120_000, polling: 50 });
  return page.evaluate(
    ([a, b]) => {
      const end = performance.getEntriesByName(b)[0].startTime;
      return a === null ? end : end - performance.getEntriesByName(a)[0].startTime;
    },
    [from, to],
  );
}

const profile = tempDir("g-bench-chromium-");
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 1280, height: 800 },
});
const rows = [];
try {
  // the runs table
  const bigStore = tempDir("g-bench-view-runs-");
  generateStore({ runs: opts.runs, out: bigStore });
  const big = await startView(bigStore);
  const drawn = [];
  const scrollFrames = [];
  for (let i = 0; i < opts.repeat; i++) {
    const page = await context.newPage();
    await page.goto(`${big.url}#/runs`);
    drawn.push(await waitForMarks(page, null, "g:runs-drawn"));
    // scroll the whole table in 60 jumps, one frame each; report the mean frame
    scrollFrames.push(
      await page.evaluate(async () => {
        const scroller = document.querySelector(".runs-scroll");
        const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
        const jumps = 60;
        const step = scroller.scrollHeight / jumps;
        await frame();
        const t0 = performance.now();
        for (let j = 1; j <= jumps; j++) {
          scroller.scrollTop = j * step;
          await frame();
          await frame();
        }
        return (performance.now() - t0) / (2 * jumps);
      }),
    );
    const domRows = await page.$$eval(".runs-window .row", (r) => r.length);
    if (i === 0) rows.push([`rows in the DOM (of ${opts.runs})`, String(domRows), "", ""]);
    await page.close();
  }
  big.stop();
  rows.push([
    `runs page, ${opts.runs} runs: navigation → table drawn`,
    `${median(drawn).toFixed(0)} ms`,
    drawn.map((t) => t.toFixed(0)).join(", "),
    "≤ 2000 ms",
  ]);
  rows.push([
    `scrolling that table: mean frame`,
    `${median(scrollFrames).toFixed(1)} ms`,
    scrollFrames.map((t) => t.toFixed(1)).join(", "),
    "≤ 16.7 ms (60 fps)",
  ]);
  rmSync(bigStore, { recursive: true, force: true });

  // the curves
  const curveStore = tempDir("g-bench-view-curves-");
  const ids = generateStore({ runs: opts.curveRuns, out: curveStore, steps: opts.steps });
  const curves = await startView(curveStore);
  const curveTimes = [];
  let series = 0;
  for (let i = 0; i < opts.repeat; i++) {
    const page = await context.newPage();
    await page.goto(`${curves.url}#/curves?runs=${ids.join(",")}`);
    curveTimes.push(await waitForMarks(page, "g:curves-data", "g:curves-drawn"));
    series = await page.$$eval(".chart-card", (cards) =>
      cards.reduce((n, c) => n + c.querySelectorAll(".u-legend .u-series").length - 1, 0),
    );
    await page.close();
  }
  curves.stop();
  rows.push([
    `curves, ${opts.curveRuns} runs × ${opts.steps} steps (${series} lines): data → drawn`,
    `${median(curveTimes).toFixed(0)} ms`,
    curveTimes.map((t) => t.toFixed(0)).join(", "),
    "≤ 500 ms",
  ]);
  rmSync(curveStore, { recursive: true, force: true });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

for (const name of ["app.js", "app.css"]) {
  const file = join(ROOT, "dist", "view", name);
  const size = statSync(file).size;
  rows.push([
    `dist/view/${name}`,
    `${(size / 1024).toFixed(0)} KiB`,
    `gzip ${(gzipSync(readFileSync(file)).length / 1024).toFixed(0)} KiB`,
    "",
  ]);
}
console.log(table(["what", "median", "each", "goal"], rows));
