#!/usr/bin/env node
// What an open runs page costs while a run logs: `g view` of a large store in
// headless Chromium (Debian's /usr/bin/chromium via playwright-core), the page
// on `#/runs`, one run logging a scalar a second; over a window of N seconds,
// how many GET /api/runs the page made, how often the running run's row was
// refreshed (the mean gap between answers), the bytes on the wire (as the
// browser received them: compressed when the server compressed) and decoded,
// and the `g view` process's CPU time, in all and per refresh. With --before,
// another build (another checkout's bin/g) is measured the same way, taking
// turns with this one on a hard-linked copy of the store, and the table has a
// column for each. Figures only;
// docs/benchmarks.md holds them.
//
//   npm run build && npm run bench:view-live -- [--runs 20000 | --store DIR] [--seconds 10] [--repeat 1]
//                                               [--bin PATH/bin/g] [--before OTHER/bin/g] [--smoke]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { generateStore } from "../runs-fixtures/generate.mjs";
import { BIN, median, table, tempDir } from "./util.mjs";

const opts = { runs: 20_000, seconds: 10, repeat: 1, store: null, bin: BIN, before: null };
// --smoke (what CI runs so the bench cannot rot): 50 generated runs, a 2-second window.
const args = process.argv.slice(2).filter((a) => a !== "--smoke");
if (args.length < process.argv.length - 2) Object.assign(opts, { runs: 50, seconds: 2 });
const NUMBERS = new Set(["runs", "seconds", "repeat"]);
for (let i = 0; i < args.length; i += 2) {
  const key = { "--runs": "runs", "--seconds": "seconds", "--repeat": "repeat", "--store": "store", "--bin": "bin", "--before": "before" }[
    args[i]
  ];
  if (key === undefined) throw new Error(`unknown argument ${args[i]}`);
  const value = args[i + 1];
  opts[key] = NUMBERS.has(key) ? Number(value) : value;
}
if (!existsSync("/usr/bin/chromium")) {
  console.log("bench: no /usr/bin/chromium here; skipped");
  process.exit(0);
}

/** A script that logs one scalar a second for two minutes. */
const LIVE_SCRIPT = `import time
for i in range(120):
    print("step: %d" % i)
    print("loss: %f" % (1.0 / (i + 1)))
    time.sleep(1)
`;

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"];

function startView(bin, home) {
  const child = spawn(process.execPath, [bin, "view", "--port", "0", "--no-open"], {
    env: { ...process.env, G_HOME: home },
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve({ url: out.split("\n")[0].trim(), pid: child.pid, stop: () => child.kill("SIGINT") });
    });
    child.once("close", (code) => reject(new Error(`g view exited (${code})`)));
  });
}

/** User + system CPU seconds of a process so far (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** One window of `opts.seconds` of a page on `g view` (this `bin`) while a run logs: the figures of one column. */
async function measure(context, bin, home, work) {
  const view = await startView(bin, home);
  let run = null;
  const page = await context.newPage();
  try {
    /** Finished GET /api/runs while counting: wire and decoded bytes, time to the last byte, and when it ended. */
    let counting = false;
    const fetches = [];
    let first = null;
    page.on("requestfinished", async (request) => {
      if (!new URL(request.url()).pathname.endsWith("/api/runs")) return;
      const at = performance.now();
      // where this one goes is decided now: the first answer's body may take longer to read than a later one's
      const isFirst = !counting && first === null;
      if (isFirst) first = {};
      else if (!counting) return;
      const response = await request.response();
      const sizes = await request.sizes();
      const body = await response.body();
      const timing = request.timing();
      const fetched = {
        wire: sizes.responseBodySize,
        decoded: body.length,
        encoding: response.headers()["content-encoding"] ?? "identity",
        ms: timing.responseEnd,
        at,
      };
      if (isFirst) first = fetched;
      else fetches.push(fetched);
    });
    await page.goto(`${view.url}#/runs`);
    await page.waitForFunction(() => performance.getEntriesByName("g:runs-drawn").length > 0, undefined, { timeout: 300_000 });
    run = spawn(process.execPath, [bin, "run", "live.py", "-y", "-q"], {
      cwd: work,
      env: { ...process.env, G_HOME: home },
      stdio: "ignore",
    });
    // the run's row shows (running) before the window starts
    await page.waitForFunction(() => document.querySelector(".runs-window .row.status-running") !== null, undefined, { timeout: 300_000 });
    const cpuBefore = cpuSeconds(view.pid);
    counting = true;
    await new Promise((r) => setTimeout(r, opts.seconds * 1000));
    counting = false;
    const cpu = cpuSeconds(view.pid) - cpuBefore;
    await new Promise((r) => setTimeout(r, 500));
    const gaps = fetches.slice(1).map((f, i) => f.at - fetches[i].at);
    return { first, fetches, cpu, gap: gaps.length > 0 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : NaN };
  } finally {
    await page.close();
    run?.kill("SIGINT");
    view.stop();
    // the logging run records its end before the next window starts
    if (run !== null) await new Promise((r) => (run.exitCode !== null ? r() : run.once("close", r)));
  }
}

const made = opts.store === null;
const home = opts.store ?? tempDir("g-bench-view-live-");
if (made) generateStore({ runs: opts.runs, out: home, block: Math.min(1000, opts.runs), link: true });
const work = tempDir("g-bench-view-live-work-");
writeFileSync(join(work, "live.py"), LIVE_SCRIPT);

const profile = tempDir("g-bench-chromium-");
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 1280, height: 800 },
});
// Each build on its own copy of the store (hard links: cp -al), so that neither rewrites the
// other's caches (index.bin, runs-order.txt: builds of different index versions would rebuild
// it in every window, and that cost would be counted as the refresh's).
const beforeHome = opts.before === null ? null : `${home}.before-${process.pid}`;
if (beforeHome !== null) {
  const copy = spawnSync("cp", ["-al", home, beforeHome]);
  if (copy.status !== 0) throw new Error(`cp -al ${home} ${beforeHome}: ${copy.stderr}`);
}
const builds =
  beforeHome === null
    ? [["this build", opts.bin, home]]
    : [
        ["before", opts.before, beforeHome],
        ["after", opts.bin, home],
      ];
const results = new Map(builds.map(([name]) => [name, []]));
try {
  // Taking turns: a machine whose load drifts weighs on both columns alike.
  for (let r = 0; r < opts.repeat; r++)
    for (const [name, bin, storeHome] of builds) results.get(name).push(await measure(context, bin, storeHome, work));
} finally {
  if (beforeHome !== null) rmSync(beforeHome, { recursive: true, force: true });
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  if (made) rmSync(home, { recursive: true, force: true });
}

const mb = (n) => (n >= 1e5 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} kB`);
const sum = (fs, k) => fs.reduce((n, f) => n + f[k], 0);
/** Each repeat's figure, then their median when there are several. */
const each = (list, fig, fmt) => {
  const xs = list.map(fig);
  const shown = xs.map((x) => (Number.isNaN(x) ? "" : fmt(x))).join(", ");
  return xs.length > 1 && xs.every((x) => !Number.isNaN(x)) ? `${shown} (median ${fmt(median(xs))})` : shown;
};
const rows = [
  [
    "first GET /api/runs (wire / decoded)",
    (l) => l.map((m) => (m.first ? `${mb(m.first.wire)} / ${mb(m.first.decoded)} (${m.first.encoding})` : "")).join(", "),
  ],
  [`GET /api/runs in ${opts.seconds} s`, (l) => each(l, (m) => m.fetches.length, String)],
  [
    "mean gap between answers (the row's refresh)",
    (l) =>
      each(
        l,
        (m) => m.gap / 1000,
        (x) => `${x.toFixed(2)} s`,
      ),
  ],
  [
    "mean time to a fetch's last byte",
    (l) =>
      each(
        l,
        (m) => (m.fetches.length ? sum(m.fetches, "ms") / m.fetches.length : NaN),
        (x) => `${x.toFixed(0)} ms`,
      ),
  ],
  ["bytes on the wire", (l) => each(l, (m) => sum(m.fetches, "wire"), mb)],
  [
    `g view's CPU time in those ${opts.seconds} s`,
    (l) =>
      each(
        l,
        (m) => m.cpu,
        (x) => `${x.toFixed(2)} s`,
      ),
  ],
  [
    "g view's CPU time per GET /api/runs",
    (l) =>
      each(
        l,
        (m) => (m.fetches.length ? m.cpu / m.fetches.length : NaN),
        (x) => `${x.toFixed(3)} s`,
      ),
  ],
];
console.log(
  `store: ${opts.runs} runs${made ? " (generated, --link)" : ` (${home})`}; a run logging once a second; ${opts.repeat} window(s) each`,
);
console.log(
  table(
    ["over the window", ...builds.map(([name]) => name)],
    rows.map(([what, fig]) => [what, ...builds.map(([name]) => fig(results.get(name)))]),
  ),
);
