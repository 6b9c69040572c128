// The files of one run folder: making the folder so that it appears whole,
// reading run.json (and the params an SDK keeps beside it), and listing the
// folder's files. RunStore builds on these.

import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { UsageError } from "../errors.js";
import { writeJsonAtomic, writeNewFile } from "./fs-atomic.js";
import { writeRunLock, type RunLock } from "./locks.js";
import { BUILDING_PREFIX, RUN_FILE, SDK_FILES_FILE, SDK_LOGS_FILE, SDK_PARAMS_FILE, shortId } from "./paths.js";
import { readTextFast, type FileStat } from "./read-fast.js";
import { STORE_FORMAT, type Flags, type RunRecord } from "./types.js";
import { toStoreWriteError } from "./write-errors.js";

/** `g runs info` lists at most this many files of a run. */
const MAX_LISTED_FILES = 200;

/**
 * Makes runs/<id> with its run.json (and its LOCK, when the run starts at
 * once). The folder is built as runs/.new-<id> and renamed into place once
 * run.json is whole, so a reader never sees a run without its record, even
 * when the disk fills or g dies in between (a leftover .new- folder is removed
 * by `g runs purge`). One fsync, run.json's, before the rename: a power loss
 * leaves the run whole or absent. The rename becomes durable with the run's
 * next durable update (its end: updateRun fsyncs the run folder, which on
 * journalling file systems commits the earlier rename too) or the file
 * system's own next commit (ext4: within 5 s).
 */
export function createRunFolder(runsDir: string, record: RunRecord, lock?: RunLock): string {
  const building = beginRunFolder(runsDir, record.id, lock);
  try {
    writeJsonAtomic(`${building}/${RUN_FILE}`, record, "whole");
  } catch (err) {
    abandonRunFolder(runsDir, record.id);
    throw toStoreWriteError(err, `${runsDir}/${record.id}`);
  }
  return renameRunFolder(runsDir, record.id);
}

/**
 * The first step of a run made in three (a claim's, whose trial is decided
 * under a ledger's lock): runs/.new-<id> with its LOCK, out of readers' sight.
 * Then writeBuildingRecord, then commitRunFolder. Returns the building folder.
 */
export function beginRunFolder(runsDir: string, id: string, lock?: RunLock): string {
  const dir = `${runsDir}/${id}`;
  if (existsSync(dir)) throw new UsageError(`run ${shortId(id)} exists already`);
  const building = buildingFolder(runsDir, id);
  try {
    mkdirSync(runsDir, { recursive: true });
    mkdirSync(building);
    if (lock) writeRunLock(building, lock);
  } catch (err) {
    abandonRunFolder(runsDir, id);
    throw toStoreWriteError(err, dir);
  }
  return building;
}

/**
 * run.json into a folder begun by beginRunFolder, written in place (no temp
 * file: other claimers that read it half written take it for not written yet,
 * and read the claim from its ledger line, readBuildingRun) and fsynced, so
 * commitRunFolder's rename shows it whole, after a power loss too.
 */
export function writeBuildingRecord(runsDir: string, record: RunRecord): void {
  try {
    writeNewFile(`${buildingFolder(runsDir, record.id)}/${RUN_FILE}`, JSON.stringify(record, null, 2) + "\n", "whole");
  } catch (err) {
    abandonRunFolder(runsDir, record.id);
    throw toStoreWriteError(err, `${runsDir}/${record.id}`);
  }
}

/** Rewrites the LOCK of a folder begun by beginRunFolder (a fresher heartbeat). */
export function writeBuildingLock(runsDir: string, id: string, lock: RunLock): void {
  try {
    writeRunLock(buildingFolder(runsDir, id), lock);
  } catch (err) {
    throw toStoreWriteError(err, `${runsDir}/${id}`);
  }
}

/**
 * The last step: the folder, its run.json written whole and fsynced
 * (writeBuildingRecord), renamed into place, so the run appears after a power
 * loss with its record whole or not at all, as createRunFolder's do. Returns
 * the run's folder.
 */
export function commitRunFolder(runsDir: string, id: string): string {
  return renameRunFolder(runsDir, id);
}

/** Removes a folder begun by beginRunFolder that will not become a run. */
export function abandonRunFolder(runsDir: string, id: string): void {
  rmSync(buildingFolder(runsDir, id), { recursive: true, force: true });
}

/** The record of a run still in its building folder (a claim between its ledger line and its commit). */
export function readBuildingRecord(runsDir: string, id: string): { dir: string; record: RunRecord } {
  const dir = buildingFolder(runsDir, id);
  return { dir, record: readRecord(dir, id) };
}

/**
 * The record a claimed run stands for while its claim has appended its ledger
 * line but not yet written run.json: the trial and its point, nothing started.
 * Readers of a ledger (choosers, the constant liar, counts) need no more.
 */
export function claimedRecord(id: string, claimed: { trial: number; point: Flags }): RunRecord {
  return {
    format: STORE_FORMAT,
    id,
    op: "",
    cmd: [],
    cwd: "",
    flags: claimed.point,
    created: "",
    started: null,
    stopped: null,
    exit_status: null,
    label: "",
    tags: [],
    trial: claimed.trial,
  };
}

export function buildingFolder(runsDir: string, id: string): string {
  return `${runsDir}/${BUILDING_PREFIX}${id}`;
}

function renameRunFolder(runsDir: string, id: string): string {
  const dir = `${runsDir}/${id}`;
  try {
    renameSync(buildingFolder(runsDir, id), dir);
  } catch (err) {
    abandonRunFolder(runsDir, id);
    throw toStoreWriteError(err, dir);
  }
  return dir;
}

/** The run folder was deleted (or moved to the trash) between listing and reading it: not damage. */
export class RunGoneError extends Error {
  constructor(dir: string) {
    super(`${dir} is gone`);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * run.json of the run in `dir`, checked against the store format. Throws an
 * Error whose message says what is wrong (missing, unreadable with its code,
 * not JSON, wrong format or id), for a warning naming the folder. With
 * `stat`, run.json's stat is taken into it once open, before it is read.
 */
export function readRecord(dir: string, id: string, stat?: FileStat): RunRecord {
  let text: string | null;
  try {
    text = readTextFast(`${dir}/${RUN_FILE}`, stat);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOTDIR" ? "the run folder is a file, not a folder" : code === "ELOOP" ? "the run folder is a symbolic link loop" : null;
    throw new Error(`run.json cannot be read${why ? `: ${why}` : ""} (${code ?? (err as Error).message})`);
  }
  if (text === null) {
    if (existsSync(dir)) throw new Error("run.json is missing");
    if (isSymlink(dir)) throw new Error("the run folder is a broken symbolic link");
    throw new RunGoneError(dir);
  }
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

/** Params an SDK wrote while running inside this run (params.json), merged into flags at the end. */
export function readSdkParams(dir: string): Flags | null {
  // Most runs have none: asking first costs no thrown ENOENT (some 15 µs a run).
  if (!existsSync(`${dir}/${SDK_PARAMS_FILE}`)) return null;
  try {
    const value = JSON.parse(readFileSync(`${dir}/${SDK_PARAMS_FILE}`, "utf8")) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Flags) : null;
  } catch {
    return null;
  }
}

/**
 * A record as shown to readers: an SDK inside a running g run keeps its params
 * in params.json until the run ends (the runner merges them then); show them
 * now. Not for read-modify-write, which must keep run.json's own flags.
 */
export function withLiveParams(record: RunRecord, dir: string): RunRecord {
  if (record.stopped != null) return record;
  const params = readSdkParams(dir);
  if (params) record.flags = { ...params, ...record.flags };
  return record;
}

/** The run's files as "path (size B)", sorted; [] when the folder cannot be read. */
export function listRunFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d).sort()) {
      if (out.length >= MAX_LISTED_FILES) return;
      // g's own hidden files (.lock, temp files) at the top; a script's dotfiles in sourcecode/ are listed.
      if (prefix === "" && name.startsWith(".")) continue;
      const st = statSync(`${d}/${name}`);
      if (st.isDirectory()) walk(`${d}/${name}`, `${prefix}${name}/`);
      else out.push(`${prefix}${name} (${st.size} B)`);
    }
  };
  try {
    walk(dir, "");
  } catch {
    /* a run being deleted meanwhile, or a damaged folder: list what was seen */
  }
  return out;
}

/** A file an SDK saved into the run, as files.json describes it (ml_dash's file record). */
export interface SdkFile {
  id: string;
  /** The folder inside the run's files/ ("" for files/ itself), "/"-separated. */
  path: string;
  filename: string;
  sizeBytes: number;
  checksum: string;
  contentType?: string;
  description?: string | null;
  tags?: string[];
  metadata?: unknown;
  uploadedAt?: string;
}

/** The files an SDK saved into the run (files.json), oldest first; [] when there are none or it cannot be read. */
export function readSdkFiles(dir: string): SdkFile[] {
  try {
    const value = JSON.parse(readFileSync(`${dir}/${SDK_FILES_FILE}`, "utf8")) as { files?: unknown };
    const files = Array.isArray(value?.files) ? (value.files as unknown[]) : [];
    return files.filter(
      (f): f is SdkFile =>
        typeof f === "object" && f !== null && typeof (f as SdkFile).filename === "string" && typeof (f as SdkFile).path === "string",
    );
  } catch {
    return [];
  }
}

/** How many messages an SDK logged into the run (logs.jsonl), by level in order of first use. */
export interface LogSummary {
  count: number;
  levels: Record<string, number>;
}

/** Counts logs.jsonl's lines by level; a torn or foreign line is skipped. */
export function summarizeSdkLogs(dir: string): LogSummary {
  const summary: LogSummary = { count: 0, levels: {} };
  let text: string;
  try {
    text = readFileSync(`${dir}/${SDK_LOGS_FILE}`, "utf8");
  } catch {
    return summary;
  }
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const level = (entry as { level?: unknown } | null)?.level;
    if (typeof level !== "string") continue;
    summary.count++;
    summary.levels[level] = (summary.levels[level] ?? 0) + 1;
  }
  return summary;
}
