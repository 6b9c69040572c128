// Waits for DIR's lock (MODE: "async", withDirLock; "sync", withDirLockSync)
// while it is stale, together with N-1 other copies of this worker: each one's
// first look at the lock (its lstat of `.lock`) returns once all N have looked
// (meetOthers), so every waiter has seen the same stale lock before any takes
// it over. In its critical section a worker leaves SIGNAL/inside-<pid> for
// HOLD_MS and counts the inside-* files it sees there; prints the most it saw (1 when the
// lock excluded the others).
import fs, { readdirSync, rmSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { sleepSync } from "./pause-lock-reads.mjs";

const [dir, signal, n, mode, holdMs] = process.argv.slice(2);
const count = (prefix) => readdirSync(signal).filter((name) => name.startsWith(prefix)).length;

let looked = false;
/**
 * The rendezvous: every worker has seen the lock before this one goes on; then
 * the first to have looked goes on alone, and the others once it has entered
 * its critical section (when each has only the stale lock's look to act on).
 */
function meetOthers(path) {
  if (looked || !String(path).endsWith("/.lock")) return;
  looked = true;
  writeFileSync(join(signal, `looked-${process.pid}`), "");
  const first = count("looked-") === 1;
  const deadline = Date.now() + 20_000;
  while (count("looked-") < Number(n) && Date.now() < deadline) sleepSync(2);
  while (!first && count("entered-") === 0 && Date.now() < deadline) sleepSync(2);
}
// The rendezvous comes after the lstat itself, so each waiter's look is the stale lock's.
const { lstat, lstatSync } = fs;
fs.lstat = function (path, ...rest) {
  const callback = rest.pop();
  return lstat.call(this, path, ...rest, (err, stats) => {
    meetOthers(path);
    callback(err, stats);
  });
};
fs.lstatSync = function (path, ...rest) {
  const stats = lstatSync.call(this, path, ...rest);
  meetOthers(path);
  return stats;
};
syncBuiltinESMExports();

const { withDirLock, withDirLockSync } = await import("../../../dist/store/locks.js");
let most = 0;
const critical = () => {
  const mine = join(signal, `inside-${process.pid}`);
  writeFileSync(mine, "");
  writeFileSync(join(signal, `entered-${process.pid}`), "");
  for (let i = 0; i < 10; i++) {
    most = Math.max(most, count("inside-"));
    sleepSync(Number(holdMs) / 10);
  }
  rmSync(mine);
};
if (mode === "sync") withDirLockSync(dir, critical, 30_000);
else await withDirLock(dir, critical, 30_000);
process.stdout.write(`${most}\n`);
