// A word of a command line as a POSIX shell reads it back (pure): for the
// commands g prints for people to copy (`g run train.py 'x=[1:2]'`).

import { encodeFlagValue } from "../flags/value.js";
import type { Flags } from "../store/types.js";
import { escapeControlChars } from "./values.js";

/**
 * `word` as is when the shell leaves it alone, else in single quotes; a word
 * with a control character (a newline, an escape) in bash's `$'...'`, its
 * controls as `\n`, `\t`, `\xHH`, so the command stays on one line and
 * nothing reaches the terminal raw.
 */
export function quoteShellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  if (escapeControlChars(word) !== word) return `$'${escapeControlChars(word.replace(/[\\']/g, (c) => `\\${c}`))}'`;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `g run SCRIPT name=value ...` as a shell line: each value in the text g reads
 * back as the same value (`'1'` stays a string), each word quoted for the shell.
 */
export function formatGRunCommand(script: string, flags: Flags): string {
  const words = ["g", "run", script, ...Object.entries(flags).map(([name, value]) => `${name}=${encodeFlagValue(value)}`)];
  return words.map(quoteShellWord).join(" ");
}
