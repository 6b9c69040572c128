// Follows a run's scalars.jsonl while its script runs, so the metrics an SDK
// appends there (g_runs.log, Experiment.metrics.log, the TypeScript SDK) reach
// the runner's onScalar as printed `key: number` lines do: early termination
// and the live progress line see both. It only reads; the store stays the one
// writer of run folders.

import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from "node:fs";
import type { ScalarRecord } from "../store/types.js";

/**
 * How often the file is looked at besides fs.watch's events: the only cost of
 * a run whose script never uses an SDK (a stat that finds nothing, each tick
 * until the file appears), and the fallback where a watch hears nothing (NFS, no inotify left).
 */
export const SCALAR_TAIL_POLL_MS = 200;
/** Read per pass while the script runs; a bigger backlog is read over the next passes, so the child's pipes are never left waiting. */
const READ_PASS_BYTES = 1 << 20;
const READ_BUF_BYTES = 1 << 16;
const NEWLINE = 10;

export interface ScalarTail {
  /**
   * Records the runner has just appended to the same file itself (parsed from
   * the script's output), the array it gave the store for that one append:
   * reading them back, the tail leaves them out. Call it after each append,
   * before control returns to the event loop.
   */
  skip(records: readonly ScalarRecord[]): void;
  /** Reads what is left (a last line without its newline too, when it is whole JSON) and stops following. */
  close(): void;
}

export interface ScalarTailOptions {
  pollMs?: number;
  /** Off in tests that check the poll alone. */
  watch?: boolean;
}

/**
 * Starts following `path` from its current end (a run rerun in place keeps
 * its earlier lines, which are not news); call it before the script starts,
 * so nothing it writes is missed. `onRecords` gets each pass's new records,
 * in file order, shaped as the output parser's: {key, value, step, t}.
 */
export function followScalars(path: string, onRecords: (records: ScalarRecord[]) => void, opts: ScalarTailOptions = {}): ScalarTail {
  const pollMs = opts.pollMs ?? SCALAR_TAIL_POLL_MS;
  const useWatch = opts.watch ?? true;
  let fd: number | null = null;
  let ino = 0;
  let offset = 0;
  /** The bytes of a line whose newline has not come yet. */
  let partial: Buffer | null = null;
  /**
   * The runner's own appends not yet read back, oldest first. Each is one write of
   * whole lines (appendScalarRecords: JSON.stringify of each record, a newline
   * after each), so it lies in the file as one block, in the order written: where
   * a line starts with the oldest block's first line (`ownHead`, made when first
   * compared; its time is the block's, to the microsecond), that line and the
   * block's others after it are skipped, without making or parsing their text.
   */
  const ownBlocks: (readonly ScalarRecord[])[] = [];
  let ownFirst = 0;
  let ownHead: Buffer | null = null;
  /**
   * After the file was replaced (an SDK moving an experiment's lines into a child
   * run writes the others to a new file, then carries over lines that came late):
   * the old file's lines, already passed on, left out when the new file repeats them.
   */
  let replaced: Map<string, number> | null = null;
  let watcher: FSWatcher | null = null;
  let queued = false;
  let closed = false;
  const readBuf = Buffer.allocUnsafe(READ_BUF_BYTES);

  const headLine = (): Buffer | null => {
    if (ownFirst === ownBlocks.length) return null;
    ownHead ??= Buffer.from(JSON.stringify(ownBlocks[ownFirst]![0]) + "\n", "utf8");
    return ownHead;
  };
  const dropHeadBlock = () => {
    ownHead = null;
    if (++ownFirst === ownBlocks.length) {
      ownBlocks.length = 0;
      ownFirst = 0;
    }
  };

  /** Splits bytes into whole lines (the rest kept in `partial`) and passes on the records among them. */
  const consume = (bytes: Buffer, final: boolean) => {
    const data = partial ? Buffer.concat([partial, bytes]) : bytes;
    partial = null;
    const out: ScalarRecord[] = [];
    let start = 0;
    while (start < data.length) {
      const head = headLine();
      if (head) {
        const available = Math.min(head.length, data.length - start);
        if (data.compare(head, 0, available, start, start + available) === 0) {
          const end = endOfBlock(data, start, ownBlocks[ownFirst]!.length);
          if (end >= 0 || final) {
            // The runner's block (all of what is left of it, at the end of a torn file).
            dropHeadBlock();
            start = end >= 0 ? end : data.length;
            continue;
          }
          break; // the rest of the runner's block has not been read yet
        }
      }
      const nl = data.indexOf(NEWLINE, start);
      if (nl < 0) break;
      handleLine(data.toString("utf8", start, nl), out);
      start = nl + 1;
    }
    if (start < data.length) {
      if (final) handleLine(data.toString("utf8", start), out);
      else partial = Buffer.from(data.subarray(start));
    }
    if (out.length > 0) onRecords(out);
  };

  const handleLine = (line: string, out: ScalarRecord[]) => {
    if (line === "") return;
    const n = replaced?.get(line);
    if (n !== undefined) {
      if (n > 1) replaced!.set(line, n - 1);
      else if (replaced!.delete(line) && replaced!.size === 0) replaced = null;
      return;
    }
    const rec = parseRecord(line);
    if (rec) out.push(rec);
  };

  /** Where the `lines` lines from `start` end, -1 when `data` does not hold them all yet. */
  const endOfBlock = (data: Buffer, start: number, lines: number): number => {
    let at = start;
    for (let i = 0; i < lines; i++) {
      const nl = data.indexOf(NEWLINE, at);
      if (nl < 0) return -1;
      at = nl + 1;
    }
    return at;
  };

  /** Reads the open file from `offset` on: up to READ_PASS_BYTES, or all of it. */
  const readMore = (all: boolean): boolean => {
    if (fd === null) return false;
    let budget = all ? Infinity : READ_PASS_BYTES;
    while (budget > 0) {
      let n: number;
      try {
        n = readSync(fd, readBuf, 0, Math.min(READ_BUF_BYTES, budget), offset);
      } catch {
        return false;
      }
      if (n === 0) return false;
      offset += n;
      budget -= n;
      consume(readBuf.subarray(0, n), false);
    }
    return true;
  };

  const openAt = (start: "end" | "beginning"): boolean => {
    let opened: number;
    try {
      // A stat that finds nothing costs no thrown error: this is what a run without an SDK pays a tick.
      if (!statSync(path, { throwIfNoEntry: false })) return false;
      opened = openSync(path, "r");
    } catch {
      return false;
    }
    fd = opened;
    const st = fstatSync(opened);
    ino = st.ino;
    offset = start === "end" ? st.size : 0;
    partial = null;
    startWatch();
    return true;
  };

  const startWatch = () => {
    watcher?.close();
    watcher = null;
    if (!useWatch || closed) return;
    try {
      // Not persistent: it never keeps g alive; the child's pipes and the poll do that.
      watcher = watch(path, { persistent: false }, queue);
      watcher.on("error", () => {
        watcher?.close();
        watcher = null;
      });
    } catch {
      watcher = null; // no watch (inotify's limit, a file system without one): the poll reads it
    }
  };

  /**
   * The file at `path` is not the one open: read the old one to its end, note
   * its lines, and follow the new one from its start, leaving out what it repeats.
   */
  const reopen = () => {
    readMore(true);
    partial = null;
    const old = fd!;
    const lines = new Map<string, number>();
    let pos = 0;
    let rest: Buffer | null = null;
    for (;;) {
      let n: number;
      try {
        n = readSync(old, readBuf, 0, READ_BUF_BYTES, pos);
      } catch {
        break;
      }
      if (n === 0) break;
      pos += n;
      const data: Buffer = rest ? Buffer.concat([rest, readBuf.subarray(0, n)]) : readBuf.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        const line = data.toString("utf8", start, nl);
        lines.set(line, (lines.get(line) ?? 0) + 1);
        start = nl + 1;
      }
      rest = start < data.length ? Buffer.from(data.subarray(start)) : null;
    }
    closeSync(old);
    fd = null;
    replaced = lines.size > 0 ? lines : null;
    if (!openAt("beginning")) return;
    readMore(false);
  };

  const pass = (final: boolean) => {
    if (fd === null) {
      // The file is not there yet: one stat that finds nothing, nothing more.
      if (!openAt("beginning")) return;
    }
    const more = readMore(final);
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (st && st.ino !== ino) reopen();
    else if (st && st.size < offset) {
      // Cut back (a writer's failed append truncated to where its bytes began): go on from there.
      offset = st.size;
      partial = null;
    }
    // A file gone (trashed, removed) keeps its descriptor: its lines were read; a new one is a replacement.
    if (final) {
      readMore(true);
      if (partial) consume(Buffer.alloc(0), true);
    } else if (more) queue();
  };

  function queue(): void {
    if (queued || closed) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      if (!closed) pass(false);
    });
  }

  // Before the script starts: an existing file's lines are an earlier attempt's.
  openAt("end");
  const timer = setInterval(() => pass(false), pollMs);
  timer.unref();

  return {
    skip(records) {
      // Nothing made now: a block's bytes are made when the tail reaches it.
      if (!closed && records.length > 0) ownBlocks.push(records);
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      watcher?.close();
      watcher = null;
      pass(true);
      if (fd !== null) closeSync(fd);
      fd = null;
      ownBlocks.length = 0;
      ownFirst = 0;
      ownHead = null;
      replaced = null;
    },
  };
}

/** A scalars.jsonl line as the record the output parser would give; null for a torn or foreign line. */
export function parseRecord(line: string): ScalarRecord | null {
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    return null;
  }
  if (r === null || typeof r !== "object") return null;
  const { key, value, step, t } = r as Record<string, unknown>;
  if (typeof key !== "string" || typeof value !== "number" || !Number.isFinite(value)) return null;
  return {
    key,
    value,
    step: typeof step === "number" && Number.isInteger(step) ? step : null,
    t: typeof t === "number" ? t : Date.now() / 1000,
  };
}
