// The state of a live progress display (a `g run` batch, a `g agent`, a single
// run) and its pure reducer: the batch loop and the agent emit events, the
// reducer folds them into counts, running trials with their latest scalars,
// the best trial and timings. Both presenters (the Ink panel and the plain
// lines) read this state, so what they show is tested without a terminal.
// Time comes in with the events (ms); nothing here reads a clock.

/** What is being followed: a search batch, a sweep agent, or one run. */
export type ProgressKind = "batch" | "agent" | "single";

/** How a trial ended, as the run's derived status says. */
export type TrialEndStatus = "completed" | "error" | "terminated" | "early-stopped" | "pending" | "running";

/** The best trial so far, as the search loop judged it (the loop owns the comparison). */
export interface ProgressBest {
  trial: number;
  /** The objective's value (not negated). */
  value: number;
  /** The trial's searched flags, when known (a best from an earlier session may have none). */
  flags?: string;
  runId?: string;
}

export interface ProgressInit {
  kind: ProgressKind;
  /** The batch or sweep run id, or the single run's id. */
  id: string;
  /** Short title: the optimizer, the sweep's method, or the run's op. */
  title: string;
  /** What runs: the script or the sweep's program. */
  subject?: string;
  /** Trials in the whole batch or sweep; null when unbounded (a sweep without run_cap). */
  total: number | null;
  /** Trials finished before this session (a restarted batch). */
  doneBefore?: number;
  /** Trials run at once (-j). */
  parallel?: number;
  objective?: { column: string; goal: "minimize" | "maximize" } | null;
  best?: ProgressBest | null;
  startedMs: number;
}

export interface RunningTrial {
  trial: number;
  runId: string;
  flags: string;
  startedMs: number;
  /** The latest value of each scalar key, in the order the keys first came. */
  scalars: [string, number][];
  step: number | null;
}

export interface FinishedTrial {
  trial: number;
  runId: string;
  status: TrialEndStatus;
  value: number | null;
  durationMs: number;
  /** Its last scalars, as they were when it ended. */
  scalars: [string, number][];
  step: number | null;
}

export interface ProgressState {
  init: ProgressInit;
  nowMs: number;
  running: RunningTrial[];
  /** Trials finished in this session, in the order they ended. */
  finished: FinishedTrial[];
  completed: number;
  failed: number;
  earlyStopped: number;
  terminated: number;
  best: ProgressBest | null;
  /** The highest trial number started: a sweep's progress as one agent sees it. */
  highestTrial: number;
  /** Set once the loop is over: the panel then shows its summary instead of the live part. */
  outcome: "completed" | "failed" | "interrupted" | null;
  /** Why it ended, when the loop says (a sweep that is done, an agent that gave up). */
  endNote: string | null;
}

export type ProgressEvent =
  /** `note` says why a trial runs (again); the line presenter prints it, the panel logs it. */
  | { type: "trialStarted"; trial: number; runId: string; flags: string; note?: string; nowMs: number }
  | { type: "trialScalar"; trial: number; key: string; value: number; step: number | null }
  | { type: "trialFinished"; trial: number; status: TrialEndStatus; value: number | null; best: ProgressBest | null; nowMs: number }
  | { type: "tick"; nowMs: number }
  | { type: "ended"; outcome: "completed" | "failed" | "interrupted"; note?: string; nowMs: number };

/** Scalar keys a running trial keeps: enough for one line, bounded for chatty scripts. */
export const MAX_SCALARS_PER_TRIAL = 6;

export function initialProgress(init: ProgressInit): ProgressState {
  return {
    init,
    nowMs: init.startedMs,
    running: [],
    finished: [],
    completed: 0,
    failed: 0,
    earlyStopped: 0,
    terminated: 0,
    best: init.best ?? null,
    highestTrial: 0,
    outcome: null,
    endNote: null,
  };
}

export function reduceProgress(state: ProgressState, event: ProgressEvent): ProgressState {
  switch (event.type) {
    case "trialStarted": {
      const trial: RunningTrial = {
        trial: event.trial,
        runId: event.runId,
        flags: event.flags,
        startedMs: event.nowMs,
        scalars: [],
        step: null,
      };
      return {
        ...state,
        nowMs: Math.max(state.nowMs, event.nowMs),
        running: [...state.running.filter((t) => t.trial !== event.trial), trial],
        highestTrial: Math.max(state.highestTrial, event.trial),
      };
    }
    case "trialScalar": {
      const running = state.running.map((t) => (t.trial === event.trial ? withScalar(t, event.key, event.value, event.step) : t));
      return { ...state, running };
    }
    case "trialFinished": {
      const was = state.running.find((t) => t.trial === event.trial);
      const done: FinishedTrial = {
        trial: event.trial,
        runId: was?.runId ?? "",
        status: event.status,
        value: event.value,
        durationMs: was ? Math.max(0, event.nowMs - was.startedMs) : 0,
        scalars: was?.scalars ?? [],
        step: was?.step ?? null,
      };
      // The loop names the best trial; its flags and run are known here if it ran in this session.
      let best = event.best ?? state.best;
      if (best && best.trial === state.best?.trial) best = { ...state.best, ...best };
      if (best && best.flags === undefined && best.trial === event.trial && was) best = { ...best, flags: was.flags, runId: was.runId };
      return {
        ...state,
        nowMs: Math.max(state.nowMs, event.nowMs),
        running: state.running.filter((t) => t.trial !== event.trial),
        finished: [...state.finished, done],
        completed: state.completed + (event.status === "completed" ? 1 : 0),
        failed: state.failed + (event.status === "error" ? 1 : 0),
        earlyStopped: state.earlyStopped + (event.status === "early-stopped" ? 1 : 0),
        terminated: state.terminated + (event.status === "terminated" ? 1 : 0),
        best,
      };
    }
    case "tick":
      return event.nowMs > state.nowMs ? { ...state, nowMs: event.nowMs } : state;
    case "ended":
      return { ...state, nowMs: Math.max(state.nowMs, event.nowMs), outcome: event.outcome, endNote: event.note ?? null };
  }
}

function withScalar(t: RunningTrial, key: string, value: number, step: number | null): RunningTrial {
  const i = t.scalars.findIndex(([k]) => k === key);
  const scalars: [string, number][] = i >= 0 ? t.scalars.map((s, j) => (j === i ? [key, value] : s)) : [...t.scalars, [key, value]];
  return { ...t, scalars: scalars.slice(-MAX_SCALARS_PER_TRIAL), step: step ?? t.step };
}

/** Trials finished over the whole batch (earlier sessions included). */
export function doneCount(state: ProgressState): number {
  return (state.init.doneBefore ?? 0) + state.finished.length;
}

/**
 * The k of "trial k/N": a batch's finished trials; for an agent, the highest
 * trial number it has claimed, since other agents run the sweep's other trials.
 */
export function progressCount(state: ProgressState): number {
  return state.init.kind === "agent" ? state.highestTrial : doneCount(state);
}

export function elapsedMs(state: ProgressState): number {
  return Math.max(0, state.nowMs - state.init.startedMs);
}

/**
 * Time left, from the mean duration of this session's finished trials and
 * the trials still to finish, `parallel` at a time; null until a trial has
 * finished or when there is no total.
 */
export function etaMs(state: ProgressState): number | null {
  const total = state.init.total;
  // An agent cannot know how fast the other agents go.
  if (state.init.kind === "agent") return null;
  const timed = state.finished.filter((f) => f.durationMs > 0);
  if (total === null || timed.length === 0) return null;
  const left = Math.max(0, total - doneCount(state));
  if (left === 0) return 0;
  const mean = timed.reduce((s, f) => s + f.durationMs, 0) / timed.length;
  const lanes = Math.max(1, Math.min(state.init.parallel ?? 1, left));
  // Running trials are part way through: count the time they have already spent as done.
  const spent = state.running.reduce((s, t) => s + Math.min(mean, state.nowMs - t.startedMs), 0);
  return Math.max(0, (left * mean - spent) / lanes);
}

/** A fixed-width bar of block characters for done/total. */
export function formatBar(done: number, total: number, width: number): string {
  const frac = total <= 0 ? 0 : Math.min(1, Math.max(0, done / total));
  const full = Math.round(frac * width);
  return "█".repeat(full) + "░".repeat(width - full);
}
