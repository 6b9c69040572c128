import { describe, expect, it } from "vitest";
import { keyToAction } from "../../src/ui/keys.js";

const t = (input: string, key = {}) => keyToAction(input, key, "table");

describe("compare view keys (table)", () => {
  it("↑ and k move up", () =>
    expect([t("", { upArrow: true }), t("k")]).toEqual([
      { type: "move", rows: -1, cols: 0 },
      { type: "move", rows: -1, cols: 0 },
    ]));
  it("↓ and j move down", () =>
    expect([t("", { downArrow: true }), t("j")]).toEqual([
      { type: "move", rows: 1, cols: 0 },
      { type: "move", rows: 1, cols: 0 },
    ]));
  it("← and h move left", () =>
    expect([t("", { leftArrow: true }), t("h")]).toEqual([
      { type: "move", rows: 0, cols: -1 },
      { type: "move", rows: 0, cols: -1 },
    ]));
  it("→ and l move right", () =>
    expect([t("", { rightArrow: true }), t("l")]).toEqual([
      { type: "move", rows: 0, cols: 1 },
      { type: "move", rows: 0, cols: 1 },
    ]));
  it("PgUp and Ctrl-U page up", () =>
    expect([t("", { pageUp: true }), t("u", { ctrl: true })]).toEqual([
      { type: "page", pages: -1 },
      { type: "page", pages: -1 },
    ]));
  it("PgDn and Ctrl-D page down", () =>
    expect([t("", { pageDown: true }), t("d", { ctrl: true })]).toEqual([
      { type: "page", pages: 1 },
      { type: "page", pages: 1 },
    ]));
  it("Home and g go to the first run", () => expect([t("", { home: true }), t("g")]).toEqual([{ type: "home" }, { type: "home" }]));
  it("End and G go to the last run", () => expect([t("", { end: true }), t("G")]).toEqual([{ type: "end" }, { type: "end" }]));
  it("s sorts ascending", () => expect(t("s")).toEqual({ type: "sort", descending: false }));
  it("S sorts descending", () => expect(t("S")).toEqual({ type: "sort", descending: true }));
  it("/ starts the filter", () => expect(t("/")).toEqual({ type: "filterStart" }));
  it("Enter and d toggle details", () =>
    expect([t("", { return: true }), t("d")]).toEqual([{ type: "toggleDetails" }, { type: "toggleDetails" }]));
  it("space marks", () => expect(t(" ")).toEqual({ type: "toggleMark" }));
  it("x and Delete ask to delete", () => expect([t("x"), t("", { delete: true })]).toEqual([{ type: "askDelete" }, { type: "askDelete" }]));
  it("r restarts the run", () => expect(t("r")).toEqual({ type: "restart", batch: false }));
  it("R restarts the batch", () => expect(t("R")).toEqual({ type: "restart", batch: true }));
  it("? opens help", () => expect(t("?")).toEqual({ type: "toggleHelp" }));
  it("q, Esc and Ctrl-C quit", () =>
    expect([t("q"), t("", { escape: true }), t("c", { ctrl: true })]).toEqual([{ type: "quit" }, { type: "quit" }, { type: "quit" }]));
  it("ignores other keys", () => expect(t("z")).toBeNull());
});

describe("compare view keys (filter)", () => {
  const f = (input: string, key = {}) => keyToAction(input, key, "filter");
  it("letters are typed, not shortcuts", () => expect(f("q")).toEqual({ type: "filterType", text: "q" }));
  it("Enter keeps the filter", () => expect(f("", { return: true })).toEqual({ type: "filterAccept" }));
  it("Esc clears the filter", () => expect(f("", { escape: true })).toEqual({ type: "filterClear" }));
  it("Backspace deletes a character", () =>
    expect([f("", { backspace: true }), f("", { delete: true })]).toEqual([{ type: "filterBackspace" }, { type: "filterBackspace" }]));
  it("arrows still move", () => expect(f("", { downArrow: true })).toEqual({ type: "move", rows: 1, cols: 0 }));
  it("Ctrl-C still quits", () => expect(f("c", { ctrl: true })).toEqual({ type: "quit" }));
});

describe("compare view keys (confirm, help)", () => {
  const c = (input: string, key = {}) => keyToAction(input, key, "confirm");
  it("y confirms the delete", () => expect(c("y")).toEqual({ type: "confirmDelete" }));
  it("n and Esc cancel", () => expect([c("n"), c("", { escape: true })]).toEqual([{ type: "cancel" }, { type: "cancel" }]));
  it("other keys do nothing while confirming", () => expect(c("x")).toBeNull());
  it("? and Esc close help", () =>
    expect([keyToAction("?", {}, "help"), keyToAction("", { escape: true }, "help")]).toEqual([
      { type: "toggleHelp" },
      { type: "toggleHelp" },
    ]));
  it("help swallows other keys", () => expect(keyToAction("j", {}, "help")).toBeNull());
});
