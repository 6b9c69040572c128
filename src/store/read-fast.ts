// Reads small files quickly: listing 100 000 runs reads 100 000 run.json files,
// and readFileSync's per-call costs (options, fstat, a buffer each) add up.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** A file's inode, size and mtime (ms): what says whether an index entry still describes its run.json. */
export interface FileStat {
  ino: number;
  size: number;
  mtime: number;
}

/** One buffer reused by every small-file read of a listing (grown when a file is larger). */
let readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * A whole small file as text, or null when it does not exist. Any other
 * failure (ENOTDIR, ELOOP, EACCES, EISDIR) is thrown for the caller to name.
 */
export function readTextFast(path: string, stat?: FileStat): string | null {
  const bytes = readBytesFast(path, stat);
  return bytes === null ? null : bytes.buf.toString("utf8", 0, bytes.length);
}

/**
 * A whole small file's bytes: the first `length` bytes of `buf`, a buffer
 * shared by every read (valid until the next one), or null when the file
 * does not exist. Other failures are thrown, as readTextFast's. With `stat`,
 * the file's stat is taken (fstat) once it is open and before it is read, into
 * `stat`: it is the stat of the very file read (a stat by path before the open
 * could be a file since replaced), and a change after it shows as a change to
 * the next reader. Reading then stops at the size it gave, without the last
 * read that would find the end.
 */
export function readBytesFast(path: string, stat?: FileStat): { buf: Buffer; length: number } | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    let size = -1;
    if (stat !== undefined) {
      const st = fstatSync(fd);
      stat.ino = st.ino;
      stat.size = size = st.size;
      stat.mtime = st.mtimeMs;
      if (size >= readBuffer.length) readBuffer = Buffer.allocUnsafe(size + 1);
    }
    let n = 0;
    for (;;) {
      if (n === size) break;
      const got = readSync(fd, readBuffer, n, readBuffer.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === readBuffer.length) {
        const bigger = Buffer.allocUnsafe(readBuffer.length * 2);
        readBuffer.copy(bigger);
        readBuffer = bigger;
      }
    }
    return { buf: readBuffer, length: n };
  } finally {
    closeSync(fd);
  }
}
