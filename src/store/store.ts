// The run store (shared/DESIGN.md, "Run store, format 1"): the only code that
// reads and writes run directories under $G_HOME/runs and $G_HOME/trash/runs.
// RunStore is the entry point; each concern has its own module beside it:
//   paths.ts        home, ids, file names          run-files.ts   make a run folder, read run.json
//   status.ts       deriveStatus                   locks.ts       .lock (proper-lockfile), LOCK
//   scalar-files.ts scalars.jsonl, summary.json    output.ts      output.log
//   index-cache.ts  index.jsonl (the journal)      fs-atomic.ts   atomic writes, whole appends
//   index-snapshot.ts index.bin (the snapshot)     run-folder-probe.ts  stats on a worker thread
//   write-errors.ts "no space left ... writing PATH" read-fast.ts   small files, fast
//   track-files.ts  tracks.jsonl (ml_dash tracks) runs-order.ts  runs-order.txt (what `g runs` reads)
//   run-reads.ts    runs without an index entry, read on two threads when many
//   snapshot-runs.ts runs from index.bin read in place (RunFields), decoded on use
// This module re-exports what other layers import from it.

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { GError, NotFoundError, UsageError } from "../errors.js";
import { syncDirAsync, writeJsonAtomic, type Durability } from "./fs-atomic.js";
import {
  appendIndexLines,
  forEachIndexEntry,
  indexLine,
  journalLine,
  keyLine,
  readKeys,
  rewriteIndex,
  statRunFile,
  unpackSummaries,
  type RunFileStat,
  type RunKey,
} from "./index-cache.js";
import { Snapshot, encodeSnapshot } from "./index-snapshot.js";
import { SnapshotRun } from "./snapshot-runs.js";
import { startRunFolderProbe, type ListedNames } from "./run-folder-probe.js";
import {
  damagedWarning,
  describeDamage,
  readRunFromFiles,
  readRunsFromFiles,
  startRunReads,
  type RunRead,
  type RunReads,
} from "./run-reads.js";
import {
  holdLease,
  readRunLock,
  removeRunLock,
  removeRunLockAsync,
  withBriefDirLock,
  writeRunLock,
  type Lease,
  type RunLock,
} from "./locks.js";
import {
  abandonOrderProbe,
  mergeKeyLines,
  readOrderLines,
  readTrustedOrder,
  startOrderProbe,
  stampFolder,
  writeOrder,
  type FolderStamp,
  type OrderKey,
  type OrderSnapshot,
} from "./runs-order.js";
import { OutputLog, readOutputTail } from "./output.js";
import {
  BUILDING_PREFIX,
  INDEX_KEYS_FILE,
  SNAPSHOT_FILE,
  LOCK_FILE,
  RUN_FILE,
  SCALARS_FILE,
  isRunId,
  isoNow,
  newRunId,
  shortId,
} from "./paths.js";
import {
  RunGoneError,
  abandonRunFolder,
  beginRunFolder,
  buildingFolder,
  claimedRecord,
  commitRunFolder,
  createRunFolder,
  readBuildingRecord,
  writeBuildingLock,
  writeBuildingRecord,
  listRunFiles,
  readRecord,
  readSdkFiles,
  readSdkParams,
  summarizeSdkLogs,
  type LogSummary,
  type SdkFile,
} from "./run-files.js";
import { appendScalarRecords, readRunSummaries, readScalarsFile, writeRunSummary } from "./scalar-files.js";
import { deriveStatus, readSettledRun } from "./status.js";
import { summarizeTracks } from "./track-files.js";
import {
  STORE_FORMAT,
  type CellTexts,
  type Flags,
  type Run,
  type RunFields,
  type RunRecord,
  type ScalarRecord,
  type ScalarSummary,
} from "./types.js";
import { toStoreWriteError } from "./write-errors.js";

export {
  BUILDING_PREFIX,
  INDEX_FILE,
  LOCK_FILE,
  OUTPUT_FILE,
  RUN_FILE,
  RUN_ID_PATTERN,
  SCALARS_FILE,
  FILES_DIR,
  SDK_FILES_FILE,
  SDK_LOGS_FILE,
  SDK_TRACKS_FILE,
  SDK_PARAMS_FILE,
  SHORT_ID_LENGTH,
  SOURCE_DIR,
  SUMMARY_FILE,
  isRunId,
  isoNow,
  newRunId,
  PROJECT_STORE_DIR,
  findProjectStore,
  locateStore,
  resolveHome,
  shortId,
  type StoreLocation,
} from "./paths.js";
export {
  LEASE_BEATS,
  LEASE_MS,
  RUN_LOCK_STALE_MS,
  RUN_LOCK_TIMEOUT_MS,
  leaseMs,
  ownLock,
  withBriefDirLock,
  withDirLock,
  withDirLockSync,
  type Lease,
  type RunLock,
} from "./locks.js";
export {
  deriveSettledStatus,
  deriveStatus,
  isOrphanedChildAlive,
  isPidAlive,
  isRecorderAlive,
  isRunLockLive,
  readSettledRun,
  stoppedStatus,
} from "./status.js";
export { isSameProcessAlive, readProcessStart } from "./process-start.js";
export { readScalarsFile, summarizeScalars } from "./scalar-files.js";
export { readTextFast } from "./read-fast.js";
export { readSdkParams, readSdkFiles, summarizeSdkLogs, type LogSummary, type SdkFile } from "./run-files.js";
export { readTrackLines, mergeTrackEntries, summarizeTracks, type TrackEntry, type TrackLine } from "./track-files.js";
export { OutputLog } from "./output.js";
export { StoreWriteError } from "./write-errors.js";

/** An SDK's or g's half-made run folder (runs/.new-<id>) older than this was abandoned. */
export const ABANDONED_BUILD_MS = 60_000;
/**
 * index.bin is rewritten once this many runs, plus one in 16 of the store, come from elsewhere (the
 * journal, their files), or as many of its entries are gone or stale, or the journal has as many lines.
 */
const SNAPSHOT_REBUILD_RUNS = 64;
/** index.bin from this size on (about 3 000 runs) has its runs checked by a worker thread (run-folder-probe.ts). */
const PROBE_FROM_SNAPSHOT_BYTES = 2 * 1024 * 1024;
/** From this many runs without an index entry (a store without caches), a worker thread reads a share of them (run-reads.ts). */
const READ_THREADS_FROM_RUNS = 2_000;
/**
 * From this many runs only their files describe (a big store's unfinished runs: 1 600 in a generated
 * 100 000), a listing whose runs folder a worker lists starts reading them on another worker at once.
 */
const EARLY_READS_FROM_RUNS = 256;
/** A run folder being removed for good is renamed to .gone-<id>-<pid> first. */
const GONE_PREFIX = ".gone-";
const GONE_NAME = /^\.gone-[0-9a-f]{32}-\d+$/;

/** A run with its per-key scalar summaries, as compare needs it. */
export interface RunWithSummaries {
  run: Run;
  summaries: Record<string, ScalarSummary>;
  /** The same run's fields read in place, for a run served from index.bin (see snapshot-runs.ts). */
  fields?: RunFields;
}

/**
 * Every readable run with its summaries, and warnings. A listing asked for with
 * `checkLater` may hold snapshot runs whose run.json is still being stat'ed by
 * the probe's worker: `checked` then waits for those stats and says whether
 * every one of them was current; when false, the listing is not to be used
 * (list again without checkLater). Without it, every run was checked.
 */
export interface RunListing {
  runs: RunWithSummaries[];
  warnings: string[];
  checked?: () => boolean;
}

export class RunStore {
  readonly runsDir: string;
  readonly trashDir: string;

  /** index.bin from this size on (bytes) has its runs checked by a worker thread (see run-folder-probe.ts). */
  private readonly probeFromBytes: number;
  /** From this many runs to read from their files, a worker thread reads a share (see run-reads.ts). */
  private readonly readThreadsFromRuns: number;
  /** From this many runs that only their files describe, a listing with a probe starts reading them on a worker at once. */
  private readonly earlyReadsFromRuns: number;
  /** The worker's module (tests point it at one that fails). */
  private readonly readWorkerUrl: URL | undefined;

  constructor(
    readonly home: string,
    opts: { probeFromBytes?: number; readThreadsFromRuns?: number; earlyReadsFromRuns?: number; readWorkerUrl?: URL } = {},
  ) {
    this.probeFromBytes = opts.probeFromBytes ?? PROBE_FROM_SNAPSHOT_BYTES;
    this.readThreadsFromRuns = opts.readThreadsFromRuns ?? READ_THREADS_FROM_RUNS;
    this.earlyReadsFromRuns = opts.earlyReadsFromRuns ?? EARLY_READS_FROM_RUNS;
    this.readWorkerUrl = opts.readWorkerUrl;
    this.runsDir = join(home, "runs");
    this.trashDir = join(home, "trash", "runs");
  }

  /** The directory of run `id`; the id is validated before it becomes a path. */
  runDir(id: string, trash = false): string {
    if (!isRunId(id)) throw new UsageError(`"${id}" is not a run id (32 lowercase hex characters)`);
    return join(trash ? this.trashDir : this.runsDir, id);
  }

  /**
   * Creates the run's folder with its run.json, visible only once whole; the
   * run is `pending` until started. A process that starts the run at once
   * passes `started` (and `cmd`) in `fields` and its `lock`: the folder then
   * appears with its LOCK, and run.json is written once instead of twice
   * (one fsync less; see createRunFolder). A full disk is a StoreWriteError
   * naming the folder.
   */
  createRun(fields: Partial<RunRecord> & { op: string }, opts: { lock?: RunLock } = {}): Run {
    const record = this.newRecord(fields);
    const dir = createRunFolder(this.runsDir, record, opts.lock && { ...opts.lock, beat: opts.lock.beat ?? Date.now() });
    return { id: record.id, dir, record, status: deriveStatus(record, dir) };
  }

  private newRecord(fields: Partial<RunRecord> & { op: string }): RunRecord {
    const id = fields.id ?? newRunId();
    this.runDir(id);
    return {
      cmd: [],
      cwd: process.cwd(),
      flags: {},
      started: null,
      stopped: null,
      exit_status: null,
      label: "",
      tags: [],
      ...fields,
      format: STORE_FORMAT,
      id,
      created: fields.created ?? isoNow(),
    };
  }

  /**
   * createRun in three steps, for a claim that decides the run's trial under
   * a lock other processes wait for (claimLedgerTrial): beginRun (before the
   * lock: the hidden folder runs/.new-<id> with its LOCK), recordRun (after
   * it: run.json written in place and fsynced; until then other claimers read
   * the claim from its ledger line, readBuildingRun), commitRun (the rename
   * into place). None of them holds anyone up. Returns the new run's id.
   */
  beginRun(lock: RunLock): string {
    const id = newRunId();
    beginRunFolder(this.runsDir, id, { ...lock, beat: lock.beat ?? Date.now() });
    return id;
  }

  recordRun(id: string, fields: Partial<RunRecord> & { op: string }, freshLock?: RunLock): RunRecord {
    const record = this.newRecord({ ...fields, id });
    // A claim that waited long for the ledger's lock renews the heartbeat beginRun wrote, so
    // other hosts do not read its trial as abandoned before the runner's lease takes over.
    if (freshLock) writeBuildingLock(this.runsDir, id, freshLock);
    writeBuildingRecord(this.runsDir, record);
    return record;
  }

  commitRun(id: string, record: RunRecord): Run {
    const dir = commitRunFolder(this.runsDir, id);
    return { id, dir, record, status: deriveStatus(record, dir) };
  }

  /** Removes a run begun by beginRun that will not be (the claim found nothing, or failed). */
  abandonRun(id: string): void {
    abandonRunFolder(this.runsDir, id);
  }

  /**
   * A run recorded by a claim that has not committed it yet (see beginRun), or
   * that has just committed it; null when there is neither, or its claimer
   * died before the commit (its LOCK names a dead process or a lapsed lease):
   * such a claim never happened.
   *
   * `claimed` is what the claim's ledger line says (its trial and point): a
   * claim appends its line before it writes run.json (claimLedgerTrial), so a
   * hidden folder whose claimer lives but which has no record yet stands for
   * a running trial with that point, as its record will say.
   */
  readBuildingRun(id: string, claimed?: { trial: number; point: Flags }): Run | null {
    let building: { dir: string; record: RunRecord } | null = null;
    try {
      building = readBuildingRecord(this.runsDir, id);
    } catch {
      /* not there (committed meanwhile, or never recorded) or not readable */
    }
    if (building === null && claimed) {
      const dir = buildingFolder(this.runsDir, id);
      const record = claimedRecord(id, claimed);
      // Running only while its claimer's LOCK says it lives; without one, the folder was renamed
      // into place since run.json was looked for (LOCK and all), or it was never a claim's.
      if (deriveStatus(record, dir) === "running") return { id, dir, record, status: "running" };
    }
    if (building === null) {
      try {
        return this.readRun(id);
      } catch {
        return null;
      }
    }
    const status = deriveStatus(building.record, building.dir);
    if (status !== "error") return { id, dir: building.dir, record: building.record, status };
    // Its claimer died there, or committed it since the record was read (the folder, LOCK and
    // all, was renamed between the two reads, so the LOCK looked absent): look in place again.
    try {
      return this.readRun(id);
    } catch {
      return null;
    }
  }

  readRun(id: string, opts: { trash?: boolean } = {}): Run {
    const dir = this.runDir(id, opts.trash);
    if (!existsSync(dir)) throw new NotFoundError(`no run ${id}${opts.trash ? " in the trash" : ""}`);
    try {
      // A run that has just ended may read as abandoned (the finish race): read again before that.
      return { id, dir, ...readSettledRun(dir, id) };
    } catch (err) {
      throw new NotFoundError(`run ${shortId(id)} cannot be read (${dir}): ${describeDamage(err)}`);
    }
  }

  /**
   * Every readable run, newest first (index 1 = latest). A directory that
   * cannot be read is reported in `warnings` and skipped, never fatal.
   */
  listRuns(opts: { trash?: boolean } = {}): { runs: Run[]; warnings: string[] } {
    const root = opts.trash ? this.trashDir : this.runsDir;
    const { names, warnings } = listRunNames(root);
    const runs: Run[] = [];
    for (const name of names) {
      const dir = `${root}/${name}`; // join() is measurable at 100 000 runs; names are validated ids
      try {
        runs.push({ id: name, dir, ...readSettledRun(dir, name) });
      } catch (err) {
        if (!(err instanceof RunGoneError)) warnings.push(damagedWarning(dir, err));
      }
    }
    runs.sort(compareNewestFirst);
    return { runs, warnings };
  }

  /**
   * Every readable run with its scalar summaries, newest first. Finished runs
   * come from index.jsonl when their run.json is unchanged (one stat instead of
   * two reads and two parses a run); anything else is read from its files, and
   * finished runs read that way are added to the index for next time (their
   * summaries computed in memory: no file is written per run). A run folder
   * that cannot be read is a warning naming it; the others are listed.
   * Records from the index lack the fields the index drops (cmd, space, points...).
   * Runs from index.bin come undecoded, with `fields` to read them in place
   * (snapshot-runs.ts); their record and summaries are decoded when first asked for.
   * `values`: whether the caller will read the summaries' numbers (sorts, filters,
   * JSON, qualified columns); without, the snapshot's cold part (their numbers,
   * a third of index.bin) is read only if something asks for one after all.
   * `checkLater`: a big snapshot's runs are taken before their run.json is
   * stat'ed (the worker stats them meanwhile), and the listing's `checked`
   * says later whether they were current (see RunListing), so that the caller
   * works on the runs while the stats are taken. Nothing is written to the
   * index before they are checked.
   */
  listRunsWithSummaries(
    cells?: CellTexts,
    { values = true, checkLater = false }: { values?: boolean; checkLater?: boolean } = {},
  ): RunListing {
    return this.readListing(true, cells, values, checkLater);
  }

  /**
   * Some runs read again from their files with their summaries, as a listing
   * reads a run that no index entry describes (record, settled status,
   * summaries): what `g view` rereads of a store it has listed once, for the
   * runs that may have changed since. Per id, in order: the run, a warning
   * naming a damaged folder (the listing's words), or null when the folder is
   * gone. Nothing is written to the index.
   */
  rereadRuns(ids: readonly string[]): Array<RunWithSummaries | { warning: string } | null> {
    return ids.map((id) => {
      const read = readRunFromFiles(this.runsDir, id, true);
      if (read === null || "warning" in read) return read;
      const { record, status, summaries } = read;
      return { run: { id, dir: `${this.runsDir}/${id}`, record, status }, summaries };
    });
  }

  /**
   * Every readable run, newest first, as listRunsWithSummaries finds them but
   * without the summaries (empty): what `g runs -a` and its filters show.
   * Records from the index lack the fields it drops (cmd, space, points...).
   */
  listRunsIndexed(): { runs: Run[]; warnings: string[] } {
    const { runs, warnings } = this.readListing(false, undefined, false);
    return { runs: runs.map((r) => r.run), warnings };
  }

  private readListing(withSummaries: boolean, cells: CellTexts | undefined, values: boolean, checkLater = false): RunListing {
    const snapshotPath = `${this.home}/${SNAPSHOT_FILE}`;
    // A big snapshot: the runs folder is listed on another thread while this one reads the snapshot and stats its
    // runs' run.json by their ids; that thread then joins the names with the ids and stats too, and this one helps
    // with the rest (run-folder-probe.ts).
    const probe = fileSize(snapshotPath) >= this.probeFromBytes ? startRunFolderProbe(this.runsDir) : null;
    // Without summaries (g runs -a) or their numbers (compare -T), the snapshot's cold part waits until asked for.
    const snapshot = Snapshot.read(snapshotPath, withSummaries && values);
    // What needs only the snapshot (its table of ids, which entries read in place, their listing entries) is done
    // while the worker lists; then its runs' run.json are stat'ed by their ids (which needs no listing) until the
    // worker has listed.
    snapshot?.prepare();
    probe?.statIds(snapshot === null ? null : snapshot.sharedIds());
    const made = snapshot === null ? [] : makeInPlaceRuns(snapshot, this.runsDir, withSummaries);
    probe?.statUntilListed();
    const listed = probe?.listed() ?? null;
    // Each snapshot entry's place in the listing (-1: not listed): the worker's, or found by the ids' bytes.
    const placeOf = new Int32Array(snapshot?.count ?? 0).fill(-1);
    const { names, warnings, stats, statAt, probeAt } =
      listed === null
        ? this.namesListed(snapshot, placeOf)
        : listed.byIds === undefined || snapshot === null
          ? this.namesOf(listed.names, snapshot, placeOf)
          : this.namesJoined(listed.names, listed.byIds, snapshot, made, placeOf);
    if (names.length === 0) return { runs: [], warnings };
    let out: RunWithSummaries[] = [];
    // Each name's place in the listing, for the journal's lines (made only if it has any).
    let place: Map<string, number> | undefined;
    const placeOfName = (id: string): number | undefined => {
      if (place === undefined) {
        place = new Map();
        for (let k = 0; k < names.length; k++) place.set(names[k]!, k);
      }
      return place.get(id);
    };
    // The runs that neither a snapshot entry nor a journal line describes (a big store's unfinished runs) are
    // read from their files whatever their stats say: a worker starts on them now, while this thread checks
    // the rest, and this thread takes its answers (and reads what it has not) after the snapshot's runs.
    const early = probe !== null && listed !== null ? this.startEarlyReads(names, placeOf, placeOfName, withSummaries) : null;
    // Checked later: the worker stats the snapshot's runs (by entry) while this thread takes them as current and
    // goes on; `unchecked` lists the entries so taken, and `check` compares their stats once the worker is done.
    const unchecked: number[] | null = checkLater && probe !== null && listed !== null && snapshot !== null ? [] : null;
    let verdict: boolean | undefined;
    const check = (): boolean => {
      if (verdict !== undefined) return verdict;
      const probed = probe!.stats();
      verdict = probed !== null && unchecked!.every((i) => snapshot!.matches(i, probed[3 * i]!, probed[3 * i + 1]!, probed[3 * i + 2]!));
      return verdict;
    };
    const probed = probe !== null && listed !== null && unchecked === null ? probe.stats() : null;
    // Without the worker's stats (it failed, or they are checked later), statAt takes each one when it is needed.
    if (probed !== null && probeAt !== undefined) copyProbedStats(stats, probed, probeAt, names.length);
    // Whether each name's run was taken from the journal or the snapshot.
    const taken = new Uint8Array(names.length);
    // run.json's stat of the finished runs not served in place from the snapshot, what a new snapshot records
    // (a SnapshotRun's is its entry's): 100 000 current entries make no object here.
    const recorded = new Map<string, RunFileStat | number>();
    const isCurrent = (k: number, ino: number, size: number, mtime: number): boolean => {
      statAt(k);
      return stats[3 * k] === ino && stats[3 * k + 1] === size && stats[3 * k + 2] === mtime;
    };
    // First the journal (index.jsonl: runs indexed since the snapshot), then the snapshot, for the runs
    // they describe as they are now; then the rest from their files.
    let fromJournal = 0;
    const journalLines = forEachIndexEntry(
      this.home,
      (id) => {
        const k = placeOfName(id);
        return k !== undefined && taken[k] === 0;
      },
      (entry) => {
        const name = entry.id;
        const k = placeOfName(name)!;
        if (!isCurrent(k, entry.ino, entry.size, entry.mtime)) return;
        const dir = `${this.runsDir}/${name}`;
        const record = entry.record;
        record.format = STORE_FORMAT;
        record.id = name;
        const summaries = withSummaries ? unpackSummaries(entry.packed) : {};
        out.push({ run: { id: name, dir, record, status: deriveStatus(record, dir) }, summaries });
        taken[k] = 1;
        recorded.set(name, { ino: entry.ino, size: entry.size, mtime: entry.mtime });
        fromJournal++;
      },
    );
    // The runs read in place, in the snapshot's order (newest first, when it was written so).
    const inPlace: RunWithSummaries[] = [];
    // Most runs are read in place (no object per field); an odd one (fields outside the slots) is decoded.
    const decodeOdd = (i: number, name: string): boolean => {
      const decoded = decodeEntry(snapshot!, i, withSummaries);
      if (!decoded) return false; // damaged past the checksum's reach: read from the files
      const { record, summaries } = decoded;
      record.format = STORE_FORMAT;
      record.id = name;
      const dir = `${this.runsDir}/${name}`;
      out.push({ run: { id: name, dir, record, status: deriveStatus(record, dir) }, summaries });
      recorded.set(name, i);
      return true;
    };
    const fromSnapshot =
      snapshot === null ? 0 : takeSnapshotRuns(snapshot, made, { names, placeOf, taken, stats, statAt }, inPlace, decodeOdd, unchecked);
    // Finished runs read from their files: the journal gets them, or a new snapshot. Many (a store
    // without caches) are read on two threads; the answers come back in the list's order.
    const fresh: RunWithSummaries[] = [];
    // The early reads' runs are not in the journal or the snapshot (taken stays 0): read once, kept in the list's order.
    const earlyReads = early?.reads.finish().reads;
    const earlyAt = new Int32Array(earlyReads === undefined ? 0 : names.length).fill(-1);
    early?.names.forEach((k, j) => (earlyAt[k] = j));
    const late = names.filter((_, k) => taken[k] === 0 && (earlyReads === undefined || earlyAt[k]! < 0));
    const lateReads = readRunsFromFiles(
      this.runsDir,
      late,
      withSummaries,
      late.length >= this.readThreadsFromRuns,
      this.readWorkerUrl,
    ).reads;
    const { toRead, reads } = pairReads(names, taken, earlyReads, earlyAt, lateReads);
    reads.forEach((read, i) => {
      if (read === null) return; // gone since the listing
      if ("warning" in read) {
        warnings.push(read.warning);
        return;
      }
      const name = toRead[i]!;
      const { record, status, summaries, st } = read;
      const run: Run = { id: name, dir: `${this.runsDir}/${name}`, record, status };
      out.push({ run, summaries });
      if (withSummaries && record.stopped != null && st !== null) {
        recorded.set(name, st);
        fresh.push({ run, summaries });
      }
    });
    // Runs from the snapshot are sorted by their fields (not their records, which stay undecoded): two of
    // them by their bytes in the snapshot, which makes no string of their times. They are in order already
    // when the snapshot is (checked while the worker listed): then only the others are sorted, and each is
    // put in its place among them by a binary search.
    const order = (a: RunWithSummaries, b: RunWithSummaries): number =>
      a.run instanceof SnapshotRun && b.run instanceof SnapshotRun
        ? snapshot!.compareNewestFirst(a.run.at, b.run.at)
        : compareKeys(a.run.id, keyOfListed(a), b.run.id, keyOfListed(b));
    if (snapshot !== null && snapshot.inPlaceInOrder()) {
      out = mergeInOrder(inPlace, out.sort(order), aheadOfListed);
    } else out = out.concat(inPlace).sort(order);
    const listing: RunListing = { runs: out, warnings, checked: unchecked === null ? undefined : check };
    if (!withSummaries) return listing;
    // A new snapshot once enough runs come from elsewhere than the snapshot (the journal, the files)
    // or enough of its entries are gone or stale; otherwise the runs read from files join the journal.
    const enough = SNAPSHOT_REBUILD_RUNS + names.length / 16;
    const outside = fromJournal + fresh.length;
    const dead = (snapshot?.count ?? 0) - fromSnapshot;
    const rebuild = outside >= enough || dead >= enough || journalLines >= enough;
    // The index is written from checked runs only: when one taken unchecked changed, all are listed again, checked.
    if (unchecked !== null && (rebuild || fresh.length > 0) && !check()) return this.readListing(withSummaries, cells, values);
    if (rebuild) {
      const finished = out.filter((r) => r.run instanceof SnapshotRun || recorded.has(r.run.id));
      const statOf = (run: Run): RunFileStat => {
        const st = run instanceof SnapshotRun ? run.at : recorded.get(run.id)!;
        return typeof st === "number" ? snapshot!.stat(st) : st;
      };
      rewriteIndex(
        this.home,
        encodeSnapshot(
          finished.map((r) => ({ id: r.run.id, ...statOf(r.run), record: r.run.record, summaries: r.summaries })),
          cells,
        ),
        SNAPSHOT_FILE,
      );
      // The journal's runs are in the snapshot now; a line appended meanwhile is lost, which costs a read of its run.
      rewriteIndex(this.home, []);
      rewriteIndex(
        this.home,
        finished.map((r) => keyLine(r.run.id, keyOf(r.run.record))),
        INDEX_KEYS_FILE,
      );
    } else {
      appendIndexLines(
        this.home,
        fresh.map((r) => journalLine(r.run.record, recorded.get(r.run.id) as RunFileStat, r.summaries)),
      );
      appendIndexLines(
        this.home,
        fresh.map((r) => keyLine(r.run.id, keyOf(r.run.record))),
        INDEX_KEYS_FILE,
      );
    }
    return listing;
  }

  /**
   * Starts reading, on a worker thread, the listed runs that no snapshot entry
   * (`placeOf`) and no journal line names: what is read from files whatever
   * their stats say. Null when they are too few to be worth a thread.
   */
  private startEarlyReads(
    names: string[],
    placeOf: Int32Array,
    placeOfName: (id: string) => number | undefined,
    withSummaries: boolean,
  ): { names: number[]; reads: RunReads } | null {
    const described = new Uint8Array(names.length);
    for (let i = 0; i < placeOf.length; i++) if (placeOf[i]! >= 0) described[placeOf[i]!] = 1;
    // The journal's ids only (no line is parsed): its runs are taken from it when current.
    forEachIndexEntry(
      this.home,
      (id) => {
        const k = placeOfName(id);
        if (k !== undefined) described[k] = 1;
        return false;
      },
      () => {},
    );
    const ks: number[] = [];
    for (let k = 0; k < names.length; k++) if (described[k] === 0) ks.push(k);
    if (ks.length < this.earlyReadsFromRuns) return null;
    const reads = startRunReads(
      this.runsDir,
      ks.map((k) => names[k]!),
      withSummaries,
      true,
      this.readWorkerUrl,
    );
    return { names: ks, reads };
  }

  /**
   * The run ids in the runs folder, each run.json stat'ed here when first asked
   * for; `placeOf[i]` is set to where snapshot entry i's run is among them.
   */
  private namesListed(snapshot: Snapshot | null, placeOf: Int32Array): ListedRuns {
    const { names, warnings } = listRunNames(this.runsDir);
    if (snapshot !== null) {
      for (let k = 0; k < names.length; k++) {
        const i = snapshot.findRun(names[k]!);
        if (i >= 0) placeOf[i] = k;
      }
    }
    return this.statsWhenAsked(names, warnings);
  }

  /**
   * The run ids among the names a probe listed, with where each is in its list
   * (its stats come later); `placeOf[i]` is set to where snapshot entry i's
   * run is among them. A name the snapshot has is a run id (its bytes matched).
   */
  private namesOf(listed: string[], snapshot: Snapshot | null, placeOf: Int32Array): ListedRuns {
    const names: string[] = [];
    const probeAt = new Int32Array(listed.length);
    for (let k = 0; k < listed.length; k++) {
      const name = listed[k]!;
      const i = snapshot === null ? -1 : snapshot.findRun(name);
      if (i >= 0) placeOf[i] = names.length;
      else if (!isRunId(name)) continue;
      probeAt[names.length] = k;
      names.push(name);
    }
    return { ...this.statsWhenAsked(names, []), probeAt };
  }

  /**
   * The run ids a probe listed and joined with the snapshot's ids (ListedNames'
   * `byIds`), in the folder's order: the snapshot's runs named by their entry's
   * id (`made`'s, when made), the others as listed. `placeOf[i]` is set to
   * where snapshot entry i's run is among them; the probe stats those by entry.
   */
  private namesJoined(
    others: string[],
    { runCount, placeOfId, otherAt }: NonNullable<ListedNames["byIds"]>,
    snapshot: Snapshot,
    made: Array<SnapshotRun | undefined>,
    placeOf: Int32Array,
  ): ListedRuns {
    const names = new Array<string>(runCount);
    const probeAt = new Int32Array(runCount).fill(-1);
    placeOf.set(placeOfId);
    for (let i = 0; i < placeOf.length; i++) {
      const k = placeOf[i]!;
      if (k < 0) continue;
      names[k] = made[i]?.id ?? snapshot.id(i);
      probeAt[k] = i;
    }
    for (let j = 0; j < others.length; j++) names[otherAt[j]!] = others[j]!;
    return { ...this.statsWhenAsked(names, []), probeAt };
  }

  /** `names` with room for their stats, each taken by `statAt` when first asked for (NaN: not yet). */
  private statsWhenAsked(names: string[], warnings: string[]): ListedRuns {
    const stats = new Float64Array(3 * names.length).fill(NaN);
    const statAt = (k: number): void => {
      if (!Number.isNaN(stats[3 * k]!)) return;
      const st = statRunFile(`${this.runsDir}/${names[k]!}`);
      stats[3 * k] = st === null ? NO_STAT : st.ino;
      if (st === null) return;
      stats[3 * k + 1] = st.size;
      stats[3 * k + 2] = st.mtime;
    };
    return { names, warnings, stats, statAt };
  }

  /**
   * The newest `limit` runs (index 1 = latest) and how many readable runs
   * there are, without listing the runs folder while it is unchanged: the
   * order comes from $G_HOME/runs-order.txt (runs-order.ts: checked against
   * the folder's ctime and mtime, with git's rule for changes within a clock
   * tick), runs without a created time are read from their files, and only the runs
   * returned are read in full. When the folder changed, it is listed again and
   * only runs without a known key are read (keys never change). A run returned
   * that turns out damaged, gone or with another key than the one recorded
   * sends this to a listing that reads every record, whose answer it then is.
   * A finished run damaged after it was keyed is counted (not warned about)
   * until it is among the newest.
   */
  listNewestRuns(limit: number): { runs: Run[]; total: number; warnings: string[] } {
    let now: FolderStamp | null;
    try {
      now = stampFolder(this.runsDir);
    } catch {
      return this.relistNewest(limit, false)!; // unreadable: the listing says why
    }
    if (now === null) return { runs: [], total: 0, warnings: [] };
    const snapshot = readTrustedOrder(this.home, now, limit);
    const answer = snapshot && this.newestFromSnapshot(snapshot, limit);
    return answer ?? this.relistNewest(limit, true) ?? this.relistNewest(limit, false)!;
  }

  /** listNewestRuns from a trusted snapshot; null when a run it names no longer reads as recorded. */
  private newestFromSnapshot(snapshot: OrderSnapshot, limit: number): { runs: Run[]; total: number; warnings: string[] } | null {
    const warnings: string[] = [];
    for (const id of snapshot.damaged) {
      const dir = `${this.runsDir}/${id}`;
      try {
        readRecord(dir, id);
        return null; // mended since
      } catch (err) {
        if (err instanceof RunGoneError) return null;
        warnings.push(damagedWarning(dir, err));
      }
    }
    const newest = new NewestRuns(limit);
    for (const k of snapshot.newest) newest.offer(k.id, k, null);
    for (const id of snapshot.unkeyed) {
      const dir = `${this.runsDir}/${id}`;
      let run: Run;
      try {
        run = { id, dir, ...readSettledRun(dir, id) };
      } catch {
        return null;
      }
      newest.offer(id, keyOf(run.record), run);
    }
    const runs = this.readCandidates(newest.top);
    return runs && { runs, total: snapshot.keyed + snapshot.unkeyed.length, warnings };
  }

  /**
   * Lists the runs folder and writes a new runs-order.txt. With `trustKeys`,
   * runs whose key the last snapshot (or, without one, index-keys.txt) holds
   * are not read, and null means a run returned did not read as keyed;
   * without, every record is read.
   */
  private relistNewest(limit: number, trustKeys: boolean): { runs: Run[]; total: number; warnings: string[] } | null {
    const probe = startOrderProbe(this.home);
    let before: FolderStamp | null = null;
    try {
      before = stampFolder(this.runsDir);
    } catch {
      /* unreadable: listRunNames says so */
    }
    const { names, warnings } = listRunNames(this.runsDir);
    let after: FolderStamp | null = null;
    try {
      after = stampFolder(this.runsDir);
    } catch {
      /* as above */
    }
    // The last snapshot's lines of runs still there are kept as text; the other runs are read (or, without a
    // snapshot, keyed from index-keys.txt).
    const remaining = new Set(names);
    const kept: string[] = [];
    if (trustKeys) for (const line of readOrderLines(this.home)) if (remaining.delete(line.slice(0, 32))) kept.push(line);
    const indexKeys = trustKeys && kept.length === 0 ? readKeys(this.home).keys : null;
    const newest = new NewestRuns(limit);
    const fresh: OrderKey[] = [];
    const read = new Map<string, Run>();
    const unkeyed: string[] = [];
    const damaged: string[] = [];
    for (const name of remaining) {
      const key = indexKeys?.get(name);
      if (key) {
        fresh.push({ id: name, ...key });
        continue;
      }
      const dir = `${this.runsDir}/${name}`;
      try {
        const run: Run = { id: name, dir, ...readSettledRun(dir, name) };
        const record = run.record;
        const k = { id: name, ...keyOf(record) };
        // readRecord gives a run without created its started time, or "" before it starts: keyed once it has one.
        if (k.created !== "") fresh.push(k);
        else {
          unkeyed.push(name);
          newest.offer(name, k, run);
        }
        read.set(name, run);
      } catch (err) {
        if (err instanceof RunGoneError) continue;
        warnings.push(damagedWarning(dir, err));
        damaged.push(name);
      }
    }
    const compare = (a: OrderKey, b: OrderKey) => compareKeys(a.id, a, b.id, b);
    fresh.sort(compare);
    const { lines, newest: keyed } = mergeKeyLines(kept, fresh, limit, compare);
    for (const k of keyed) newest.offer(k.id, k, read.get(k.id) ?? null);
    if (probe && before) writeOrder(probe, this.home, before, after, lines, unkeyed, damaged);
    else if (probe) abandonOrderProbe(probe);
    const runs = this.readCandidates(newest.top);
    return runs && { runs, total: lines.length + unkeyed.length, warnings };
  }

  /** The candidates' runs, read from their files where not read yet; null when one is gone, damaged or keyed otherwise. */
  private readCandidates(top: Candidate[]): Run[] | null {
    const runs: Run[] = [];
    for (const c of top) {
      if (c.run) {
        runs.push(c.run);
        continue;
      }
      const dir = `${this.runsDir}/${c.id}`;
      let run: Run;
      try {
        run = { id: c.id, dir, ...readSettledRun(dir, c.id) };
      } catch {
        return null;
      }
      const key = keyOf(run.record);
      if (key.created !== c.created || key.trial !== c.trial) return null;
      runs.push(run);
    }
    return runs;
  }

  /** Adds a finished run to the index (called when a run ends); best effort. */
  indexRun(id: string, record: RunRecord, summaries: Record<string, ScalarSummary>): void {
    const line = indexLine(this.runDir(id), record, summaries);
    if (line) appendIndexLines(this.home, [line]);
  }

  /**
   * Read-modify-write of run.json under the run's lock. The write is atomic;
   * by default it is durable when this returns (two fsyncs: the file, then
   * the folder, which on journalling file systems also commits the folder's
   * creation). The runner's start of a rerun passes "whole": never torn by a
   * power loss, made durable by the run's final update. The lock is the brief
   * one (a synchronous read-modify-write holds nobody up across event-loop turns).
   */
  async updateRun(id: string, mutate: (record: RunRecord) => void, durability: Durability = "durable"): Promise<RunRecord> {
    const dir = this.runDir(id);
    const path = join(dir, RUN_FILE);
    try {
      return await withBriefDirLock(dir, () => {
        const record = readRecord(dir, id);
        mutate(record);
        record.format = STORE_FORMAT;
        record.id = id;
        writeJsonAtomic(path, record, durability);
        return record;
      });
    } catch (err) {
      if (err instanceof GError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR" || code === "ELOOP")
        throw new NotFoundError(`run ${shortId(id)} cannot be updated (${dir}): ${describeDamage(err)}`);
      if (code === undefined) throw new NotFoundError(`run ${shortId(id)} cannot be updated (${dir}): ${(err as Error).message}`);
      throw toStoreWriteError(err, path);
    }
  }

  /**
   * Makes the run folder's entries durable (its run.json's last rename among
   * them), on the thread pool: what updateRun's default "durable" does at its
   * end, for a caller that wrote the record "whole" and goes on meanwhile.
   */
  syncRunFolder(id: string): Promise<void> {
    return syncDirAsync(this.runDir(id));
  }

  /** Appends scalar records to the run, all or none (a full disk is a StoreWriteError). */
  appendScalars(id: string, records: ScalarRecord[]): void {
    appendScalarRecords(this.runDir(id), records);
  }

  readScalars(id: string): ScalarRecord[] {
    return readScalarsFile(join(this.runDir(id), SCALARS_FILE));
  }

  /** Per-key scalar summaries, from the run's cache when it is current, else rebuilt. */
  readSummaries(run: Run): Record<string, ScalarSummary> {
    return readRunSummaries(run);
  }

  /** Recomputes and caches a run's scalar summaries (called when a run ends). */
  writeSummary(dir: string, knownBytes?: number): Record<string, ScalarSummary> {
    return writeRunSummary(dir, knownBytes);
  }

  /** Opens the run's output.log for the runner, which appends whole lines to it. */
  openOutput(run: Run): OutputLog {
    return new OutputLog(run.dir);
  }

  /** The last `lines` lines of the run's output.log. */
  readOutputTail(run: Run, lines: number): string[] {
    return readOutputTail(run.dir, lines);
  }

  /** The run's files as "path (size B)", for `g runs info`. */
  listFiles(run: Run): string[] {
    return listRunFiles(run.dir);
  }

  /**
   * Writes a file for the run's program to read (W&B's `${args_json_file}`)
   * into the run's folder and returns its path. Written before the program
   * starts and never changed, so a plain write is enough.
   */
  writeRunInput(id: string, name: string, text: string): string {
    if (!/^[\w.-]+$/.test(name) || name.startsWith(".")) throw new UsageError(`"${name}" is not a plain file name`);
    const path = join(this.runDir(id), name);
    try {
      writeFileSync(path, text);
    } catch (err) {
      throw toStoreWriteError(err, path);
    }
    return path;
  }

  /** Files an SDK saved into the run (files.json). */
  readSdkFiles(run: Run): SdkFile[] {
    return readSdkFiles(run.dir);
  }

  /** Messages an SDK logged into the run (logs.jsonl), counted by level. */
  summarizeSdkLogs(run: Run): LogSummary {
    return summarizeSdkLogs(run.dir);
  }

  /** ml_dash tracks an SDK appended to the run (tracks.jsonl): entries per topic. */
  summarizeTracks(run: Run): Record<string, number> {
    return summarizeTracks(run.dir);
  }

  /** Params an SDK logged inside the run (params.json), or null. */
  readSdkParams(run: Run): Flags | null {
    return readSdkParams(run.dir);
  }

  writeLock(id: string, lock: RunLock): void {
    const dir = this.runDir(id);
    try {
      writeRunLock(dir, lock);
    } catch (err) {
      throw toStoreWriteError(err, join(dir, LOCK_FILE));
    }
  }

  /**
   * Writes the run's LOCK with a heartbeat and keeps it fresh until the lease
   * is stopped (see locks.ts); `written`: the run was just created with this
   * process's LOCK, which the first beat or update replaces.
   */
  holdLease(id: string, lock: RunLock, opts: { written?: boolean } = {}): Lease {
    const dir = this.runDir(id);
    try {
      return holdLease(dir, lock, opts.written === true);
    } catch (err) {
      throw toStoreWriteError(err, join(dir, LOCK_FILE));
    }
  }

  removeLock(id: string): void {
    removeRunLock(this.runDir(id));
  }

  /** removeLock on the thread pool (a run whose record says `stopped`: its LOCK no longer counts). */
  removeLockAsync(id: string): Promise<void> {
    return removeRunLockAsync(this.runDir(id));
  }

  readLock(run: Run): RunLock | null {
    return readRunLock(run.dir);
  }

  /** Moves runs to the trash, or deletes them for good with `permanent`. */
  deleteRun(id: string, opts: { permanent?: boolean } = {}): void {
    const dir = this.runDir(id);
    if (opts.permanent) {
      removeFolder(dir);
      return;
    }
    mkdirSync(this.trashDir, { recursive: true });
    renameSync(dir, this.runDir(id, true));
  }

  restoreRun(id: string): void {
    const from = this.runDir(id, true);
    if (!existsSync(from)) throw new NotFoundError(`no run ${id} in the trash`);
    const to = this.runDir(id);
    if (existsSync(to)) throw new UsageError(`run ${shortId(id)} exists already; delete it first or leave it in the trash`);
    mkdirSync(this.runsDir, { recursive: true });
    renameSync(from, to);
  }

  purgeRun(id: string): void {
    removeFolder(this.runDir(id, true));
  }

  /**
   * Removes `runs/.new-<id>` folders that g or an SDK began but never renamed
   * into place, and `.gone-<id>-<pid>` folders a deletion left half removed
   * (the process died in between); younger ones may still be in the making.
   */
  removeAbandonedRuns(olderThanMs = ABANDONED_BUILD_MS, now = Date.now()): number {
    let removed = 0;
    for (const root of [this.runsDir, this.trashDir]) {
      let names: string[] = [];
      try {
        names = readdirSync(root);
      } catch {
        continue;
      }
      for (const name of names) {
        const building = name.startsWith(BUILDING_PREFIX) && isRunId(name.slice(BUILDING_PREFIX.length));
        if (!building && !GONE_NAME.test(name)) continue;
        const path = join(root, name);
        try {
          if (now - statSync(path).mtimeMs < olderThanMs) continue;
          rmSync(path, { recursive: true, force: true });
          removed++;
        } catch {
          /* gone meanwhile */
        }
      }
    }
    return removed;
  }
}

/**
 * The run ids under `root` (names that are not ids, such as `.new-<id>`
 * folders in the making, are not runs). A missing root is an empty store; one
 * that cannot be read is a warning.
 */
function listRunNames(root: string): { names: string[]; warnings: string[] } {
  try {
    return { names: readdirSync(root).filter(isRunId), warnings: [] };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { names: [], warnings: [] };
    return { names: [], warnings: [`cannot read the runs folder ${root}: ${describeDamage(err)}`] };
  }
}

/**
 * Removes a run folder for good. It is first renamed to a dot-name, so a
 * reader listing meanwhile sees the whole run or none of it, never one
 * half-deleted (without its run.json).
 */
function removeFolder(dir: string): void {
  const doomed = join(dirname(dir), `${GONE_PREFIX}${basename(dir)}-${process.pid}`);
  try {
    renameSync(dir, doomed);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  rmSync(doomed, { recursive: true, force: true });
}

/** A file's size in bytes, or -1 when it cannot be stat'ed. */
function fileSize(path: string): number {
  try {
    return statSync(path, { throwIfNoEntry: false })?.size ?? -1;
  } catch {
    return -1;
  }
}

/** A snapshot entry decoded, or null when damaged (then its run is read from its files). */
interface DecodedEntry {
  record: RunRecord;
  summaries: Record<string, ScalarSummary>;
}

function decodeEntry(snapshot: Snapshot, i: number, withSummaries: boolean): DecodedEntry | null {
  try {
    return { record: snapshot.record(i), summaries: withSummaries ? snapshot.summaries(i) : {} };
  } catch {
    return null;
  }
}

/**
 * `sorted` and `others`, each in `order` already, as one list in that order:
 * each of the few others is placed among the many sorted runs by a binary
 * search (log n comparisons each, where a sort of the whole compares every run).
 */
/** `stats` (3 numbers a name) from the probe's, which are by the probe's list (`probeAt`: each name's place there, -1: not in it). */
function copyProbedStats(stats: Float64Array, probed: Float64Array, probeAt: Int32Array, count: number): void {
  for (let k = 0; k < count; k++) {
    if (probeAt[k]! < 0) continue;
    const p = 3 * probeAt[k]!;
    stats[3 * k] = probed[p]!;
    stats[3 * k + 1] = probed[p + 1]!;
    stats[3 * k + 2] = probed[p + 2]!;
  }
}

/** The listing's names as readListing checks them: each snapshot entry's place among them, which are taken, and their stats. */
interface ListingState {
  names: string[];
  placeOf: Int32Array;
  taken: Uint8Array;
  stats: Float64Array;
  statAt: (k: number) => void;
}

/**
 * The listing entries of the snapshot's runs that read in place, by entry
 * (undefined for the others), named by their entry's id: made before the
 * folder is listed; whether each is listed and current is found after
 * (takeSnapshotRuns).
 */
function makeInPlaceRuns(snapshot: Snapshot, runsDir: string, withSummaries: boolean): Array<SnapshotRun | undefined> {
  const made = new Array<SnapshotRun | undefined>(snapshot.count);
  for (let i = 0; i < snapshot.count; i++) {
    if (snapshot.readsInPlaceFound(i)) made[i] = new SnapshotRun(snapshot.id(i), runsDir, snapshot, i, withSummaries);
  }
  return made;
}

/**
 * The snapshot's entries whose run is listed, not taken yet, and current
 * (run.json's stat as recorded): those read in place go to `inPlace` (their
 * entries `made` before, in the snapshot's order), the others to `decodeOdd`
 * (false: unreadable, left to the files). Marks them taken; gives how many
 * were. With `unchecked`, a run not stat'ed yet is taken as current and its
 * entry added there (the caller checks them later). A loop of its own (and
 * the odd entry a function of its own), so that the first odd entry met does
 * not throw the optimised loop away.
 */
function takeSnapshotRuns(
  snapshot: Snapshot,
  made: Array<SnapshotRun | undefined>,
  { names, placeOf, taken, stats, statAt }: ListingState,
  inPlace: RunWithSummaries[],
  decodeOdd: (i: number, name: string) => boolean,
  unchecked: number[] | null,
): number {
  let fromSnapshot = 0;
  for (let i = 0; i < snapshot.count; i++) {
    const k = placeOf[i]!;
    if (k < 0 || taken[k] !== 0) continue;
    // Checked later: a run not stat'ed yet (by the journal's check) is taken as current, and noted.
    const assumed = unchecked !== null && Number.isNaN(stats[3 * k]!);
    if (!assumed) {
      statAt(k);
      if (!snapshot.matches(i, stats[3 * k]!, stats[3 * k + 1]!, stats[3 * k + 2]!)) continue;
    }
    const listed = made[i];
    if (listed !== undefined) inPlace.push(listed);
    else if (!decodeOdd(i, names[k]!)) continue;
    if (assumed) unchecked!.push(i);
    taken[k] = 1;
    fromSnapshot++;
  }
  return fromSnapshot;
}

/**
 * The names not taken from the journal or the snapshot, in the listing's
 * order, each with its read: the early worker's (`earlyAt`: its place among
 * them, -1: none) or the next of `lateReads`.
 */
function pairReads(
  names: string[],
  taken: Uint8Array,
  earlyReads: RunRead[] | undefined,
  earlyAt: Int32Array,
  lateReads: RunRead[],
): { toRead: string[]; reads: RunRead[] } {
  const toRead: string[] = [];
  const reads: RunRead[] = [];
  for (let k = 0, next = 0; k < names.length; k++) {
    if (taken[k] !== 0) continue;
    toRead.push(names[k]!);
    reads.push(earlyReads !== undefined && earlyAt[k]! >= 0 ? earlyReads[earlyAt[k]!]! : lateReads[next++]!);
  }
  return { toRead, reads };
}

function mergeInOrder<T>(sorted: T[], others: T[], aheadOf: (other: T) => (r: T) => boolean): T[] {
  if (others.length === 0) return sorted;
  const out: T[] = [];
  let from = 0;
  for (const other of others) {
    const ahead = aheadOf(other);
    let lo = from;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ahead(sorted[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    for (let k = from; k < lo; k++) out.push(sorted[k]!);
    out.push(other);
    from = lo;
  }
  for (let k = from; k < sorted.length; k++) out.push(sorted[k]!);
  return out;
}

/** The first and last times whose ISO text (toISOString) has four digits of year: text order is time order there. */
const FIRST_ISO_MS = Date.parse("0000-01-01T00:00:00.000Z");
const LAST_ISO_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** `text`'s time (ms) when it is toISOString's text of it with a four-digit year, else NaN. */
function plainIsoMs(text: string): number {
  if (text.length !== 24) return NaN;
  const ms = Date.parse(text);
  return ms >= FIRST_ISO_MS && ms <= LAST_ISO_MS && new Date(ms).toISOString() === text ? ms : NaN;
}

/**
 * For mergeInOrder: whether a listed run (one read in place) comes before
 * `other` newest first (compareKeys). Made once for each other run, whose key
 * it makes once; a run read in place is then compared by its created time's
 * number when both times are plain ISO texts (whose order as text is their
 * order as numbers) and differ, so the binary search decodes no created text
 * a step; otherwise by its key as compareKeys does.
 */
function aheadOfListed(other: RunWithSummaries): (r: RunWithSummaries) => boolean {
  const key = keyOfListed(other);
  const ms = plainIsoMs(key.created);
  return (r) => {
    const run = r.run;
    if (!Number.isNaN(ms) && run instanceof SnapshotRun) {
      const m = run.timeMs("created");
      if (m >= FIRST_ISO_MS && m <= LAST_ISO_MS && m !== ms) return m > ms;
    }
    return compareKeys(run.id, keyOfListed(r), other.run.id, key) < 0;
  };
}

/** A stat as `Snapshot.matches` takes it; a missing one matches no entry. */
/**
 * The runs folder's run ids and run.json's stat of each: `stats[3k]`, `[3k + 1]`
 * and `[3k + 2]` are the inode, size and mtime (ms) of `names[k]`'s, once
 * `statAt(k)` has been called (inode NO_STAT: none).
 */
interface ListedRuns {
  names: string[];
  warnings: string[];
  stats: Float64Array;
  statAt: (k: number) => void;
  /** For names a probe listed: where `names[k]`'s stats are in the probe's (its place in the list, or its snapshot entry's; -1: not stat'ed). */
  probeAt?: Int32Array;
}

/** An inode no run.json has: the file could not be stat'ed. */
const NO_STAT = -1;

/** A listed run's ordering key, from its fields when it has them (a run from the snapshot stays undecoded). */
function keyOfListed(r: RunWithSummaries): RunKey {
  const f = r.fields;
  if (f === undefined) return keyOf(r.run.record);
  return {
    created: ((f.field("created") ?? f.field("started")) as string | undefined) ?? "",
    trial: (f.field("trial") as number | undefined) ?? 0,
  };
}

/** Whether a listed run has stopped, without decoding a run served from index.bin (it holds finished runs only). */
export function isListedRunStopped(run: Run): boolean {
  return run instanceof SnapshotRun || run.record.stopped != null;
}

/** The listing's order (newest first) of two of its entries, as listRunsWithSummaries sorts them. */
export function compareListedRuns(a: RunWithSummaries, b: RunWithSummaries): number {
  return compareKeys(a.run.id, keyOfListed(a), b.run.id, keyOfListed(b));
}

/** A run's ordering key: created (or started), then its trial number. */
function keyOf(record: RunRecord): RunKey {
  return { created: record.created ?? record.started ?? "", trial: record.trial ?? 0 };
}

function compareNewestFirst(a: Run, b: Run): number {
  return compareKeys(a.id, keyOf(a.record), b.id, keyOf(b.record));
}

/** Newest first: later created first; trials of one batch created in the same millisecond, higher trial first; then id. */
function compareKeys(ida: string, a: RunKey, idb: string, b: RunKey): number {
  if (a.created !== b.created) return a.created < b.created ? 1 : -1;
  if (a.trial !== b.trial) return b.trial - a.trial;
  return ida < idb ? 1 : ida > idb ? -1 : 0;
}

/** A run to list: its key, and the run itself when it was read already. */
interface Candidate extends RunKey {
  id: string;
  run: Run | null;
}

/** The newest `limit` runs offered, newest first, kept in one pass (no sort of the 100 000). */
class NewestRuns {
  readonly top: Candidate[] = [];

  constructor(private readonly limit: number) {}

  offer(id: string, key: RunKey, run: Run | null): void {
    const { top, limit } = this;
    if (limit <= 0) return;
    // Most runs are older than the oldest kept: one comparison, no object.
    if (top.length === limit && compareKeys(id, key, top[limit - 1]!.id, top[limit - 1]!) >= 0) return;
    const c: Candidate = { id, created: key.created, trial: key.trial, run };
    let i = Math.min(top.length, limit - 1);
    if (top.length < limit) top.push(c);
    while (i > 0 && compareKeys(id, key, top[i - 1]!.id, top[i - 1]!) < 0) {
      top[i] = top[i - 1]!;
      i--;
    }
    top[i] = c;
  }
}
