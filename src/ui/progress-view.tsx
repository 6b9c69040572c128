// The Ink presenter of progress (imported lazily by src/ui/progress.ts, only
// when a person watches a terminal): folds events into the progress state,
// cuts the scripts' output into lines for the log above the panel, and
// redraws at most every DRAW_INTERVAL_MS and once a second for the clock.

import { render } from "ink";
import type { OutputSink } from "../runner/execute.js";
import { formatPanelLine } from "../format/output-line.js";
import { escapeControlChars } from "../format/values.js";
import { ProgressPanel, type LogLine } from "./ProgressPanel.js";
import type { ProgressReporter } from "./progress.js";
import { initialProgress, reduceProgress, type ProgressEvent, type ProgressInit } from "./progress-state.js";
import { trialEndText } from "./progress-text.js";

/** Coalesces redraws: a chatty script should not make Ink redraw for every line. */
const DRAW_INTERVAL_MS = 80;
/** The elapsed time and ETA move on this often. */
const CLOCK_MS = 1_000;

export interface PanelOptions {
  /** Where the panel draws (g's stderr: stdout stays for data). */
  stream: NodeJS.WriteStream;
  /** The clock; tests pass their own. */
  now?: () => number;
}

export function openProgressPanel(init: ProgressInit, opts: PanelOptions): ProgressReporter {
  const now = opts.now ?? Date.now;
  let state = initialProgress(init);
  let pending: LogLine[] = [];
  let shown: { key: number; lines: LogLine[] } = { key: 0, lines: [] };
  let nextId = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  // The partial last line of each trial's stdout and stderr, until its newline comes.
  const tails = new Map<string, string>();

  const log = (trial: number | null, text: string, kind: LogLine["kind"]) => pending.push({ id: nextId++, trial, text, kind });
  const width = () => Math.max(20, (opts.stream.columns ?? 80) - 1);
  const view = () => {
    if (pending.length > 0) {
      shown = { key: shown.key + 1, lines: pending };
      pending = [];
    }
    return <ProgressPanel state={state} log={shown} width={width()} color={true} />;
  };
  const app = render(view(), { stdout: opts.stream, exitOnCtrlC: false, patchConsole: false });
  const draw = () => {
    timer = null;
    if (!closed) app.rerender(view());
  };
  const scheduleDraw = () => {
    if (timer === null && !closed) timer = setTimeout(draw, DRAW_INTERVAL_MS);
  };
  const clock = setInterval(() => {
    state = reduceProgress(state, { type: "tick", nowMs: now() });
    scheduleDraw();
  }, CLOCK_MS);
  clock.unref();

  const flushTails = (trial: number | null) => {
    for (const stream of ["stdout", "stderr"] as const) {
      const key = `${trial}:${stream}`;
      const tail = tails.get(key);
      if (tail) log(trial, formatPanelLine(tail), stream === "stdout" ? "output" : "stderr");
      tails.delete(key);
    }
  };

  return {
    emit(event: ProgressEvent) {
      if (event.type === "trialFinished") flushTails(state.init.kind === "single" ? null : event.trial);
      const flags = event.type === "trialFinished" ? (state.running.find((t) => t.trial === event.trial)?.flags ?? "") : "";
      state = reduceProgress(state, event);
      if (event.type === "trialStarted" && event.note) log(event.trial, event.note, "message");
      if (event.type === "trialFinished" && state.init.kind !== "single") log(null, trialEndText(state, event, flags), "trial");
      scheduleDraw();
    },
    sinkFor(trial: number | null): OutputSink {
      return (text, stream) => {
        const key = `${trial}:${stream}`;
        // A carriage return redraws a line in place (progress bars): keep what was drawn last; keep
        // colours, drop cursor moves and erases (they would tear the panel's frame).
        const lines = ((tails.get(key) ?? "") + text).split("\n");
        tails.set(key, lines.pop() ?? "");
        for (const line of lines) log(trial, formatPanelLine(line), stream === "stdout" ? "output" : "stderr");
        if (lines.length > 0) scheduleDraw();
      };
    },
    message(line: string) {
      // One line of the log, as LineProgress prints it: a control character in it shows escaped.
      log(null, escapeControlChars(line.replace(/^\n+/, "").replace(/\n$/, "")), "message");
      scheduleDraw();
    },
    async close() {
      if (closed) return;
      for (const key of [...tails.keys()]) {
        const trial = key.split(":")[0]!;
        flushTails(trial === "null" ? null : Number(trial));
      }
      if (timer !== null) clearTimeout(timer);
      clearInterval(clock);
      state = reduceProgress(state, { type: "tick", nowMs: now() });
      app.rerender(view());
      closed = true;
      // Unmounting leaves the last frame (the summary) where it is.
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
