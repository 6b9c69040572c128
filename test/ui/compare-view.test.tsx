import { afterEach, describe, expect, it } from "vitest";
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets Ink read the input and draw its (throttled) last frame. */
const settle = (): Promise<void> => sleep(100);

async function press(stdin: { write(s: string): void }, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k);
    await sleep(10);
  }
  await settle();
}

function mount(props: Partial<CompareAppProps> = {}, runs: FakeRun[] = THREE) {
  const exits: ViewExit[] = [];
  const app = render(<CompareApp data={fakeData(runs)} color={false} width={100} height={24} onExit={(e) => exits.push(e)} {...props} />);
  return { ...app, exits, frame: () => app.lastFrame() ?? "" };
}

/** The short ids of the table rows, top to bottom, as drawn. */
function rowOrder(frame: string): string[] {
  // Table lines start with the cursor/mark gutter; the status bar (which names the selected run) does not.
  return [...frame.matchAll(/^[> ][* ][▾▸│ ] .*?\b(aaaa|bbbb|cccc|dddd)0000\b/gm)].map((m) => m[1]!);
}

/** Moves the cursor to the loss column (the last one) from the first. */
async function toLossColumn(stdin: { write(s: string): void }, columns: number): Promise<void> {
  await press(stdin, ...Array.from({ length: columns }, () => RIGHT));
}

describe("the interactive compare view", () => {
  it("shows every run with its flags and scalars", async () => {
    const { frame } = mount();
    await settle();
    expect(rowOrder(frame())).toEqual(["aaaa", "bbbb", "cccc"]);
    expect(frame()).toMatch(/lr/);
    expect(frame()).toMatch(/loss/);
    expect(frame()).toMatch(/run 1\/3 aaaa0000/);
  });

  it("moves the cursor down with j and the down arrow", async () => {
    const { stdin, frame } = mount();
    await press(stdin, "j");
    expect(frame()).toMatch(/^>.*bbbb0000/m);
    await press(stdin, DOWN);
    expect(frame()).toMatch(/^>.*cccc0000/m);
    await press(stdin, "k");
    expect(frame()).toMatch(/run 2\/3 bbbb0000/);
  });

  it("sorts by the column under the cursor with s and S", async () => {
    const { stdin, frame } = mount();
    await toLossColumn(stdin, 10);
    await press(stdin, "s");
    expect(rowOrder(frame())).toEqual(["bbbb", "aaaa", "cccc"]);
    expect(frame()).toMatch(/sort loss asc/);
    await press(stdin, "S");
    expect(rowOrder(frame())).toEqual(["cccc", "aaaa", "bbbb"]);
  });

  it("filters as you type, keeps it on Enter and clears it on Esc", async () => {
    const { stdin, frame } = mount();
    await press(stdin, "/", "0", ".", "9");
    expect(frame()).toMatch(/\/0\.9/);
    expect(rowOrder(frame())).toEqual(["cccc"]);
    await press(stdin, ENTER);
    expect(frame()).toMatch(/filter "0\.9"/);
    expect(rowOrder(frame())).toEqual(["cccc"]);
    await press(stdin, "/", ESC);
    expect(rowOrder(frame())).toEqual(["aaaa", "bbbb", "cccc"]);
  });

  it("opens the details pane with flags, sparklines and the output tail", async () => {
    const scalars: ScalarRecord[] = [0.9, 0.7, 0.5, 0.3, 0.2].map((value, step) => ({ key: "loss", value, step, t: 0 }));
    const { stdin, frame } = mount({ readScalars: () => scalars, readOutputTail: () => ["epoch 5 done"] });
    await press(stdin, ENTER);
    expect(frame()).toMatch(/flags: lr=0\.1/);
    expect(frame()).toMatch(/loss +█▆▄▂▁ last 0\.2/);
    expect(frame()).toMatch(/epoch 5 done/);
    await press(stdin, "d");
    expect(frame()).not.toMatch(/flags:/);
  });

  it("deletes the marked runs after y, through the delete callback", async () => {
    const deleted: string[][] = [];
    let runs = THREE;
    const { stdin, frame } = mount({
      deleteRuns: (ids) => {
        deleted.push(ids);
        runs = runs.filter((r) => !ids.includes(r.id));
      },
      reload: () => fakeData(runs),
    });
    await press(stdin, " ", " ");
    expect(frame()).toMatch(/2 marked/);
    await press(stdin, "x");
    expect(frame()).toMatch(/Delete 2 runs \(aaaa0000 bbbb0000\) to the trash\?/);
    await press(stdin, "y");
    expect(deleted).toEqual([[fakeId("aaaa"), fakeId("bbbb")]]);
    expect(rowOrder(frame())).toEqual(["cccc"]);
    expect(frame()).toMatch(/moved 2 runs to the trash/);
  });

  it("does not delete when the confirmation is refused", async () => {
    const deleted: string[][] = [];
    const { stdin, frame } = mount({ deleteRuns: (ids) => deleted.push(ids) });
    await press(stdin, "x", "n");
    expect(deleted).toEqual([]);
    expect(frame()).not.toMatch(/to the trash\?/);
  });

  it("shows the keys with ? and hides them again", async () => {
    const { stdin, frame } = mount();
    await press(stdin, "?");
    expect(frame()).toMatch(/g compare keys/);
    expect(frame()).toMatch(/restart this run/);
    await press(stdin, "?");
    expect(frame()).not.toMatch(/g compare keys/);
    expect(rowOrder(frame())).toEqual(["aaaa", "bbbb", "cccc"]);
  });

  it("quits with q and reports it, leaving no last frame", async () => {
    const { stdin, exits, frame } = mount();
    await settle();
    expect(frame()).toMatch(/aaaa0000/);
    await press(stdin, "q");
    expect(exits).toEqual([{ kind: "quit" }]);
    expect(frame()).toBe("");
  });

  it("filters with the --filter language typed after /", async () => {
    const { stdin, frame } = mount();
    await press(stdin, "/", ..."loss < 0.6");
    expect(rowOrder(frame())).toEqual(["aaaa", "bbbb"]);
    await press(stdin, "\r");
    expect(frame()).toMatch(/filter "loss < 0.6"/);
  });

  it("falls back to a text match and says why in the status bar", async () => {
    const { stdin, frame } = mount();
    await press(stdin, "/", ..."0.001");
    expect(rowOrder(frame())).toEqual(["cccc"]);
    expect(frame()).toMatch(/text match \(/);
  });

  it("quits with Ctrl-C", async () => {
    const { stdin, exits } = mount();
    await press(stdin, "\u0003");
    expect(exits).toEqual([{ kind: "quit" }]);
  });

  it("leaves with a restart request for r and the batch for R", async () => {
    const runs: FakeRun[] = [{ id: fakeId("aaaa"), batch: fakeId("bbbb"), status: "error" }, { id: fakeId("bbbb"), optimizer: "gp" }];
    const one = mount({}, runs);
    // The batch row heads its trials: the trial is the second row.
    await press(one.stdin, "j", "r");
    expect(one.exits).toEqual([{ kind: "restart", runId: fakeId("aaaa"), batch: false }]);
    cleanup();
    const two = mount({}, runs);
    await press(two.stdin, "R");
    expect(two.exits).toEqual([{ kind: "restart", runId: fakeId("bbbb"), batch: true }]);
  });

  it("scrolls columns to fit a narrow terminal", async () => {
    const flags = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`flag_${i}`, i]));
    const { stdin, frame } = mount({ width: 60 }, [{ id: fakeId("aaaa"), flags }]);
    await settle();
    expect(frame()).not.toMatch(/flag_11/);
    for (const line of frame().split("\n")) expect(line.length).toBeLessThanOrEqual(60);
    expect(frame().split("\n")[0]).toMatch(/ ▶$/);
    await press(stdin, ...Array.from({ length: 30 }, () => "l"));
    expect(frame()).toMatch(/flag_11/);
    // The # and run-id columns stay while the others scroll; ◀ says some are off to the left.
    expect(frame().split("\n")[0]).toMatch(/^ {3}◀\s*#\s+run\s/);
    expect(frame()).toMatch(/aaaa0000/);
  });

  it("says in the status bar why r cannot restart a completed trial, and stays open", async () => {
    const runs: FakeRun[] = [{ id: fakeId("aaaa"), batch: fakeId("bbbb") }, { id: fakeId("bbbb"), optimizer: "gp" }];
    const { stdin, frame, exits } = mount({}, runs);
    await press(stdin, "j", "r");
    expect(exits).toEqual([]);
    expect(frame()).toMatch(/is a completed trial; restart its batch instead/);
  });

  it("reloads while a run is running, and stops when it is done", async () => {
    let calls = 0;
    const runs: FakeRun[] = [{ id: fakeId("aaaa"), status: "running", loss: 1 }];
    const reload = () => {
      calls++;
      return fakeData(calls >= 2 ? [{ id: fakeId("aaaa"), status: "completed", loss: 0.25 }] : runs);
    };
    const { frame } = mount({ reload, refreshMs: 10 }, runs);
    await settle();
    await settle();
    expect(frame()).toMatch(/0\.25/);
    expect(frame()).toMatch(/completed/);
    const after = calls;
    await settle();
    expect(calls).toBe(after);
  });
});
