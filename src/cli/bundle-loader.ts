// Loads one of g's CommonJS route bundles (dist/bundle/<route>.js) with the V8
// code cache the build wrote beside it (<route>.js.cache): Node 20 has no
// compile cache of its own, and compiling a bundle is a good part of what a
// short command costs before it does anything. A cache made by another V8
// version or with other V8 flags is rejected by V8 itself, and the bundle
// compiles as if there were none. V8 checks the source only by its length, so
// the build stamps each bundle's last line and its cache with the bundle's
// hash, and a cache whose stamp is not the bundle's is not offered to V8.
// Code compiled here cannot call `import()` (Node 20 loses the callback of code
// read from a cache): the build leaves none in the route bundles. The bundle's
// `require` is the caller's (main.js's, whose folder the route bundles share):
// `createRequire` would load node:module, and with it parts of Node's ES-module
// loader, at every start.

import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { Script } from "node:vm";

/** Beside each bundle: `<bundle>.js.cache`, its stamp, a newline, then V8's code cache for it (scripts/bundle.mjs writes it). */
export const CODE_CACHE_SUFFIX = ".cache";

/** The stamp's length: hex digits of the bundle's SHA-256. */
export const STAMP_CHARS = 16;

/** A bundle's last line, which carries its stamp. */
const STAMP_LINE_PREFIX = "//# gCodeCacheStamp=";

/** The last line the build appends to a bundle whose hash (hex) is `hash`; its cache starts with `stamp + "\n"`. */
export function stampLine(hash: string): string {
  return `${STAMP_LINE_PREFIX}${hash.slice(0, STAMP_CHARS)}\n`;
}

/**
 * The CommonJS wrapper, as Node's own loader puts it around a file. The cache
 * belongs to this exact text around the bundle: the build and the loader must
 * wrap alike, so both take it from here.
 */
const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) { ";
const WRAPPER_TAIL = "\n});";

type ModuleFunction = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/** A bundle compiled, and whether its cache was used (false when there was none, or it was not this bundle's, or V8 turned it down). */
export interface CompiledBundle {
  script: Script;
  cacheUsed: boolean;
}

/** Compiles `file` (a CommonJS bundle) with its code cache when there is one. */
export function compileBundle(file: string): CompiledBundle {
  const source = readFileSync(file, "utf8");
  let cachedData: Buffer | undefined;
  try {
    const cache = readFileSync(file + CODE_CACHE_SUFFIX);
    const stamp = cache.toString("latin1", 0, STAMP_CHARS);
    // A cache of another build of this bundle (copied by hand, or left by a build cut short) is not V8's to judge.
    if (source.endsWith(`${STAMP_LINE_PREFIX}${stamp}\n`)) cachedData = cache.subarray(STAMP_CHARS + 1);
  } catch {
    cachedData = undefined; // no cache (not built yet, or removed): compiled from the source alone
  }
  const script = new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, { filename: file, cachedData });
  return { script, cacheUsed: cachedData !== undefined && script.cachedDataRejected !== true };
}

/**
 * Runs a compiled bundle as a CommonJS module of its own and returns its
 * exports. `requireBeside` is the `require` of a module in the bundle's folder,
 * which resolves what the bundle requires as the bundle's own would.
 */
export function runBundle(file: string, compiled: CompiledBundle, requireBeside: NodeJS.Require): unknown {
  const module = { exports: {} as unknown };
  const run = compiled.script.runInThisContext() as ModuleFunction;
  run.call(module.exports, module.exports, requireBeside, module, file, dirname(file));
  return module.exports;
}

/** Loads the bundle at `file` (an absolute path, in the folder `requireBeside` resolves from) and returns its exports. */
export function loadBundle(file: string, requireBeside: NodeJS.Require): unknown {
  return runBundle(file, compileBundle(file), requireBeside);
}
