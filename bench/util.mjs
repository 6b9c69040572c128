// Shared helpers for the benchmarks: timing commands and printing tables.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { generateStore } from "../runs-fixtures/generate.mjs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const BIN = join(ROOT, "bin", "g");

export function tempDir(prefix = "g-bench-") {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Wall time of one command in seconds; throws when it fails. */
export function timeOnce(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], ...opts });
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${res.status}): ${res.stderr}`);
  return t;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median of `n` timed runs after `warm` untimed ones. */
export function timeMedian(n, warm, fn) {
  for (let i = 0; i < warm; i++) fn();
  const ts = [];
  for (let i = 0; i < n; i++) ts.push(fn());
  return median(ts);
}

export function table(headers, rows) {
  const out = [`| ${headers.join(" | ")} |`, `|${headers.map(() => "---").join("|")}|`];
  for (const r of rows) out.push(`| ${r.join(" | ")} |`);
  return out.join("\n");
}

export function writeScript(dir, name, text) {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export const ms = (s) => `${(s * 1000).toFixed(1)} ms`;
export const sec = (s) => `${s.toFixed(3)} s`;

/** Stores of this many runs or more are made by copying a block of 1 000 generated runs (generate.mjs --block). */
const COPY_FROM_RUNS = 10_000;

/**
 * A generated store of n runs under bench/out (seed `bench`), made once: the
 * marker file says it is whole. `summary: false` leaves out the summary.json
 * files (a store as a reader without caches meets it).
 */
export function ensureStore(n, { summary = true, root = join(ROOT, "bench", "out") } = {}) {
  const home = join(root, `store-${n}${summary ? "" : "-nosummary"}`);
  const marker = join(home, "complete");
  if (existsSync(marker)) return home;
  rmSync(home, { recursive: true, force: true });
  process.stderr.write(`bench: generating ${n} runs in ${home} ...\n`);
  const t0 = performance.now();
  generateStore({ runs: n, out: home, seed: "bench", summary, block: n >= COPY_FROM_RUNS ? 1000 : undefined });
  writeFileSync(marker, `${n} runs, seed bench\n`);
  process.stderr.write(`bench: generated in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return home;
}

const TIME_BIN = "/usr/bin/time";

/**
 * One timed command (`argv[0]` a node script such as bin/g, or "-e" for
 * `node -e 0`) with stdout to /dev/null: wall seconds, CPU seconds (user +
 * sys) and peak RSS in MB (CPU and RSS need /usr/bin/time, else null).
 */
export function timeNode(argv, env = {}) {
  const devnull = openSync("/dev/null", "w");
  const useTime = existsSync(TIME_BIN);
  const rssFile = join(tmpdir(), `g-bench-rss-${process.pid}`);
  const cmd = useTime ? TIME_BIN : process.execPath;
  const args = useTime ? ["-f", "%M %U %S", "-o", rssFile, process.execPath, ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", devnull, "pipe"] });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`node ${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  let rssMb = null;
  let cpu = null;
  if (useTime) {
    const [kb, user, sys] = readFileSync(rssFile, "utf8").trim().split("\n").pop().split(" ").map(Number);
    rssMb = kb / 1024;
    cpu = user + sys;
    rmSync(rssFile, { force: true });
  }
  return { seconds, cpu, rssMb };
}

/** Empties the kernel's page cache when this process may (root on Linux); true when it did. */
export function dropPageCache() {
  try {
    spawnSync("sync");
    writeFileSync("/proc/sys/vm/drop_caches", "3\n");
    return true;
  } catch {
    return false;
  }
}
