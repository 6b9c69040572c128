// In-memory runs and their comparison data for the compare view's tests.

import { buildCompareData, type CompareData, type CompareInputRun } from "../../src/query/compare-data.js";
import type { Flags, RunStatus, ScalarSummary } from "../../src/store/types.js";

export interface FakeRun {
  id: string;
  op?: string;
  flags?: Flags;
  loss?: number;
  status?: RunStatus;
  batch?: string;
  optimizer?: string;
}

/** A 32-hex id whose short form starts with `prefix` (so frames show a readable id). */
export function fakeId(prefix: string): string {
  return (prefix + "0".repeat(32)).slice(0, 32);
}

export function toInputRuns(runs: FakeRun[]): CompareInputRun[] {
  return runs.map((r, i) => {
    const summaries: Record<string, ScalarSummary> = {};
    if (r.loss !== undefined)
      summaries.loss = { last: r.loss, first: r.loss, min: r.loss, max: r.loss, avg: r.loss, total: r.loss, count: 1, step: null };
    const started = new Date(Date.UTC(2026, 0, 1, 0, 0, runs.length - i)).toISOString();
    return {
      index: i + 1,
      summaries,
      run: {
        id: r.id,
        dir: `/nonexistent/${r.id}`,
        status: r.status ?? "completed",
        record: {
          format: 1,
          id: r.id,
          op: r.op ?? "train.py",
          cmd: [],
          cwd: "/",
          flags: r.flags ?? {},
          created: started,
          started,
          stopped: started,
          exit_status: 0,
          label: "",
          tags: [],
          ...(r.batch !== undefined ? { batch: r.batch } : {}),
          ...(r.optimizer !== undefined ? { optimizer: r.optimizer } : {}),
        },
      },
    };
  });
}

export function fakeData(runs: FakeRun[], cols?: string): CompareData {
  return buildCompareData({ runs: toInputRuns(runs), now: Date.UTC(2026, 0, 2), columns: cols });
}

/** Three runs: a (lr 0.1, loss 0.5), b (lr 0.01, loss 0.2), c (lr 0.001, loss 0.9). */
export const THREE: FakeRun[] = [
  { id: fakeId("aaaa"), flags: { lr: 0.1 }, loss: 0.5 },
  { id: fakeId("bbbb"), flags: { lr: 0.01 }, loss: 0.2 },
  { id: fakeId("cccc"), flags: { lr: 0.001 }, loss: 0.9 },
];
