// Locks on store folders, one implementation for g and the TypeScript SDK:
//  - withDirLock / withDirLockSync: proper-lockfile's `.lock` directory for a
//    read-modify-write of run.json (or a sweep's files). Its mtime is
//    refreshed while held, so it works over NFS and a dead holder goes stale.
//  - withBriefDirLock: the same `.lock` directory (the two exclude each other)
//    for a critical section that is synchronous and a few ms long: a claim.
//  - the run's LOCK file: which process records the run (pid, host) and its
//    lease (`beat`, refreshed while the run lives), read to derive status,
//    written by the runner, a sweep's claim and the SDK.
//
// Liveness across hosts is a lease, not a pid: a process on another machine
// sharing the store cannot be signalled, so a LOCK from another host counts
// as alive only while its heartbeat is younger than the lease (LEASE_MS,
// 60 s; `G_LEASE_MS` overrides it, for tests). Hosts sharing a store need
// clocks that agree to within a few seconds (NTP), as NFS itself does.

import { existsSync, mkdirSync, rmdirSync, statSync, watch, type FSWatcher } from "node:fs";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { join } from "node:path";
import { BusyError, NotFoundError } from "../errors.js";
import { safeUnlink, writeJsonAtomic } from "./fs-atomic.js";
import { LOCK_FILE } from "./paths.js";
import { readTextFast } from "./read-fast.js";
import type { Placement } from "./types.js";

/** How long a command waits for another one's lock on a run before giving up (exit 75). */
export const RUN_LOCK_TIMEOUT_MS = 10_000;
/** A lock not refreshed for this long belongs to a dead process and may be taken over. */
export const RUN_LOCK_STALE_MS = 10_000;
/** The lock directory inside the locked folder (proper-lockfile's default would sit beside it). */
const DIR_LOCK = ".lock";
/**
 * Pause between two tries of a held lock (withDirLock): this to twice this, at random. A claim
 * holds a sweep's lock for a few ms, so eight agents queueing for it poll often; a mkdir and a
 * stat a try are cheap.
 */
const LOCK_RETRY_MS = 5;
/**
 * withBriefDirLock's pauses between two tries: from the first, doubled each time up to the
 * last. A claim holds the lock about a millisecond, so a waiter starts by looking again soon;
 * on a local disk a change in the folder (the holder's rmdir) wakes it earlier.
 */
const BRIEF_RETRY_FIRST_MS = 1;
const BRIEF_RETRY_MAX_MS = 8;
/** Pause between two tries of the synchronous lock: 20 ms plus up to this much jitter. */
const SYNC_RETRY_JITTER_MS = 60;

/** How long a lease lasts without a heartbeat before another host may take the run over. */
export const LEASE_MS = 60_000;
/** Heartbeats per lease: a LOCK is rewritten every lease / LEASE_BEATS (15 s by default). */
export const LEASE_BEATS = 4;

/** Contents of a run's LOCK file: the process that records the run. */
export interface RunLock {
  pid: number;
  host: string;
  child?: number;
  /** The last heartbeat (ms since the epoch); absent in LOCKs of older g and of the SDKs. */
  beat?: number;
  /** The scheduler's job when one started the process (see Placement). */
  placement?: Placement;
}

/** The lease in ms: `G_LEASE_MS` when set to a positive whole number, else LEASE_MS. */
export function leaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.G_LEASE_MS);
  return Number.isInteger(v) && v > 0 ? v : LEASE_MS;
}

/**
 * Whether a LOCK from another host still stands for a live process: its
 * heartbeat is younger than the lease. A LOCK without one (older g, the SDKs,
 * which do not beat) counts as alive, as before leases: nothing refreshes it,
 * so its age says nothing about its writer.
 */
export function isLeaseFresh(lock: RunLock, now: number = Date.now(), lease: number = leaseMs()): boolean {
  if (typeof lock.beat !== "number") return true;
  return now - lock.beat < lease;
}

/** A LOCK kept fresh: rewritten with a new heartbeat every lease / LEASE_BEATS until stopped. */
export interface Lease {
  /** Rewrites the LOCK at once with these fields changed (e.g. the child's pid). */
  update(fields: Partial<RunLock>): void;
  /** Stops the heartbeat (the LOCK itself is left for the caller to remove). */
  stop(): void;
}

/**
 * Writes `dir`'s LOCK with a heartbeat (unless `written`: a LOCK of this
 * process with a fresh beat is there already) and keeps it fresh. A heartbeat that
 * cannot be written (disk full for a moment) is retried at the next beat; if
 * the lease runs out meanwhile, another host may take the run over, which is
 * the point of a lease.
 */
export function holdLease(dir: string, lock: RunLock, written = false): Lease {
  let current: RunLock = { ...lock, beat: Date.now() };
  if (!written) writeRunLock(dir, current);
  const timer = setInterval(
    () => {
      current = { ...current, beat: Date.now() };
      try {
        writeRunLock(dir, current);
      } catch {
        /* retried at the next beat */
      }
    },
    Math.max(10, Math.floor(leaseMs() / LEASE_BEATS)),
  );
  timer.unref();
  return {
    update(fields) {
      current = { ...current, ...fields, beat: Date.now() };
      writeRunLock(dir, current);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

export const THIS_HOST = hostname();

type LockOptions = import("proper-lockfile").LockOptions;

function lockOptions(dir: string): LockOptions {
  return { lockfilePath: join(dir, DIR_LOCK), stale: RUN_LOCK_STALE_MS, realpath: false };
}

function busy(dir: string, timeoutMs: number): BusyError {
  return new BusyError(`${dir} stayed locked for ${timeoutMs / 1000} s; another g command is using it, try again`);
}

/** Runs `fn` holding `dir`'s lock; waits up to `timeoutMs`, then throws BusyError (exit 75). */
export async function withDirLock<T>(dir: string, fn: () => T | Promise<T>, timeoutMs = RUN_LOCK_TIMEOUT_MS): Promise<T> {
  // Imported when first needed: most commands never lock. The default export is
  // module.exports both under Node and in the esbuild bundle.
  const { lock } = (await import("proper-lockfile")).default;
  let release: () => Promise<void>;
  try {
    release = await lock(dir, {
      ...lockOptions(dir),
      retries: {
        // The average pause is 1.5 × LOCK_RETRY_MS: give up after about timeoutMs.
        retries: Math.ceil(timeoutMs / (1.5 * LOCK_RETRY_MS)),
        factor: 1,
        minTimeout: LOCK_RETRY_MS,
        maxTimeout: 2 * LOCK_RETRY_MS,
        randomize: true,
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOCKED") throw busy(dir, timeoutMs);
    if (code === "ENOENT") throw new NotFoundError(`${dir} does not exist`);
    throw err;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/**
 * Runs `fn` (synchronous, a few ms) holding `dir`'s lock, the `.lock` directory
 * that withDirLock takes too, so the two exclude each other across processes
 * and hosts. Unlike withDirLock, nothing between taking the lock and releasing
 * it waits on the event loop: mkdir, `fn`, rmdir, one stretch of synchronous
 * code, so the lock is held for the critical section's own time and not for a
 * round trip through libuv's thread pool (which, on a busy machine, waits for a
 * core each time). For the same reason there is no mtime refresh while held:
 * a holder that runs past RUN_LOCK_STALE_MS (a file system hung that long) may
 * see its lock taken over, as proper-lockfile's would once its refresh fails.
 *
 * While the lock is held elsewhere, it polls (mkdir; a stat for staleness) with
 * pauses from BRIEF_RETRY_FIRST_MS up to BRIEF_RETRY_MAX_MS, and watches the
 * folder as a hint: on a local file system the holder's rmdir wakes the waiter
 * at once. NFS delivers no such events for other hosts' changes; the polling
 * alone is correct there. A lock whose mtime is older than RUN_LOCK_STALE_MS
 * belongs to a dead process and is removed, as proper-lockfile does. Gives up
 * with BusyError (exit 75) after `timeoutMs`.
 */
export async function withBriefDirLock<T>(dir: string, fn: () => T, timeoutMs = RUN_LOCK_TIMEOUT_MS): Promise<T> {
  const lockPath = join(dir, DIR_LOCK);
  const deadline = Date.now() + timeoutMs;
  let pause = BRIEF_RETRY_FIRST_MS;
  let hint: LockHint | null = null;
  try {
    for (;;) {
      if (tryMkdirLock(dir, lockPath)) break;
      if (Date.now() > deadline) throw busy(dir, timeoutMs);
      hint ??= watchForRelease(dir);
      await hint.wait(pause);
      pause = Math.min(2 * pause, BRIEF_RETRY_MAX_MS);
    }
  } finally {
    hint?.close();
  }
  try {
    return fn();
  } finally {
    try {
      rmdirSync(lockPath);
    } catch {
      /* taken over as stale meanwhile */
    }
  }
}

/** One try at the lock directory: true when made; a stale one is removed (the next try takes it). */
function tryMkdirLock(dir: string, lockPath: string): boolean {
  try {
    mkdirSync(lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`${dir} does not exist`);
    if (code !== "EEXIST") throw err;
  }
  try {
    if (statSync(lockPath).mtimeMs < Date.now() - RUN_LOCK_STALE_MS) rmdirSync(lockPath);
  } catch {
    /* released (or removed as stale by another waiter) meanwhile: the next try sees */
  }
  return false;
}

/** Wakes a waiter early when something in the locked folder changes (a hint, never relied on). */
interface LockHint {
  wait(ms: number): Promise<void>;
  close(): void;
}

function watchForRelease(dir: string): LockHint {
  let wake: (() => void) | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, { persistent: false }, () => wake?.());
    watcher.on("error", () => watcher?.close());
  } catch {
    /* no watching here (too many watches, an unusual file system): polling alone */
  }
  return {
    wait: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
        wake = done;
      }),
    close: () => watcher?.close(),
  };
}

let lockfileSync: typeof import("proper-lockfile") | null = null;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * withDirLock for callers that must stay synchronous (the SDK's params.set()
 * and an experiment's end, which also runs in an exit hook). proper-lockfile's
 * lockSync does not retry, so the waiting is done here.
 */
export function withDirLockSync<T>(dir: string, fn: () => T, timeoutMs = RUN_LOCK_TIMEOUT_MS): T {
  lockfileSync ??= createRequire(import.meta.url)("proper-lockfile") as typeof import("proper-lockfile");
  const deadline = Date.now() + timeoutMs;
  let release: () => void;
  for (;;) {
    try {
      release = lockfileSync.lockSync(dir, lockOptions(dir));
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new NotFoundError(`${dir} does not exist`);
      if (code !== "ELOCKED") throw err;
    }
    if (Date.now() > deadline) throw busy(dir, timeoutMs);
    Atomics.wait(sleeper, 0, 0, 20 + Math.floor(Math.random() * SYNC_RETRY_JITTER_MS));
  }
  try {
    return fn();
  } finally {
    try {
      release();
    } catch {
      /* taken over as stale meanwhile */
    }
  }
}

/**
 * Replaces the LOCK whole (a reader never sees half of one) without an fsync:
 * it stands for a live process, and a power loss ends that process anyway; a
 * LOCK left empty by one reads as a dead writer's (readRunLock).
 */
export function writeRunLock(dir: string, lock: RunLock): void {
  writeJsonAtomic(join(dir, LOCK_FILE), lock, "atomic");
}

export function removeRunLock(dir: string): void {
  safeUnlink(join(dir, LOCK_FILE));
}

/** The run's LOCK, or null when there is none (or the folder cannot be read). */
export function readRunLock(dir: string): RunLock | null {
  // Most runs read have no LOCK (they ended): asking first costs no thrown ENOENT (some 15 µs a run).
  if (!existsSync(`${dir}/${LOCK_FILE}`)) return null;
  let text: string | null;
  try {
    text = readTextFast(`${dir}/${LOCK_FILE}`);
  } catch {
    return null;
  }
  if (text === null) return null;
  try {
    const lock = JSON.parse(text) as RunLock;
    return typeof lock.pid === "number" ? lock : { pid: 0, host: THIS_HOST };
  } catch {
    // A LOCK cut short by a crash: its writer is gone.
    return { pid: 0, host: THIS_HOST };
  }
}
