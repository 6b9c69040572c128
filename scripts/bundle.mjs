// Bundles the CLI into dist/bundle/ with esbuild: a handful of files instead of
// dozens of ES modules to resolve at every start (Node 20 spends about as long
// loading g's modules as starting itself). Code splitting keeps each command,
// and the Ink view, in chunks loaded only when used. `tsc` still type-checks
// and emits dist/ (the SDK and the store, which tests and users import).
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bundle");
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: [join(root, "src", "cli", "main.ts")],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Ink, React and their dependencies load from node_modules, and only for the interactive view.
  external: ["ink", "react", "react/*", "react-reconciler", "yoga-layout"],
  // Bundled CommonJS dependencies call require() for Node's built-ins.
  banner: { js: 'import { createRequire as __gCreateRequire } from "node:module"; const require = __gCreateRequire(import.meta.url);' },
  chunkNames: "[name]-[hash]",
  logLevel: "warning",
  legalComments: "none",
});
