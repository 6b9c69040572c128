// g's entry point (dist/bundle/main.js, required by bin/g): answers `--help`
// from the texts captured at build time, or picks the route the command line
// needs (src/cli/route.ts) and loads that route's bundle alone, with its V8
// code cache (src/cli/bundle-loader.ts). Commander and building the program
// are most of a short command's start-up, so `g run`, any `--help`, a bare
// `g runs` and `g agent ID [--count N] [--no-retry]` skip them; errors become
// exit codes in the route bundles (src/cli/start.ts).

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { printBuiltHelp } from "./built-help.js";
import { loadBundle } from "./bundle-loader.js";
import { chooseRoute, type Route } from "./route.js";

/** What each route bundle exports (src/cli/routes/*.ts). */
interface RouteBundle {
  start(argv: string[]): Promise<void>;
}

/** The folder of this bundle, where help.json and the route bundles are. */
const BUNDLE_DIR = dirname(fileURLToPath(import.meta.url));

/** Loads the bundle of `route` and starts its command. */
export function startRoute(route: Route, argv: string[]): Promise<void> {
  return (loadBundle(join(BUNDLE_DIR, `${route}.js`)) as RouteBundle).start(argv);
}

const args = process.argv.slice(2);
if (!printBuiltHelp(args, join(BUNDLE_DIR, "help.json"))) void startRoute(chooseRoute(args), process.argv);
