// Claims trials of a grid of N points from one ledger until none is left, as
// an agent would (claimLedgerTrial), finishing each at once; prints how many it
// claimed. Several of these run at once in test/store/claims.test.ts.
import { RunStore } from "../../../dist/store/store.js";
import { claimLedgerTrial } from "../../../dist/store/sweeps.js";
const [home, ledger, n] = process.argv.slice(2);
const store = new RunStore(home);
const finishedCache = new Map();
let claimed = 0;
for (;;) {
  const claim = await claimLedgerTrial(store, ledger, {
    choose: (trials) => {
      const taken = new Set(trials.map((t) => t.trial));
      for (let k = 1; k <= Number(n); k++) if (!taken.has(k)) return { kind: "trial", trial: k, point: { k }, retryOf: null };
      return { kind: "done", reason: "all claimed" };
    },
    newRun: (choice) => ({ op: "grid", trial: choice.trial, flags: choice.point, started: new Date().toISOString() }),
    finishedCache,
    lockTimeoutMs: 30_000,
  });
  if (claim.kind === "done") break;
  claimed++;
  await store.updateRun(
    claim.run.id,
    (r) => {
      r.stopped = new Date().toISOString();
      r.exit_status = 0;
    },
    "atomic",
  );
  store.removeLock(claim.run.id);
}
process.stdout.write(`${claimed}\n`);
