// The trials layer's pure rules: restart planning (which trials run again,
// how many new ones, the best so far), the optimizer registry's names, and a
// sweep claim's chooser.

import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import type { Run, RunRecord, RunStatus } from "../../src/store/types.js";
import { DEFAULT_MAX_TRIALS, findOptimizer, parseOptFlags, parseOptimizerSettings, resolveOptimizer } from "../../src/trials/optimizers.js";
import { planRestart } from "../../src/trials/restart.js";
import { chooseTrial, ledgerHasTrialsLeft } from "../../src/trials/sweep.js";
import { sweepHistory } from "../../src/trials/history.js";
import type { RunStore } from "../../src/store/store.js";
import type { Space } from "../../src/flags/space.js";
import { parseSweepConfig } from "../../src/flags/sweep-config.js";
import type { Sweep, Trial } from "../../src/store/sweeps.js";

const SPACE = { x: { type: "uniform", low: 0, high: 10, integer: false }, c: { type: "const", value: 1 } };

function run(id: string, status: RunStatus, fields: Partial<RunRecord>): Run {
  const record = {
    format: 1,
    id,
    op: "t.py",
    cmd: [],
    cwd: "/",
    flags: {},
    created: "",
    started: null,
    stopped: null,
    exit_status: null,
    label: "",
    tags: [],
    ...fields,
  } as RunRecord;
  return { id, dir: `/runs/${id}`, record, status };
}

function batch(optimizer: string, status: RunStatus, fields: Partial<RunRecord> = {}): Run {
  return run("b0000000", status, {
    op: optimizer,
    optimizer,
    space: SPACE,
    seed: 7,
    max_trials: 4,
    objective: { column: "loss", goal: "minimize" },
    ...fields,
  });
}

function trial(n: number, status: RunStatus, x: number, exit: number | null = status === "completed" ? 0 : 1): Run {
  return run(`t${n}000000`, status, { batch: "b0000000", trial: n, flags: { x, c: 1 }, exit_status: exit });
}

const lossIsX = (t: Run) => t.record.flags.x as number;

describe("planRestart", () => {
  it("keeps the best of the earlier trials, so the summary's best is over the whole batch", () => {
    const plan = planRestart({
      batch: batch("gp", "completed"),
      trials: [trial(1, "completed", 5), trial(2, "completed", 2), trial(3, "error", 0)],
      valueOf: lossIsX,
      maxTrials: 2,
    });
    expect(plan.bestSoFar).toEqual({ loss: 2, trial: 2 });
    expect(plan.history).toEqual([
      { point: { x: 5 }, value: 5 },
      { point: { x: 2 }, value: 2 },
      { point: { x: 0 }, value: null },
    ]);
  });

  it("negates the best of a maximized objective into a loss", () => {
    const b = batch("tpe", "completed", { objective: { column: "acc", goal: "maximize" } });
    const plan = planRestart({ batch: b, trials: [trial(1, "completed", 5), trial(2, "completed", 9)], valueOf: lossIsX, maxTrials: 1 });
    expect(plan.bestSoFar).toEqual({ loss: -9, trial: 2 });
  });

  it("runs interrupted gp trials again first, then --max-trials new ones, with the next restart stream", () => {
    const interrupted = trial(2, "terminated", 3, null);
    const plan = planRestart({
      batch: batch("gp", "completed", { restarts: 1 }),
      trials: [trial(1, "completed", 1), interrupted],
      valueOf: lossIsX,
      maxTrials: 3,
    });
    expect(plan.trialNumbers).toEqual([2, 3, 4, 5]);
    expect(plan.rerun.get(2)).toBe(interrupted);
    expect(plan.total).toBe(5);
    expect(plan.restarts).toBe(2);
    expect(plan.points).toBeNull();
  });

  it("runs what an interrupted gp batch had left, or the default number more for a finished one", () => {
    const ts = [trial(1, "completed", 1)];
    expect(planRestart({ batch: batch("gp", "terminated"), trials: ts, valueOf: lossIsX }).trialNumbers).toEqual([2, 3, 4]);
    expect(planRestart({ batch: batch("gp", "completed"), trials: ts, valueOf: lossIsX }).trialNumbers).toHaveLength(DEFAULT_MAX_TRIALS);
  });

  it("finishes a gp batch whose g process died (error, no exit status), but not one that exited with failures", () => {
    const ts = [trial(1, "completed", 1), trial(2, "error", 2, null)];
    const died = batch("gp", "error", { exit_status: null });
    expect(planRestart({ batch: died, trials: ts, valueOf: lossIsX }).trialNumbers).toEqual([2, 3, 4]);
    const failed = batch("gp", "error", { exit_status: 1 });
    expect(planRestart({ batch: failed, trials: ts, valueOf: lossIsX }).trialNumbers).toHaveLength(DEFAULT_MAX_TRIALS + 1);
  });

  it("refuses while a trial still runs (its batch g killed, its script alive), naming it and g stop", () => {
    for (const optimizer of ["grid", "gp"]) {
      const b = batch(optimizer, "error", { points: [{ x: 1 }, { x: 2 }] });
      expect(() => planRestart({ batch: b, trials: [trial(1, "running", 1, null)], valueOf: lossIsX })).toThrow(
        /^batch b0000000 has a trial still running \(trial 1, run t1000000\); wait for it, or stop it with g stop t1000000, then restart$/,
      );
    }
  });

  it("runs only the unfinished trials of a grid's fixed list", () => {
    const points = [{ x: 1 }, { x: 2 }, { x: 3 }];
    const plan = planRestart({
      batch: batch("grid", "terminated", { points }),
      trials: [trial(1, "completed", 1), trial(2, "pending", 2, null)],
      valueOf: lossIsX,
    });
    expect(plan.trialNumbers).toEqual([2, 3]);
    expect(plan.points?.get(3)).toEqual({ x: 3 });
    expect(plan.total).toBe(3);
  });

  it("refuses a grid batch that has run every trial", () => {
    const points = [{ x: 1 }];
    expect(() =>
      planRestart({ batch: batch("grid", "completed", { points }), trials: [trial(1, "completed", 1)], valueOf: lossIsX }),
    ).toThrow(/has run all its 1 trials/);
  });
});

describe("planRestart: --restart random extends a finished random batch", () => {
  const points = [
    { x: 1.5, c: 1 },
    { x: 7.25, c: 1 },
  ];
  const done = [trial(1, "completed", 1.5), trial(2, "completed", 7.25)];

  it("adds --max-trials new points after the old ones, none a repeat, from the next restart's stream", () => {
    const plan = planRestart({ batch: batch("random", "completed", { points }), trials: done, valueOf: lossIsX, maxTrials: 3 });
    expect(plan.trialNumbers).toEqual([3, 4, 5]);
    expect(plan.newPoints).toHaveLength(3);
    expect(plan.points?.get(3)).toEqual(plan.newPoints[0]);
    expect(plan.total).toBe(5);
    expect(plan.restarts).toBe(1);
    for (const p of plan.newPoints) {
      expect(points.some((old) => old.x === p.x)).toBe(false);
      expect(p.c).toBe(1);
      expect((p.x as number) >= 0 && (p.x as number) <= 10).toBe(true);
    }
    expect(plan.bestSoFar).toEqual({ loss: 1.5, trial: 1 });
    // The same restart of the same batch draws the same points; the next restart others.
    const again = planRestart({ batch: batch("random", "completed", { points }), trials: done, valueOf: lossIsX, maxTrials: 3 });
    expect(again.newPoints).toEqual(plan.newPoints);
    const later = planRestart({
      batch: batch("random", "completed", { points, restarts: 1 }),
      trials: done,
      valueOf: lossIsX,
      maxTrials: 3,
    });
    expect(later.newPoints).not.toEqual(plan.newPoints);
  });

  it("runs the default number more without --max-trials", () => {
    const plan = planRestart({ batch: batch("random", "completed", { points }), trials: done, valueOf: lossIsX });
    expect(plan.trialNumbers).toHaveLength(DEFAULT_MAX_TRIALS);
  });

  it("over lists only, adds the grid combinations not yet run, and refuses when none is left", () => {
    const space = { m: { type: "choice", values: ["a", "b", "c"] } };
    const ran = [{ m: "b" }];
    const t1 = run("t1000000", "completed", { batch: "b0000000", trial: 1, flags: { m: "b" }, exit_status: 0 });
    const plan = planRestart({ batch: batch("random", "completed", { space, points: ran }), trials: [t1], valueOf: () => 1, maxTrials: 5 });
    expect(plan.newPoints).toEqual([{ m: "a" }, { m: "c" }]);
    expect(plan.trialNumbers).toEqual([2, 3]);
    const all = [{ m: "a" }, { m: "b" }, { m: "c" }];
    const ts = all.map((p, i) => run(`t${i + 1}000000`, "completed", { batch: "b0000000", trial: i + 1, flags: p, exit_status: 0 }));
    expect(() => planRestart({ batch: batch("random", "completed", { space, points: all }), trials: ts, valueOf: () => 1 })).toThrow(
      /every one of its grid's 3 combinations/,
    );
  });

  it("still runs only what an interrupted random batch had left", () => {
    const plan = planRestart({ batch: batch("random", "terminated", { points }), trials: [done[0]!], valueOf: lossIsX, maxTrials: 3 });
    expect(plan.trialNumbers).toEqual([2]);
    expect(plan.newPoints).toEqual([]);
  });
});

describe("the optimizer registry", () => {
  it("knows bayesian as gp, in any case", () => {
    expect(findOptimizer("bayesian")).toBe("gp");
    expect(findOptimizer("TPE")).toBe("tpe");
    expect(findOptimizer("anneal")).toBeUndefined();
    expect(() => resolveOptimizer("anneal")).toThrow(UsageError);
  });

  it("parses --opt-flag texts and refuses settings for grid and random", async () => {
    expect(parseOptFlags(["xi=0.1", "random-starts = 5"])).toEqual({ xi: "0.1", "random-starts": "5" });
    expect(() => parseOptFlags(["=1"])).toThrow(/--opt-flag takes name=value/);
    await expect(parseOptimizerSettings("random", { xi: "1" })).rejects.toThrow(/random optimizer has no settings/);
    await expect(parseOptimizerSettings("grid", {})).resolves.toEqual({});
  });
});

describe("chooseTrial (the claim's pure chooser, under the sweep's lock)", () => {
  const sweepOf = (yaml: string): Sweep => ({
    id: "0000abcd",
    dir: "/sweeps/0000abcd",
    record: {
      format: 1,
      id: "0000abcd",
      created: "",
      state: "running",
      file: "s.yaml",
      cwd: "/",
      seed: 3,
      config: parseSweepConfig(yaml, "s.yaml"),
    },
  });
  const bayes = sweepOf("program: t.py\nmethod: bayes\nrun_cap: 4\nmetric: {name: loss}\nparameters:\n  x: {values: [1, 2, 3, 4]}\n");
  const claimed = (n: number, x: number, status: RunStatus = "running"): Trial => ({
    trial: n,
    runId: `r${n}`,
    run: run(`r${n}`, status, { sweep: "0000abcd", trial: n, flags: { x } }),
    orphaned: false,
    superseded: false,
  });

  it("takes the proposal made outside the lock when no trial claimed since took its point", () => {
    const proposal = { point: { x: 3 }, seenRuns: new Set(["r1"]) };
    const choice = chooseTrial(bayes, [claimed(1, 1), claimed(2, 2)], true, proposal);
    expect(choice).toEqual({ kind: "trial", trial: 3, point: { x: 3 }, retryOf: null });
  });

  it("draws another point when a trial claimed since the proposal took the same one", () => {
    const proposal = { point: { x: 2 }, seenRuns: new Set(["r1"]) };
    const choice = chooseTrial(bayes, [claimed(1, 1), claimed(2, 2)], true, proposal);
    expect(choice.kind).toBe("trial");
    expect(choice.kind === "trial" && choice.trial).toBe(3);
    // The stand-in comes from trial 3's own random stream: the same whatever the interleaving.
    expect(chooseTrial(bayes, [claimed(1, 1), claimed(2, 2)], true, proposal)).toEqual(choice);
  });

  it("runs an orphan again before anything new, and is done at run_cap", () => {
    const orphan = { ...claimed(1, 1, "error"), orphaned: true };
    expect(chooseTrial(bayes, [orphan, claimed(2, 2)], true, { point: { x: 4 }, seenRuns: new Set() })).toMatchObject({
      kind: "trial",
      trial: 1,
      point: { x: 1 },
      retryOf: orphan,
    });
    const full = [claimed(1, 1), claimed(2, 2), claimed(3, 3), claimed(4, 4)];
    expect(chooseTrial(bayes, full, true, { point: { x: 4 }, seenRuns: new Set() }).kind).toBe("done");
  });
});

describe("ledgerHasTrialsLeft (the claim's peek, from the ledger's lines alone)", () => {
  const config = (yaml: string) => parseSweepConfig(yaml, "s.yaml");
  const lines = (...trials: number[]) => trials.map((trial) => ({ trial, run: `r${trial}` }));
  const random = config("program: t.py\nmethod: random\nrun_cap: 3\nparameters:\n  x: {min: 0.0, max: 1.0}\n");
  const grid = config("program: t.py\nmethod: grid\nparameters:\n  x: {values: [1, 2, 3]}\n");

  it("sees a trial left while the lines are fewer than run_cap, and none at run_cap", () => {
    expect(ledgerHasTrialsLeft(random, lines(1, 2))).toBe(true);
    expect(ledgerHasTrialsLeft(random, lines(1, 2, 3))).toBe(false);
    expect(ledgerHasTrialsLeft(config("program: t.py\nmethod: random\nparameters:\n  x: {min: 0.0, max: 1.0}\n"), lines(1, 2, 3))).toBe(
      true,
    );
  });

  it("sees a grid point left until every point's trial number has a line", () => {
    expect(ledgerHasTrialsLeft(grid, lines(1, 3))).toBe(true);
    expect(ledgerHasTrialsLeft(grid, lines(3, 1, 2))).toBe(false);
  });
});

describe("sweepHistory's constant liar", () => {
  // A store that knows each finished run's loss.
  const losses = new Map<string, number>();
  const store = { readSummaries: (r: Run) => (losses.has(r.id) ? { loss: { last: losses.get(r.id)! } } : {}) } as unknown as RunStore;
  const objective = { column: "loss", goal: "minimize" as const };
  const trialsOf = (finished: number, space: Space): Trial[] => {
    const names = Object.keys(space);
    const flags = (k: number) => Object.fromEntries(names.map((n) => [n, k / 10]));
    const out: Trial[] = [];
    for (let k = 1; k <= finished + 1; k++) {
      const id = `r${k}`;
      if (k <= finished) losses.set(id, k);
      const status: RunStatus = k <= finished ? "completed" : "running";
      out.push({ trial: k, runId: id, run: run(id, status, { flags: flags(k) }), orphaned: false, superseded: false });
    }
    return out;
  };
  const line: Space = { x: { type: "uniform", low: 0, high: 1 } };
  const plane: Space = { x: { type: "uniform", low: 0, high: 1 }, y: { type: "uniform", low: 0, high: 1 } };
  const lieFor = (finished: number, space: Space) =>
    sweepHistory(store, space, objective, trialsOf(finished, space), { liar: true }).at(-1)!.value;

  it("lies for running trials once gp's random starts are done: 5, or 10 on a single numeric flag", () => {
    expect(lieFor(4, plane)).toBeNull();
    expect(lieFor(5, plane)).toBe(3); // the mean of 1..5
    expect(lieFor(9, line)).toBeNull();
    expect(lieFor(10, line)).toBe(5.5);
  });
});
