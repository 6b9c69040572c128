// g's entry point (dist/bundle/main.js, required by bin/g): answers `--help`
// from the texts captured at build time, or picks the route the command line
// needs (src/cli/route.ts) and loads that route's bundle alone, with its V8
// code cache (src/cli/bundle-loader.ts). Commander and building the program
// are most of a short command's start-up, so `g run`, any `--help`, a bare
// `g runs` and `g agent ID [--count N] [--no-retry] [-j N]` skip them; errors become
// exit codes in the route bundles (src/cli/start.ts).

import { join } from "node:path";
import { printBuiltHelp } from "./built-help.js";
import { chooseRoute, type Route } from "./route.js";

/** What each route bundle exports (src/cli/routes/*.ts). */
interface RouteBundle {
  start(argv: string[]): Promise<void>;
}

/**
 * The folder of this bundle, where help.json and the route bundles are
 * (import.meta.dirname: the bundle's __dirname, without loading node:url).
 */
const BUNDLE_DIR = import.meta.dirname;

/**
 * Loads the bundle of `route` and starts its command. The loader is imported
 * here, not above: it needs node:vm, which help does not. The route bundles
 * sit beside this one, so this module's `require` resolves their requires.
 */
export async function startRoute(route: Route, argv: string[]): Promise<void> {
  const { loadBundle } = await import("./bundle-loader.js");
  await (loadBundle(join(BUNDLE_DIR, `${route}.js`), require) as RouteBundle).start(argv);
}

const args = process.argv.slice(2);
if (!printBuiltHelp(args, join(BUNDLE_DIR, "help.json"))) void startRoute(chooseRoute(args), process.argv);
