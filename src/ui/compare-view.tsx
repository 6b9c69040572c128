// Entry of the interactive `g compare` view (imported lazily by
// src/commands/compare.ts): renders CompareApp with Ink against the store and
// resolves, once the user leaves, with what to do next.

import { render } from "ink";
import { escapeControlChars } from "../format/values.js";
import type { CompareData, CompareInputRun } from "../query/compare-data.js";
import type { RunStore } from "../store/store.js";
import { CompareApp } from "./CompareApp.js";
import type { ViewExit } from "./state.js";

export type { ViewExit } from "./state.js";

/** What the view is given by g compare (src/commands/compare.ts). */
export interface CompareViewInput {
  store: RunStore;
  /** Re-reads the store for the same selection (for live refresh and after deletes). */
  load(): { runs: CompareInputRun[]; warnings: string[]; noMatch?: () => string };
  /** The comparison data for runs, with the command's -c/-m/-M/-t/--filter/--skip-* options. */
  build(runs: CompareInputRun[]): CompareData;
  /** Draw in colour (false under NO_COLOR). */
  color: boolean;
}

export async function runCompareView(input: CompareViewInput): Promise<ViewExit> {
  const first = input.load();
  for (const w of first.warnings) process.stderr.write(`g: warning: ${escapeControlChars(w)}\n`);
  const data = input.build(first.runs);
  if (data.rows.length === 0) {
    // What g compare -T says of the same selection: which filters were given and what the store holds.
    const note = first.noMatch?.() ?? (first.runs.length === 0 ? "no runs to compare; see g runs" : "no runs match the filter");
    process.stderr.write(`g: ${escapeControlChars(note)}\n`);
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
      readOutputTail={(run, lines) => input.store.readOutputTail(run, lines)}
      onExit={(exit) => (result = exit)}
      color={input.color}
    />,
    { exitOnCtrlC: false },
  );
  await app.waitUntilExit();
  return result;
}
