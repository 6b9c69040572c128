// Sweep agents: throughput of 1, 2, 4, 8 `g agent` processes on sleep-bound
// trials, and the cost of claiming one trial (lock, read trials, create the
// run). Build first (npm run build); run with: node bench/agents.mjs
// Options: --trials N (default 16), --sleep S seconds per trial (0.5),
// --claims N claims to time (200), --agents 1,2,4,8 (the counts to run).
// --trials 0 times the claims only. --old DIR: a second build (a package root
// with its bin/g and dist/) runs each row too, right after this build's, so
// the load falls on both alike; "× 1 agent" compares a build with itself.
// --parallel P: one more row, "1 -j P": a single `g agent ID -j P` process
// (after the row of P agents, or at the end), for each build that has -j.
// --repeat N: the rows of each agent count but 1 (and the -j row) N times over, each time with
// its own floor, against the one-agent row timed once: eight agents' rows again and again
// without 25 s of one agent between them.
// --smoke: 4 trials of 0.05 s, 5 claims, 1 and 2 agents and 1 agent -j 2, the rows of 2 twice (CI runs it so the bench cannot rot).

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const { RunStore } = await import(join(root, "dist/store/store.js"));
const { createSweep: createSweepRecord } = await import(join(root, "dist/store/sweeps.js"));
const { parseSweepConfig } = await import(join(root, "dist/flags/sweep-config.js"));
/** A sweep from its YAML text, as `g sweep` makes it. */
const createSweep = (home, file, text, cwd) => createSweepRecord(home, file, text, parseSweepConfig(text, file), cwd);
// What `g agent` calls between trials (the sweep store moved to src/store, the rules to src/trials).
const { claimNextTrial: claimTrial } = await import(join(root, "dist/trials/sweep.js"));

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const v = process.argv[at + 1];
  return typeof fallback === "number" ? Number(v) : v;
};
const SMOKE = process.argv.includes("--smoke");
const TRIALS = SMOKE ? 4 : arg("trials", 16);
const SLEEP_S = SMOKE ? 0.05 : arg("sleep", 0.5);
const CLAIMS = SMOKE ? 5 : arg("claims", 200);
const AGENTS = SMOKE ? [1, 2] : String(arg("agents", "1,2,4,8")).split(",").map(Number);
/** Trials at once of the one-process row (`g agent ID -j P`); null: no such row. */
const PARALLEL = SMOKE ? 2 : arg("parallel", null) === null ? null : Number(arg("parallel", null));
const OLD = (() => {
  const at = process.argv.indexOf("--old");
  return at > 0 ? resolve(process.argv[at + 1]) : null;
})();
const builds = [{ name: "this build", root }, ...(OLD ? [{ name: "old", root: OLD }] : [])];
/** How many times the rows of each agent count other than 1 are run (--repeat). */
const REPEAT = SMOKE ? 2 : arg("repeat", 1);
if (!Number.isInteger(REPEAT) || REPEAT < 1) throw new Error(`--repeat takes a whole number of times, at least 1 (not ${REPEAT})`);
const STARTUPS = SMOKE ? 1 : 5;
/** Launches of n bare Node processes timed before each agent count's rows (their median is the floor). */
const FLOOR_ROUNDS = SMOKE ? 1 : 3;

/**
 * Starts `n` copies of `argv` at once and resolves when all have exited (rejects
 * if one failed). They are started by one small shell, not by this process:
 * Node's spawn forks this process (its store modules loaded) once per agent and
 * waits for each child's exec, which made the last of eight agents start
 * noticeably after the first on a loaded machine, and the 8-agent rows paid it
 * alone. The argv goes to the shell as its arguments, never as script text.
 */
function launchAgents(n, argv, opts) {
  const script =
    'n=$1; shift; pids=""; i=0; while [ $i -lt $n ]; do "$@" & pids="$pids $!"; i=$((i+1)); done; ok=0; for p in $pids; do wait $p || ok=1; done; exit $ok';
  return new Promise((res, rej) => {
    const child = spawn("sh", ["-c", script, "sh", String(n), ...argv], { ...opts, stdio: "ignore" });
    child.on("close", (code) => (code === 0 ? res() : rej(new Error(`an agent failed (exit ${code})`))));
  });
}

/** Whether a build's `g agent` takes -j (builds before the eighth round do not). */
function hasParallel(buildRoot) {
  const help = spawnSync(process.execPath, [join(buildRoot, "bin/g"), "agent", "--help"], { encoding: "utf8" });
  return /--parallel/.test(help.stdout ?? "");
}

/**
 * From the runs' records (ms from t0): when the n-th trial started (every agent
 * has its first trial by then, trials being longer than the start-up spread),
 * and when the last trial ended.
 */
function readTimeline(home, n, t0) {
  const runsDir = join(home, "runs");
  const records = readdirSync(runsDir)
    .filter((d) => /^[0-9a-f]{32}$/.test(d))
    .map((d) => JSON.parse(readFileSync(join(runsDir, d, "run.json"), "utf8")));
  const starts = records.map((r) => Date.parse(r.started) - t0).sort((a, b) => a - b);
  const stops = records.map((r) => Date.parse(r.stopped) - t0);
  return { allStarted: starts[Math.min(n, starts.length) - 1] ?? 0, lastStopped: Math.max(...stops) };
}

const work = mkdtempSync(join(tmpdir(), "g-bench-agents-"));
try {
  // The trials' program in a folder of its own: each trial copies the source files beside its
  // program, and the stores (with their sweep.yaml and sweep.json files) must not be among them.
  const program = join(work, "program");
  mkdirSync(program);
  writeFileSync(join(program, "nap.sh"), `sleep ${SLEEP_S}\necho "loss: 1"\n`);

  // Claim overhead, in process: the sweep grows by one trial per claim, as in a real sweep.
  const claimHome = join(work, "claim-home");
  const store = new RunStore(claimHome);
  const yaml = `program: nap.sh\nmethod: random\ncommand: [sh, "\${program}", "\${args}"]\nparameters:\n  a: {min: 0.0, max: 1.0}\n  b: {values: [x, y, z]}\n`;
  const sweep = createSweep(claimHome, "bench.yaml", yaml, program);
  const times = [];
  const finishedCache = new Map();
  for (let i = 0; i < CLAIMS; i++) {
    const t0 = process.hrtime.bigint();
    const claim = await claimTrial(store, sweep.id, { retry: true, cwd: program, finishedCache });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    // Untimed: the trial ends, as it would before its agent claims again.
    await store.updateRun(claim.run.id, (r) => {
      r.started = r.stopped = new Date().toISOString();
      r.exit_status = 0;
    });
    store.removeLock(claim.run.id);
  }
  const pct = (xs, p) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const first = times.slice(0, 20);
  const last = times.slice(-20);

  // Throughput: N agent processes on one sweep of TRIALS trials (run_cap), each build in turn.
  const rows = [];
  const onePerSecond = new Map();
  /**
   * The rows of one agent count: `processes` agents launched at once, each `g agent ID` and
   * `extra` (["-j", "8"] for the one-process row), on a fresh sweep of TRIALS trials, each build
   * in turn; `trialsAtOnce` trials must have started for "all started".
   */
  let rowSets = 0;
  const measureRows = async (label, processes, extra, trialsAtOnce, buildsHere) => {
    rowSets++;
    // The floor of "all started": as many bare Node processes (`node -e 0`) launched the same way,
    // at this moment's load; what an agent adds to Node's start up to its first trial is the difference.
    const floors = [];
    for (let i = 0; i < FLOOR_ROUNDS; i++) {
      const t0 = Date.now();
      await launchAgents(processes, [process.execPath, "-e", "0"], { cwd: program, env: process.env });
      floors.push(Date.now() - t0);
    }
    const floorMs = [...floors].sort((x, y) => x - y)[Math.floor(floors.length / 2)];
    for (const build of buildsHere) {
      const home = join(work, `home-${rowSets}-${label.replace(/ /g, "")}-${build.name.replace(/ /g, "-")}`);
      const s = createSweep(home, "bench.yaml", yaml.replace("method: random", `method: random\nrun_cap: ${TRIALS}`), program);
      const t0 = Date.now();
      await launchAgents(processes, [process.execPath, join(build.root, "bin/g"), "agent", s.id, ...extra], {
        cwd: program,
        env: { ...process.env, G_HOME: home },
      });
      const wallMs = Date.now() - t0;
      const wall = wallMs / 1000;
      const { allStarted, lastStopped } = readTimeline(home, trialsAtOnce, t0);
      const ideal = Math.ceil(TRIALS / trialsAtOnce) * SLEEP_S;
      const perSecond = TRIALS / wall;
      if (label === "1") onePerSecond.set(build.name, perSecond);
      const one = onePerSecond.get(build.name);
      rows.push([
        ...(OLD ? [build.name] : []),
        label,
        String(TRIALS),
        wall.toFixed(2),
        perSecond.toFixed(2),
        ideal.toFixed(2),
        `${((ideal / wall) * 100).toFixed(0)}%`,
        one ? `${(perSecond / one).toFixed(2)}×` : "–",
        String(allStarted),
        String(floorMs),
        String(wallMs - lastStopped),
        loadavg()[0].toFixed(1),
      ]);
    }
  };
  const parallelBuilds = PARALLEL === null ? [] : builds.filter((b) => hasParallel(b.root));
  const parallelRow = () => measureRows(`1 -j ${PARALLEL}`, 1, ["-j", String(PARALLEL)], PARALLEL, parallelBuilds);
  let parallelDone = false;
  for (const n of TRIALS > 0 ? AGENTS : []) {
    for (let round = 0; round < (n === 1 ? 1 : REPEAT); round++) {
      await measureRows(String(n), n, [], n, builds);
      // Next to the row of as many agent processes.
      if (n === PARALLEL && parallelBuilds.length > 0) {
        await parallelRow();
        parallelDone = true;
      }
    }
  }
  if (TRIALS > 0 && PARALLEL !== null && !parallelDone && parallelBuilds.length > 0)
    for (let round = 0; round < REPEAT; round++) await parallelRow();

  // Fixed cost per agent process: start node, load g, find the sweep done, exit.
  const doneHome = join(work, "home-done");
  const done = createSweep(doneHome, "bench.yaml", yaml.replace("method: random", "method: random\nrun_cap: 1"), program);
  await claimTrial(new RunStore(doneHome), done.id, { retry: true, cwd: program });
  const startups = [];
  for (let i = 0; i < STARTUPS; i++) {
    const t0 = Date.now();
    await new Promise((res) =>
      spawn(process.execPath, [join(root, "bin/g"), "agent", done.id], {
        cwd: program,
        env: { ...process.env, G_HOME: doneHome },
        stdio: "ignore",
      }).on("close", res),
    );
    startups.push(Date.now() - t0);
  }

  // Node's own start, with and without NODE_EXTRA_CA_CERTS when the environment sets it: Node
  // parses that certificate file before running any of g, in every agent process.
  const nodeStart = (env) => {
    const times = [];
    for (let i = 0; i < STARTUPS; i++) {
      const t0 = Date.now();
      spawnSync(process.execPath, ["-e", "0"], { env, stdio: "ignore" });
      times.push(Date.now() - t0);
    }
    return pct(times, 0.5);
  };
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const nodeStartMs = nodeStart(process.env);
  const withoutCa = { ...process.env };
  delete withoutCa.NODE_EXTRA_CA_CERTS;
  const nodeStartWithoutCaMs = extraCa ? nodeStart(withoutCa) : null;

  const table = (headers, body) => {
    const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const line = (cells) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
    return [line(headers), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n");
  };
  console.log(`claim overhead (${CLAIMS} claims, one process, sweep growing to ${CLAIMS} trials):`);
  console.log(
    table(
      ["claims", "median ms", "p95 ms"],
      [
        ["all", pct(times, 0.5).toFixed(2), pct(times, 0.95).toFixed(2)],
        ["first 20", pct(first, 0.5).toFixed(2), pct(first, 0.95).toFixed(2)],
        [`last 20`, pct(last, 0.5).toFixed(2), pct(last, 0.95).toFixed(2)],
      ],
    ),
  );
  console.log(`\nagent start-up and exit with nothing to claim: median ${pct(startups, 0.5)} ms of ${STARTUPS}`);
  console.log(
    `node -e 0: median ${nodeStartMs} ms of ${STARTUPS}${
      nodeStartWithoutCaMs === null ? "" : `; ${nodeStartWithoutCaMs} ms without NODE_EXTRA_CA_CERTS (set here: ${extraCa})`
    }`,
  );
  console.log(`\nthroughput (${TRIALS} trials of sleep ${SLEEP_S} s, random sweep with run_cap ${TRIALS}):`);
  console.log(
    table(
      [
        ...(OLD ? ["build"] : []),
        "agents",
        "trials",
        "wall s",
        "trials/s",
        "ideal s",
        "efficiency",
        "× 1 agent",
        "all started ms",
        "node -e 0 ×n ms",
        "tail ms",
        "load",
      ],
      rows,
    ),
  );
  console.log(
    "all started: from the launch until every agent's first trial had started; node -e 0 ×n: n bare Node processes launched alike, until the last exited (median of 3, before the row's builds); tail: from the last trial's end until the last agent exited",
  );
  if (PARALLEL !== null)
    console.log(
      `1 -j ${PARALLEL}: one \`g agent ID -j ${PARALLEL}\` process (its floor: one bare Node process); all started: until its ${PARALLEL} first trials had started${
        builds.length > parallelBuilds.length
          ? `; not run for ${builds
              .filter((b) => !parallelBuilds.includes(b))
              .map((b) => b.name)
              .join(", ")} (no -j)`
          : ""
      }`,
    );
  console.log(
    `\n${new Date().toISOString().slice(0, 16)} UTC, load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
