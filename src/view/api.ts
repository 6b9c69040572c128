// The `g view` HTTP API: the type of every response the server (src/view/*.ts)
// sends and the single-page app (src/view/app/) reads. Types only, no runtime
// imports, so the client bundle can import this file without pulling in Node.
// Owned by the server side; the app asks for changes in src/view/API-NOTES.md.

/** A cell value as `g compare` computes it: number, text, boolean, or null when missing. */
export type ApiCellValue = number | string | boolean | null;

/** A flag value as recorded in run.json. */
export type ApiFlagValue = string | number | boolean | null;

export type ApiRunStatus = "running" | "completed" | "error" | "terminated" | "early-stopped" | "pending";

/** An error answer (HTTP 400, 401, 404): one line the page can show inline. */
export interface ErrorResponse {
  error: string;
}

export interface RunsColumn {
  /** Stable identity: `.time`, `=lr`, `last loss`, `min loss`. */
  key: string;
  header: string;
  kind: "core" | "flag" | "scalar";
  /** Every present value is a number: right-align, sort numerically. */
  numeric: boolean;
}

export interface RunsRow {
  id: string;
  shortId: string;
  /** Position in the newest-first list of the whole store (1 = latest), as `g runs` shows it. */
  index: number;
  status: ApiRunStatus;
  label: string;
  op: string;
  /** For a trial: its batch run's full id. */
  batch: string | null;
  trial: number | null;
  /** For a sweep run: the sweep id. */
  sweep: string | null;
  /** One raw value per column, in `columns` order. */
  values: ApiCellValue[];
  /** The same values as `g compare` prints them ("" when missing, `null` for a flag recorded as null). */
  cells: string[];
}

/** `GET /api/runs?filter=EXPR&cols=..&min=..&max=..` */
export interface RunsResponse {
  columns: RunsColumn[];
  rows: RunsRow[];
  /** Damaged run directories and similar; shown on the page, never a failure. */
  warnings: string[];
  /** The change counter at the time of the answer (the same number `/api/events` sends). */
  version: number;
  /** How many runs the command line selected, before the `filter` parameter narrowed them. */
  total: number;
}

/**
 * `GET /api/runs?since=V` when the table has the same columns and the same runs in the same
 * order as the answer of version V the page holds: only the rows that differ (a running run's
 * values, status or time). Put each `row` at `at` in the held rows; nothing else moved.
 */
export interface RunsDelta {
  delta: true;
  /** The version of the answer these rows change (the `since` asked for). */
  base: number;
  version: number;
  total: number;
  warnings: string[];
  changed: { at: number; row: RunsRow }[];
}

export interface ApiScalarSummary {
  last: number;
  first: number;
  min: number;
  max: number;
  avg: number;
  count: number;
  step: number | null;
}

export interface RunChild {
  id: string;
  shortId: string;
  status: ApiRunStatus;
  trial: number | null;
}

/** `GET /api/run/<id>` */
export interface RunDetail {
  id: string;
  shortId: string;
  status: ApiRunStatus;
  op: string;
  label: string;
  tags: string[];
  flags: Record<string, ApiFlagValue>;
  /** ISO 8601 times (UTC). */
  started: string | null;
  stopped: string | null;
  exit_status: number | null;
  cmd: string[];
  /**
   * The run's command as a line to copy (shell-quoted): its argv, or for a
   * globals-style script the `g run SCRIPT name=value ...` that gives every
   * global the run's value (as `g runs info` shows it).
   */
  command: string;
  batch: string | null;
  trial: number | null;
  sweep: string | null;
  description?: string;
  summaries: Record<string, ApiScalarSummary>;
  /** The trials of a batch, or the runs of a sweep (when this run is a sweep's run list, empty otherwise). */
  children: RunChild[];
  /** The last 64 KiB of output.log ("" when there is none). */
  outputTail: string;
  /** Paths relative to the run's sourcecode folder, `/`-separated; fetch with `/api/run/<id>/source/<path>`. */
  sourceFiles: string[];
}

export type ScalarsX = "step" | "time";

export interface ScalarSeries {
  /** Full run id. */
  run: string;
  key: string;
  /** step, or seconds since the run started (x=time). Ascending. */
  xs: number[];
  ys: number[];
}

/** A run asked for whose curves cannot be drawn; the other runs' series still come. */
export interface ScalarsMissing {
  /** The id (or prefix) as asked for. */
  run: string;
  /** `deleted`: in the trash (`g runs rm`); `not-found`: no such run; `damaged`: its folder cannot be read. */
  reason: "deleted" | "not-found" | "damaged";
  /** One line to show: "run b0ef12ab was deleted", "run 0b0b0b0b cannot be read: ...". */
  message: string;
}

/** `GET /api/scalars?runs=id1,id2&x=step|time&points=N` */
export interface ScalarsResponse {
  x: ScalarsX;
  /** One series per (run, key), down-sampled with LTTB to at most `points` points. */
  series: ScalarSeries[];
  /** The runs asked for that are gone or damaged (absent in an exported report's data: none). */
  missing?: ScalarsMissing[];
}

export interface SearchDim {
  name: string;
  type: "float" | "int" | "log" | "categorical";
  low?: number;
  high?: number;
  choices?: ApiFlagValue[];
}

export interface SearchTrial {
  id: string;
  trial: number | null;
  status: ApiRunStatus;
  flags: Record<string, ApiFlagValue>;
  /** The objective column's value, or null when the trial has none (yet). */
  value: number | null;
}

export interface FlagImportance {
  flag: string;
  /** 0..1: how well the flag alone predicts the objective's ranks on held-out trials (method in docs/view.md). */
  score: number;
}

/** `GET /api/search/<batchOrSweepId>` */
export interface SearchResponse {
  id: string;
  op: string;
  objective: { column: string; goal: "min" | "max" };
  dims: SearchDim[];
  trials: SearchTrial[];
  /** Highest score first. */
  importance: FlagImportance[];
}

/** `data:` of an `event: change` on `GET /api/events`. */
export interface ChangeEvent {
  version: number;
}

/** The JSON in `<script type="application/json" id="g-data">` of an exported report. */
export interface ExportData {
  runs: RunsResponse;
  details: Record<string, RunDetail>;
  /** Run id → its series, down-sampled (x = step). */
  scalars: Record<string, ScalarSeries[]>;
  searches: Record<string, SearchResponse>;
}
