// Locks on store folders, one implementation for g and the TypeScript SDK:
//  - withDirLock / withDirLockSync: proper-lockfile's `.lock` directory for a
//    read-modify-write of run.json (or a sweep's files). Its mtime is
//    refreshed while held, so it works over NFS and a dead holder goes stale.
//  - the run's LOCK file: which process records the run (pid, host) and its
//    lease (`beat`, refreshed while the run lives), read to derive status,
//    written by the runner, a sweep's claim and the SDK.
//
// Liveness across hosts is a lease, not a pid: a process on another machine
// sharing the store cannot be signalled, so a LOCK from another host counts
// as alive only while its heartbeat is younger than the lease (LEASE_MS,
// 60 s; `G_LEASE_MS` overrides it, for tests). Hosts sharing a store need
// clocks that agree to within a few seconds (NTP), as NFS itself does.

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
/** Pause between two tries of the synchronous lock: 20 ms plus up to this much jitter. */
const SYNC_RETRY_JITTER_MS = 60;

/** How long a lease lasts without a heartbeat before another host may take the run over. */
export const LEASE_MS = 60_000;
/** Heartbeats per lease: a LOCK is rewritten every lease / LEASE_BEATS (15 s by default). */
const LEASE_BEATS = 4;

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
