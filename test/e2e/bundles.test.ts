// The CommonJS route bundles (scripts/bundle.mjs) and their V8 code caches
// (src/cli/bundle-loader.ts): the cache the build wrote is one this Node takes,
// and a cache it turns down (another Node, flags, or damage) costs only time.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DIST, ROOT, cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

type Loader = typeof import("../../src/cli/bundle-loader.js");
type Routes = typeof import("../../src/cli/route.js");
const loader = (await import(join(DIST, "cli", "bundle-loader.js"))) as Loader;
const { ROUTES } = (await import(join(DIST, "cli", "route.js"))) as Routes;
const BUNDLE = join(DIST, "bundle");

/** `node main.js ARGS` of a copy of dist/bundle/, as bin/g runs it, in an empty store. */
function gFrom(bundleDir: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const home = tempDir();
  const res = spawnSync(process.execPath, [join(bundleDir, "main.js"), ...args], {
    env: { ...process.env, G_HOME: home, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr.replace(home, "HOME") };
}

/** A copy of dist/bundle/ in a package folder of its own (package.json, the Python helpers linked), for its caches to be spoilt. */
function copyBundle(): string {
  const root = tempDir();
  cpSync(join(ROOT, "package.json"), join(root, "package.json"));
  mkdirSync(join(root, "src", "runner"), { recursive: true });
  symlinkSync(join(ROOT, "src", "runner", "python"), join(root, "src", "runner", "python"));
  cpSync(BUNDLE, join(root, "dist", "bundle"), { recursive: true });
  return join(root, "dist", "bundle");
}

describe("route bundles", () => {
  it.each(ROUTES.map((r) => [r]))("the %s bundle's code cache is one this Node takes", (route) => {
    const file = join(BUNDLE, `${route}.js`);
    expect(existsSync(file + loader.CODE_CACHE_SUFFIX)).toBe(true);
    expect(loader.compileBundle(file).cacheUsed).toBe(true);
  });

  // One character past ASCII anywhere in a bundle (a comment esbuild kept) makes V8 hold its whole
  // source as a two-byte string, decoded from UTF-8 at every start (scripts/bundle.mjs, escapeNonAscii).
  it.each([...ROUTES, "main", "propose-worker", "run-reads-worker"].map((name) => [name]))(
    "the %s bundle is ASCII, so V8 holds its source as one byte a character",
    (name) => {
      const text = readFileSync(join(BUNDLE, `${name}.js`), "utf8");
      const at = text.search(/[^\x00-\x7f]/);
      expect(at === -1 ? null : text.slice(Math.max(0, at - 40), at + 10)).toBeNull();
    },
  );

  it("runs a bundle whose cache is damaged or missing, as if it had none", () => {
    const copy = copyBundle();
    // The right stamp, then bytes that are not a V8 cache: V8 itself turns it down.
    const cache = join(copy, "runs-list.js" + loader.CODE_CACHE_SUFFIX);
    writeFileSync(cache, Buffer.concat([readFileSync(cache).subarray(0, loader.STAMP_CHARS + 1), Buffer.alloc(4096, 7)]));
    rmSync(join(copy, "program.js" + loader.CODE_CACHE_SUFFIX));
    expect(loader.compileBundle(join(copy, "runs-list.js")).cacheUsed).toBe(false);
    expect(gFrom(copy, ["runs"])).toEqual({ code: 0, stdout: "", stderr: "no runs yet in HOME; start one with g run SCRIPT\n" });
    expect(gFrom(copy, ["runs", "lst"])).toMatchObject({ code: 2, stdout: "" });
    expect(gFrom(copy, ["--version"]).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("trains a cache on a command: it holds the functions the command compiled, beside the top level", () => {
    const copy = copyBundle();
    const file = join(copy, "runs-list.js");
    const cache = file + loader.CODE_CACHE_SUFFIX;
    const train = (args: string[]): number => {
      const res = spawnSync(process.execPath, [join(ROOT, "scripts", "code-cache.mjs"), file, ...args], {
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(res.status, res.stderr).toBe(0);
      return readFileSync(cache).length;
    };
    const topLevel = train([]);
    const trained = train(["runs"]);
    expect(trained).toBeGreaterThan(topLevel);
    expect(loader.compileBundle(file).cacheUsed).toBe(true);
    expect(gFrom(copy, ["runs"])).toEqual({ code: 0, stdout: "", stderr: "no runs yet in HOME; start one with g run SCRIPT\n" });
  });

  it("does not offer V8 a cache made for another bundle's source", () => {
    const copy = copyBundle();
    cpSync(join(BUNDLE, "run.js" + loader.CODE_CACHE_SUFFIX), join(copy, "runs-list.js" + loader.CODE_CACHE_SUFFIX));
    expect(loader.compileBundle(join(copy, "runs-list.js")).cacheUsed).toBe(false);
    expect(gFrom(copy, ["runs"])).toMatchObject({ code: 0, stdout: "" });
  });
});
