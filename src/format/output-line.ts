// A line of a script's output as a terminal showed it, made safe to draw
// inside g's own screen (pure): the interactive compare view's output tail,
// and the lines `g run`'s live progress panel logs above itself.
// A script's progress bar redraws its line with carriage returns and its log
// colours words with escape sequences; drawn raw inside an Ink layout, either
// moves the cursor and tears the frame.

import { escapeControlChars } from "./values.js";

/**
 * Terminal escape sequences: CSI (`ESC [ … final`, colours, cursor moves,
 * erase), OSC (`ESC ] … BEL` or `ESC ] … ESC \`, titles, links), the 8-bit
 * CSI and OSC (U+009B, U+009D), and the two-character escapes (`ESC 7`,
 * `ESC M`, ...).
 */
const TERMINAL_SEQUENCES =
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)|\u001b[\u0020-\u002f]*[\u0030-\u007e]/g;

/** Tab stops every this many columns, as terminals set them. */
const TAB_STOP_COLUMNS = 8;

/** `line` without its escape sequences (a colour code, a cursor move): what a terminal would not print as text. */
export function stripTerminalSequences(line: string): string {
  return line.includes("\u001b") || line.includes("\u009b") || line.includes("\u009d") ? line.replace(TERMINAL_SEQUENCES, "") : line;
}

/**
 * What a terminal showed last of a line redrawn with carriage returns (a
 * progress bar): the part after the last one. A CRLF ending is no redraw.
 */
export function lastDrawnLine(line: string): string {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  return text.slice(text.lastIndexOf("\r") + 1);
}

/**
 * One line of output (no newline in it) as the compare view shows it: escape
 * sequences removed, the last drawing of a redrawn line, tabs as spaces to
 * the next tab stop, and any other control character escaped (`\x07`), so
 * the line is text that stays on its row.
 */
export function formatOutputLine(line: string): string {
  const drawn = lastDrawnLine(stripTerminalSequences(line));
  return escapeControlChars(drawn.includes("\t") ? expandTabs(drawn) : drawn);
}

function expandTabs(text: string): string {
  let out = "";
  for (const c of text) out += c === "\t" ? " ".repeat(TAB_STOP_COLUMNS - (out.length % TAB_STOP_COLUMNS)) : c;
  return out;
}

/** A colour or style sequence (SGR: `ESC [ … m`), which moves no cursor: the progress panel keeps these. */
const SGR = /\u001b\[[0-9;:]*m/g;
const ONE_SGR = /^\u001b\[[0-9;:]*m$/;

/**
 * One line of a script's output as `g run`'s live progress panel logs it
 * above itself, in the user's terminal: the last drawing of a redrawn line,
 * its colours kept (they move no cursor, and Ink measures text without
 * them), every other escape sequence removed (a cursor move or an erase
 * would tear the panel's frame), tabs as spaces to the next tab stop and any
 * other control character escaped.
 */
export function formatPanelLine(line: string): string {
  const drawn = lastDrawnLine(line);
  if (!/[\u0000-\u001f\u007f-\u009f]/.test(drawn)) return drawn;
  const kept = drawn.replace(TERMINAL_SEQUENCES, (seq) => (ONE_SGR.test(seq) ? seq : ""));
  let out = "";
  let column = 0;
  const text = (part: string) => {
    for (const c of part) {
      const shown = c === "\t" ? " ".repeat(TAB_STOP_COLUMNS - (column % TAB_STOP_COLUMNS)) : escapeControlChars(c);
      out += shown;
      column += shown.length;
    }
  };
  let at = 0;
  for (const m of kept.matchAll(SGR)) {
    text(kept.slice(at, m.index));
    out += m[0];
    at = m.index + m[0].length;
  }
  text(kept.slice(at));
  return out;
}
