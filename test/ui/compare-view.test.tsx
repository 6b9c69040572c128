import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render } from "ink-testing-library";
import { CompareApp, type CompareAppProps } from "../../src/ui/CompareApp.js";
import type { ViewExit } from "../../src/ui/state.js";
import type { ScalarRecord } from "../../src/store/types.js";
import { fakeData, fakeId, THREE, toInputRuns, type FakeRun } from "./fixtures.js";

const DOWN = "\u001B[B";
const RIGHT = "\u001B[C";
const ENTER = "\r";
const ESC = "\u001B";

afterEach(() => cleanup());

/** Waits until the assertion holds: Ink draws asynchronously after each key or reload. */
const eventually = (assertion: () => void): Promise<void> => vi.waitFor(assertion, { timeout: 5_000, interval: 5 });

/** Types keys; the reducer takes them one by one, so they need no pause between them. */
function press(stdin: { write(s: string): void }, ...keys: string[]): void {
  for (const k of keys) stdin.write(k);
}

/** Renders the app and waits until it listens to its stdin (Ink attaches that in an effect). */
async function mount(props: Partial<CompareAppProps> = {}, runs: FakeRun[] = THREE) {
  const exits: ViewExit[] = [];
  const app = render(<CompareApp data={fakeData(runs)} color={false} width={100} height={24} onExit={(e) => exits.push(e)} {...props} />);
  await eventually(() => expect(app.stdin.listenerCount("readable")).toBeGreaterThan(0));
  return { ...app, exits, frame: () => app.lastFrame() ?? "" };
}

/** The short ids of the table rows, top to bottom, as drawn. */
function rowOrder(frame: string): string[] {
  // Table lines start with the cursor/mark gutter; the status bar (which names the selected run) does not.
  return [...frame.matchAll(/^[> ][* ][▾▸│ ] .*?\b(aaaa|bbbb|cccc|dddd)0000\b/gm)].map((m) => m[1]!);
}

/** Moves the cursor to the loss column (the last one) from the first. */
function toLossColumn(stdin: { write(s: string): void }, columns: number): void {
  press(stdin, ...Array.from({ length: columns }, () => RIGHT));
}

describe("the interactive compare view", () => {
  it("shows every run with its flags and scalars", async () => {
    const { frame } = await mount();
    await eventually(() => expect(rowOrder(frame())).toEqual(["aaaa", "bbbb", "cccc"]));
    expect(frame()).toMatch(/lr/);
    expect(frame()).toMatch(/loss/);
    expect(frame()).toMatch(/run 1\/3 aaaa0000/);
  });

  it("moves the cursor down with j and the down arrow", async () => {
    const { stdin, frame } = await mount();
    press(stdin, "j");
    await eventually(() => expect(frame()).toMatch(/^>.*bbbb0000/m));
    press(stdin, DOWN);
    await eventually(() => expect(frame()).toMatch(/^>.*cccc0000/m));
    press(stdin, "k");
    await eventually(() => expect(frame()).toMatch(/run 2\/3 bbbb0000/));
  });

  it("sorts by the column under the cursor with s and S", async () => {
    const { stdin, frame } = await mount();
    toLossColumn(stdin, 10);
    press(stdin, "s");
    await eventually(() => expect(frame()).toMatch(/sort loss asc/));
    expect(rowOrder(frame())).toEqual(["bbbb", "aaaa", "cccc"]);
    press(stdin, "S");
    await eventually(() => expect(rowOrder(frame())).toEqual(["cccc", "aaaa", "bbbb"]));
  });

  it("filters as you type, keeps it on Enter and clears it on Esc", async () => {
    const { stdin, frame } = await mount();
    press(stdin, "/", "0", ".", "9");
    await eventually(() => expect(frame()).toMatch(/\/0\.9/));
    expect(rowOrder(frame())).toEqual(["cccc"]);
    press(stdin, ENTER);
    await eventually(() => expect(frame()).toMatch(/filter "0\.9"/));
    expect(rowOrder(frame())).toEqual(["cccc"]);
    press(stdin, "/", ESC);
    await eventually(() => expect(rowOrder(frame())).toEqual(["aaaa", "bbbb", "cccc"]));
  });

  it("opens the details pane with flags, sparklines and the output tail", async () => {
    const scalars: ScalarRecord[] = [0.9, 0.7, 0.5, 0.3, 0.2].map((value, step) => ({ key: "loss", value, step, t: 0 }));
    const { stdin, frame } = await mount({ readScalars: () => scalars, readOutputTail: () => ["epoch 5 done"] });
    press(stdin, ENTER);
    await eventually(() => expect(frame()).toMatch(/flags: lr=0\.1/));
    expect(frame()).toMatch(/loss +█▆▄▂▁ last 0\.2/);
    expect(frame()).toMatch(/epoch 5 done/);
    press(stdin, "d");
    await eventually(() => expect(frame()).not.toMatch(/flags:/));
  });

  it("shows the output tail as a terminal did: a progress bar's last drawing, no colour codes, tabs as spaces", async () => {
    const tail = ["\x1b[1;32mINFO\x1b[0m start", "epoch 1  10%\repoch 1  55%\repoch 1 100%", "a\tb\x07", "\x1b[2Kdone\r"];
    const { stdin, frame } = await mount({ readOutputTail: () => tail });
    press(stdin, ENTER);
    await eventually(() => expect(frame()).toMatch(/epoch 1 100%/));
    const lines = frame().split("\n");
    const at = lines.findIndex((l) => l.includes("output:"));
    expect(lines.slice(at + 1, at + 5).map((l) => l.replace(/^│|│$/g, "").trimEnd())).toEqual([
      "INFO start",
      "epoch 1 100%",
      "a       b\\x07",
      "done",
    ]);
    expect(frame()).not.toMatch(/[\r\x07\x1b]|10%|55%/);
  });

  it("shows a flag's newline, tab or escape as \\n, \\t, \\x1b, on its row and in the details pane", async () => {
    const runs: FakeRun[] = [
      { id: fakeId("aaaa"), op: "tr\tain.py", flags: { msg: "a\nb\tc\x1b[1m" }, loss: 0.5 },
      { id: fakeId("bbbb"), flags: { msg: "plain" }, loss: 0.25 },
    ];
    const scalars: ScalarRecord[] = [0.5, 0.25].map((value, step) => ({ key: "lo\nss\x1b", value, step, t: 0 }));
    const { stdin, frame } = await mount({ width: 140, readScalars: () => scalars }, runs);
    await eventually(() => expect(frame()).toContain("a\\nb\\tc\\x1b[1m"));
    expect(frame()).toContain("tr\\tain.py");
    expect(frame()).not.toMatch(/a\nb|\t/);
    // The columns after the escaped cells line up: each is as wide as what it shows.
    const lines = frame().split("\n");
    const end = (id: string, text: string) => {
      const line = lines.find((l) => l.includes(`${id}0000`))!;
      return line.lastIndexOf(text) + text.length;
    };
    expect(end("aaaa", "0.5")).toBe(end("bbbb", "0.25"));
    expect(end("aaaa", "2026-01-01")).toBe(end("bbbb", "2026-01-01"));
    press(stdin, ENTER);
    await eventually(() => expect(frame()).toContain("flags: msg=a\\nb\\tc\\x1b[1m"));
    expect(frame()).toMatch(/tr\\tain\.py \[completed\]/);
    expect(frame()).toContain("lo\\nss\\x1b █▁ last 0.25");
    expect(frame()).not.toMatch(/[\t\x1b]|lo\n/);
  });

  it("shows a flag recorded as null as null, keeps its column numeric and sorts it with the missing", async () => {
    const runs: FakeRun[] = [
      { id: fakeId("aaaa"), flags: { lr: null }, loss: 0.5 },
      { id: fakeId("bbbb"), flags: { lr: 0.25 }, loss: 0.25 },
      { id: fakeId("cccc"), flags: {}, loss: 0.75 },
      { id: fakeId("dddd"), flags: { lr: 0.125 }, loss: 0.125 },
    ];
    const { stdin, frame } = await mount({ width: 140, color: true }, runs);
    const lines = () => frame().split("\n");
    const row = (id: string) => lines().find((l) => l.includes(`${id}0000`))!;
    await eventually(() => expect(row("aaaa")).toContain("null"));
    // The run without the flag shows nothing there.
    expect(row("cccc")).not.toContain("null");
    // Still a numeric column: right-aligned, so null ends where the numbers do.
    expect(row("aaaa").indexOf("null") + 4).toBe(row("bbbb").indexOf("0.25") + 4);
    // Sorted by lr, ascending then descending: the numbers in order, null with the missing value after them.
    press(stdin, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, "s");
    await eventually(() => expect(frame()).toMatch(/sort lr asc/));
    expect(rowOrder(frame()).slice(0, 2)).toEqual(["dddd", "bbbb"]);
    press(stdin, "S");
    await eventually(() => expect(rowOrder(frame()).slice(0, 2)).toEqual(["bbbb", "dddd"]));
  });

  it("deletes the marked runs after y, through the delete callback", async () => {
    const deleted: string[][] = [];
    let runs = THREE;
    const { stdin, frame } = await mount({
      deleteRuns: (ids) => {
        deleted.push(ids);
        runs = runs.filter((r) => !ids.includes(r.id));
      },
      reload: () => fakeData(runs),
    });
    press(stdin, " ", " ");
    await eventually(() => expect(frame()).toMatch(/2 marked/));
    press(stdin, "x");
    await eventually(() => expect(frame()).toMatch(/Delete 2 runs \(aaaa0000 bbbb0000\) to the trash\?/));
    press(stdin, "y");
    await eventually(() => expect(frame()).toMatch(/moved 2 runs to the trash/));
    expect(deleted).toEqual([[fakeId("aaaa"), fakeId("bbbb")]]);
    expect(rowOrder(frame())).toEqual(["cccc"]);
  });

  it("does not delete when the confirmation is refused", async () => {
    const deleted: string[][] = [];
    const { stdin, frame } = await mount({ deleteRuns: (ids) => deleted.push(ids) });
    press(stdin, "x");
    await eventually(() => expect(frame()).toMatch(/to the trash\?/));
    press(stdin, "n");
    await eventually(() => expect(frame()).not.toMatch(/to the trash\?/));
    expect(deleted).toEqual([]);
  });

  it("shows the keys with ? and hides them again", async () => {
    const { stdin, frame } = await mount();
    press(stdin, "?");
    await eventually(() => expect(frame()).toMatch(/g compare keys/));
    expect(frame()).toMatch(/restart this run/);
    press(stdin, "?");
    await eventually(() => expect(frame()).not.toMatch(/g compare keys/));
    expect(rowOrder(frame())).toEqual(["aaaa", "bbbb", "cccc"]);
  });

  it("quits with q and reports it, leaving no last frame", async () => {
    const { stdin, exits, frame } = await mount();
    await eventually(() => expect(frame()).toMatch(/aaaa0000/));
    press(stdin, "q");
    await eventually(() => expect(exits).toEqual([{ kind: "quit" }]));
    // Empty (under CI, Ink's last write is a bare newline).
    await eventually(() => expect(frame().trim()).toBe(""));
  });

  it("filters with the --filter language typed after /", async () => {
    const { stdin, frame } = await mount();
    press(stdin, "/", ..."loss < 0.6");
    await eventually(() => expect(frame()).toMatch(/\/loss < 0\.6/));
    await eventually(() => expect(rowOrder(frame())).toEqual(["aaaa", "bbbb"]));
    press(stdin, "\r");
    await eventually(() => expect(frame()).toMatch(/filter "loss < 0.6"/));
  });

  it("falls back to a text match and says why in the status bar", async () => {
    const { stdin, frame } = await mount();
    press(stdin, "/", ..."0.001");
    await eventually(() => expect(frame()).toMatch(/text match \(/));
    expect(rowOrder(frame())).toEqual(["cccc"]);
  });

  it("quits with Ctrl-C", async () => {
    const { stdin, exits } = await mount();
    press(stdin, "\u0003");
    await eventually(() => expect(exits).toEqual([{ kind: "quit" }]));
  });

  it("leaves with a restart request for r and the batch for R", async () => {
    const runs: FakeRun[] = [
      { id: fakeId("aaaa"), batch: fakeId("bbbb"), status: "error" },
      { id: fakeId("bbbb"), optimizer: "gp" },
    ];
    const one = await mount({}, runs);
    // The batch row heads its trials: the trial is the second row.
    press(one.stdin, "j", "r");
    await eventually(() => expect(one.exits).toEqual([{ kind: "restart", runId: fakeId("aaaa"), batch: false }]));
    cleanup();
    const two = await mount({}, runs);
    press(two.stdin, "R");
    await eventually(() => expect(two.exits).toEqual([{ kind: "restart", runId: fakeId("bbbb"), batch: true }]));
  });

  it("scrolls columns to fit a narrow terminal", async () => {
    const flags = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`flag_${i}`, i]));
    const { stdin, frame } = await mount({ width: 60 }, [{ id: fakeId("aaaa"), flags }]);
    await eventually(() => expect(frame()).toMatch(/aaaa0000/));
    expect(frame()).not.toMatch(/flag_11/);
    for (const line of frame().split("\n")) expect(line.length).toBeLessThanOrEqual(60);
    expect(frame().split("\n")[0]).toMatch(/ ▶$/);
    press(stdin, ...Array.from({ length: 30 }, () => "l"));
    await eventually(() => expect(frame()).toMatch(/flag_11/));
    // The # and run-id columns stay while the others scroll; ◀ says some are off to the left.
    expect(frame().split("\n")[0]).toMatch(/^ {3}◀\s*#\s+run\s/);
    expect(frame()).toMatch(/aaaa0000/);
  });

  it("says in the status bar why r cannot restart a completed trial, and stays open", async () => {
    const runs: FakeRun[] = [
      { id: fakeId("aaaa"), batch: fakeId("bbbb") },
      { id: fakeId("bbbb"), optimizer: "gp" },
    ];
    const { stdin, frame, exits } = await mount({}, runs);
    press(stdin, "j", "r");
    await eventually(() => expect(frame()).toMatch(/is a completed trial; restart its batch instead/));
    expect(exits).toEqual([]);
  });

  it("reloads while a run is running, and stops when it is done", async () => {
    // Fake intervals: the refresh timer fires only when the test moves the
    // clock, so "it stopped" is checked without waiting on a real one.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      let calls = 0;
      const runs: FakeRun[] = [{ id: fakeId("aaaa"), status: "running", loss: 1 }];
      const reload = () => {
        calls++;
        return fakeData(calls >= 2 ? [{ id: fakeId("aaaa"), status: "completed", loss: 0.25 }] : runs);
      };
      const { frame } = await mount({ reload, refreshMs: 10 }, runs);
      await eventually(() => {
        vi.advanceTimersByTime(10);
        expect(frame()).toMatch(/completed/);
      });
      expect(frame()).toMatch(/0\.25/);
      // React clears the timer in an effect after the frame is drawn: wait
      // until moving the clock calls reload no more, then check it stays so.
      await eventually(() => {
        const before = calls;
        vi.advanceTimersByTime(100);
        expect(calls).toBe(before);
      });
      const after = calls;
      vi.advanceTimersByTime(10_000);
      expect(calls).toBe(after);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("runCompareView with nothing to show", () => {
  it("says what g compare -T says of the selection, and quits without drawing", async () => {
    const { runCompareView } = await import("../../src/ui/compare-view.js");
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const exit = await runCompareView({
        store: null as never,
        load: () => ({ runs: toInputRuns(THREE), warnings: [], noMatch: () => "no run matches --op trian; did you mean --op train?" }),
        build: () => ({ ...fakeData(THREE), rows: [] }),
        color: false,
      });
      expect(exit).toEqual({ kind: "quit" });
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual(["g: no run matches --op trian; did you mean --op train?\n"]);
  });
});
