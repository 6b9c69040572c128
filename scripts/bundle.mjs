// Bundles the CLI into dist/bundle/ with esbuild, as CommonJS: one
// self-contained file per route (src/cli/route.ts: run, runs-list, agent,
// program), each with the V8 code cache that src/cli/bundle-loader.ts hands
// back to V8 at start-up, and a small dispatcher (main.js) that bin/g requires.
// Node 20's ES-module loader costs several milliseconds over CommonJS at every
// start, and without a cache V8 parses a bundle before running it; code
// shared by routes is simply in each. The Ink view (ESM-only Ink) is bundled
// apart as ES modules (dist/bundle/ui/*.mjs), imported only when it opens.
// `tsc` still type-checks and emits dist/ (the SDK and the store, which tests
// and users import).
import { build } from "esbuild";
import * as childProcess from "node:child_process";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bundle");

/** The route bundles (src/cli/routes/), one per route of src/cli/route.ts. */
const ROUTES = ["run", "runs-list", "agent", "program"];

/** The Ink views, imported by the route bundles as ES modules (Ink cannot be required). */
const UI_VIEWS = ["compare-view", "progress-view"];

/**
 * `import.meta.url` in the CommonJS output: esbuild leaves it empty there, so it
 * is defined as a property of this object, which the banner makes from the
 * bundle's own file name when it is first read (making a file URL at every
 * start cost as much as a tenth of what `g runs` on an empty store adds to
 * Node's start); the banner is taken out again where nothing reads it.
 * `import.meta.dirname` is the bundle's `__dirname`.
 */
const META = "__gImportMeta";
const META_URL_BANNER = `var ${META} = { get url() { return require("node:url").pathToFileURL(__filename).href; } };`;

async function bundleCli() {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: {
      main: join(root, "src", "cli", "main.ts"),
      ...Object.fromEntries(ROUTES.map((route) => [route, join(root, "src", "cli", "routes", `${route}.ts`)])),
      // The threads' modules, beside the bundles, where src/trials/propose-thread.ts
      // and src/store/run-reads.ts look for them.
      "propose-worker": join(root, "src", "trials", "propose-worker.ts"),
      "run-reads-worker": join(root, "src", "store", "run-reads-worker.ts"),
    },
    outdir,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    // Ink, React and their dependencies load from node_modules, and only for the interactive view.
    external: ["ink", "react", "react/*", "react-reconciler", "yoga-layout"],
    plugins: [requireChildProcessWhenUsed(), requireDynamicBuiltins(), requireNodeModuleWhenCalled(), importUiViewsAsModules()],
    define: { "import.meta.url": `${META}.url`, "import.meta.dirname": "__dirname" },
    banner: { js: META_URL_BANNER },
    logLevel: "warning",
    legalComments: "none",
  });
  // Every .js in dist/bundle/ is CommonJS, whatever the package's "type" says.
  writeFileSync(join(outdir, "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");
  for (const name of ["main", ...ROUTES, "propose-worker", "run-reads-worker"]) {
    dropUnusedBanner(join(outdir, `${name}.js`));
    escapeNonAscii(join(outdir, `${name}.js`));
  }
  writeFileSync(join(outdir, ESM_IMPORTER), ESM_IMPORTER_SOURCE);
  for (const route of ROUTES) importThroughEsmImporter(join(outdir, `${route}.js`));
  await build({
    entryPoints: Object.fromEntries(UI_VIEWS.map((view) => [view, join(root, "src", "ui", `${view}.tsx`)])),
    outdir: join(outdir, "ui"),
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: ["ink", "react", "react/*", "react-reconciler", "yoga-layout"],
    chunkNames: "[name]-[hash]",
    logLevel: "warning",
    legalComments: "none",
  });
}

/**
 * The route bundles run compiled by `vm.Script` with a code cache
 * (src/cli/bundle-loader.ts), where `import()` cannot work (Node 20 loses the
 * import callback of code read from a cache). So they hold no `import()`:
 * Node's built-ins imported dynamically are required instead (this plugin), and
 * the Ink views are imported by `esm-import.js`, a file Node's own loader loads
 * (importThroughEsmImporter).
 */
function requireDynamicBuiltins() {
  return {
    name: "require-dynamic-builtins",
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) =>
        args.kind === "dynamic-import" ? { path: args.path, namespace: "required-builtin" } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: "required-builtin" }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: "js",
      }));
    },
  };
}

/**
 * `createRequire` from node:module, which loads node:module (and with it parts
 * of Node's ES-module loader: about a tenth of what `g runs` on an empty store
 * adds to Node's start) only when first called: the bundles call it to load
 * cli-table3 or node:worker_threads when needed, and it was required at
 * every start all the same. Another name imported from node:module fails the
 * build (no such export), rather than loading it at start unseen.
 */
function requireNodeModuleWhenCalled() {
  return {
    name: "require-node-module-when-called",
    setup(b) {
      b.onResolve({ filter: /^node:module$/ }, (args) =>
        args.kind === "import-statement" && args.namespace !== "node-module-when-called"
          ? { path: args.path, namespace: "node-module-when-called" }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: "node-module-when-called" }, () => ({
        contents: 'export function createRequire(path) {\n  return require("node:module").createRequire(path);\n}\n',
        loader: "js",
      }));
    },
  };
}

/**
 * node:child_process required when one of its functions is first used, not
 * when a module that imports it loads: requiring it loads net, dgram and
 * Node's stream modules (a fifth of what `g --version` added to Node's start),
 * and commander requires it at its top for executable subcommands, which g
 * does not have, so every command line through commander paid for it; so did
 * g's modules that spawn only on some paths (inspect.ts, execute.ts). Each of
 * its names becomes a getter that requires it (esbuild reads an import's names
 * through getters, at use), so `spawn(...)` and `childProcess.spawn(...)` work
 * as before.
 */
function requireChildProcessWhenUsed() {
  const NAMESPACE = "child-process-when-used";
  const names = Object.keys(childProcess).filter((name) => name !== "default");
  return {
    name: "require-child-process-when-used",
    setup(b) {
      b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
        args.namespace === NAMESPACE ? undefined : { path: "child_process", namespace: NAMESPACE },
      );
      b.onLoad({ filter: /.*/, namespace: NAMESPACE }, () => ({
        contents:
          'let loaded;\nconst load = () => (loaded ??= require("node:child_process"));\n' +
          `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });\n`,
        loader: "js",
      }));
    },
  };
}

/** Beside the bundles: the one place their ES modules (the Ink views) are imported from, by Node's own loader. */
const ESM_IMPORTER = "esm-import.js";
const ESM_IMPORTER_SOURCE = `"use strict";
// Imports an ES module for g's route bundles, which cannot call import() themselves (scripts/bundle.mjs).
module.exports = (specifier) => import(specifier);
`;

/**
 * Turns a route bundle's \`import("./ui/...")\` into a call of esm-import.js, and
 * fails the build if any other import() is left outside the threads' source
 * texts (which run in a worker, not in the bundle).
 */
function importThroughEsmImporter(path) {
  const text = readFileSync(path, "utf8").replaceAll('import("./ui/', `require("./${ESM_IMPORTER}")("./ui/`);
  const left = text.match(/\bimport\([^)]*\)/g)?.filter((call) => !WORKER_SOURCE_IMPORTS.includes(call)) ?? [];
  if (left.length > 0) throw new Error(`${path}: import() cannot run in a cached bundle: ${left.join(", ")}`);
  writeFileSync(path, text);
}

/** The import() calls in the threads' source texts (src/store/run-reads.ts, run-folder-probe.ts), run by workers. */
const WORKER_SOURCE_IMPORTS = ['import("node:worker_threads")', 'import("node:fs")', "import(url)"];

/** The route bundles' imports of the Ink views become imports of dist/bundle/ui/<view>.mjs. */
function importUiViewsAsModules() {
  const filter = new RegExp(`(^|/)(${UI_VIEWS.join("|")})\\.js$`);
  return {
    name: "ui-views-as-modules",
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: `./ui/${filter.exec(args.path)[2]}.mjs`, external: true }));
    },
  };
}

/** Takes the import.meta.url banner out of bundles that never read it: less to run at start-up. */
function dropUnusedBanner(path) {
  const text = readFileSync(path, "utf8");
  if (!text.startsWith(META_URL_BANNER)) return;
  const body = text.slice(META_URL_BANNER.length);
  if (!body.includes(META)) writeFileSync(path, body.replace(/^\n/, ""));
}

/**
 * Writes every character past ASCII in a CommonJS bundle as a `\uXXXX` escape.
 * esbuild escapes them in strings, templates, regular expressions and names
 * (its default charset), but copies the comments it keeps as they are; one
 * en dash in a comment (src/search/gp/mes.ts) made V8 hold a whole route
 * bundle as a two-byte string, decoded from UTF-8 at every start: 8.6 M of
 * the 44.5 M instructions `g agent` added to Node's start (`bench/startup.mjs
 * --instructions`; eight agents start at once on two cores), and `g run` and
 * `g --version` paid it too. In a comment an escape reads the same, and what
 * esbuild escaped already has none left.
 */
function escapeNonAscii(path) {
  const text = readFileSync(path, "utf8");
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (ascii !== text) writeFileSync(path, ascii);
}

/**
 * Every command's --help, as commander prints it to a pipe (80 columns), in
 * dist/bundle/help.json: `g --help` and `g CMD --help` print it without loading
 * commander or building the program (src/cli/main.ts), which is most of their
 * start-up. Captured from the program tsc just built, so it cannot go stale.
 */
async function writeHelpTexts() {
  const { buildProgram } = await import(join(root, "dist", "cli", "program.js"));
  const paths = [];
  const walk = (cmd, path) => {
    paths.push(path);
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(buildProgram(), []);
  const texts = {};
  const stdout = process.stdout;
  const write = stdout.write;
  const tty = Object.getOwnPropertyDescriptor(stdout, "isTTY");
  // As to a pipe: commander wraps at the terminal's width only on a TTY.
  Object.defineProperty(stdout, "isTTY", { value: false, configurable: true });
  try {
    for (const path of paths) {
      let text = "";
      stdout.write = (chunk) => ((text += chunk), true);
      try {
        await buildProgram().parseAsync(["node", "g", ...path, "--help"]);
      } catch (err) {
        if (err.code !== "commander.helpDisplayed" && err.code !== "commander.help") throw err;
      } finally {
        stdout.write = write;
      }
      texts[path.join(" ")] = text;
    }
  } finally {
    if (tty) Object.defineProperty(stdout, "isTTY", tty);
    else delete stdout.isTTY;
  }
  writeFileSync(join(root, "dist", "bundle", "help.json"), JSON.stringify(texts));
}

// The `g view` browser app (src/view/app/): one minified script and one
// stylesheet (the app's CSS with uPlot's) that the server sends and
// `g view --export` inlines. A separate build, so the CLI bundle never holds it.
async function bundleApp() {
  const viewOut = join(root, "dist", "view");
  await build({
    entryPoints: [join(root, "src", "view", "app", "main.ts")],
    outfile: join(viewOut, "app.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    // The app is inlined in one <script> of an export: esbuild escapes "</script" in it.
    supported: { "inline-script": true },
    logLevel: "warning",
    legalComments: "none",
  });
}

/**
 * The command each route's code cache is trained on (scripts/code-cache.mjs:
 * run once, in an empty temporary store, before the cache is written), or
 * none: the top level alone. `g runs` on an empty store is run most often of
 * the short commands, and runs nothing but g. An agent runs two trials of a
 * small sweep (`{sweep}`): eight agents start at once on a machine's cores, and
 * each compiled the functions of its claim, trial and record from source.
 */
const CODE_CACHE_COMMANDS = { run: [], "runs-list": ["runs"], agent: ["agent", "{sweep}"], program: [] };

/**
 * V8's code cache of each route bundle, `<route>.js.cache`, made by this Node
 * (a Node of another V8 rejects it and compiles the bundle from its source):
 * compiled as src/cli/bundle-loader.ts compiles it, from tsc's build of it,
 * after its top level (and its training command) ran, in a process of its own
 * (scripts/code-cache.mjs). The bundle's last line and the cache's first carry
 * the bundle's hash (V8 itself checks only the source's length).
 */
async function writeCodeCaches() {
  const { stampLine } = await import(join(root, "dist", "cli", "bundle-loader.js"));
  for (const route of ROUTES) {
    const file = join(outdir, `${route}.js`);
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text + stampLine(createHash("sha256").update(text).digest("hex")));
    const made = spawnSync(process.execPath, [join(root, "scripts", "code-cache.mjs"), file, ...CODE_CACHE_COMMANDS[route]], {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    if (made.status !== 0) throw new Error(`the code cache of ${route}.js: ${made.stderr}`);
  }
}

// `node scripts/bundle.mjs app` rebuilds only the page (quicker while working on it).
if (process.argv[2] !== "app") {
  await bundleCli();
  await writeHelpTexts();
  await writeCodeCaches();
}
await bundleApp();
