// Appends N scalar lines to one run, as a separate process.
import { RunStore } from "../../../dist/store/store.js";
const [home, id, worker, n] = process.argv.slice(2);
const store = new RunStore(home);
for (let i = 0; i < Number(n); i++) {
  store.appendScalars(id, [{ key: `w${worker}`, value: i, step: i, t: Date.now() / 1000, pad: "x".repeat(200) }]);
}
