// The compare view's keyboard map: a pure function from Ink's (input, key)
// and the current mode to an action, so each shortcut is a one-line test.

import type { Action, Mode } from "./state.js";

/** The part of Ink's `Key` the view reads (Ink's own type has more fields). */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
  tab?: boolean;
}

/** The keys, as the help overlay and docs/compare-view.md list them. */
export const KEY_HELP: ReadonlyArray<readonly [string, string]> = [
  ["↑ ↓ ← → / h j k l", "move the cursor"],
  ["PgUp PgDn  Ctrl-U Ctrl-D", "scroll a page"],
  ["Home End  g G", "first / last run"],
  ["s / S", "sort by the column under the cursor, ascending / descending"],
  ["/", "filter: the --filter language (loss < 0.2 and x > 0) or text; Enter keeps, Esc clears"],
  ["Enter  d", "show / hide the details of the run"],
  ["space", "mark / unmark the run"],
  ["c / C", "fold / unfold this batch's trials (all batches)"],
  ["x  Delete", "delete the marked runs (or this one) to the trash, after y"],
  ["r", "restart this run (g run --restart) after leaving"],
  ["R", "restart this run's optimizer batch after leaving"],
  ["?", "show / hide this help"],
  ["q  Esc  Ctrl-C", "quit"],
];

export function keyToAction(input: string, key: KeyInfo, mode: Mode): Action | null {
  // Ctrl-C always leaves, whatever is open.
  if (key.ctrl && input === "c") return { type: "quit" };

  if (mode === "filter") {
    if (key.return) return { type: "filterAccept" };
    if (key.escape) return { type: "filterClear" };
    // Terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`.
    if (key.backspace || key.delete) return { type: "filterBackspace" };
    if (key.upArrow) return { type: "move", rows: -1, cols: 0 };
    if (key.downArrow) return { type: "move", rows: 1, cols: 0 };
    if (key.ctrl || key.meta || key.tab || input === "") return null;
    return { type: "filterType", text: input };
  }

  if (mode === "confirm") {
    if (input === "y" || input === "Y") return { type: "confirmDelete" };
    if (input === "n" || input === "N" || input === "q" || key.escape) return { type: "cancel" };
    return null;
  }

  if (mode === "help") {
    if (input === "?" || input === "q" || key.escape || key.return) return { type: "toggleHelp" };
    return null;
  }

  if (key.upArrow || input === "k") return { type: "move", rows: -1, cols: 0 };
  if (key.downArrow || input === "j") return { type: "move", rows: 1, cols: 0 };
  if (key.leftArrow || input === "h") return { type: "move", rows: 0, cols: -1 };
  if (key.rightArrow || input === "l") return { type: "move", rows: 0, cols: 1 };
  if (key.pageUp || (key.ctrl && input === "u")) return { type: "page", pages: -1 };
  if (key.pageDown || (key.ctrl && input === "d")) return { type: "page", pages: 1 };
  if (key.home || input === "g") return { type: "home" };
  if (key.end || input === "G") return { type: "end" };
  if (key.return || input === "d") return { type: "toggleDetails" };
  if (key.escape || input === "q") return { type: "quit" };
  if (key.delete || input === "x") return { type: "askDelete" };
  switch (input) {
    case "s":
      return { type: "sort", descending: false };
    case "S":
      return { type: "sort", descending: true };
    case "/":
      return { type: "filterStart" };
    case " ":
      return { type: "toggleMark" };
    case "c":
      return { type: "toggleGroup" };
    case "C":
      return { type: "toggleAllGroups" };
    case "r":
      return { type: "restart", batch: false };
    case "R":
      return { type: "restart", batch: true };
    case "?":
      return { type: "toggleHelp" };
    default:
      return null;
  }
}
