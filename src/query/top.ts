// `-t/--top N` (pure): the one check of how many rows a comparison keeps,
// used by commander when it reads the option and by buildCompareData for
// callers that pass a number themselves.

import { UsageError } from "../errors.js";

/** A `--top` value as a number of runs: a whole number of at least 1. */
export function parseTop(value: string | number): number {
  const n = typeof value === "number" ? value : value.trim() === "" ? NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`-t/--top takes a whole number of runs >= 1, not "${value}" (e.g. -t 5)`);
  return n;
}
