// Creates N runs through the store as fast as it can (a busy `g run -j` or SDK
// loop). With "churn", each run is then moved to the trash and every other one
// purged, as `g runs delete` and `g runs purge` would.
import { RunStore } from "../../../dist/store/store.js";
const [home, n, mode] = process.argv.slice(2);
const store = new RunStore(home);
for (let i = 0; i < Number(n); i++) {
  const run = store.createRun({ op: "loop.py", flags: { i } });
  if (mode !== "churn") continue;
  store.deleteRun(run.id);
  if (i % 2 === 1) store.purgeRun(run.id);
}
