// "Did you mean …?" for a mistyped name (pure): one edit distance
// (Damerau–Levenshtein, optimal string alignment: a swap of two neighbouring
// letters, `lsos` for `loss`, counts as one edit) and one rule for which
// names are close enough to suggest, shared by every command that checks names.

/** Edits allowed for a name of this length: short names get one, longer ones up to a third of their length. */
function maxEditsFor(length: number): number {
  return Math.max(1, Math.min(3, Math.floor(length / 3)));
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps each cost 1. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates closest to `name` (case-insensitive), nearest first, at most
 * `limit`; empty when none is close enough to be a plausible typo.
 */
export function closestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const wanted = name.toLowerCase();
  const allowed = maxEditsFor(wanted.length);
  const scored: Array<{ name: string; distance: number }> = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c)) continue;
    seen.add(c);
    const distance = editDistance(wanted, c.toLowerCase());
    if (distance <= allowed) scored.push({ name: c, distance });
  }
  scored.sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}

/** `; did you mean loss?` (or `loss or lost`), or "" when nothing is close; `show` formats each name. */
export function didYouMean(name: string, candidates: Iterable<string>, show: (n: string) => string = (n) => n): string {
  const close = closestNames(name, candidates);
  if (close.length === 0) return "";
  const shown = close.map(show);
  const list = shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(", ")} or ${shown[shown.length - 1]!}`;
  return `; did you mean ${list}?`;
}

/**
 * The error for an unknown `--opt-flag` name of an optimizer: the close names
 * when there are any, else every name it takes.
 */
export function unknownSettingMessage(optimizer: string, name: string, names: string[]): string {
  const hint = didYouMean(name, names);
  const see = `(see g run --help-optimizer ${optimizer})`;
  return hint
    ? `unknown ${optimizer} setting '${name}'${hint} ${see}`
    : `unknown ${optimizer} setting '${name}': expected one of ${names.join(", ")} ${see}`;
}
