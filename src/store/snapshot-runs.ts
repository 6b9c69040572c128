// Runs served from the index snapshot (index.bin) without decoding them: a
// SnapshotRun is a run's number in the snapshot, read in place through
// RunFields (the compare builder's path: no record, flags or summaries object
// per run), and decoded into a plain record or summaries only when something
// asks for `record` or `summaries` (g runs -a, --json, the view, filters).
// At 100 000 runs the decoded objects were most of compare's memory and of its
// garbage collection.

import type { Snapshot } from "./index-snapshot.js";
import {
  STORE_FORMAT,
  type CellMemo,
  type CellRange,
  type FlagValue,
  type NameCollector,
  type Run,
  type RunFields,
  type RunRecord,
  type RunStatus,
  type ScalarSummary,
  type TimeField,
} from "./types.js";

/**
 * A finished run read in place from the snapshot (only for entries that
 * `Snapshot.readsInPlace`), and its own listing entry (`run`, `fields`,
 * `summaries`, as the listing's RunWithSummaries): one object a run, not
 * two, of the 100 000 that a big listing keeps.
 */
export class SnapshotRun implements Run, RunFields {
  readonly status: RunStatus;
  #record: RunRecord | undefined;
  #summaries: Record<string, ScalarSummary> | undefined;

  constructor(
    readonly id: string,
    private readonly runsDir: string,
    /** The snapshot it is read from (a worker thread that makes rows is handed its shared memory). */
    readonly snapshot: Snapshot,
    /** Its number in the snapshot. */
    readonly at: number,
    /** Whether its listing has summaries (`g runs -a` has none: `fields` undefined, `summaries` empty). */
    private readonly withSummaries = true,
  ) {
    this.status = snapshot.stoppedStatus(at);
  }

  /** As a listing's entry: the run is itself. */
  get run(): SnapshotRun {
    return this;
  }

  /** As a listing's entry: its fields read in place (itself), undefined in a listing without summaries. */
  get fields(): RunFields | undefined {
    return this.withSummaries ? this : undefined;
  }

  /** As a listing's entry: its summaries, decoded on first use and kept. */
  get summaries(): Record<string, ScalarSummary> {
    this.#summaries ??= this.withSummaries ? this.decodeSummaries() : {};
    return this.#summaries;
  }

  get dir(): string {
    return `${this.runsDir}/${this.id}`;
  }

  /** The record, decoded on first use and kept (callers may hold on to it, as to any run's). */
  get record(): RunRecord {
    if (this.#record === undefined) {
      const record = this.snapshot.record(this.at);
      record.format = STORE_FORMAT;
      record.id = this.id;
      this.#record = record;
    }
    return this.#record;
  }

  /** The summaries, decoded anew at each call (the listing keeps the ones it hands out). */
  decodeSummaries(): Record<string, ScalarSummary> {
    return this.snapshot.summaries(this.at);
  }

  field(name: string): unknown {
    return this.snapshot.field(this.at, name);
  }

  flag(name: string): FlagValue | undefined {
    return this.snapshot.flag(this.at, name);
  }

  forEachFlag(each: (name: string) => void): void {
    this.snapshot.forEachFlag(this.at, each);
  }

  scalar(key: string, field: keyof ScalarSummary): number | null | undefined {
    return this.snapshot.scalar(this.at, key, field);
  }

  forEachScalar(each: (key: string) => void): void {
    this.snapshot.forEachScalar(this.at, each);
  }

  collectNames(into: NameCollector): void {
    this.snapshot.collectNames(this.at, into);
  }

  timeMs(name: TimeField): number {
    return this.snapshot.timeMs(this.at, name);
  }

  flagText(name: string, format: (v: string | number | boolean) => string, memo: CellMemo): string | undefined {
    return this.snapshot.flagText(this.at, name, format, memo);
  }

  scalarText(key: string, field: keyof ScalarSummary, format: (v: number) => string, memo: CellMemo): string | undefined {
    return this.snapshot.scalarText(this.at, key, field, format, memo);
  }

  rangeText(range: CellRange): string | undefined {
    return this.snapshot.rangeText(this.at, range);
  }

  timeText(which: "time" | "started", offset: number): string | undefined {
    return this.snapshot.timeText(this.at, which, offset);
  }

  copyKeptCells(which: CellRange | "time" | "started", offset: number, out: Uint8Array, p: number): number {
    return this.snapshot.copyKeptCells(this.at, which, offset, out, p);
  }
}
