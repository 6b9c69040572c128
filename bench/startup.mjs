// npm run bench:startup — what a command costs before it does any work, and
// the fsyncs of one `g run`, paired in one run against their floor:
//  - `node -e 0` (the floor), `g --help`, `g --version`, `g compare` and
//    `g runs` on an empty store (the first three through commander's route),
//    and `g agent` on a sweep with nothing left to claim, interleaved round by
//    round so the load hits every row alike; median and "over node" per row;
//  - fsync/fdatasync calls of `g run -y` on a trivial script, counted by strace
//    when it is installed (-f: g and its children).
// Options: --rounds N (default 20), --old DIR (a g package root built before a
// change, e.g. a copy of bin/ and dist/: its rows are timed beside the new
// ones), --smoke (3 rounds; what CI runs so the bench cannot rot),
// --instructions (also each row's instructions under valgrind's callgrind:
// independent of the load; see instructionCount), --instruction-runs N (the
// median of N callgrind runs a row, default 1: one run's count of `node`
// varies by about ±0.5 M).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { BIN, ROOT, median, table, tempDir } from "./util.mjs";

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : fallback;
};
const SMOKE = argv.includes("--smoke");
const ROUNDS = SMOKE ? 3 : Number(option("rounds", 20));
const OLD = option("old", null);
const INSTRUCTIONS = argv.includes("--instructions");
const INSTRUCTION_RUNS = Number(option("instruction-runs", 1));

/**
 * Instructions `cmd` executes (valgrind's callgrind), in millions. Without
 * NODE_EXTRA_CA_CERTS, which makes Node parse a certificate file at every
 * start (most of `node -e 0` where it is set, and the same for every row),
 * and without `detail::sprp`: primality tests of random numbers in Node's own
 * start, whose count varies by millions from run to run.
 */
function instructionCount(cmd, home) {
  const out = join(work, "callgrind.out");
  const env = { ...process.env, G_HOME: home };
  delete env.NODE_EXTRA_CA_CERTS;
  const res = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, ...cmd], { cwd: work, env, stdio: "ignore" });
  if (res.status !== 0) throw new Error(`valgrind ${cmd.join(" ")} exited ${res.status}`);
  const annotated = spawnSync("callgrind_annotate", [out], { encoding: "utf8", maxBuffer: 64 << 20 }).stdout;
  const count = (line) => Number(line.trim().split(/\s+/)[0].replaceAll(",", ""));
  const lines = annotated.split("\n");
  const total = count(lines.find((l) => l.includes("PROGRAM TOTALS")));
  const noise = lines.filter((l) => l.includes("detail::sprp")).reduce((sum, l) => sum + count(l), 0);
  return (total - noise) / 1e6;
}

const work = tempDir("g-bench-startup-");
try {
  const emptyHome = join(work, "empty");
  const sweepHome = join(work, "sweep");
  writeFileSync(join(work, "nap.sh"), 'echo "loss: 1"\n');
  writeFileSync(join(work, "trivial.py"), 'x = 1\nprint("loss: %s" % x)\n');
  writeFileSync(
    join(work, "done.yaml"),
    'program: nap.sh\nmethod: random\nrun_cap: 1\ncommand: [sh, "${program}"]\nparameters:\n  a: {min: 0.0, max: 1.0}\n',
  );
  // A sweep whose one trial is already run: an agent on it starts, finds nothing to claim, exits.
  const g = (bin, args, home, cwd = work) =>
    spawnSync(process.execPath, [bin, ...args], { cwd, env: { ...process.env, G_HOME: home }, encoding: "utf8" });
  const made = g(BIN, ["sweep", "done.yaml"], sweepHome);
  if (made.status !== 0) throw new Error(`g sweep failed: ${made.stderr}`);
  const sweepId = made.stdout.trim();
  if (g(BIN, ["agent", sweepId], sweepHome).status !== 0) throw new Error("the sweep's one trial failed");

  const builds = [["new", BIN], ...(OLD ? [["old", join(OLD, "bin", "g")]] : [])];
  const rows = [["node -e 0", [process.execPath, "-e", "0"], emptyHome]];
  for (const [name, bin] of builds) {
    rows.push([`g --help (${name})`, [process.execPath, bin, "--help"], emptyHome]);
    rows.push([`g --version (${name})`, [process.execPath, bin, "--version"], emptyHome]);
    rows.push([`g compare, empty store (${name})`, [process.execPath, bin, "compare"], emptyHome]);
    rows.push([`g runs, empty store (${name})`, [process.execPath, bin, "runs"], emptyHome]);
    rows.push([`g agent, nothing to claim (${name})`, [process.execPath, bin, "agent", sweepId], sweepHome]);
  }
  // bash's `time` reports the command's wall time and its CPU time (user + system, from
  // getrusage): on a loaded machine the wall time mostly measures the queue for a core,
  // the CPU time much less so.
  const TIMED = 'TIMEFORMAT="%3R %3U %3S"; time "$@" >/dev/null 2>/dev/null';
  const wall = rows.map(() => []);
  const cpu = rows.map(() => []);
  const loads = [];
  for (let round = -1; round < ROUNDS; round++) {
    loads.push(loadavg()[0]);
    rows.forEach(([, cmd, home], i) => {
      const res = spawnSync("bash", ["-c", TIMED, "timed", ...cmd], { cwd: work, env: { ...process.env, G_HOME: home }, encoding: "utf8" });
      const m = /([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(res.stderr);
      if (res.status !== 0 || !m) throw new Error(`${cmd.join(" ")} exited ${res.status}: ${res.stderr}`);
      if (round < 0) return; // round -1 warms the page cache
      wall[i].push(Number(m[1]) * 1000);
      cpu[i].push((Number(m[2]) + Number(m[3])) * 1000);
    });
  }
  const load = `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
  console.log(`start-up, median of ${ROUNDS} interleaved rounds, ${new Date().toISOString().slice(0, 16)} UTC, load average ${load}:\n`);
  const over = (xs, i) => (i === 0 ? "" : `+${(median(xs[i]) - median(xs[0])).toFixed(0)}`);
  console.log(
    table(
      ["command", "wall ms", "wall over node -e 0", "CPU ms", "CPU over node -e 0"],
      rows.map(([name], i) => [name, median(wall[i]).toFixed(0), over(wall, i), median(cpu[i]).toFixed(0), over(cpu, i)]),
    ),
  );

  if (INSTRUCTIONS) {
    if (spawnSync("valgrind", ["--version"]).status !== 0) console.log("\ninstructions: valgrind is not installed here");
    else {
      const runs = INSTRUCTION_RUNS === 1 ? "one run each" : `median of ${INSTRUCTION_RUNS} runs each`;
      console.log(`\ninstructions executed (valgrind's callgrind, ${runs}; see instructionCount):\n`);
      const counts = rows.map(([, cmd, home]) => median(Array.from({ length: INSTRUCTION_RUNS }, () => instructionCount(cmd, home))));
      const overNode = (i) => (i === 0 ? "" : `+${(counts[i] - counts[0]).toFixed(1)}`);
      console.log(
        table(
          ["command", "instructions (M)", "over node -e 0 (M)"],
          rows.map(([name], i) => [name, counts[i].toFixed(1), overNode(i)]),
        ),
      );
    }
  }

  // fsyncs of one g run (strace -f counts g and everything it starts).
  const strace = spawnSync("strace", ["-V"], { encoding: "utf8" });
  if (strace.status !== 0) {
    console.log("\nfsyncs per g run: strace is not installed here");
  } else {
    console.log("\nfsync/fdatasync/sync_file_range calls of `g run -y trivial.py` (second run: the script inspection is cached):\n");
    const fsyncRows = [];
    for (const [name, bin] of builds) {
      const home = join(work, `fsync-${name}`);
      g(bin, ["run", "-y", "-q", "trivial.py"], home);
      const out = join(work, `strace-${name}.txt`);
      const res = spawnSync(
        "strace",
        [
          "-f",
          "-c",
          "-o",
          out,
          "-e",
          "trace=fsync,fdatasync,sync_file_range,syncfs",
          process.execPath,
          bin,
          "run",
          "-y",
          "-q",
          "trivial.py",
        ],
        { cwd: work, env: { ...process.env, G_HOME: home }, encoding: "utf8" },
      );
      if (res.status !== 0 || !existsSync(out)) throw new Error(`strace g run failed: ${res.stderr}`);
      // strace -c's last line: "100.00 SECONDS USECS/CALL CALLS [ERRORS] total"; no line when there was no call.
      const total = readFileSync(out, "utf8")
        .split("\n")
        .find((line) => line.trim().endsWith("total"));
      fsyncRows.push([`g run (${name})`, total ? total.trim().split(/\s+/)[3] : "0"]);
    }
    console.log(table(["command", "sync calls"], fsyncRows));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
void ROOT;
