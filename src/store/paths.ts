// Where things live in a store (shared/DESIGN.md, "Run store, format 1"):
// which store (G_HOME, the nearest project `.g/`, or ~/.g), run ids and the
// names of a run folder's files. Naming only, but for the few stats that find
// a project store; the modules beside this one do the reading and writing.

import { closeSync, openSync, readSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../errors.js";

export const RUN_ID_PATTERN = /^[0-9a-f]{32}$/;
export const SHORT_ID_LENGTH = 8;

export const RUN_FILE = "run.json";
export const SCALARS_FILE = "scalars.jsonl";
export const OUTPUT_FILE = "output.log";
export const SUMMARY_FILE = "summary.json";
export const LOCK_FILE = "LOCK";
export const SOURCE_DIR = "sourcecode";
/** Params an SDK logged inside a g run; the runner merges them into flags at the end. */
export const SDK_PARAMS_FILE = "params.json";
/** Files an SDK saved into the run (`experiment.files(...)`): FILES_DIR/<path>/<name>, described in SDK_FILES_FILE. */
export const FILES_DIR = "files";
export const SDK_FILES_FILE = "files.json";
/** Messages an SDK logged (`experiment.log(msg, level=..., metadata=...)`), one JSON object a line. */
export const SDK_LOGS_FILE = "logs.jsonl";
/** ml_dash's tracks, every topic in one file: {"topic", "timestamp", "data"} a line (src/store/track-files.ts). */
export const SDK_TRACKS_FILE = "tracks.jsonl";
/** $G_HOME/index.jsonl: a cache of finished runs' records and summaries (see index-cache.ts). */
export const INDEX_FILE = "index.jsonl";
/** $G_HOME/index.bin: the binary snapshot of the index (see index-snapshot.ts); index.jsonl is its journal. */
export const SNAPSHOT_FILE = "index.bin";
/** $G_HOME/index-keys.txt: the index's ordering column, what `g runs` reads (see index-cache.ts). */
export const INDEX_KEYS_FILE = "index-keys.txt";
/**
 * A run folder is made as runs/.new-<id> and renamed to runs/<id> once its
 * run.json is whole (g's runs and the SDKs' alike): readers list only names
 * that are ids, so they never see a run in the making.
 */
export const BUILDING_PREFIX = ".new-";

/** The folder `g init` makes in a project; g commands in that folder or below use it. */
export const PROJECT_STORE_DIR = ".g";

/** Which store a command reads, and why: G_HOME, a project's `.g/` (`g init`), or the default ~/.g. */
export interface StoreLocation {
  home: string;
  source: "G_HOME" | "project" | "default";
}

/** G_HOME wins; otherwise the nearest `.g/` folder at or above `cwd`; otherwise ~/.g. */
export function locateStore(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): StoreLocation {
  const home = env.G_HOME;
  if (home && home.trim() !== "") {
    const path = resolve(home);
    // One stat: a G_HOME that names a file would otherwise fail deep inside the first write.
    const st = statSync(path, { throwIfNoEntry: false });
    if (st !== undefined && !st.isDirectory())
      throw new UsageError(`G_HOME is ${path}, which is a file, not a folder; point G_HOME at a folder (g makes it when it is missing)`);
    return { home: path, source: "G_HOME" };
  }
  const project = findProjectStore(cwd);
  return project ? { home: project, source: "project" } : { home: defaultHome(), source: "default" };
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return locateStore(env, cwd).home;
}

/** ~/.g: the store when neither G_HOME nor a project store says otherwise. */
export function defaultHome(): string {
  return join(homedir(), PROJECT_STORE_DIR);
}

/**
 * The nearest `.g/` folder at or above `cwd`, one stat per level (a file
 * named .g is not a store). ~/.g, met on the way up from a folder under
 * the home, is the default store, not a project's: null then.
 */
export function findProjectStore(cwd: string): string | null {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, PROJECT_STORE_DIR);
    if (isDirectory(candidate)) return candidate === defaultHome() ? null : candidate;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Whether `path` is a folder; unreadable counts as absent (a store g cannot read is no store). */
function isDirectory(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

export function isRunId(id: string): boolean {
  return RUN_ID_PATTERN.test(id);
}

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

export function newRunId(): string {
  return randomHex(16);
}

/** How many random bytes are read from the kernel at a time: a sweep trial uses about 30 (its id, temp names). */
const RANDOM_POOL_BYTES = 512;
let randomPool: Buffer | null = null;
let randomPoolAt = 0;

/**
 * `bytes` random bytes as hex (ids, temp names), from a pool read from
 * /dev/urandom: the first id of a command costs one read, where the global
 * Web Crypto loads about ten of Node's crypto modules (several ms of every
 * agent's start-up, before its first claim). Without /dev/urandom, Web Crypto
 * fills the pool.
 */
export function randomHex(bytes: number): string {
  if (bytes > RANDOM_POOL_BYTES) return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
  if (randomPool === null || randomPoolAt + bytes > RANDOM_POOL_BYTES) {
    randomPool = readRandomPool();
    randomPoolAt = 0;
  }
  const hex = randomPool.toString("hex", randomPoolAt, randomPoolAt + bytes);
  randomPoolAt += bytes;
  return hex;
}

function readRandomPool(): Buffer {
  const pool = Buffer.alloc(RANDOM_POOL_BYTES);
  try {
    const fd = openSync("/dev/urandom", "r");
    try {
      // The kernel hands out up to 32 MiB from urandom in one read, never fewer bytes than asked.
      if (readSync(fd, pool, 0, RANDOM_POOL_BYTES, null) === RANDOM_POOL_BYTES) return pool;
    } finally {
      closeSync(fd);
    }
  } catch {
    /* no /dev/urandom (Windows): Web Crypto below */
  }
  crypto.getRandomValues(pool);
  return pool;
}

export function isoNow(): string {
  return new Date().toISOString();
}
