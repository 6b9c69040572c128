#!/usr/bin/env node
// What an open runs page costs while a run logs: `g view` of a large store in
// headless Chromium (Debian's /usr/bin/chromium via playwright-core), the page
// on `#/runs`, one run logging a scalar a second; over a window of N seconds,
// how many GET /api/runs the page made, the bytes on the wire (as the browser
// received them: compressed when the server compressed) and decoded. Figures
// only; docs/benchmarks.md holds them.
//
//   npm run build && npm run bench:view-live -- [--runs 20000 | --store DIR] [--seconds 10] [--bin PATH/bin/g] [--smoke]
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { generateStore } from "../runs-fixtures/generate.mjs";
import { BIN, table, tempDir } from "./util.mjs";

const opts = { runs: 20_000, seconds: 10, store: null, bin: BIN };
// --smoke (what CI runs so the bench cannot rot): 50 generated runs, a 2-second window.
const args = process.argv.slice(2).filter((a) => a !== "--smoke");
if (args.length < process.argv.length - 2) Object.assign(opts, { runs: 50, seconds: 2 });
for (let i = 0; i < args.length; i += 2) {
  const key = { "--runs": "runs", "--seconds": "seconds", "--store": "store", "--bin": "bin" }[args[i]];
  if (key === undefined) throw new Error(`unknown argument ${args[i]}`);
  const value = args[i + 1];
  opts[key] = key === "runs" || key === "seconds" ? Number(value) : value;
}
if (!existsSync("/usr/bin/chromium")) {
  console.log("bench: no /usr/bin/chromium here; skipped");
  process.exit(0);
}

/** A script that logs one scalar a second for a minute. */
const LIVE_SCRIPT = `import time
for i in range(60):
    print("step: %d" % i)
    print("loss: %f" % (1.0 / (i + 1)))
    time.sleep(1)
`;

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"];

function startView(home) {
  const child = spawn(process.execPath, [opts.bin, "view", "--port", "0", "--no-open"], {
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
const view = await startView(home);
let run = null;
try {
  const page = await context.newPage();
  /** Finished GET /api/runs while counting: wire and decoded bytes, and time to the last byte. */
  let counting = false;
  const fetches = [];
  let first = null;
  page.on("requestfinished", async (request) => {
    if (!new URL(request.url()).pathname.endsWith("/api/runs")) return;
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
    };
    if (isFirst) first = fetched;
    else fetches.push(fetched);
  });
  await page.goto(`${view.url}#/runs`);
  await page.waitForFunction(() => performance.getEntriesByName("g:runs-drawn").length > 0, undefined, { timeout: 300_000 });
  run = spawn(process.execPath, [opts.bin, "run", "live.py", "-y", "-q"], {
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
  const sum = (k) => fetches.reduce((n, f) => n + f[k], 0);
  const mb = (n) => (n >= 1e5 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} kB`);
  console.log(
    table(
      ["what", "value"],
      [
        ["store", `${opts.runs} runs${made ? " (generated, --link)" : ` (${home})`}`],
        ["first GET /api/runs (wire / decoded)", first === null ? "" : `${mb(first.wire)} / ${mb(first.decoded)} (${first.encoding})`],
        [`GET /api/runs in ${opts.seconds} s`, String(fetches.length)],
        ["bytes on the wire", mb(sum("wire"))],
        ["bytes decoded", mb(sum("decoded"))],
        [
          "largest answer (wire / decoded)",
          fetches.length ? `${mb(Math.max(...fetches.map((f) => f.wire)))} / ${mb(Math.max(...fetches.map((f) => f.decoded)))}` : "",
        ],
        ["content-encoding", [...new Set(fetches.map((f) => f.encoding))].join(", ")],
        ["mean time to the last byte", fetches.length ? `${(sum("ms") / fetches.length).toFixed(0)} ms` : ""],
        [`g view's CPU time in those ${opts.seconds} s`, Number.isNaN(cpu) ? "" : `${cpu.toFixed(1)} s`],
      ],
    ),
  );
  await page.close();
} finally {
  run?.kill("SIGINT");
  view.stop();
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  if (made) rmSync(home, { recursive: true, force: true });
}
