// Increments a counter in run.json N times under the run's lock: through the
// store's updateRun, or with "sync" through withDirLockSync as the SDK does.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RunStore, withDirLockSync } from "../../../dist/store/store.js";
import { writeJsonAtomic } from "../../../dist/store/fs-atomic.js";
const [home, id, n, mode] = process.argv.slice(2);
const store = new RunStore(home);
for (let i = 0; i < Number(n); i++) {
  if (mode === "sync") {
    const dir = store.runDir(id);
    withDirLockSync(dir, () => {
      const record = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
      record.counter = (record.counter ?? 0) + 1;
      writeJsonAtomic(join(dir, "run.json"), record);
    });
  } else {
    await store.updateRun(id, (r) => void (r.counter = (r.counter ?? 0) + 1));
  }
}
