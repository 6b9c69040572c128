// Increments a counter in run.json N times under the run's lock: through the
// store's updateRun, with "sync" through withDirLockSync as the SDK does, or
// with "brief" through withBriefDirLock as a claim does.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RunStore, withBriefDirLock, withDirLockSync } from "../../../dist/store/store.js";
import { writeJsonAtomic } from "../../../dist/store/fs-atomic.js";
const [home, id, n, mode] = process.argv.slice(2);
const store = new RunStore(home);
for (let i = 0; i < Number(n); i++) {
  const dir = store.runDir(id);
  const increment = () => {
    const record = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    record.counter = (record.counter ?? 0) + 1;
    writeJsonAtomic(join(dir, "run.json"), record, "atomic");
  };
  if (mode === "sync") {
    withDirLockSync(dir, increment);
  } else if (mode === "brief") {
    await withBriefDirLock(dir, increment);
  } else {
    await store.updateRun(id, (r) => void (r.counter = (r.counter ?? 0) + 1));
  }
}
