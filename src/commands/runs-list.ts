// `g runs` (the list): read the store, select with src/query/select, print.
// Its own module, apart from the other runs subcommands, because a bare
// `g runs` is run often (src/cli/main.ts calls it without commander): it
// loads the store, the list's formatting, and nothing else unless a run
// needs it (the Slurm reaper, only for a listed run a scheduler placed).

import { filterRuns, indexRuns, matchesPrefix, describePrefixMiss, selectRuns, type IndexedRun, type RunFilters } from "../query/select.js";
import { RunStore, findProjectStore, locateStore, resolveHome, shortId } from "../store/store.js";
import type { Placement, Run } from "../store/types.js";
import { formatJob } from "../backends/backend.js";
import { reapIfNeeded } from "../backends/reap-candidates.js";
import { formatDuration as formatSeconds, formatTime as formatIsoTime } from "../format/values.js";
import { renderRows } from "../format/table.js";
import { runSeconds } from "../query/run-seconds.js";
import { writeOut } from "../runner/terminal.js";
import { say } from "./prompt.js";
import { closestNames } from "../format/suggest.js";
import { UsageError } from "../errors.js";

export const DEFAULT_LIST_LIMIT = 20;

interface ListOptions extends RunFilters {
  json?: boolean;
  all?: boolean;
  trash?: boolean;
}

export function openStore(): RunStore {
  return new RunStore(resolveHome());
}

/**
 * One stderr line naming the store when it is not the usual one: a project's
 * `.g/` (g init), or G_HOME set where a project store would otherwise be used.
 * Nothing for ~/.g, or for G_HOME alone.
 */
function sayWhichStore(): void {
  const where = locateStore();
  if (where.source === "project") say(`store: ${where.home} (this project's, from g init)`);
  else if (where.source === "G_HOME") {
    const project = findProjectStore(process.cwd());
    if (project !== null && project !== where.home) say(`store: ${where.home} (G_HOME; not this project's ${project})`);
  }
}

export function loadRuns(store: RunStore, trash = false): IndexedRun[] {
  const { runs, warnings } = store.listRuns({ trash });
  for (const w of warnings) say(`warning: ${w}`);
  return indexRuns(runs);
}

/**
 * loadRuns for the commands that show or act on status (list, info, stop):
 * runs a scheduler ended without g recording it are recorded first, with the
 * scheduler's reason (src/backends/reap.ts), then the store is read again.
 */
export async function loadRunsReaped(store: RunStore): Promise<IndexedRun[]> {
  const { runs, warnings } = store.listRuns();
  if (!(await reapIfNeeded(store, runs))) {
    for (const w of warnings) say(`warning: ${w}`);
    return indexRuns(runs);
  }
  return loadRuns(store);
}

/** `g runs`'s subcommands: a first RUN that is none of the run forms but close to one of these is a typo. */
const RUNS_SUBCOMMANDS = ["list", "info", "delete", "rm", "restore", "purge", "label", "tag"];

export async function listCommand(specs: string[], opts: ListOptions): Promise<void> {
  const first = specs[0]?.trim();
  if (first !== undefined && !/^[0-9a-f]*(:[0-9a-f]*)?$/i.test(first)) {
    const near = closestNames(first, RUNS_SUBCOMMANDS);
    if (near.length > 0)
      throw new UsageError(`unknown command 'runs ${first}'; did you mean ${near.map((n) => `runs ${n}`).join(" or ")}?`);
  }
  sayWhichStore();
  const store = openStore();
  const { all, allRuns, selected, limited } = await loadListing(store, specs, opts);
  if (opts.json) {
    writeOut(JSON.stringify(limited.map(runJson), null, 2) + "\n");
    return;
  }
  if (limited.length === 0) {
    say(all === 0 ? `no runs yet in ${store.home}; start one with g run SCRIPT` : (prefixMiss(allRuns, opts.prefix) ?? "no runs match"));
    return;
  }
  const showBatch = limited.some((r) => r.run.record.batch !== undefined);
  const showParent = limited.some((r) => typeof r.run.record.parent === "string");
  const showJob = limited.some((r) => r.run.record.placement !== undefined);
  const headers = [
    "#",
    "id",
    "op",
    "started",
    "time",
    "status",
    "label",
    ...(showBatch ? ["batch"] : []),
    ...(showParent ? ["parent"] : []),
    ...(showJob ? ["job"] : []),
  ];
  const rows = limited.map(({ index, run }) => [
    String(index),
    shortId(run.id),
    run.record.op,
    formatTime(run.record.started ?? run.record.created),
    formatDuration(run),
    run.status,
    run.record.label ?? "",
    ...(showBatch ? [run.record.batch ? `${shortId(run.record.batch)} #${run.record.trial ?? "?"}` : ""] : []),
    ...(showParent ? [typeof run.record.parent === "string" ? shortId(run.record.parent) : ""] : []),
    ...(showJob ? [run.record.placement ? formatPlacement(run.record.placement) : ""] : []),
  ]);
  writeOut(renderColumns(headers, rows));
  if (limited.length < selected) say(`(showing ${limited.length} of ${selected} runs; -a shows all, g runs 1:50 a range)`);
}

/**
 * What `g runs` lists: `all` runs in the store (or trash), how many are
 * `selected`, and the `limited` rows to show. Plain `g runs` reads only the
 * newest runs' records; a table with -a or filters comes from the store's
 * index (records without cmd); --json, RUN specs and the trash read every record.
 */
async function loadListing(
  store: RunStore,
  specs: string[],
  opts: ListOptions,
): Promise<{ all: number; allRuns: IndexedRun[]; selected: number; limited: IndexedRun[] }> {
  const filtered =
    opts.op !== undefined ||
    opts.label !== undefined ||
    opts.prefix !== undefined ||
    opts.batch !== undefined ||
    opts.sweep !== undefined ||
    toArray(opts.status).length > 0 ||
    toArray(opts.tag).length > 0;
  if (specs.length === 0 && !opts.all && !opts.json && !opts.trash && !filtered) {
    let listing = store.listNewestRuns(DEFAULT_LIST_LIMIT);
    // A Slurm task that ended without g recording it, among the runs shown, is recorded first (backends/reap.ts).
    if (await reapIfNeeded(store, listing.runs)) listing = store.listNewestRuns(DEFAULT_LIST_LIMIT);
    for (const w of listing.warnings) say(`warning: ${w}`);
    const limited = indexRuns(listing.runs);
    return { all: listing.total, allRuns: limited, selected: listing.total, limited };
  }
  let all: IndexedRun[];
  if (specs.length === 0 && !opts.json && !opts.trash) {
    let listing = store.listRunsIndexed();
    if (await reapIfNeeded(store, listing.runs)) listing = store.listRunsIndexed();
    for (const w of listing.warnings) say(`warning: ${w}`);
    all = indexRuns(listing.runs);
  } else all = opts.trash ? loadRuns(store, true) : await loadRunsReaped(store);
  const selected = filterRuns(selectRuns(all, specs), opts);
  const limited = specs.length === 0 && !opts.all && !opts.json ? selected.slice(0, DEFAULT_LIST_LIMIT) : selected;
  return { all: all.length, allRuns: all, selected: selected.length, limited };
}

function toArray(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The note for a --prefix no run in the store has, or null (no --prefix, or some run has it). */
export function prefixMiss(all: IndexedRun[], prefix: string | undefined): string | null {
  if (prefix === undefined || all.some((r) => matchesPrefix(r.run.record.prefix, prefix))) return null;
  return describePrefixMiss(
    all.map((r) => r.run),
    prefix,
  );
}

export function runJson({ index, run }: IndexedRun): Record<string, unknown> {
  const r = run.record;
  return {
    index,
    id: run.id,
    short_id: shortId(run.id),
    op: r.op,
    status: run.status,
    started: r.started,
    stopped: r.stopped,
    time: durationSeconds(run),
    exit_status: r.exit_status,
    label: r.label,
    tags: r.tags,
    flags: r.flags,
    batch: r.batch ?? null,
    trial: r.trial ?? null,
    parent: r.parent ?? null,
    description: r.description ?? null,
    job: r.placement ? formatPlacement(r.placement) : null,
    error: typeof r.error === "string" ? r.error : null,
    cmd: r.cmd,
    cwd: r.cwd,
    dir: run.dir,
  };
}

/** A scheduler job as g runs shows it: `slurm 1234_5` for array task 5 of job 1234. */
export function formatPlacement(p: Placement): string {
  return `${p.backend} ${formatJob(p)}`;
}

export function formatTime(iso: string | null | undefined): string {
  return iso ? formatIsoTime(iso) : "";
}

function durationSeconds(run: Run): number | null {
  return runSeconds(run, Date.now());
}

export function formatDuration(run: Run): string {
  const s = durationSeconds(run);
  return s === null ? "" : formatSeconds(s);
}

function renderColumns(headers: string[], rows: string[][]): string {
  return renderRows(headers, rows, { color: false, align: ["right"] }) + "\n";
}
