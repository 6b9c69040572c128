// npm run bench:run — start-up of `g --help` and the overhead of `g run -y`
// on a trivial Python script, against running that script bare with python3.
import { BIN, ROOT, median, ms, table, tempDir, timeMedian, timeOnce, writeScript } from "./util.mjs";

// --smoke (what CI runs so the bench cannot rot): one timing of each.
const N = process.argv.includes("--smoke") ? 1 : Number(process.env.N ?? 20);
const dir = tempDir();
const script = writeScript(dir, "trivial.py", 'x = 1\nprint("loss: %s" % x)\n');
const argScript = writeScript(
  dir,
  "trivial_args.py",
  'import argparse\np = argparse.ArgumentParser()\np.add_argument("--x", type=int, default=1)\na = p.parse_args()\nprint("loss: %s" % a.x)\n',
);
const env = { ...process.env, G_HOME: tempDir() };

const node = timeMedian(N, 2, () => timeOnce(process.execPath, ["-e", "0"]));
const help = timeMedian(N, 2, () => timeOnce(process.execPath, [BIN, "--help"], { env }));
const bare = timeMedian(N, 2, () => timeOnce("python3", [script]));
const run = timeMedian(N, 2, () => timeOnce(process.execPath, [BIN, "run", "-y", "-q", script, "x=2"], { env, cwd: dir }));
const bareArgs = timeMedian(N, 2, () => timeOnce("python3", [argScript, "--x", "2"]));
const runArgs = timeMedian(N, 2, () => timeOnce(process.execPath, [BIN, "run", "-y", "-q", argScript, "--x", "2"], { env, cwd: dir }));

console.log(`g run overhead, median of ${N} (${new Date().toISOString().slice(0, 10)}, node ${process.version})\n`);
console.log(
  table(
    ["what", "time", "overhead vs bare", "target"],
    [
      ["node -e 0 (floor)", ms(node), "", ""],
      ["g --help", ms(help), "", ""],
      ["python3 trivial.py (bare)", ms(bare), "", ""],
      ["g run -y trivial.py x=2 (globals)", ms(run), ms(run - bare), "≤ 40 ms (Guild 0.9: 700–1200 ms)"],
      ["python3 trivial_args.py --x 2 (bare)", ms(bareArgs), "", ""],
      ["g run -y trivial_args.py --x 2 (argparse)", ms(runArgs), ms(runArgs - bareArgs), "≤ 40 ms"],
    ],
  ),
);
void median;
void ROOT;
