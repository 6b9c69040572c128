// The change feed of `g view`: a version number that goes up whenever a run
// appears, disappears, or changes (an unfinished run starts, logs scalars,
// finishes; a finished run's run.json is replaced: a label, a tag, a
// restart), with the ids of the runs that may have changed, so that the
// server rereads those runs only (data.ts). Cheap on a big store: fs.watch on
// runs/ for prompt notice, and once a tick one readdir of runs/, a stat of the
// few files of each unfinished run (and a look at its LOCK's process), and a stat of the run.json of a slice of
// the other runs, so that every run.json is looked at once every
// RECORD_SWEEP_MS.

import { readdirSync, statSync, watch, type FSWatcher } from "node:fs";
import { LOCK_FILE, RUN_FILE, SCALARS_FILE, isRunId, isRunLockLive, readTextFast } from "../store/store.js";

/** How often the store is checked (ms); fs.watch makes most changes show sooner. */
export const CHANGE_TICK_MS = 1000;
/** fs.watch fires several events per run created; one check after this quiet time (ms). */
const WATCH_DEBOUNCE_MS = 100;
/**
 * Every run's run.json is stat'ed once in this time (ms), a slice a tick: a finished run whose
 * record is replaced (`g runs label`, `tag`, a reaper, another host) shows within it. Records
 * are replaced by a rename, so the inode says so even where mtimes are coarse.
 */
export const RECORD_SWEEP_MS = 10_000;

export interface ChangeWatcherOptions {
  runsDir: string;
  /** Called with the new version after each change, and the ids of the runs that may have changed (appeared, gone, or edited). */
  onChange(version: number, changed: ReadonlySet<string>): void;
  tickMs?: number;
}

export class ChangeWatcher {
  version = 1;
  private names = new Set<string>();
  /** The names in the order the sweep walks them (new ones at the end; gone ones until the list is tidied), and where it is. */
  private order: string[] = [];
  private sweepAt = 0;
  /** Run id → a signature of its run.json as the sweep last saw it. */
  private records = new Map<string, string>();
  /** Unfinished run id → a signature of its run.json, scalars.jsonl and LOCK. */
  private watched = new Map<string, string>();
  private primed = false;
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private fsWatcher: FSWatcher | null = null;

  constructor(private readonly opts: ChangeWatcherOptions) {}

  private get tickMs(): number {
    return this.opts.tickMs ?? CHANGE_TICK_MS;
  }

  /**
   * Lists the runs and stats every run.json: what later checks compare with. Called before the
   * caller first reads the store, so that a change made between the two is seen as one.
   */
  prime(): void {
    this.names = this.readNames();
    this.order = [...this.names];
    for (const id of this.names) this.records.set(id, recordSignature(`${this.opts.runsDir}/${id}`));
    this.primed = true;
  }

  /** Starts checking; `unfinished`: the ids of the runs not finished at the caller's first read of the store. */
  start(unfinished: readonly string[]): void {
    if (!this.primed) this.prime();
    for (const id of unfinished) this.watched.set(id, signatureOf(`${this.opts.runsDir}/${id}`));
    // A slice of the runs' records a tick, so that all are stat'ed once every RECORD_SWEEP_MS.
    const ticksPerSweep = Math.max(1, Math.floor(RECORD_SWEEP_MS / this.tickMs));
    this.timer = setInterval(() => this.check(Math.ceil(this.names.size / ticksPerSweep)), this.tickMs);
    this.timer.unref();
    try {
      this.fsWatcher = watch(this.opts.runsDir, { persistent: false }, () => this.checkSoon());
      this.fsWatcher.on("error", () => {
        // The folder went away or the file system cannot watch (NFS): the tick still checks.
        this.fsWatcher?.close();
        this.fsWatcher = null;
      });
    } catch {
      /* no runs/ yet, or no watch support: the tick covers it */
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.fsWatcher?.close();
    this.timer = this.debounce = null;
    this.fsWatcher = null;
  }

  private checkSoon(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.check();
    }, WATCH_DEBOUNCE_MS);
    this.debounce.unref();
  }

  /**
   * Compares the run folders, the unfinished runs' files and the run.json of `sweep` more runs
   * (Infinity: all) with what was seen last; bumps the version on a difference.
   */
  check(sweep = 0): void {
    const changed = new Set<string>();
    const runsDir = this.opts.runsDir;
    const names = this.readNames();
    for (const id of names) {
      if (this.names.has(id)) continue;
      // A new folder (a new run, or one restored from the trash): watch it until its run.json says it stopped.
      changed.add(id);
      this.watched.set(id, "");
      this.records.set(id, recordSignature(`${runsDir}/${id}`));
      this.order.push(id);
    }
    for (const id of this.names) {
      if (names.has(id)) continue;
      changed.add(id);
      this.watched.delete(id);
      this.records.delete(id);
    }
    if (changed.size > 0) {
      this.names = names;
      // The walk goes on where it was (a store that gains a run every tick still has all its records looked at).
      if (this.order.length > 2 * names.size + 64) {
        this.order = this.order.filter((id) => names.has(id));
        this.sweepAt = 0;
      }
    }
    for (const [id, before] of this.watched) {
      const dir = `${runsDir}/${id}`;
      const now = signatureOf(dir);
      if (now === before) continue;
      changed.add(id);
      this.records.set(id, recordSignature(dir));
      // Only this one run is read, and only when its files changed.
      if (isStopped(dir)) this.watched.delete(id);
      else this.watched.set(id, now);
    }
    const count = Math.min(sweep, this.order.length);
    for (let k = 0; k < count; k++) {
      if (this.sweepAt >= this.order.length) this.sweepAt = 0;
      const id = this.order[this.sweepAt++]!;
      if (this.watched.has(id) || !names.has(id)) continue;
      const now = recordSignature(`${runsDir}/${id}`);
      if (now === this.records.get(id)) continue;
      this.records.set(id, now);
      changed.add(id);
      // Replaced: it may have started again (a restart in place); the next check reads whether it stopped.
      this.watched.set(id, "");
    }
    if (changed.size === 0) return;
    this.version++;
    this.opts.onChange(this.version, changed);
  }

  private readNames(): Set<string> {
    try {
      return new Set(readdirSync(this.opts.runsDir).filter(isRunId));
    } catch {
      return new Set();
    }
  }
}

/** A run that has stopped and left no LOCK changes no more, but for its run.json being replaced (the sweep's part). */
function isStopped(dir: string): boolean {
  if (fileSignature(`${dir}/${LOCK_FILE}`) !== "-") return false;
  const text = readTextFast(`${dir}/${RUN_FILE}`);
  if (text === null) return false;
  try {
    return (JSON.parse(text) as { stopped?: unknown }).stopped != null;
  } catch {
    return false;
  }
}

/** Inode, size and mtime of a file: any difference means it changed (a rename over it changes the inode). */
function fileSignature(path: string): string {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : "-";
  } catch {
    return "?"; // a file where the run's folder should be (ENOTDIR): damaged, as the listing says
  }
}

function recordSignature(dir: string): string {
  return fileSignature(`${dir}/${RUN_FILE}`);
}

/**
 * The signature of a run's changing files, and whether its LOCK stands for a
 * live process; any difference means the run changed. The last part changes
 * with no file changing: a recorder killed, its orphaned script ending, a
 * lease running out (the run turns from running to error).
 */
function signatureOf(dir: string): string {
  const parts = [RUN_FILE, SCALARS_FILE, LOCK_FILE].map((f) => fileSignature(`${dir}/${f}`));
  if (parts[2] !== "-" && parts[2] !== "?") parts.push(isRunLockLive(dir) ? "live" : "dead");
  return parts.join(",");
}
