// Errors into exit codes and one line on stderr, for src/cli/main.ts (the only
// place that exits). Its own module so that \`g --help\` loads none of it.

import { EXIT, GError } from "../errors.js";
import { escapeControlChars } from "../format/values.js";
import { writeErr } from "../runner/terminal.js";

interface CommanderLikeError {
  code: string;
  exitCode: number;
  message: string;
}

function isCommanderError(err: unknown): err is CommanderLikeError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("commander.") && typeof (err as { exitCode?: unknown }).exitCode === "number";
}

export function reportError(err: unknown): number {
  if (isCommanderError(err)) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
    return err.exitCode === 0 ? 0 : EXIT.usage;
  }
  if (err instanceof GError) {
    // A message quotes what the user typed: a line break or an ESC in it would break the one line or reach the terminal.
    if (err.message) writeErr(`g: ${escapeControlChars(err.message)}\n`);
    if (process.env.G_DEBUG === "1" && err.stack) writeErr(err.stack + "\n");
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "EPIPE") return 0;
  if (e?.code === "ENOSPC") {
    writeErr(`g: the disk is full (${e.path ?? "writing"}); free some space and try again\n`);
    return EXIT.runFailed;
  }
  if (e?.code === "EACCES" || e?.code === "EPERM") {
    writeErr(`g: permission denied: ${e.path ?? e.message}\n`);
    return EXIT.usage;
  }
  writeErr(`g: internal error: ${e?.message ?? String(err)}${process.env.G_DEBUG === "1" ? "" : " (set G_DEBUG=1 for details)"}\n`);
  if (process.env.G_DEBUG === "1" && e?.stack) writeErr(e.stack + "\n");
  return 1;
}
