// Shared helpers for the benchmarks: timing commands and printing tables.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
