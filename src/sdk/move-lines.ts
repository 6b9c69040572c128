// Moves an experiment's scalar lines out of a g run's scalars.jsonl, for the
// SDK's child runs (docs/sdk.md, "Several experiments inside g run"): the
// lines marked with the experiment's token are taken out and the file is
// replaced atomically with the others. The twin of move_marked_lines in
// src/sdk/python/g_runs/_files.py.

import { closeSync, openSync, readSync } from "node:fs";
import { appendLines, writeFileAtomic } from "../store/fs-atomic.js";

const NEWLINE = 10;

/**
 * Takes the lines whose "exp" field is `token` out of a JSON-lines file and
 * returns them without that field. Others may append meanwhile (the runner,
 * other processes: each a whole line per write); lines that reach the old
 * file after it was read are carried over to the new one.
 */
export function moveMarkedLines(path: string, token: string): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  try {
    const data = readFrom(fd, 0);
    // A line still being written is left for the catch-up below.
    const whole = data.subarray(0, data.lastIndexOf(NEWLINE) + 1);
    const { kept, moved } = splitMarked(whole.toString("utf8"), token);
    writeFileAtomic(path, kept);
    const late = readFrom(fd, whole.length);
    if (late.length > 0) {
      const rest = splitMarked(late.toString("utf8"), token);
      moved.push(...rest.moved);
      if (rest.kept !== "") appendLines(path, [rest.kept]);
    }
    return moved;
  } finally {
    closeSync(fd);
  }
}

function readFrom(fd: number, offset: number): Buffer {
  const chunks: Buffer[] = [];
  let position = offset;
  for (;;) {
    const buf = Buffer.allocUnsafe(1 << 20);
    const n = readSync(fd, buf, 0, buf.length, position);
    if (n === 0) return Buffer.concat(chunks);
    chunks.push(buf.subarray(0, n));
    position += n;
  }
}

function splitMarked(text: string, token: string): { kept: string; moved: string[] } {
  const kept: string[] = [];
  const moved: string[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    if (line === "") continue;
    if (line.includes('"exp"')) {
      let record: unknown = null;
      try {
        record = JSON.parse(line);
      } catch {
        /* a torn line stays where it is */
      }
      if (record !== null && typeof record === "object" && (record as { exp?: unknown }).exp === token) {
        const { exp: _mark, ...rest } = record as Record<string, unknown>;
        moved.push(JSON.stringify(rest) + "\n");
        continue;
      }
    }
    kept.push(line);
  }
  return { kept: kept.join(""), moved };
}
