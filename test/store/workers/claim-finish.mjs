// An agent's loop over one ledger of a grid of N points, as `g agent` runs it:
// claim (claimLedgerTrial) with the agent's rule, an orphaned trial (its run
// started, not stopped, its process gone) run again first, else the first free
// point; then end the run as the runner does: `stopped` into run.json
// (updateRun, durable), then the LOCK removed. With PAUSE_MS, each read of a
// LOCK first waits up to that many ms, as a reader descheduled between
// run.json and LOCK on a loaded machine. Prints how many trials it claimed.
import { pauseLockReads, sleepSync } from "./pause-lock-reads.mjs";

const [home, ledger, n, pauseMs] = process.argv.slice(2);
if (Number(pauseMs) > 0) pauseLockReads(() => sleepSync(Math.random() * Number(pauseMs)));
const { RunStore } = await import("../../../dist/store/store.js");
const { claimLedgerTrial } = await import("../../../dist/store/sweeps.js");
const store = new RunStore(home);
const finishedCache = new Map();
let claimed = 0;
for (;;) {
  const claim = await claimLedgerTrial(store, ledger, {
    choose: (trials) => {
      // As chooseTrial (src/trials/sweep.ts): an orphan no live run stands for first.
      const live = new Set(trials.filter((t) => !t.orphaned).map((t) => t.trial));
      const orphan = trials.find((t) => t.orphaned && !live.has(t.trial));
      if (orphan) return { kind: "trial", trial: orphan.trial, point: orphan.run.record.flags, retryOf: orphan };
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
  await store.updateRun(claim.run.id, (r) => {
    r.stopped = new Date().toISOString();
    r.exit_status = 0;
  });
  store.removeLock(claim.run.id);
}
process.stdout.write(`${claimed}\n`);
