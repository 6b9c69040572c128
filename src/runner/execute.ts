// Runs one run's process to its end: LOCK while it lives, output teed to the
// terminal and output.log, scalars parsed as they arrive (and the ones an SDK
// appends to scalars.jsonl followed), signals forwarded to the child's process
// group, and the record finished atomically.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { constants as osConstants } from "node:os";
import { RUN_FILE, StoreWriteError, isoNow, ownLock, readProcessStart, stoppedStatus, type RunStore } from "../store/store.js";
import { OUTPUT_FILE, SCALARS_FILE, SUMMARY_FILE } from "../store/paths.js";
import type { Flags, Placement, Run, RunRecord, RunStatus, ScalarRecord, ScalarSummary } from "../store/types.js";
import { followScalars, type ScalarTail } from "./scalar-tail.js";
import { LineSplitter, createScalarParser } from "./scalars.js";
import { STOP_GRACE_MS, STOP_REQUEST_FILE, STOP_REQUEST_SIGNAL } from "./signals.js";
import { copySourceCode } from "./sourcecode.js";

/**
 * A script that died of SIGTERM, SIGINT or SIGHUP that g did not send may have
 * been stopped with g (a scheduler signals every process of its job, a
 * terminal its whole foreground group, in no set order): g waits this long
 * for its own copy of the signal before recording the run as an `error`.
 */
export const SHARED_SIGNAL_WAIT_MS = 500;
const SHARED_STOP_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(["SIGTERM", "SIGINT", "SIGHUP"]);

export type OutputSink = (text: string, stream: "stdout" | "stderr") => void;

export interface ExecuteOptions {
  store: RunStore;
  run: Run;
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where output is shown besides output.log (null: nowhere). */
  sink: OutputSink | null;
  /** The script whose directory's source files are copied into sourcecode/. */
  sourceOf?: string;
  /**
   * Each scalar as it is recorded: parsed from the output, or appended to
   * scalars.jsonl by an SDK in the script. A key's values come from one of the
   * two, the first that gave one: a script that both prints and logs a metric
   * is not counted twice.
   */
  onScalar?: (record: ScalarRecord) => void;
  /**
   * The caller reports ExecuteResult.writeError itself (`g run` exits with it);
   * otherwise (batch trials, agents) its line is shown on the sink when it happens.
   */
  reportsWriteError?: boolean;
  /** The scheduler job this process runs in (kept in the LOCK and run.json), when a backend started it. */
  placement?: Placement;
  /**
   * `done` resolves once the run's end is in its record (run.json replaced,
   * never torn) and its summaries are written; the rest of its end (the run
   * folder's fsync, which makes that record durable, its index line, the
   * LOCK's removal) follows on its own, and ExecuteResult.settled says when.
   * An agent claims and starts its next trial meanwhile. Without it `done`
   * waits for all of it.
   */
  settleLater?: boolean;
  /**
   * The run was created already started by this process, with this argv and
   * placement (createStartedRun, or a sweep claim given startedFields), so
   * run.json is not written again until the run ends.
   */
  createdStarted?: boolean;
}

export interface ExecuteResult {
  exitCode: number;
  status: RunStatus;
  /** The record's flags after the run (an SDK may have added params). */
  flags: Flags;
  /**
   * The run's scalar summaries as its summary.json now holds them (empty when
   * its end could not be recorded): what an agent reads its objective from,
   * without reading the files again.
   */
  summaries: Record<string, ScalarSummary>;
  /**
   * Set when the run's files could not be written (disk full): the script was
   * stopped, the run is `error`, and this one-line error names the file.
   */
  writeError: StoreWriteError | null;
  /**
   * Resolves when the run's end is durable and its bookkeeping done (at once
   * unless ExecuteOptions.settleLater); never rejects. A process must wait for
   * it before it exits.
   */
  settled: Promise<void>;
}

/** Already settled: a result whose run's end was recorded in full before `done` resolved. */
const SETTLED: Promise<void> = Promise.resolve();

export interface RunningProcess {
  pid: number | undefined;
  done: Promise<ExecuteResult>;
  /**
   * Asks the process group to stop: `interrupt` forwards SIGINT (Ctrl-C),
   * otherwise SIGTERM; SIGKILL follows after a grace period. The run is
   * recorded `terminated`, or `early-stopped` with that reason. False (and
   * nothing done) for an early stop asked once the process has ended: its
   * last scalars, read after its exit, do not turn a finished run into a stopped one.
   */
  stop(reason: "interrupt" | "terminate" | "early-stop"): boolean;
}

/**
 * The fields startRun records when a run starts, for a run created already
 * started (see createStartedRun): the record is then written twice in the
 * run's life instead of three times, one fsync less.
 */
export function startedFields(argv: string[], placement?: Placement): Partial<RunRecord> {
  return { started: isoNow(), cmd: argv, ...(placement ? { placement } : {}) };
}

/**
 * Creates a run that this process starts at once (pass `createdStarted` to
 * startRun): its folder appears with run.json already started and its LOCK.
 */
export function createStartedRun(store: RunStore, fields: Partial<RunRecord> & { op: string }, argv: string[], placement?: Placement): Run {
  return store.createRun({ ...fields, ...startedFields(argv, placement) }, { lock: { ...ownLock(), ...(placement ? { placement } : {}) } });
}

export async function startRun(opts: ExecuteOptions): Promise<RunningProcess> {
  const { store, run } = opts;
  // The LOCK's lease is refreshed while the run lives, so hosts sharing the store see it alive.
  const lease = store.holdLease(
    run.id,
    { ...ownLock(), ...(opts.placement ? { placement: opts.placement } : {}) },
    // Created started, the run has this process's LOCK already; the child's pid rewrites it in a moment.
    { written: opts.createdStarted === true },
  );
  if (!opts.createdStarted)
    await store.updateRun(
      run.id,
      (r) => {
        r.started = isoNow();
        r.stopped = null;
        r.exit_status = null;
        r.cmd = opts.argv;
        if (opts.placement) r.placement = opts.placement;
        else delete r.placement;
        delete r.terminated;
        delete r.early_stopped;
      },
      // Never torn; durable with the run's final update (a run's fsyncs: created, ended, its folder).
      "whole",
    );

  const output = store.openOutput(run);
  if (!opts.createdStarted) {
    // A rerun in place (a restart): its scalars are this attempt's alone, so that count, min and avg
    // do not mix attempts; output.log keeps the earlier attempt's lines above a marker.
    const hadScalars = existsSync(join(run.dir, SCALARS_FILE));
    rmSync(join(run.dir, SCALARS_FILE), { force: true });
    rmSync(join(run.dir, SUMMARY_FILE), { force: true });
    if (existsSync(join(run.dir, OUTPUT_FILE)) && statSync(join(run.dir, OUTPUT_FILE)).size > 0)
      output.appendText(`--- g: run restarted ${isoNow()}${hadScalars ? "; the earlier attempt's scalars were dropped" : ""} ---\n`);
  }
  const parsers = { stdout: createScalarParser(), stderr: createScalarParser() };
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  let stopReason: "interrupt" | "terminate" | "early-stop" | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  /** Resolves the wait for a stop that follows the script's own death by a signal. */
  let stopHeard: (() => void) | null = null;

  /** Whether the child has ended (its pipes closed, or it never started). */
  let ended = false;

  // Which source passes a key's values on: the first to give one. A script that prints
  // `acc: 0.9` and logs acc=0.9 through an SDK has both recorded (as before) but counted once.
  const keySource = new Map<string, "output" | "sdk">();
  const passOn = (recs: ScalarRecord[], source: "output" | "sdk") => {
    for (const r of recs) {
      const owner = keySource.get(r.key);
      if (owner === undefined) keySource.set(r.key, source);
      else if (owner !== source) continue;
      opts.onScalar!(r);
    }
  };
  // Started before the child, so nothing an SDK in the script writes is missed; only when someone listens.
  const tail: ScalarTail | null = opts.onScalar ? followScalars(join(run.dir, SCALARS_FILE), (recs) => passOn(recs, "sdk")) : null;

  const recordLines = (lines: string[], stream: "stdout" | "stderr") => {
    const t = Date.now() / 1000;
    const recs: ScalarRecord[] = [];
    for (const line of lines) {
      const rec = parsers[stream].feed(line, t);
      if (rec) recs.push(rec);
    }
    if (recs.length === 0) return;
    store.appendScalars(run.id, recs);
    // The tail reads these lines back from scalars.jsonl: they were passed on here already.
    tail?.skip(recs);
    if (opts.onScalar) passOn(recs, "output");
  };

  let child: ChildProcess;
  let spawnError: NodeJS.ErrnoException | null = null;
  try {
    child = spawn(opts.argv[0]!, opts.argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so Ctrl-C and `g stop` reach the script and its children.
      detached: true,
    });
  } catch (err) {
    spawnError = err as NodeJS.ErrnoException;
    child = null as unknown as ChildProcess;
  }

  if (child?.pid !== undefined) {
    // With its identity, so that readers can tell the script still alive after this process dies
    // (kill -9) from a later process with its pid; read now, before the child can be reaped.
    const childStart = readProcessStart(child.pid);
    lease.update({ child: child.pid, ...(childStart !== null ? { child_start: childStart } : {}) });
  }
  const sourceCopy = opts.sourceOf ? copySourceCode(opts.sourceOf, run.dir, store.home).catch(() => undefined) : Promise.resolve();

  // A write that fails (disk full, store removed) stops the script rather than crash g:
  // the store leaves what was written whole (whole lines, or nothing), and the run
  // ends recorded as far as the disk allows; the caller reports ioError's one line.
  let ioError: StoreWriteError | null = null;
  const failWrite = (err: unknown) => {
    ioError =
      err instanceof StoreWriteError ? err : new StoreWriteError(`cannot write ${run.dir} (${(err as Error).message})`, run.dir, undefined);
    if (!opts.reportsWriteError) opts.sink?.(`g: ${ioError.message} (run ${run.id.slice(0, 8)} stopped)\n`, "stderr");
  };
  const onData = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    opts.sink?.(text, stream);
    if (ioError) return;
    try {
      output.append(chunk, stream);
      recordLines(splitters[stream].push(text), stream);
    } catch (err) {
      failWrite(err);
      handle.stop("terminate");
    }
  };

  const done = new Promise<ExecuteResult>((resolveDone) => {
    const finish = async (code: number | null, signal: NodeJS.Signals | null, error?: NodeJS.ErrnoException) => {
      ended = true;
      if (killTimer) clearTimeout(killTimer);
      // The process is gone: what is left is recording its end, well within a lease.
      lease.stop();
      if (stopReason === null && signal !== null && SHARED_SIGNAL_WAIT_MS > 0 && SHARED_STOP_SIGNALS.has(signal)) {
        await new Promise<void>((heard) => {
          stopHeard = heard;
          setTimeout(heard, SHARED_SIGNAL_WAIT_MS);
        });
        stopHeard = null;
        if (killTimer) clearTimeout(killTimer);
      }
      const exitCode = error ? 127 : (code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
      try {
        await finishRecord(exitCode, error);
      } catch (err) {
        // The disk or the store failed at the very end: run.json keeps its last whole version
        // and the LOCK stays, so the run reads as `error`; the caller reports the one line.
        if (!ioError)
          failWrite(
            err instanceof StoreWriteError
              ? err
              : new StoreWriteError(
                  `cannot record the end of run ${run.id.slice(0, 8)} in ${join(run.dir, RUN_FILE)} (${(err as Error).message}); it will show as error`,
                  run.dir,
                  undefined,
                ),
          );
        resolveDone({
          exitCode: exitCode === 0 ? 1 : exitCode,
          status: "error",
          flags: run.record.flags,
          summaries: {},
          writeError: ioError,
          settled: SETTLED,
        });
      }
    };
    const finishRecord = async (exitCode: number, error?: NodeJS.ErrnoException) => {
      try {
        if (!ioError) {
          recordLines(splitters.stdout.flush(), "stdout");
          recordLines(splitters.stderr.flush(), "stderr");
          output.flush();
        }
        // What an SDK wrote since the last read, then no more following.
        tail?.close();
        if (error) {
          const msg = `g: cannot start ${opts.argv[0]}: ${error.code ?? error.message}\n`;
          opts.sink?.(msg, "stderr");
          if (!ioError) output.appendText(msg);
        }
      } catch (err) {
        failWrite(err);
      } finally {
        output.close();
      }
      await sourceCopy;
      const params = store.readSdkParams(run);
      const failedWrite = ioError as StoreWriteError | null;
      // Durable when settled: run.json's fsync and its folder's (the run's second and third). The
      // record is never torn from here on, and once it says `stopped` the run's status comes from
      // it alone (store/status.ts): a LOCK left by a writer killed before removing it changes nothing.
      const record = await store.updateRun(
        run.id,
        (r) => {
          r.stopped = isoNow();
          // A run whose files could not be written is not `completed`, whatever the script said.
          r.exit_status = failedWrite && exitCode === 0 ? 1 : exitCode;
          if (failedWrite) r.error = `g could not write the run's files: ${failedWrite.message}`;
          else if (stopReason === "early-stop") r.early_stopped = true;
          else if (stopReason !== null) r.terminated = true;
          if (params) r.flags = { ...params, ...r.flags };
        },
        "whole",
      );
      const summaries = store.writeSummary(run.dir);
      const status: RunStatus = failedWrite ? "error" : stoppedStatus(record);
      const result = { exitCode: record.exit_status ?? exitCode, status, flags: record.flags, summaries, writeError: failedWrite };
      if (!opts.settleLater) {
        await settleEnd(record, summaries);
        resolveDone({ ...result, settled: SETTLED });
        return;
      }
      resolveDone({ ...result, settled: settleEnd(record, summaries).catch(reportSettleError) });
    };
    /**
     * What follows the record at a run's end: the folder's fsync and the LOCK's removal, both on
     * the thread pool (each may wait for the file system's journal; a caller that settles later
     * claims and starts its next trial meanwhile), and the index line. No reader trusts the last
     * two: the index is checked against the run's files, and a LOCK counts only for a run whose
     * record is not stopped.
     */
    const settleEnd = async (record: RunRecord, summaries: Record<string, ScalarSummary>) => {
      const lockRemoved = store.removeLockAsync(run.id);
      await store.syncRunFolder(run.id);
      store.indexRun(run.id, record, summaries);
      await lockRemoved;
    };
    /** A run already reported ended, whose index line or LOCK removal failed: said once, as a write error is. */
    const reportSettleError = (err: unknown) => {
      if (!opts.reportsWriteError)
        opts.sink?.(`g: run ${run.id.slice(0, 8)} ended, but ${(err as Error).message} (its index line or LOCK may be left)\n`, "stderr");
    };
    if (spawnError || !child) {
      void finish(null, null, spawnError ?? new Error("spawn failed"));
      return;
    }
    child.stdout!.on("data", onData("stdout"));
    child.stderr!.on("data", onData("stderr"));
    let failed: NodeJS.ErrnoException | undefined;
    child.on("error", (err) => {
      failed = err as NodeJS.ErrnoException;
    });
    child.on("close", (code, signal) => void finish(code, signal, failed));
  });

  const signalGroup = (sig: NodeJS.Signals) => {
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };

  const handle: RunningProcess = {
    pid: child?.pid,
    done,
    stop(reason) {
      if (reason === "early-stop" && ended) return false;
      const first = stopReason === null;
      stopReason ??= reason;
      if (stopHeard) {
        // The script is already gone (it died of the same signal): only the reason is left to record.
        stopHeard();
        return true;
      }
      if (!first) {
        // Asked twice (a second Ctrl-C): no more waiting.
        signalGroup("SIGKILL");
        return true;
      }
      signalGroup(reason === "interrupt" ? "SIGINT" : "SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), STOP_GRACE_MS);
      killTimer.unref();
      return true;
    },
  };
  stoppable.set(run.dir, handle);
  // A request that came while the run was created but not yet started.
  if (existsSync(join(run.dir, STOP_REQUEST_FILE))) onStopRequest();
  const forget = () => {
    stoppable.delete(run.dir);
    rmSync(join(run.dir, STOP_REQUEST_FILE), { force: true });
  };
  done.then(forget, forget);
  return handle;
}

/** The runs this process is recording, by folder: what a stop request (signals.ts, STOP_REQUEST_FILE) looks through. */
const stoppable = new Map<string, RunningProcess>();
// From the moment this module is loaded, so that a request between two trials never meets SIGUSR2's
// default action (the end of the process); a signal listener does not keep the process alive.
process.on(STOP_REQUEST_SIGNAL, onStopRequest);

function onStopRequest(): void {
  for (const [dir, handle] of stoppable) {
    if (!existsSync(join(dir, STOP_REQUEST_FILE))) continue;
    rmSync(join(dir, STOP_REQUEST_FILE), { force: true });
    handle.stop("terminate");
  }
}
