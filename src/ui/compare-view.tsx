// Entry of the interactive `g compare` view (imported lazily by
// src/commands/compare.ts): renders CompareApp with Ink against the store and
// resolves, once the user leaves, with what to do next.

import { openSync, readSync, closeSync, fstatSync } from "node:fs";
import { join } from "node:path";
import { render } from "ink";
import type { CompareData, CompareInputRun } from "../query/compare-data.js";
import { OUTPUT_FILE, type RunStore } from "../store/store.js";
import type { Run } from "../store/types.js";
import { CompareApp } from "./CompareApp.js";
import type { ViewExit } from "./state.js";

/** Bytes read from the end of output.log for the tail: enough for a few lines, cheap for huge logs. */
const TAIL_BYTES = 16 * 1024;

export type { ViewExit } from "./state.js";

/** What the view is given by g compare (src/commands/compare.ts). */
export interface CompareViewInput {
  store: RunStore;
  /** Re-reads the store for the same selection (for live refresh and after deletes). */
  load(): { runs: CompareInputRun[]; warnings: string[] };
  /** The comparison data for runs, with the command's -c/-m/-M/-t/--filter/--skip-* options. */
  build(runs: CompareInputRun[]): CompareData;
  /** Draw in colour (false under NO_COLOR). */
  color: boolean;
}

export async function runCompareView(input: CompareViewInput): Promise<ViewExit> {
  const first = input.load();
  for (const w of first.warnings) process.stderr.write(`g: warning: ${w}\n`);
  const data = input.build(first.runs);
  if (data.rows.length === 0) {
    process.stderr.write(first.runs.length === 0 ? "g: no runs to compare; see g runs\n" : "g: no runs match the filter\n");
    return { kind: "quit" };
  }
  let result: ViewExit = { kind: "quit" };
  const app = render(
    <CompareApp
      data={data}
      // Reload warnings would scribble over the view: the first load already showed them.
      reload={() => input.build(input.load().runs)}
      deleteRuns={(ids) => ids.forEach((id) => input.store.deleteRun(id))}
      readScalars={(run) => input.store.readScalars(run.id)}
      readOutputTail={readOutputTail}
      onExit={(exit) => (result = exit)}
      color={input.color}
    />,
    { exitOnCtrlC: false },
  );
  await app.waitUntilExit();
  return result;
}

/** The last `lines` lines of a run's output.log ([] when it has none). */
export function readOutputTail(run: Run, lines: number): string[] {
  let fd: number;
  try {
    fd = openSync(join(run.dir, OUTPUT_FILE), "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const text = buf.toString("utf8").replace(/\r/g, "");
    const all = text.split("\n");
    if (all[all.length - 1] === "") all.pop();
    // The first line may be cut by the byte window; drop it unless the whole file was read.
    if (len < size) all.shift();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}
