// Loads one of g's CommonJS route bundles (dist/bundle/<route>.js) with the V8
// code cache the build wrote beside it (<route>.js.cache): Node 20 has no
// compile cache of its own, and compiling a bundle is a good part of what a
// short command costs before it does anything. The cache is V8's to judge: one
// made by another V8 version, or with other V8 flags, or for other source, is
// rejected by V8 itself and the bundle compiles as if there were none. Where
// `vm` cannot give compiled code Node's own `import()` (Node before 20.12,
// needed for the Ink view), the bundle is required the ordinary way.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Script, constants as vmConstants } from "node:vm";

/** Beside each bundle: `<bundle>.js.cache`, V8's code cache for it (scripts/bundle.mjs writes it). */
export const CODE_CACHE_SUFFIX = ".cache";

/**
 * The CommonJS wrapper, as Node's own loader puts it around a file. The cache
 * belongs to this exact text around the bundle: the build and the loader must
 * wrap alike, so both take it from here.
 */
const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) { ";
const WRAPPER_TAIL = "\n});";

type ModuleFunction = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/** A bundle compiled, and whether V8 turned its cache down (false when there was none to turn down). */
export interface CompiledBundle {
  script: Script;
  cacheRejected: boolean;
}

/** Whether compiled code can `import()` through Node's loader here (Node 20.12 on). */
export function canCompileBundles(): boolean {
  return vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER !== undefined;
}

/** Compiles `file` (a CommonJS bundle) with its code cache when there is one. */
export function compileBundle(file: string): CompiledBundle {
  const source = readFileSync(file, "utf8");
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(file + CODE_CACHE_SUFFIX);
  } catch {
    cachedData = undefined; // no cache (not built yet, or removed): compiled from the source alone
  }
  const script = new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, {
    filename: file,
    cachedData,
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  return { script, cacheRejected: script.cachedDataRejected === true };
}

/** Runs a compiled bundle as a CommonJS module of its own and returns its exports. */
export function runBundle(file: string, compiled: CompiledBundle): unknown {
  const module = { exports: {} as unknown };
  const run = compiled.script.runInThisContext() as ModuleFunction;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** Loads the bundle at `file` (an absolute path) and returns its exports. */
export function loadBundle(file: string): unknown {
  if (!canCompileBundles()) return createRequire(file)(file);
  return runBundle(file, compileBundle(file));
}
