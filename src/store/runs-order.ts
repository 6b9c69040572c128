// $G_HOME/runs-order.txt: every run's ordering key (created, trial), newest
// first, as of one state of the runs folder, so that `g runs` at 100 000 runs
// reads the first few KiB of one file instead of listing the folder and
// sorting. A cache that is checked, not trusted:
//
//  - It names the runs folder's inode, ctime and mtime when it was listed. A
//    folder's ctime and mtime change whenever an entry is added, removed or
//    renamed (and ctime cannot be set by hand), so while they are unchanged
//    the folder holds the same names and the snapshot still lists them.
//  - Timestamps are coarse (a kernel tick, a second on some file systems):
//    a run added in the same tick as the listing would leave the folder's
//    times as recorded. So the snapshot is trusted only when the folder's
//    ctime is older than a probe file made in $G_HOME just before the
//    listing (stamped by the same file-system clock): any change after the
//    listing then carries a later time than the one recorded. A snapshot of a
//    folder changed within the tick before it is written, but not trusted;
//    the next reader lists again (the "racy" rule of git's index).
//  - created and trial never change once a run is made. A run without
//    created (hand-made, not started) has no key yet: it is listed by id only
//    and read again by every reader, as are damaged ones (to be warned about,
//    or seen mended). The runs shown are read from their files, and a key
//    that differs from theirs sends the reader to a full read.
// Written with temp file + rename, never fsynced: lost or torn, it costs time.

import { closeSync, fstatSync, openSync, readSync, renameSync, writeFileSync } from "node:fs";
import { safeUnlink } from "./fs-atomic.js";

/** The file's name in $G_HOME. */
export const RUNS_ORDER_FILE = "runs-order.txt";
const MAGIC = "g-runs-order 1";
/** First read of the file (bytes): the header, the unkeyed and damaged ids and the newest keys, in all but odd stores. */
const HEAD_BYTES = 64 * 1024;
const ID_LENGTH = 32;
/** Text that is its own JSON string body: printable ASCII but `"` and `\`. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A run's ordering key, as `g runs` sorts (newest created first, then higher trial, then id). */
export interface OrderKey {
  id: string;
  created: string;
  trial: number;
}

/** What a trusted snapshot says: the newest keys (up to the limit asked), and the ids to read again. */
export interface OrderSnapshot {
  newest: OrderKey[];
  /** Runs without a created time when listed: read from their files by every reader. */
  unkeyed: string[];
  /** Run folders that could not be read when listed: read again (to warn, or to see them mended). */
  damaged: string[];
  /** How many keyed runs the snapshot holds (unkeyed and damaged ones not counted). */
  keyed: number;
}

/** The runs folder's identity and times, as the snapshot records them (bigint: nanoseconds). */
export interface FolderStamp {
  ino: bigint;
  ctimeNs: bigint;
  mtimeNs: bigint;
}

/**
 * The runs folder's stamp, or null when it does not exist. Opened and then
 * fstat'ed rather than stat'ed: on NFS an open revalidates the attributes
 * (close-to-open), where a stat may answer from the attribute cache.
 */
export function stampFolder(dir: string): FolderStamp | null {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    return { ino: st.ino, ctimeNs: st.ctimeNs, mtimeNs: st.mtimeNs };
  } finally {
    closeSync(fd);
  }
}

function sameStamp(a: FolderStamp, b: FolderStamp): boolean {
  return a.ino === b.ino && a.ctimeNs === b.ctimeNs && a.mtimeNs === b.mtimeNs;
}

/** `<id> <trial> <created as JSON>`: one key line (without its newline), ASCII only (the file is read as latin1). */
function formatKeyLine(k: OrderKey): string {
  // Every time g writes is printable ASCII without quotes or backslashes: quoted as it is.
  const created = PLAIN_TEXT.test(k.created)
    ? `"${k.created}"`
    : JSON.stringify(k.created).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `${k.id} ${k.trial} ${created}`;
}

/** A key line back, or null when it is not one (torn, foreign). */
function parseKeyLine(line: string): OrderKey | null {
  const space = line.indexOf(" ", ID_LENGTH + 1);
  if (line.charCodeAt(ID_LENGTH) !== 32 || space < 0) return null;
  const id = line.slice(0, ID_LENGTH);
  const trial = Number(line.slice(ID_LENGTH + 1, space));
  if (!/^[0-9a-f]{32}$/.test(id) || !Number.isFinite(trial)) return null;
  const quoted = line.slice(space + 1);
  if (quoted.length >= 2 && quoted.charCodeAt(0) === 34 && quoted.charCodeAt(quoted.length - 1) === 34) {
    const body = quoted.slice(1, -1);
    if (PLAIN_TEXT.test(body)) return { id, created: body, trial }; // no escapes: what formatKeyLine wrote as it was
  }
  try {
    const created = JSON.parse(quoted) as unknown;
    return typeof created === "string" ? { id, created, trial } : null;
  } catch {
    return null;
  }
}

/**
 * `g-runs-order 1 <ino> <ctime ns> <mtime ns> <keyed> <unkeyed> <damaged> <bytes after the header>`;
 * stamp "- - -" when not trusted. The length finds a file cut short (a power loss: it is never fsynced).
 */
function formatHeader(stamp: FolderStamp | null, keyed: number, unkeyed: number, damaged: number, bodyBytes: number): string {
  const s = stamp ? `${stamp.ino} ${stamp.ctimeNs} ${stamp.mtimeNs}` : "- - -";
  return `${MAGIC} ${s} ${keyed} ${unkeyed} ${damaged} ${bodyBytes}\n`;
}

interface Header {
  stamp: FolderStamp | null;
  keyed: number;
  unkeyed: number;
  damaged: number;
  bodyBytes: number;
}

function parseHeader(line: string): Header | null {
  if (!line.startsWith(MAGIC + " ")) return null;
  const f = line.slice(MAGIC.length + 1).split(" ");
  if (f.length !== 7) return null;
  const [keyed, unkeyed, damaged, bodyBytes] = f.slice(3).map(Number) as [number, number, number, number];
  if (![keyed, unkeyed, damaged, bodyBytes].every((n) => Number.isInteger(n) && n >= 0)) return null;
  let stamp: FolderStamp | null = null;
  if (f[0] !== "-") {
    if (!f.slice(0, 3).every((x) => /^\d+$/.test(x!))) return null;
    stamp = { ino: BigInt(f[0]!), ctimeNs: BigInt(f[1]!), mtimeNs: BigInt(f[2]!) };
  }
  return { stamp, keyed, unkeyed, damaged, bodyBytes };
}

/** Reads the first `bytes` of a file as latin1 lines (the last one dropped when cut), whether that was all of it, and its size. */
function readHead(path: string, bytes: number): { lines: string[]; whole: boolean; size: number } | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return null;
  }
  try {
    const buf = Buffer.allocUnsafe(bytes);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, bytes - n, n);
      if (got === 0) break;
      n += got;
      if (n === bytes) break;
    }
    const whole = n < bytes;
    const lines = buf.toString("latin1", 0, n).split("\n");
    lines.pop(); // "" after the last newline, or a line cut by the read
    return { lines, whole, size: fstatSync(fd).size };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * The snapshot in $G_HOME/runs-order.txt when it still describes the runs
 * folder (`now`: its stamp taken by the caller), with its `limit` newest keys;
 * null when there is none, it is not trusted, the folder moved on, or the file
 * is damaged.
 */
export function readTrustedOrder(home: string, now: FolderStamp, limit: number): OrderSnapshot | null {
  const path = `${home}/${RUNS_ORDER_FILE}`;
  for (let bytes = HEAD_BYTES; ; bytes *= 4) {
    const head = readHead(path, bytes);
    if (!head || head.lines.length === 0) return null;
    const header = parseHeader(head.lines[0]!);
    if (!header?.stamp || !sameStamp(header.stamp, now)) return null;
    if (head.size !== head.lines[0]!.length + 1 + header.bodyBytes) return null; // cut short
    const wanted = 1 + header.unkeyed + header.damaged + Math.min(limit, header.keyed);
    if (head.lines.length < wanted) {
      if (head.whole) return null; // shorter than its header says: cut
      continue;
    }
    const unkeyed: string[] = [];
    const damaged: string[] = [];
    let i = 1;
    for (; i <= header.unkeyed; i++) {
      const line = head.lines[i]!;
      if (line.length !== ID_LENGTH + 2 || !line.startsWith("? ")) return null;
      unkeyed.push(line.slice(2));
    }
    for (; i <= header.unkeyed + header.damaged; i++) {
      const line = head.lines[i]!;
      if (line.length !== ID_LENGTH + 2 || !line.startsWith("! ")) return null;
      damaged.push(line.slice(2));
    }
    const newest: OrderKey[] = [];
    for (; i < wanted; i++) {
      const key = parseKeyLine(head.lines[i]!);
      if (!key) return null;
      newest.push(key);
    }
    return { newest, unkeyed, damaged, keyed: header.keyed };
  }
}

/** A key line as writeOrder writes it (ASCII only): checked before a line is kept without parsing it. */
const KEY_LINE = /^[0-9a-f]{32} -?[0-9]+ "[\x20-\x7e]*"$/;

/**
 * The last snapshot's key lines, newest first, as text (trusted or not: keys
 * never change), for a new listing to keep without parsing them; lines that
 * are not whole key lines are left out. [] when there is no snapshot.
 */
export function readOrderLines(home: string): string[] {
  let text: string;
  try {
    text = readWholeLatin1(`${home}/${RUNS_ORDER_FILE}`);
  } catch {
    return [];
  }
  if (!text.startsWith(MAGIC + " ")) return [];
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 1; i < lines.length; i++) if (KEY_LINE.test(lines[i]!)) out.push(lines[i]!);
  return out;
}

/**
 * The key lines of a new snapshot: `kept` (an old snapshot's lines, newest
 * first) with `fresh` keys (sorted by `compare`, newest first) merged in, and
 * the first `limit` keys parsed. Old lines are parsed only while fresh keys
 * remain to be placed or the newest are not all found; the rest are copied.
 */
export function mergeKeyLines(
  kept: string[],
  fresh: OrderKey[],
  limit: number,
  compare: (a: OrderKey, b: OrderKey) => number,
): { lines: string[]; newest: OrderKey[] } {
  const lines: string[] = [];
  const newest: OrderKey[] = [];
  let j = 0;
  const add = (k: OrderKey, line: string) => {
    lines.push(line);
    if (newest.length < limit) newest.push(k);
  };
  for (const line of kept) {
    if (j === fresh.length && newest.length >= limit) {
      lines.push(line);
      continue;
    }
    const key = parseKeyLine(line);
    if (!key) continue;
    while (j < fresh.length && compare(fresh[j]!, key) < 0) add(fresh[j]!, formatKeyLine(fresh[j++]!));
    add(key, line);
  }
  while (j < fresh.length) add(fresh[j]!, formatKeyLine(fresh[j++]!));
  return { lines, newest };
}

function readWholeLatin1(path: string): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    let n = 0;
    while (n < size) {
      const got = readSync(fd, buf, n, size - n, n);
      if (got === 0) break;
      n += got;
    }
    return buf.toString("latin1", 0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * A listing of the runs folder about to be taken: the temp file the new
 * snapshot will be written to, made first so that its time (from the file
 * system's clock) is no later than the listing. Null when $G_HOME cannot be
 * written (a read-only store is listed every time).
 */
export interface OrderProbe {
  tmp: string;
  fd: number;
  probeNs: bigint;
}

export function startOrderProbe(home: string): OrderProbe | null {
  const tmp = `${home}/${RUNS_ORDER_FILE}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, "w");
    return { tmp, fd, probeNs: fstatSync(fd, { bigint: true }).mtimeNs };
  } catch {
    return null;
  }
}

/**
 * Writes the snapshot of a listing taken between `before` and `after` (the
 * folder's stamps around the readdir) and replaces the file; best effort.
 * `keyLines` newest first (mergeKeyLines). Trusted only when the folder did not change during the
 * listing and its last change is older than the probe (see the header comment).
 */
export function writeOrder(
  probe: OrderProbe,
  home: string,
  before: FolderStamp,
  after: FolderStamp | null,
  keyLines: string[],
  unkeyed: string[],
  damaged: string[],
): void {
  const trusted = after !== null && sameStamp(before, after) && before.ctimeNs < probe.probeNs && before.mtimeNs < probe.probeNs;
  const parts: string[] = [];
  for (const id of unkeyed) parts.push(`? ${id}\n`);
  for (const id of damaged) parts.push(`! ${id}\n`);
  if (keyLines.length > 0) parts.push(keyLines.join("\n"), "\n");
  const body = parts.join("");
  const header = formatHeader(trusted ? before : null, keyLines.length, unkeyed.length, damaged.length, body.length);
  try {
    writeFileSync(probe.fd, header + body);
    closeSync(probe.fd);
    renameSync(probe.tmp, `${home}/${RUNS_ORDER_FILE}`);
  } catch {
    abandonOrderProbe(probe);
  }
}

/** Drops a probe whose listing is not written (the temp file removed). */
export function abandonOrderProbe(probe: OrderProbe): void {
  try {
    closeSync(probe.fd);
  } catch {
    /* closed already */
  }
  safeUnlink(probe.tmp);
}
