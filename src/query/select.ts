// Run selection (pure): RUN specs (`1`, `1:20`, `:5`, `3:`, an id or a unique
// id prefix) and the list filters shared by `g runs` and `g compare`.

import { NotFoundError, UsageError } from "../errors.js";
import { closestNames } from "../format/suggest.js";
import type { Run, RunFields, RunStatus } from "../store/types.js";

/** A run with its index in the newest-first list (1 = latest). */
export interface IndexedRun {
  index: number;
  run: Run;
}

export interface RunFilters {
  op?: string;
  status?: string | string[];
  label?: string;
  tag?: string | string[];
  /** Only the trials of this batch (the batch run's full id). */
  batch?: string;
  /** Only the runs of this sweep (its full 8-character id). */
  sweep?: string;
  /** Only SDK runs whose prefix starts with these path segments (`alice/hyperparameter-search`). */
  prefix?: string;
}

const STATUSES: RunStatus[] = ["running", "completed", "error", "terminated", "early-stopped", "pending"];
const INDEX_SPEC = /^(\d*)(:)?(\d*)$/;
/** All-digit specs this long or longer, or with a leading zero, are id prefixes; others are indexes. */
const MIN_NUMERIC_PREFIX = 6;

/** Numbers every run of a newest-first list: index 1 is the latest. */
export function indexRuns(runs: Run[]): IndexedRun[] {
  return runs.map((run, i) => ({ index: i + 1, run }));
}

/**
 * Selects runs by spec, keeping list order and dropping repeats. No specs
 * selects everything. Ranges are clamped to what exists, as in Guild.
 */
export function selectRuns(all: IndexedRun[], specs: string[], listing = "g runs"): IndexedRun[] {
  if (specs.length === 0) return all;
  const chosen = new Set<number>();
  for (const raw of specs) {
    const spec = raw.trim();
    for (const i of resolveSpec(all, spec, listing)) chosen.add(i);
  }
  return all.filter((r) => chosen.has(r.index));
}

/**
 * Throws a UsageError for a spec that cannot name a run in any store
 * (`../../x`, "", `5:2`), so commands check what they were given before
 * looking at the store, even when it (or the trash) is empty.
 */
export function checkRunSpecs(specs: string[]): void {
  for (const raw of specs) {
    const spec = raw.trim();
    const m = INDEX_SPEC.exec(spec);
    if (m && spec !== "") {
      const [, a, colon, b] = m;
      if (colon !== undefined && ((a !== "" && Number(a) < 1) || (a !== "" && b !== "" && Number(b) < Number(a)))) {
        throw new UsageError(`bad run range "${spec}": write START:END with 1 <= START <= END, e.g. 1:20`);
      }
      continue;
    }
    if (!/^[0-9a-f]+$/i.test(spec))
      throw new UsageError(`bad run "${spec}": use an index (1 = latest), a range like 1:20, or a run id or its prefix`);
  }
}

function resolveSpec(all: IndexedRun[], spec: string, listing = "g runs"): number[] {
  const m = INDEX_SPEC.exec(spec);
  const prefixLike = m !== null && m[2] === undefined && (spec.length >= MIN_NUMERIC_PREFIX || spec.startsWith("0"));
  if (m && spec !== "" && spec !== ":" && !prefixLike) {
    const [, a, colon, b] = m;
    if (colon === undefined) {
      const i = Number(a);
      if (i < 1 || i > all.length) {
        throw new NotFoundError(`no run at index ${i} (there ${all.length === 1 ? "is 1 run" : `are ${all.length} runs`}); see ${listing}`);
      }
      return [i];
    }
    const lo = a === "" ? 1 : Number(a);
    const hi = b === "" ? all.length : Number(b);
    if (lo < 1 || (b !== "" && hi < lo)) throw new UsageError(`bad run range "${spec}": write START:END with 1 <= START <= END, e.g. 1:20`);
    const out: number[] = [];
    for (let i = lo; i <= Math.min(hi, all.length); i++) out.push(i);
    return out;
  }
  if (spec === ":") return all.map((r) => r.index);
  if (!/^[0-9a-f]+$/i.test(spec)) {
    throw new UsageError(`bad run "${spec}": use an index (1 = latest), a range like 1:20, or a run id or its prefix`);
  }
  const prefix = spec.toLowerCase();
  const hits = all.filter((r) => r.run.id.startsWith(prefix));
  if (hits.length === 0) throw new NotFoundError(`no run matches "${spec}"; see ${listing}`);
  if (hits.length > 1) {
    const names = hits.slice(0, 6).map((r) => `${r.run.id.slice(0, Math.max(prefix.length + 2, 8))} (${r.run.record.op})`);
    throw new UsageError(`run "${spec}" is ambiguous: ${names.join(", ")}${hits.length > 6 ? ", ..." : ""}; give more of the id`);
  }
  return [hits[0]!.index];
}

/**
 * Splits off the runs that enclose child runs (an SDK script under `g run`
 * that recorded several experiments: each is a child run naming it as
 * `parent`). `g compare` lists the experiments, not the process that ran
 * them, unless runs are named. `all` is every run in the store, so a child
 * filtered out by --op still marks its parent.
 */
export function splitEnclosingRuns<T extends { run: Run }>(
  runs: T[],
  all: ReadonlyArray<{ run: Run; fields?: RunFields }>,
): { shown: T[]; enclosing: T[] } {
  const parents = new Set<string>();
  for (const r of all) {
    // A run from the index is read in place: its record is not built for this one field.
    const parent = r.fields !== undefined ? r.fields.field("parent") : r.run.record.parent;
    if (typeof parent === "string") parents.add(parent);
  }
  // Most stores have no SDK experiments: nothing to look up a run.
  if (parents.size === 0) return { shown: runs.slice(), enclosing: [] };
  const shown: T[] = [];
  const enclosing: T[] = [];
  for (const r of runs) (parents.has(r.run.id) ? enclosing : shown).push(r);
  return { shown, enclosing };
}

/** A prefix's path segments: `/alice//search/` and `alice/search` are the same path. */
function prefixSegments(prefix: string): string[] {
  return prefix.split("/").filter((p) => p !== "");
}

/**
 * True when the run's prefix starts with `filter`'s whole path segments:
 * `alice/search` selects `alice/search/lr-0.1` and `alice/search` itself,
 * not `alice/search-2`. Runs without a prefix (not from an SDK) never match.
 */
export function matchesPrefix(runPrefix: unknown, filter: string): boolean {
  if (typeof runPrefix !== "string") return false;
  const want = prefixSegments(filter);
  const have = prefixSegments(runPrefix);
  return want.length <= have.length && want.every((part, i) => have[i] === part);
}

/** Refuses a --prefix that cannot select anything: empty, or only slashes. */
export function checkPrefixFilter(prefix: string | undefined): void {
  if (prefix !== undefined && prefixSegments(prefix).length === 0)
    throw new UsageError(`--prefix needs a path such as alice/hyperparameter-search, got "${prefix}"`);
}

/**
 * The note for a --prefix that selects no run: which prefixes the store has
 * one segment below the longest part of the filter that does match, so a typo is easy to see.
 */
export function describePrefixMiss(runs: readonly Run[], filter: string): string {
  const want = prefixSegments(filter);
  const known = new Set<string>();
  let depth = 0;
  for (let d = want.length - 1; d >= 0 && known.size === 0; d--) {
    const stem = want.slice(0, d);
    for (const r of runs) {
      const have = typeof r.record.prefix === "string" ? prefixSegments(r.record.prefix) : [];
      if (have.length > d && stem.every((part, i) => have[i] === part)) known.add(have.slice(0, d + 1).join("/"));
    }
    depth = d;
  }
  if (known.size === 0)
    return `no run has a prefix under "${want.join("/")}" (no run here has a prefix; the SDKs' Experiment(prefix=...) sets one)`;
  const listed = [...known].sort().slice(0, 8);
  return `no run has a prefix under "${want.join("/")}"; prefixes ${depth === 0 ? "here" : `under ${want.slice(0, depth).join("/")}`}: ${listed.join(", ")}${known.size > 8 ? ", ..." : ""}`;
}

/** Applies --op (substring), --status, --label (substring), --tag (all given), --batch, --sweep and --prefix (path segments) filters. */
export function filterRuns(runs: IndexedRun[], f: RunFilters): IndexedRun[] {
  const statuses = toList(f.status);
  for (const s of statuses) {
    if (!STATUSES.includes(s as RunStatus)) throw new UsageError(`unknown status "${s}"; use one of ${STATUSES.join(", ")}`);
  }
  const tags = toList(f.tag);
  checkPrefixFilter(f.prefix);
  // No filter: the runs as they are, without a look at each record (runs from the index build theirs on use).
  const none = statuses.length === 0 && tags.length === 0;
  if (none && [f.op, f.label, f.batch, f.sweep, f.prefix].every((v) => v === undefined)) return runs;
  return runs.filter(({ run }) => {
    const r = run.record;
    if (f.op !== undefined && !r.op.includes(f.op)) return false;
    if (statuses.length > 0 && !statuses.includes(run.status)) return false;
    if (f.label !== undefined && !(r.label ?? "").includes(f.label)) return false;
    for (const t of tags) if (!(r.tags ?? []).includes(t)) return false;
    if (f.batch !== undefined && r.batch !== f.batch) return false;
    if (f.sweep !== undefined && r.sweep !== f.sweep) return false;
    if (f.prefix !== undefined && !matchesPrefix(r.prefix, f.prefix)) return false;
    return true;
  });
}

function toList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The options that choose runs (not how they are shown): what `g view` shares with `g compare`. */
export interface RunSelection {
  op?: string;
  status?: string | string[];
  label?: string;
  tag?: string | string[];
  /** `--batch SPEC`: the trials of one batch run (an index, id or id prefix). */
  batch?: string;
  /** `--sweep ID`: the runs of one sweep. */
  sweep?: string;
  /** `--prefix PATH`: SDK runs under this path. */
  prefix?: string;
}

/**
 * The selection of `g compare` and `g view` (RUN specs, --op, --status,
 * --label, --tag, --batch, --sweep) over a newest-first list of runs with
 * their summaries. `sweepId` resolves `--sweep` (a prefix) against the store.
 * Without RUN specs, runs that enclose child runs are returned apart as
 * `enclosing`: the rows are the experiments (see splitEnclosingRuns).
 */
export function selectCompareRuns<S>(
  runs: ReadonlyArray<{ run: Run; summaries: S; fields?: RunFields }>,
  specs: string[],
  opts: RunSelection,
  sweepId: (spec: string) => string,
): { runs: Array<SelectedRun<S>>; enclosing: Array<SelectedRun<S>> } {
  // Nothing asked for (a bare `g compare`): every run, without an indexed copy of the list (100 000 objects).
  const none = [opts.op, opts.status, opts.label, opts.tag, opts.batch, opts.sweep, opts.prefix].every((v) => v === undefined);
  if (specs.length === 0 && none) {
    const rows = runs.map((r, i) => new SelectedRun(i + 1, r));
    const { shown, enclosing } = splitEnclosingRuns(rows, runs);
    return { runs: shown, enclosing };
  }
  const all = indexRuns(runs.map((r) => r.run));
  const batch = opts.batch === undefined ? undefined : resolveBatch(all, opts.batch);
  const sweep = opts.sweep === undefined ? undefined : sweepId(opts.sweep);
  const selected = filterRuns(selectRuns(all, specs), {
    op: opts.op,
    status: opts.status,
    label: opts.label,
    tag: opts.tag,
    batch,
    sweep,
    prefix: opts.prefix,
  });
  // Index i is the listing's run i - 1.
  const rows = selected.map(({ index }) => new SelectedRun(index, runs[index - 1]!));
  if (specs.length > 0) return { runs: rows, enclosing: [] };
  const { shown, enclosing } = splitEnclosingRuns(rows, runs);
  return { runs: shown, enclosing };
}

/**
 * A selected run: its index and the listed run, whose summaries are read
 * only when asked for (a run from the index builds them on use; compare's
 * table reads them in place through `fields`).
 */
export class SelectedRun<S> {
  constructor(
    readonly index: number,
    private readonly listed: { run: Run; summaries: S; fields?: RunFields },
  ) {}

  get run(): Run {
    return this.listed.run;
  }

  get summaries(): S {
    return this.listed.summaries;
  }

  get fields(): RunFields | undefined {
    return this.listed.fields;
  }
}

/** The full id of the batch named by `--batch SPEC` (a run spec naming one run that has trials). */
function resolveBatch(all: IndexedRun[], spec: string): string {
  const hits = selectRuns(all, [spec]);
  if (hits.length !== 1) throw new UsageError(`--batch takes one batch run (an index, id or id prefix), not "${spec}"`);
  const id = hits[0]!.run.id;
  if (!all.some((r) => r.run.record.batch === id))
    throw new NotFoundError(`run ${id.slice(0, 8)} is not a batch (no run names it as its batch); see g runs`);
  return id;
}

/**
 * The note for a compare whose selection or --filter left no row, when the
 * store has runs: it names what was given (RUN specs, the list filters,
 * --filter), and for --op the ops there are (a did-you-mean when one is
 * close). `all` is every run in the store, `selected` how many the RUN specs
 * and list filters kept (the --filter came after them). --prefix has its own
 * note (describePrefixMiss).
 */
export function describeNoMatch(
  all: ReadonlyArray<{ run: Run; fields?: RunFields }>,
  specs: string[],
  opts: RunSelection & { filter?: string },
  selected: number,
): string {
  if (all.length === 0) return "no runs to compare; see g runs";
  const given: string[] = [...specs];
  const option = (name: string, v: string | string[] | undefined): void => {
    for (const value of v === undefined ? [] : Array.isArray(v) ? v : [v]) given.push(`--${name} ${quoteIfNeeded(value)}`);
  };
  option("op", opts.op);
  option("status", opts.status);
  option("label", opts.label);
  option("tag", opts.tag);
  option("batch", opts.batch);
  option("sweep", opts.sweep);
  option("prefix", opts.prefix);
  // The --filter is named only when runs reached it.
  if (selected > 0 && opts.filter !== undefined) given.push(`--filter ${quoteIfNeeded(opts.filter)}`);
  const runs = `${all.length} run${all.length === 1 ? "" : "s"} in the store`;
  if (given.length === 0) return `no run to compare (${runs}); see g runs`;
  const head = `no run matches ${given.join(" ")}`;
  if (selected > 0) return `${head} (${selected} run${selected === 1 ? "" : "s"} selected before --filter)`;
  if (opts.op !== undefined && !all.some(({ run, fields }) => opOf(run, fields).includes(opts.op!))) {
    return `${head}${describeOpMiss(all, opts.op)}`;
  }
  return `${head} (of ${runs}); see g runs`;
}

/** `; did you mean --op train?` for an --op no run's op contains, else the ops there are (a few). */
function describeOpMiss(all: ReadonlyArray<{ run: Run; fields?: RunFields }>, op: string): string {
  const ops = [...new Set(all.map(({ run, fields }) => opOf(run, fields)))].sort();
  // --op matches a part of the op: a script's name without its folder or extension is as good a suggestion.
  const names = new Set<string>(ops);
  for (const o of ops) {
    const base = o.slice(o.lastIndexOf("/") + 1);
    names.add(base);
    if (base.includes(".")) names.add(base.slice(0, base.lastIndexOf(".")));
  }
  const close = closestNames(op, names);
  if (close.length > 0) return `; did you mean ${close.map((n) => `--op ${quoteIfNeeded(n)}`).join(" or ")}?`;
  const shown = ops.slice(0, 8).map(quoteIfNeeded);
  return ` (no run's op contains "${op}"; ops here: ${shown.join(", ")}${ops.length > 8 ? ", ..." : ""})`;
}

/** A run's op, read in place for a run from the index (its record is not built for it). */
function opOf(run: Run, fields: RunFields | undefined): string {
  const op = fields !== undefined ? fields.field("op") : run.record.op;
  return typeof op === "string" ? op : "";
}

/** A value as it would be typed on a command line: quoted when it has a space or a quote. */
function quoteIfNeeded(value: string): string {
  return /^[\w./:@,=+-]+$/.test(value) ? value : `"${value.replace(/(["\\$`])/g, "\\$1")}"`;
}
