import { describe, expect, it } from "vitest";
import {
  MAX_SCALARS_PER_TRIAL,
  doneCount,
  elapsedMs,
  etaMs,
  formatBar,
  initialProgress,
  progressCount,
  reduceProgress,
  type ProgressEvent,
  type ProgressInit,
  type ProgressState,
} from "../../src/ui/progress-state.js";
import { lookFurtherCommand, countsText, finishedLine, startedLine, trialEndText } from "../../src/ui/progress-text.js";
import { LineProgress, shouldShowPanel, type Terminal } from "../../src/ui/progress.js";

const BATCH: ProgressInit = {
  kind: "batch",
  id: "1a2b3c4d5e6f".padEnd(32, "0"),
  title: "grid",
  subject: "train.py",
  total: 4,
  parallel: 1,
  objective: { column: "loss", goal: "minimize" },
  startedMs: 1_000,
};

const started = (trial: number, nowMs: number, flags = `x=${trial}`): ProgressEvent => ({
  type: "trialStarted",
  trial,
  runId: `run${trial}`.padEnd(32, "0"),
  flags,
  nowMs,
});
const finished = (
  trial: number,
  nowMs: number,
  value: number | null,
  best: { trial: number; value: number } | null,
  status: "completed" | "error" = "completed",
): ProgressEvent => ({ type: "trialFinished", trial, status, value, best, nowMs });
const play = (init: ProgressInit, ...events: ProgressEvent[]): ProgressState => events.reduce(reduceProgress, initialProgress(init));

describe("progress state", () => {
  it("starts with nothing running, nothing finished", () => {
    const s = initialProgress(BATCH);
    expect([s.running.length, s.finished.length, s.best, s.outcome]).toEqual([0, 0, null, null]);
  });

  it("lists a started trial as running", () => {
    expect(play(BATCH, started(1, 1_500)).running.map((t) => [t.trial, t.flags, t.startedMs])).toEqual([[1, "x=1", 1_500]]);
  });

  it("keeps the latest value of each scalar key and the step", () => {
    const s = play(
      BATCH,
      started(1, 0),
      { type: "trialScalar", trial: 1, key: "loss", value: 0.5, step: 1 },
      { type: "trialScalar", trial: 1, key: "loss", value: 0.25, step: 2 },
    );
    expect([s.running[0]!.scalars, s.running[0]!.step]).toEqual([[["loss", 0.25]], 2]);
  });

  it("keeps at most a few scalar keys per trial, the latest ones", () => {
    const keys = Array.from({ length: MAX_SCALARS_PER_TRIAL + 2 }, (_, i): ProgressEvent => ({
      type: "trialScalar",
      trial: 1,
      key: `k${i}`,
      value: i,
      step: null,
    }));
    const s = play(BATCH, started(1, 0), ...keys);
    expect(s.running[0]!.scalars.map(([k]) => k)).toEqual(keys.slice(2).map((e) => (e as { key: string }).key));
  });

  it("ignores a scalar of a trial that is not running", () => {
    expect(play(BATCH, started(1, 0), { type: "trialScalar", trial: 9, key: "loss", value: 1, step: null }).running[0]!.scalars).toEqual(
      [],
    );
  });

  it("moves a finished trial out of running, with its duration", () => {
    const s = play(BATCH, started(1, 1_000), finished(1, 4_000, 0.3, { trial: 1, value: 0.3 }));
    expect([s.running.length, s.finished[0]!.durationMs, s.completed]).toEqual([0, 3_000, 1]);
  });

  it("counts failed, early-stopped and terminated trials apart", () => {
    const s = play(
      BATCH,
      finished(1, 0, null, null, "error"),
      { type: "trialFinished", trial: 2, status: "early-stopped", value: 1, best: null, nowMs: 0 },
      { type: "trialFinished", trial: 3, status: "terminated", value: null, best: null, nowMs: 0 },
    );
    expect([s.completed, s.failed, s.earlyStopped, s.terminated]).toEqual([0, 1, 1, 1]);
  });

  it("takes the best trial from the loop and fills in its flags and run", () => {
    const s = play(BATCH, started(1, 0, "x=-0.3"), finished(1, 1, 0.1, { trial: 1, value: 0.1 }));
    expect(s.best).toEqual({ trial: 1, value: 0.1, flags: "x=-0.3", runId: "run1".padEnd(32, "0") });
  });

  it("keeps the best trial's flags when later trials name it again", () => {
    const s = play(
      BATCH,
      started(1, 0, "x=-0.3"),
      finished(1, 1, 0.1, { trial: 1, value: 0.1 }),
      started(2, 1),
      finished(2, 2, 0.9, { trial: 1, value: 0.1 }),
    );
    expect(s.best?.flags).toBe("x=-0.3");
  });

  it("keeps an earlier session's best until a better trial comes", () => {
    const s = play({ ...BATCH, best: { trial: 7, value: 0.2 } }, started(1, 0), finished(1, 1, 0.5, null));
    expect(s.best).toEqual({ trial: 7, value: 0.2 });
  });

  it("counts trials done before a restart in k of k/N", () => {
    expect(doneCount(play({ ...BATCH, doneBefore: 2 }, started(3, 0), finished(3, 1, 1, null)))).toBe(3);
  });

  it("counts an agent's progress by the highest trial it claimed", () => {
    expect(progressCount(play({ ...BATCH, kind: "agent" }, started(5, 0), finished(5, 1, 1, null), started(9, 1)))).toBe(9);
  });

  it("moves the clock forward only", () => {
    expect(elapsedMs(play(BATCH, { type: "tick", nowMs: 5_000 }, { type: "tick", nowMs: 2_000 }))).toBe(4_000);
  });

  it("has no ETA before a trial has finished", () => {
    expect(etaMs(play(BATCH, started(1, 1_000)))).toBeNull();
  });

  it("estimates the time left from the mean trial time", () => {
    // 2 trials of 2 s each done, 2 left, one at a time: 4 s.
    expect(etaMs(play(BATCH, started(1, 0), finished(1, 2_000, 1, null), started(2, 2_000), finished(2, 4_000, 1, null)))).toBe(4_000);
  });

  it("divides the time left by the trials run at once, less the time running trials have spent", () => {
    const s = play({ ...BATCH, parallel: 2 }, started(1, 0), finished(1, 2_000, 1, null), started(2, 2_000), started(3, 2_000), {
      type: "tick",
      nowMs: 3_000,
    });
    // 3 left × 2 s = 6 s, minus 1 s spent by each of the 2 running = 4 s, over 2 lanes.
    expect(etaMs(s)).toBe(2_000);
  });

  it("has no ETA for an agent (other agents share the sweep)", () => {
    expect(etaMs(play({ ...BATCH, kind: "agent" }, started(1, 0), finished(1, 2_000, 1, null)))).toBeNull();
  });

  it("records how the loop ended", () => {
    expect(play(BATCH, { type: "ended", outcome: "interrupted", note: "why", nowMs: 9_000 })).toMatchObject({
      outcome: "interrupted",
      endNote: "why",
      nowMs: 9_000,
    });
  });

  it("draws a bar of the done share", () => {
    expect([formatBar(0, 4, 8), formatBar(2, 4, 8), formatBar(4, 4, 8), formatBar(9, 4, 4), formatBar(1, 0, 4)]).toEqual([
      "░░░░░░░░",
      "████░░░░",
      "████████",
      "████",
      "░░░░",
    ]);
  });
});

describe("progress text", () => {
  it("says a batch trial starts as g always has", () => {
    expect(startedLine(initialProgress(BATCH), started(2, 0, "x=0.5 noise=0") as never)).toBe("trial 2/4: x=0.5 noise=0");
  });

  it("says an agent's trial starts with its run and why it runs again", () => {
    const e = { ...(started(3, 0) as object), note: "again: run deadbeef died with its agent" } as never;
    expect(startedLine(initialProgress({ ...BATCH, kind: "agent" }), e)).toBe(
      "trial 3 (again: run deadbeef died with its agent): run run30000 x=3",
    );
  });

  it("says a batch trial ends with its value, the best, running and failed counts", () => {
    const e = finished(2, 1, 0.25, { trial: 1, value: 0.125 });
    const s = play({ ...BATCH, parallel: 2 }, started(1, 0), finished(1, 0, null, null, "error"), started(2, 0), started(3, 0), e);
    expect(finishedLine(s, e as never)).toBe("trial 2/4 completed · loss 0.25 · best 0.125 (trial 1) · 1 running · 1 failed");
  });

  it("says an agent's trial ends, with how many of its other trials run under -j", () => {
    const agent = { ...BATCH, kind: "agent" as const };
    const e = finished(2, 1, 0.25, null);
    expect(finishedLine(play(agent, started(1, 0), started(2, 0), e), e as never)).toBe("trial 2 completed");
    expect(finishedLine(play({ ...agent, parallel: 3 }, started(1, 0), started(2, 0), started(3, 0), e), e as never)).toBe(
      "trial 2 completed · 2 running",
    );
  });

  it("prints nothing per trial for a single run", () => {
    const s = initialProgress({ ...BATCH, kind: "single" });
    expect([startedLine(s, started(1, 0) as never), finishedLine(s, finished(1, 0, null, null) as never)]).toEqual([null, null]);
  });

  it("logs a finished trial as Optuna does", () => {
    const e = finished(3, 1, 0.5, { trial: 2, value: 0.1 });
    expect(trialEndText(play(BATCH, e), e as never, "x=1")).toBe("Trial 3 finished with loss 0.5 (x=1). Best is trial 2 with value 0.1.");
  });

  it("logs a failed trial without a value", () => {
    const e = finished(1, 1, null, null, "error");
    expect(trialEndText(play(BATCH, e), e as never, "")).toBe("Trial 1 failed.");
  });

  it("counts a session's trials, naming early-stopped and terminated only when there are some", () => {
    expect(countsText(play(BATCH, finished(1, 0, 1, null), finished(2, 0, null, null, "error")))).toBe("1 completed, 1 failed");
  });

  it("points to g compare for the batch's trials, best first", () => {
    expect(lookFurtherCommand(initialProgress(BATCH))).toBe(`g compare --filter '.batch = "1a2b3c4d"' -m loss`);
    expect(
      lookFurtherCommand(initialProgress({ ...BATCH, kind: "agent", id: "7f3e", objective: { column: "val acc", goal: "maximize" } })),
    ).toBe(`g compare --filter '.sweep = "7f3e"' -M 'val acc'`);
  });
});

describe("progress presenter choice", () => {
  const tty: Terminal = { stdoutIsTTY: true, stderrIsTTY: true, env: { TERM: "xterm-256color" } };
  it("draws the panel in a terminal", () => expect(shouldShowPanel(tty, false)).toBe(true));
  it("prints lines with -q", () => expect(shouldShowPanel(tty, true)).toBe(false));
  it("prints lines when stdout is piped", () => expect(shouldShowPanel({ ...tty, stdoutIsTTY: false }, false)).toBe(false));
  it("prints lines when stderr is piped", () => expect(shouldShowPanel({ ...tty, stderrIsTTY: false }, false)).toBe(false));
  it("prints lines under NO_COLOR", () => expect(shouldShowPanel({ ...tty, env: { NO_COLOR: "1" } }, false)).toBe(false));
  it("draws the panel when NO_COLOR is empty", () => expect(shouldShowPanel({ ...tty, env: { NO_COLOR: "" } }, false)).toBe(true));
  it("prints lines in CI", () => expect(shouldShowPanel({ ...tty, env: { CI: "true" } }, false)).toBe(false));
  it("prints lines on a dumb terminal", () => expect(shouldShowPanel({ ...tty, env: { TERM: "dumb" } }, false)).toBe(false));
});

describe("line presenter", () => {
  function lines(init: ProgressInit, quiet = false) {
    const out: string[] = [];
    const err: string[] = [];
    const p = new LineProgress(init, quiet, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { p, out, err };
  }

  it("prints the start and end of each trial and the summary on stderr", () => {
    const { p, err } = lines(BATCH);
    p.emit(started(1, 0));
    p.emit(finished(1, 1, 0.5, { trial: 1, value: 0.5 }));
    p.emit({ type: "ended", outcome: "completed", note: "batch done", nowMs: 2 });
    expect(err.join("")).toBe("trial 1/4: x=1\ntrial 1/4 completed · loss 0.5 · best 0.5 (trial 1)\nbatch done\n");
  });

  it("leaves the summary of a failed batch to the error", () => {
    const { p, err } = lines(BATCH);
    p.emit({ type: "ended", outcome: "failed", note: "batch failed", nowMs: 2 });
    expect(err).toEqual([]);
  });

  it("passes output through unprefixed one at a time, and prefixes whole lines with -j", () => {
    const one = lines(BATCH);
    one.p.sinkFor(1)!("lo", "stdout");
    const two = lines({ ...BATCH, parallel: 2 });
    const sink = two.p.sinkFor(2)!;
    sink("loss: 1\nlo", "stdout");
    sink("ss: 2\n", "stdout");
    sink("warn\n", "stderr");
    expect([one.out, two.out, two.err]).toEqual([["lo"], ["[2] loss: 1\n", "[2] loss: 2\n"], ["[2] warn\n"]]);
  });

  it("shows no output with -q", () => expect(lines(BATCH, true).p.sinkFor(1)).toBeNull());

  it("prints a message on one line, a control character in it escaped, a leading newline kept", () => {
    const { p, err } = lines(BATCH);
    p.message("agent on sweep s (random, tr\nain\x1b[2J.py)");
    p.message("\nInterrupted: stopping 1 running trial(s)");
    p.emit(started(1, 0, "msg=a\x1bb"));
    expect(err).toEqual([
      "agent on sweep s (random, tr\\nain\\x1b[2J.py)\n",
      "\nInterrupted: stopping 1 running trial(s)\n",
      "trial 1/4: msg=a\\x1bb\n",
    ]);
  });
});
