// g's own stdout and stderr, which may close under it (`g run train.py | head`).
// A closed stdout is not a failure of a run: commands that run scripts (g run,
// g agent) stop writing to the closed stream and carry on, the script's output
// still going to the run's output.log; every other command just ends quietly,
// as `ls | head` does.
//
// Node makes `process.stdout` and `process.stderr` when they are first read (a
// getter), and making one loads Node's stream modules (and `net` for a pipe):
// milliseconds that a short command such as `g runs` on an empty store does
// not otherwise spend. So the handlers are installed when a stream is made,
// not before, and writeOut/writeErr write to a stream not made yet with
// writeSync, as Node's own stream does for files, pipes and terminals on Linux.

import { fstatSync, statSync, writeSync } from "node:fs";
import type { OutputSink } from "./execute.js";

type StreamName = "stdout" | "stderr";

const FD: Record<StreamName, number> = { stdout: 1, stderr: 2 };
const STDIN_FD = 0;

const closed = { stdout: false, stderr: false };

/** Whether process.stdout/stderr has been made (read) since handleClosedOutput; until then g writes to the fd. */
const made = { stdout: false, stderr: false };

/** What a closed output means for this command (handleClosedOutput's argument). */
let keepRunningOnClose = true;

let installed = false;

/** Write errors that mean the reader went away, not that g failed. */
const CLOSED_CODES = new Set(["EPIPE", "ERR_STREAM_DESTROYED", "ECONNRESET"]);

/**
 * Installs the handlers for a closed stdout or stderr. With `keepRunning`
 * (commands that run scripts), the stream is no longer written to and the
 * command goes on; otherwise the process exits at once: 0 when the reader
 * went away, 1 when writing failed otherwise (`g compare > file` on a full disk).
 * Each stream gets its handler when it is made (by any code reading
 * process.stdout or process.stderr), so none is made here.
 */
export function handleClosedOutput(keepRunning: boolean): void {
  keepRunningOnClose = keepRunning;
  if (installed) return;
  installed = true;
  for (const name of ["stdout", "stderr"] as const)
    onStreamMade(name, (stream) => stream.on("error", (err: NodeJS.ErrnoException) => closeOutput(name, err)));
}

/**
 * Calls `install` with process[name] when it is first made: Node's getter is
 * wrapped once, and put back as soon as it has made the stream (it returns the
 * same stream from then on). A stream made already gets `install` at once.
 */
function onStreamMade(name: StreamName, install: (stream: NodeJS.WriteStream) => void): void {
  const descriptor = Object.getOwnPropertyDescriptor(process, name);
  const makeStream = descriptor?.get;
  if (makeStream === undefined || descriptor?.configurable !== true) {
    made[name] = true;
    install(process[name]);
    return;
  }
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: descriptor.enumerable,
    get() {
      const stream = makeStream.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, name, descriptor);
      made[name] = true;
      install(stream);
      return stream;
    },
  });
}

/** What a failed write to `name` means: see handleClosedOutput. */
function closeOutput(name: StreamName, err: NodeJS.ErrnoException): void {
  const readerGone = CLOSED_CODES.has(err.code ?? "");
  const first = !closed[name];
  closed[name] = true;
  if (!readerGone && first) writeErr(`g: cannot write to ${name} (${err.code ?? err.message})\n`);
  if (!keepRunningOnClose) process.exit(readerGone ? 0 : 1);
  if (first && name === "stdout") {
    writeErr("g: stdout was closed; carrying on without printing the script's output (the run's output.log still gets all of it)\n");
  }
}

/** Whether `stream` can still be written to (false once its reader has gone). */
export function isOpen(stream: StreamName): boolean {
  return !closed[stream] && !(made[stream] && process[stream].destroyed);
}

export function writeOut(text: string): void {
  writeTo("stdout", text);
}

export function writeErr(text: string): void {
  writeTo("stderr", text);
}

function writeTo(name: StreamName, text: string): void {
  if (!isOpen(name)) return;
  if (made[name] || !installed) process[name].write(text);
  else writeToFd(name, Buffer.from(text));
}

/** writeOut of text already in bytes (UTF-8), which the caller hands over: it must not change them after. */
export function writeOutBytes(bytes: Uint8Array): void {
  if (!isOpen("stdout")) return;
  if (made.stdout || !installed) process.stdout.write(bytes);
  else writeToFd("stdout", bytes);
}

/**
 * Writes `text` to the stream's file descriptor, whole, as Node's stream
 * would (synchronously). A non-blocking pipe that is full (EAGAIN: its file
 * description shared with a process that set O_NONBLOCK) hands the rest to
 * the stream, which waits for it; any other error is the stream's error.
 */
function writeToFd(name: StreamName, bytes: Uint8Array): void {
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(FD[name], bytes, done);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EAGAIN") process[name].write(bytes.subarray(done));
    else closeOutput(name, err as NodeJS.ErrnoException);
  }
}

/** A run's output shown on g's own stdout/stderr, until they close. */
export const terminalSink: OutputSink = (text, stream) => (stream === "stdout" ? writeOut(text) : writeErr(text));

/** g's stdout and stderr as writers, for presenters that take them as arguments (src/ui/progress.ts). */
export const terminalWriters = { stdout: writeOut, stderr: writeErr };

/**
 * Whether `fd` is a character device other than /dev/null: what a terminal
 * is, told by fstat. Not `isTTY`, nor node:tty: making process.stdout for a
 * pipe or a file, or loading tty (and with it net), loads Node's stream
 * modules, milliseconds of a short command's start.
 */
export function isTerminalLike(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isCharacterDevice() && st.rdev !== statSync("/dev/null").rdev;
  } catch {
    return false;
  }
}

/**
 * Whether g's stdin, stdout or stderr is a terminal (its `isTTY`), making the
 * stream only when the descriptor could be one (isTerminalLike): a pipe or a
 * file, the usual case of a script or a test, is told without it.
 */
export function isTerminal(name: StreamName | "stdin"): boolean {
  if (!isTerminalLike(name === "stdin" ? STDIN_FD : FD[name])) return false;
  return process[name].isTTY === true;
}

/** The terminal's width in columns when stdout is a terminal that knows it (a pseudo-terminal without a size says 0). */
export function terminalColumns(): number | undefined {
  if (!isTerminal("stdout")) return undefined;
  const columns = process.stdout.columns;
  return columns > 0 ? columns : undefined;
}
