// The worker thread's side of compare-rows.ts: makes the cells of the rows it
// is handed, runs read in place from the index snapshot's shared memory, with
// the builder's own buildRowCells.

import { buildRowCells, type CompareInputRun, type RowCells } from "../query/compare-data.js";
import { Snapshot } from "../store/index-snapshot.js";
import { SnapshotRun } from "../store/snapshot-runs.js";
import type { ScalarSummary } from "../store/types.js";
import type { RowsJob } from "./compare-rows.js";

/** The cells of the job's rows, in its order; throws when its snapshot cannot be read. */
export function buildJobRowCells(job: RowsJob): RowCells {
  const snapshot = Snapshot.fromShared(job.snapshot, job.cold);
  if (snapshot === null) throw new Error("the snapshot's shared memory is not a snapshot");
  const runs: CompareInputRun[] = new Array<CompareInputRun>(job.entries.length);
  for (let j = 0; j < runs.length; j++) {
    const at = job.entries[j]!;
    if (!(at >= 0 && at < snapshot.count) || !snapshot.readsInPlace(at)) throw new Error(`entry ${at} does not read in place`);
    const run = new SnapshotRun(snapshot.id(at), job.runsDir, snapshot, at);
    runs[j] = new OffloadedRun(job.indexes[j]!, run);
  }
  return buildRowCells(runs, job.columns, job.now, null);
}

/** A row's run on the worker: read through `fields`; its summaries decoded only if asked for. */
class OffloadedRun implements CompareInputRun {
  constructor(
    readonly index: number,
    readonly run: SnapshotRun,
  ) {}

  get fields(): SnapshotRun {
    return this.run;
  }

  get summaries(): Record<string, ScalarSummary> {
    return this.run.decodeSummaries();
  }
}
