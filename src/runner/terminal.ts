// g's own stdout and stderr, which may close under it (`g run train.py | head`).
// A closed stdout is not a failure of a run: commands that run scripts (g run,
// g agent) stop writing to the closed stream and carry on, the script's output
// still going to the run's output.log; every other command just ends quietly,
// as `ls | head` does.

import type { OutputSink } from "./execute.js";

const closed = { stdout: false, stderr: false };

/** Write errors that mean the reader went away, not that g failed. */
const CLOSED_CODES = new Set(["EPIPE", "ERR_STREAM_DESTROYED", "ECONNRESET"]);

/**
 * Installs the handlers for a closed stdout or stderr. With `keepRunning`
 * (commands that run scripts), the stream is no longer written to and the
 * command goes on; otherwise the process exits at once: 0 when the reader
 * went away, 1 when writing failed otherwise (`g compare > file` on a full disk).
 */
export function handleClosedOutput(keepRunning: boolean): void {
  for (const name of ["stdout", "stderr"] as const) {
    process[name].on("error", (err: NodeJS.ErrnoException) => {
      const readerGone = CLOSED_CODES.has(err.code ?? "");
      const first = !closed[name];
      closed[name] = true;
      if (!readerGone && first) writeErr(`g: cannot write to ${name} (${err.code ?? err.message})\n`);
      if (!keepRunning) process.exit(readerGone ? 0 : 1);
      if (first && name === "stdout") {
        writeErr("g: stdout was closed; carrying on without printing the script's output (the run's output.log still gets all of it)\n");
      }
    });
  }
}

/** Whether `stream` can still be written to (false once its reader has gone). */
export function isOpen(stream: "stdout" | "stderr"): boolean {
  return !closed[stream] && !process[stream].destroyed;
}

export function writeOut(text: string): void {
  if (isOpen("stdout")) process.stdout.write(text);
}

export function writeErr(text: string): void {
  if (isOpen("stderr")) process.stderr.write(text);
}

/** A run's output shown on g's own stdout/stderr, until they close. */
export const terminalSink: OutputSink = (text, stream) => (stream === "stdout" ? writeOut(text) : writeErr(text));

/** g's stdout and stderr as writers, for presenters that take them as arguments (src/ui/progress.ts). */
export const terminalWriters = { stdout: writeOut, stderr: writeErr };
