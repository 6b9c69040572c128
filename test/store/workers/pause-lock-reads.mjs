// Makes this process's reads of a run's LOCK wait before they open it, as a
// reader descheduled between a run's run.json and its LOCK does on a loaded
// machine: the finish race's window (test/store/finish-race.test.ts).
// node:fs's openSync is replaced and the change pushed to the ESM named
// exports the store's modules import (syncBuiltinESMExports).
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps `ms` without leaving the current synchronous stretch (the store's reads are synchronous). */
export function sleepSync(ms) {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Calls `pause(path)` before each open of a path ending in `/LOCK`. */
export function pauseLockReads(pause) {
  const open = fs.openSync;
  fs.openSync = function (path, ...rest) {
    if (typeof path === "string" && path.endsWith("/LOCK")) pause(path);
    return open.call(this, path, ...rest);
  };
  syncBuiltinESMExports();
}
