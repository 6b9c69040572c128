// `g init`: a project-local store, `.g/` in the current folder. Every g
// command run in that folder or below then uses it (unless G_HOME is set),
// as `wandb init` ties a folder to a project. Idempotent; refused inside a
// store's own folders.

import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { UsageError } from "../errors.js";
import { PROJECT_STORE_DIR, findProjectStore } from "../store/store.js";
import { defaultHome } from "../store/paths.js";
import { say } from "./prompt.js";

/** Keeps a project's runs out of git unless the user decides otherwise (W&B's wandb/ folder is the usual first commit mistake). */
const GITIGNORE = "# g's run store (g init); delete this file to commit runs\n*\n";

export function initCommand(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): void {
  const here = resolve(cwd);
  // G_HOME names a store whatever its folder is called: inside it is inside a store too.
  const gHomeDir = env.G_HOME && env.G_HOME.trim() !== "" ? resolve(env.G_HOME) : null;
  const insideHome = gHomeDir !== null && (here === gHomeDir || here.startsWith(gHomeDir + sep)) ? gHomeDir : null;
  const enclosing = enclosingStore(here) ?? insideHome;
  if (enclosing !== null)
    throw new UsageError(
      `${here} is inside the g store ${enclosing}; run g init in the project folder that holds it (${dirname(enclosing)})`,
    );
  const store = join(here, PROJECT_STORE_DIR);
  const existing = statSync(store, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory()) throw new UsageError(`${store} exists and is not a folder; move it away and run g init again`);
  const parent = findProjectStore(dirname(here));
  if (existing && store === defaultHome()) {
    throw new UsageError(`${store} is g's default store (for runs outside any project), not a project's; run g init in a project folder`);
  } else if (existing) {
    say(`${store} is already this project's g store; nothing to do`);
  } else {
    mkdirSync(join(store, "runs"), { recursive: true });
    writeFileSync(join(store, ".gitignore"), GITIGNORE);
    say(`made ${store} (runs/ and a .gitignore that keeps them out of git)`);
    say(`g commands in ${here} and below now record and read runs there${parent ? ` (not in ${parent})` : ""}`);
  }
  const gHome = env.G_HOME;
  if (gHome && gHome.trim() !== "") say(`note: G_HOME is set (${gHome}) and wins over ${store}; unset it to use the project store`);
}

/** The `.g` folder that `dir` lies inside (`proj/.g/runs` → `proj/.g`), or null. */
function enclosingStore(dir: string): string | null {
  const parts = dir.split(sep);
  const at = parts.lastIndexOf(PROJECT_STORE_DIR);
  if (at < 1) return null;
  return parts.slice(0, at + 1).join(sep);
}
