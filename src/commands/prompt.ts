// Asking the user before acting: a y/n question on the terminal. When stdin
// is not a terminal nothing blocks: the default answer is taken.

import { escapeControlChars } from "../format/values.js";
import { isTerminal, writeErr } from "../runner/terminal.js";

export async function confirm(question: string, defaultYes: boolean): Promise<boolean> {
  if (!isTerminal("stdin")) return defaultYes;
  // Loaded here: listings print with say() and never ask.
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer: string = await new Promise((resolve) => {
      rl.question(`${question} ${defaultYes ? "(Y/n)" : "(y/N)"} `, resolve);
      rl.once("close", () => resolve(""));
    });
    const a = answer.trim().toLowerCase();
    if (a === "") return defaultYes;
    return a === "y" || a === "yes";
  } finally {
    rl.close();
  }
}

/**
 * Messages for people go to stderr; stdout is for data. A message is one
 * line: a control character in it (from a label, a flag, a name the user
 * typed) is shown escaped (`\n`, `\x1b`), never sent to the terminal.
 */
export function say(text: string): void {
  writeErr(escapeControlChars(text.endsWith("\n") ? text.slice(0, -1) : text) + "\n");
}

/** Several messages, a line each (see say). */
export function sayLines(lines: string[]): void {
  writeErr(lines.map((l) => escapeControlChars(l) + "\n").join(""));
}
