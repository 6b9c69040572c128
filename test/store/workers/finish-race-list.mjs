// Lists the runs (as `g runs`, `g compare` and `g view` do, by MODE) while the
// one run named is ended between its run.json read and its LOCK read: the first
// open of that run's LOCK writes SIGNAL/reading and waits for SIGNAL/finished,
// which the test writes once it has ended the run as the runner does (`stopped`
// into run.json, then the LOCK removed). Prints that run's status and whether
// its record says it stopped, as one JSON line.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pauseLockReads, sleepSync } from "./pause-lock-reads.mjs";

const [home, runId, signal, mode] = process.argv.slice(2);
let held = false;
pauseLockReads((path) => {
  if (held || !path.endsWith(`/${runId}/LOCK`)) return;
  held = true;
  writeFileSync(join(signal, "reading"), "");
  const deadline = Date.now() + 30_000;
  while (!existsSync(join(signal, "finished")) && Date.now() < deadline) sleepSync(5);
});
const { RunStore } = await import("../../../dist/store/store.js");
const store = new RunStore(home);
const LISTINGS = {
  // `g runs -a` and the runs subcommands
  all: () => store.listRuns().runs,
  // `g compare`, its interactive view's refresh, `g view`'s table
  summaries: () => store.listRunsWithSummaries().runs.map((r) => r.run),
  indexed: () => store.listRunsIndexed().runs,
  // a bare `g runs`
  newest: () => store.listNewestRuns(20).runs,
};
const run = LISTINGS[mode]().find((r) => r.id === runId);
process.stdout.write(JSON.stringify({ status: run?.status ?? null, stopped: run?.record.stopped != null, held }) + "\n");
