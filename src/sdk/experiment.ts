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
import { STORE_FORMAT, type FlagValue, type Flags, type RunRecord, type ScalarRecord } from "../store/types.js";
import { moveMarkedLines } from "./move-lines.js";

export const PARAMS_FILE = "params.json";

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
}

/** A metric value: numbers, booleans (1/0) and bigints are recorded; non-finite numbers are skipped. */
export type MetricValue = number | boolean | bigint;
/** Metric values by name; a `step` entry is the step, not a metric. */
export type MetricValues = Record<string, MetricValue | null | undefined>;
/** Param values; nested objects become dotted names (`{model: {depth: 3}}` → `model.depth`). */
export interface ParamValues {
  [name: string]: unknown;
}

export interface MetricsWriter {
  /** Adds values to the row being built; a key the row already holds writes the row first. */
  log(values: MetricValues): MetricsWriter;
  /** Writes the row: every value with one step (see docs/sdk.md). */
  flush(): MetricsWriter;
}

/** `experiment.metrics("train")` for a namespace, `experiment.metrics.log(...)` for none. */
export type Metrics = ((namespace: string) => Metrics) & MetricsWriter;

export interface Params {
  /** Merges values into the run's flags (params.json inside `g run`). */
  set(values: ParamValues): Params;
  get(): Flags;
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

/** The innermost started, unfinished experiment of this process, if any. */
export function currentExperiment(): Experiment | undefined {
  return active[active.length - 1];
}

export class Experiment {
  readonly prefix: string | undefined;
  readonly description: string | undefined;
  readonly tags: string[];
  readonly name: string | undefined;
  readonly params: Params;
  readonly metrics: Metrics;
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

  constructor(opts: ExperimentOptions = {}) {
    this.prefix = opts.prefix;
    this.description = opts.description;
    this.tags = (opts.tags ?? []).map(String);
    this.name = opts.name;
    this.home = opts.home;
    this.env = opts.env ?? process.env;
    this.params = {
      set: (values) => {
        this.setParams(values);
        return this.params;
      },
      get: () => ({ ...this.paramValues }),
    };
    this.metrics = this.metricsFor("");
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /**
   * Runs `fn` as the experiment's run: completed when it returns, error (with
   * the exception's text in run.json) when it throws, and the error rethrown.
   */
  async run<T>(fn: (experiment: Experiment) => T | Promise<T>): Promise<T> {
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
    if (failed) end.error = describeError(error);
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

  /** Appends a timestamped line to the run's output.log. */
  log(message: string, level = "info"): this {
    this.assertOpen();
    const line = `${isoNow()} ${level.toUpperCase()} ${message}\n`;
    this.start();
    if (this.insideGRun && attachedHere.get(this.dir!) === this) {
      if (this.keptMessages.length < MAX_KEPT_MESSAGES) this.keptMessages.push(line);
      else this.droppedMessages++;
    }
    if (!this.insideGRun) appendLines(join(this.dir!, OUTPUT_FILE), [line]);
    // Under `g run` stdout is shown and teed into the g run's output.log;
    // writing that file directly could land inside one of the runner's partial lines.
    if (this.insideGRun || this.parentId !== null) process.stdout.write(line);
    return this;
  }

  /** Writes scalars now, unbuffered; a `step` entry is the step (null when absent). */
  logScalars(values: MetricValues): this {
    this.assertOpen();
    const { step, rest } = splitStep(values);
    return this.writeScalars(toNumbers(rest), step);
  }

  private writeScalars(values: Record<string, number>, step: number | null): this {
    const t = Date.now() / 1000;
    if (Object.keys(values).length === 0) return this;
    this.start();
    // Lines this experiment writes into a g run carry its token, so they can be
    // moved into a child run if the script starts another experiment.
    const mark = this.insideGRun && attachedHere.get(this.dir!) === this ? { exp: this.token } : {};
    const lines = Object.entries(values).map(
      ([key, value]) => JSON.stringify({ key, value, step, t, ...mark } satisfies ScalarRecord) + "\n",
    );
    // One write for the whole row: concurrent writers interleave rows, never bytes.
    appendLines(join(this.dir!, SCALARS_FILE), [lines.join("")]);
    return this;
  }

  private metricsFor(namespace: string): Metrics {
    const writer = (name: string): Metrics => {
      const part = String(name).replace(/^\/+|\/+$/g, "");
      return this.metricsFor(part ? `${namespace}${part}/` : namespace);
    };
    const metrics = writer as Metrics;
    metrics.log = (values: MetricValues) => {
      this.assertOpen();
      const { step, rest } = splitStep(values);
      const named: Record<string, number> = {};
      for (const [key, value] of Object.entries(toNumbers(rest))) named[namespace + key] = value;
      this.bufferRow(named, step);
      return metrics;
    };
    metrics.flush = () => {
      this.assertOpen();
      this.flushRow();
      return metrics;
    };
    return metrics;
  }

  private bufferRow(values: Record<string, number>, step: number | null): void {
    // A key logged twice before a flush starts a new row rather than overwriting.
    if (Object.keys(values).some((k) => k in this.row)) this.flushRow();
    Object.assign(this.row, values);
    if (step !== null) this.rowStep = step;
  }

  private flushRow(): void {
    const row = this.row;
    if (Object.keys(row).length === 0) return;
    const epoch = row.epoch;
    const step = this.rowStep ?? (epoch !== undefined && Number.isInteger(epoch) ? epoch : this.rowsWritten);
    this.row = {};
    this.rowStep = null;
    this.rowsWritten += 1;
    this.writeScalars(row, step);
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
  if (!Number.isSafeInteger(n)) throw new RangeError(`g-runs: ${what} is ${value}, too large to store exactly`);
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
