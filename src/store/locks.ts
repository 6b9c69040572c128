// Locks on store folders, one implementation for g and the TypeScript SDK:
//  - withDirLock / withDirLockSync: proper-lockfile's `.lock` directory for a
//    read-modify-write of run.json (or a sweep's files). Its mtime is
//    refreshed while held, so it works over NFS and a dead holder goes stale.
//  - withBriefDirLock: a symlink at the same `.lock` path (the two exclude
//    each other: neither mkdir nor symlink makes a name that exists) for a
//    critical section that is synchronous and a few ms long: a claim.
//  - the run's LOCK file: which process records the run (pid, host) and its
//    lease (`beat`, refreshed while the run lives), read to derive status,
//    written by the runner, a sweep's claim and the SDK.
//
// Liveness across hosts is a lease, not a pid: a process on another machine
// sharing the store cannot be signalled, so a LOCK from another host counts
// as alive only while its heartbeat is younger than the lease (LEASE_MS,
// 60 s; `G_LEASE_MS` overrides it, for tests). Hosts sharing a store need
// clocks that agree to within a few seconds (NTP), as NFS itself does.

import * as fs from "node:fs";
import { existsSync, lstatSync, rmdirSync, symlinkSync, unlinkSync, watch, type FSWatcher, type Stats } from "node:fs";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { join } from "node:path";
import { BusyError, NotFoundError } from "../errors.js";
import { safeUnlink, writeJsonAtomic } from "./fs-atomic.js";
import { LOCK_FILE } from "./paths.js";
import { ownProcessStart } from "./process-start.js";
import { readTextFast } from "./read-fast.js";
import type { Placement } from "./types.js";

/** How long a command waits for another one's lock on a run before giving up (exit 75). */
export const RUN_LOCK_TIMEOUT_MS = 10_000;
/** A lock not refreshed for this long belongs to a dead process and may be taken over. */
export const RUN_LOCK_STALE_MS = 10_000;
/** The lock directory inside the locked folder (proper-lockfile's default would sit beside it). */
const DIR_LOCK = ".lock";
/**
 * What the brief lock's symlink points at: the locked folder itself, so that a
 * locker that stats `.lock` (proper-lockfile, the Python SDK, older g) finds
 * it and reads a fresh mtime (making the link changed the folder) instead of
 * an error.
 */
const BRIEF_LOCK_TARGET = ".";
/** Beside the lock (`.lock.break`): held while a stale lock is removed (removeStaleLock). */
const BREAK_SUFFIX = ".break";
/**
 * Pause between two tries of a held lock (withDirLock): this to twice this, at random. A claim
 * holds a sweep's lock for a few ms, so eight agents queueing for it poll often; a mkdir and a
 * stat a try are cheap.
 */
const LOCK_RETRY_MS = 5;
/**
 * withBriefDirLock's pauses between two tries: from the first, doubled each time up to the
 * last. A claim holds the lock about a millisecond, so a waiter starts by looking again soon;
 * on a local disk a change in the folder (the holder's unlink) wakes it earlier.
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
  /**
   * Which process `pid` is (process-start.ts), as `child_start` is for the
   * script: a recorder that died and whose pid was reused since (or that is a
   * zombie) is not taken for alive. Absent where it cannot be read and in
   * LOCKs of older g and the SDKs: the pid alone counts then.
   */
  pid_start?: string;
  /** The script's pid: the process (and process group) the recorder spawned. */
  child?: number;
  /**
   * Which process `child` is (process-start.ts: boot id and start time), so that
   * a reader can tell it from a later process with the same pid; absent where
   * it cannot be read (no /proc) and in LOCKs of older g.
   */
  child_start?: string;
  /** The last heartbeat (ms since the epoch); absent in LOCKs of older g and of the SDKs. */
  beat?: number;
  /** The scheduler's job when one started the process (see Placement). */
  placement?: Placement;
}

/** A LOCK naming this process as the recorder, with its identity (`pid_start`) where it can be read. */
export function ownLock(): RunLock {
  const start = ownProcessStart();
  return { pid: process.pid, host: hostname(), ...(start !== null ? { pid_start: start } : {}) };
}

/** The lease in ms: `G_LEASE_MS` when set to a positive whole number, else LEASE_MS. */
export function leaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.G_LEASE_MS;
  const v = Number(text);
  if (Number.isInteger(v) && v > 0) return v;
  // Hosts must agree on the lease: a typo on one would have it rerun trials alive elsewhere, silently.
  if (text !== undefined && text.trim() !== "" && warnedLease !== text) {
    warnedLease = text;
    process.stderr.write(
      `g: warning: G_LEASE_MS=${JSON.stringify(text)} is not a whole number of milliseconds above 0; using ${LEASE_MS}\n`,
    );
  }
  return LEASE_MS;
}

/** The bad G_LEASE_MS last warned about: once per process. */
let warnedLease: string | undefined;

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

/**
 * The file-system calls proper-lockfile makes, taught the brief lock's symlink
 * and the `.lock.break` guard: the lock's age is read from the entry itself
 * (lstat; on its own directory the same as stat), and a stale one is removed
 * by removeStaleLock, as withBriefDirLock's waiters remove one. proper-lockfile
 * takes a stale lock over by a stat, then an rmdir and a mkdir: two waiters
 * that both stat the same stale lock would both remove "it", the second one
 * the fresh lock the first has just made, and both would hold the lock. So
 * each stat of a lock is kept (`seenLocks`), and an rmdir of an entry last
 * seen stale removes only that entry, under `.lock.break`; an rmdir of a lock
 * this process holds (`heldLocks`: a release) or of one not seen stale (the
 * cleanup of a failed take) removes it. Made when first needed: copying node:fs reads its lazy
 * properties (`promises`, the stream classes), which load Node's fs/promises,
 * fs streams and readline modules, milliseconds of every start of a command
 * that never takes this lock (an agent, `g runs`).
 */
let lockfileFs: ReturnType<typeof makeLockfileFs> | null = null;

/** The last lstat proper-lockfile made of each lock path, until that path is taken or removed. */
const seenLocks = new Map<string, Stats>();
/** The lock paths this process holds through proper-lockfile: their removal is a release. */
const heldLocks = new Set<string>();

/** Notes that this process has taken `dir`'s lock (what it saw of other holders' no longer counts). */
function noteTaken(dir: string): string {
  const lockPath = join(dir, DIR_LOCK);
  seenLocks.delete(lockPath);
  heldLocks.add(lockPath);
  return lockPath;
}

function makeLockfileFs() {
  return {
    ...fs,
    stat: (path: string, callback: (err: NodeJS.ErrnoException | null, stats?: Stats) => void) =>
      fs.lstat(path, (err, stats) => {
        if (!err) seenLocks.set(path, stats);
        callback(err, stats);
      }),
    statSync: (path: string) => {
      const stats = fs.lstatSync(path);
      seenLocks.set(path, stats);
      return stats;
    },
    rmdir: (path: string, callback: (err: NodeJS.ErrnoException | null) => void) => {
      try {
        removeLockSeen(path);
      } catch (err) {
        callback(err as NodeJS.ErrnoException);
        return;
      }
      callback(null);
    },
    rmdirSync: (path: string) => removeLockSeen(path),
  };
}

/**
 * proper-lockfile's removal of a lock: a takeover (the entry was last seen
 * stale) goes through removeStaleLock, which may leave it (another waiter
 * took it over first: proper-lockfile's next mkdir then finds the lock held
 * and waits); anything else is removed.
 */
function removeLockSeen(path: string): void {
  const seen = seenLocks.get(path);
  seenLocks.delete(path);
  if (!heldLocks.delete(path) && seen && seen.mtimeMs < Date.now() - RUN_LOCK_STALE_MS) removeStaleLock(path, seen);
  else removeLockEntry(path);
}

function lockOptions(dir: string): LockOptions {
  return { lockfilePath: join(dir, DIR_LOCK), stale: RUN_LOCK_STALE_MS, realpath: false, fs: (lockfileFs ??= makeLockfileFs()) };
}

function busy(dir: string, timeoutMs: number): BusyError {
  return new BusyError(`${dir} stayed locked for ${timeoutMs / 1000} s; another g command is using it, try again`);
}

/**
 * Runs `fn` holding `dir`'s lock; waits up to `timeoutMs`, then throws BusyError (exit 75).
 * A stale lock is taken over by one waiter at a time (removeStaleLock, through lockfileFs).
 */
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
  const lockPath = noteTaken(dir);
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
    heldLocks.delete(lockPath);
  }
}

/**
 * Runs `fn` (synchronous, a few ms) holding `dir`'s lock: a symlink named
 * `.lock`, the name of withDirLock's directory, so the two exclude each other
 * across processes and hosts (creating a symlink is atomic over NFS, as mkdir
 * is; Optuna's journal storage locks the same way). A symlink rather than a
 * directory because removing a directory frees its data block: on ext4 an
 * rmdir took 1.7 ms at the median and 5.7 ms at p95 here, against 0.02 ms for
 * unlinking a symlink, and a release is part of the time the lock is held.
 * Unlike withDirLock, nothing between taking the lock and releasing
 * it waits on the event loop: symlink, `fn`, unlink, one stretch of synchronous
 * code, so the lock is held for the critical section's own time and not for a
 * round trip through libuv's thread pool (which, on a busy machine, waits for a
 * core each time). For the same reason there is no mtime refresh while held:
 * a holder that runs past RUN_LOCK_STALE_MS (a file system hung that long) may
 * see its lock taken over, as proper-lockfile's would once its refresh fails.
 *
 * While the lock is held elsewhere, it polls (symlink; an lstat for staleness) with
 * pauses from BRIEF_RETRY_FIRST_MS up to BRIEF_RETRY_MAX_MS, and watches the
 * folder as a hint: on a local file system the holder's unlink wakes the waiter
 * at once. NFS delivers no such events for other hosts' changes; the polling
 * alone is correct there. A lock whose mtime is older than RUN_LOCK_STALE_MS
 * belongs to a dead process and is removed, as proper-lockfile does, but
 * only by one waiter at a time and only if it is still the entry seen stale
 * (removeStaleLock: two waiters never both take one stale lock over). Gives up
 * with BusyError (exit 75) after `timeoutMs`.
 */
export async function withBriefDirLock<T>(dir: string, fn: () => T, timeoutMs = RUN_LOCK_TIMEOUT_MS): Promise<T> {
  const lockPath = join(dir, DIR_LOCK);
  const deadline = Date.now() + timeoutMs;
  let pause = BRIEF_RETRY_FIRST_MS;
  let hint: LockHint | null = null;
  try {
    for (;;) {
      if (tryTakeLock(dir, lockPath)) break;
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
      unlinkSync(lockPath);
    } catch {
      /* taken over as stale meanwhile (or the folder renamed away by `fn`: deleteSweep) */
    }
  }
}

/**
 * One try at the lock: true when this process made it; a stale one (a
 * symlink, or another locker's directory) is removed and the next try takes it.
 */
function tryTakeLock(dir: string, lockPath: string): boolean {
  try {
    symlinkSync(BRIEF_LOCK_TARGET, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`${dir} does not exist`);
    if (code !== "EEXIST") throw err;
  }
  let seen: Stats;
  try {
    seen = lstatSync(lockPath);
  } catch {
    return false; /* released meanwhile: the next try sees */
  }
  if (seen.mtimeMs < Date.now() - RUN_LOCK_STALE_MS) removeStaleLock(lockPath, seen);
  return false;
}

/**
 * Removes the lock entry `seen` stale, unless it has been replaced since. Two
 * waiters that see the same stale lock would otherwise both remove "it": the
 * second one the fresh lock the first made after its own removal, and both
 * would hold the lock (proper-lockfile's takeover has that window too, and
 * finds it afterwards by its mtime refresh, which a brief lock does not make).
 * So a removal is made holding a second lock, `.lock.break` (a symlink, made as
 * the lock is), and only of the entry seen (same inode and mtime: a new lock
 * has a new mtime, even on a reused inode). A waiter that finds `.lock.break`
 * held leaves the removal to its holder and looks again at its next try; one
 * left by a remover that died in these few lines goes stale as a lock does.
 */
export function removeStaleLock(lockPath: string, seen: Pick<Stats, "ino" | "mtimeMs">): void {
  const breaker = `${lockPath}${BREAK_SUFFIX}`;
  try {
    symlinkSync(BRIEF_LOCK_TARGET, breaker);
  } catch {
    try {
      if (lstatSync(breaker).mtimeMs < Date.now() - RUN_LOCK_STALE_MS) unlinkSync(breaker);
    } catch {
      /* released meanwhile */
    }
    return;
  }
  try {
    const now = lstatSync(lockPath);
    if (now.ino === seen.ino && now.mtimeMs === seen.mtimeMs) removeLockEntry(lockPath);
  } catch {
    /* released (or removed) meanwhile: the next try sees */
  } finally {
    try {
      unlinkSync(breaker);
    } catch {
      /* taken over as stale meanwhile */
    }
  }
}

/** Removes a lock entry of either kind: the brief lock's symlink or a directory (proper-lockfile's, older g's). */
function removeLockEntry(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM") throw err;
    rmdirSync(lockPath);
  }
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
  const lockPath = noteTaken(dir);
  try {
    return fn();
  } finally {
    try {
      release();
    } catch {
      /* taken over as stale meanwhile */
    }
    heldLocks.delete(lockPath);
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

/**
 * removeRunLock on the thread pool: on a busy ext4 an unlink waits for the
 * journal's commit (several ms), which an agent spends claiming its next
 * trial instead. Resolves when removed or already gone, never rejects.
 */
export function removeRunLockAsync(dir: string): Promise<void> {
  return new Promise((removed) => fs.unlink(join(dir, LOCK_FILE), () => removed()));
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
