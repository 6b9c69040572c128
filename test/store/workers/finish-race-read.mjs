// Reads a ledger's trials (readTrials, as a claim does) while the one run
// named is ended between its run.json read and its LOCK read: the first open
// of that run's LOCK writes SIGNAL/reading and waits for SIGNAL/finished, which
// the test writes once it has ended the run as the runner does (`stopped` into
// run.json, then the LOCK removed). Prints the trials as JSON lines.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pauseLockReads, sleepSync } from "./pause-lock-reads.mjs";

const [home, ledger, runId, signal] = process.argv.slice(2);
let held = false;
pauseLockReads((path) => {
  if (held || !path.endsWith(`/${runId}/LOCK`)) return;
  held = true;
  writeFileSync(join(signal, "reading"), "");
  const deadline = Date.now() + 30_000;
  while (!existsSync(join(signal, "finished")) && Date.now() < deadline) sleepSync(5);
});
const { RunStore } = await import("../../../dist/store/store.js");
const { readTrials } = await import("../../../dist/store/sweeps.js");
for (const t of readTrials(new RunStore(home), { dir: ledger }))
  process.stdout.write(JSON.stringify({ trial: t.trial, orphaned: t.orphaned, status: t.run?.status ?? null, held }) + "\n");
