// `g compare [RUN ...]`: reads the selected runs and their scalar summaries,
// builds the comparison data once, and presents it as a table, CSV, JSON, or
// (in a terminal, without a format flag) the interactive view.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { gBin } from "../runner/paths.js";
import { NotFoundError, UsageError } from "../errors.js";
import { buildCompareData, type CompareData, type CompareInputRun } from "../query/compare-data.js";
import { filterRuns, indexRuns, selectRuns, type IndexedRun } from "../query/select.js";
import { renderCsv } from "../format/csv.js";
import { renderJson } from "../format/json.js";
import { renderTable } from "../format/table.js";
import { RunStore, resolveHome, type RunWithSummaries } from "../store/store.js";
import { readSweep } from "../store/sweeps.js";
import { say } from "./prompt.js";
import type { CompareOptions } from "../cli/program.js";
import type { CompareViewInput } from "../ui/compare-view.js";

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
  const load = (): { runs: CompareInputRun[]; warnings: string[] } => loadCompareRuns(store, specs, opts);
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

  // Keys need a terminal on stdin too (`g compare < file` would fail to enter raw mode).
  const interactive = !opts.table && opts.csv === undefined && !opts.json && process.stdout.isTTY === true && process.stdin.isTTY === true;
  if (interactive) {
    await runInteractiveView({ store, load, build, color: !noColor() });
    return;
  }

  const { runs, warnings } = load();
  for (const w of warnings) say(`warning: ${w}`);
  const data = build(runs);

  if (opts.json) {
    process.stdout.write(renderJson(data) + "\n");
    return;
  }
  if (opts.csv !== undefined) {
    const csv = renderCsv(data);
    if (opts.csv === true || opts.csv === "-") process.stdout.write(csv);
    else {
      try {
        writeFileSync(opts.csv, csv);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new UsageError(`--csv: cannot write ${opts.csv} (${e.code ?? e.message}); give a file in an existing directory, or --csv alone for stdout`);
      }
      say(`wrote ${data.rows.length} run${data.rows.length === 1 ? "" : "s"} to ${opts.csv}`);
    }
    return;
  }
  if (data.rows.length === 0) {
    say(runs.length === 0 ? "no runs to compare; see g runs" : "no runs match the filter");
    return;
  }
  const tty = process.stdout.isTTY === true;
  // A pseudo-terminal without a size (script, some CI) reports 0 columns: treat it as unbounded.
  const columns = process.stdout.columns;
  const text = renderTable(data, {
    width: tty && columns > 0 ? columns : undefined,
    color: tty && !noColor(),
    onHidden: (headers) =>
      say(`${headers.length} column${headers.length === 1 ? "" : "s"} did not fit: ${headers.join(", ")}; choose columns with -c or widen the terminal`),
  });
  process.stdout.write(text + "\n");
}

/**
 * The selected runs with their index (1 = latest) and scalar summaries,
 * after the `g runs`-style filters. Damaged runs become warnings.
 */
export function loadCompareRuns(store: RunStore, specs: string[], opts: RunSelection): { runs: CompareInputRun[]; warnings: string[] } {
  const { runs, warnings } = store.listRunsWithSummaries();
  return { runs: selectCompareRuns(store, runs, specs, opts), warnings };
}

/** The options that choose runs (not how they are shown): what `g view` shares with `g compare`. */
export type RunSelection = Pick<CompareOptions, "op" | "status" | "label" | "tag" | "batch" | "sweep">;

/**
 * The selection of `g compare` (RUN specs, --op, --status, --label, --tag,
 * --batch, --sweep) applied to an already read, newest-first list of runs;
 * `g view` shares it so both commands select the same runs.
 */
export function selectCompareRuns(store: RunStore, runs: RunWithSummaries[], specs: string[], opts: RunSelection): CompareInputRun[] {
  const summaries = new Map(runs.map((r) => [r.run.id, r.summaries]));
  const all = indexRuns(runs.map((r) => r.run));
  const batch = opts.batch === undefined ? undefined : resolveBatch(all, opts.batch);
  const sweep = opts.sweep === undefined ? undefined : readSweep(store.home, opts.sweep).id;
  const selected = filterRuns(selectRuns(all, specs), { op: opts.op, status: opts.status, label: opts.label, tag: opts.tag, batch, sweep });
  return selected.map(({ index, run }) => ({ index, run, summaries: summaries.get(run.id) ?? {} }));
}

/** The full id of the batch named by `--batch SPEC` (a run spec naming one run that has trials). */
function resolveBatch(all: IndexedRun[], spec: string): string {
  const hits = selectRuns(all, [spec]);
  if (hits.length !== 1) throw new UsageError(`--batch takes one batch run (an index, id or id prefix), not "${spec}"`);
  const id = hits[0]!.run.id;
  if (!all.some((r) => r.run.record.batch === id)) throw new NotFoundError(`run ${id.slice(0, 8)} is not a batch (no run names it as its batch); see g runs`);
  return id;
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
