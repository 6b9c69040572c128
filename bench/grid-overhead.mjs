// npm run bench:grid — per-trial overhead of a grid of 50 trivial Python
// trials against 50 bare python3 runs, and -j 2 against -j 1 on sleep-bound trials.
import { BIN, ms, sec, table, tempDir, timeOnce, writeScript } from "./util.mjs";

// --smoke (what CI runs so the bench cannot rot): 3 trials, 2 sleeping ones.
const SMOKE = process.argv.includes("--smoke");
const TRIALS = SMOKE ? 3 : Number(process.env.TRIALS ?? 50);
const dir = tempDir();
const script = writeScript(dir, "trivial.py", 'x = 1\nprint("loss: %s" % x)\n');
const sleepy = writeScript(dir, "sleepy.py", 'import time\nx = 1\ntime.sleep(0.5)\nprint("loss: %s" % x)\n');
const list = `x=[${Array.from({ length: TRIALS }, (_, i) => i + 1).join(",")}]`;

const bare = timeOnce("bash", ["-c", `for i in $(seq ${TRIALS}); do python3 ${script} >/dev/null; done`]);
const grid = timeOnce(process.execPath, [BIN, "run", "-y", "-q", script, list], { env: { ...process.env, G_HOME: tempDir() }, cwd: dir });
const perTrial = (grid - bare) / TRIALS;

const SLEEP_TRIALS = SMOKE ? 2 : 8;
const sleepList = `x=[${Array.from({ length: SLEEP_TRIALS }, (_, i) => i + 1).join(",")}]`;
const j1 = timeOnce(process.execPath, [BIN, "run", "-y", "-q", sleepy, sleepList], {
  env: { ...process.env, G_HOME: tempDir() },
  cwd: dir,
});
const j2 = timeOnce(process.execPath, [BIN, "run", "-y", "-q", "-j", "2", sleepy, sleepList], {
  env: { ...process.env, G_HOME: tempDir() },
  cwd: dir,
});

console.log(`grid overhead (${new Date().toISOString().slice(0, 10)}, node ${process.version})\n`);
console.log(
  table(
    ["what", "time", "per trial", "target"],
    [
      [`${TRIALS} × python3 trivial.py (bare)`, sec(bare), ms(bare / TRIALS), ""],
      [`g run -y grid of ${TRIALS} trivial trials`, sec(grid), ms(grid / TRIALS), ""],
      ["overhead per trial", "", ms(perTrial), "≤ 40 ms (Guild 0.9: ~340 ms)"],
      [`${SLEEP_TRIALS} × 0.5 s sleep trials, -j 1`, sec(j1), "", ""],
      [`${SLEEP_TRIALS} × 0.5 s sleep trials, -j 2`, sec(j2), `speed-up ${(j1 / j2).toFixed(2)}×`, "near 2×"],
    ],
  ),
);
