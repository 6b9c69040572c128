// Claims trial 1 of a ledger (claimLedgerTrial) and is killed with SIGKILL
// after its line is appended and before its run.json is written or its run
// renamed into place: newRun, which builds the record, runs after the
// ledger's lock is released. Prints its run id first, so the test knows it.
import { appendFileSync } from "node:fs";
import { RunStore } from "../../../dist/store/store.js";
import { claimLedgerTrial } from "../../../dist/store/sweeps.js";
const [home, ledger, idFile] = process.argv.slice(2);
const store = new RunStore(home);
await claimLedgerTrial(store, ledger, {
  choose: () => ({ kind: "trial", trial: 1, point: { x: 1 }, retryOf: null }),
  newRun: () => {
    appendFileSync(idFile, "killed\n");
    process.kill(process.pid, "SIGKILL");
    return { op: "x" };
  },
  lockTimeoutMs: 30_000,
});
