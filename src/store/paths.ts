// Where things live in a store (shared/DESIGN.md, "Run store, format 1"):
// the home, run ids and the names of a run folder's files. Pure naming; the
// modules beside this one do the reading and writing.

import { homedir } from "node:os";
import { join, resolve } from "node:path";

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
/** $G_HOME/index.jsonl: a cache of finished runs' records and summaries (see index-cache.ts). */
export const INDEX_FILE = "index.jsonl";
/**
 * A run folder is made as runs/.new-<id> and renamed to runs/<id> once its
 * run.json is whole (g's runs and the SDKs' alike): readers list only names
 * that are ids, so they never see a run in the making.
 */
export const BUILDING_PREFIX = ".new-";

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
  return randomHex(16);
}

/**
 * `bytes` random bytes as hex, from the global Web Crypto: node:crypto would
 * load with the store in every command (a few ms of start-up), this only when
 * an id or a temp name is made.
 */
export function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}

export function isoNow(): string {
  return new Date().toISOString();
}
