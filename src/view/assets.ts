// Where the page's bundle is: dist/view/app.js and dist/view/app.css under
// g's package folder (built by scripts/bundle.mjs from src/view/app/), read
// once and kept, since a server serves them many times.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../runner/paths.js";

export interface AppBundle {
  js: string;
  css: string;
}

let cached: AppBundle | null = null;

/** The folder holding app.js and app.css. */
export function appBundleDir(): string {
  return join(packageRoot(), "dist", "view");
}

/** The bundle's text, or null when it has not been built. */
export function readAppBundle(): AppBundle | null {
  if (cached) return cached;
  try {
    const dir = appBundleDir();
    cached = { js: readFileSync(join(dir, "app.js"), "utf8"), css: readFileSync(join(dir, "app.css"), "utf8") };
    return cached;
  } catch {
    return null;
  }
}
