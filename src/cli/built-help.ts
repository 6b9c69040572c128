// `g [COMMAND ...] --help|-h` without commander: the help texts commander
// printed when g was built (scripts/bundle.mjs writes dist/bundle/help.json).
// Part of the dispatcher (src/cli/main.ts), so help loads nothing else.

import { readFileSync, writeSync } from "node:fs";
import { isTerminalLike } from "../runner/terminal.js";

/** The width commander's help is wrapped at on a pipe; help.json holds the texts at this width. */
const HELP_WIDTH_COLUMNS = 80;

/**
 * Prints the help text commander printed for `args` (a command path, then
 * --help or -h) from `helpFile`. False, for commander to do it, when the words
 * are not a command path, stdout is a terminal of another width, or there is
 * no help file.
 */
export function printBuiltHelp(args: string[], helpFile: string): boolean {
  const last = args[args.length - 1];
  if (last !== "--help" && last !== "-h") return false;
  // Not process.stdout.isTTY, nor node:tty: making process.stdout for a pipe, or loading tty (and with it
  // net and streams), costs more than the rest of the help. Only a terminal (a character device other
  // than /dev/null, which has no columns) can be of another width.
  const width = isTerminalLike(1) ? (process.stdout.columns ?? HELP_WIDTH_COLUMNS) : HELP_WIDTH_COLUMNS;
  if (width !== HELP_WIDTH_COLUMNS) return false;
  let texts: Record<string, string>;
  try {
    texts = JSON.parse(readFileSync(helpFile, "utf8")) as Record<string, string>;
  } catch {
    return false;
  }
  const text = texts[args.slice(0, -1).join(" ")];
  if (typeof text !== "string" || text === "") return false;
  writeStdout(text);
  return true;
}

/**
 * Writes to fd 1 directly (see printBuiltHelp). A reader that went away
 * (EPIPE) ends it quietly, as for every listing; a non-blocking pipe that is
 * full hands the rest to process.stdout.
 */
function writeStdout(text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EAGAIN") process.stdout.write(bytes.subarray(done));
    else if (code !== "EPIPE") throw err;
  }
}
