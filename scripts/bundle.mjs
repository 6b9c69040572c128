// Bundles the CLI into dist/bundle/ with esbuild: a handful of files instead of
// dozens of ES modules to resolve at every start (Node 20 spends about as long
// loading g's modules as starting itself). Code splitting keeps each command,
// and the Ink view, in chunks loaded only when used. `tsc` still type-checks
// and emits dist/ (the SDK and the store, which tests and users import).
import { build } from "esbuild";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * A `require` for a chunk's bundled CommonJS code, created by the first call (with `require.resolve`).
 * Node's `module` is taken with process.getBuiltinModule (Node 20.16 on) when the first call comes:
 * a static `import ... from "node:module"` would load it (and what it needs) at every start.
 */
const LAZY_REQUIRE = [
  'const __gModule = process.getBuiltinModule ? undefined : await import("node:module");',
  "let __gRequire;",
  'const __gReal = () => (__gRequire ??= (__gModule ?? process.getBuiltinModule("node:module")).createRequire(import.meta.url));',
  "const require = Object.assign((id) => __gReal()(id), { resolve: (id, options) => __gReal().resolve(id, options) });",
].join(" ");

async function bundleCli() {
  const outdir = join(root, "dist", "bundle");
  rmSync(outdir, { recursive: true, force: true });
  await build({
    // The proposal thread's module is an entry of its own, beside main.js, where
    // src/trials/propose-thread.ts looks for it (next to the chunk that holds it).
    // So is the run-reading thread's (src/store/run-reads.ts).
    entryPoints: {
      main: join(root, "src", "cli", "main.ts"),
      "propose-worker": join(root, "src", "trials", "propose-worker.ts"),
      "run-reads-worker": join(root, "src", "store", "run-reads-worker.ts"),
    },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Ink, React and their dependencies load from node_modules, and only for the interactive view.
    external: ["ink", "react", "react/*", "react-reconciler", "yoga-layout"],
    // Bundled CommonJS dependencies call require() for Node's built-ins. esbuild puts the banner
    // in every chunk, and createRequire costs about a millisecond each: made on first use only,
    // and the banner is taken out again where nothing calls require.
    banner: { js: LAZY_REQUIRE },
    chunkNames: "[name]-[hash]",
    logLevel: "warning",
    legalComments: "none",
  });
  dropUnusedRequireBanners(outdir);
}

/** Takes the banner out of chunks that never call `require` (most of them): less to compile at start-up. */
function dropUnusedRequireBanners(outdir) {
  for (const name of readdirSync(outdir)) {
    if (!name.endsWith(".js")) continue;
    const path = join(outdir, name);
    const text = readFileSync(path, "utf8");
    if (!text.startsWith(LAZY_REQUIRE)) continue;
    const body = text.slice(LAZY_REQUIRE.length);
    if (!/\brequire\b/.test(body)) writeFileSync(path, body.replace(/^\n/, ""));
  }
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

// `node scripts/bundle.mjs app` rebuilds only the page (quicker while working on it).
if (process.argv[2] !== "app") {
  await bundleCli();
  await writeHelpTexts();
}
await bundleApp();
