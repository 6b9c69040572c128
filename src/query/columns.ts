// Column expressions shared by `g compare -c/--cols`, `-m/-M` and `--filter`
// (pure): `loss` (a scalar's last value, or a flag of that name), `min loss`
// (a qualified scalar), `=x` (a flag), `.time` (a run attribute).

import { UsageError } from "../errors.js";
import { closestNames, didYouMean } from "../format/suggest.js";

export const QUALIFIERS = ["last", "first", "min", "max", "avg", "total", "count", "step"] as const;
export type Qualifier = (typeof QUALIFIERS)[number];

/** Run attributes a `.name` column can show; the first seven are the default core columns. */
export const ATTRIBUTES = [
  "index",
  "short_id",
  "op",
  "started",
  "time",
  "status",
  "label",
  "id",
  "created",
  "stopped",
  "exit_status",
  "tags",
  "batch",
  "trial",
  "sweep",
  "optimizer",
  "description",
  "parent",
  "prefix",
] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export const CORE_ATTRIBUTES: readonly Attribute[] = ["index", "short_id", "op", "started", "time", "status", "label"];

/** Other spellings accepted after the dot. */
const ATTRIBUTE_ALIASES: Record<string, Attribute> = {
  "short-id": "short_id",
  shortid: "short_id",
  short: "short_id",
  run: "short_id",
  operation: "op",
  duration: "time",
  exit: "exit_status",
  "exit-status": "exit_status",
  tag: "tags",
  desc: "description",
};

/** Headers of the attribute columns, Guild-like (`run` is the short id). */
const ATTRIBUTE_HEADERS: Record<Attribute, string> = {
  index: "#",
  short_id: "run",
  op: "op",
  started: "started",
  time: "time",
  status: "status",
  label: "label",
  id: "id",
  created: "created",
  stopped: "stopped",
  exit_status: "exit",
  tags: "tags",
  batch: "batch",
  trial: "trial",
  sweep: "sweep",
  optimizer: "optimizer",
  description: "description",
  parent: "parent",
  prefix: "prefix",
};

/**
 * A column as written, before the store is looked at. A `bare` name is
 * resolved by `resolveColumn`: a scalar if some run has that scalar key,
 * else a flag if some run has that flag, else a (missing) scalar.
 */
export type ColumnRef =
  | { type: "bare"; name: string }
  | { type: "scalar"; key: string; qualifier: Qualifier }
  | { type: "flag"; name: string }
  | { type: "attr"; attr: Attribute };

/** A column ready to compute: what to read from each run, and what to print above it. */
export type ResolvedColumn =
  | { type: "scalar"; key: string; qualifier: Qualifier; header: string }
  | { type: "flag"; name: string; header: string }
  | { type: "attr"; attr: Attribute; header: string };

/** What the selected runs contain, for resolving bare names. */
export interface KnownNames {
  scalars: ReadonlySet<string>;
  flags: ReadonlySet<string>;
}

/** A column spec with the header the user asked for (`loss as L`). */
export interface ColumnSpec {
  ref: ColumnRef;
  as?: string;
}

/** Characters of a name (scalar key or flag): `val_loss`, `train/loss`, `lr-decay`, `acc@1`. */
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_./@:-]/;

export function isQualifier(word: string): word is Qualifier {
  return (QUALIFIERS as readonly string[]).includes(word);
}

/**
 * Words written for a qualifier that g spells another way (`mean loss`), with
 * a note when the suggestion is only the nearest thing g keeps.
 */
const QUALIFIER_SYNONYMS: Record<string, { qualifier: Qualifier; note?: string }> = {
  mean: { qualifier: "avg" },
  average: { qualifier: "avg" },
  median: { qualifier: "avg", note: "no median is kept" },
  sum: { qualifier: "total" },
  final: { qualifier: "last" },
  latest: { qualifier: "last" },
  initial: { qualifier: "first" },
  minimum: { qualifier: "min" },
  lowest: { qualifier: "min" },
  maximum: { qualifier: "max" },
  highest: { qualifier: "max" },
};

/** Other statistics people ask for, which g does not keep: such a word before a name is a qualifier mistake too. */
const UNKEPT_STATISTICS = new Set(["std", "stdev", "stddev", "var", "variance", "mode"]);

/**
 * Reads one column expression from `text` at `pos` (0-based), stopping at
 * anything that cannot continue it. Used by both the `-c` list parser and
 * the filter tokenizer, so the two accept the same columns.
 * `what` names the option in error messages (`-c`, `--filter`). `known`,
 * the selected runs' names (none known when empty), tells a word meant as a
 * qualifier (`median loss`) from a column followed by another (a missing
 * ","); `filter` is set by the filter tokenizer, where `min =x` may read as
 * "min equals x". Either only changes which error an expression gets.
 */
export function readColumnRef(
  text: string,
  pos: number,
  what: string,
  known?: KnownNames,
  filter = false,
): { ref: ColumnRef; end: number } | null {
  if (known !== undefined && known.scalars.size === 0 && known.flags.size === 0) known = undefined;
  const ch = text[pos];
  if (ch === "=" || ch === ".") {
    const name = readName(text, pos + 1);
    if (name === null) {
      const kind = ch === "=" ? "a flag name" : "an attribute name";
      throw new UsageError(`${what}: expected ${kind} after "${ch}" at column ${pos + 2} (e.g. ${ch === "=" ? "=lr" : ".time"})`);
    }
    if (ch === "=") return { ref: { type: "flag", name: name.text }, end: name.end };
    return { ref: { type: "attr", attr: parseAttribute(name.text, what, pos + 2) }, end: name.end };
  }
  const first = readName(text, pos);
  if (first === null) return null;
  let p = first.end;
  while (text[p] === " " || text[p] === "\t") p++;
  const second = p > first.end ? readName(text, p) : null;
  if (second !== null && isWordOperator(second.text)) return { ref: { type: "bare", name: first.text }, end: first.end };
  if (isQualifier(first.text)) {
    // `min loss`: a qualifier followed by a name. `step` alone is a bare name.
    if (second !== null) return { ref: { type: "scalar", key: second.text, qualifier: first.text }, end: second.end };
    if (p > first.end && (text[p] === "=" || text[p] === ".") && readName(text, p + 1) !== null) {
      const isName = known !== undefined && (known.scalars.has(first.text) || known.flags.has(first.text));
      // In a filter `min =x` is "min equals x" when min is a name of the runs; otherwise a qualifier before a flag.
      if (!filter || (known !== undefined && !isName)) throw qualifiedNonScalar(text, pos, p, what);
    }
    return { ref: { type: "bare", name: first.text }, end: first.end };
  }
  if (second !== null && meantAsQualifier(first.text, second.text, known)) {
    throw notAQualifier(first.text, second.text, pos, what, filter);
  }
  return { ref: { type: "bare", name: first.text }, end: first.end };
}

/**
 * Whether `first second` (two names with only a space between, which no
 * column is) reads as a misspelt or unknown qualifier rather than two columns
 * without their ",": `first` is a statistic's name or close to a qualifier,
 * or (with the runs' names) is none of theirs nor close to one while `second` is a scalar.
 */
function meantAsQualifier(first: string, second: string, known: KnownNames | undefined): boolean {
  const word = first.toLowerCase();
  const isName = known !== undefined && (known.scalars.has(first) || known.flags.has(first));
  if (isName) return false;
  if (word in QUALIFIER_SYNONYMS || UNKEPT_STATISTICS.has(word) || closestNames(word, QUALIFIERS).length > 0) return true;
  if (known === undefined || !known.scalars.has(second)) return false;
  return closestNames(first, [...known.scalars, ...known.flags], 1).length === 0;
}

/**
 * `median loss`: says the word is not a qualifier, lists those there are, and
 * suggests the nearest; in `-c` the two words may also be two columns without their ",".
 */
function notAQualifier(word: string, name: string, pos: number, what: string, filter: boolean): UsageError {
  const synonym = QUALIFIER_SYNONYMS[word.toLowerCase()];
  const close = synonym ? [synonym.qualifier] : closestNames(word, QUALIFIERS);
  const comma = filter ? "" : `; for two columns, put a "," between them`;
  const head = `${what}: "${word}" at column ${pos + 1} is not a qualifier`;
  if (close.length === 0) {
    return new UsageError(`${head}; write one of ${QUALIFIERS.join(", ")} before a scalar (e.g. "min ${name}")${comma}`);
  }
  const suggested = close.map((q) => `"${q} ${name}"`).join(" or ");
  return new UsageError(
    `${head}; did you mean ${suggested}${synonym?.note ? ` (${synonym.note})` : ""}? Qualifiers: ${QUALIFIERS.join(", ")}${comma}`,
  );
}

/** `min =x`, `max .time`: a qualifier before a flag or an attribute, which have one value a run. */
function qualifiedNonScalar(text: string, pos: number, at: number, what: string): UsageError {
  const qualifier = readName(text, pos)!.text;
  const written = `${text[at]}${readName(text, at + 1)!.text}`;
  const kind = text[at] === "=" ? "flags" : "run attributes";
  return new UsageError(
    `${what}: "${qualifier} ${written}" at column ${pos + 1}: qualifiers apply to scalars, not ${kind}; ` +
      `${written} has one value a run: write ${written}`,
  );
}

/** Words the filter grammar keeps for itself; never read as the name after a qualifier. */
function isWordOperator(word: string): boolean {
  return word === "and" || word === "or" || word === "not" || word === "as";
}

function readName(text: string, pos: number): { text: string; end: number } | null {
  if (pos >= text.length || !NAME_START.test(text[pos]!)) return null;
  let end = pos + 1;
  while (end < text.length && NAME_CHAR.test(text[end]!)) end++;
  return { text: text.slice(pos, end), end };
}

function parseAttribute(name: string, what: string, column: number): Attribute {
  const lower = name.toLowerCase();
  if ((ATTRIBUTES as readonly string[]).includes(lower)) return lower as Attribute;
  const alias = ATTRIBUTE_ALIASES[lower];
  if (alias) return alias;
  const hint = didYouMean(lower, [...ATTRIBUTES, ...Object.keys(ATTRIBUTE_ALIASES)], (a) => `.${a}`);
  throw new UsageError(
    `${what}: unknown run attribute ".${name}" at column ${column}${hint}${hint ? " Attributes" : "; use one of"}: ${ATTRIBUTES.map((a) => "." + a).join(", ")}`,
  );
}

/**
 * Parses a `-c/--cols` list: `"loss, min loss, =x, .time, max acc as best"`.
 * Errors name the 1-based column in the text.
 */
export function parseColumns(text: string, what = "-c/--cols", known?: KnownNames): ColumnSpec[] {
  const specs: ColumnSpec[] = [];
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  skipSpace();
  if (pos === text.length) throw new UsageError(`${what}: no columns given; write e.g. -c "loss, min val_loss, =lr, .time"`);
  for (;;) {
    skipSpace();
    const read = readColumnRef(text, pos, what, known);
    if (read === null) {
      const found = pos < text.length ? `"${text[pos]}"` : "the end";
      throw new UsageError(`${what}: expected a column (name, =flag, .attribute or "min name") at column ${pos + 1}, found ${found}`);
    }
    const spec: ColumnSpec = { ref: read.ref };
    pos = read.end;
    skipSpace();
    if (text.startsWith("as", pos) && /\s/.test(text[pos + 2] ?? "")) {
      pos += 2;
      skipSpace();
      const start = pos;
      while (pos < text.length && text[pos] !== ",") pos++;
      const header = text.slice(start, pos).trim();
      if (header === "") throw new UsageError(`${what}: expected a header after "as" at column ${start + 1}`);
      spec.as = header;
    }
    specs.push(spec);
    skipSpace();
    if (pos === text.length) return specs;
    if (text[pos] !== ",") {
      throw new UsageError(`${what}: expected "," between columns at column ${pos + 1}, found "${text[pos]}"`);
    }
    pos++;
  }
}

/** Parses a single column expression (for `-m/--min`, `-M/--max`). */
export function parseColumn(text: string, what: string, known?: KnownNames): ColumnSpec {
  const specs = parseColumns(text, what, known);
  if (specs.length !== 1) throw new UsageError(`${what}: give one column, not ${specs.length} ("${text}")`);
  return specs[0]!;
}

/**
 * Turns a ref into a column, deciding what a bare name means (see ColumnRef).
 * A flag that shares its name with a scalar of the runs is headed `=name`, as
 * in the default table: the header `name` is then always what `-c name` shows.
 */
export function resolveColumn(ref: ColumnRef, known: KnownNames, as?: string): ResolvedColumn {
  switch (ref.type) {
    case "attr":
      return { type: "attr", attr: ref.attr, header: as ?? ATTRIBUTE_HEADERS[ref.attr] };
    case "flag":
      return { type: "flag", name: ref.name, header: as ?? flagHeader(ref.name, known.scalars) };
    case "scalar":
      return { type: "scalar", key: ref.key, qualifier: ref.qualifier, header: as ?? scalarHeader(ref.key, ref.qualifier) };
    case "bare":
      if (!known.scalars.has(ref.name) && known.flags.has(ref.name)) {
        return { type: "flag", name: ref.name, header: as ?? ref.name };
      }
      return { type: "scalar", key: ref.name, qualifier: "last", header: as ?? ref.name };
  }
}

/**
 * Throws when a column names a scalar or flag that none of the selected runs
 * has: a typo (`lsos`) would otherwise give an empty column, an unsorted
 * table or "no runs match". A name some runs have is fine. Callers skip this
 * for an empty selection, where nothing can be known.
 */
export function checkColumnKnown(ref: ColumnRef, known: KnownNames, what: string): void {
  const scalars = [...known.scalars];
  const flags = [...known.flags];
  const attrs = ATTRIBUTES.map((a) => `.${a}`);
  switch (ref.type) {
    case "attr":
      return;
    case "flag":
      if (known.flags.has(ref.name)) return;
      throw new UsageError(
        `${what}: no selected run has a flag "=${ref.name}"` +
          (known.scalars.has(ref.name) ? ` (${ref.name} is a scalar: write ${ref.name})` : didYouMean(ref.name, flags, (n) => `=${n}`)),
      );
    case "scalar":
      if (known.scalars.has(ref.key)) return;
      throw new UsageError(
        `${what}: no selected run has a scalar "${ref.key}" for "${ref.qualifier} ${ref.key}"` +
          (known.flags.has(ref.key)
            ? ` (${ref.key} is a flag, which has no ${ref.qualifier}: write =${ref.key})`
            : didYouMean(ref.key, scalars)),
      );
    case "bare":
      if (known.scalars.has(ref.name) || known.flags.has(ref.name)) return;
      throw new UsageError(
        `${what}: no selected run has a scalar or flag "${ref.name}"${didYouMean(ref.name, [...scalars, ...flags, ...attrs]) || "; see the names with g compare -T --json 1"}`,
      );
  }
}

/** A flag's header: its name, or `=name` when a scalar has that name too (so the two columns can be told apart). */
export function flagHeader(name: string, scalars: ReadonlySet<string>): string {
  return scalars.has(name) ? `=${name}` : name;
}

export function scalarHeader(key: string, qualifier: Qualifier): string {
  return qualifier === "last" ? key : `${qualifier} ${key}`;
}

export function attributeHeader(attr: Attribute): string {
  return ATTRIBUTE_HEADERS[attr];
}

/** A stable identity for a column, so the same column asked for twice is shown once. */
export function columnKey(col: ResolvedColumn): string {
  switch (col.type) {
    case "attr":
      return `.${col.attr}`;
    case "flag":
      return `=${col.name}`;
    case "scalar":
      return `${col.qualifier} ${col.key}`;
  }
}
