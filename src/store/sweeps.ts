// Sweeps in the store, shared by `g sweep`, `g sweeps` and `g agent`:
//
//   $G_HOME/sweeps/<id>/     id: 8 lowercase hex characters
//     sweep.json             the sweep: state, parsed config, seed, cwd (replaced atomically)
//     sweep.yaml             the file as given
//     trials.jsonl           append-only: {"trial": n, "run": id} per claimed trial
//     .lock                  proper-lockfile's lock while an agent claims a trial
//
// A trial is an ordinary run (op `sweep:<id>:<program>`, `sweep` = id,
// `trial` = n); its status is derived from the run store like any run's.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { NotFoundError, UsageError } from "../errors.js";
import { parseSweepConfig, sweepGridSize, type SweepConfig } from "../flags/sweep-config.js";
import { appendLines, writeJsonAtomic } from "./fs-atomic.js";
import { RunStore, withDirLock } from "./store.js";
import type { Run, RunStatus } from "./types.js";
import { toStoreWriteError } from "./write-errors.js";

export const SWEEP_ID_PATTERN = /^[0-9a-f]{8}$/;
export const SWEEP_FILE = "sweep.json";
export const SWEEP_CONFIG_FILE = "sweep.yaml";
export const TRIALS_FILE = "trials.jsonl";
export const SWEEP_FORMAT = 1 as const;

/** What the user set; `finished` is derived (see sweepState). */
export type SweepStoredState = "running" | "stopped" | "cancelled";
export type SweepState = SweepStoredState | "finished";

export interface SweepRecord {
  format: typeof SWEEP_FORMAT;
  id: string;
  created: string;
  state: SweepStoredState;
  /** The YAML file as the user named it, and the directory `g sweep` ran in. */
  file: string;
  cwd: string;
  /** Seeds the trials' random draws: trial n uses seedrandom(`${seed}:${n}`). */
  seed: number;
  config: SweepConfig;
}

export interface Sweep {
  id: string;
  dir: string;
  record: SweepRecord;
}

export interface TrialEntry {
  trial: number;
  run: string;
}

/** A claimed trial as read back: its run (null when the run was deleted). */
export interface Trial extends TrialEntry {
  record: Run | null;
  /** The agent died while it ran (its LOCK names a dead process): to be run again. */
  orphaned: boolean;
  /** An orphaned trial that another run now stands for. */
  superseded: boolean;
}

export interface SweepCounts {
  /** Trials that count: claimed, not superseded. */
  claimed: number;
  running: number;
  completed: number;
  error: number;
  earlyStopped: number;
  terminated: number;
  orphaned: number;
  /** Combinations (grid) or run_cap; null when unbounded. */
  total: number | null;
}

export function sweepsRoot(home: string): string {
  return join(home, "sweeps");
}

export function sweepDir(home: string, id: string): string {
  if (!SWEEP_ID_PATTERN.test(id)) throw new UsageError(`"${id}" is not a sweep id (8 lowercase hex characters, as printed by g sweep)`);
  return join(sweepsRoot(home), id);
}

/** Reads a sweep by id or unique prefix; NotFoundError (exit 3) when there is none. */
export function readSweep(home: string, spec: string): Sweep {
  const wanted = spec.trim().toLowerCase();
  if (!/^[0-9a-f]{1,8}$/.test(wanted)) throw new UsageError(`"${spec}" is not a sweep id; g sweeps lists them`);
  let id = wanted;
  if (wanted.length < 8) {
    const hits = listSweepIds(home).filter((s) => s.startsWith(wanted));
    if (hits.length > 1) throw new UsageError(`sweep id "${spec}" is ambiguous (${hits.join(", ")}); give more characters`);
    if (hits.length === 0) throw new NotFoundError(`no sweep ${spec}; g sweeps lists them`);
    id = hits[0]!;
  }
  const dir = sweepDir(home, id);
  if (!existsSync(join(dir, SWEEP_FILE))) throw new NotFoundError(`no sweep ${spec}; g sweeps lists them`);
  try {
    return { id, dir, record: readSweepRecord(dir, id) };
  } catch (err) {
    throw new NotFoundError(`sweep ${id} cannot be read (${join(dir, SWEEP_FILE)}): ${(err as Error).message}`);
  }
}

function readSweepRecord(dir: string, id: string): SweepRecord {
  const value = JSON.parse(readFileSync(join(dir, SWEEP_FILE), "utf8")) as SweepRecord;
  if (value.format !== SWEEP_FORMAT || value.id !== id || !value.config) throw new Error(`${join(dir, SWEEP_FILE)} is not a sweep of format ${SWEEP_FORMAT}`);
  return value;
}

function listSweepIds(home: string): string[] {
  try {
    return readdirSync(sweepsRoot(home)).filter((n) => SWEEP_ID_PATTERN.test(n));
  } catch {
    return [];
  }
}

/** Every readable sweep, newest first; unreadable ones become warnings. */
export function listSweeps(home: string): { sweeps: Sweep[]; warnings: string[] } {
  const sweeps: Sweep[] = [];
  const warnings: string[] = [];
  for (const id of listSweepIds(home)) {
    const dir = join(sweepsRoot(home), id);
    try {
      sweeps.push({ id, dir, record: readSweepRecord(dir, id) });
    } catch (err) {
      warnings.push(`skipping damaged sweep ${dir}: ${(err as Error).message}`);
    }
  }
  sweeps.sort((a, b) => (a.record.created < b.record.created ? 1 : a.record.created > b.record.created ? -1 : 0));
  return { sweeps, warnings };
}

export function readTrialEntries(dir: string): TrialEntry[] {
  let text: string;
  try {
    text = readFileSync(join(dir, TRIALS_FILE), "utf8");
  } catch {
    return [];
  }
  const out: TrialEntry[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const e = JSON.parse(line) as TrialEntry;
      if (Number.isInteger(e.trial) && typeof e.run === "string") out.push(e);
    } catch {
      /* a line torn by a crash: the claim it was part of did not finish */
    }
  }
  return out;
}

export function appendTrialEntry(dir: string, entry: TrialEntry): void {
  const path = join(dir, TRIALS_FILE);
  try {
    appendLines(path, [JSON.stringify(entry) + "\n"]);
  } catch (err) {
    throw toStoreWriteError(err, path);
  }
}

/**
 * The sweep's trials with their runs' derived status. `finishedCache` (kept by
 * a long-lived agent) holds runs that have stopped, whose status cannot
 * change: claiming then reads only the trials still in flight.
 */
export function readTrials(store: RunStore, sweep: Sweep, finishedCache?: Map<string, Run>): Trial[] {
  return readTrialEntries(sweep.dir).map((e) => {
    let record: Run | null = null;
    const cached = finishedCache?.get(e.run);
    if (cached && existsSync(join(cached.dir, "run.json"))) {
      record = cached;
    } else {
      try {
        record = store.readRun(e.run);
        if (record.record.stopped != null) finishedCache?.set(e.run, record);
      } catch {
        /* deleted (or in the trash): the trial no longer counts */
      }
    }
    const orphaned = record !== null && record.status === "error" && record.record.stopped == null;
    const superseded = orphaned && typeof record!.record.retried_by === "string";
    return { ...e, record, orphaned, superseded };
  });
}

export function countTrials(sweep: Sweep, trials: Trial[]): SweepCounts {
  const c: SweepCounts = { claimed: 0, running: 0, completed: 0, error: 0, earlyStopped: 0, terminated: 0, orphaned: 0, total: sweepTotal(sweep.record.config) };
  for (const t of trials) {
    if (!t.record || t.superseded) continue;
    c.claimed++;
    if (t.orphaned) {
      c.orphaned++;
      continue;
    }
    const s: RunStatus = t.record.status;
    if (s === "running" || s === "pending") c.running++;
    else if (s === "completed") c.completed++;
    else if (s === "early-stopped") c.earlyStopped++;
    else if (s === "terminated") c.terminated++;
    else c.error++;
  }
  return c;
}

/** How many trials the sweep runs in all: the grid's size (capped by run_cap), run_cap, or null (until stopped). */
export function sweepTotal(config: SweepConfig): number | null {
  const grid = config.method === "grid" ? sweepGridSize(config.space) : Infinity;
  const cap = Math.min(grid, config.runCap ?? Infinity);
  return Number.isFinite(cap) ? cap : null;
}

/** `finished` once every trial is claimed and none is running; otherwise what the user set. */
export function sweepState(sweep: Sweep, counts: SweepCounts): SweepState {
  if (sweep.record.state !== "running") return sweep.record.state;
  if (counts.total !== null && counts.claimed - counts.orphaned >= counts.total && counts.running === 0) return "finished";
  return "running";
}

/** Read-modify-write of sweep.json under the sweep's lock. */
export async function updateSweep(sweep: Sweep, mutate: (r: SweepRecord) => void): Promise<SweepRecord> {
  return withDirLock(sweep.dir, () => {
    const record = readSweepRecord(sweep.dir, sweep.id);
    mutate(record);
    writeJsonAtomic(join(sweep.dir, SWEEP_FILE), record);
    return record;
  });
}

/**
 * Creates the sweep: built in a hidden directory and renamed into place, so
 * a sweep is either whole or absent. Returns it; nothing is created when the
 * file is invalid.
 */
export function createSweep(home: string, file: string, text: string, cwd: string, now: Date = new Date()): Sweep {
  const config = parseSweepConfig(text, file);
  const root = sweepsRoot(home);
  mkdirSync(root, { recursive: true });
  for (;;) {
    const id = randomBytes(4).toString("hex");
    const dir = join(root, id);
    if (existsSync(dir)) continue;
    const tmp = join(root, `.${id}.${process.pid}.tmp`);
    mkdirSync(tmp);
    const record: SweepRecord = {
      format: SWEEP_FORMAT,
      id,
      created: now.toISOString(),
      state: "running",
      file,
      cwd,
      seed: randomBytes(4).readUInt32BE(0),
      config,
    };
    try {
      writeFileSync(join(tmp, SWEEP_CONFIG_FILE), text);
      writeFileSync(join(tmp, TRIALS_FILE), "");
      writeJsonAtomic(join(tmp, SWEEP_FILE), record);
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === "ENOTEMPTY" || (err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw toStoreWriteError(err, dir);
    }
    return { id, dir, record };
  }
}
