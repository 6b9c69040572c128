// Copies a run's source (the script and nearby source files) into its
// sourcecode/ directory, capped in size so a data folder is never swept in.
// The folder is walked by hand (readdir with file types): the glob it used to
// take, `**/*.{py,js,...}` through fast-glob, cost a run some 25 ms of CPU to
// load and match (more than a sweep agent spends on a trial), where this walk
// costs a readdir per folder. test/unit/sourcecode.test.ts holds its listing
// to that glob's.

import { copyFile, mkdir, readdir, stat, type Dirent } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** The extensions of the files copied (case matters: `r` and `R` are both R). */
export const SOURCE_EXTENSIONS: ReadonlySet<string> = new Set([
  "py",
  "js",
  "mjs",
  "cjs",
  "ts",
  "sh",
  "r",
  "R",
  "jl",
  "json",
  "yaml",
  "yml",
  "toml",
  "cfg",
  "ini",
  "txt",
  "md",
]);
/** Folders never walked into, at any depth (besides every folder whose name starts with a dot). */
export const SOURCE_IGNORED_DIRS: ReadonlySet<string> = new Set(["node_modules", "__pycache__", "venv", "dist", "build", "runs"]);
/** A file is copied when its path below the script's folder has at most this many parts (`a/b/c.py`). */
export const SOURCE_MAX_DEPTH = 3;
export const SOURCE_MAX_FILES = 100;
export const SOURCE_MAX_FILE_BYTES = 1024 * 1024;
export const SOURCE_MAX_TOTAL_BYTES = 10 * 1024 * 1024;

/** One listing per directory per process: a batch's trials, an agent's, share their script's folder. */
const listings = new Map<string, Promise<string[]>>();

/**
 * The source files below `root` (paths relative to it, `/`-separated): regular
 * files (not symlinks) with a source extension, up to SOURCE_MAX_DEPTH parts,
 * nothing whose name starts with a dot, no ignored folder, nothing inside
 * `skip` (the store, when G_HOME is a folder of the project); a folder that
 * cannot be read is left out.
 */
export function listSources(root: string, skip: string | null = null): Promise<string[]> {
  const key = skip === null ? root : `${root}\0${skip}`;
  let found = listings.get(key);
  if (!found) {
    found = walkSources(root, skip === null ? null : resolve(skip));
    listings.set(key, found);
  }
  return found;
}

async function walkSources(root: string, skip: string | null): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, rel: string, parts: number): Promise<void> => {
    const entries = await readEntries(dir);
    const below: Promise<void>[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isFile()) {
        if (SOURCE_EXTENSIONS.has(entry.name.slice(entry.name.lastIndexOf(".") + 1)) && entry.name.includes(".")) found.push(path);
      } else if (entry.isDirectory() && parts + 1 < SOURCE_MAX_DEPTH && !SOURCE_IGNORED_DIRS.has(entry.name)) {
        const sub = join(dir, entry.name);
        if (sub !== skip) below.push(walk(sub, path, parts + 1));
      }
    }
    await Promise.all(below);
  };
  await walk(resolve(root), "", 0);
  return found;
}

function readEntries(dir: string): Promise<Dirent[]> {
  return new Promise((done) => readdir(dir, { withFileTypes: true }, (err, entries) => done(err ? [] : entries)));
}

/**
 * Copies `script` and the source files near it (listSources) into
 * `runDir`/sourcecode, within the caps; `home` is the store, never copied from
 * (its runs-order.txt and the like are no source, and `runs` alone is skipped by name).
 */
export async function copySourceCode(script: string, runDir: string, home: string | null = null): Promise<string[]> {
  const root = dirname(resolve(script));
  const dest = join(runDir, "sourcecode");
  const found = await listSources(root, home);
  const scriptRel = relative(root, resolve(script));
  // The script first, then the nearest files, so the caps drop what is farthest away. Names in
  // code-unit order: localeCompare's first call loads ICU's collator (tens of ms), for an order
  // that only decides which files a cap leaves out.
  const ordered = [scriptRel, ...found.filter((f) => f !== scriptRel).sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0))];
  const copied: string[] = [];
  let total = 0;
  for (const rel of ordered) {
    if (copied.length >= SOURCE_MAX_FILES) break;
    let size: number;
    try {
      size = await fileSize(join(root, rel));
    } catch {
      continue;
    }
    if (size > SOURCE_MAX_FILE_BYTES || total + size > SOURCE_MAX_TOTAL_BYTES) continue;
    await makeDir(dirname(join(dest, rel)));
    await copyOne(join(root, rel), join(dest, rel));
    total += size;
    copied.push(rel);
  }
  return copied;
}

// node:fs's callbacks as promises: node:fs/promises loads readline and more, which a run does not need.
function fileSize(path: string): Promise<number> {
  return new Promise((done, fail) => stat(path, (err, st) => (err ? fail(err) : done(st.size))));
}

function makeDir(path: string): Promise<void> {
  return new Promise((done, fail) => mkdir(path, { recursive: true }, (err) => (err ? fail(err) : done())));
}

function copyOne(from: string, to: string): Promise<void> {
  return new Promise((done, fail) => copyFile(from, to, (err) => (err ? fail(err) : done())));
}

function depth(rel: string): number {
  return rel.split("/").length;
}
