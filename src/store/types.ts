// Types of the run store, format 1 (shared/DESIGN.md). The rest of g imports
// these; only src/store touches the files they describe.

/** A flag's typed value, as recorded in run.json and passed to scripts. */
export type FlagValue = string | number | boolean | null;
export type Flags = Record<string, FlagValue>;

export const STORE_FORMAT = 1 as const;

export type RunStatus =
  | "running"
  | "completed"
  | "error"
  | "terminated"
  | "early-stopped"
  | "pending";

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
  /** For a batch: what it searched and how. */
  space?: unknown;
  objective?: Objective;
  optimizer?: string;
  optimizer_settings?: Record<string, unknown>;
  seed?: number;
  max_trials?: number;
  /** Anything else a command wants to keep; readers ignore unknown fields. */
  [extra: string]: unknown;
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
