// The change feed of `g view`: a version number that goes up whenever a run
// appears, disappears, or an unfinished run's files change (it starts, logs
// scalars, finishes). Cheap on a big store: fs.watch on runs/ for prompt
// notice, and once a tick one readdir of runs/ plus a stat of the few files
// of each unfinished run (and a look at its LOCK's process). Finished runs are
// never re-read per tick.

import { readdirSync, statSync, watch, type FSWatcher } from "node:fs";
import { LOCK_FILE, RUN_FILE, SCALARS_FILE, isRunId, isRunLockLive, readTextFast } from "../store/store.js";

/** How often the store is checked (ms); fs.watch makes most changes show sooner. */
export const CHANGE_TICK_MS = 1000;
/** fs.watch fires several events per run created; one check after this quiet time (ms). */
const WATCH_DEBOUNCE_MS = 100;

export interface ChangeWatcherOptions {
  runsDir: string;
  /** The unfinished runs' ids at the caller's first read of the store. */
  unfinished: string[];
  /** Called with the new version after each change. */
  onChange(version: number): void;
  tickMs?: number;
}

export class ChangeWatcher {
  version = 1;
  private names = new Set<string>();
  /** Unfinished run id → a signature of its run.json, scalars.jsonl and LOCK. */
  private watched = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private fsWatcher: FSWatcher | null = null;

  constructor(private readonly opts: ChangeWatcherOptions) {}

  start(): void {
    this.names = this.readNames();
    for (const id of this.opts.unfinished) this.watched.set(id, signatureOf(`${this.opts.runsDir}/${id}`));
    this.timer = setInterval(() => this.check(), this.opts.tickMs ?? CHANGE_TICK_MS);
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

  /** Compares the run folders and the unfinished runs' files with the last check; bumps the version on a difference. */
  check(): void {
    let changed = false;
    const names = this.readNames();
    if (names.size !== this.names.size) changed = true;
    else for (const n of names) if (!this.names.has(n)) changed = true;
    if (changed) {
      // A new folder is a new (unfinished) run: watch it until its run.json says it stopped.
      for (const n of names) if (!this.names.has(n)) this.watched.set(n, "");
      for (const id of this.watched.keys()) if (!names.has(id)) this.watched.delete(id);
      this.names = names;
    }
    for (const [id, before] of this.watched) {
      const dir = `${this.opts.runsDir}/${id}`;
      const now = signatureOf(dir);
      if (now === before) continue;
      changed = true;
      // Only this one run is read, and only when its files changed.
      if (isStopped(dir)) this.watched.delete(id);
      else this.watched.set(id, now);
    }
    if (!changed) return;
    this.version++;
    this.opts.onChange(this.version);
  }

  private readNames(): Set<string> {
    try {
      return new Set(readdirSync(this.opts.runsDir).filter(isRunId));
    } catch {
      return new Set();
    }
  }
}

/** A run that has stopped and left no LOCK changes no more (a restarted one is missed until a new run appears: docs/view.md). */
function isStopped(dir: string): boolean {
  if (statSync(`${dir}/${LOCK_FILE}`, { throwIfNoEntry: false })) return false;
  const text = readTextFast(`${dir}/${RUN_FILE}`);
  if (text === null) return false;
  try {
    return (JSON.parse(text) as { stopped?: unknown }).stopped != null;
  } catch {
    return false;
  }
}

/**
 * Size and mtime of a run's changing files, and whether its LOCK stands for a
 * live process; any difference means the run changed. The last part changes
 * with no file changing: a recorder killed, its orphaned script ending, a
 * lease running out (the run turns from running to error).
 */
function signatureOf(dir: string): string {
  const parts: string[] = [];
  for (const f of [RUN_FILE, SCALARS_FILE, LOCK_FILE]) {
    const st = statSync(`${dir}/${f}`, { throwIfNoEntry: false });
    parts.push(st ? `${st.size}:${st.mtimeMs}` : "-");
  }
  if (parts[2] !== "-") parts.push(isRunLockLive(dir) ? "live" : "dead");
  return parts.join(",");
}
