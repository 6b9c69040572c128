// ml_dash's Track API for the TypeScript SDK: timestamped entries per topic,
// one whole line per append in the run's tracks.jsonl (the store's reader,
// src/store/track-files.ts, merges appends at one timestamp as ml_dash's
// flush does). The Python SDK writes the same lines (g_runs/tracks.py).

import { join } from "node:path";
import { appendLines } from "../store/fs-atomic.js";
import { SDK_TRACKS_FILE, mergeTrackEntries, readTrackLines, type TrackEntry } from "../store/store.js";

/** What an experiment lends its tracks. */
export interface TrackHost {
  /** Starts the run if needed and returns its directory; throws once the run has finished. */
  openDir(): string;
  /** The run's directory for reading: starts the run if it has not started; a finished run's still reads. */
  readDir(): string;
  /** Throws once the run has finished. */
  assertOpen(): void;
  /** `{ exp: token }` while writing into a g run it may later leave for a child run, else {}. */
  mark(): { exp?: string };
  /** The last time written by a metric or a track: ml_dash's `_ts: -1`. */
  lastTime(): number | null;
  setLastTime(t: number): void;
}

/** The formats read() writes; parquet and mocap need what g does not have. */
const READ_FORMATS = ["json", "jsonl"] as const;

export interface TrackReadOptions {
  /** Inclusive bounds, seconds since the epoch. */
  startTimestamp?: number;
  endTimestamp?: number;
  /** Only these fields (and the timestamp). */
  columns?: string[];
  format?: (typeof READ_FORMATS)[number];
}

/** A field value as JSON holds it; typed arrays become arrays, a non-finite number null (as ml_dash's server stores it). */
function toJsonValue(value: unknown, field: string): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new TypeError(`g-runs: track field "${field}": ${value} is too large to store exactly`);
    return Number(value);
  }
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, field));
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>, (v) => toJsonValue(v, field));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v, field)]));
  throw new TypeError(`g-runs: track field "${field}" must be JSON data (text, number, array, object), got ${describeType(value)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describeType(value: unknown): string {
  if (typeof value === "object" && value !== null) return (value as object).constructor?.name ?? "object";
  return typeof value;
}

/** Nested objects become dotted field names, as ml_dash's local storage writes them. */
function flattenFields(data: Record<string, unknown>, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(data)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value === undefined) continue;
    if (isPlainObject(value)) flattenFields(value, name, out);
    else out[name] = toJsonValue(value, name);
  }
  return out;
}

/** Automatic times per process: each later than the one before, so two appends in one tick stay two entries. */
let lastAutoTime = 0;
function nextAutoTime(): number {
  let now = Date.now() / 1000;
  if (now <= lastAutoTime) now = lastAutoTime + 0.000001;
  lastAutoTime = now;
  return now;
}

/** One topic: `append({ x: 1, _ts: 2 })`, `flush()`, `read()`, `listEntries()`, `slice()`. */
export class TrackBuilder {
  constructor(
    private readonly host: TrackHost,
    readonly topic: string,
  ) {}

  /**
   * Appends one entry now. `_ts`: absent = now, -1 = the previous append's or
   * metric's time, else seconds since the epoch. Returns the builder.
   */
  append(fields: Record<string, unknown> & { _ts?: number }): this {
    this.host.assertOpen();
    const { _ts, ...rest } = fields;
    const hasTs = Object.prototype.hasOwnProperty.call(fields, "_ts") && _ts !== undefined;
    if (hasTs && (typeof _ts !== "number" || !Number.isFinite(_ts)))
      throw new TypeError(`g-runs: _ts must be seconds since the epoch or -1, got ${JSON.stringify(_ts)}`);
    const data = flattenFields(rest);
    const dir = this.host.openDir();
    const last = this.host.lastTime();
    const timestamp = !hasTs || (_ts === -1 && last === null) ? nextAutoTime() : _ts === -1 ? last! : _ts!;
    this.host.setLastTime(timestamp);
    const line = { topic: this.topic, timestamp, data, ...this.host.mark() };
    appendLines(join(dir, SDK_TRACKS_FILE), [JSON.stringify(line) + "\n"]);
    return this;
  }

  /** Every append is on disk when it returns; kept so ml_dash's code runs. */
  flush(): this {
    this.host.assertOpen();
    return this;
  }

  /** ml_dash's read: `{ entries: [{ timestamp, ...fields }], count }`; `format: "jsonl"` gives the lines as bytes. */
  read(options?: TrackReadOptions & { format?: "json" }): { entries: TrackEntry[]; count: number };
  read(options: TrackReadOptions & { format: "jsonl" }): Uint8Array;
  read(options: TrackReadOptions = {}): { entries: TrackEntry[]; count: number } | Uint8Array {
    const format = options.format ?? "json";
    if (!READ_FORMATS.includes(format))
      throw new Error(`g-runs: track format "${String(format)}" is not supported; use one of ${READ_FORMATS.join(", ")}`);
    const dir = this.host.readDir();
    const exp = this.host.mark().exp;
    const lines = readTrackLines(dir).filter((l) => exp === undefined || l.exp === exp);
    const entries: TrackEntry[] = [];
    for (const entry of mergeTrackEntries(lines, this.topic)) {
      if (options.startTimestamp !== undefined && entry.timestamp < options.startTimestamp) continue;
      if (options.endTimestamp !== undefined && entry.timestamp > options.endTimestamp) continue;
      if (options.columns && options.columns.length > 0) {
        const picked: TrackEntry = { timestamp: entry.timestamp };
        for (const c of options.columns) if (c in entry) picked[c] = entry[c];
        entries.push(picked);
      } else entries.push(entry);
    }
    if (format === "jsonl") return new TextEncoder().encode(entries.map((e) => JSON.stringify(e)).join("\n"));
    return { entries, count: entries.length };
  }

  /** Every entry of the topic, oldest first. */
  listEntries(): TrackEntry[] {
    return this.read().entries;
  }

  /** An iterable view of the entries in [start, end] with `findByTime` (floor match). */
  slice(startTimestamp?: number, endTimestamp?: number): TrackSlice {
    return new TrackSlice(this, startTimestamp, endTimestamp);
  }
}

/** ml_dash's TrackSlice: iterate, `length`, `findByTime(t)` = the last entry at or before t. */
export class TrackSlice implements Iterable<TrackEntry> {
  private data: TrackEntry[] | null = null;

  constructor(
    private readonly builder: TrackBuilder,
    readonly startTimestamp?: number,
    readonly endTimestamp?: number,
  ) {}

  private load(): TrackEntry[] {
    this.data ??= this.builder.read({ startTimestamp: this.startTimestamp, endTimestamp: this.endTimestamp }).entries;
    return this.data;
  }

  [Symbol.iterator](): Iterator<TrackEntry> {
    return this.load()[Symbol.iterator]();
  }

  get length(): number {
    return this.load().length;
  }

  /** The entry with the largest timestamp <= `timestamp` (an array gives an array); throws before the first. */
  findByTime(timestamp: number): TrackEntry;
  findByTime(timestamp: number[]): TrackEntry[];
  findByTime(timestamp: number | number[]): TrackEntry | TrackEntry[] {
    return Array.isArray(timestamp) ? timestamp.map((t) => this.floor(t)) : this.floor(timestamp);
  }

  private floor(timestamp: number): TrackEntry {
    const data = this.load();
    // Binary search for the first entry after `timestamp`.
    let lo = 0;
    let hi = data.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (data[mid]!.timestamp <= timestamp) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) {
      const first = data.length > 0 ? `; the first is at ${data[0]!.timestamp}` : "; the slice is empty";
      throw new RangeError(`g-runs: no entry of track "${this.builder.topic}" at or before ${timestamp}${first}`);
    }
    return data[lo - 1]!;
  }
}

/** `experiment.tracks`: call it with a topic; `flush()` is ml_dash's global flush. */
export interface Tracks {
  (topic: string): TrackBuilder;
  flush(): Tracks;
}

export function tracksFor(host: TrackHost): Tracks {
  const builders = new Map<string, TrackBuilder>();
  const tracks = ((topic: string) => {
    if (typeof topic !== "string" || topic.replace(/\//g, "") === "")
      throw new Error(`g-runs: a track topic is a non-empty name such as "robot/position", got ${JSON.stringify(topic)}`);
    let builder = builders.get(topic);
    if (!builder) builders.set(topic, (builder = new TrackBuilder(host, topic)));
    return builder;
  }) as Tracks;
  tracks.flush = () => {
    host.assertOpen();
    return tracks;
  };
  return tracks;
}
