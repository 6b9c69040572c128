// A run's output.log: the process's stdout and stderr as they came, written
// in whole lines (a line is in the file whole or not at all, even when the
// disk fills), and read back as a tail for the compare view.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { appendWhole } from "./fs-atomic.js";
import { OUTPUT_FILE } from "./paths.js";
import { toStoreWriteError } from "./write-errors.js";

/** Bytes read from the end of output.log for the tail: enough for a few lines, cheap for huge logs. */
const TAIL_BYTES = 16 * 1024;
/**
 * An unfinished line longer than this (a progress bar redrawn with \r and no
 * newline) is written out anyway, so the log neither lags nor holds it in memory.
 */
const MAX_PENDING_LINE_BYTES = 64 * 1024;

export type OutputStream = "stdout" | "stderr";

/** output.log of one run, open for appending while the run's process lives. */
export class OutputLog {
  readonly path: string;
  private readonly fd: number;
  /** Each stream's unfinished last line: written when its newline arrives, or at close. */
  private readonly pending: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly pendingBytes: Record<OutputStream, number> = { stdout: 0, stderr: 0 };

  /** Opens (creates) the run's output.log; a StoreWriteError when that fails. */
  constructor(dir: string) {
    this.path = `${dir}/${OUTPUT_FILE}`;
    try {
      this.fd = openSync(this.path, "a", 0o644);
    } catch (err) {
      throw toStoreWriteError(err, this.path);
    }
  }

  /**
   * Appends a chunk of `stream`: the whole lines it completes are written in
   * one write; its unfinished tail waits for the rest of its line. Throws
   * StoreWriteError (the file is left as it was) when the write fails.
   */
  append(chunk: Buffer, stream: OutputStream): void {
    const nl = chunk.lastIndexOf(10);
    if (nl < 0) {
      this.pending[stream].push(chunk);
      this.pendingBytes[stream] += chunk.length;
      if (this.pendingBytes[stream] > MAX_PENDING_LINE_BYTES) this.flushStream(stream);
      return;
    }
    const whole = Buffer.concat([...this.pending[stream], chunk.subarray(0, nl + 1)]);
    this.pending[stream] = nl + 1 < chunk.length ? [chunk.subarray(nl + 1)] : [];
    this.pendingBytes[stream] = chunk.length - nl - 1;
    this.write(whole);
  }

  /** Appends a message of g's own (already whole lines), after any pending output. */
  appendText(text: string): void {
    this.flush();
    this.write(Buffer.from(text, "utf8"));
  }

  /** Writes the streams' unfinished last lines (at the end of the run). */
  flush(): void {
    this.flushStream("stdout");
    this.flushStream("stderr");
  }

  close(): void {
    closeSync(this.fd);
  }

  private flushStream(stream: OutputStream): void {
    if (this.pendingBytes[stream] === 0) return;
    const rest = Buffer.concat(this.pending[stream]);
    this.pending[stream] = [];
    this.pendingBytes[stream] = 0;
    this.write(rest);
  }

  private write(buf: Buffer): void {
    try {
      appendWhole(this.fd, buf);
    } catch (err) {
      throw toStoreWriteError(err, this.path);
    }
  }
}

/**
 * The last `lines` lines of the output.log in `dir` ([] when it has none or it
 * cannot be read), each as written: a progress bar's carriage returns and a
 * colour's escape sequences included (format/output-line.ts shows one).
 */
export function readOutputTail(dir: string, lines: number): string[] {
  let fd: number;
  try {
    fd = openSync(`${dir}/${OUTPUT_FILE}`, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    // Lines as written, carriage returns and escape sequences included: the viewer shows what a terminal did.
    const all = buf.toString("utf8").split("\n");
    if (all[all.length - 1] === "") all.pop();
    // The first line may be cut by the byte window; drop it unless the whole file was read.
    if (len < size) all.shift();
    return all.slice(-lines);
  } catch {
    return [];
  } finally {
    closeSync(fd);
  }
}
