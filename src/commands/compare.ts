// `g compare [RUN ...]`: reads the selected runs and their scalar summaries,
// builds the comparison data once, and presents it as a table, CSV, JSON, or
// (in a terminal, without a format flag) the interactive view.

import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { gBin } from "../runner/paths.js";
import { EXIT, GError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../store/fs-atomic.js";
import { SNAPSHOT_CELL_TEXTS, buildCompareData, type CompareData, type CompareInputRun } from "../query/compare-data.js";
import { describeNoMatch, describePrefixMiss, matchesPrefix, selectCompareRuns, type RunSelection } from "../query/select.js";
import { renderCsv } from "../format/csv.js";
import { renderJson } from "../format/json.js";
import { emitTable } from "../format/table.js";
import { RunStore, resolveHome, type RunListing } from "../store/store.js";
import { reapIfNeeded } from "../backends/reap-candidates.js";
import { readSweep } from "../store/sweeps.js";
import { say } from "./prompt.js";
import type { CompareOptions } from "../cli/program.js";
import type { CompareViewInput } from "../ui/compare-view.js";
import { isTerminal, terminalColumns, writeOut, writeOutBytes } from "../runner/terminal.js";

/** The options as commander gives them: inferred from their declarations in src/cli/program.ts. */
export type { CompareOptions };

/** What commander hands `--csv [file]` when the user wrote `--csv 1:5`: a run spec, not a file name. */
const RUN_SPEC_LIKE = /^(\d+|\d*:\d*)$/;

export async function compareCommand(specs: string[], opts: CompareOptions): Promise<void> {
  if (typeof opts.csv === "string" && RUN_SPEC_LIKE.test(opts.csv)) {
    specs = [...specs, opts.csv];
    opts = { ...opts, csv: true };
  }
  const formats = [opts.table, opts.csv !== undefined, opts.json].filter(Boolean).length;
  if (formats > 1) throw new UsageError("choose one of -T/--table, --csv and --json");
  const store = new RunStore(resolveHome());
  // Keys need a terminal on stdin too (`g compare < file` would fail to enter raw mode).
  const interactive = !opts.table && opts.csv === undefined && !opts.json && isTerminal("stdout") && isTerminal("stdin");
  const listOptions = { values: readsSummaryValues(opts, interactive) };
  // The first listing, after recording the Slurm tasks it shows that Slurm ended unseen; reloads of the view read afresh.
  // Printed once: its snapshot runs are checked while the rows are made (checkLater), and all is done again if one changed.
  let first: Listing | null = await listReaped(store, { ...listOptions, checkLater: !interactive });
  const load = (): ReturnType<typeof loadCompareRuns> & { noMatch: () => string } => {
    const listing = first ?? store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS, listOptions);
    first = null;
    const loaded = loadCompareRuns(store, specs, opts, listing);
    return { ...loaded, noMatch: () => loaded.prefixNote ?? describeNoMatch(loaded.all, specs, opts, loaded.runs.length) };
  };
  const build = (runs: CompareInputRun[]): CompareData =>
    buildCompareData({
      runs,
      columns: opts.cols,
      min: opts.min,
      max: opts.max,
      top: opts.top,
      filter: opts.filter,
      skipCore: opts.skipCore,
      skipUnchanged: opts.skipUnchanged,
      now: Date.now(),
    });

  if (interactive) {
    await runInteractiveView({ store, load, build, color: !noColor() });
    return;
  }

  const listing = first!;
  const tableWanted = !opts.json && opts.csv === undefined;
  const {
    loaded: { runs, warnings, enclosing, prefixNote, all },
    data,
    table,
  } = await withCheckedListing(
    listing,
    () => listReaped(store, listOptions),
    (checked) => {
      const loaded = loadCompareRuns(store, specs, opts, checked);
      const data = build(loaded.runs);
      // The table is laid out and rendered too before the listing is checked; it is printed after.
      return { loaded, data, table: tableWanted && data.cells.count > 0 ? renderTable(data) : null };
    },
  );
  for (const w of warnings) say(`warning: ${w}`);
  if (prefixNote !== null) say(prefixNote);
  if (enclosing.length > 0) {
    const ids = enclosing.slice(0, 3).map((r) => r.run.id.slice(0, 8));
    say(
      `(${enclosing.length} run${enclosing.length === 1 ? "" : "s"} enclosing SDK experiments not listed, their experiments are; ` +
        `name ${enclosing.length === 1 ? "it" : "them"} to compare ${enclosing.length === 1 ? "it" : "them"}: g compare ${ids.join(" ")}${enclosing.length > 3 ? " ..." : ""})`,
    );
  }

  if (opts.json) {
    writeOut(renderJson(data) + "\n");
    return;
  }
  if (opts.csv !== undefined) {
    const csv = renderCsv(data);
    if (opts.csv === true || opts.csv === "-") writeOut(csv);
    else {
      writeCsvFile(opts.csv, csv);
      say(`wrote ${data.rows.length} run${data.rows.length === 1 ? "" : "s"} to ${opts.csv}`);
    }
    return;
  }
  if (data.cells.count === 0) {
    if (prefixNote === null) say(describeNoMatch(all, specs, opts, runs.length));
    return;
  }
  if (table === null) return;
  if (table.hidden !== null) {
    const headers = table.hidden;
    say(
      `${headers.length} column${headers.length === 1 ? "" : "s"} did not fit: ${headers.join(", ")}; choose columns with -c or widen the terminal`,
    );
  }
  for (const piece of table.pieces) {
    if (typeof piece === "string") writeOut(piece);
    else writeOutBytes(piece);
  }
  writeOut("\n");
}

/**
 * The selected runs with their index (1 = latest) and scalar summaries,
 * after the `g runs`-style filters. Damaged runs become warnings. Without
 * RUN specs, runs that enclose child runs (SDK experiments recorded under
 * `g run`) are left out and returned as `enclosing`: the rows are the experiments.
 */
export function loadCompareRuns(
  store: RunStore,
  specs: string[],
  opts: RunSelection,
  listing: Listing = store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS),
): {
  runs: CompareInputRun[];
  warnings: string[];
  enclosing: CompareInputRun[];
  prefixNote: string | null;
  /** Every run of the listing, selected or not. */
  all: Listing["runs"];
} {
  const { runs, warnings } = listing;
  const selected = selectCompareRuns(runs, specs, opts, (spec) => readSweep(store.home, spec).id);
  // An unknown --prefix selects nothing, as other filters do; the note names the prefixes there are.
  const prefixNote =
    opts.prefix !== undefined && !runs.some((r) => matchesPrefix(r.run.record.prefix, opts.prefix!))
      ? describePrefixMiss(
          runs.map((r) => r.run),
          opts.prefix,
        )
      : null;
  return { ...selected, warnings, prefixNote, all: runs };
}

type Listing = RunListing;

/** Folders of devices and descriptors: a --csv path there is written in place, never replaced. */
const IN_PLACE_DIRS = /^\/(dev|proc)\//;

/** Whether `path` is a regular file (through links) or nothing at all (not even a dangling link). */
function isRegularFileOrAbsent(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    try {
      lstatSync(path);
      return false; // a link to nothing
    } catch {
      return true;
    }
  }
}

/** Write errors that say the disk (or quota) failed us, not that the path given was wrong: exit 1, not 2. */
const DISK_ERRORS: Record<string, { reason: string; advice: string }> = {
  ENOSPC: { reason: "the disk is full", advice: "free some space and try again" },
  EDQUOT: { reason: "the disk quota is used up", advice: "free some space and try again" },
  EFBIG: { reason: "the file is larger than allowed", advice: "write fewer runs or columns, or to another file system" },
  EIO: { reason: "the disk failed (input/output error)", advice: "check the disk, or write elsewhere" },
};

/**
 * Writes `--csv FILE` whole or not at all: to a temp file beside it, renamed
 * over it (writeFileAtomic), so a full disk leaves no half-written CSV nor
 * a truncated old one. A symbolic link to a file is written through to that
 * file. Anything else (a device, a named pipe, a dangling link, and every path
 * under /dev and /proc, such as /dev/stdout, whatever it points to) is
 * written in place: there is no file there to replace, and a rename would
 * replace the device or the link itself.
 */
function writeCsvFile(path: string, csv: string): void {
  const inPlace = IN_PLACE_DIRS.test(resolve(path)) || !isRegularFileOrAbsent(path);
  const existed = existsSync(path);
  try {
    if (inPlace) writeFileSync(path, csv);
    else writeFileAtomic(existed ? realpathSync(path) : path, csv, "whole");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const code = e.code ?? e.message;
    const disk = e.code !== undefined ? DISK_ERRORS[e.code] : undefined;
    if (disk !== undefined) {
      const kept = inPlace ? "" : existed ? `; ${path} was left as it was` : "; no file was left behind";
      throw new GError(`--csv: ${disk.reason} writing ${path} (${code})${kept}; ${disk.advice}`, EXIT.runFailed);
    }
    if (e.code === "EISDIR") throw new UsageError(`--csv: ${path} is a directory; give a file name, or --csv alone for stdout`);
    if (e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS") {
      throw new UsageError(`--csv: cannot write ${path} (${code}); give a file in a folder you can write to, or --csv alone for stdout`);
    }
    throw new UsageError(`--csv: cannot write ${path} (${code}); give a file in an existing directory, or --csv alone for stdout`);
  }
}

/** A table rendered but not printed yet: its pieces of output in order, and the headers of the columns that did not fit (null: all did). */
interface RenderedTable {
  pieces: Array<string | Uint8Array>;
  hidden: string[] | null;
}

/** The table of `data` as emitTable makes it for stdout, kept to be printed after the listing is checked. */
function renderTable(data: CompareData): RenderedTable {
  const table: RenderedTable = { pieces: [], hidden: null };
  const tty = isTerminal("stdout");
  // A pseudo-terminal without a size (script, some CI) reports 0 columns: treat it as unbounded.
  const columns = terminalColumns();
  emitTable(
    data,
    {
      width: columns,
      color: tty && !noColor(),
      // Each piece of bytes is a Buffer of its own (renderBytes), so it is kept as it is.
      emitBytes: (bytes) => table.pieces.push(bytes),
      onHidden: (headers) => (table.hidden = headers),
    },
    (text) => table.pieces.push(text),
  );
  return table;
}

/**
 * What `make` gives from `listing`, once the listing is checked (RunListing's
 * `checked`: the work is done while its last stats are taken); made again
 * from `relist`'s listing when the first was not current, an error thrown by
 * `make` included (it may have come from a run that changed).
 */
async function withCheckedListing<T>(listing: Listing, relist: () => Promise<Listing>, make: (listing: Listing) => T): Promise<T> {
  let made: { value: T } | { error: unknown };
  try {
    made = { value: make(listing) };
  } catch (error) {
    made = { error };
  }
  if (listing.checked !== undefined && !listing.checked()) return make(await relist());
  if ("error" in made) throw made.error;
  return made.value;
}

/**
 * Every run with its summaries; runs a scheduler ended without g recording it
 * (a Slurm task killed outright) are recorded first (src/backends/reap.ts,
 * loaded only when a listed run needs it), then the store is read again.
 */
async function listReaped(store: RunStore, options: { values: boolean; checkLater?: boolean }): Promise<Listing> {
  const listing = store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS, options);
  return (await reapIfNeeded(
    store,
    listing.runs.map((r) => r.run),
  ))
    ? store.listRunsWithSummaries(SNAPSHOT_CELL_TEXTS, options)
    : listing;
}

/**
 * Whether this compare reads its runs' summaries' numbers (a sort, a filter,
 * chosen columns, JSON, CSV, the view): then the index's cold part is read
 * with the rest. A plain table (-T) shows the cells kept ready-made in the
 * index and reads a number only for a run whose columns differ, which then
 * reads the cold part on first use.
 */
function readsSummaryValues(opts: CompareOptions, interactive: boolean): boolean {
  return (
    interactive ||
    opts.json === true ||
    opts.csv !== undefined ||
    opts.cols !== undefined ||
    (opts.min?.length ?? 0) > 0 ||
    (opts.max?.length ?? 0) > 0 ||
    opts.top !== undefined ||
    opts.filter !== undefined ||
    opts.skipUnchanged === true
  );
}

/**
 * Runs the interactive view (src/ui/compare-view), then what the user asked
 * for on leaving it: a restart of a run or its batch, in this terminal.
 */
async function runInteractiveView(input: CompareViewInput): Promise<void> {
  // Ink and React load only here, when the view is about to render, in React's production
  // build (the development one is slower and prints dev-only warnings); NODE_ENV is restored
  // after, so a run restarted from the view does not inherit it.
  const nodeEnv = process.env.NODE_ENV;
  if (nodeEnv === undefined) process.env.NODE_ENV = "production";
  let view: typeof import("../ui/compare-view.js");
  try {
    view = await import("../ui/compare-view.js");
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
  }
  const exit = await view.runCompareView(input);
  if (exit.kind === "restart") restartInTerminal(exit.runId);
}

/**
 * Runs `g run --restart ID` in this terminal once the view has closed (the
 * view asked for it with r/R), and passes on its exit code.
 */
function restartInTerminal(runId: string): void {
  const bin = gBin();
  say(`g run --restart ${runId}`);
  const child = spawnSync(process.execPath, [bin, "run", "--restart", runId], { stdio: "inherit" });
  if (child.error) throw child.error;
  process.exitCode = child.status ?? 1;
}

/** NO_COLOR (https://no-color.org): any non-empty value turns colour off. */
function noColor(): boolean {
  const v = process.env.NO_COLOR;
  return v !== undefined && v !== "";
}
