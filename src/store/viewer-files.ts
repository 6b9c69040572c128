// Reads of a run's other files for viewers (g view): the tail of output.log,
// the list of copied source files, and one source file by relative path, kept
// strictly inside the run's sourcecode folder (no `..`, no absolute paths, no
// symlink leading out). Read-only; nothing here writes to the store.

import { closeSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { OUTPUT_FILE, SOURCE_DIR } from "./paths.js";
import type { Run } from "./types.js";

/** How much of the end of output.log a viewer gets (bytes). */
export const OUTPUT_TAIL_BYTES = 64 * 1024;
/** A source listing stops here: copySourceCode keeps at most 100 files, a hand-made folder may hold more. */
const SOURCE_LIST_MAX_FILES = 1000;
/** Largest source file served (bytes); copySourceCode copies nothing larger than 1 MiB. */
export const SOURCE_READ_MAX_BYTES = 2 * 1024 * 1024;

/**
 * The last `maxBytes` of the run's output.log as one text ("" when there is
 * none), as the web view shows it; output.ts's readOutputTail gives the Ink
 * view a fixed 16 KiB as lines. A cut in the middle of a line drops that partial line, and a cut
 * inside a UTF-8 character cannot produce a broken character at the start.
 */
export function readOutputTailText(run: Run, maxBytes = OUTPUT_TAIL_BYTES): string {
  let fd: number;
  try {
    fd = openSync(join(run.dir, OUTPUT_FILE), "r");
  } catch {
    return "";
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.allocUnsafe(size - start);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, start + n);
      if (got === 0) break;
      n += got;
    }
    let text = buf.toString("utf8", 0, n);
    if (start > 0) {
      const nl = text.indexOf("\n");
      text = nl >= 0 ? text.slice(nl + 1) : text;
    }
    return text;
  } finally {
    closeSync(fd);
  }
}

/** The files in the run's sourcecode folder, relative, `/`-separated, sorted; symlinks are not followed. */
export function listSourceFiles(run: Run): string[] {
  const root = join(run.dir, SOURCE_DIR);
  const out: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= SOURCE_LIST_MAX_FILES) return;
      const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
      if (e.isDirectory()) walk(join(dir, e.name), rel);
      else if (e.isFile()) out.push(rel);
    }
  };
  walk(root, "");
  return out.sort();
}

/**
 * The text of one file of the run's sourcecode folder, or null when `rel`
 * does not name a regular file inside it. `rel` is already URL-decoded;
 * it is refused when absolute, when any segment is `..` or `.` or empty,
 * when it holds a NUL or a backslash, and when its real path (symlinks
 * resolved) is not inside the folder's real path.
 */
export function readSourceFile(run: Run, rel: string): string | null {
  if (rel === "" || isAbsolute(rel) || rel.includes("\0") || rel.includes("\\")) return null;
  const parts = rel.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return null;
  const root = join(run.dir, SOURCE_DIR);
  let realRoot: string;
  let realFile: string;
  try {
    realRoot = realpathSync(root);
    realFile = realpathSync(join(root, ...parts));
  } catch {
    return null;
  }
  const inside = relative(realRoot, realFile);
  if (inside === "" || inside.startsWith(".." + sep) || inside === ".." || isAbsolute(inside)) return null;
  let fd: number;
  try {
    const st = statSync(realFile);
    if (!st.isFile() || st.size > SOURCE_READ_MAX_BYTES) return null;
    fd = openSync(realFile, "r");
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(Math.min(size, SOURCE_READ_MAX_BYTES));
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return buf.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
  }
}
