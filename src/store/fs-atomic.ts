// Crash-safe file primitives shared by the store, the sweeps and the SDK:
// whole-file replacement (temp + fsync + rename) and whole-line appends that
// leave a file as it was when the disk fills part-way through.
//
// An fsync costs 1–200 ms on a busy disk, so each write asks for only the
// durability it needs (Durability). Every fsync goes through syncFd, which
// counts them: test/store/fsyncs.test.ts holds `g run` to its budget of 3.

import { close, closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, open, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { randomHex } from "./paths.js";

/**
 * What a replacement survives. Each level is atomic for readers and against a
 * killed writer (temp file + rename: a reader sees the old file or the new
 * one); they differ in what a power loss may do:
 *  - "durable": the new file is on disk when the call returns (temp fsynced,
 *    renamed, folder fsynced): sweep.json, the SDK's files.
 *  - "whole": the temp file is fsynced before the rename, so power loss leaves
 *    the old file or the new one, never a torn or empty one; the rename itself
 *    becomes durable with the folder's next fsync or the file system's next
 *    commit (ext4: 5 s). run.json: the runner fsyncs the run folder once, at the end.
 *  - "atomic": no fsync; power loss may leave the file empty or cut short.
 *    Only for files readers treat as absent when unreadable: caches (summary.json,
 *    index.jsonl, the inspect cache), which are rebuilt, and a run's LOCK, whose
 *    process a power loss has ended anyway.
 */
export type Durability = "durable" | "whole" | "atomic";

let syncCalls = 0;

/** fsync/fdatasync calls made by this process so far (for tests that hold a path to its budget). */
export function countSyncs(): number {
  return syncCalls;
}

function syncFd(fd: number): void {
  syncCalls++;
  fsyncSync(fd);
}

/**
 * Replaces `path` with `text` so that a reader sees either the old file or
 * the new one, never a half-written one, even after kill -9; after a power
 * loss, as `durability` says (by default the new file is durable).
 */
export function writeFileAtomic(path: string, text: string, durability: Durability = "durable"): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomHex(4)}.tmp`);
  const fd = openSync(tmp, "wx", 0o644);
  try {
    writeAll(fd, Buffer.from(text, "utf8"));
    if (durability !== "atomic") syncFd(fd);
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
  if (durability === "durable") syncDir(dirname(path));
}

export function writeJsonAtomic(path: string, value: unknown, durability: Durability = "durable"): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n", durability);
}

/**
 * Writes a file that must not exist yet in place, without a temp file: for a
 * folder that no reader relies on yet (a claim's hidden run folder, whose
 * readers take an unreadable run.json for one not written). With "whole" or
 * "durable" it is fsynced before the call returns, so a rename of its folder
 * that follows never shows it torn; "durable" also fsyncs the folder.
 */
export function writeNewFile(path: string, text: string, durability: Durability = "whole"): void {
  const fd = openSync(path, "wx", 0o644);
  try {
    writeAll(fd, Buffer.from(text, "utf8"));
    if (durability !== "atomic") syncFd(fd);
  } catch (err) {
    closeSync(fd);
    safeUnlink(path);
    throw err;
  }
  closeSync(fd);
  if (durability === "durable") syncDir(dirname(path));
}

/**
 * Appends whole lines with one write on an O_APPEND descriptor: concurrent
 * writers (processes or threads) interleave lines, never bytes of a line.
 * When the write fails part-way (disk full), the part is cut off again.
 */
export function appendLines(path: string, lines: string[]): void {
  if (lines.length === 0) return;
  const fd = openSync(path, "a", 0o644);
  try {
    appendWhole(fd, Buffer.from(lines.join(""), "utf8"));
  } finally {
    closeSync(fd);
  }
}

/** The one system call appendWhole makes to write; tests pass one that fails part-way. */
export type WriteChunk = (fd: number, buf: Buffer, offset: number, length: number) => number;

/**
 * Writes all of `buf` to `fd` (opened O_APPEND) or none of it: a write that
 * fails after some bytes (ENOSPC, EDQUOT, EFBIG) truncates the file back to
 * where those bytes began, so the file never ends in a torn line, and the
 * error is rethrown. The bytes began at (size now − bytes written): with
 * O_APPEND our partial bytes are the file's tail unless another writer
 * appended after them, which on a full disk fails as ours did.
 */
export function appendWhole(fd: number, buf: Buffer, write: WriteChunk = writeSync): void {
  let off = 0;
  try {
    while (off < buf.length) off += write(fd, buf, off, buf.length - off);
  } catch (err) {
    if (off > 0) {
      try {
        ftruncateSync(fd, Math.max(0, fstatSync(fd).size - off));
      } catch {
        /* nothing more can be done; the reader skips a torn last line */
      }
    }
    throw err;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** Makes a rename or a new entry in `dir` durable; best effort (not every file system allows it). */
export function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      syncFd(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

/**
 * syncDir on the thread pool: the caller's thread goes on (an agent claims and
 * starts its next trial) while the folder's entries reach the disk. Best
 * effort as syncDir; resolves when done or failed, never rejects.
 */
export function syncDirAsync(dir: string): Promise<void> {
  return new Promise((resolveSync) => {
    open(dir, "r", (openErr, fd) => {
      if (openErr) return resolveSync();
      syncCalls++;
      fsync(fd, () => close(fd, () => resolveSync()));
    });
  });
}

export function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
