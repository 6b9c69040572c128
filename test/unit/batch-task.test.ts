// The pure rules of a batch submitted to a scheduler: which trial an array
// task claims (src/trials/batch-task.ts chooseBatchTrial) and how a session's
// trials are counted (src/trials/batch-session.ts tallySession).

import { describe, expect, it } from "vitest";
import type { Space } from "../../src/flags/space.js";
import type { Trial } from "../../src/store/sweeps.js";
import type { Run, RunStatus } from "../../src/store/types.js";
import { chooseBatchTrial } from "../../src/trials/batch-task.js";
import { tallySession } from "../../src/trials/batch-session.js";

const SPACE: Space = { x: { type: "uniform", low: 0, high: 1 }, y: { type: "const", value: 3 } };

function trial(n: number, status: RunStatus, x: number, extra: Partial<Run["record"]> = {}): Trial {
  const stopped = status === "running" || status === "pending" ? null : "2026-01-01T00:00:00Z";
  const run: Run = {
    id: `run${n}`.padEnd(32, "0"),
    dir: `/runs/run${n}`,
    status,
    record: {
      format: 1,
      id: `run${n}`,
      op: "train.py",
      cmd: [],
      cwd: "/",
      flags: { x, y: 3 },
      created: "",
      started: "2026-01-01T00:00:00Z",
      stopped,
      exit_status: status === "completed" ? 0 : status === "error" ? 1 : null,
      label: "",
      tags: [],
      ...(status === "terminated" ? { terminated: true } : {}),
      ...extra,
    },
  };
  return { trial: n, runId: run.id, run, orphaned: false, superseded: false };
}

const want = (n: number, point = { x: 0.5 }, seen: string[] | null = null) => ({
  trial: n,
  point,
  proposal: seen === null ? null : { point, seenRuns: new Set(seen) },
  space: SPACE,
  fallback: () => ({ x: 0.99 }),
});

describe("chooseBatchTrial", () => {
  it("claims the task's own trial number with its point", () => {
    expect(chooseBatchTrial([trial(1, "completed", 0.1)], want(2))).toEqual({ kind: "trial", trial: 2, point: { x: 0.5 }, retryOf: null });
  });

  it("does nothing when a run already stands for the trial (Slurm started the task again)", () => {
    const choice = chooseBatchTrial([trial(2, "running", 0.2)], want(2));
    expect(choice).toEqual({ kind: "done", reason: "trial 2 already has run run20000 (running)" });
    expect(chooseBatchTrial([trial(2, "completed", 0.2)], want(2)).kind).toBe("done");
  });

  it("runs an interrupted trial again in its own run, at its own point", () => {
    const stopped = trial(2, "terminated", 0.25);
    const choice = chooseBatchTrial([stopped], want(2));
    expect(choice).toMatchObject({ kind: "trial", trial: 2, point: { x: 0.25 }, rerun: stopped.run });
  });

  it("replaces a proposal that a trial claimed since it was made already took", () => {
    const taken = trial(3, "running", 0.5);
    expect(chooseBatchTrial([taken], want(4, { x: 0.5 }, []))).toMatchObject({ trial: 4, point: { x: 0.99 } });
    // Seen when the proposal was made: the model knew it, so the point stands.
    expect(chooseBatchTrial([taken], want(4, { x: 0.5 }, [taken.runId]))).toMatchObject({ trial: 4, point: { x: 0.5 } });
  });
});

describe("tallySession", () => {
  it("counts the session's trials by their latest run, and names those that never started", () => {
    const trials = [
      trial(1, "completed", 0.1),
      trial(2, "error", 0.2),
      trial(3, "terminated", 0.3),
      trial(4, "running", 0.4),
      trial(9, "completed", 0.9),
    ];
    expect(tallySession([1, 2, 3, 4, 5, 6], trials)).toEqual({ completed: 1, failed: 1, terminated: 1, running: 1, missing: [5, 6] });
  });
});
