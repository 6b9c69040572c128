// A synchronous lock on a run directory for the SDK, compatible with the
// store's withDirLock (proper-lockfile: a `.lock` directory, stale after
// RUN_LOCK_STALE_MS). The SDK must not make params.set() or an experiment's
// end asynchronous, so it cannot use the store's promise-based lock.

import { mkdirSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { BusyError } from "../errors.js";
import { RUN_LOCK_STALE_MS, RUN_LOCK_TIMEOUT_MS } from "../store/store.js";

const DIR_LOCK = ".lock";
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Runs `fn` holding `dir`'s lock; waits up to `timeoutMs`, then throws BusyError. */
export function withDirLockSync<T>(dir: string, fn: () => T, timeoutMs = RUN_LOCK_TIMEOUT_MS): T {
  const path = join(dir, DIR_LOCK);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (isStale(path)) {
      // Its holder died without releasing it; take it over.
      try {
        rmdirSync(path);
      } catch {
        /* someone else took it over first */
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new BusyError(`${dir} stayed locked for ${timeoutMs / 1000} s; another g command is using it, try again`);
    }
    Atomics.wait(sleeper, 0, 0, 20 + Math.floor(Math.random() * 60));
  }
  try {
    return fn();
  } finally {
    try {
      rmdirSync(path);
    } catch {
      /* already released by a stale-lock takeover */
    }
  }
}

function isStale(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > RUN_LOCK_STALE_MS;
  } catch {
    return false;
  }
}
