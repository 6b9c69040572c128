// Crash-safe file primitives shared by the store, the sweeps and the SDK:
// whole-file replacement (temp + fsync + rename) and whole-line appends.

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * Replaces `path` with `text` so that a reader sees either the old file or
 * the new one, never a half-written one, even after kill -9 or power loss.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o644);
  try {
    writeAll(fd, Buffer.from(text, "utf8"));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    safeUnlink(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    safeUnlink(tmp);
    throw err;
  }
  syncDir(dirname(path));
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Appends whole lines with one write on an O_APPEND descriptor: concurrent
 * writers (processes or threads) interleave lines, never bytes of a line.
 */
export function appendLines(path: string, lines: string[]): void {
  if (lines.length === 0) return;
  const fd = openSync(path, "a", 0o644);
  try {
    writeAll(fd, Buffer.from(lines.join(""), "utf8"));
  } finally {
    closeSync(fd);
  }
}

export function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function syncDir(dir: string): void {
  // Makes the rename durable; not every file system allows fsync on a directory.
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

export function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
