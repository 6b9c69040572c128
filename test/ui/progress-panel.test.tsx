import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render } from "ink-testing-library";
import { ProgressPanel, MAX_RUNNING_SHOWN, type LogLine } from "../../src/ui/ProgressPanel.js";
import { initialProgress, reduceProgress, type ProgressEvent, type ProgressInit, type ProgressState } from "../../src/ui/progress-state.js";
import { openProgressPanel } from "../../src/ui/progress-view.js";

afterEach(() => cleanup());

const ID = "1a2b3c4d".padEnd(32, "0");
const BATCH: ProgressInit = {
  kind: "batch",
  id: ID,
  title: "grid",
  subject: "train.py",
  total: 4,
  parallel: 2,
  objective: { column: "loss", goal: "minimize" },
  startedMs: 0,
};
const NO_LOG = { key: 0, lines: [] as LogLine[] };

const play = (init: ProgressInit, ...events: ProgressEvent[]): ProgressState => events.reduce(reduceProgress, initialProgress(init));
const started = (trial: number, nowMs: number, flags = `x=${trial}`): ProgressEvent => ({
  type: "trialStarted",
  trial,
  runId: `run${trial}`.padEnd(32, "0"),
  flags,
  nowMs,
});
const scalar = (trial: number, key: string, value: number, step: number | null = null): ProgressEvent => ({
  type: "trialScalar",
  trial,
  key,
  value,
  step,
});
const finished = (
  trial: number,
  nowMs: number,
  value: number | null,
  best: { trial: number; value: number } | null,
  status: "completed" | "error" = "completed",
): ProgressEvent => ({ type: "trialFinished", trial, status, value, best, nowMs });

function frameOf(state: ProgressState, log = NO_LOG): string {
  return render(<ProgressPanel state={state} log={log} width={100} color={false} />).lastFrame() ?? "";
}

describe("progress panel", () => {
  it("shows the batch, k/N with a bar, elapsed and ETA, the best so far and the running trials with their scalars", () => {
    const s = play(
      BATCH,
      started(1, 0, "x=-1"),
      finished(1, 2_000, 0.25, { trial: 1, value: 0.25 }),
      started(2, 2_000),
      started(3, 2_000),
      scalar(2, "loss", 0.5, 3),
      { type: "tick", nowMs: 3_000 },
    );
    const frame = frameOf(s);
    expect(frame).toContain("grid batch 1a2b3c4d · train.py · minimize loss");
    expect(frame).toMatch(/1\/4 trials ██████░+ 25% · elapsed 0:00:03 · ETA 0:00:02/);
    expect(frame).toContain("best loss 0.25 (trial 1) x=-1");
    expect(frame).toContain("[2] x=2 · 0:00:01 · step 3 · loss 0.5");
    expect(frame).toContain("[3] x=3 · 0:00:01");
  });

  it("keeps a script name, a metric or a scalar key with a control character on its line, escaped", () => {
    const init: ProgressInit = { ...BATCH, subject: "tr\nain.py", objective: { column: "lo\x1b[2Jss", goal: "minimize" } };
    const s = play(
      init,
      started(1, 0, "x=-1"),
      finished(1, 2_000, 0.25, { trial: 1, value: 0.25 }),
      started(2, 2_000),
      scalar(2, "acc\r", 0.5, 3),
    );
    const frame = frameOf(s);
    expect(frame).toContain("grid batch 1a2b3c4d · tr\\nain.py · minimize lo\\x1b[2Jss");
    expect(frame).toContain("best lo\\x1b[2Jss 0.25 (trial 1) x=-1");
    expect(frame).toContain("[2] x=2 · 0:00:00 · step 3 · acc\\r 0.5");
    expect(frame).not.toMatch(/[\r\x1b]|tr\nain/);
    const ended = frameOf(reduceProgress(s, { type: "ended", outcome: "completed", nowMs: 3_000 }));
    expect(ended).toContain("best lo\\x1b[2Jss 0.25 at trial 1");
    expect(ended).toContain("-m $'lo\\x1b[2Jss'");
    expect(ended).not.toMatch(/[\r\x1b]|tr\nain/);
  });

  it("says there is no best yet, and counts failures", () => {
    const frame = frameOf(play(BATCH, started(1, 0), finished(1, 1_000, null, null, "error")));
    expect(frame).toContain("best loss: none yet");
    expect(frame).toContain("1 failed");
  });

  it("lists only the first running trials and counts the rest, so the panel fits", () => {
    const many = Array.from({ length: MAX_RUNNING_SHOWN + 3 }, (_, i) => started(i + 1, 0));
    const frame = frameOf(play({ ...BATCH, total: 20, parallel: 20 }, ...many));
    expect(frame).toContain(`[${MAX_RUNNING_SHOWN}] x=${MAX_RUNNING_SHOWN}`);
    expect(frame).not.toContain(`[${MAX_RUNNING_SHOWN + 1}] x=`);
    expect(frame).toContain("… 3 more running");
  });

  it("writes the log lines above the panel, output prefixed by trial", () => {
    const log = {
      key: 1,
      lines: [
        { id: 0, trial: 2, text: "loss: 0.5", kind: "output" as const },
        { id: 1, trial: null, text: "Trial 2 finished with loss 0.5 (x=2). Best is trial 2 with value 0.5.", kind: "trial" as const },
      ],
    };
    const frame = frameOf(play(BATCH, started(3, 0)), log);
    const at = (text: string) => frame.indexOf(text);
    expect(at("[2] loss: 0.5")).toBeGreaterThanOrEqual(0);
    expect(at("Best is trial 2 with value 0.5.")).toBeGreaterThan(at("[2] loss: 0.5"));
    expect(at("grid batch 1a2b3c4d")).toBeGreaterThan(at("Best is trial 2"));
  });

  it("leaves a summary when the batch ends: counts, the best trial with its run and flags, where to look further", () => {
    const s = play(
      BATCH,
      started(1, 0, "x=-0.3 noise=0"),
      finished(1, 65_000, 0.1, { trial: 1, value: 0.1 }),
      started(2, 65_000),
      finished(2, 70_000, null, { trial: 1, value: 0.1 }, "error"),
      {
        type: "ended",
        outcome: "failed",
        nowMs: 70_000,
      },
    );
    const frame = frameOf(s);
    expect(frame).toContain("grid batch 1a2b3c4d · train.py finished in 0:01:10: 1 completed, 1 failed");
    expect(frame).toContain("best loss 0.1 at trial 1 (run run10000): x=-0.3 noise=0");
    expect(frame).toContain(`look further: g compare --filter '.batch = "1a2b3c4d"' -m loss · g view --batch 1a2b3c4d`);
    expect(frame).not.toMatch(/trials [█░]/);
  });

  it("says an interrupted batch was interrupted", () => {
    expect(frameOf(play(BATCH, { type: "ended", outcome: "interrupted", nowMs: 5_000 }))).toContain(
      "interrupted after 0:00:05: 0 completed, 0 failed",
    );
  });

  it("shows an agent's claimed trial over the sweep's cap, and why it stopped", () => {
    const agent: ProgressInit = { ...BATCH, kind: "agent", id: "7f3e9a1b", title: "random", total: 20 };
    expect(frameOf(play(agent, started(7, 0)))).toContain("trial 7/20 claimed · 0 finished by this agent");
    const done = play(agent, started(7, 0), finished(7, 1_000, 0.2, { trial: 7, value: 0.2 }), {
      type: "ended",
      outcome: "completed",
      note: "sweep 7f3e9a1b reached its run_cap of 20 (20 claimed); agent done",
      nowMs: 1_000,
    });
    const frame = frameOf(done);
    expect(frame).toContain("agent on sweep 7f3e9a1b (random · train.py) finished in 0:00:01: 1 completed, 0 failed");
    expect(frame).toContain("reached its run_cap of 20");
    expect(frame).toContain(`g compare --filter '.sweep = "7f3e9a1b"' -m loss · g view --sweep 7f3e9a1b`);
  });

  it("shows an agent's running trials with -j, each on its line", () => {
    const agent: ProgressInit = { ...BATCH, kind: "agent", id: "7f3e9a1b", title: "random", total: 20, parallel: 3 };
    const frame = frameOf(
      play(agent, started(4, 0, "x=4"), started(5, 0, "x=5"), finished(4, 1_000, 0.2, { trial: 4, value: 0.2 }), started(6, 1_000, "x=6")),
    );
    expect(frame).toContain("trial 6/20 claimed · 1 finished by this agent · 2 of 3 running");
    expect(frame).toMatch(/\[5\] x=5/);
    expect(frame).toMatch(/\[6\] x=6/);
    expect(frame).not.toMatch(/\[4\] x=4 ·/);
  });

  it("shows a single run's elapsed time and last scalars, then how it ended", () => {
    const single: ProgressInit = { kind: "single", id: ID, title: "train.py", total: 1, startedMs: 0 };
    const live = play(single, started(1, 0, ""), scalar(1, "loss", 0.75, 2), { type: "tick", nowMs: 4_000 });
    expect(frameOf(live)).toContain("run 1a2b3c4d train.py · 0:00:04 · step 2 · loss 0.75");
    const done = reduceProgress(reduceProgress(live, finished(1, 5_000, null, null)), {
      type: "ended",
      outcome: "completed",
      nowMs: 5_000,
    });
    expect(frameOf(done)).toContain("run 1a2b3c4d train.py completed · 0:00:05 · step 2 · loss 0.75");
    expect(frameOf(done)).toContain("look further: g runs info 1a2b3c4d");
  });
});

/** A terminal stand-in that keeps what Ink writes, without escape sequences. */
class FakeTerminal extends EventEmitter {
  columns = 100;
  rows = 30;
  isTTY = false;
  text = "";
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  plain(): string {
    // eslint-disable-next-line no-control-regex
    return this.text.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, "");
  }
}

describe("progress panel presenter", () => {
  it("logs whole output lines by trial, keeps what a carriage return redrew, and leaves the summary", async () => {
    const term = new FakeTerminal();
    let now = 0;
    const p = openProgressPanel({ ...BATCH, parallel: 1 }, { stream: term as unknown as NodeJS.WriteStream, now: () => now });
    p.emit(started(1, 0, "x=-1"));
    const sink = p.sinkFor(1);
    sink("lo", "stdout");
    sink("ss: 0.5\n10%\r", "stdout");
    sink("100%\r\n", "stdout");
    sink("oops\n", "stderr");
    sink("no newline at the end", "stdout");
    now = 2_000;
    p.emit(finished(1, 2_000, 0.5, { trial: 1, value: 0.5 }));
    p.message("\nInterrupted: stopping 0 running trial(s); no new trials start.");
    p.message("program tr\nain\x1b[2J.py");
    p.emit({ type: "ended", outcome: "interrupted", nowMs: 2_000 });
    await p.close();
    const text = term.plain();
    for (const line of [
      "[1] loss: 0.5",
      "[1] 100%",
      "[1] oops",
      "[1] no newline at the end",
      "Trial 1 finished with loss 0.5 (x=-1). Best is trial 1 with value 0.5.",
      "Interrupted: stopping",
      "program tr\\nain\\x1b[2J.py",
    ]) {
      expect(text).toContain(line);
    }
    expect(text).not.toContain("10%");
    expect(text.indexOf("[1] no newline at the end")).toBeLessThan(text.indexOf("Trial 1 finished"));
    expect(text).toContain("interrupted after 0:00:02: 1 completed, 0 failed");
    expect(text).toContain("best loss 0.5 at trial 1 (run run10000): x=-1");
  });
});
