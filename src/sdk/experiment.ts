// Experiments in ml_dash style that record into g's run store (format 1);
// the TypeScript twin of src/sdk/python/g_runs. Standalone, an Experiment
// creates a run under $G_HOME/runs (op from the prefix, label from the name).
// Inside a `g run` process (G_RUN_DIR set) the first Experiment writes into
// that run: params go to params.json, which the runner merges into the run's
// flags when the process ends, because the runner owns run.json's flags.
// A script that records several experiments (a prefix or name different from
// the first one's) makes each a child run of the g run (run.json `parent`),
// and the first one is moved out of the g run into a child too, so no two
// experiments are ever merged (docs/sdk.md, "Several experiments inside g run").

import { mkdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { appendLines, writeJsonAtomic } from "../store/fs-atomic.js";
import {
  LOCK_FILE,
  OUTPUT_FILE,
  RUN_FILE,
  SCALARS_FILE,
  isoNow,
  newRunId,
  resolveHome,
  withDirLockSync,
  type RunLock,
} from "../store/store.js";
import { SDK_LOGS_FILE, SDK_TRACKS_FILE } from "../store/store.js";
import { STORE_FORMAT, type FlagValue, type Flags, type RunRecord, type ScalarRecord } from "../store/types.js";
import { filesFor, moveFiles, type Files } from "./artifacts.js";
import { moveMarkedLines } from "./move-lines.js";
import {
  EXP_FIELD,
  expAttribute,
  expandPrefix,
  newNumericId,
  nextJobCounter,
  prefixParts,
  runFields,
  type RunFields,
} from "./templates.js";
import { tracksFor, type Tracks } from "./tracks.js";

export const PARAMS_FILE = "params.json";
/** ml_dash's log levels; "warning" (in its API reference) is taken as "warn". */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** ml_dash's metrics.buffer.log_summary() aggregations. */
export const SUMMARY_AGGREGATIONS = [
  "mean",
  "std",
  "min",
  "max",
  "count",
  "median",
  "sum",
  "p50",
  "p90",
  "p95",
  "p99",
  "first",
  "last",
] as const;
export type SummaryAggregation = (typeof SUMMARY_AGGREGATIONS)[number];

export interface ExperimentOptions {
  /** "owner/project/name": op is the part before the last slash, label the last part. */
  prefix?: string;
  description?: string;
  tags?: string[];
  /** The run's label; defaults to the prefix's last part. */
  name?: string;
  /** The store to create a standalone run in; defaults to G_HOME, then the nearest .g/ (g init), then ~/.g. */
  home?: string;
  /** The environment to read G_RUN_DIR / G_HOME from (tests); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** ml_dash's other name for description. */
  readme?: string;
  /** ml_dash's binders and metadata, kept in run.json. */
  bindrs?: string[];
  metadata?: unknown;
  /** ml_dash's older form: `{ name, project, folder }` makes the prefix folder/project/name. */
  project?: string;
  folder?: string;
  /** ml_dash's local storage root (localPath, or dashRoot): here, the store, like `home`. */
  localPath?: string;
  dashRoot?: string;
  /** ml_dash's remote server options: refused, g has no server. */
  dashUrl?: string | boolean;
  remote?: string | boolean;
  apiKey?: string;
  userName?: string;
  /** ml_dash's RUN fields, for prefix templates (`{user}`, `{now:%Y-%m-%d}`, `{path_stem}`, `{job_name}`, `{job_counter:03d}`; ./templates.ts). */
  user?: string;
  now?: Date;
  entry?: string;
  projectRoot?: string;
  pathStem?: string;
  jobName?: string;
  jobCounter?: number;
}

/** A metric value: numbers, booleans (1/0) and bigints are recorded; non-finite numbers are skipped. */
export type MetricValue = number | boolean | bigint;
/** Metric values by name; a `step` entry is the step, not a metric. */
export type MetricValues = Record<string, MetricValue | null | undefined>;
/** Param values; nested objects become dotted names (`{model: {depth: 3}}` → `model.depth`). */
export interface ParamValues {
  [name: string]: unknown;
}

/** Values for metrics.log: numbers, or an object of numbers for a namespace (`{ train: { loss } }`). */
export type MetricRow = Record<string, MetricValue | null | undefined | Record<string, MetricValue | null | undefined>>;

/** One metric's data point as read back (ml_dash's read()): its fields and step. */
export interface MetricPoint {
  index: number;
  data: Record<string, number>;
  createdAt: number;
}

export interface MetricsWriter {
  /** Adds values to the row being built; a key the row already holds writes the row first. */
  log(values: MetricRow): MetricsWriter;
  /** Writes the row: every value with one step (see docs/sdk.md). */
  flush(): MetricsWriter;
  /** ml_dash's append: one data point now (`value` is the metric itself); on `metrics`, name it first. */
  append(nameOrValues: string | MetricValues, values?: MetricValues): { index: number; name: string | null };
  /** Several data points: `appendBatch([{ value: 0.5, step: 1 }, ...])`, or `appendBatch(name, points)` on `metrics`. */
  appendBatch(nameOrPoints: string | MetricValues[], points?: MetricValues[]): { count: number; name: string };
  /** The metric's data points by index (ml_dash's read): data, startIndex, endIndex, total, hasMore. */
  read(startIndex?: number, limit?: number): { data: MetricPoint[]; startIndex: number; endIndex: number; total: number; hasMore: boolean };
  /** How many data points the metric has, and when the first and last were written. */
  stats(): { name: string | null; totalDataPoints: number; firstDataAt: number | null; lastDataAt: number | null; [k: string]: unknown };
  /** Every metric of the run with its number of data points. */
  listAll(): Array<{ name: string; totalDataPoints: number }>;
  /** ml_dash's buffer API: keep values, then `metrics.buffer.logSummary("mean", "p95")` logs their statistics. */
  readonly buffer: MetricBuffer;
}

export type MetricBuffer = ((values: MetricValues) => Metrics) & {
  logSummary(...aggs: Array<SummaryAggregation | MetricValues>): void;
  peek(prefix?: string | null, ...keys: string[]): Record<string, number[]>;
};

/** `experiment.metrics("train")` for a namespace, `experiment.metrics.log(...)` for none. */
export type Metrics = ((namespace: string, info?: { description?: string; tags?: string[]; metadata?: unknown }) => Metrics) &
  MetricsWriter;

export interface Params {
  /** Merges values into the run's flags (params.json inside `g run`). */
  set(values: ParamValues): Params;
  /** ml_dash: the same as set(). */
  log(values: ParamValues): Params;
  /** The params set so far: dotted names, or nested objects with `get(false)`. */
  get(flatten?: boolean): Flags | Record<string, unknown>;
}

/** ml_dash's fluent logging: `experiment.logs.warn("GPU memory low", { free: "1GB" })`. */
export type LogBuilder = Record<LogLevel | "warning", (message: string, metadata?: Record<string, unknown>) => void>;

/** `experiment.run`: call it with the block (ml_dash's decorator and context manager), or start/complete/fail/cancel. */
export interface RunManager {
  <T>(fn: (experiment: Experiment) => T | Promise<T>): Promise<T>;
  start(): Experiment;
  complete(): void;
  fail(error?: unknown): void;
  /** ml_dash's CANCELLED: the run ends `terminated`. */
  cancel(): void;
  /** ml_dash's run.prefix: set it before the run starts, with `{EXP.name}`, `{EXP.id}`, `{EXP.date}` templates if wanted. */
  prefix: string | undefined;
  readonly name: string | undefined;
  readonly owner: string | undefined;
  readonly project: string | undefined;
  /** ml_dash's numeric run id (`{EXP.id}`), made when first asked for; g's own run id is `experiment.id`. */
  readonly id: bigint;
  readonly now: Date;
  readonly date: string;
  readonly datetimeStr: string;
}

const active: Experiment[] = [];
let hooksInstalled = false;
let uncaught: unknown = undefined;
/**
 * By g run directory: the Experiment with a prefix or name that this process
 * attached to that run, until a second one makes every experiment a child run
 * (then it is moved out).
 */
const attachedHere = new Map<string, Experiment>();
/** Messages of that experiment kept to move them into its child run; at most this many. */
const MAX_KEPT_MESSAGES = 10_000;

/** How an experiment tells itself apart from another inside one g run. */
interface Identity {
  prefix: string | null;
  name: string | null;
}

/** What an attached experiment added to the g run's record, to take back when it is moved out. */
interface ParentUndo {
  tags: string[];
  description?: { before: string | undefined; ours: string };
  prefix?: string;
  label?: string;
}

/** How a run ended, kept so a move into a child run can record it. */
type RunEnd = { stopped: string; exit_status: number; error?: string; terminated?: boolean };

/** run.cancel(): the run ends `terminated`, not `error`. */
class Cancelled extends Error {}

/** The innermost started, unfinished experiment of this process, if any. */
export function currentExperiment(): Experiment | undefined {
  return active[active.length - 1];
}

export class Experiment {
  /** Set through `run.prefix` before the run starts (ml_dash's templates). */
  prefix: string | undefined;
  readonly description: string | undefined;
  readonly tags: string[];
  name: string | undefined;
  private readonly fields: () => RunFields;
  readonly params: Params;
  readonly metrics: Metrics;
  readonly files: Files;
  /** ml_dash's Track API: `experiment.tracks("robot/pose").append({ x: 1, _ts: 2 })` (./tracks.ts). */
  readonly tracks: Tracks;
  readonly run: RunManager;
  readonly bindrs: string[];
  readonly metadata: unknown;
  id: string | null = null;
  dir: string | null = null;
  /** True while writing into the enclosing g run; false for a run of its own (standalone, or a child). */
  insideGRun = false;
  /** For a child run of a g run: that run's id. */
  parentId: string | null = null;

  private readonly home: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private started = false;
  private finished = false;
  private row: Record<string, number> = {};
  private rowStep: number | null = null;
  private rowsWritten = 0;
  private paramValues: Flags = {};
  private readonly token = randomBytes(16).toString("hex");
  private parentUndo: ParentUndo | null = null;
  private keptMessages: string[] = [];
  private droppedMessages = 0;
  private startedAt: string | null = null;
  private end: RunEnd | null = null;
  /** Data points appended to each named metric: its step when none is given. */
  private readonly appended = new Map<string, number>();
  /** The last time written, for ml_dash's `_ts: -1`. */
  private lastT: number | null = null;
  private rowT: number | null = null;
  private readonly buffered = new Map<string, Map<string, number[]>>();

  constructor(opts: ExperimentOptions = {}) {
    // ml_dash's remote mode needs its server; g has none and never sends anything anywhere.
    for (const option of ["dashUrl", "remote", "apiKey", "userName"] as const) {
      if (opts[option])
        throw new Error(
          `g-runs: ${option} selects ml_dash's remote server, which g does not have; runs are written to the local store (G_HOME, or localPath/dashRoot)`,
        );
    }
    const roots = [opts.home, opts.localPath, opts.dashRoot].filter((r): r is string => r !== undefined);
    if (new Set(roots).size > 1) throw new Error("g-runs: give the store once: home, localPath or dashRoot");
    if (opts.description !== undefined && opts.readme !== undefined && opts.description !== opts.readme)
      throw new Error("g-runs: give description or readme (the same thing), not both");
    let prefix = opts.prefix;
    if (prefix === undefined && opts.project !== undefined)
      prefix = [String(opts.folder ?? "").replace(/^\/+|\/+$/g, ""), opts.project, opts.name].filter((p) => p).join("/");
    const olderForm = opts.prefix === undefined && opts.project !== undefined;
    // Built on first use (a template, or run.id/run.now): finding the project root walks folders.
    const fieldOptions = { ...opts, project: olderForm ? undefined : opts.project, jobCounter: opts.jobCounter ?? nextJobCounter() };
    let made: RunFields | undefined;
    this.fields = () => (made ??= runFields(fieldOptions));
    if (prefix?.includes("{")) prefix = expandPrefix(prefix, this.fields());
    this.prefix = prefix;
    this.description = opts.description ?? opts.readme;
    this.tags = (opts.tags ?? []).map(String);
    this.bindrs = (opts.bindrs ?? []).map(String);
    this.metadata = opts.metadata;
    this.name = opts.name;
    this.home = roots[0];
    this.env = opts.env ?? process.env;
    this.params = {
      set: (values) => {
        this.setParams(values);
        return this.params;
      },
      log: (values) => this.params.set(values),
      get: (flatten = true) => (flatten ? { ...this.paramValues } : nestParams(this.paramValues)),
    };
    this.metrics = this.metricsFor("");
    const getId = (): string | null => this.id;
    this.files = filesFor({
      openDir: () => {
        this.assertOpen();
        this.start();
        return this.dir!;
      },
      mark: () => this.markFields(),
      get id() {
        return getId();
      },
    });
    this.tracks = tracksFor({
      openDir: () => {
        this.assertOpen();
        this.start();
        return this.dir!;
      },
      readDir: () => {
        if (!this.started) this.start();
        return this.dir!;
      },
      assertOpen: () => this.assertOpen(),
      mark: () => this.markFields(),
      lastTime: () => this.lastT,
      setLastTime: (t) => {
        this.lastT = t;
      },
    });
    const run = (<T>(fn: (experiment: Experiment) => T | Promise<T>) => this.runBlock(fn)) as RunManager;
    run.start = () => this.start();
    run.complete = () => this.finish();
    run.fail = (error?: unknown) => this.finish(error ?? new Error("marked failed with run.fail()"));
    run.cancel = () => this.finish(new Cancelled("cancelled"));
    const fields = this.fields;
    Object.defineProperties(run, {
      prefix: { get: () => this.prefix, set: (value: string | undefined) => this.setPrefix(value), enumerable: true },
      name: { get: () => this.label },
      owner: { get: () => this.owner },
      project: { get: () => this.project },
      id: { get: () => (fields().id ??= newNumericId()) },
      now: { get: () => fields().now },
      date: { get: () => expAttribute(fields(), "date") },
      datetimeStr: { get: () => expAttribute(fields(), "datetime_str") },
    });
    this.run = run;
  }

  /** ml_dash's `run.prefix = "iclr_2024/{EXP.name}"`: `{EXP.attr}` expanded, refused once the run has started. */
  private setPrefix(value: string | undefined): void {
    if (this.started)
      throw new Error("g-runs: cannot change the prefix after the run has started; set run.prefix before run.start() or the run block");
    if (typeof value === "string" && value.includes("{EXP.")) {
      const current: Record<string, unknown> = { ...prefixParts(this.prefix), prefix: this.prefix };
      if (this.label !== undefined) current.name = this.label;
      const fields = this.fields();
      const merged = { ...fields, ...current } as RunFields;
      value = value.replace(EXP_FIELD, (_, name: string) => expAttribute(merged, name));
      if (merged.id && !fields.id) fields.id = merged.id;
    }
    this.prefix = value;
    this.name = undefined;
  }

  /** ml_dash's name: `name` when given, else the prefix's last part. */
  private get label(): string | undefined {
    return (
      this.name ??
      (this.prefix ?? "")
        .split("/")
        .filter((p) => p)
        .pop()
    );
  }

  /** The prefix's first part (ml_dash: `owner/project/.../name`). */
  get owner(): string | undefined {
    return (this.prefix ?? "").split("/").filter((p) => p)[0];
  }

  /** The prefix's second part. */
  get project(): string | undefined {
    return (this.prefix ?? "").split("/").filter((p) => p)[1];
  }

  /** ml_dash's fluent logging: `experiment.logs.info("message", { epoch: 1 })`. */
  get logs(): LogBuilder {
    const write = (level: LogLevel) => (message: string, metadata?: Record<string, unknown>) => {
      this.writeLog(String(message), level, metadata);
    };
    return {
      debug: write("debug"),
      info: write("info"),
      warn: write("warn"),
      warning: write("warn"),
      error: write("error"),
      fatal: write("fatal"),
    };
  }

  /** Writes the metrics row being built (ml_dash's flush of buffered data). */
  flush(): void {
    this.metrics.flush();
  }

  /** `{ exp: token }` on what this experiment writes into a g run it may later leave for a child run. */
  private markFields(): { exp?: string } {
    return this.insideGRun && attachedHere.get(this.dir!) === this ? { exp: this.token } : {};
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /**
   * Runs `fn` as the experiment's run: completed when it returns, error (with
   * the exception's text in run.json) when it throws, and the error rethrown.
   */
  private async runBlock<T>(fn: (experiment: Experiment) => T | Promise<T>): Promise<T> {
    this.start();
    let result: T;
    try {
      result = await fn(this);
    } catch (err) {
      this.finish(err);
      throw err;
    }
    this.finish();
    return result;
  }

  /** Every write goes through here: a finished run takes nothing more, and says so. */
  private assertOpen(): void {
    if (this.finished) throw new Error(`g-runs: run ${this.id} has finished; start a new Experiment to record more`);
  }

  /** Starts the run (once); every write starts it on first use. */
  start(): this {
    this.assertOpen();
    if (this.started) return this;
    this.startedAt = isoNow();
    const runDir = this.env.G_RUN_DIR;
    if (runDir) this.enterGRun(resolve(runDir));
    else this.create();
    this.started = true;
    active.push(this);
    installExitHooks();
    return this;
  }

  /** Ends the run: completed, or error (exit_status 1, `error` field) when given an error. */
  finish(error?: unknown, exitStatus?: number): void {
    if (!this.started || this.finished) return;
    this.flushRow();
    this.finished = true;
    const index = active.indexOf(this);
    if (index >= 0) active.splice(index, 1);
    const failed = error !== undefined;
    // Kept for a move into a child run, should a later experiment cause one.
    const end: RunEnd = { stopped: isoNow(), exit_status: exitStatus ?? (failed ? 1 : 0) };
    if (error instanceof Cancelled) end.terminated = true;
    else if (failed) end.error = describeError(error);
    this.end = end;
    if (this.insideGRun) return;
    const dir = this.dir!;
    withDirLockSync(dir, () => {
      const record = readJson(join(dir, RUN_FILE)) as RunRecord;
      Object.assign(record, end);
      writeJsonAtomic(join(dir, RUN_FILE), record);
    });
    try {
      unlinkSync(join(dir, LOCK_FILE));
    } catch {
      /* already gone */
    }
  }

  /**
   * Logs a message: `log("text", "warn", { epoch: 1 })`. The line goes to
   * output.log (`<time> WARN text {"epoch":1}`) and, as ml_dash keeps it, to
   * logs.jsonl ({timestamp, level, message, metadata}).
   */
  log(message: string, level = "info", metadata?: Record<string, unknown>): this {
    this.writeLog(String(message), checkLevel(level), metadata);
    return this;
  }

  private writeLog(message: string, level: LogLevel, metadata: Record<string, unknown> | undefined): void {
    this.assertOpen();
    const stamp = isoNow();
    const meta =
      metadata !== undefined && Object.keys(metadata).length > 0
        ? (JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>)
        : undefined;
    const line = `${stamp} ${level.toUpperCase()} ${message}${meta ? ` ${JSON.stringify(meta)}` : ""}\n`;
    this.start();
    const entry = { timestamp: stamp, level, message, ...(meta ? { metadata: meta } : {}), ...this.markFields() };
    appendLines(join(this.dir!, SDK_LOGS_FILE), [JSON.stringify(entry) + "\n"]);
    if (this.insideGRun && attachedHere.get(this.dir!) === this) {
      if (this.keptMessages.length < MAX_KEPT_MESSAGES) this.keptMessages.push(line);
      else this.droppedMessages++;
    }
    if (!this.insideGRun) appendLines(join(this.dir!, OUTPUT_FILE), [line]);
    // Under `g run` stdout is shown and teed into the g run's output.log;
    // writing that file directly could land inside one of the runner's partial lines.
    // Errors go to stderr, as ml_dash prints them.
    if (this.insideGRun || this.parentId !== null) (level === "error" || level === "fatal" ? process.stderr : process.stdout).write(line);
  }

  /** Writes scalars now, unbuffered; a `step` entry is the step (null when absent). */
  logScalars(values: MetricValues): this {
    this.assertOpen();
    const { step, rest } = splitStep(values);
    return this.writeScalars(toNumbers(rest), step);
  }

  private writeScalars(values: Record<string, number>, step: number | null, at?: number): this {
    const t = at ?? Date.now() / 1000;
    if (Object.keys(values).length === 0) return this;
    this.start();
    // Lines this experiment writes into a g run carry its token, so they can be
    // moved into a child run if the script starts another experiment.
    const mark = this.markFields();
    const lines = Object.entries(values).map(
      ([key, value]) => JSON.stringify({ key, value, step, t, ...mark } satisfies ScalarRecord) + "\n",
    );
    // One write for the whole row: concurrent writers interleave rows, never bytes.
    appendLines(join(this.dir!, SCALARS_FILE), [lines.join("")]);
    return this;
  }

  private metricsFor(namespace: string): Metrics {
    const writer = (name: string, info?: { description?: string; tags?: string[]; metadata?: unknown }): Metrics => {
      const part = String(name).replace(/^\/+|\/+$/g, "");
      if (part && info !== undefined) this.describeMetric(`${namespace}${part}`, info);
      return this.metricsFor(part ? `${namespace}${part}/` : namespace);
    };
    const metrics = writer as Metrics;
    metrics.log = (values: MetricRow) => {
      this.assertOpen();
      const flat: MetricValues = {};
      for (const [key, value] of Object.entries(values)) {
        if (value !== null && typeof value === "object") for (const [inner, v] of Object.entries(value)) flat[`${key}/${inner}`] = v;
        else flat[key] = value;
      }
      const { _ts, ...withStep } = flat;
      const at = this.resolveTs(_ts);
      const { step, rest } = splitStep(withStep);
      const named: Record<string, number> = {};
      for (const [key, value] of Object.entries(toNumbers(rest))) named[namespace + key] = value;
      this.bufferRow(named, step, at);
      return metrics;
    };
    metrics.flush = () => {
      this.assertOpen();
      this.flushRow();
      return metrics;
    };
    const target = (name: string | undefined, what: string): string => {
      if (namespace !== "") {
        if (name !== undefined) throw new TypeError(`g-runs: metrics("${namespace.slice(0, -1)}").${what}() already names its metric`);
        return namespace.slice(0, -1);
      }
      if (name === undefined) throw new TypeError(`g-runs: metrics.${what}() needs a name first, or use metrics(NAME).${what}()`);
      return String(name).replace(/^\/+|\/+$/g, "");
    };
    metrics.append = (nameOrValues: string | MetricValues, values?: MetricValues) => {
      const named = typeof nameOrValues === "string";
      const data = named ? values : nameOrValues;
      if (data === undefined || Object.keys(data).length === 0)
        throw new Error("g-runs: append() needs values, e.g. append({ value: 0.5, step: 1 })");
      return this.appendPoint(target(named ? nameOrValues : undefined, "append"), data);
    };
    metrics.appendBatch = (nameOrPoints: string | MetricValues[], points?: MetricValues[]) => {
      const named = typeof nameOrPoints === "string";
      const list = named ? points : nameOrPoints;
      const name = target(named ? nameOrPoints : undefined, "appendBatch");
      if (!Array.isArray(list)) throw new TypeError("g-runs: appendBatch() takes an array of data points, e.g. [{ value: 0.5, step: 1 }]");
      for (const point of list) this.appendPoint(name, point);
      return { count: list.length, name };
    };
    metrics.read = (startIndex = 0, limit = 1000) => {
      const points = this.series(namespace);
      const data = points.slice(startIndex, startIndex + limit);
      return {
        data,
        startIndex,
        endIndex: startIndex + data.length - 1,
        total: data.length,
        hasMore: startIndex + data.length < points.length,
      };
    };
    metrics.stats = () => {
      const points = this.series(namespace);
      return {
        name: namespace.slice(0, -1) || null,
        totalDataPoints: points.length,
        firstDataAt: points[0]?.createdAt ?? null,
        lastDataAt: points[points.length - 1]?.createdAt ?? null,
      };
    };
    metrics.listAll = () => {
      const names = new Set<string>();
      for (const line of this.readOwnScalars()) names.add(line.key.includes("/") ? line.key.slice(0, line.key.lastIndexOf("/")) : line.key);
      return [...names].sort().map((name) => ({ name, totalDataPoints: this.series(`${name}/`).length }));
    };
    const keep = ((values: MetricValues) => {
      const bucket = this.buffered.get(namespace) ?? new Map<string, number[]>();
      this.buffered.set(namespace, bucket);
      for (const [key, value] of Object.entries(values)) {
        const n = value === null || value === undefined ? NaN : (toNumbers({ [namespace + key]: value })[namespace + key] ?? NaN);
        bucket.set(key, [...(bucket.get(key) ?? []), n]);
      }
      return metrics;
    }) as MetricBuffer;
    keep.logSummary = (...args) => {
      const extra = args.find((a): a is MetricValues => typeof a === "object") ?? {};
      const aggs = args.filter((a): a is SummaryAggregation => typeof a === "string");
      for (const agg of aggs)
        if (!(SUMMARY_AGGREGATIONS as readonly string[]).includes(agg))
          throw new Error(`g-runs: unknown aggregation "${agg}"; use ${SUMMARY_AGGREGATIONS.join(", ")}`);
      for (const [ns, bucket] of this.buffered) {
        const out: MetricValues = { ...extra };
        for (const [key, values] of bucket)
          for (const [agg, v] of Object.entries(summarize(values, aggs.length > 0 ? aggs : ["mean"]))) out[`${key}.${agg}`] = v;
        if (Object.keys(out).length > 0) this.metricsFor(ns).log(out);
      }
      this.buffered.clear();
    };
    keep.peek = (prefix?: string | null, ...keys: string[]) => {
      const ns = prefix === undefined || prefix === null ? namespace : `${String(prefix).replace(/^\/+|\/+$/g, "")}/`.replace(/^\/$/, "");
      const out: Record<string, number[]> = {};
      for (const [key, values] of this.buffered.get(ns) ?? []) if (keys.length === 0 || keys.includes(key)) out[key] = values.slice(-5);
      return out;
    };
    Object.defineProperty(metrics, "buffer", { value: keep, enumerable: true });
    return metrics;
  }

  /** ml_dash's `_ts`: seconds since the epoch, or -1 for the previous point's time. */
  private resolveTs(ts: unknown): number | undefined {
    if (ts === undefined || ts === null) return undefined;
    if (typeof ts !== "number" || !Number.isFinite(ts))
      throw new TypeError(`g-runs: _ts must be seconds since the epoch or -1, got ${JSON.stringify(ts)}`);
    return ts === -1 ? (this.lastT ?? undefined) : ts;
  }

  /** One data point now: `value` under the metric's own name, other fields as name/field (see docs/sdk.md). */
  private appendPoint(name: string, data: MetricValues): { index: number; name: string | null } {
    this.assertOpen();
    const { _ts, ...withStep } = data;
    const at = this.resolveTs(_ts);
    const { step, rest } = splitStep(withStep);
    const values: Record<string, number> = {};
    for (const [key, value] of Object.entries(toNumbers(rest))) values[name ? (key === "value" ? name : `${name}/${key}`) : key] = value;
    const epoch = rest.epoch;
    const count = this.appended.get(name) ?? 0;
    this.appended.set(name, count + 1);
    this.lastT = at ?? Date.now() / 1000;
    const chosen = step ?? (typeof epoch === "number" && Number.isInteger(epoch) ? epoch : count);
    this.writeScalars(values, chosen, this.lastT);
    return { index: count, name: name || null };
  }

  /** This experiment's lines of scalars.jsonl (inside a g run, only those it marked). */
  private readOwnScalars(): ScalarRecord[] {
    this.start();
    const mark = this.markFields().exp;
    let text = "";
    try {
      text = readFileSync(join(this.dir!, SCALARS_FILE), "utf8");
    } catch {
      return [];
    }
    const out: ScalarRecord[] = [];
    for (const line of text.split("\n")) {
      if (line === "") continue;
      try {
        const rec = JSON.parse(line) as ScalarRecord;
        if (typeof rec.key === "string" && (mark === undefined || rec.exp === mark)) out.push(rec);
      } catch {
        /* a torn last line */
      }
    }
    return out;
  }

  /** A metric's data points: values written together (same time and step) form one point. */
  private series(namespace: string): MetricPoint[] {
    const base = namespace.replace(/\/$/, "");
    const points: MetricPoint[] = [];
    let last: { t: number; step: number | null; point: MetricPoint } | null = null;
    for (const rec of this.readOwnScalars()) {
      let field: string;
      if (base) {
        if (rec.key === base) field = "value";
        else if (rec.key.startsWith(`${base}/`)) field = rec.key.slice(base.length + 1);
        else continue;
      } else if (rec.key.includes("/")) continue;
      else field = rec.key;
      if (last === null || last.t !== rec.t || last.step !== rec.step || field in last.point.data) {
        const point: MetricPoint = { index: points.length, data: rec.step !== null ? { step: rec.step } : {}, createdAt: rec.t };
        points.push(point);
        last = { t: rec.t, step: rec.step, point };
      }
      last.point.data[field] = rec.value;
    }
    return points;
  }

  /** Keeps a named metric's ml_dash options (description, tags, metadata) in run.json's `metrics`. */
  private describeMetric(name: string, info: { description?: string; tags?: string[]; metadata?: unknown }): void {
    this.start();
    if (this.insideGRun) return;
    const dir = this.dir!;
    withDirLockSync(dir, () => {
      const record = readJson(join(dir, RUN_FILE)) as RunRecord;
      const metrics = (record.metrics ?? {}) as Record<string, unknown>;
      metrics[name] = { description: info.description ?? null, tags: (info.tags ?? []).map(String), metadata: info.metadata ?? null };
      record.metrics = metrics;
      writeJsonAtomic(join(dir, RUN_FILE), record);
    });
  }

  private bufferRow(values: Record<string, number>, step: number | null, at?: number): void {
    // A key logged twice before a flush starts a new row rather than overwriting.
    if (Object.keys(values).some((k) => k in this.row)) this.flushRow();
    Object.assign(this.row, values);
    if (step !== null) this.rowStep = step;
    if (at !== undefined) this.rowT = at;
  }

  private flushRow(): void {
    const row = this.row;
    if (Object.keys(row).length === 0) return;
    const step = this.rowStep ?? epochOf(row) ?? this.rowsWritten;
    const at = this.rowT ?? Date.now() / 1000;
    this.row = {};
    this.rowStep = null;
    this.rowT = null;
    this.rowsWritten += 1;
    this.lastT = at;
    this.writeScalars(row, step, at);
  }

  private setParams(values: ParamValues): void {
    this.assertOpen();
    const flat = flattenParams(values);
    this.start();
    Object.assign(this.paramValues, flat);
    const dir = this.dir!;
    withDirLockSync(dir, () => {
      if (this.insideGRun) {
        const path = join(dir, PARAMS_FILE);
        const params = (readJson(path, {}) ?? {}) as Flags;
        writeJsonAtomic(path, { ...params, ...flat });
      } else {
        const path = join(dir, RUN_FILE);
        const record = readJson(path) as RunRecord;
        record.flags = { ...(record.flags ?? {}), ...flat };
        writeJsonAtomic(path, record);
      }
    });
  }

  /** Inside `g run`: write into that run, or become a child run of it (see the module comment). */
  private enterGRun(runDir: string): void {
    const identity = this.identity();
    if (identity === null) {
      // No prefix or name (the short forms' default too): always the g run itself.
      this.attach(runDir);
      return;
    }
    const parentId = this.env.G_RUN_ID || basename(runDir);
    const attach = withDirLockSync(runDir, () => {
      const path = join(runDir, RUN_FILE);
      const record = readJson(path) as RunRecord;
      const first = record.sdk_experiment as Identity | undefined;
      const same = first !== undefined && first.prefix === identity.prefix && first.name === identity.name;
      if (!record.sdk_children && (first === undefined || same)) {
        if (first === undefined) record.sdk_experiment = identity;
        this.parentUndo = describeParent(record, this.tags, this.description, this.prefix, this.name);
        writeJsonAtomic(path, record);
        this.insideGRun = true;
        this.dir = runDir;
        this.id = parentId;
        if (first === undefined) attachedHere.set(runDir, this);
        return true;
      }
      // A second experiment: from now on every one is a child run of the g run.
      record.sdk_children = true;
      const moving = attachedHere.get(runDir);
      if (moving) moving.undoParent(record);
      writeJsonAtomic(path, record);
      if (moving) {
        attachedHere.delete(runDir);
        moving.moveOut(runDir, parentId);
      }
      return false;
    });
    if (!attach) this.create({ parentId, home: homeOf(runDir) });
  }

  private identity(): Identity | null {
    if (!this.prefix && this.name === undefined) return null;
    return { prefix: this.prefix || null, name: this.name ?? null };
  }

  /** Takes back what this experiment wrote into the g run's record (under its lock). */
  private undoParent(record: RunRecord): void {
    undoDescribe(record, this.parentUndo ?? { tags: [] });
    delete record.sdk_experiment;
    this.parentUndo = null;
  }

  /** Moves this experiment's params, metrics and messages out of the g run into a child run; called holding its lock. */
  private moveOut(runDir: string, parentId: string): void {
    const params = { ...this.paramValues };
    this.create({ parentId, home: homeOf(runDir), flags: params, created: this.startedAt ?? undefined, end: this.end ?? undefined });
    const paramsPath = join(runDir, PARAMS_FILE);
    const values = readJson(paramsPath, null) as Flags | null;
    if (values && Object.keys(params).length > 0) {
      for (const [key, value] of Object.entries(params)) if (key in values && values[key] === value) delete values[key];
      if (Object.keys(values).length > 0) writeJsonAtomic(paramsPath, values);
      else unlinkSync(paramsPath);
    }
    const moved = moveMarkedLines(join(runDir, SCALARS_FILE), this.token);
    if (moved.length > 0) appendLines(join(this.dir!, SCALARS_FILE), [moved.join("")]);
    const logs = moveMarkedLines(join(runDir, SDK_LOGS_FILE), this.token);
    if (logs.length > 0) appendLines(join(this.dir!, SDK_LOGS_FILE), [logs.join("")]);
    const tracks = moveMarkedLines(join(runDir, SDK_TRACKS_FILE), this.token);
    if (tracks.length > 0) appendLines(join(this.dir!, SDK_TRACKS_FILE), [tracks.join("")]);
    moveFiles(this.token, runDir, this.dir!);
    const messages = [...this.keptMessages];
    if (this.droppedMessages > 0)
      messages.unshift(`${isoNow()} INFO (${this.droppedMessages} earlier messages are in the output.log of run ${parentId})\n`);
    if (messages.length > 0) appendLines(join(this.dir!, OUTPUT_FILE), [messages.join("")]);
    this.keptMessages = [];
    this.insideGRun = false;
  }

  private create(opts: { parentId?: string; home?: string; flags?: Flags; created?: string; end?: RunEnd } = {}): void {
    const runs = join(resolve(opts.home ?? this.home ?? resolveHome(this.env)), "runs");
    mkdirSync(runs, { recursive: true });
    const id = newRunId();
    const { op, label } = opAndLabel(this.prefix, this.name);
    const now = opts.created ?? isoNow();
    const record: RunRecord = {
      format: STORE_FORMAT,
      id,
      op,
      cmd: [...process.argv],
      cwd: process.cwd(),
      flags: { ...(opts.flags ?? {}) },
      created: now,
      started: now,
      stopped: null,
      exit_status: null,
      label,
      tags: [...this.tags],
      sdk: "typescript",
    };
    if (this.prefix) record.prefix = this.prefix;
    if (this.description) record.description = this.description;
    if (this.bindrs.length > 0) record.bindrs = [...this.bindrs];
    if (this.metadata !== undefined) record.metadata = JSON.parse(JSON.stringify(this.metadata)) as unknown;
    if (opts.parentId) {
      record.parent = opts.parentId;
      this.parentId = opts.parentId;
    }
    if (opts.end) Object.assign(record, opts.end);
    // Built under a name the store skips, then renamed: readers never see a
    // run without its run.json or its LOCK (which would read as `error`).
    const building = join(runs, `.new-${id}`);
    mkdirSync(building);
    if (!opts.end) writeJsonAtomic(join(building, LOCK_FILE), { pid: process.pid, host: hostname() } satisfies RunLock);
    writeJsonAtomic(join(building, RUN_FILE), record);
    const dir = join(runs, id);
    renameSync(building, dir);
    this.id = id;
    this.dir = dir;
  }

  /** Writes into the g run itself (an experiment without prefix or name). */
  private attach(runDir: string): void {
    this.insideGRun = true;
    this.dir = resolve(runDir);
    this.id = this.env.G_RUN_ID || basename(this.dir);
    if (this.tags.length === 0 && !this.description) return;
    const dir = this.dir;
    withDirLockSync(dir, () => {
      const path = join(dir, RUN_FILE);
      const record = readJson(path) as RunRecord;
      describeParent(record, this.tags, this.description, undefined, undefined);
      writeJsonAtomic(path, record);
    });
  }
}

/** A log level as stored (lower case); anything but ml_dash's five levels throws. */
export function checkLevel(level: string): LogLevel {
  let name = String(level).toLowerCase();
  if (name === "warning") name = "warn";
  if (!(LOG_LEVELS as readonly string[]).includes(name))
    throw new Error(`g-runs: invalid log level "${level}"; use one of ${LOG_LEVELS.join(", ")}`);
  return name as LogLevel;
}

/** ml_dash's decorator: `mlDashExperiment({ prefix })(fn)` runs fn(experiment, ...args) in a new Experiment per call. */
export function mlDashExperiment(opts: ExperimentOptions) {
  return <A extends unknown[], T>(fn: (experiment: Experiment, ...args: A) => T | Promise<T>) =>
    (...args: A): Promise<T> =>
      new Experiment(opts).run((experiment) => fn(experiment, ...args));
}

/** `{ "model.depth": 3 }` → `{ model: { depth: 3 } }` (ml_dash's params.get(flatten=False)). */
function nestParams(flat: Flags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const child = node[part];
      node = (child !== null && typeof child === "object" ? child : (node[part] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  return out;
}

/** The step a row's epoch gives: `epoch`, else a namespaced `.../epoch`, when it is a whole number. */
function epochOf(row: Record<string, number>): number | null {
  if (Number.isInteger(row.epoch)) return row.epoch!;
  for (const [key, value] of Object.entries(row)) if (key.endsWith("/epoch") && Number.isInteger(value)) return value;
  return null;
}

/** ml_dash's summary statistics of buffered values (NaN left out). */
function summarize(values: number[], aggs: string[]): Record<string, number> {
  const clean = values.filter((v) => !Number.isNaN(v));
  if (clean.length === 0) return {};
  const sorted = [...clean].sort((a, b) => a - b);
  const mean = clean.reduce((a, b) => a + b, 0) / clean.length;
  const pct = (p: number): number => {
    const k = ((sorted.length - 1) * p) / 100;
    const lo = Math.floor(k);
    const hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo]! + (k - lo) * (sorted[hi]! - sorted[lo]!);
  };
  const out: Record<string, number> = {};
  for (const agg of aggs) {
    if (agg === "mean") out[agg] = mean;
    else if (agg === "std")
      out[agg] = clean.length > 1 ? Math.sqrt(clean.reduce((a, v) => a + (v - mean) ** 2, 0) / (clean.length - 1)) : 0;
    else if (agg === "min") out[agg] = sorted[0]!;
    else if (agg === "max") out[agg] = sorted[sorted.length - 1]!;
    else if (agg === "count") out[agg] = clean.length;
    else if (agg === "median" || agg === "p50") out[agg] = pct(50);
    else if (agg === "sum") out[agg] = clean.reduce((a, b) => a + b, 0);
    else if (agg === "p90" || agg === "p95" || agg === "p99") out[agg] = pct(Number(agg.slice(1)));
    else if (agg === "first") out[agg] = clean[0]!;
    else if (agg === "last") out[agg] = clean[clean.length - 1]!;
  }
  return out;
}

/** The store a run directory belongs to: $G_HOME/runs/<id> → $G_HOME. */
function homeOf(runDir: string): string {
  return dirname(dirname(resolve(runDir)));
}

/** Adds an experiment's tags, description, prefix and label to a g run's record; returns what to undo. */
function describeParent(
  record: RunRecord,
  tags: string[],
  description: string | undefined,
  prefix: string | undefined,
  name: string | undefined,
): ParentUndo {
  const recordTags = (record.tags ??= []);
  const undo: ParentUndo = { tags: tags.filter((t, i) => !recordTags.includes(t) && tags.indexOf(t) === i) };
  recordTags.push(...undo.tags);
  if (description) {
    undo.description = { before: record.description, ours: description };
    record.description = description;
  }
  if (prefix && !record.prefix) {
    undo.prefix = prefix;
    record.prefix = prefix;
  }
  const label = prefix || name !== undefined ? opAndLabel(prefix, name).label : "";
  // A label given to `g run` wins over the experiment's name.
  if (label && !record.label) {
    undo.label = label;
    record.label = label;
  }
  return undo;
}

/** Takes back what describeParent added, where nobody changed it since. */
function undoDescribe(record: RunRecord, undo: ParentUndo): void {
  record.tags = (record.tags ?? []).filter((t) => !undo.tags.includes(t));
  if (undo.description && record.description === undo.description.ours) {
    if (undo.description.before === undefined) delete record.description;
    else record.description = undo.description.before;
  }
  if (undo.prefix !== undefined && record.prefix === undo.prefix) delete record.prefix;
  if (undo.label !== undefined && record.label === undo.label) record.label = "";
}

/** Nested objects become dotted names; values become flag values (string, number, boolean, null). */
export function flattenParams(values: ParamValues, prefix = ""): Flags {
  const out: Flags = {};
  for (const [key, value] of Object.entries(values)) {
    const name = `${prefix}${key}`;
    if (isPlainObject(value)) {
      Object.assign(out, flattenParams(value as ParamValues, `${name}.`));
    } else {
      out[name] = toFlagValue(name, value);
    }
  }
  return out;
}

function isPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A param as a flag value; anything JSON cannot hold as the user meant it throws. */
function toFlagValue(name: string, value: unknown): FlagValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new RangeError(`g-runs: param "${name}" is ${value}; flags hold finite numbers (JSON has no NaN or Infinity)`);
    return value;
  }
  if (typeof value === "bigint") return bigintToNumber(`param "${name}"`, value);
  if (Array.isArray(value)) return JSON.stringify(toJsonValue(name, value));
  throw new TypeError(
    `g-runs: param "${name}" must be text, a number, a boolean, null, an array or a plain object, got ${describeType(value)}; pass String(value) to record its text`,
  );
}

/** `value` checked to be plain JSON (what an array param is stored as). */
function toJsonValue(name: string, value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`g-runs: param "${name}" holds ${value}; JSON has no NaN or Infinity`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => toJsonValue(name, v));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toJsonValue(name, v)]));
  throw new TypeError(`g-runs: param "${name}" holds ${describeType(value)}, which JSON cannot store`);
}

function describeType(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "object" && value !== null) return `an object of type ${value.constructor?.name ?? "Object"}`;
  return `a ${typeof value}`;
}

function bigintToNumber(what: string, value: bigint): number {
  const n = Number(value);
  // Exact when the double holds it (2n ** 60n does), whatever its size; a lossy one is refused.
  if (!Number.isFinite(n) || BigInt(n) !== value) throw new RangeError(`g-runs: ${what} is ${value}, too large to store exactly`);
  return n;
}

/** Takes the `step` entry out of metric values; a step is a whole number or absent. */
function splitStep(values: MetricValues): { step: number | null; rest: MetricValues } {
  const { step, ...rest } = values;
  if (step === undefined || step === null) return { step: null, rest };
  let n: number;
  if (typeof step === "number") n = step;
  else if (typeof step === "bigint") n = bigintToNumber("step", step);
  else throw new TypeError(`g-runs: step must be a whole number, got ${typeof step} ${JSON.stringify(step)}`);
  if (!Number.isInteger(n)) throw new TypeError(`g-runs: step must be a whole number, got ${n}`);
  return { step: n, rest };
}

function toNumbers(values: MetricValues): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined) continue;
    let n: number;
    if (typeof value === "number") n = value;
    else if (typeof value === "boolean") n = value ? 1 : 0;
    else if (typeof value === "bigint") n = bigintToNumber(`metric "${key}"`, value);
    else throw new TypeError(`g-runs: metric "${key}" must be a number, got ${typeof value} ${JSON.stringify(value)}`);
    // JSON has no NaN or Infinity; like g's output parser, such values are not recorded.
    if (Number.isFinite(n)) out[key] = n;
  }
  return out;
}

/** op: the prefix without its last part (the project); label: the name, else the last part. */
export function opAndLabel(prefix: string | undefined, name: string | undefined): { op: string; label: string } {
  const parts = (prefix ?? "").split("/").filter((p) => p !== "");
  if (parts.length === 0) {
    const script = process.argv[1] ? basename(process.argv[1]) : "";
    return { op: script || "node", label: name ?? "" };
  }
  return { op: parts.slice(0, -1).join("/") || parts[parts.length - 1]!, label: name ?? parts[parts.length - 1]! };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message ? `${error.name}: ${error.message}` : error.name;
  return String(error);
}

function readJson(path: string, fallback?: unknown): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (err) {
    if (fallback !== undefined) return fallback;
    throw new Error(`g-runs: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Once per process: runs still open when the process exits are finished with its exit code. */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("uncaughtExceptionMonitor", (err) => {
    uncaught ??= err;
  });
  process.on("exit", (code) => {
    for (const exp of [...active].reverse()) {
      const error = uncaught ?? (code !== 0 ? new Error(`process exited with status ${code}`) : undefined);
      try {
        exp.finish(error, code !== 0 ? code : error !== undefined ? 1 : 0);
      } catch (err) {
        process.stderr.write(`g-runs: could not finish run ${exp.id}: ${(err as Error).message}\n`);
      }
    }
  });
}
