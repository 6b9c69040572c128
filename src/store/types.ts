// Types of the run store, format 1 (shared/DESIGN.md). The rest of g imports
// these; only src/store touches the files they describe.

/** A flag's typed value, as recorded in run.json and passed to scripts. */
export type FlagValue = string | number | boolean | null;
export type Flags = Record<string, FlagValue>;

export const STORE_FORMAT = 1 as const;

export type RunStatus = "running" | "completed" | "error" | "terminated" | "early-stopped" | "pending";

/** run.json. Times are ISO 8601 strings (UTC), so they sort as text. */
export interface RunRecord {
  format: typeof STORE_FORMAT;
  id: string;
  /** The script (as given), or for a batch its optimizer: grid, random, gp, tpe, sweep. */
  op: string;
  cmd: string[];
  cwd: string;
  flags: Flags;
  created: string;
  started: string | null;
  stopped: string | null;
  exit_status: number | null;
  /** Set when the run was interrupted (Ctrl-C, g stop) rather than failing on its own. */
  terminated?: boolean;
  /** Set when an early-termination rule ended the run. */
  early_stopped?: boolean;
  label: string;
  tags: string[];
  /** For a trial: the batch run's id and the trial's 1-based number in it. */
  batch?: string;
  trial?: number;
  /** For a sweep run: the sweep id. */
  sweep?: string;
  /**
   * For a child run: the id of the enclosing run. An SDK script under `g run`
   * that records several experiments makes each one a child of that run.
   */
  parent?: string;
  /** Free text about the run (the SDKs' `description`). */
  description?: string;
  /** An SDK experiment's path, ml_dash style: `owner/project/.../name` (`g runs --prefix` selects by it). */
  prefix?: string;
  /** For a batch: what it searched and how. */
  space?: unknown;
  objective?: Objective;
  optimizer?: string;
  optimizer_settings?: Record<string, unknown>;
  seed?: number;
  max_trials?: number;
  /** The scheduler job the run's process ran in, when a backend such as Slurm started it. */
  placement?: Placement;
  /** The reason a scheduler gave for ending the run (e.g. Slurm's TIMEOUT, CANCELLED). */
  error?: string;
  /** Set while `error` holds a scheduler's provisional word (the task was still ending); the next look replaces it. */
  end_reason_pending?: boolean;
  /** Anything else a command wants to keep; readers ignore unknown fields. */
  [extra: string]: unknown;
}

/** Which scheduler job a process runs in (a backend's business; the store only keeps it). */
export interface Placement {
  backend: string;
  job: string;
  task?: number;
}

export interface Objective {
  /** A compare column expression: "loss", "min val_loss". */
  column: string;
  goal: "minimize" | "maximize";
}

/** One line of scalars.jsonl. */
export interface ScalarRecord {
  key: string;
  value: number;
  step: number | null;
  /** Seconds since the epoch. */
  t: number;
  /**
   * Set on the lines an SDK experiment writes into an enclosing g run, so they
   * can be moved into a child run of it later (docs/sdk.md); readers ignore it.
   */
  exp?: string;
}

/** Per-key summary of a run's scalars; what compare and optimizers read. */
export interface ScalarSummary {
  last: number;
  first: number;
  min: number;
  max: number;
  avg: number;
  total: number;
  count: number;
  /** The step of the last value (null when none was given). */
  step: number | null;
}

/** A run as read back: its record plus what is derived when reading. */
export interface Run {
  id: string;
  dir: string;
  record: RunRecord;
  status: RunStatus;
}

/**
 * One run's fields read in place, without its record or summaries built as
 * objects: what a run served from the index snapshot (index.bin) offers, so
 * that `g compare` over 100 000 runs makes no object per run, flag and
 * summary. Each answer is what the record and summaries would hold.
 */
export interface RunFields {
  /** A top-level field of run.json other than flags (tags come back as a new array); undefined when absent. */
  field(name: string): unknown;
  /** A flag's value; undefined when the run has no such flag. */
  flag(name: string): FlagValue | undefined;
  /** Calls `each` with every flag name, in the record's order. */
  forEachFlag(each: (name: string) => void): void;
  /** One number of a scalar's summary; undefined when the run has no such scalar. */
  scalar(key: string, field: keyof ScalarSummary): number | null | undefined;
  /** Calls `each` with every scalar key, in the summaries' order. */
  forEachScalar(each: (key: string) => void): void;
  /**
   * Adds the flag names and scalar keys `into` lacks, in the record's and the
   * summaries' order: what forEachFlag and forEachScalar would add to its sets,
   * without a call a name (runs of one source share their marks there).
   */
  collectNames(into: NameCollector): void;
  /**
   * A time field (created, started, stopped) as milliseconds since the epoch,
   * when it is in the form `Date.toISOString` gives (what g writes), else NaN
   * (absent, or another form: `field` gives its text).
   */
  timeMs(name: TimeField): number;
  /**
   * `format` of flag `name`'s value, each distinct value formatted once a
   * column (`memo`); undefined when the run lacks the flag or it is null.
   */
  flagText(name: string, format: (v: string | number | boolean) => string, memo: CellMemo): string | undefined;
  /** `format` of one number of a scalar's summary (as `scalar` gives it); undefined when absent or null. */
  scalarText(key: string, field: keyof ScalarSummary, format: (v: number) => string, memo: CellMemo): string | undefined;
  /**
   * The cells of `range`'s flags then scalars (their last values) as one
   * text, kept ready-made (see CellTexts), with each cell's length and kind
   * written into the range; undefined when the run's flags and scalars are not
   * exactly those, in that order, or its cells are not kept.
   */
  rangeText?(range: CellRange): string | undefined;
  /**
   * The `time` cell kept ready-made, or the `started` cell when it was made
   * with the local offset `offset` (ms; see CellTexts.offset); undefined otherwise.
   */
  timeText?(which: "time" | "started", offset: number): string | undefined;
  /**
   * The bytes rangeText (`which` a range, its lengths and kinds written as
   * rangeText writes them) or timeText would give the text of, copied into
   * `out` from `p`: gives where they end, or -1 where that text would be
   * undefined, is not ASCII, or does not fit. A table kept as bytes makes no
   * string of them.
   */
  copyKeptCells?(which: CellRange | "time" | "started", offset: number, out: Uint8Array, p: number): number;
}

/**
 * How the cells a store keeps ready-made (index.bin) are written: the compare
 * builder's own formatters, handed down to the store (which imports no
 * formatting), so that a kept cell is the text the builder would make.
 */
export interface CellTexts {
  /** A flag's value (null included: a flag recorded as null) or a scalar's last value as a cell shows it. */
  value(v: number | string | boolean | null): string;
  /** The `time` cell of a run that ran this many seconds. */
  duration(seconds: number): string;
  /** The local offset (ms) at a time (ms since the epoch), NaN where it is not one for the whole hour. */
  offset(ms: number): number;
  /** The `started` cell of a local time already shifted by its offset (ms). */
  shifted(ms: number): string;
}

/**
 * A run of table columns that a run's kept cells may fill at once: these
 * flags, then these scalars' last values. The run writes each cell's length
 * into `lengths` and its kind into `kinds` (0: empty or a null flag, 1: a number, 2: other),
 * flags first; the rest is the store's, opaque to the caller, who makes one
 * range a table.
 */
export interface CellRange {
  readonly flags: readonly string[];
  readonly scalars: readonly string[];
  readonly lengths: Uint32Array;
  readonly kinds: Uint8Array;
  source?: object;
  numbers?: Int32Array;
}

/**
 * What a table column keeps between its cells (RunFields.flagText and
 * scalarText): the name's number in the runs' source, and the texts of the
 * values seen (by their number there). Opaque to the caller, who makes one
 * empty memo a column; `numeric` is whether the last text was of a number.
 */
export interface CellMemo {
  numeric: boolean;
  source?: object;
  name?: number;
  texts?: (string | undefined)[];
  kept?: number;
}

/** The record's time fields, which RunFields also gives as numbers. */
export type TimeField = "created" | "started" | "stopped";

/** Flag names and scalar keys in the order first seen over many runs (g compare's columns). */
export interface NameCollector {
  readonly flags: Set<string>;
  readonly scalars: Set<string>;
  /** For each source of runs read in place (a snapshot), its marks of the names already added. */
  readonly marks: Map<object, unknown>;
}

/**
 * A dimension of a batch's search space as the store sees it: an object with
 * a `type` (src/flags/space.ts's `Dimension` is what batches record).
 */
export interface StoredDimension {
  type: string;
}

/**
 * run.json of a batch (op grid, random, gp, tpe): what it searched and how,
 * so that `g run --restart` can continue it. `TSpace` is the space type of
 * the flags layer (the store does not import it).
 */
export interface BatchRecord<TSpace extends Record<string, StoredDimension> = Record<string, StoredDimension>> extends RunRecord {
  optimizer: string;
  space: TSpace;
  objective?: Objective;
  optimizer_settings?: Record<string, unknown>;
  /** Seeds the random stream; restart k draws from `seed:k`. */
  seed?: number;
  max_trials?: number;
  /** The script's absolute path, and as the user gave it (the trials' op). */
  script?: string;
  script_op?: string;
  /** Flags every trial gets besides its point (script defaults, constants). */
  base_flags?: Flags;
  /** grid and random: the fixed trial list, trial n at index n − 1. */
  points?: Flags[];
  /** How many times the batch was restarted. */
  restarts?: number;
  /** "batch" or "all": what gp and tpe learn from. */
  learn_from?: string;
  /**
   * The latest session submitted to a scheduler (`g run --backend slurm`): its
   * job (null until the scheduler named it), the trial numbers it runs (one
   * array task each, index = trial number), and how it was submitted, so a
   * restart submits the rest the same way.
   */
  submitted?: SubmittedSession;
}

/** A batch session that runs as a scheduler's job array (see BatchRecord.submitted). */
export interface SubmittedSession {
  backend: string;
  job: string | null;
  trials: number[];
  parallel?: number;
  options: string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isOptional(v: unknown, check: (v: unknown) => boolean): boolean {
  return v === undefined || check(v);
}

/**
 * The record as a BatchRecord when it is one (an optimizer and a space whose
 * dimensions each have a type, and every other batch field of the right type
 * when present); null for a plain run or a trial, or a damaged batch record.
 */
export function readBatchRecord<TSpace extends Record<string, StoredDimension>>(record: RunRecord): BatchRecord<TSpace> | null {
  const r = record as Record<string, unknown>;
  if (typeof r.optimizer !== "string" || !isPlainObject(r.space)) return null;
  if (!Object.values(r.space).every((d) => isPlainObject(d) && typeof d.type === "string")) return null;
  const isNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  const isString = (v: unknown) => typeof v === "string";
  const ok =
    isOptional(r.objective, (v) => isPlainObject(v) && typeof v.column === "string" && (v.goal === "minimize" || v.goal === "maximize")) &&
    isOptional(r.optimizer_settings, isPlainObject) &&
    isOptional(r.seed, isNumber) &&
    isOptional(r.max_trials, isNumber) &&
    isOptional(r.restarts, isNumber) &&
    isOptional(r.script, isString) &&
    isOptional(r.script_op, isString) &&
    isOptional(r.learn_from, isString) &&
    isOptional(r.base_flags, isPlainObject) &&
    isOptional(r.points, (v) => Array.isArray(v) && v.every(isPlainObject)) &&
    isOptional(
      r.submitted,
      (v) => isPlainObject(v) && typeof v.backend === "string" && Array.isArray(v.trials) && v.trials.every(Number.isInteger),
    );
  return ok ? (record as BatchRecord<TSpace>) : null;
}
