// The run store (shared/DESIGN.md, "Run store, format 1"): the only code that
// reads and writes run directories under $G_HOME/runs and $G_HOME/trash/runs.

import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { homedir, hostname } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { BusyError, NotFoundError, UsageError } from "../errors.js";
import { appendLines, safeUnlink, writeFileAtomic, writeJsonAtomic } from "./fs-atomic.js";
import {
  STORE_FORMAT,
  type Run,
  type RunRecord,
  type Flags,
  type RunStatus,
  type ScalarRecord,
  type ScalarSummary,
} from "./types.js";

export const RUN_ID_PATTERN = /^[0-9a-f]{32}$/;
export const SHORT_ID_LENGTH = 8;
/** How long a command waits for another one's lock on a run before giving up (exit 75). */
export const RUN_LOCK_TIMEOUT_MS = 10_000;
/** A lock not refreshed for this long belongs to a dead process and may be taken over. */
export const RUN_LOCK_STALE_MS = 10_000;
/** An SDK's half-made run folder (runs/.new-<id>) older than this was abandoned. */
export const ABANDONED_BUILD_MS = 60_000;

export const RUN_FILE = "run.json";
export const SCALARS_FILE = "scalars.jsonl";
export const OUTPUT_FILE = "output.log";
export const SUMMARY_FILE = "summary.json";
export const LOCK_FILE = "LOCK";
export const SOURCE_DIR = "sourcecode";
/** $G_HOME/index.jsonl: a cache of finished runs' records and summaries (see listRunsWithSummaries). */
export const INDEX_FILE = "index.jsonl";
/** Record fields the index leaves out: big, and not needed to compare runs. */
const INDEX_DROPPED_FIELDS = ["cmd", "space", "points", "base_flags", "optimizer_settings", "format", "id"] as const;

/** Contents of a run's LOCK file: the process that records the run. */
export interface RunLock {
  pid: number;
  host: string;
  child?: number;
}

/**
 * One line of index.jsonl: valid while run.json's inode, size and mtime are
 * unchanged. Summaries are packed as [last, first, min, max, total, count,
 * step] (avg is total / count, as summarizeScalars computes it): a third
 * less to parse than the objects.
 */
interface IndexEntry {
  id: string;
  ino: number;
  size: number;
  mtime: number;
  record: RunRecord;
  packed: Record<string, [number, number, number, number, number, number, number | null]>;
}

/** A run with its per-key scalar summaries, as compare needs it. */
export interface RunWithSummaries {
  run: Run;
  summaries: Record<string, ScalarSummary>;
}

interface SummaryCache {
  /** Size of scalars.jsonl when the summary was computed; a different size means stale. */
  bytes: number;
  scalars: Record<string, ScalarSummary>;
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.G_HOME;
  return home && home.trim() !== "" ? resolve(home) : join(homedir(), ".g");
}

export function isRunId(id: string): boolean {
  return RUN_ID_PATTERN.test(id);
}

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

export function newRunId(): string {
  return randomBytes(16).toString("hex");
}

export function isoNow(): string {
  return new Date().toISOString();
}

const THIS_HOST = hostname();

export class RunStore {
  readonly runsDir: string;
  readonly trashDir: string;

  constructor(readonly home: string) {
    this.runsDir = join(home, "runs");
    this.trashDir = join(home, "trash", "runs");
  }

  /** The directory of run `id`; the id is validated before it becomes a path. */
  runDir(id: string, trash = false): string {
    if (!isRunId(id)) throw new UsageError(`"${id}" is not a run id (32 lowercase hex characters)`);
    return join(trash ? this.trashDir : this.runsDir, id);
  }

  newRunId(): string {
    return newRunId();
  }

  /** Creates the run directory and its run.json; the run is `pending` until started. */
  createRun(fields: Partial<RunRecord> & { op: string }): Run {
    const id = fields.id ?? newRunId();
    const dir = this.runDir(id);
    mkdirSync(dir, { recursive: true });
    const record: RunRecord = {
      cmd: [],
      cwd: process.cwd(),
      flags: {},
      started: null,
      stopped: null,
      exit_status: null,
      label: "",
      tags: [],
      ...fields,
      format: STORE_FORMAT,
      id,
      created: fields.created ?? isoNow(),
    };
    writeJsonAtomic(join(dir, RUN_FILE), record);
    return { id, dir, record, status: deriveStatus(record, dir) };
  }

  readRun(id: string, opts: { trash?: boolean } = {}): Run {
    const dir = this.runDir(id, opts.trash);
    if (!existsSync(dir)) throw new NotFoundError(`no run ${id}${opts.trash ? " in the trash" : ""}`);
    const record = withLiveParams(readRecord(dir, id), dir);
    return { id, dir, record, status: deriveStatus(record, dir) };
  }

  /**
   * Every readable run, newest first (index 1 = latest). A directory that
   * cannot be read is reported in `warnings` and skipped, never fatal.
   */
  listRuns(opts: { trash?: boolean } = {}): { runs: Run[]; warnings: string[] } {
    const root = opts.trash ? this.trashDir : this.runsDir;
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      return { runs: [], warnings: [] };
    }
    const runs: Run[] = [];
    const warnings: string[] = [];
    for (const name of names) {
      if (!isRunId(name)) continue;
      const dir = `${root}/${name}`; // join() is measurable at 100 000 runs; names are validated ids
      try {
        const record = withLiveParams(readRecord(dir, name), dir);
        runs.push({ id: name, dir, record, status: deriveStatus(record, dir) });
      } catch (err) {
        warnings.push(`skipping damaged run ${dir}: ${(err as Error).message}`);
      }
    }
    runs.sort(compareNewestFirst);
    return { runs, warnings };
  }

  /**
   * Every readable run with its scalar summaries, newest first. Finished runs
   * come from index.jsonl when their run.json is unchanged (one stat instead of
   * two reads and two parses a run); anything else is read from its files, and
   * finished runs read that way are added to the index for next time. The
   * index is only a cache: losing or damaging it costs time, never data.
   * Records from the index lack the fields in INDEX_DROPPED_FIELDS.
   */
  listRunsWithSummaries(): { runs: RunWithSummaries[]; warnings: string[] } {
    let names: string[];
    try {
      names = readdirSync(this.runsDir);
    } catch {
      return { runs: [], warnings: [] };
    }
    const { entries: index, lines } = this.readIndex();
    const out: RunWithSummaries[] = [];
    const warnings: string[] = [];
    const fresh: string[] = [];
    let live = 0;
    for (const name of names) {
      if (!isRunId(name)) continue;
      live++;
      const dir = `${this.runsDir}/${name}`;
      const entry = index.get(name);
      // Let the packed form go as soon as it is unpacked: at 100 000 runs that is ~100 MB.
      index.delete(name);
      if (entry) {
        const st = statSync(`${dir}/${RUN_FILE}`, { throwIfNoEntry: false });
        if (st && st.ino === entry.ino && st.size === entry.size && st.mtimeMs === entry.mtime) {
          const record = entry.record;
          record.format = STORE_FORMAT;
          record.id = name;
          out.push({ run: { id: name, dir, record, status: deriveStatus(record, dir) }, summaries: unpackSummaries(entry.packed) });
          continue;
        }
      }
      let record: RunRecord;
      try {
        record = withLiveParams(readRecord(dir, name), dir);
      } catch (err) {
        warnings.push(`skipping damaged run ${dir}: ${(err as Error).message}`);
        continue;
      }
      const run: Run = { id: name, dir, record, status: deriveStatus(record, dir) };
      const summaries = this.readSummaries(run);
      out.push({ run, summaries });
      const line = indexLine(dir, record, summaries);
      if (line) fresh.push(line);
    }
    out.sort((a, b) => compareNewestFirst(a.run, b.run));
    try {
      if (lines > 1.25 * live + 1000) {
        // A quarter or more of the lines superseded or unreadable: rewrite with the current entries only.
        writeFileAtomic(join(this.home, INDEX_FILE), [...out.map((r) => indexLine(r.run.dir, r.run.record, r.summaries)).filter((l) => l !== null)].join(""));
      } else if (fresh.length > 0) {
        mkdirSync(this.home, { recursive: true });
        appendLines(join(this.home, INDEX_FILE), fresh);
      }
    } catch {
      /* a read-only store still answers */
    }
    return { runs: out, warnings };
  }

  /** Adds a finished run to the index (called when a run ends); best effort. */
  indexRun(id: string, record: RunRecord, summaries: Record<string, ScalarSummary>): void {
    try {
      const line = indexLine(this.runDir(id), record, summaries);
      if (line) appendLines(join(this.home, INDEX_FILE), [line]);
    } catch {
      /* the index is a cache */
    }
  }

  /** The index's current entries, and how many lines it has (superseded and unreadable ones included). */
  private readIndex(): { entries: Map<string, IndexEntry>; lines: number } {
    const entries = new Map<string, IndexEntry>();
    let lines = 0;
    let buf: Buffer;
    try {
      buf = readFileSync(join(this.home, INDEX_FILE));
    } catch {
      return { entries, lines };
    }
    // Line by line from the buffer: no giant string, and a torn line costs only itself.
    let start = 0;
    while (start < buf.length) {
      let end = buf.indexOf(10, start);
      if (end < 0) end = buf.length;
      if (end > start) {
        lines++;
        try {
          const e = JSON.parse(buf.toString("utf8", start, end)) as IndexEntry;
          if (typeof e.id === "string" && e.record && e.packed) entries.set(e.id, e);
        } catch {
          /* torn line */
        }
      }
      start = end + 1;
    }
    return { entries, lines };
  }

  /** Read-modify-write of run.json under the run's lock; the write is atomic. */
  async updateRun(id: string, mutate: (record: RunRecord) => void): Promise<RunRecord> {
    const dir = this.runDir(id);
    return withDirLock(dir, () => {
      const record = readRecord(dir, id);
      mutate(record);
      record.format = STORE_FORMAT;
      record.id = id;
      writeJsonAtomic(join(dir, RUN_FILE), record);
      return record;
    });
  }

  appendScalars(id: string, records: ScalarRecord[]): void {
    appendLines(
      join(this.runDir(id), SCALARS_FILE),
      records.map((r) => JSON.stringify(r) + "\n"),
    );
  }

  readScalars(id: string): ScalarRecord[] {
    return readScalarsFile(join(this.runDir(id), SCALARS_FILE));
  }

  /** Per-key scalar summaries, from the run's cache when it is current, else rebuilt. */
  readSummaries(run: Run): Record<string, ScalarSummary> {
    const cacheText = readTextFast(`${run.dir}/${SUMMARY_FILE}`);
    let cache: SummaryCache | null = null;
    if (cacheText !== null) {
      try {
        cache = JSON.parse(cacheText) as SummaryCache;
      } catch {
        /* torn or hand-edited: rebuild */
      }
    }
    // A stopped run's summary was written after its last scalar: trust it without a stat
    // (100 000 stats are 0.6 s). A running run's scalars grow, so check the size.
    if (cache?.scalars && run.record.stopped != null && run.status !== "running") return cache.scalars;
    const st = statSync(`${run.dir}/${SCALARS_FILE}`, { throwIfNoEntry: false });
    if (st === undefined) return {};
    if (cache?.scalars && cache.bytes === st.size) return cache.scalars;
    return this.writeSummary(run.dir, st.size);
  }

  /** Recomputes and caches a run's scalar summaries (called when a run ends). */
  writeSummary(dir: string, knownBytes?: number): Record<string, ScalarSummary> {
    const scalarsPath = join(dir, SCALARS_FILE);
    let bytes = knownBytes;
    if (bytes === undefined) {
      try {
        bytes = statSync(scalarsPath).size;
      } catch {
        return {};
      }
    }
    const scalars = summarizeScalars(readScalarsFile(scalarsPath));
    try {
      writeJsonAtomic(join(dir, SUMMARY_FILE), { bytes, scalars } satisfies SummaryCache);
    } catch {
      /* a read-only store still answers; the cache is only an optimisation */
    }
    return scalars;
  }

  writeLock(id: string, lock: RunLock): void {
    writeJsonAtomic(join(this.runDir(id), LOCK_FILE), lock);
  }

  removeLock(id: string): void {
    safeUnlink(join(this.runDir(id), LOCK_FILE));
  }

  readLock(run: Run): RunLock | null {
    return readLockFile(run.dir);
  }

  /** Moves runs to the trash, or deletes them for good with `permanent`. */
  deleteRun(id: string, opts: { permanent?: boolean } = {}): void {
    const dir = this.runDir(id);
    if (opts.permanent) {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    mkdirSync(this.trashDir, { recursive: true });
    renameSync(dir, this.runDir(id, true));
  }

  restoreRun(id: string): void {
    const from = this.runDir(id, true);
    if (!existsSync(from)) throw new NotFoundError(`no run ${id} in the trash`);
    const to = this.runDir(id);
    if (existsSync(to)) throw new UsageError(`run ${shortId(id)} exists already; delete it first or leave it in the trash`);
    mkdirSync(this.runsDir, { recursive: true });
    renameSync(from, to);
  }

  purgeRun(id: string): void {
    rmSync(this.runDir(id, true), { recursive: true, force: true });
  }

  /**
   * Removes `runs/.new-<id>` folders an SDK began but never renamed into place
   * (its process died in between); younger ones may still be in the making.
   */
  removeAbandonedRuns(olderThanMs = ABANDONED_BUILD_MS, now = Date.now()): number {
    let removed = 0;
    let names: string[] = [];
    try {
      names = readdirSync(this.runsDir);
    } catch {
      return 0;
    }
    for (const name of names) {
      if (!name.startsWith(".new-") || !isRunId(name.slice(5))) continue;
      const path = join(this.runsDir, name);
      try {
        if (now - statSync(path).mtimeMs < olderThanMs) continue;
        rmSync(path, { recursive: true, force: true });
        removed++;
      } catch {
        /* gone meanwhile */
      }
    }
    return removed;
  }
}

/** The index line for a finished run, or null for one still going (those are always read fresh). */
function indexLine(dir: string, record: RunRecord, summaries: Record<string, ScalarSummary>): string | null {
  if (record.stopped == null) return null;
  const st = statSync(`${dir}/${RUN_FILE}`, { throwIfNoEntry: false });
  if (!st) return null;
  const slim: Record<string, unknown> = { ...record };
  for (const f of INDEX_DROPPED_FIELDS) delete slim[f];
  const packed: IndexEntry["packed"] = {};
  for (const [k, v] of Object.entries(summaries)) packed[k] = [v.last, v.first, v.min, v.max, v.total, v.count, v.step];
  return JSON.stringify({ id: record.id, ino: st.ino, size: st.size, mtime: st.mtimeMs, record: slim, packed }) + "\n";
}

function unpackSummaries(packed: IndexEntry["packed"]): Record<string, ScalarSummary> {
  const out: Record<string, ScalarSummary> = {};
  for (const k in packed) {
    const [last, first, min, max, total, count, step] = packed[k]!;
    out[k] = { last, first, min, max, avg: total / count, total, count, step };
  }
  return out;
}

function compareNewestFirst(a: Run, b: Run): number {
  const ta = a.record.created ?? a.record.started ?? "";
  const tb = b.record.created ?? b.record.started ?? "";
  if (ta !== tb) return ta < tb ? 1 : -1;
  // Trials of one batch created in the same millisecond: higher trial number is newer.
  const na = a.record.trial ?? 0;
  const nb = b.record.trial ?? 0;
  if (na !== nb) return nb - na;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function readRecord(dir: string, id: string): RunRecord {
  let text: string | null;
  try {
    text = readTextFast(`${dir}/${RUN_FILE}`);
  } catch (err) {
    throw new Error(`run.json cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
  if (text === null) throw new Error("run.json is missing");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("run.json is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("run.json is not an object");
  const record = value as RunRecord;
  if (record.format !== STORE_FORMAT) throw new Error(`run.json has format ${JSON.stringify(record.format)}, expected ${STORE_FORMAT}`);
  if (record.id !== id) throw new Error(`run.json names id ${JSON.stringify(record.id)}, not its directory's`);
  if (typeof record.op !== "string") throw new Error("run.json has no op");
  record.flags ??= {};
  record.tags ??= [];
  record.label ??= "";
  record.created ??= record.started ?? "";
  return record;
}

/** One buffer reused by every small-file read of a listing (grown when a file is larger). */
let readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * A whole small file as text, or null when it does not exist. Faster than
 * readFileSync(path, "utf8") over 100 000 files: no options parsing, no
 * fstat, no buffer per file.
 */
export function readTextFast(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    let n = 0;
    for (;;) {
      const got = readSync(fd, readBuffer, n, readBuffer.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === readBuffer.length) {
        const bigger = Buffer.allocUnsafe(readBuffer.length * 2);
        readBuffer.copy(bigger);
        readBuffer = bigger;
      }
    }
    return readBuffer.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
  }
}

function readLockFile(dir: string): RunLock | null {
  let text: string;
  try {
    text = readFileSync(join(dir, LOCK_FILE), "utf8");
  } catch {
    return null;
  }
  try {
    const lock = JSON.parse(text) as RunLock;
    return typeof lock.pid === "number" ? lock : { pid: 0, host: THIS_HOST };
  } catch {
    // A LOCK cut short by a crash: its writer is gone.
    return { pid: 0, host: THIS_HOST };
  }
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A record as shown to readers: an SDK inside a running g run keeps its params
 * in params.json until the run ends (the runner merges them then); show them
 * now. Not for read-modify-write, which must keep run.json's own flags.
 */
function withLiveParams(record: RunRecord, dir: string): RunRecord {
  if (record.stopped != null) return record;
  const params = readSdkParams(dir);
  if (params) record.flags = { ...params, ...record.flags };
  return record;
}

/** Status is derived from the record and the LOCK, never trusted from a field alone. */
export function deriveStatus(record: RunRecord, dir: string): RunStatus {
  if (record.stopped == null) {
    const lock = readLockFile(dir);
    if (lock) {
      if (lock.host !== THIS_HOST) return "running";
      return isPidAlive(lock.pid) ? "running" : "error";
    }
    return record.started ? "error" : "pending";
  }
  if (record.early_stopped) return "early-stopped";
  if (record.terminated) return "terminated";
  return record.exit_status === 0 ? "completed" : "error";
}

export function readScalarsFile(path: string): ScalarRecord[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const out: ScalarRecord[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const r = JSON.parse(line) as ScalarRecord;
      if (typeof r.key === "string" && typeof r.value === "number") out.push(r);
    } catch {
      /* a line torn by a crash is skipped; the others stand */
    }
  }
  return out;
}

export function summarizeScalars(records: ScalarRecord[]): Record<string, ScalarSummary> {
  const out: Record<string, ScalarSummary> = {};
  for (const r of records) {
    const s = out[r.key];
    if (!s) {
      out[r.key] = { last: r.value, first: r.value, min: r.value, max: r.value, avg: r.value, total: r.value, count: 1, step: r.step ?? null };
      continue;
    }
    s.last = r.value;
    if (r.value < s.min) s.min = r.value;
    if (r.value > s.max) s.max = r.value;
    s.total += r.value;
    s.count += 1;
    s.avg = s.total / s.count;
    s.step = r.step ?? null;
  }
  return out;
}

/**
 * Runs `fn` holding the directory's lock (proper-lockfile: a lock directory
 * with a refreshed mtime, so it works over NFS and a dead holder goes stale).
 */
export async function withDirLock<T>(dir: string, fn: () => T | Promise<T>, timeoutMs = RUN_LOCK_TIMEOUT_MS): Promise<T> {
  // The default export is module.exports both under Node and in the esbuild bundle.
  const { lock } = (await import("proper-lockfile")).default;
  let release: () => Promise<void>;
  try {
    release = await lock(dir, {
      lockfilePath: join(dir, ".lock"),
      stale: RUN_LOCK_STALE_MS,
      realpath: false,
      retries: { retries: Math.ceil(timeoutMs / 50), factor: 1, minTimeout: 20, maxTimeout: 80, randomize: true },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOCKED") throw new BusyError(`${dir} stayed locked for ${timeoutMs / 1000} s; another g command is using it, try again`);
    if (code === "ENOENT") throw new NotFoundError(`${dir} does not exist`);
    throw err;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Params an SDK wrote while running inside this run (params.json), merged into flags at the end. */
export function readSdkParams(dir: string): Flags | null {
  const path = join(dir, "params.json");
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Flags) : null;
  } catch {
    return null;
  }
}
