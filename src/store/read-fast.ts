// Reads small files quickly: listing 100 000 runs reads 100 000 run.json files,
// and readFileSync's per-call costs (options, fstat, a buffer each) add up.

import { closeSync, openSync, readSync } from "node:fs";

/** One buffer reused by every small-file read of a listing (grown when a file is larger). */
let readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * A whole small file as text, or null when it does not exist. Any other
 * failure (ENOTDIR, ELOOP, EACCES, EISDIR) is thrown for the caller to name.
 */
export function readTextFast(path: string): string | null {
  const bytes = readBytesFast(path);
  return bytes === null ? null : bytes.buf.toString("utf8", 0, bytes.length);
}

/**
 * A whole small file's bytes: the first `length` bytes of `buf`, a buffer
 * shared by every read (valid until the next one), or null when the file
 * does not exist. Other failures are thrown, as readTextFast's.
 */
export function readBytesFast(path: string): { buf: Buffer; length: number } | null {
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
    return { buf: readBuffer, length: n };
  } finally {
    closeSync(fd);
  }
}
