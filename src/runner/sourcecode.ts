// Copies a run's source (the script and nearby source files) into its
// sourcecode/ directory, capped in size so a data folder is never swept in.

import { dirname, join, relative, resolve } from "node:path";

export const SOURCE_PATTERNS = ["**/*.{py,js,mjs,cjs,ts,sh,r,R,jl,json,yaml,yml,toml,cfg,ini,txt,md}"];
export const SOURCE_IGNORE = [
  "**/node_modules/**",
  "**/.git/**",
  "**/__pycache__/**",
  "**/venv/**",
  "**/.venv/**",
  "**/dist/**",
  "**/build/**",
  "**/.g/**",
  "**/runs/**",
];
export const SOURCE_MAX_DEPTH = 3;
export const SOURCE_MAX_FILES = 100;
export const SOURCE_MAX_FILE_BYTES = 1024 * 1024;
export const SOURCE_MAX_TOTAL_BYTES = 10 * 1024 * 1024;

/** One listing per directory per process: a batch's trials share their script's folder. */
const listings = new Map<string, Promise<string[]>>();

function listSources(root: string): Promise<string[]> {
  let found = listings.get(root);
  if (!found) {
    found = import("fast-glob").then(({ default: fg }) =>
      fg(SOURCE_PATTERNS, {
        cwd: root,
        ignore: SOURCE_IGNORE,
        deep: SOURCE_MAX_DEPTH,
        onlyFiles: true,
        followSymbolicLinks: false,
        suppressErrors: true,
        dot: false,
      }),
    );
    listings.set(root, found);
  }
  return found;
}

export async function copySourceCode(script: string, runDir: string): Promise<string[]> {
  // Imported here: node:fs/promises (with readline, which it loads) is not needed before a run has started.
  const { copyFile, mkdir, stat } = await import("node:fs/promises");
  const root = dirname(resolve(script));
  const dest = join(runDir, "sourcecode");
  const found = await listSources(root);
  const scriptRel = relative(root, resolve(script));
  // The script first, then the nearest files, so the caps drop what is farthest away.
  const ordered = [scriptRel, ...found.filter((f) => f !== scriptRel).sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))];
  const copied: string[] = [];
  let total = 0;
  for (const rel of ordered) {
    if (copied.length >= SOURCE_MAX_FILES) break;
    let size: number;
    try {
      size = (await stat(join(root, rel))).size;
    } catch {
      continue;
    }
    if (size > SOURCE_MAX_FILE_BYTES || total + size > SOURCE_MAX_TOTAL_BYTES) continue;
    await mkdir(dirname(join(dest, rel)), { recursive: true });
    await copyFile(join(root, rel), join(dest, rel));
    total += size;
    copied.push(rel);
  }
  return copied;
}

function depth(rel: string): number {
  return rel.split("/").length;
}
