// `g runs` (info, delete, restore, purge, label, tag) and `g stop`: read the
// store, select with src/query/select, act, print. The list is runs-list.ts.

import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { EXIT, GError, NotFoundError, UsageError } from "../errors.js";
import { checkLabel, checkTags } from "../flags/check-names.js";
import { checkRunSpecs, filterRuns, selectRuns, type IndexedRun, type RunFilters } from "../query/select.js";
import { requestStop } from "../runner/signals.js";
import { formatGRunCommand, quoteShellWord } from "../format/shell-words.js";
import { globalsScriptOf } from "../runner/command.js";
import { FILES_DIR, isoNow, shortId, type RunStore, type SdkFile } from "../store/store.js";
import type { Flags, Run, ScalarSummary } from "../store/types.js";
import { cancelPlacement, formatJob } from "../backends/index.js";
import { escapeControlChars, formatNumber } from "../format/values.js";
import { confirm, say, sayLines } from "./prompt.js";
import { formatDuration, formatPlacement, formatTime, loadRuns, loadRunsReaped, openStore, prefixMiss, runJson } from "./runs-list.js";
import { isTerminal, writeOut } from "../runner/terminal.js";

export { DEFAULT_LIST_LIMIT, listCommand } from "./runs-list.js";

export async function infoCommand(spec: string | undefined, opts: { json?: boolean }): Promise<void> {
  const store = openStore();
  const all = await loadRunsReaped(store);
  const picked = selectRuns(all, [spec ?? "1"]);
  if (picked.length !== 1) throw new UsageError(`g runs info takes one run; "${spec}" selects ${picked.length}`);
  const { index, run } = picked[0]!;
  const scalars = store.readSummaries(run);
  const files = store.listFiles(run);
  const artifacts = store.readSdkFiles(run);
  const logs = store.summarizeSdkLogs(run);
  const tracks = store.summarizeTracks(run);
  const children = all.filter((c) => c.run.record.parent === run.id);
  const settings = optimizerSettings(run);
  if (opts.json) {
    const extra = { optimizer_settings: settings, children: children.map((c) => c.run.id), scalars, files, artifacts, logs, tracks };
    writeOut(JSON.stringify({ ...runJson({ index, run }), ...extra }, null, 2) + "\n");
    return;
  }
  const r = run.record;
  const lines = [
    `id:        ${run.id}`,
    `op:        ${r.op}`,
    `status:    ${run.status}${r.exit_status != null ? ` (exit ${r.exit_status})` : ""}`,
    `started:   ${formatTime(r.started)}`,
    `stopped:   ${formatTime(r.stopped)}`,
    `time:      ${formatDuration(run)}`,
    `label:     ${r.label ?? ""}`,
    `tags:      ${(r.tags ?? []).join(", ")}`,
  ];
  if (typeof r.prefix === "string" && r.prefix !== "") lines.push(`prefix:    ${r.prefix}`);
  if (typeof r.description === "string" && r.description !== "") lines.push(`description: ${r.description}`);
  if (typeof r.error === "string") lines.push(`error:     ${r.error}`);
  lines.push(`cwd:       ${r.cwd}`, `command:   ${await commandLine(store, run)}`, `dir:       ${run.dir}`);
  if (r.batch) lines.push(`batch:     ${r.batch} (trial ${r.trial ?? "?"})`);
  if (r.placement) lines.push(`job:       ${formatPlacement(r.placement)}`);
  if (r.parent) lines.push(`parent:    ${r.parent}${describeIndexed(all.find((p) => p.run.id === r.parent))}`);
  if (typeof r.sweep === "string") lines.push(`sweep:     ${r.sweep}${typeof r.trial === "number" ? ` (trial ${r.trial})` : ""}`);
  // An orphaned sweep trial that a later agent ran again: only the retry counts.
  if (typeof r.retried_by === "string")
    lines.push(`retried:   by ${r.retried_by}${describeIndexed(all.find((p) => p.run.id === r.retried_by))}`);
  if (r.space) {
    lines.push(`optimizer: ${r.optimizer ?? r.op}${r.seed !== undefined ? ` (seed ${r.seed})` : ""}`);
    if (r.objective) lines.push(`objective: ${r.objective.goal} ${r.objective.column}`);
    if (typeof r.max_trials === "number")
      lines.push(
        `trials:    ${r.max_trials}${typeof r.restarts === "number" && r.restarts > 0 ? ` (restarted ${r.restarts} time${r.restarts === 1 ? "" : "s"})` : ""}`,
      );
    const entries = Object.entries(settings ?? {});
    // Shown as --opt-flag spells them (randomStarts is random-starts); the rest are the optimizer's defaults.
    if (entries.length > 0)
      lines.push(
        `settings:  ${entries.map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${formatSetting(v)}`).join(", ")}`,
      );
  }
  if (children.length > 0) {
    lines.push(`children:  ${children.length}`);
    for (const c of children) lines.push(`  ${shortId(c.run.id)}${describeIndexed(c)}`);
  }
  lines.push("flags:");
  for (const [k, v] of Object.entries(r.flags)) lines.push(`  ${k}: ${String(v)}`);
  lines.push("scalars:");
  for (const [k, s] of Object.entries(scalars)) lines.push(`  ${k}: ${formatScalar(s)}`);
  if (logs.count > 0) {
    const levels = Object.entries(logs.levels).map(([level, n]) => `${level} ${n}`);
    lines.push(`logs:      ${logs.count} (${levels.join(", ")})`);
  }
  const topics = Object.entries(tracks);
  if (topics.length > 0) lines.push(`tracks:    ${topics.map(([topic, n]) => `${topic} ${n}`).join(", ")}`);
  if (artifacts.length > 0) {
    // The files an SDK saved (experiment.files(...)), with what it said about them.
    lines.push("artifacts:");
    for (const a of artifacts) lines.push(`  ${describeArtifact(a)}`);
  }
  lines.push("files:");
  for (const f of files) lines.push(`  ${f}`);
  // Each line stays one line: a newline or an escape in a label, a flag, a description or a file name shows escaped
  // (`\n`, `\x1b`), as in g compare's table; --json gives the exact text.
  writeOut(lines.map(escapeControlChars).join("\n") + "\n");
}

/**
 * The run's command as a line to copy: its argv, or for a globals-style
 * script (run under g's bootstrap, its globals set from G_FLAGS) the `g run`
 * that gives every global the value the run had.
 */
async function commandLine(store: RunStore, run: Run): Promise<string> {
  const script = globalsScriptOf(run.record.cmd);
  if (script === null) return run.record.cmd.map(quoteShellWord).join(" ");
  return formatGRunCommand(script, await scriptFlags(store, run, script));
}

/**
 * The run's flags that were the script's: an SDK inside the run adds its
 * params to the run's flags when it ends (params.json), and `g run` refuses a
 * name a globals-style script does not have; so when there are any, only the
 * names the script declares (as the run's copy of it, else the script, shows
 * them) are kept.
 */
async function scriptFlags(store: RunStore, run: Run, script: string): Promise<Flags> {
  const flags = run.record.flags;
  if (store.readSdkParams(run) === null) return flags;
  const { inspectScript } = await import("../runner/inspect.js");
  const copy = join(run.dir, "sourcecode", basename(script));
  try {
    const info = inspectScript(existsSync(copy) ? copy : script, join(store.home, "cache", "inspect"));
    if (info.sdkFlags === "open") return flags;
    return Object.fromEntries(Object.entries(flags).filter(([name]) => name in info.flags));
  } catch {
    return flags; // neither the copy nor the script can be read: every flag
  }
}

export async function deleteCommand(specs: string[], opts: RunFilters & { yes?: boolean; permanent?: boolean }): Promise<void> {
  const store = openStore();
  const picked = pick(loadRuns(store), specs, opts, "delete");
  const running = picked.filter((r) => r.run.status === "running");
  if (running.length > 0)
    throw new UsageError(`run ${shortId(running[0]!.run.id)} is running; stop it first with g stop ${shortId(running[0]!.run.id)}`);
  const verb = opts.permanent ? "permanently delete" : "delete (move to the trash)";
  if (!(await ask(opts.yes, `You are about to ${verb} ${picked.length} run(s):`, picked))) return;
  for (const { run } of picked) store.deleteRun(run.id, { permanent: opts.permanent });
  say(
    `${opts.permanent ? "Deleted" : "Moved to the trash"}: ${picked.length} run(s)${opts.permanent ? "" : " (g runs restore brings them back)"}`,
  );
}

export async function restoreCommand(specs: string[], opts: { yes?: boolean }): Promise<void> {
  const store = openStore();
  checkRunSpecs(specs);
  const trash = loadRuns(store, true);
  if (trash.length === 0) throw new NotFoundError("the trash is empty");
  const picked = specs.length === 0 ? trash : selectRuns(trash, specs, "g runs list --trash");
  if (!(await ask(opts.yes, `You are about to restore ${picked.length} run(s):`, picked))) return;
  for (const { run } of picked) store.restoreRun(run.id);
  say(`Restored ${picked.length} run(s)`);
}

export async function purgeCommand(specs: string[], opts: { yes?: boolean }): Promise<void> {
  // Before anything is removed, and even when the trash is empty: `../../x` is never a run.
  checkRunSpecs(specs);
  const store = openStore();
  const abandoned = store.removeAbandonedRuns();
  if (abandoned > 0) say(`Removed ${abandoned} run folder(s) left half made or half deleted`);
  const trash = loadRuns(store, true);
  if (trash.length === 0) {
    // Runs named but none to purge is a miss, as in a trash that has others (exit 3); a bare purge is done.
    if (specs.length > 0) throw new NotFoundError(`the trash is empty: no run ${specs.join(", ")} to purge`);
    say("the trash is empty");
    return;
  }
  const picked = specs.length === 0 ? trash : selectRuns(trash, specs, "g runs list --trash");
  if (!(await ask(opts.yes, `You are about to delete ${picked.length} run(s) in the trash for good:`, picked))) return;
  for (const { run } of picked) store.purgeRun(run.id);
  say(`Purged ${picked.length} run(s)`);
}

export async function labelCommand(specs: string[], opts: { set?: string; clear?: boolean }): Promise<void> {
  if ((opts.set === undefined) === !opts.clear) throw new UsageError("give --set TEXT or --clear");
  checkLabel(opts.set, "--set");
  const store = openStore();
  const picked = selectRuns(loadRuns(store), specs);
  for (const { run } of picked) await store.updateRun(run.id, (r) => void (r.label = opts.clear ? "" : opts.set!));
  say(`${opts.clear ? "Cleared the label of" : "Labelled"} ${picked.length} run(s)`);
}

export async function tagCommand(specs: string[], opts: { add?: string[]; remove?: string[] }): Promise<void> {
  const add = opts.add ?? [];
  const remove = opts.remove ?? [];
  if (add.length === 0 && remove.length === 0) throw new UsageError("give --add TAG and/or --remove TAG");
  checkTags(add, "--add");
  const store = openStore();
  const picked = selectRuns(loadRuns(store), specs);
  for (const { run } of picked) {
    await store.updateRun(run.id, (r) => {
      const tags = (r.tags ?? []).filter((t) => !remove.includes(t));
      for (const t of add) if (!tags.includes(t)) tags.push(t);
      r.tags = tags;
    });
  }
  say(`Updated the tags of ${picked.length} run(s)`);
}

/**
 * `g stop`: asks each running run given (or, without RUNs, each running run)
 * to stop. A run it cannot stop (not running, on another host, a job the
 * scheduler would not cancel) gets one line, the others are stopped all the
 * same, and then g exits 2.
 */
export async function stopCommand(specs: string[], opts: { yes?: boolean }): Promise<void> {
  const store = openStore();
  const all = await loadRunsReaped(store);
  const picked = specs.length === 0 ? all : selectRuns(all, specs);
  const candidates = picked.filter((r) => r.run.status === "running");
  // Without RUNs, the running ones are what was asked for; a run named by the user must be running.
  const problems =
    specs.length === 0
      ? []
      : picked.filter((r) => r.run.status !== "running").map(({ run }) => `run ${shortId(run.id)} is not running (${run.status})`);
  if (candidates.length === 0 && problems.length === 0) {
    say("no running runs to stop");
    return;
  }
  if (candidates.length > 0 && !(await ask(opts.yes || specs.length > 0, `You are about to stop ${candidates.length} run(s):`, candidates)))
    return;
  // A batch's job is cancelled whole: its trials' own tasks need no scancel of their own.
  const cancelledJobs = new Set<string>();
  let stopped = 0;
  /** Runs a bare g stop left to another host (named, not counted as problems). */
  let left = 0;
  /** Whether the scheduler refused to cancel a job (exit 1 rather than 2). */
  let schedulerFailed = false;
  const locked = candidates.flatMap(({ run }) => {
    const lock = store.readLock(run);
    return lock ? [{ run, lock }] : [];
  });
  // Batches held by a scheduler's job first: cancelling the job stops its trials' tasks too.
  locked.sort((a, b) => Number(b.lock.pid === 0) - Number(a.lock.pid === 0));
  const requests: Promise<void>[] = [];
  for (const { run, lock } of locked) {
    const placement = lock.placement;
    if (placement !== undefined) {
      if (cancelledJobs.has(`${placement.backend} ${placement.job}`)) {
        stopped++;
        continue;
      }
      // A scheduler's task (or a batch's whole job) is cancelled through the scheduler, from any host:
      // the task's g gets SIGTERM and records the trial terminated with the scheduler's reason.
      let failed = "";
      const cancelled = await cancelPlacement(placement).catch((err: Error) => {
        failed = `run ${shortId(run.id)}: could not cancel ${placement.backend} job ${formatJob(placement)}: ${err.message}`;
        return null;
      });
      if (cancelled) {
        if (placement.task === undefined) cancelledJobs.add(`${placement.backend} ${placement.job}`);
        say(
          `run ${shortId(run.id)}${lock.pid === 0 ? " (batch)" : ` on ${lock.host}`}: cancelled ${placement.backend} job ${formatJob(placement)}`,
        );
        stopped++;
        continue;
      }
      if (cancelled === null && lock.pid === 0) {
        problems.push(failed);
        schedulerFailed = true;
        continue;
      }
      if (cancelled === null) say(failed);
    }
    // A trial's recorder is its batch's or agent's g process, which records the other trials too.
    const trial = run.record.batch != null || typeof run.record.sweep === "string";
    // Run side by side: stopping a script whose g was killed waits for it to end (up to the grace period).
    requests.push(
      requestStop(lock, trial ? run.dir : undefined).then(async (outcome) => {
        const remote = `run ${shortId(run.id)} runs on host ${lock.host}; stop it there`;
        // Named, it is a run g stop could not stop (exit 2); a bare g stop stops what runs here, and says what it left.
        if (outcome === "other-host" && specs.length > 0) problems.push(remote);
        else if (outcome === "other-host") {
          left++;
          say(remote);
        } else stopped++;
        if (outcome === "stopped-script") {
          // Nobody else records it (its g is dead): g stop ends it as its g would have, `terminated`,
          // so that a sweep does not run again a trial the user stopped.
          await recordStoppedOrphan(store, run.id);
          say(`run ${shortId(run.id)}: its g process was gone; stopped its script (pid ${lock.child}), recorded terminated`);
        }
      }),
    );
  }
  await Promise.all(requests);
  if (stopped > 0 || (problems.length === 0 && left === 0)) say(`Asked ${stopped} run(s) to stop`);
  // One line per run that could not be stopped; the last is the error g exits with.
  for (const line of problems.slice(0, -1)) say(`g: ${line}`);
  if (problems.length === 0) return;
  const last = problems[problems.length - 1]!;
  // A job the scheduler would not cancel is a failure, not bad input (exit 1); else a RUN g could not stop was given (exit 2).
  throw schedulerFailed ? new GError(last, EXIT.runFailed) : new UsageError(last);
}

/**
 * The end record of a run whose recorder died and whose script `g stop` has
 * just ended: `terminated`, as the recorder records a stopped run, with no
 * exit status (nobody saw the script exit). Under the run's lock, and only
 * while the record is not stopped, so that two `g stop`s record it once.
 */
async function recordStoppedOrphan(store: RunStore, id: string): Promise<void> {
  const record = await store.updateRun(id, (r) => {
    if (r.stopped != null) return;
    r.stopped = isoNow();
    r.exit_status = null;
    r.terminated = true;
  });
  const summaries = store.writeSummary(store.runDir(id));
  store.removeLock(id);
  store.indexRun(id, record, summaries);
}

function pick(all: IndexedRun[], specs: string[], filters: RunFilters, verb: string): IndexedRun[] {
  const hasFilter =
    filters.op !== undefined ||
    filters.label !== undefined ||
    filters.prefix !== undefined ||
    (filters.status?.length ?? 0) > 0 ||
    (filters.tag?.length ?? 0) > 0;
  if (specs.length === 0 && !hasFilter)
    throw new UsageError(`g runs ${verb} needs runs: e.g. g runs ${verb} 1, 1:5 or an id (or a filter such as --status error)`);
  const picked = filterRuns(selectRuns(all, specs), filters);
  if (picked.length === 0) throw new NotFoundError(prefixMiss(all, filters.prefix) ?? "no runs match");
  return picked;
}

async function ask(yes: boolean | undefined, heading: string, runs: IndexedRun[]): Promise<boolean> {
  if (yes) return true;
  if (!isTerminal("stdin")) throw new UsageError("not asking without a terminal: add -y to confirm");
  const shown = runs
    .slice(0, 10)
    .map(
      ({ index, run }) => `  [${index}] ${shortId(run.id)} ${run.record.op} ${run.status}${run.record.label ? ` ${run.record.label}` : ""}`,
    );
  if (runs.length > 10) shown.push(`  ... and ${runs.length - 10} more`);
  sayLines([heading, ...shown]);
  return confirm("Continue?", false);
}

/** `models/model.pt (1234 B) best checkpoint [best, v1]`: an SDK file as `g runs info` lists it. */
function describeArtifact(a: SdkFile): string {
  const where = `${FILES_DIR}/${a.path === "" ? "" : `${a.path}/`}${a.filename}`;
  const tags = Array.isArray(a.tags) && a.tags.length > 0 ? ` [${a.tags.join(", ")}]` : "";
  return `${where} (${a.sizeBytes} B)${a.description ? ` ${a.description}` : ""}${tags}`;
}

/** ` [3] label (status)`: a related run as a line of `g runs info` shows it; "" when it is gone. */
function describeIndexed(r: IndexedRun | undefined): string {
  if (!r) return " (not in the store)";
  return ` [${r.index}]${r.run.record.label ? ` ${r.run.record.label}` : ""} (${r.run.status})`;
}

/** A batch's optimizer settings (`--opt-flag`), or null for a run that is not a batch. */
function optimizerSettings(run: Run): Record<string, unknown> | null {
  if (run.record.space === undefined) return null;
  const s = run.record.optimizer_settings;
  return s && typeof s === "object" && !Array.isArray(s) ? (s as Record<string, unknown>) : {};
}

function formatSetting(v: unknown): string {
  return typeof v === "number" ? formatNumber(v) : typeof v === "string" ? v : JSON.stringify(v);
}

function formatScalar(s: ScalarSummary): string {
  return `${formatNumber(s.last)} (last; min ${formatNumber(s.min)}, max ${formatNumber(s.max)}, ${s.count} value${s.count === 1 ? "" : "s"}${s.step !== null ? `, step ${s.step}` : ""})`;
}
