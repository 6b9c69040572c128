// A word of a command line as a POSIX shell reads it back (pure): for the
// commands g prints for people to copy (`g run train.py 'x=[1:2]'`).

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
