// Rewrites run.json in a tight loop until killed.
import { writeJsonAtomic } from "../../../dist/store/fs-atomic.js";
import { join } from "node:path";
const [dir, id] = process.argv.slice(2);
const big = "y".repeat(64 * 1024);
for (let i = 0; ; i++) {
  writeJsonAtomic(join(dir, "run.json"), {
    format: 1,
    id,
    op: "train.py",
    flags: { i },
    tags: [],
    label: big,
    created: "2026-01-01T00:00:00.000Z",
    started: null,
    stopped: null,
    exit_status: null,
    cmd: [],
    cwd: "/",
  });
  if (i === 0) process.stdout.write("ready\n");
}
