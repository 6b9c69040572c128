// Creates N runs through the store as fast as it can (a busy `g run -j` or SDK loop).
import { RunStore } from "../../../dist/store/store.js";
const [home, n] = process.argv.slice(2);
const store = new RunStore(home);
for (let i = 0; i < Number(n); i++) store.createRun({ op: "loop.py", flags: { i } });
