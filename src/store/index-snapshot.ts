// $G_HOME/index.bin: a binary snapshot of the index of finished runs, so that
// compare over 100 000 runs reads one file into one Buffer and turns into JS
// values only what it lists, instead of JSON.parse-ing 100 000 lines. The
// snapshot is written whole by a reader (temp file, rename; no fsync) and never
// appended to; runs that end after it go to index.jsonl (index-cache.ts), the
// journal, until a reader folds them into a new snapshot. Only a cache: a
// snapshot that is missing, truncated, damaged (checksum), of another version
// or stale is ignored, which costs time only.
//
// Layout (little-endian), sections 8-byte aligned:
//   header      HEADER_BYTES: magic, version, run count, string count, flag count,
//               summary count, tag count, value count, hot checksum, hot bytes,
//               cell text bytes, cold checksum
// The hot part, what a table reads (its own checksum):
//   values      float64 a flag value: a number, or a string number (see flags' kind)
//   runs        RUN_BYTES a run: run.json's ino, size, mtime (what makes an entry
//               current), exit_status, trial; id (16 bytes); string numbers of the
//               record's text fields (a time as TIME_FROM_MS when R_TIMES gives its
//               text back); bits; where its tags, flags and summaries start
//   flags       8 bytes a flag: name (string number), kind (low 3 bits) | value number << 3
//   tags        4 bytes a tag: string number
//   sum keys    4 bytes a summary: its key (string number)
//   flag cells  1 byte a flag: the length of its cell text (version 3)
//   sum cells   1 byte a summary: the length of its last value's cell text
//   cell text   the runs' ready-made cells (ASCII), run after run: its time, its started,
//               its flags' and its summaries' last values; the run slot says where
//   strings     (count + 1) uint32 offsets, then the UTF-8 bytes
// The cold part, at the end of the file (its own checksum), read only when a
// summary's numbers are asked for (Snapshot.read's `values`, else on first use):
//   sum values  SUM_VALUES float64 a summary: last, first, min, max, total, count, step (NaN: null)
// Runs are kept in the order they were listed (newest first), so the reader's sort
// meets them sorted.

import { closeSync, fstatSync, openSync, readSync, statSync, unlinkSync } from "node:fs";
import { crc32 } from "./crc32.js";
import { BusyError } from "../errors.js";
import {
  STORE_FORMAT,
  type CellRange,
  type CellTexts,
  type Flags,
  type FlagValue,
  type CellMemo,
  type NameCollector,
  type RunRecord,
  type ScalarSummary,
  type TimeField,
} from "./types.js";

const MAGIC = 0x58444947; // "GIDX"
// 2: each run's times also as numbers (R_TIMES); a snapshot of version 1 is rebuilt from the runs' files.
// 3: each run's table cells ready-made (the cell sections, R_ZONE, R_CELLS...); older ones are rebuilt likewise.
// 4: the body's checksum is its CRC-32 (crc32.ts: native in Node, a fifth of the time of the FNV-1a loop before).
// 5: a summary's seven numbers in a cold section at the end of the file with a checksum of its own, read only when
//    asked for, its key in the hot part (sum keys); a time whose text R_TIMES gives back is not in the string table
//    (TIME_FROM_MS): compare -T reads 40 MB of the 77 MB of 100 000 runs.
// 6: the same layout; a kept text flag cell has its control characters escaped (formatValue), so a version 5
//    snapshot's cells, made without, are rebuilt rather than shown.
// 7: the same layout; a flag recorded as null keeps the cell `null` (it kept an empty one, as a flag the run lacks).
const VERSION = 7;
const HEADER_BYTES = 48;
/** A summary's numbers in the cold section: last, first, min, max, total, count, step. */
const SUM_VALUES = 7;
/** A time slot whose text is `new Date(ms).toISOString()` of its R_TIMES number (not a string number). */
const TIME_FROM_MS = 0xfffffffe;
/** The greatest distance (ms) from the epoch a Date holds. */
const MAX_DATE_MS = 8.64e15;
/** 0000-01-01 and 10000-01-01 (ms): between them toISOString's texts are of one width, so they order as their numbers. */
const FOUR_DIGIT_YEARS_FROM_MS = -62167219200000;
const FOUR_DIGIT_YEARS_TO_MS = 253402300800000;
/** No string: an absent field. */
const NONE = 0xffffffff;

/** The record's text fields kept as string numbers, in this order. */
const TEXT_FIELDS = [
  "op",
  "cwd",
  "created",
  "started",
  "stopped",
  "label",
  "batch",
  "sweep",
  "parent",
  "description",
  "prefix",
  "optimizer",
] as const;
/** The text slots of times (created, started, stopped): one string a run, not worth keeping once read. */
const TIME_SLOT_FIRST = TEXT_FIELDS.indexOf("created");
const TIME_SLOT_LAST = TEXT_FIELDS.indexOf("stopped");
/** A JSON string of the record's other fields (a batch's objective, a placement...): rare, parsed when met. */
const EXTRA_SLOT = TEXT_FIELDS.length;
const TEXT_SLOTS = TEXT_FIELDS.length + 1;
const TEXT_SLOT_OF = new Map<string, number>(TEXT_FIELDS.map((f, k) => [f, k]));

/** Record fields the index leaves out: big, and not needed to list or compare runs. */
export const INDEX_DROPPED_FIELDS = ["cmd", "space", "points", "base_flags", "optimizer_settings", "format", "id"] as const;
const KNOWN_FIELDS = new Set<string>([
  ...TEXT_FIELDS,
  ...INDEX_DROPPED_FIELDS,
  "flags",
  "tags",
  "exit_status",
  "trial",
  "terminated",
  "early_stopped",
]);

// Byte offsets inside a run's slot.
const R_INO = 0;
const R_SIZE = 8;
const R_MTIME = 16;
const R_EXIT = 24;
const R_TRIAL = 32;
const R_ID = 40;
const R_TEXT = 56;
const R_BITS = R_TEXT + 4 * TEXT_SLOTS;
const R_TAGS = R_BITS + 4;
const R_TAG_COUNT = R_TAGS + 4;
const R_FLAGS = R_TAG_COUNT + 4;
const R_FLAG_COUNT = R_FLAGS + 4;
const R_SUMS = R_FLAG_COUNT + 4;
const R_SUM_COUNT = R_SUMS + 4;
/** created, started, stopped as float64 milliseconds (NaN: absent, or not in toISOString's form; the text slots hold them). */
const R_TIMES = align8(R_SUM_COUNT + 4);
/** The local offset (ms) the started cell was made with (NaN: none kept): it is used only in a zone with that offset then. */
const R_ZONE = R_TIMES + 3 * 8;
/**
 * Where the run's cells are in the cell text: its time cell from R_CELLS to R_CELL_TIME, its started cell to
 * R_CELL_STARTED, its flags' and summaries' cells (lengths in the flag and sum cell sections) to R_CELL_END.
 * An empty time or started cell is one not kept.
 */
const R_CELLS = R_ZONE + 8;
const R_CELL_TIME = R_CELLS + 4;
const R_CELL_STARTED = R_CELL_TIME + 4;
const R_CELL_END = R_CELL_STARTED + 4;
const RUN_BYTES = align8(R_CELL_END + 4);
/** Which of R_TIMES' three numbers a time field is. */
const TIME_INDEX: Record<TimeField, number> = { created: 0, started: 1, stopped: 2 };

// Bits of a run's slot.
const B_EXIT_NULL = 1;
const B_HAS_TRIAL = 2;
const B_HAS_TERMINATED = 4;
const B_TERMINATED = 8;
const B_HAS_EARLY = 16;
const B_EARLY = 32;
const B_NO_TAGS = 64; // tags absent or not a list of strings (then in the extra JSON)
const B_NO_FLAGS = 128; // flags absent or not flag values (then in the extra JSON)
const B_NO_EXIT = 256; // exit_status absent
const B_NO_CELLS = 512; // flags' and summaries' cells not kept (one was not ASCII, or too long)

/** A kept cell's text is at most this long (its length is a byte), and ASCII, so that its bytes are its characters. */
const MAX_CELL_CHARS = 255;

// A flag value's kind.
const K_NULL = 0;
const K_FALSE = 1;
const K_TRUE = 2;
const K_NUMBER = 3;
const K_STRING = 4;

/** Whether `v` is a flags object g writes (name → string, number, boolean or null). */
function isFlags(v: unknown): v is Flags {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  for (const x of Object.values(v))
    if (x !== null && typeof x !== "string" && typeof x !== "number" && typeof x !== "boolean") return false;
  return true;
}

/**
 * A time's milliseconds since the epoch when it is text in the form
 * `Date.toISOString` gives (what g writes), so that the text is that of the
 * number; NaN for anything else (the readers then parse the text, as before).
 */
function isoMs(v: unknown): number {
  if (typeof v !== "string") return NaN;
  const ms = Date.parse(v);
  return Number.isFinite(ms) && isoTextOfMs(ms) === v ? ms : NaN;
}

const DAY_MS = 86_400_000;
/** Where isoTextOfMs writes a time's text: the day's "YYYY-MM-DDT" kept from the last call (runs listed together mostly share days). */
const ISO_SCRATCH = Buffer.alloc(24);
let isoDay = NaN;
/** The character code of "0". */
const ZERO = 48;

/**
 * `new Date(ms).toISOString()`, about four times faster for the times of
 * four-digit years (whole milliseconds): `g runs -a` decodes 300 000 of them
 * at 100 000 runs, where toISOString's 1.5–2 µs each were half a second.
 * The day's text is made by toISOString and kept, the time of day written as
 * digits; one latin1 decode makes a flat string (a template of its parts
 * made a rope of nine, four times the memory while the record is kept).
 * Throws (RangeError) as toISOString does on NaN or a number past a Date's
 * range: a damaged entry, then read from its files.
 */
export function isoTextOfMs(ms: number): string {
  if (!(ms >= FOUR_DIGIT_YEARS_FROM_MS && ms < FOUR_DIGIT_YEARS_TO_MS) || Math.floor(ms) !== ms) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  const b = ISO_SCRATCH;
  if (day !== isoDay) {
    b.write(new Date(day * DAY_MS).toISOString(), 0, "latin1");
    isoDay = day;
  }
  let rest = ms - day * DAY_MS;
  const milliseconds = rest % 1000;
  rest = (rest - milliseconds) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  b[11] = ZERO + ((hours / 10) | 0);
  b[12] = ZERO + (hours % 10);
  b[14] = ZERO + ((minutes / 10) | 0);
  b[15] = ZERO + (minutes % 10);
  b[17] = ZERO + ((seconds / 10) | 0);
  b[18] = ZERO + (seconds % 10);
  b[20] = ZERO + ((milliseconds / 100) | 0);
  b[21] = ZERO + (((milliseconds / 10) % 10) | 0);
  b[22] = ZERO + (milliseconds % 10);
  return b.toString("latin1", 0, 24);
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Whether `text` can be a kept cell: ASCII (a byte a character) and at most MAX_CELL_CHARS long. */
function isKeepableCell(text: string): boolean {
  if (text.length > MAX_CELL_CHARS) return false;
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) > 0x7f) return false;
  return true;
}

/** One finished run as the snapshot keeps it. */
export interface SnapshotEntry {
  id: string;
  ino: number;
  size: number;
  mtime: number;
  record: RunRecord;
  summaries: Record<string, ScalarSummary>;
}

/** Interns strings for the table: each distinct text stored once. */
class StringTable {
  readonly texts: string[] = [];
  private readonly numbers = new Map<string, number>();

  number(text: string): number {
    let n = this.numbers.get(text);
    if (n === undefined) {
      n = this.texts.length;
      this.texts.push(text);
      this.numbers.set(text, n);
    }
    return n;
  }
}

/**
 * The snapshot of `entries` as bytes (see the layout above), with each run's
 * table cells made by `cells` (none kept without it: the builder then formats
 * them, as for a run read from its files).
 */
export function encodeSnapshot(entries: readonly SnapshotEntry[], cells?: CellTexts): Buffer {
  const strings = new StringTable();
  const values: number[] = [];
  const valueNumbers = new Map<number, number>(); // numbers only; strings are their own string number
  const flags: number[] = []; // pairs: name, kind | value << 3
  const tags: number[] = [];
  let summaryCount = 0;
  for (const e of entries) summaryCount += Object.keys(e.summaries).length;
  const sumKeys = new Uint32Array(summaryCount);
  const sumValues = new Float64Array(summaryCount * SUM_VALUES);
  // The cells: a flag value's text made once by its number (strings at odd places), the runs' texts joined at the end.
  const flagCellLengths: number[] = [];
  const sumCellLengths = new Uint8Array(summaryCount);
  const valueTexts: (string | null | undefined)[] = [];
  const cellTexts: string[] = [];
  let cellEnd = 0;
  // The runs section through typed views, as the reader reads it (a Buffer method call a field cost a third of the encoding).
  const runsBytes = new ArrayBuffer(entries.length * RUN_BYTES);
  const runs = Buffer.from(runsBytes);
  const runDoubles = new Float64Array(runsBytes);
  const runWords = new Uint32Array(runsBytes);
  let s = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const at = i * RUN_BYTES;
    const d = at / 8;
    const w = at / 4;
    const r = e.record;
    runDoubles[d + R_INO / 8] = e.ino;
    runDoubles[d + R_SIZE / 8] = e.size;
    runDoubles[d + R_MTIME / 8] = e.mtime;
    runs.write(e.id, at + R_ID, 16, "hex");
    // What does not fit a slot (a hand-edited field of another type, fields g does not know) goes to the extra JSON,
    // made only for a run that has some.
    let extra: Record<string, unknown> | null = null;
    let bits = 0;
    if (typeof r.exit_status === "number") runDoubles[d + R_EXIT / 8] = r.exit_status;
    else if (r.exit_status === null) bits |= B_EXIT_NULL;
    else if (r.exit_status !== undefined) (extra ??= {}).exit_status = r.exit_status;
    if (typeof r.trial === "number") {
      bits |= B_HAS_TRIAL;
      runDoubles[d + R_TRIAL / 8] = r.trial;
    } else if (r.trial !== undefined) (extra ??= {}).trial = r.trial;
    if (typeof r.terminated === "boolean") bits |= B_HAS_TERMINATED | (r.terminated ? B_TERMINATED : 0);
    else if (r.terminated !== undefined) (extra ??= {}).terminated = r.terminated;
    if (typeof r.early_stopped === "boolean") bits |= B_HAS_EARLY | (r.early_stopped ? B_EARLY : 0);
    else if (r.early_stopped !== undefined) (extra ??= {}).early_stopped = r.early_stopped;
    runDoubles[d + R_TIMES / 8] = isoMs(r.created);
    runDoubles[d + R_TIMES / 8 + 1] = isoMs(r.started);
    runDoubles[d + R_TIMES / 8 + 2] = isoMs(r.stopped);
    for (let k = 0; k < TEXT_FIELDS.length; k++) {
      const f = TEXT_FIELDS[k]!;
      const v = r[f];
      // A time whose number gives its text back is not interned: at 100 000 runs nearly every string was one.
      const fromMs = k >= TIME_SLOT_FIRST && k <= TIME_SLOT_LAST && !Number.isNaN(runDoubles[d + R_TIMES / 8 + k - TIME_SLOT_FIRST]!);
      runWords[w + R_TEXT / 4 + k] = fromMs ? TIME_FROM_MS : typeof v === "string" ? strings.number(v) : NONE;
      if (typeof v !== "string" && v !== undefined) (extra ??= {})[f] = v;
    }
    const recordTags = Array.isArray(r.tags) && r.tags.every((t) => typeof t === "string") ? r.tags : null;
    if (recordTags === null) bits |= B_NO_TAGS;
    if (recordTags === null && r.tags !== undefined) (extra ??= {}).tags = r.tags;
    const recordFlags = isFlags(r.flags) ? r.flags : null;
    if (recordFlags === null) bits |= B_NO_FLAGS;
    if (recordFlags === null && r.flags !== undefined) (extra ??= {}).flags = r.flags;
    for (const k of Object.keys(r)) if (!KNOWN_FIELDS.has(k) && r[k] !== undefined) (extra ??= {})[k] = r[k];
    runWords[w + R_TEXT / 4 + EXTRA_SLOT] = extra !== null && Object.keys(extra).length > 0 ? strings.number(JSON.stringify(extra)) : NONE;
    if (r.exit_status === undefined) bits |= B_NO_EXIT;
    runWords[w + R_BITS / 4] = bits;

    runWords[w + R_TAGS / 4] = tags.length;
    runWords[w + R_TAG_COUNT / 4] = recordTags?.length ?? 0;
    if (recordTags !== null) for (const t of recordTags) tags.push(strings.number(t));

    runWords[w + R_FLAGS / 4] = flags.length / 2;
    let flagCount = 0;
    // This run's cells: its time, its started, then (below) its flags' and its summaries' last values.
    let runCells = "";
    let keepable = cells !== undefined;
    runWords[w + R_CELLS / 4] = cellEnd;
    runDoubles[d + R_ZONE / 8] = NaN;
    if (cells !== undefined) {
      const started = runDoubles[d + R_TIMES / 8 + 1]!;
      const stopped = runDoubles[d + R_TIMES / 8 + 2]!;
      if (!Number.isNaN(started) && !Number.isNaN(stopped)) runCells = cells.duration(Math.max(0, (stopped - started) / 1000));
      runWords[w + R_CELL_TIME / 4] = cellEnd + runCells.length;
      const offset = Number.isNaN(started) ? NaN : cells.offset(started);
      if (!Number.isNaN(offset)) {
        runCells += cells.shifted(started + offset);
        runDoubles[d + R_ZONE / 8] = offset;
      }
      runWords[w + R_CELL_STARTED / 4] = cellEnd + runCells.length;
    } else {
      runWords[w + R_CELL_TIME / 4] = cellEnd;
      runWords[w + R_CELL_STARTED / 4] = cellEnd;
    }
    if (recordFlags !== null) {
      for (const name of Object.keys(recordFlags)) {
        const v = recordFlags[name]!;
        let code: number;
        if (v === null) code = K_NULL;
        else if (v === false) code = K_FALSE;
        else if (v === true) code = K_TRUE;
        else if (typeof v === "number") {
          // -0 has its own slot: a Map key treats it as 0.
          let n = Object.is(v, -0) ? undefined : valueNumbers.get(v);
          if (n === undefined) {
            n = values.length;
            values.push(v);
            if (!Object.is(v, -0)) valueNumbers.set(v, n);
          }
          code = K_NUMBER | (n << 3);
        } else code = K_STRING | (strings.number(v) << 3);
        flags.push(strings.number(name), code);
        flagCount++;
        if (cells !== undefined) {
          // null shows as `null` (a flag the run lacks, as nothing); numbers and strings are formatted once by their
          // number in their table.
          const kind = code & 7;
          const place = kind === K_NUMBER ? 2 * (code >>> 3) : kind === K_STRING ? 2 * (code >>> 3) + 1 : -1;
          let text = place >= 0 ? valueTexts[place] : undefined;
          if (text === undefined) {
            text = cells.value(v);
            if (!isKeepableCell(text)) text = null;
            if (place >= 0) valueTexts[place] = text;
          }
          if (text === null) keepable = false;
          else runCells += text;
          flagCellLengths.push(text?.length ?? 0);
        } else flagCellLengths.push(0);
      }
    }
    runWords[w + R_FLAG_COUNT / 4] = flagCount;

    runWords[w + R_SUMS / 4] = s;
    let sumCount = 0;
    const summaries = e.summaries;
    for (const key of Object.keys(summaries)) {
      const v = summaries[key]!;
      const at = s * SUM_VALUES;
      sumKeys[s] = strings.number(key);
      sumValues[at] = v.last;
      sumValues[at + 1] = v.first;
      sumValues[at + 2] = v.min;
      sumValues[at + 3] = v.max;
      sumValues[at + 4] = v.total;
      sumValues[at + 5] = v.count;
      sumValues[at + 6] = v.step === null ? NaN : v.step;
      if (cells !== undefined) {
        const text = cells.value(sumValues[at]!); // as stored: what the builder would format
        if (!isKeepableCell(text)) keepable = false;
        else {
          runCells += text;
          sumCellLengths[s] = text.length;
        }
      }
      s++;
      sumCount++;
    }
    runWords[w + R_SUM_COUNT / 4] = sumCount;
    if (!keepable) {
      // Its time and started cells are kept still; its flags' and summaries' are made by the builder.
      runWords[w + R_BITS / 4] = bits | B_NO_CELLS;
      runCells = runCells.slice(0, runWords[w + R_CELL_STARTED / 4]! - cellEnd);
    }
    cellTexts.push(runCells);
    cellEnd += runCells.length;
    runWords[w + R_CELL_END / 4] = cellEnd;
  }
  const cellBytes = Buffer.from(cellTexts.join(""), "latin1");

  // Strings at the end: interned while the sections above were filled.
  const textBytes = strings.texts.map((t) => Buffer.from(t, "utf8"));
  const offsets = new Uint32Array(textBytes.length + 1);
  let bytes = 0;
  textBytes.forEach((b, i) => {
    offsets[i] = bytes;
    bytes += b.length;
  });
  offsets[textBytes.length] = bytes;

  const parts = [
    Buffer.from(new Float64Array(values).buffer),
    runs,
    Buffer.from(new Uint32Array(flags).buffer),
    Buffer.from(new Uint32Array(tags).buffer),
    Buffer.from(sumKeys.buffer),
    Buffer.from(Uint8Array.from(flagCellLengths).buffer),
    Buffer.from(sumCellLengths.buffer),
    cellBytes,
    Buffer.from(offsets.buffer),
    ...textBytes,
  ];
  const sectionSizes = [
    values.length * 8,
    runs.length,
    flags.length * 4,
    tags.length * 4,
    summaryCount * 4,
    flagCellLengths.length,
    summaryCount,
    cellBytes.length,
  ];
  let body = 0;
  for (const n of sectionSizes) body += align8(n);
  body += offsets.byteLength + bytes;
  const hotEnd = HEADER_BYTES + align8(body);
  const out = Buffer.alloc(hotEnd + sumValues.byteLength);
  let at = HEADER_BYTES;
  for (let k = 0; k < parts.length; k++) {
    parts[k]!.copy(out, at);
    at += k < sectionSizes.length ? align8(sectionSizes[k]!) : parts[k]!.length;
  }
  Buffer.from(sumValues.buffer).copy(out, hotEnd);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(entries.length, 8);
  out.writeUInt32LE(strings.texts.length, 12);
  out.writeUInt32LE(flags.length / 2, 16);
  out.writeUInt32LE(summaryCount, 20);
  out.writeUInt32LE(tags.length, 24);
  out.writeUInt32LE(values.length, 28);
  out.writeUInt32LE(hotEnd - HEADER_BYTES, 36);
  out.writeUInt32LE(cellBytes.length, 40);
  out.writeUInt32LE(crc32(out.subarray(HEADER_BYTES, hotEnd)), 32);
  out.writeUInt32LE(crc32(out.subarray(hotEnd)), 44);
  return out;
}

/** A column remembers at most this many texts of distinct values (see Snapshot.flagText). */
const REMEMBERED_TEXTS = 4096;

/** One number of the summary whose numbers start at `at` in `values` (as PackedSummary gives it). */
function summaryField(values: Float64Array, at: number, field: keyof ScalarSummary): number | null {
  switch (field) {
    case "last":
      return values[at]!;
    case "first":
      return values[at + 1]!;
    case "min":
      return values[at + 2]!;
    case "max":
      return values[at + 3]!;
    case "avg":
      return values[at + 4]! / values[at + 5]!;
    case "total":
      return values[at + 4]!;
    case "count":
      return values[at + 5]!;
    case "step":
      return Number.isNaN(values[at + 6]!) ? null : values[at + 6]!;
  }
}

/** Scratch for the id being looked up (findRun): its 16 bytes as four little-endian words, as the runs section holds them. */
const ID_WORDS = new Uint32Array(4);
/**
 * Writes run id `name`'s 16 bytes into `out` as four little-endian words; false when it is not 32 lowercase hex
 * characters. It names nothing outside itself, as hashIdWords: the run folder probe's worker runs their source.
 */
export function readIdWords(name: string, out: Uint32Array): boolean {
  if (name.length !== 32) return false;
  for (let j = 0; j < 4; j++) {
    let word = 0;
    for (let b = 3; b >= 0; b--) {
      const at = 8 * j + 2 * b;
      const code = name.charCodeAt(at);
      const next = name.charCodeAt(at + 1);
      const hi = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1;
      const lo = next >= 48 && next <= 57 ? next - 48 : next >= 97 && next <= 102 ? next - 87 : -1;
      if ((hi | lo) < 0) return false;
      word = (word << 8) | (hi << 4) | lo;
    }
    out[j] = word;
  }
  return true;
}

/** The slot an id's words start from (ids are random, but a folder of copied runs may share a prefix: all four words count). */
export function hashIdWords(a: number, b: number, c: number, d: number): number {
  return Math.imul(a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ Math.imul(d, 0xc2b2ae35), 0x27d4eb2f) >>> 7;
}

/**
 * A snapshot's ids as a run folder probe is handed them: each entry's id, 16 bytes in the entries' order, and the
 * table that finds an entry by its id's words (`findRun`'s: entry + 1 at the slot from hashIdWords, linear
 * probing, 0: free), both in shared memory.
 */
export interface SharedIds {
  ids: Uint8Array;
  slots: Int32Array;
}

/** A power of two at least twice `count`: the id table stays under half full. */
function idTableSize(count: number): number {
  let size = 16;
  while (size < 2 * count) size *= 2;
  return size;
}

/**
 * The file descriptors of snapshots whose cold part is not read yet, closed
 * when their snapshot is collected (a long-lived `g view` reads many).
 */
const COLD_FDS = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
});

/** What a thread that reads a snapshot's shared memory is also handed (`fromShared`): its summaries' numbers. */
export interface SharedCold {
  /** The cold section as read (`sharedValues`), or null when not read yet. */
  values: SharedArrayBuffer | null;
  /** The open index.bin to read it from then (`coldFd`; borrowed: the reading thread's snapshot keeps it open), or -1. */
  fd: number;
}

/** A snapshot read back: each run decoded only when asked for. */
export class Snapshot {
  readonly count: number;
  /** The hot part: header and hot sections (see the layout above). */
  private readonly buf: Buffer;
  private readonly values: Float64Array;
  /** The runs section as 32-bit words and as doubles (RUN_BYTES is a multiple of 8). */
  private readonly runWords: Uint32Array;
  private readonly runDoubles: Float64Array;
  private readonly runsAt: number;
  private readonly flags: Uint32Array;
  private readonly tags: Uint32Array;
  /** Each summary's key (string number). */
  private readonly sumKeys: Uint32Array;
  /** Each summary's SUM_VALUES numbers, the cold part: undefined until read (`summaryValues`). */
  private sumValues: Float64Array | undefined;
  /**
   * The open index.bin the cold part is read from when first needed (-1: none): kept open until the snapshot is
   * collected (COLD_FDS), so that a snapshot renamed over it meanwhile is not the one read, and a row thread
   * that borrowed it (`sharedCold`) never reads a closed one.
   */
  private coldFd = -1;
  /** The file the snapshot was read from (a cold part found damaged then is removed, so that the next reader rebuilds it). */
  private path: string | null = null;
  /** Each flag's and each summary's cell length (its place in the flags and summaries sections). */
  private readonly flagCellLengths: Uint8Array;
  private readonly sumCellLengths: Uint8Array;
  /** Where the cell text starts in `buf`, and its length. */
  private readonly cellAt: number;
  private readonly cellBytes: number;
  private readonly offsets: Uint32Array;
  private readonly textAt: number;
  private readonly texts: (string | undefined)[];
  /** Flag names' and scalar keys' string numbers, made on first use by numberOf. */
  private names: Map<string, number> | undefined;
  /** The runs by id: an open-addressed table of entry + 1 (0: free), made by `prepare`. */
  private idSlots: Int32Array | undefined;
  /** Whether each entry `readsInPlace` (1) or not (0), made by `prepare`. */
  private inPlace: Uint8Array | undefined;
  /** Whether the entries that read in place are in newest-first order (as written), found by `prepare`. */
  private inPlaceSorted = false;

  /** `buf`: the hot part (header and hot sections, as long as the header says); `sumValues`: the cold part, if read. */
  private constructor(buf: Buffer, sumValues: Float64Array | undefined) {
    this.buf = buf;
    this.count = buf.readUInt32LE(8);
    const stringCount = buf.readUInt32LE(12);
    const flagCount = buf.readUInt32LE(16);
    const sumCount = buf.readUInt32LE(20);
    const tagCount = buf.readUInt32LE(24);
    const valueCount = buf.readUInt32LE(28);
    if (buf.length !== HEADER_BYTES + buf.readUInt32LE(36)) throw new Error("snapshot: hot part of another length");
    if (sumValues !== undefined && sumValues.length !== sumCount * SUM_VALUES) throw new Error("snapshot: cold part of another length");
    this.sumValues = sumValues;
    let at = buf.byteOffset + HEADER_BYTES;
    const take = (bytes: number): number => {
      const start = at;
      at += align8(bytes);
      if (at > buf.byteOffset + buf.length) throw new Error("snapshot: sections past the end");
      return start;
    };
    this.values = new Float64Array(buf.buffer, take(valueCount * 8), valueCount);
    const runsAt = take(this.count * RUN_BYTES);
    this.runsAt = runsAt - buf.byteOffset;
    this.runWords = new Uint32Array(buf.buffer, runsAt, (this.count * RUN_BYTES) / 4);
    this.runDoubles = new Float64Array(buf.buffer, runsAt, (this.count * RUN_BYTES) / 8);
    this.flags = new Uint32Array(buf.buffer, take(flagCount * 8), flagCount * 2);
    this.tags = new Uint32Array(buf.buffer, take(tagCount * 4), tagCount);
    this.sumKeys = new Uint32Array(buf.buffer, take(sumCount * 4), sumCount);
    this.flagCellLengths = new Uint8Array(buf.buffer, take(flagCount), flagCount);
    this.sumCellLengths = new Uint8Array(buf.buffer, take(sumCount), sumCount);
    this.cellBytes = buf.readUInt32LE(40);
    this.cellAt = take(this.cellBytes) - buf.byteOffset;
    const offsetsAt = at;
    if (offsetsAt + (stringCount + 1) * 4 > buf.byteOffset + buf.length) throw new Error("snapshot: strings past the end");
    this.offsets = new Uint32Array(buf.buffer, offsetsAt, stringCount + 1);
    this.textAt = offsetsAt + (stringCount + 1) * 4 - buf.byteOffset;
    if (this.textAt + this.offsets[stringCount]! > buf.length) throw new Error("snapshot: strings past the end");
    this.texts = new Array<string | undefined>(stringCount);
  }

  /**
   * The snapshot in `bytes` (a whole file), or null when they are not a whole
   * snapshot of this version (truncated, damaged in either part, foreign).
   * Sections are checked against the file's length and every string and list
   * number against its table when used, so a damaged snapshot that passes the
   * checksums still cannot read out of bounds (record and summaries throw).
   */
  static fromBytes(bytes: Buffer): Snapshot | null {
    const hotEnd = snapshotHotEnd(bytes);
    if (hotEnd < 0 || bytes.length !== hotEnd + coldBytesOf(bytes)) return null;
    // Typed arrays need aligned memory: a Buffer from a pool may start anywhere.
    const buf = bytes.byteOffset % 8 === 0 ? bytes : Buffer.from(bytes);
    const cold = buf.subarray(hotEnd);
    if (crc32(cold) !== buf.readUInt32LE(44)) return null;
    return Snapshot.fromHot(buf.subarray(0, hotEnd), new Float64Array(cold.buffer, cold.byteOffset, cold.length / 8));
  }

  /** The snapshot of hot part `hot` (checked against its checksum) and cold part `sumValues` (checked), or null. */
  private static fromHot(hot: Buffer, sumValues: Float64Array | undefined): Snapshot | null {
    if (crc32(hot.subarray(HEADER_BYTES)) !== hot.readUInt32LE(32)) return null;
    try {
      return new Snapshot(hot, sumValues);
    } catch {
      return null;
    }
  }

  /**
   * The snapshot at `path`, or null when missing or not whole (see fromBytes).
   * Read into shared memory, so that a worker thread can read the same bytes
   * (`shared`, `fromShared`) without a copy of tens of megabytes. Without
   * `values` only the hot part is read (and checked): the summaries' numbers
   * are read from the file, kept open, when first asked for (`summaryValues`).
   */
  static read(path: string, values = true): Snapshot | null {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return null;
    }
    let keepOpen = false;
    try {
      const size = fstatSync(fd).size;
      const header = Buffer.alloc(HEADER_BYTES);
      if (readAt(fd, header, 0) !== HEADER_BYTES) return null;
      const hotEnd = snapshotHotEnd(header);
      // Shorter or longer than its header says: truncated, or being replaced.
      if (hotEnd < 0 || size !== hotEnd + coldBytesOf(header)) return null;
      const hot = Buffer.from(new SharedArrayBuffer(hotEnd));
      if (readAt(fd, hot, 0) !== hotEnd) return null;
      let sumValues: Float64Array | undefined;
      if (values) {
        const cold = readColdPart(fd, header);
        if (cold === null) return null;
        sumValues = cold;
      }
      const snapshot = Snapshot.fromHot(hot, sumValues);
      if (snapshot !== null && !values) {
        snapshot.coldFd = fd;
        snapshot.path = path;
        COLD_FDS.register(snapshot, fd);
        keepOpen = true;
      }
      return snapshot;
    } catch {
      return null;
    } finally {
      if (!keepOpen) closeSync(fd);
    }
  }

  /** The shared memory of the snapshot's hot part (`read`), or null when it is not shared. */
  shared(): SharedArrayBuffer | null {
    const memory = this.buf.buffer;
    return memory instanceof SharedArrayBuffer && this.buf.byteOffset === 0 && this.buf.length === memory.byteLength ? memory : null;
  }

  /** What a thread reading `shared()` also needs for the summaries' numbers (see SharedCold). */
  sharedCold(): SharedCold {
    const memory = this.sumValues?.buffer;
    const values = memory instanceof SharedArrayBuffer && memory.byteLength === this.sumValues!.byteLength ? memory : null;
    return { values, fd: values === null ? this.coldFd : -1 };
  }

  /**
   * The snapshot in `memory`, another thread's `shared()`: that thread checked
   * it (`fromBytes`), and shared memory is never written after, so it is not
   * checked again. Its summaries' numbers are `cold`'s, read from its file
   * descriptor when not read yet (and checked then). Null when it is not a
   * snapshot of this version.
   */
  static fromShared(memory: SharedArrayBuffer, cold: SharedCold = { values: null, fd: -1 }): Snapshot | null {
    const buf = Buffer.from(memory);
    if (snapshotHotEnd(buf) !== buf.length) return null;
    try {
      const snapshot = new Snapshot(buf, cold.values === null ? undefined : new Float64Array(cold.values));
      snapshot.coldFd = cold.fd;
      return snapshot;
    } catch {
      return null;
    }
  }

  /**
   * Every summary's SUM_VALUES numbers: the cold part, read from the file on
   * first use when `read` left it (into shared memory, for `sharedCold`). A
   * cold part that cannot be read whole or fails its checksum (damaged on
   * disk after the hot part was read) throws, and the file is removed so
   * that the next reader rebuilds it rather than meet it again: a BusyError
   * (exit 75), as a lock that timed out is, since running again succeeds.
   */
  summaryValues(): Float64Array {
    if (this.sumValues !== undefined) return this.sumValues;
    const cold = this.coldFd < 0 ? null : readColdPart(this.coldFd, this.buf);
    if (cold === null) {
      if (this.path !== null) removeIfSame(this.path, this.coldFd);
      throw new BusyError("the index (index.bin) was damaged after it was read and is removed; run the command again to rebuild it");
    }
    this.sumValues = cold;
    return cold;
  }

  /**
   * The work that needs only the snapshot, done while a worker lists the runs
   * folder (the caller would wait for it otherwise): the table that finds an
   * entry by its id's bytes (`findRun`), whether each entry reads in place, and
   * whether those are in newest-first order. Done on first use otherwise.
   */
  prepare(): void {
    if (this.idSlots !== undefined) return;
    // Two loops in two functions: the code after an optimised loop is not thrown away when first reached.
    const slots = this.buildIdSlots();
    const inPlace = new Uint8Array(this.count);
    this.inPlaceSorted = this.markInPlace(inPlace);
    this.inPlace = inPlace;
    this.idSlots = slots;
  }

  /** The table of `findRun`: each entry + 1 at its id's hash (open addressing, linear probing). */
  private buildIdSlots(): Int32Array {
    const count = this.count;
    // In shared memory: a run folder probe's worker looks the names it lists up in it (sharedIds).
    const slots = new Int32Array(new SharedArrayBuffer(4 * idTableSize(count)));
    const mask = slots.length - 1;
    const words = this.runWords;
    for (let i = 0; i < count; i++) {
      const w = (i * RUN_BYTES) / 4 + R_ID / 4;
      let s = hashIdWords(words[w]!, words[w + 1]!, words[w + 2]!, words[w + 3]!) & mask;
      let duplicate = false;
      for (let e = slots[s]!; e !== 0; s = (s + 1) & mask, e = slots[s]!) if (this.hasIdWords(e - 1, words, w)) duplicate = true;
      // A damaged snapshot may name a run twice: the first entry is the one found (the listing takes one entry a run).
      if (!duplicate) slots[s] = i + 1;
    }
    return slots;
  }

  /** Marks in `inPlace` the entries that read in place; gives whether those are in newest-first order. */
  private markInPlace(inPlace: Uint8Array): boolean {
    let sorted = true;
    let previous = -1;
    for (let i = 0; i < this.count; i++) {
      if (!this.readsInPlace(i)) continue;
      inPlace[i] = 1;
      if (previous >= 0 && sorted && this.compareNewestFirst(previous, i) >= 0) sorted = false;
      previous = i;
    }
    return sorted;
  }

  /**
   * The entry of the run named `name` (a runs folder's entry), or -1 when no
   * entry has that id or the name is not a run id: found by the id's bytes,
   * so neither the entry's id string nor a map of the names is made.
   */
  findRun(name: string): number {
    if (!readIdWords(name, ID_WORDS)) return -1;
    this.prepare();
    const slots = this.idSlots!;
    const mask = slots.length - 1;
    for (
      let s = hashIdWords(ID_WORDS[0]!, ID_WORDS[1]!, ID_WORDS[2]!, ID_WORDS[3]!) & mask, e = slots[s]!;
      e !== 0;
      s = (s + 1) & mask, e = slots[s]!
    ) {
      if (this.hasIdWords(e - 1, ID_WORDS, 0)) return e - 1;
    }
    return -1;
  }

  /** `readsInPlace(i)`, as `prepare` found it. */
  readsInPlaceFound(i: number): boolean {
    this.prepare();
    return this.inPlace![i] === 1;
  }

  /** Whether the entries that read in place are in newest-first order (`compareNewestFirst`), as written. */
  inPlaceInOrder(): boolean {
    this.prepare();
    return this.inPlaceSorted;
  }

  /** Whether entry `i`'s id is the four words of `words` from `at`. */
  private hasIdWords(i: number, words: Uint32Array, at: number): boolean {
    const w = (i * RUN_BYTES) / 4 + R_ID / 4;
    const own = this.runWords;
    return own[w] === words[at] && own[w + 1] === words[at + 1] && own[w + 2] === words[at + 2] && own[w + 3] === words[at + 3];
  }

  /** Every entry's id and the table that finds one (see SharedIds), in shared memory: what a run folder probe is handed. */
  sharedIds(): SharedIds {
    this.prepare();
    const count = this.count;
    const ids = new Uint32Array(new SharedArrayBuffer(Math.max(16, 16 * count)), 0, 4 * count);
    const words = this.runWords;
    for (let i = 0; i < count; i++) {
      const w = (i * RUN_BYTES) / 4 + R_ID / 4;
      ids[4 * i] = words[w]!;
      ids[4 * i + 1] = words[w + 1]!;
      ids[4 * i + 2] = words[w + 2]!;
      ids[4 * i + 3] = words[w + 3]!;
    }
    return { ids: new Uint8Array(ids.buffer, 0, 16 * count), slots: this.idSlots! };
  }

  /** Run `i`'s id (32 hex characters). */
  id(i: number): string {
    const at = this.runsAt + i * RUN_BYTES + R_ID;
    return this.buf.toString("hex", at, at + 16);
  }

  /** Whether run `i` was snapshotted from a run.json with this inode, size and mtime (ms). */
  matches(i: number, ino: number, size: number, mtime: number): boolean {
    const d = (i * RUN_BYTES) / 8;
    const f = this.runDoubles;
    return f[d + R_INO / 8] === ino && f[d + R_SIZE / 8] === size && f[d + R_MTIME / 8] === mtime;
  }

  /** The run.json stat run `i` was snapshotted from (what `matches` compares). */
  stat(i: number): { ino: number; size: number; mtime: number } {
    const d = (i * RUN_BYTES) / 8;
    const f = this.runDoubles;
    return { ino: f[d + R_INO / 8]!, size: f[d + R_SIZE / 8]!, mtime: f[d + R_MTIME / 8]! };
  }

  private text(n: number): string {
    let t = this.texts[n];
    if (t === undefined) {
      if (n >= this.texts.length) throw new Error("snapshot: string number out of range");
      const a = this.offsets[n]!;
      const b = this.offsets[n + 1]!;
      if (b < a) throw new Error("snapshot: string out of range");
      t = this.buf.toString("utf8", this.textAt + a, this.textAt + b);
      this.texts[n] = t;
    }
    return t;
  }

  /** Text slot `k` of the run whose words start at `w`, or undefined when absent. */
  private slot(w: number, k: number): string | undefined {
    const n = this.runWords[w + R_TEXT / 4 + k]!;
    if (n === NONE) return undefined;
    if (n === TIME_FROM_MS) return this.timeFromMs(w, k);
    // A run's times are its own: decoded at each use rather than kept, so a table of 100 000 runs does not
    // hold 200 000 time strings (garbage the collector would move) for the one use each has.
    return k >= TIME_SLOT_FIRST && k <= TIME_SLOT_LAST ? this.textOnce(n) : this.text(n);
  }

  /** The text of time slot `k` (TIME_FROM_MS) of the run whose words start at `w`: its R_TIMES number's ISO text. */
  private timeFromMs(w: number, k: number): string {
    if (k < TIME_SLOT_FIRST || k > TIME_SLOT_LAST) throw new Error("snapshot: a time in another field");
    return isoTextOfMs(this.runDoubles[w / 2 + R_TIMES / 8 + k - TIME_SLOT_FIRST]!);
  }

  /** String `n` decoded without keeping it (unless it is kept already). */
  private textOnce(n: number): string {
    const kept = this.texts[n];
    if (kept !== undefined) return kept;
    if (n >= this.texts.length) throw new Error("snapshot: string number out of range");
    const a = this.offsets[n]!;
    const b = this.offsets[n + 1]!;
    if (b < a) throw new Error("snapshot: string out of range");
    return this.buf.toString("utf8", this.textAt + a, this.textAt + b);
  }

  /** Run `i`'s record (without the fields the index drops); throws on a damaged entry. */
  record(i: number): RunRecord {
    const w = (i * RUN_BYTES) / 4;
    const d = (i * RUN_BYTES) / 8;
    const words = this.runWords;
    const bits = words[w + R_BITS / 4]!;
    const flags: Flags = {};
    const flagStart = words[w + R_FLAGS / 4]!;
    const flagEnd = flagStart + words[w + R_FLAG_COUNT / 4]!;
    if (flagEnd * 2 > this.flags.length) throw new Error("snapshot: flags out of range");
    for (let f = flagStart; f < flagEnd; f++) {
      const code = this.flags[2 * f + 1]!;
      const kind = code & 7;
      const n = code >>> 3;
      let v: FlagValue;
      if (kind === K_NUMBER) {
        if (n >= this.values.length) throw new Error("snapshot: value out of range");
        v = this.values[n]!;
      } else if (kind === K_STRING) v = this.text(n);
      else v = kind === K_TRUE ? true : kind === K_FALSE ? false : null;
      const name = this.text(this.flags[2 * f]!);
      if (name === "__proto__") Object.defineProperty(flags, name, { value: v, enumerable: true, writable: true, configurable: true });
      else flags[name] = v;
    }
    const tagStart = words[w + R_TAGS / 4]!;
    const tagEnd = tagStart + words[w + R_TAG_COUNT / 4]!;
    if (tagEnd > this.tags.length) throw new Error("snapshot: tags out of range");
    const tags: string[] = [];
    for (let t = tagStart; t < tagEnd; t++) tags.push(this.text(this.tags[t]!));

    // The order run.json has, each field written by name (one object shape for every run).
    const r = {} as RunRecord;
    let v = this.slot(w, 0);
    if (v !== undefined) r.op = v;
    if ((v = this.slot(w, 1)) !== undefined) r.cwd = v;
    if (!(bits & B_NO_FLAGS)) r.flags = flags;
    if ((v = this.slot(w, 2)) !== undefined) r.created = v;
    if ((v = this.slot(w, 3)) !== undefined) r.started = v;
    if ((v = this.slot(w, 4)) !== undefined) r.stopped = v;
    if (!(bits & B_NO_EXIT)) r.exit_status = bits & B_EXIT_NULL ? null : this.runDoubles[d + R_EXIT / 8]!;
    if (bits & B_HAS_TERMINATED) r.terminated = (bits & B_TERMINATED) !== 0;
    if (bits & B_HAS_EARLY) r.early_stopped = (bits & B_EARLY) !== 0;
    if ((v = this.slot(w, 5)) !== undefined) r.label = v;
    if (!(bits & B_NO_TAGS)) r.tags = tags;
    if ((v = this.slot(w, 6)) !== undefined) r.batch = v;
    if (bits & B_HAS_TRIAL) r.trial = this.runDoubles[d + R_TRIAL / 8]!;
    if ((v = this.slot(w, 7)) !== undefined) r.sweep = v;
    if ((v = this.slot(w, 8)) !== undefined) r.parent = v;
    if ((v = this.slot(w, 9)) !== undefined) r.description = v;
    if ((v = this.slot(w, 10)) !== undefined) r.prefix = v;
    if ((v = this.slot(w, 11)) !== undefined) r.optimizer = v;
    if ((v = this.slot(w, EXTRA_SLOT)) !== undefined) Object.assign(r, JSON.parse(v) as Record<string, unknown>);
    return r;
  }

  /**
   * Whether run `i` can be read in place (`field`, `flag`, `scalar` and their
   * lists) rather than decoded: a stopped run with no field outside the slots
   * (no extra JSON), flags as g writes them, and every list and string number
   * inside its table, checked here once so that reading in place cannot go out
   * of bounds either. Anything else is decoded (`record`), or read from its files.
   */
  readsInPlace(i: number): boolean {
    const w = (i * RUN_BYTES) / 4;
    const words = this.runWords;
    const bits = words[w + R_BITS / 4]!;
    if (bits & B_NO_FLAGS || words[w + R_TEXT / 4 + EXTRA_SLOT] !== NONE || words[w + R_TEXT / 4 + 4] === NONE) return false;
    const strings = this.texts.length;
    for (let k = 0; k < TEXT_FIELDS.length; k++) {
      const n = words[w + R_TEXT / 4 + k]!;
      if (n === TIME_FROM_MS) {
        if (k < TIME_SLOT_FIRST || k > TIME_SLOT_LAST) return false;
        const ms = this.runDoubles[w / 2 + R_TIMES / 8 + k - TIME_SLOT_FIRST]!;
        if (!(Math.abs(ms) <= MAX_DATE_MS)) return false;
      } else if (n !== NONE && n >= strings) return false;
    }
    const flagStart = words[w + R_FLAGS / 4]!;
    const flagEnd = flagStart + words[w + R_FLAG_COUNT / 4]!;
    if (flagEnd * 2 > this.flags.length) return false;
    for (let f = flagStart; f < flagEnd; f++) {
      if (this.flags[2 * f]! >= strings) return false;
      const code = this.flags[2 * f + 1]!;
      const kind = code & 7;
      if (kind > K_STRING || (kind === K_NUMBER && code >>> 3 >= this.values.length) || (kind === K_STRING && code >>> 3 >= strings))
        return false;
    }
    const tagStart = words[w + R_TAGS / 4]!;
    const tagEnd = tagStart + words[w + R_TAG_COUNT / 4]!;
    if (tagEnd > this.tags.length) return false;
    for (let t = tagStart; t < tagEnd; t++) if (this.tags[t]! >= strings) return false;
    const sumStart = words[w + R_SUMS / 4]!;
    const sumEnd = sumStart + words[w + R_SUM_COUNT / 4]!;
    if (sumEnd > this.sumKeys.length) return false;
    for (let s = sumStart; s < sumEnd; s++) if (this.sumKeys[s]! >= strings) return false;
    // The cells in order and inside the cell text (rangeText checks their lengths add up when it reads them).
    const cells = words[w + R_CELLS / 4]!;
    const time = words[w + R_CELL_TIME / 4]!;
    const started = words[w + R_CELL_STARTED / 4]!;
    const end = words[w + R_CELL_END / 4]!;
    return cells <= time && time <= started && started <= end && end <= this.cellBytes;
  }

  /**
   * A top-level field of run `i`'s record other than flags, as `record(i)`
   * would hold it (tags as a new array); only for a run that `readsInPlace`.
   */
  field(i: number, name: string): unknown {
    const w = (i * RUN_BYTES) / 4;
    const d = (i * RUN_BYTES) / 8;
    const bits = this.runWords[w + R_BITS / 4]!;
    const slot = TEXT_SLOT_OF.get(name);
    if (slot !== undefined) return this.slot(w, slot);
    switch (name) {
      case "exit_status":
        return bits & B_NO_EXIT ? undefined : bits & B_EXIT_NULL ? null : this.runDoubles[d + R_EXIT / 8]!;
      case "trial":
        return bits & B_HAS_TRIAL ? this.runDoubles[d + R_TRIAL / 8]! : undefined;
      case "terminated":
        return bits & B_HAS_TERMINATED ? (bits & B_TERMINATED) !== 0 : undefined;
      case "early_stopped":
        return bits & B_HAS_EARLY ? (bits & B_EARLY) !== 0 : undefined;
      case "tags": {
        if (bits & B_NO_TAGS) return undefined;
        const start = this.runWords[w + R_TAGS / 4]!;
        const tags: string[] = [];
        for (let t = start; t < start + this.runWords[w + R_TAG_COUNT / 4]!; t++) tags.push(this.text(this.tags[t]!));
        return tags;
      }
      case "format":
        return STORE_FORMAT;
      case "id":
        return this.id(i);
      default:
        return undefined;
    }
  }

  /** Run `i`'s status from its bits, as `stoppedStatus` gives it from the record (a run that `readsInPlace` is stopped). */
  stoppedStatus(i: number): "early-stopped" | "terminated" | "completed" | "error" {
    const w = (i * RUN_BYTES) / 4;
    const bits = this.runWords[w + R_BITS / 4]!;
    if (bits & B_EARLY) return "early-stopped";
    if (bits & B_TERMINATED) return "terminated";
    return !(bits & (B_NO_EXIT | B_EXIT_NULL)) && this.runDoubles[(i * RUN_BYTES) / 8 + R_EXIT / 8] === 0 ? "completed" : "error";
  }

  /**
   * The listing's order of runs `i` and `j` (newest first: created, else
   * started, later first; then the higher trial; then the greater id), as the
   * store's compareKeys gives it from their records, read from the bytes
   * without making their times into strings (only runs that `readsInPlace`).
   */
  compareNewestFirst(i: number, j: number): number {
    const wi = (i * RUN_BYTES) / 4;
    const wj = (j * RUN_BYTES) / 4;
    const c = this.compareOrderTimes(wi, wj);
    if (c !== 0) return -c;
    const bitsI = this.runWords[wi + R_BITS / 4]!;
    const bitsJ = this.runWords[wj + R_BITS / 4]!;
    const trialI = bitsI & B_HAS_TRIAL ? this.runDoubles[wi / 2 + R_TRIAL / 8]! : 0;
    const trialJ = bitsJ & B_HAS_TRIAL ? this.runDoubles[wj / 2 + R_TRIAL / 8]! : 0;
    if (trialI !== trialJ) return trialJ - trialI;
    // Ids as bytes (lowercase hex text orders as its bytes do), the greater first: j's compared with i's.
    const at = this.runsAt + R_ID;
    return this.buf.compare(this.buf, at + i * RUN_BYTES, at + i * RUN_BYTES + 16, at + j * RUN_BYTES, at + j * RUN_BYTES + 16);
  }

  /** The text slot a run is ordered by: created, else started (which may be NONE: ""). */
  private orderSlot(w: number): number {
    return this.runWords[w + R_TEXT / 4 + TIME_SLOT_FIRST] !== NONE ? TIME_SLOT_FIRST : TIME_SLOT_FIRST + 1;
  }

  /**
   * The runs whose words start at `wi` and `wj` compared by the text of the
   * time they are ordered by (`orderSlot`), as strings compare: two times kept
   * as numbers (TIME_FROM_MS) of four-digit years, whose ISO texts order as
   * the numbers do, by their numbers; otherwise by their texts' bytes.
   */
  private compareOrderTimes(wi: number, wj: number): number {
    const ki = this.orderSlot(wi);
    const kj = this.orderSlot(wj);
    const a = this.runWords[wi + R_TEXT / 4 + ki]!;
    const b = this.runWords[wj + R_TEXT / 4 + kj]!;
    if (a !== TIME_FROM_MS && b !== TIME_FROM_MS) return this.compareTexts(a, b);
    if (a === TIME_FROM_MS && b === TIME_FROM_MS) {
      const x = this.runDoubles[wi / 2 + R_TIMES / 8 + ki - TIME_SLOT_FIRST]!;
      const y = this.runDoubles[wj / 2 + R_TIMES / 8 + kj - TIME_SLOT_FIRST]!;
      if (x >= FOUR_DIGIT_YEARS_FROM_MS && x < FOUR_DIGIT_YEARS_TO_MS && y >= FOUR_DIGIT_YEARS_FROM_MS && y < FOUR_DIGIT_YEARS_TO_MS)
        return x < y ? -1 : x > y ? 1 : 0;
    }
    const ta = this.slot(wi, ki) ?? "";
    const tb = this.slot(wj, kj) ?? "";
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  }

  /**
   * Strings `a` and `b` (numbers; NONE is "") compared as JS compares strings
   * (by UTF-16 code unit), from their UTF-8 bytes: where the first bytes that
   * differ are both ASCII the order is the same; otherwise the texts decide.
   */
  private compareTexts(a: number, b: number): number {
    if (a === b) return 0;
    const offsets = this.offsets;
    let p = a === NONE ? 0 : this.textAt + offsets[a]!;
    const pEnd = a === NONE ? 0 : this.textAt + offsets[a + 1]!;
    let q = b === NONE ? 0 : this.textAt + offsets[b]!;
    const qEnd = b === NONE ? 0 : this.textAt + offsets[b + 1]!;
    const buf = this.buf;
    for (; p < pEnd && q < qEnd; p++, q++) {
      const x = buf[p]!;
      const y = buf[q]!;
      if (x === y) continue;
      if (x < 0x80 && y < 0x80) return x - y;
      const ta = this.text(a);
      const tb = this.text(b);
      return ta < tb ? -1 : ta > tb ? 1 : 0;
    }
    return pEnd - p - (qEnd - q);
  }

  /**
   * The string number of a flag name or scalar key, or -1 when no run has it:
   * a column's name is looked up once, then runs are scanned for its number.
   * The map holds only names and keys (a few dozen), not the table's times.
   */
  private numberOf(name: string): number {
    this.names ??= this.collectNameNumbers();
    return this.names.get(name) ?? -1;
  }

  /**
   * Each flag name's and scalar key's string number by its text, in the order
   * first met (flags, then summaries). Met is marked in a byte a string, not a
   * set: 1.4 million flags and summaries at 100 000 runs, nearly all repeats.
   */
  private collectNameNumbers(): Map<string, number> {
    const names = new Map<string, number>();
    const met = new Uint8Array(this.texts.length);
    const flags = this.flags;
    for (let f = 0; f < flags.length; f += 2) {
      const n = flags[f]!;
      if (n < met.length && met[n] === 0) {
        met[n] = 1;
        names.set(this.text(n), n);
      }
    }
    const keys = this.sumKeys;
    for (let s = 0; s < keys.length; s++) {
      const n = keys[s]!;
      if (n < met.length && met[n] === 0) {
        met[n] = 1;
        names.set(this.text(n), n);
      }
    }
    return names;
  }

  /** Run `i`'s flag `name` (the last of that name, as in an object), or undefined; only for a run that `readsInPlace`. */
  flag(i: number, name: string): FlagValue | undefined {
    const w = (i * RUN_BYTES) / 4;
    const start = this.runWords[w + R_FLAGS / 4]!;
    const number = this.numberOf(name);
    let code = -1;
    for (let f = start + this.runWords[w + R_FLAG_COUNT / 4]! - 1; f >= start; f--) {
      if (this.flags[2 * f] === number) {
        code = this.flags[2 * f + 1]!;
        break;
      }
    }
    if (code < 0) return undefined;
    const kind = code & 7;
    if (kind === K_NUMBER) return this.values[code >>> 3]!;
    if (kind === K_STRING) return this.text(code >>> 3);
    return kind === K_TRUE ? true : kind === K_FALSE ? false : null;
  }

  /** Calls `each` with run `i`'s flag names in order (a repeated name once, where an object keeps it). */
  forEachFlag(i: number, each: (name: string) => void): void {
    const w = (i * RUN_BYTES) / 4;
    const start = this.runWords[w + R_FLAGS / 4]!;
    for (let f = start; f < start + this.runWords[w + R_FLAG_COUNT / 4]!; f++) each(this.text(this.flags[2 * f]!));
  }

  /** One number of run `i`'s summary of `key` (as PackedSummary gives it), or undefined without one. */
  scalar(i: number, key: string, field: keyof ScalarSummary): number | null | undefined {
    const w = (i * RUN_BYTES) / 4;
    const start = this.runWords[w + R_SUMS / 4]!;
    const keys = this.sumKeys;
    const number = this.numberOf(key);
    for (let s = start + this.runWords[w + R_SUM_COUNT / 4]! - 1; s >= start; s--) {
      if (keys[s] === number) return summaryField(this.summaryValues(), s * SUM_VALUES, field);
    }
    return undefined;
  }

  /**
   * A column's memo made ready for this snapshot: the name's string number
   * looked up once (not at each cell), and the texts of values by number.
   */
  private memoFor(memo: CellMemo, name: string): number {
    if (memo.source !== this) {
      memo.source = this;
      memo.name = this.numberOf(name);
      memo.texts = [];
      memo.kept = 0;
    }
    return memo.name!;
  }

  /** RunFields.flagText of run `i`; only for a run that `readsInPlace`. */
  flagText(i: number, name: string, format: (v: string | number | boolean) => string, memo: CellMemo): string | undefined {
    const number = this.memoFor(memo, name);
    const w = (i * RUN_BYTES) / 4;
    const start = this.runWords[w + R_FLAGS / 4]!;
    let code = -1;
    for (let f = start + this.runWords[w + R_FLAG_COUNT / 4]! - 1; f >= start; f--) {
      if (this.flags[2 * f] === number) {
        code = this.flags[2 * f + 1]!;
        break;
      }
    }
    if (code < 0) return undefined;
    const kind = code & 7;
    if (kind === K_NULL) return undefined;
    memo.numeric = kind === K_NUMBER;
    if (kind !== K_NUMBER && kind !== K_STRING) return format(kind === K_TRUE);
    // Numbers and strings by their number in the snapshot's tables (the value table holds each distinct number
    // once): a grid's few values are formatted once; a random search's, each once anyway. Strings and numbers
    // have their own numbering, so their texts are kept apart (even and odd places).
    const key = 2 * (code >>> 3) + (kind === K_NUMBER ? 0 : 1);
    const texts = memo.texts!;
    let text = texts[key];
    if (text === undefined) {
      text = format(kind === K_NUMBER ? this.values[code >>> 3]! : this.text(code >>> 3));
      if (memo.kept! < REMEMBERED_TEXTS) {
        texts[key] = text;
        memo.kept!++;
      }
    }
    return text;
  }

  /** RunFields.scalarText of run `i`; only for a run that `readsInPlace`. */
  scalarText(i: number, key: string, field: keyof ScalarSummary, format: (v: number) => string, memo: CellMemo): string | undefined {
    const number = this.memoFor(memo, key);
    const w = (i * RUN_BYTES) / 4;
    const start = this.runWords[w + R_SUMS / 4]!;
    const keys = this.sumKeys;
    for (let s = start + this.runWords[w + R_SUM_COUNT / 4]! - 1; s >= start; s--) {
      if (keys[s] !== number) continue;
      const v = summaryField(this.summaryValues(), s * SUM_VALUES, field);
      if (v === null) return undefined;
      memo.numeric = true;
      return format(v);
    }
    return undefined;
  }

  /**
   * RunFields.rangeText of run `i`: its kept cells of `range`'s flags then
   * scalars, when its flags and summaries are those, in that order, with
   * their lengths and kinds written into the range. One string a row: the
   * bytes of its cells, so that no number is formatted and no cell's string
   * made. Only for a run that `readsInPlace`.
   */
  rangeText(i: number, range: CellRange): string | undefined {
    const w = (i * RUN_BYTES) / 4;
    const words = this.runWords;
    if (words[w + R_BITS / 4]! & B_NO_CELLS) return undefined;
    if (range.source !== this) {
      range.source = this;
      range.numbers = Int32Array.from([...range.flags, ...range.scalars], (name) => this.numberOf(name));
    }
    const numbers = range.numbers!;
    const flagCount = range.flags.length;
    const sumCount = range.scalars.length;
    if (words[w + R_FLAG_COUNT / 4] !== flagCount || words[w + R_SUM_COUNT / 4] !== sumCount) return undefined;
    const flagStart = words[w + R_FLAGS / 4]!;
    const sumStart = words[w + R_SUMS / 4]!;
    const { lengths, kinds } = range;
    let total = 0;
    for (let k = 0; k < flagCount; k++) {
      const f = flagStart + k;
      if (this.flags[2 * f] !== numbers[k]) return undefined;
      const kind = this.flags[2 * f + 1]! & 7;
      kinds[k] = kind === K_NULL ? 0 : kind === K_NUMBER ? 1 : 2;
      total += lengths[k] = this.flagCellLengths[f]!;
    }
    for (let k = 0; k < sumCount; k++) {
      const s = sumStart + k;
      if (this.sumKeys[s] !== numbers[flagCount + k]) return undefined;
      kinds[flagCount + k] = 1;
      total += lengths[flagCount + k] = this.sumCellLengths[s]!;
    }
    const start = words[w + R_CELL_STARTED / 4]!;
    const end = words[w + R_CELL_END / 4]!;
    if (end - start !== total) return undefined; // a damaged entry: the builder formats its cells
    return this.buf.toString("latin1", this.cellAt + start, this.cellAt + end);
  }

  /** RunFields.timeText of run `i`; only for a run that `readsInPlace`. */
  timeText(i: number, which: "time" | "started", offset: number): string | undefined {
    const w = (i * RUN_BYTES) / 4;
    const words = this.runWords;
    let start: number;
    let end: number;
    if (which === "time") {
      start = words[w + R_CELLS / 4]!;
      end = words[w + R_CELL_TIME / 4]!;
    } else {
      if (this.runDoubles[(i * RUN_BYTES) / 8 + R_ZONE / 8] !== offset) return undefined;
      start = words[w + R_CELL_TIME / 4]!;
      end = words[w + R_CELL_STARTED / 4]!;
    }
    return start === end ? undefined : this.buf.toString("latin1", this.cellAt + start, this.cellAt + end);
  }

  /**
   * RunFields.copyKeptCells of run `i`: the bytes rangeText (`which` a range)
   * or timeText (`"time"`, or `"started"` made with `offset`) would decode,
   * copied into `out` from `p`, after the same checks (a range's lengths and
   * kinds written into it). Gives where they end, or -1 where those give
   * undefined, a byte is not ASCII, or `out` has no room: no string is made.
   * Only for a run that `readsInPlace`.
   */
  copyKeptCells(i: number, which: CellRange | "time" | "started", offset: number, out: Uint8Array, p: number): number {
    const w = (i * RUN_BYTES) / 4;
    const words = this.runWords;
    let start: number;
    let end: number;
    if (which === "time") {
      start = words[w + R_CELLS / 4]!;
      end = words[w + R_CELL_TIME / 4]!;
      if (start === end) return -1;
    } else if (which === "started") {
      if (this.runDoubles[(i * RUN_BYTES) / 8 + R_ZONE / 8] !== offset) return -1;
      start = words[w + R_CELL_TIME / 4]!;
      end = words[w + R_CELL_STARTED / 4]!;
      if (start === end) return -1;
    } else {
      if (words[w + R_BITS / 4]! & B_NO_CELLS) return -1;
      const range = which;
      if (range.source !== this) {
        range.source = this;
        range.numbers = Int32Array.from([...range.flags, ...range.scalars], (name) => this.numberOf(name));
      }
      const numbers = range.numbers!;
      const flagCount = range.flags.length;
      const sumCount = range.scalars.length;
      if (words[w + R_FLAG_COUNT / 4] !== flagCount || words[w + R_SUM_COUNT / 4] !== sumCount) return -1;
      const flagStart = words[w + R_FLAGS / 4]!;
      const sumStart = words[w + R_SUMS / 4]!;
      const { lengths, kinds } = range;
      let total = 0;
      for (let k = 0; k < flagCount; k++) {
        const f = flagStart + k;
        if (this.flags[2 * f] !== numbers[k]) return -1;
        const kind = this.flags[2 * f + 1]! & 7;
        kinds[k] = kind === K_NULL ? 0 : kind === K_NUMBER ? 1 : 2;
        total += lengths[k] = this.flagCellLengths[f]!;
      }
      for (let k = 0; k < sumCount; k++) {
        const s = sumStart + k;
        if (this.sumKeys[s] !== numbers[flagCount + k]) return -1;
        kinds[flagCount + k] = 1;
        total += lengths[flagCount + k] = this.sumCellLengths[s]!;
      }
      start = words[w + R_CELL_STARTED / 4]!;
      end = words[w + R_CELL_END / 4]!;
      if (end - start !== total) return -1; // a damaged entry: the builder formats its cells
    }
    if (p + end - start > out.length) return -1;
    // Byte by byte: a row's cells are some 150 bytes, less than a native copy's call costs; and each is checked.
    const buf = this.buf;
    let any = 0;
    for (let c = this.cellAt + start, e = this.cellAt + end; c < e; c++) any |= out[p++] = buf[c]!;
    return any > 0x7f ? -1 : p;
  }

  /** Run `i`'s time field as milliseconds (see RunFields.timeMs); only for a run that `readsInPlace`. */
  timeMs(i: number, name: TimeField): number {
    return this.runDoubles[(i * RUN_BYTES) / 8 + R_TIMES / 8 + TIME_INDEX[name]]!;
  }

  /**
   * Adds run `i`'s flag names and scalar keys that `into` lacks (see
   * RunFields.collectNames): each string number is marked once a snapshot, so
   * the 1.7 million names of 100 000 runs are looked at as numbers and only a
   * column's first sight makes or finds its string.
   */
  collectNames(i: number, into: NameCollector): void {
    let marks = into.marks.get(this) as { flags: Uint8Array; scalars: Uint8Array } | undefined;
    if (marks === undefined) {
      marks = { flags: new Uint8Array(this.texts.length), scalars: new Uint8Array(this.texts.length) };
      into.marks.set(this, marks);
    }
    const w = (i * RUN_BYTES) / 4;
    const flagStart = this.runWords[w + R_FLAGS / 4]!;
    const flagEnd = flagStart + this.runWords[w + R_FLAG_COUNT / 4]!;
    for (let f = flagStart; f < flagEnd; f++) {
      const n = this.flags[2 * f]!;
      if (marks.flags[n] === 0) {
        marks.flags[n] = 1;
        into.flags.add(this.text(n));
      }
    }
    const keys = this.sumKeys;
    const sumStart = this.runWords[w + R_SUMS / 4]!;
    const sumEnd = sumStart + this.runWords[w + R_SUM_COUNT / 4]!;
    for (let s = sumStart; s < sumEnd; s++) {
      const n = keys[s]!;
      if (marks.scalars[n] === 0) {
        marks.scalars[n] = 1;
        into.scalars.add(this.text(n));
      }
    }
  }

  /** Calls `each` with run `i`'s scalar keys in order. */
  forEachScalar(i: number, each: (key: string) => void): void {
    const w = (i * RUN_BYTES) / 4;
    const start = this.runWords[w + R_SUMS / 4]!;
    const end = start + this.runWords[w + R_SUM_COUNT / 4]!;
    for (let s = start; s < end; s++) each(this.text(this.sumKeys[s]!));
  }

  /** Run `i`'s scalar summaries, in the order they were recorded. */
  summaries(i: number): Record<string, ScalarSummary> {
    const w = (i * RUN_BYTES) / 4;
    const start = this.runWords[w + R_SUMS / 4]!;
    const end = start + this.runWords[w + R_SUM_COUNT / 4]!;
    const keys = this.sumKeys;
    if (end > keys.length) throw new Error("snapshot: summaries out of range");
    const out: Record<string, ScalarSummary> = {};
    for (let s = start; s < end; s++) {
      const summary = new PackedSummary(this, s * SUM_VALUES);
      const key = this.text(keys[s]!);
      // A scalar named "__proto__" is a key like any other: an own property, not the prototype.
      if (key === "__proto__") Object.defineProperty(out, key, { value: summary, enumerable: true, writable: true, configurable: true });
      else out[key] = summary;
    }
    return out;
  }
}
/**
 * A scalar summary read from a snapshot: its numbers stay in the snapshot's
 * cold part, so 500 000 summaries are 500 000 two-field objects rather
 * than as many objects of eight numbers (a third of a big listing's memory and
 * most of its garbage collection), and the cold part is read only when one of
 * its numbers is first asked for. Read-only; JSON.stringify gives the fields.
 */
class PackedSummary implements ScalarSummary {
  readonly #snapshot: Snapshot;
  /** Where its numbers start in the cold part. */
  readonly #at: number;

  constructor(snapshot: Snapshot, at: number) {
    this.#snapshot = snapshot;
    this.#at = at;
  }

  get last(): number {
    return this.#snapshot.summaryValues()[this.#at]!;
  }
  get first(): number {
    return this.#snapshot.summaryValues()[this.#at + 1]!;
  }
  get min(): number {
    return this.#snapshot.summaryValues()[this.#at + 2]!;
  }
  get max(): number {
    return this.#snapshot.summaryValues()[this.#at + 3]!;
  }
  get avg(): number {
    return summaryField(this.#snapshot.summaryValues(), this.#at, "avg")!;
  }
  get total(): number {
    return this.#snapshot.summaryValues()[this.#at + 4]!;
  }
  get count(): number {
    return this.#snapshot.summaryValues()[this.#at + 5]!;
  }
  get step(): number | null {
    return summaryField(this.#snapshot.summaryValues(), this.#at, "step");
  }

  toJSON(): ScalarSummary {
    const { last, first, min, max, avg, total, count, step } = this;
    return { last, first, min, max, avg, total, count, step };
  }
}

/**
 * Where the hot part ends in a snapshot file whose first bytes are `header`
 * (the cold part starts there), or -1 when it is not a snapshot header of
 * this version.
 */
function snapshotHotEnd(header: Buffer): number {
  if (header.length < HEADER_BYTES || header.readUInt32LE(0) !== MAGIC || header.readUInt32LE(4) !== VERSION) return -1;
  const hotEnd = HEADER_BYTES + header.readUInt32LE(36);
  return (hotEnd & 7) === 0 ? hotEnd : -1;
}

/** The cold part's length in bytes by `header`'s summary count. */
function coldBytesOf(header: Buffer): number {
  return header.readUInt32LE(20) * SUM_VALUES * 8;
}

/** Reads `into` whole from `fd` at `position` (several reads when the kernel gives less); gives the bytes read. */
function readAt(fd: number, into: Uint8Array, position: number): number {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, position + got);
    if (n === 0) break; // shorter than its header said: refused by the caller
    got += n;
  }
  return got;
}

/**
 * The cold part of the snapshot file open as `fd`, whose hot part starts with
 * `header`, read into shared memory; null when it cannot be read whole or
 * fails its checksum.
 */
function readColdPart(fd: number, header: Buffer): Float64Array | null {
  try {
    const bytes = coldBytesOf(header);
    const cold = Buffer.from(new SharedArrayBuffer(bytes));
    if (readAt(fd, cold, HEADER_BYTES + header.readUInt32LE(36)) !== bytes) return null;
    if (crc32(cold) !== header.readUInt32LE(44)) return null;
    return new Float64Array(cold.buffer, 0, bytes / 8);
  } catch {
    return null;
  }
}

/** Removes `path` when it is still the file open as `fd` (not one renamed over it since). */
function removeIfSame(path: string, fd: number): void {
  try {
    const open = fstatSync(fd);
    const now = statSync(path);
    if (open.ino === now.ino && open.dev === now.dev) unlinkSync(path);
  } catch {
    // gone already, or not ours to remove: the next reader finds it damaged or rebuilt
  }
}
