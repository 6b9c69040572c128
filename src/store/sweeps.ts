// Sweeps in the store, shared by `g sweep`, `g sweeps` and `g agent`:
//
//   $G_HOME/sweeps/<id>/     id: 8 lowercase hex characters
//     sweep.json             the sweep: state, parsed config, seed, cwd (replaced atomically)
//     sweep.yaml             the file as given
//     trials.jsonl           append-only: {"trial": n, "run": id, "point": {...}} per claimed trial
//     .lock                  a symlink while an agent appends its claim (withBriefDirLock)
//
// A trial is an ordinary run (op `sweep:<id>:<program>`, `sweep` = id,
// `trial` = n); its status is derived from the run store like any run's.
// A batch submitted to a scheduler keeps the same ledger in its run folder
// (`runs/<batch>/trials.jsonl`), claimed through the same claimLedgerTrial.

import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { NotFoundError, UsageError } from "../errors.js";
import type { SweepConfig } from "../flags/sweep-config.js";
import { appendLines, appendWhole, writeJsonAtomic } from "./fs-atomic.js";
import { randomHex } from "./paths.js";
import { buildingFolder, claimedRecord } from "./run-files.js";
import { LEASE_BEATS, RunStore, leaseMs, ownLock, withBriefDirLock, type RunLock } from "./store.js";
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
  /**
   * The claimed point (absent in lines of g before the fourth round): the line
   * is appended before the run's record is written, so other claimers learn
   * the point from it until run.json is there.
   */
  point?: Flags;
}

/** A ledger's complete lines from some byte on, and the byte after the last of them. */
export interface LedgerRead {
  entries: TrialEntry[];
  end: number;
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
  return readLedger(dir).entries;
}

/** The ledger's lines (from byte `from` on); a missing ledger has none. */
export function readLedger(dir: string, from = 0): LedgerRead {
  let fd: number;
  try {
    fd = openSync(join(dir, TRIALS_FILE), "r");
  } catch {
    return { entries: [], end: from };
  }
  try {
    return readLedgerFd(fd, from, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/**
 * The complete lines of `fd` between `from` and `size`. A last line without
 * its newline is a torn one, left by a writer that died mid-write (or still
 * being written, where appends are not atomic): it is not read, and `end`
 * stops before it.
 */
function readLedgerFd(fd: number, from: number, size: number): LedgerRead {
  if (size <= from) return { entries: [], end: from };
  const buf = Buffer.allocUnsafe(size - from);
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, from + got);
    if (n === 0) break;
    got += n;
  }
  const last = buf.lastIndexOf(NEWLINE, got - 1);
  const entries: TrialEntry[] = [];
  if (last >= 0) {
    for (const line of buf.toString("utf8", 0, last).split("\n")) {
      if (line === "") continue;
      try {
        const e = JSON.parse(line) as TrialEntry;
        if (Number.isInteger(e.trial) && typeof e.run === "string") entries.push(e);
      } catch {
        /* a line torn by a crash: the claim it was part of did not finish */
      }
    }
  }
  return { entries, end: from + last + 1 };
}

const NEWLINE = 0x0a;

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
  return readTrialEntries(sweep.dir).map((e) => readTrial(store, e, finishedCache));
}

/** One ledger line's trial, with its run as the store has it now. */
function readTrial(store: RunStore, e: TrialEntry, finishedCache?: Map<string, Run>): Trial {
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
      // (claimLedgerTrial): then it is running, from its hidden folder (or from its ledger line).
      run = store.readBuildingRun(e.run, e.point ? { trial: e.trial, point: e.point } : undefined);
    }
  }
  const orphaned = run !== null && run.status === "error" && run.record.stopped == null;
  const superseded = orphaned && typeof run!.record.retried_by === "string";
  return { trial: e.trial, runId: e.run, run, orphaned, superseded };
}

/** Whether a trial counts for a claim: its run is there (or being committed) and no other run stands for it. */
function isCounted(t: Trial): boolean {
  return t.run !== null && !t.superseded;
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
  /** From the call to holding the lock: the run folder begun, the ledger read and the choice, then the wait. */
  beforeMs: number;
  /** From asking for the lock to holding it (the wait alone, within beforeMs). */
  waitMs: number;
  /** Holding the ledger's lock. */
  holdMs: number;
  /** After the release: the run's record, its fsync and rename into place (and marking a retried orphan). */
  afterMs: number;
}

/**
 * The one claim transaction of every trial ledger (a sweep's, a batch's
 * submitted to a scheduler), in the manner of Optuna's journal storage: the
 * lock is held only to append the claim.
 *
 * Before the lock: the new run's hidden folder runs/.new-<id> is made with its
 * LOCK, the ledger and the runs of its trials are read, and `choose` (pure,
 * the trials layer's) picks a trial from the trials that count (run present,
 * not superseded). Under `dir`'s lock (withBriefDirLock: synchronous, no
 * fsync): `check` may end the claim (a sweep no longer running); the lines
 * appended since the read are read, and when there are any, `choose` decides
 * again with their trials added (running, at the point their line names); a
 * choice that acts on a run read before the lock (an orphan to rerun, an
 * interrupted run to reuse) reads that run once more (recheckActedOn); then
 * the claim's line, {trial, run, point}, is appended (or the interrupted run to
 * reuse gets this process's LOCK). After the release: run.json is written and
 * fsynced, the folder renamed into place, and a retried orphan is marked.
 *
 * Between the append and the rename, other claimers read the trial from its
 * line and the hidden folder's LOCK (readTrials → readBuildingRun) as running
 * while this process lives (or, from another host, its lease is fresh); if it
 * dies there, the trial was never claimed (its run reads as absent and its
 * number is free again). A power loss in that window loses at most a hidden
 * folder, never leaves a visible run with a torn record: the rename comes after
 * the fsync, as in createRunFolder; and that fsync, on file systems that commit
 * in order (ext4, XFS), makes the ledger's line durable too.
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
  // Only when timed (bench/claims.mjs): the first use of `performance` loads node:perf_hooks, a
  // few ms of an agent's start-up, and eight agents start at once.
  const clock = opts.timings ? () => performance.now() : () => 0;
  const t0 = clock();
  // A heartbeat from the start: the claim is a lease until the runner's own takes over. A new
  // run appears with its LOCK already in it; a rerun's folder exists, so its LOCK is written.
  const lock = { ...ownLock(), beat: Date.now(), ...(opts.placement ? { placement: opts.placement } : {}) };
  const id = store.beginRun(lock);
  let asked = 0;
  let held = 0;
  let released = 0;
  try {
    // Read and chosen without the lock: the trials' runs are read here, so the lock waits for
    // none of it. A "done" stands as it would under the lock (trials are only ever added).
    const seen = readLedger(dir);
    const trials = seen.entries.map((e) => readTrial(store, e, opts.finishedCache)).filter(isCounted);
    const first = opts.choose(trials);
    asked = clock();
    const choice =
      first.kind === "done"
        ? first
        : await withBriefDirLock(
            dir,
            (): ClaimChoice => {
              held = clock();
              const stop = opts.check?.();
              if (stop) return stop;
              return appendClaim(store, dir, id, seen, trials, first, opts.choose, lock);
            },
            opts.lockTimeoutMs,
          );
    released = clock();
    if (choice.kind === "done" || choice.rerun) store.abandonRun(id);
    if (choice.kind === "done") return choice;
    let run: Run;
    if (choice.rerun) {
      run = choice.rerun;
    } else {
      // The claim may have waited long for the lock: its heartbeat is renewed, so other hosts do
      // not read its trial as abandoned before the runner's lease takes over.
      const aged = Date.now() - lock.beat > leaseMs() / LEASE_BEATS;
      const record = store.recordRun(id, opts.newRun(choice), aged ? { ...lock, beat: Date.now() } : undefined);
      run = store.commitRun(id, record);
    }
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
      const end = clock();
      opts.timings.beforeMs = (held || end) - t0;
      opts.timings.waitMs = held ? held - asked : 0;
      opts.timings.holdMs = held ? (released || end) - held : 0;
      opts.timings.afterMs = released ? end - released : 0;
    }
  }
}

/**
 * The critical section of a claim (under the ledger's lock): the lines other
 * claimers appended since `seen` was read, the choice made again only when
 * there are some, and this claim's line appended, on one descriptor (opened
 * under the lock, which over NFS is what makes the other hosts' appends
 * visible to it).
 */
function appendClaim(
  store: RunStore,
  dir: string,
  id: string,
  seen: LedgerRead,
  trials: Trial[],
  first: Extract<ClaimChoice, { kind: "trial" }>,
  choose: (trials: Trial[]) => ClaimChoice,
  lock: RunLock,
): ClaimChoice {
  const path = join(dir, TRIALS_FILE);
  let fd: number;
  try {
    fd = openSync(path, "a+", 0o644);
  } catch (err) {
    throw toStoreWriteError(err, path);
  }
  try {
    const size = fstatSync(fd).size;
    let choice: ClaimChoice = first;
    let pool = trials;
    // A ledger shorter than was read has been replaced (by hand): everything is read again.
    const since = size < seen.end ? readLedgerFd(fd, 0, size) : readLedgerFd(fd, seen.end, size);
    if (size < seen.end || since.entries.length > 0) {
      const before = size < seen.end ? [] : trials;
      const added = since.entries.map((e) => claimedTrial(store, e)).filter(isCounted);
      pool = [...before, ...added];
      choice = choose(pool);
    }
    choice = recheckActedOn(store, pool, choice, choose);
    if (choice.kind === "done") return choice;
    if (choice.rerun) {
      store.writeLock(choice.rerun.id, { ...lock, beat: Date.now() });
      return choice;
    }
    // A torn last line (its writer died mid-write) gets its newline, so this line stays whole.
    const torn = size > since.end;
    const line = (torn ? "\n" : "") + JSON.stringify({ trial: choice.trial, run: id, point: choice.point }) + "\n";
    try {
      appendWhole(fd, Buffer.from(line, "utf8"));
    } catch (err) {
      throw toStoreWriteError(err, path);
    }
    return choice;
  } finally {
    closeSync(fd);
  }
}

/**
 * The choice made again while the run it would act on (an orphan to run again
 * in a new run, an interrupted run to reuse) reads otherwise now. That run was
 * read before the lock, perhaps long before (the wait); a run read then as
 * abandoned may have ended since, or its lease been renewed by a writer that
 * was stalled. Under the lock it is read once more, and the choice stands only
 * if it still reads the same: one run's read, and only for such a choice.
 */
function recheckActedOn(store: RunStore, trials: Trial[], choice: ClaimChoice, choose: (trials: Trial[]) => ClaimChoice): ClaimChoice {
  let pool = trials;
  // Each pass reads one run the choice acts on; a run that changed is replaced in the pool, so the
  // next choice is made from what it is now. Bounded: a run that keeps changing is not chased.
  for (let pass = 0; pass <= trials.length; pass++) {
    if (choice.kind === "done") return choice;
    const runId = choice.retryOf?.runId ?? choice.rerun?.id;
    const before = runId === undefined ? undefined : pool.find((t) => t.runId === runId);
    if (before === undefined) return choice;
    const now = readTrial(store, { trial: before.trial, run: before.runId });
    const same =
      now.run !== null && now.run.status === before.run!.status && now.orphaned === before.orphaned && now.superseded === before.superseded;
    if (same) return choice;
    pool = pool.map((t) => (t.runId === before.runId ? now : t)).filter(isCounted);
    choice = choose(pool);
  }
  return choice;
}

/**
 * The trial of a line appended since the claim read the ledger: a claim made
 * moments ago, running at the point its line names, as its run will say. A
 * line without a point (g before the fourth round, which wrote run.json first)
 * is read from its run.
 */
function claimedTrial(store: RunStore, e: TrialEntry): Trial {
  if (!e.point) return readTrial(store, e);
  const dir = buildingFolder(store.runsDir, e.run);
  const run: Run = { id: e.run, dir, record: claimedRecord(e.run, { trial: e.trial, point: e.point }), status: "running" };
  return { trial: e.trial, runId: e.run, run, orphaned: false, superseded: false };
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
