// What taking and releasing a lock costs on this file system, by the kind of
// entry that stands for it: a directory (mkdir/rmdir: proper-lockfile's, g's
// brief lock before the fourth round), a symlink (symlink/unlink: g's brief
// lock now, Optuna's journal lock), a file made with O_EXCL, a hard link. The
// release is part of the time a claim holds a sweep's lock. Each kind is
// taken and released 200 times, 2 ms apart, in a folder under the temp dir
// (or --dir DIR, e.g. on the store's file system); the table gives p50 / p95.
//   node bench/lock-ops.mjs [--dir DIR] [--times 200]

import { closeSync, linkSync, mkdirSync, mkdtempSync, openSync, rmSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const TIMES = Number(arg("times", 200));
const PAUSE_MS = 2;
const work = mkdtempSync(join(arg("dir", tmpdir()), "g-bench-lock-ops-"));
const lock = join(work, ".lock");
writeFileSync(join(work, "base"), "");
const kinds = [
  ["directory (mkdir / rmdir)", () => mkdirSync(lock), () => rmdirSync(lock)],
  ["symlink (symlink / unlink)", () => symlinkSync(".", lock), () => unlinkSync(lock)],
  ["file (open O_EXCL / unlink)", () => closeSync(openSync(lock, "wx")), () => unlinkSync(lock)],
  ["hard link (link / unlink)", () => linkSync(join(work, "base"), lock), () => unlinkSync(lock)],
];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const ms = (x) => x.toFixed(3);
try {
  const rows = [];
  for (const [name, take, release] of kinds) {
    const took = [];
    const released = [];
    for (let i = 0; i < TIMES; i++) {
      const a = performance.now();
      take();
      const b = performance.now();
      release();
      took.push(b - a);
      released.push(performance.now() - b);
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
    rows.push([name, `${ms(pct(took, 0.5))} / ${ms(pct(took, 0.95))}`, `${ms(pct(released, 0.5))} / ${ms(pct(released, 0.95))}`]);
  }
  const headers = ["lock entry", "take p50 / p95 ms", "release p50 / p95 ms"];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(`${TIMES} takes and releases of each kind in ${work}:`);
  console.log([line(headers), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...rows.map(line)].join("\n"));
  console.log(
    `\n${new Date().toISOString().slice(0, 16)} UTC, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
