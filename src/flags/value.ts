// Typed flag values: the text a user writes (`lr=1e-2`, `--model 'bert'`,
// `--flag yes`) becomes a number, boolean, null or string, and back again.
// Typing follows Guild, which decodes flag text as YAML 1.1 scalars, with the
// exceptions listed in docs/flags.md.

import type { FlagValue } from "../store/types.js";

const INT = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

// PyYAML's YAML 1.1 booleans (Guild's), in the three spellings it accepts.
const TRUE_WORDS = spellings(["true", "yes", "on"]);
const FALSE_WORDS = spellings(["false", "no", "off"]);
// YAML's nulls plus Python's None, since Grid.ai users write Python.
const NULL_WORDS = new Set(["null", "Null", "NULL", "~", "None"]);

function spellings(words: string[]): Set<string> {
  return new Set(words.flatMap((w) => [w, w[0]!.toUpperCase() + w.slice(1), w.toUpperCase()]));
}

/** The number a text spells exactly as an integer, or undefined. */
export function parseIntText(text: string): number | undefined {
  const t = text.trim();
  if (!INT.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The number a text spells (int or float, `1e-2`, `.5`), or undefined. */
export function parseNumberText(text: string): number | undefined {
  const t = text.trim();
  if (!FLOAT.test(t)) return undefined;
  const n = Number(t);
  // Integers beyond 2^53 would silently change; keep them as text instead.
  if (INT.test(t) && !Number.isSafeInteger(n)) return undefined;
  return Number.isFinite(n) ? n : undefined;
}

/** Whether a number's text is written as an integer (`3`, `-3`), not a float (`3.0`, `3e0`). */
export function isIntText(text: string): boolean {
  return parseIntText(text) !== undefined;
}

/**
 * A flag's text → its typed value. `'bert'` and `"bert"` are the string bert
 * (quotes keep `'1'` a string); integers and floats (`1e-2`, `.5`, `-3`) are
 * numbers; yes/no/true/false/on/off (lower, Capitalised or UPPER case) are
 * booleans; null/None/~ are null; anything else, including `inf` and `nan`
 * (which JSON cannot hold), is the string as written.
 */
export function parseFlagValue(text: string): FlagValue {
  const t = text.trim();
  const unquoted = unquote(t);
  if (unquoted !== undefined) return unquoted;
  const n = parseNumberText(t);
  if (n !== undefined) return n;
  if (TRUE_WORDS.has(t)) return true;
  if (FALSE_WORDS.has(t)) return false;
  if (NULL_WORDS.has(t)) return null;
  return text;
}

/** The inside of a text wholly wrapped in matching single or double quotes, or undefined. */
export function unquote(text: string): string | undefined {
  if (text.length < 2) return undefined;
  const q = text[0];
  if ((q !== "'" && q !== '"') || text[text.length - 1] !== q) return undefined;
  const inner = text.slice(1, -1);
  // 'a' 'b' is two quoted words, not one string containing quotes.
  return inner.includes(q) ? undefined : inner;
}

/**
 * A value as a script receives it on its command line and as g shows it:
 * strings as they are, booleans true/false, null as null, numbers in the
 * shortest text that reads back as the same float (Python's repr style, so
 * 1e-05 rather than 0.00001).
 */
export function formatFlagValue(v: FlagValue): string {
  if (typeof v === "number") return formatNumber(v);
  if (v === null) return "null";
  return String(v);
}

/**
 * A value as text that `parseFlagValue` reads back as the same value: strings
 * that would otherwise read as a number, boolean, null or search form are quoted.
 * For echoing `name=value` commands a user can paste.
 */
export function encodeFlagValue(v: FlagValue): string {
  if (typeof v !== "string") return formatFlagValue(v);
  const plain = v.trim() === v && v !== "" && parseFlagValue(v) === v && !/^[[(]|[[(].*[\])]$/.test(v);
  if (plain) return v;
  return v.includes("'") ? `"${v}"` : `'${v}'`;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
  // toExponential() with no digits argument gives the shortest round-trip mantissa.
  const [mantissa, expText] = v.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return String(v);
}
