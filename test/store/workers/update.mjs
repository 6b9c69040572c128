// Increments a counter in run.json N times through the store's locked update.
import { RunStore } from "../../../dist/store/store.js";
const [home, id, n] = process.argv.slice(2);
const store = new RunStore(home);
for (let i = 0; i < Number(n); i++) {
  await store.updateRun(id, (r) => void (r.counter = (r.counter ?? 0) + 1));
}
