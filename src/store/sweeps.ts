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
// A batch submitted to a scheduler keeps the same ledger in its run folder
// (`runs/<batch>/trials.jsonl`), claimed through the same claimLedgerTrial.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { NotFoundError, UsageError } from "../errors.js";
import type { SweepConfig } from "../flags/sweep-config.js";
import { appendLines, writeJsonAtomic } from "./fs-atomic.js";
import { randomHex } from "./paths.js";
import { LEASE_BEATS, RunStore, leaseMs, withBriefDirLock } from "./store.js";
import type { Flags, Placement, Run, RunRecord, RunStatus } from "./types.js";
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

/** A claimed trial as read back from its ledger entry. */
export interface Trial {
  trial: number;
  runId: string;
  /** The trial's run (null when the run was deleted). */
  run: Run | null;
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

/**
 * The sweep id of W&B's path forms: `ID`, `project/ID` or `entity/project/ID`
 * (g has no server, so entity and project name nothing and are dropped).
 */
export function sweepIdFromPath(spec: string): string {
  const parts = spec.split("/");
  if (parts.length > 3 || parts[parts.length - 1] === "")
    throw new UsageError(`"${spec}" is not a sweep id; give ID, project/ID or entity/project/ID (g sweeps lists the ids)`);
  return parts[parts.length - 1]!;
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
  if (value.format !== SWEEP_FORMAT || value.id !== id || !value.config)
    throw new Error(`${join(dir, SWEEP_FILE)} is not a sweep of format ${SWEEP_FORMAT}`);
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
export function readTrials(store: RunStore, sweep: Pick<Sweep, "dir">, finishedCache?: Map<string, Run>): Trial[] {
  return readTrialEntries(sweep.dir).map((e) => {
    let run: Run | null = null;
    const cached = finishedCache?.get(e.run);
    if (cached && existsSync(join(cached.dir, "run.json"))) {
      run = cached;
    } else {
      try {
        run = store.readRun(e.run);
        if (run.record.stopped != null) finishedCache?.set(e.run, run);
      } catch {
        // Deleted (or in the trash): the trial no longer counts. Unless its claim is committing it
        // (claimLedgerTrial): then it is running, from its hidden folder.
        run = store.readBuildingRun(e.run);
      }
    }
    const orphaned = run !== null && run.status === "error" && run.record.stopped == null;
    const superseded = orphaned && typeof run!.record.retried_by === "string";
    return { trial: e.trial, runId: e.run, run, orphaned, superseded };
  });
}

/** The trials layer's decision for the next trial of a ledger (see claimLedgerTrial). */
export type ClaimChoice =
  | {
      kind: "trial";
      trial: number;
      point: Flags;
      /** An orphaned trial this claim runs again in a new run (marked `retried_by` it). */
      retryOf: Trial | null;
      /** An interrupted trial run again in its own run (a batch's restart), instead of a new run. */
      rerun?: Run;
    }
  | { kind: "done"; reason: string };

/** A trial this process now holds: its run is created (or reused), LOCKed and in the ledger. */
export type SweepClaim =
  { kind: "trial"; run: Run; trial: number; point: Flags; retryOf: string | null } | { kind: "done"; reason: string };

/** What a ledger claim creates: the new run's fields, from the chosen trial. */
export type NewTrialRun = (choice: Extract<ClaimChoice, { kind: "trial" }>) => Partial<RunRecord> & { op: string };

/** Where a claim's time went (ms), for benchmarks: waiting for the lock, holding it, and the rest. */
export interface ClaimTimings {
  /** From the call to holding the lock: the run folder begun, then the wait. */
  beforeMs: number;
  /** Holding the ledger's lock. */
  holdMs: number;
  /** After the release: the run's fsync and rename into place (and marking a retried orphan). */
  afterMs: number;
}

/**
 * The one claim transaction of every trial ledger (a sweep's, a batch's
 * submitted to a scheduler). Under `dir`'s lock: `check` may end the claim
 * (a sweep no longer running), the trials that count (run present, not
 * superseded) are read, `choose` (pure, the trials layer's) picks the trial,
 * the new run's record is written and its ledger line appended (or the
 * interrupted run to reuse gets this process's LOCK), so other claimers see
 * the trial taken the moment they can look.
 *
 * The lock is held for that alone (withBriefDirLock: synchronous, no fsync).
 * Before it, the new run's hidden folder runs/.new-<id> is made with its LOCK;
 * after it, run.json is fsynced and the folder renamed into place, and a
 * retried orphan is marked. Between the release and the rename, other claimers
 * read the trial from the hidden folder (readTrials → readBuildingRun) as
 * running while this process lives; if it dies there, the trial was never
 * claimed (its run reads as absent and its number is free again). A power loss
 * in that window loses at most a hidden folder, never leaves a visible run with
 * a torn record: the rename comes after the fsync, as in createRunFolder.
 */
export async function claimLedgerTrial(
  store: RunStore,
  dir: string,
  opts: {
    check?: () => Extract<ClaimChoice, { kind: "done" }> | null;
    choose: (trials: Trial[]) => ClaimChoice;
    newRun: NewTrialRun;
    /** Runs known to have stopped (kept by a long-lived agent), so they are not read again. */
    finishedCache?: Map<string, Run>;
    lockTimeoutMs: number;
    /** The scheduler job this process runs in, kept in the claim's LOCK. */
    placement?: Placement;
    /** Filled in with where the time went (bench/claims.mjs). */
    timings?: ClaimTimings;
  },
): Promise<SweepClaim> {
  const t0 = performance.now();
  // A heartbeat from the start: the claim is a lease until the runner's own takes over. A new
  // run appears with its LOCK already in it; a rerun's folder exists, so its LOCK is written.
  const lock = { pid: process.pid, host: hostname(), beat: Date.now(), ...(opts.placement ? { placement: opts.placement } : {}) };
  const id = store.beginRun(lock);
  let held = 0;
  let released = 0;
  try {
    const { choice, record } = await withBriefDirLock(
      dir,
      (): { choice: ClaimChoice; record: RunRecord | null } => {
        held = performance.now();
        const stop = opts.check?.();
        if (stop) return { choice: stop, record: null };
        const trials = readTrials(store, { dir }, opts.finishedCache).filter((t) => t.run !== null && !t.superseded);
        const choice = opts.choose(trials);
        if (choice.kind === "done") return { choice, record: null };
        if (choice.rerun) {
          store.writeLock(choice.rerun.id, { ...lock, beat: Date.now() });
          return { choice, record: null };
        }
        const aged = Date.now() - lock.beat > leaseMs() / LEASE_BEATS;
        const record = store.recordRun(id, opts.newRun(choice), aged ? { ...lock, beat: Date.now() } : undefined);
        appendTrialEntry(dir, { trial: choice.trial, run: id });
        return { choice, record };
      },
      opts.lockTimeoutMs,
    );
    released = performance.now();
    if (record === null) store.abandonRun(id);
    if (choice.kind === "done") return choice;
    const run = record === null ? choice.rerun! : store.commitRun(id, record);
    // Marked after the release: until then, a claimer that sees the orphan and this trial both
    // live does not run it a third time (chooseTrial).
    const retryOf = choice.retryOf?.runId ?? null;
    if (retryOf !== null) await store.updateRun(retryOf, (r) => void (r.retried_by = run.id));
    return { kind: "trial", run, trial: choice.trial, point: choice.point, retryOf };
  } catch (err) {
    store.abandonRun(id);
    throw err;
  } finally {
    if (opts.timings) {
      const end = performance.now();
      opts.timings.beforeMs = (held || end) - t0;
      opts.timings.holdMs = held ? (released || end) - held : 0;
      opts.timings.afterMs = released ? end - released : 0;
    }
  }
}

/**
 * Claims a sweep's next trial (claimLedgerTrial on the sweep's folder): a
 * sweep no longer running claims nothing; the trial's run is op
 * `sweep:<id>:<program>`.
 */
export async function claimTrial(
  store: RunStore,
  sweepId: string,
  opts: {
    /** Where the trial runs; its program is found there. */
    cwd: string;
    choose: (sweep: Sweep, trials: Trial[]) => ClaimChoice;
    /** Runs known to have stopped (kept by a long-lived agent), so they are not read again. */
    finishedCache?: Map<string, Run>;
    lockTimeoutMs: number;
    /**
     * Fields that make the trial's run start as it is created (the runner's
     * startedFields for the claimed point): its run.json is then written once
     * less. Without it the run is created pending.
     */
    started?: (point: Flags) => Partial<RunRecord>;
    /** Filled in with where the claim's time went (bench/claims.mjs). */
    timings?: ClaimTimings;
  },
): Promise<SweepClaim> {
  const sweep = readSweep(store.home, sweepId);
  let fresh = sweep;
  return claimLedgerTrial(store, sweep.dir, {
    check: () => {
      fresh = readSweep(store.home, sweep.id);
      return fresh.record.state !== "running" ? { kind: "done", reason: `sweep ${fresh.id} is ${fresh.record.state}` } : null;
    },
    choose: (trials) => opts.choose(fresh, trials),
    newRun: (choice) => {
      const config = fresh.record.config;
      const program = config.program;
      return {
        op: `sweep:${fresh.id}:${program || config.command?.[0] || "command"}`,
        flags: choice.point,
        cwd: opts.cwd,
        sweep: fresh.id,
        trial: choice.trial,
        label: "",
        tags: [],
        ...(program ? { script: resolve(opts.cwd, program) } : {}),
        ...opts.started?.(choice.point),
      };
    },
    ...(opts.finishedCache ? { finishedCache: opts.finishedCache } : {}),
    ...(opts.timings ? { timings: opts.timings } : {}),
    lockTimeoutMs: opts.lockTimeoutMs,
  });
}

export function countTrials(trials: Trial[], total: number | null): SweepCounts {
  const c: SweepCounts = { claimed: 0, running: 0, completed: 0, error: 0, earlyStopped: 0, terminated: 0, orphaned: 0, total };
  for (const t of trials) {
    if (!t.run || t.superseded) continue;
    c.claimed++;
    if (t.orphaned) {
      c.orphaned++;
      continue;
    }
    const s: RunStatus = t.run.status;
    if (s === "running" || s === "pending") c.running++;
    else if (s === "completed") c.completed++;
    else if (s === "early-stopped") c.earlyStopped++;
    else if (s === "terminated") c.terminated++;
    else c.error++;
  }
  return c;
}

/** `finished` once every trial is claimed and none is running; otherwise what the user set. */
export function sweepState(sweep: Sweep, counts: SweepCounts): SweepState {
  if (sweep.record.state !== "running") return sweep.record.state;
  if (counts.total !== null && counts.claimed - counts.orphaned >= counts.total && counts.running === 0) return "finished";
  return "running";
}

/**
 * Deletes a sweep with no live trial: under its lock (so no agent claims
 * meanwhile), the folder is renamed out of sight, then removed. The trials'
 * runs stay in the store. Returns the runs of its trials; a UsageError when
 * a trial is still running (its agent alive).
 */
export async function deleteSweep(store: RunStore, sweep: Sweep, lockTimeoutMs: number): Promise<string[]> {
  return withBriefDirLock(
    sweep.dir,
    () => {
      const trials = readTrials(store, sweep).filter((t) => t.run !== null && !t.superseded);
      const live = trials.filter((t) => !t.orphaned && (t.run!.status === "running" || t.run!.status === "pending"));
      if (live.length > 0) {
        throw new UsageError(
          `sweep ${sweep.id} has ${live.length} running trial(s) (run ${live.map((t) => t.runId.slice(0, 8)).join(", ")}); stop them with g sweep --cancel ${sweep.id}, wait for their agents to exit, then delete it`,
        );
      }
      const gone = join(sweepsRoot(store.home), `.gone-${sweep.id}-${process.pid}`);
      try {
        renameSync(sweep.dir, gone);
      } catch (err) {
        throw toStoreWriteError(err, sweep.dir);
      }
      rmSync(gone, { recursive: true, force: true });
      return trials.map((t) => t.runId);
    },
    lockTimeoutMs,
  );
}

/** Read-modify-write of sweep.json under the sweep's lock. */
export async function updateSweep(sweep: Sweep, mutate: (r: SweepRecord) => void): Promise<SweepRecord> {
  return withBriefDirLock(sweep.dir, () => {
    const record = readSweepRecord(sweep.dir, sweep.id);
    mutate(record);
    writeJsonAtomic(join(sweep.dir, SWEEP_FILE), record);
    return record;
  });
}

/**
 * Creates the sweep: built in a hidden directory and renamed into place, so
 * a sweep is either whole or absent. `config` is `text` as parsed by the
 * caller (flags/sweep-config.ts), so nothing is created for an invalid file.
 */
export function createSweep(home: string, file: string, text: string, config: SweepConfig, cwd: string, now: Date = new Date()): Sweep {
  const root = sweepsRoot(home);
  mkdirSync(root, { recursive: true });
  for (;;) {
    const id = randomHex(4);
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
      seed: Number.parseInt(randomHex(4), 16),
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
