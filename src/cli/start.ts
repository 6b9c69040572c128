// How each route bundle (src/cli/routes/) starts its command: g's own output
// handling first, then the command; this is the only place that turns errors
// into exit codes (report-error.ts).

import { handleClosedOutput } from "../runner/terminal.js";
import { reportError } from "./report-error.js";
import { runsScripts } from "./route.js";

/** Runs `command` for the process's `argv` and sets the exit code from how it ended. */
export async function startCommand(argv: string[], command: (argv: string[]) => Promise<void>): Promise<void> {
  // A closed stdout (`g run train.py | head`) is not a failure: commands that run
  // scripts carry on without printing; the others end quietly (src/runner/terminal.ts).
  handleClosedOutput(runsScripts(argv.slice(2)));
  try {
    await command(argv);
    process.exitCode = process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}
