// A word of a command line as a POSIX shell reads it back (pure): for the
// commands g prints for people to copy (`g run train.py 'x=[1:2]'`).

import { encodeFlagValue } from "../flags/value.js";
import type { Flags } from "../store/types.js";

/**
 * `word` as is when the shell leaves it alone, else in single quotes; a word
 * with a control character (a line break, a tab, ESC) in ANSI-C quotes
 * (`$'a\nb'`, read by bash, zsh, ksh and POSIX sh since 2024), so that the
 * line stays one line and no terminal acts on an escape sequence in it.
 */
export function quoteShellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  if (!/[\u0000-\u001f\u007f]/.test(word)) return `'${word.replace(/'/g, `'\\''`)}'`;
  return `$'${word.replace(/[\\'\u0000-\u001f\u007f]/g, escapeAnsiC)}'`;
}

const ANSI_C_ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r" };

/** One character inside `$'...'`: its short escape, else `\xHH` (always two digits, which ends the escape). */
function escapeAnsiC(ch: string): string {
  return ANSI_C_ESCAPES[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/**
 * `g run SCRIPT name=value ...` as a shell line: each value in the text g reads
 * back as the same value (`'1'` stays a string), each word quoted for the shell.
 */
export function formatGRunCommand(script: string, flags: Flags): string {
  const words = ["g", "run", script, ...Object.entries(flags).map(([name, value]) => `${name}=${encodeFlagValue(value)}`)];
  return words.map(quoteShellWord).join(" ");
}
