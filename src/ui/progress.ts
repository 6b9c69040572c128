// The presenter of a batch's, an agent's or a run's progress: the batch loop
// and the agent emit events, print messages and hand over their scripts'
// output through a ProgressReporter; this module chooses how they are shown.
// In a terminal, a live Ink panel (src/ui/progress-view.tsx, imported only
// then, so `g run` in a pipe never loads Ink or React); piped, under NO_COLOR,
// in CI, with a dumb terminal or with -q, the plain lines of before.

import { isatty } from "node:tty";
import { escapeControlChars } from "../format/values.js";
import type { OutputSink } from "../runner/execute.js";
import { initialProgress, reduceProgress, type ProgressEvent, type ProgressInit, type ProgressState } from "./progress-state.js";
import { finishedLine, startedLine } from "./progress-text.js";

export interface ProgressReporter {
  emit(event: ProgressEvent): void;
  /** Where a trial's output goes (null: -q, nowhere). `trial` is null for a single run. */
  sinkFor(trial: number | null): OutputSink | null;
  /** A note for the user (an interrupt, an early stop, an agent done). */
  message(line: string): void;
  /** Leaves the last frame (the summary) on the screen; after this nothing more is drawn. */
  close(): Promise<void>;
}

export interface ProgressOptions {
  /** -q: the scripts' output is not echoed, and no panel is drawn. */
  quiet: boolean;
  /** g's own stdout and stderr for the plain lines (the command passes runner/terminal.ts's, which survive a closed pipe). */
  out: LineWriters;
}

/** Where and how the panel may draw: process.stdout/stderr and the environment, passed in for tests. */
export interface Terminal {
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Record<string, string | undefined>;
}

/**
 * The live panel only when a person watches a terminal that can draw it:
 * both streams a TTY (the panel draws on stderr, the scripts' output shares
 * it), colour allowed, not CI, a real TERM, and not -q.
 */
export function shouldShowPanel(term: Terminal, quiet: boolean): boolean {
  const set = (name: string) => (term.env[name] ?? "") !== "";
  return !quiet && term.stdoutIsTTY && term.stderrIsTTY && !set("NO_COLOR") && !set("CI") && term.env.TERM !== "dumb";
}

/**
 * Asked of the descriptors, as Node's own streams ask when they are made:
 * reading process.stdout or process.stderr would make them, which loads Node's
 * file and stream modules (and readline's) in an agent that otherwise writes
 * its lines with writeSync (runner/terminal.ts) before its first trial starts.
 */
function currentTerminal(): Terminal {
  return { stdoutIsTTY: isatty(1), stderrIsTTY: isatty(2), env: process.env };
}

/** Opens the presenter this terminal calls for. */
export async function openProgress(init: ProgressInit, opts: ProgressOptions): Promise<ProgressReporter> {
  if (!shouldShowPanel(currentTerminal(), opts.quiet)) return new LineProgress(init, opts.quiet, opts.out);
  const { openProgressPanel } = await import("./progress-view.js");
  return openProgressPanel(init, { stream: process.stderr });
}

/** Runs `body` with a presenter and closes it however `body` ends, so the panel is gone before an error line is printed. */
export async function withProgress<T>(
  init: ProgressInit,
  opts: ProgressOptions,
  body: (progress: ProgressReporter) => Promise<T>,
): Promise<T> {
  const progress = await openProgress(init, opts);
  try {
    return await body(progress);
  } finally {
    await progress.close();
  }
}

export interface LineWriters {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * The plain presenter: a line when a trial starts and ends, messages on
 * stderr, the scripts' output on g's own stdout and stderr, prefixed by
 * `[trial] ` only when trials run at once (-j).
 */
export class LineProgress implements ProgressReporter {
  private state: ProgressState;

  constructor(
    init: ProgressInit,
    private readonly quiet: boolean,
    private readonly out: LineWriters,
  ) {
    this.state = initialProgress(init);
  }

  emit(event: ProgressEvent): void {
    this.state = reduceProgress(this.state, event);
    const line =
      event.type === "trialStarted"
        ? startedLine(this.state, event)
        : event.type === "trialFinished"
          ? finishedLine(this.state, event)
          : event.type === "ended" && event.outcome === "completed"
            ? (event.note ?? null)
            : null;
    if (line !== null) this.message(line);
  }

  sinkFor(trial: number | null): OutputSink | null {
    if (this.quiet) return null;
    const write = (text: string, stream: "stdout" | "stderr") => this.out[stream](text);
    if (trial === null || (this.state.init.parallel ?? 1) <= 1) return write;
    return prefixLines(`[${trial}] `, write);
  }

  /** One line (a leading newline moves it off a `^C`); a control character in it, from a flag or a name, shows escaped. */
  message(line: string): void {
    const text = line.replace(/^\n+/, "");
    this.out.stderr(line.slice(0, line.length - text.length) + escapeControlChars(text.replace(/\n$/, "")) + "\n");
  }

  async close(): Promise<void> {}
}

/** A sink that writes whole lines only, each with `prefix`; a partial last line waits for its end. */
export function prefixLines(prefix: string, write: OutputSink): OutputSink {
  const tails = { stdout: "", stderr: "" };
  return (text, stream) => {
    const lines = (tails[stream] + text).split("\n");
    tails[stream] = lines.pop() ?? "";
    if (lines.length > 0) write(lines.map((l) => prefix + l + "\n").join(""), stream);
  };
}
