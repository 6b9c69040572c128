// The live progress panel (Ink): the lines logged so far above it (the
// scripts' output prefixed by trial, the Optuna-style line of each finished
// trial, notes) through <Static>, so they scroll like ordinary output and
// never tear the panel; under them the live part (bar, timings, best so far,
// the running trials with their latest scalars), and once the loop is over
// the summary that stays on the screen. It only renders a ProgressState.

import { Box, Static, Text } from "ink";
import { escapeControlChars, formatDuration, formatNumber } from "../format/values.js";
import { doneCount, elapsedMs, etaMs, formatBar, progressCount, type ProgressState, type RunningTrial } from "./progress-state.js";
import { lookFurtherCommand, countsText, scalarsText, viewCommand } from "./progress-text.js";

/** A line logged above the panel. */
export interface LogLine {
  id: number;
  /** The trial whose output it is (null: a message of g's, or a single run's output). */
  trial: number | null;
  text: string;
  kind: "output" | "stderr" | "trial" | "message";
}

export interface ProgressPanelProps {
  state: ProgressState;
  /** Lines not yet written above the panel; `key` changes with each new batch of them. */
  log: { key: number; lines: LogLine[] };
  /** Terminal columns. */
  width: number;
  color: boolean;
}

/** Running trials listed under the bar; more are counted, so the panel fits a small terminal. */
export const MAX_RUNNING_SHOWN = 6;
const BAR_WIDTH = 24;

export function ProgressPanel({ state, log, width, color }: ProgressPanelProps) {
  return (
    <>
      {/* A new key mounts a new Static, which writes exactly these lines once. */}
      <Static key={log.key} items={log.lines}>
        {(line) => <LogText key={line.id} line={line} color={color} />}
      </Static>
      <Box flexDirection="column" width={width}>
        {state.outcome === null ? <Live state={state} color={color} /> : <Summary state={state} color={color} />}
      </Box>
    </>
  );
}

function LogText({ line, color }: { line: LogLine; color: boolean }) {
  const prefix = line.trial === null ? "" : `[${line.trial}] `;
  if (line.kind === "trial") return <Text color={color ? "cyan" : undefined}>{line.text}</Text>;
  if (line.kind === "message") return <Text color={color ? "yellow" : undefined}>{line.text}</Text>;
  return (
    <Text>
      <Text dimColor={color}>{prefix}</Text>
      <Text color={color && line.kind === "stderr" ? "red" : undefined}>{line.text}</Text>
    </Text>
  );
}

function Live({ state, color }: { state: ProgressState; color: boolean }) {
  const { init } = state;
  const elapsed = formatDuration(elapsedMs(state) / 1000);
  if (init.kind === "single") {
    const t = state.running[0];
    const scalars = t ? scalarsText(t.scalars, t.step) : "";
    return (
      <Text>
        <Text color={color ? "green" : undefined}>▸ </Text>
        run {init.id.slice(0, 8)} {init.title} · {elapsed}
        {scalars ? ` · ${scalars}` : ""}
      </Text>
    );
  }
  const eta = etaMs(state);
  const total = init.total;
  const k = progressCount(state);
  const done = doneCount(state);
  const head =
    init.kind === "agent"
      ? `trial ${k}${total === null ? "" : `/${total}`} claimed · ${done} finished by this agent${(init.parallel ?? 1) > 1 ? ` · ${state.running.length} of ${init.parallel} running` : ""}`
      : `${k}/${total} trials ${formatBar(k, total ?? k, BAR_WIDTH)} ${Math.floor((100 * k) / Math.max(1, total ?? k))}%`;
  const timing = [`elapsed ${elapsed}`];
  if (eta !== null) timing.push(`ETA ${formatDuration(eta / 1000)}`);
  if (state.failed > 0) timing.push(`${state.failed} failed`);
  if (state.earlyStopped > 0) timing.push(`${state.earlyStopped} early-stopped`);
  const shown = state.running.slice(0, MAX_RUNNING_SHOWN);
  return (
    <Box flexDirection="column">
      <Text bold={color}>
        {heading(state)}
        {init.objective ? ` · ${init.objective.goal} ${escapeControlChars(init.objective.column)}` : ""}
      </Text>
      <Text>
        <Text color={color ? "green" : undefined}>{head}</Text> · {timing.join(" · ")}
      </Text>
      <BestLine state={state} color={color} />
      {shown.map((t) => (
        <RunningLine key={t.trial} trial={t} nowMs={state.nowMs} />
      ))}
      {state.running.length > shown.length ? <Text dimColor={color}> … {state.running.length - shown.length} more running</Text> : null}
    </Box>
  );
}

/** "grid batch 1a2b3c4d · train.py", "agent on sweep 7f3e (random · train.py)". */
function heading({ init }: ProgressState): string {
  const subject = init.subject ? ` · ${init.subject}` : "";
  // The script's or the sweep program's name as the user wrote it: one line however it was written.
  return escapeControlChars(
    init.kind === "batch" ? `${init.title} batch ${init.id.slice(0, 8)}${subject}` : `agent on sweep ${init.id} (${init.title}${subject})`,
  );
}

function BestLine({ state, color }: { state: ProgressState; color: boolean }) {
  const column = escapeControlChars(state.init.objective?.column ?? "value");
  if (!state.best) return <Text dimColor={color}>best {column}: none yet</Text>;
  return (
    <Text>
      best {column} <Text color={color ? "green" : undefined}>{formatNumber(state.best.value)}</Text> (trial {state.best.trial})
      {state.best.flags ? ` ${state.best.flags}` : ""}
    </Text>
  );
}

function RunningLine({ trial, nowMs }: { trial: RunningTrial; nowMs: number }) {
  const scalars = scalarsText(trial.scalars, trial.step);
  return (
    <Text wrap="truncate-end">
      {"  "}[{trial.trial}] {trial.flags} · {formatDuration((nowMs - trial.startedMs) / 1000)}
      {scalars ? ` · ${scalars}` : ""}
    </Text>
  );
}

function Summary({ state, color }: { state: ProgressState; color: boolean }) {
  const { init } = state;
  const elapsed = formatDuration(elapsedMs(state) / 1000);
  const how = state.outcome === "interrupted" ? `interrupted after ${elapsed}` : `finished in ${elapsed}`;
  if (init.kind === "single") {
    const last = state.finished[state.finished.length - 1];
    const scalars = last ? scalarsText(last.scalars, last.step) : "";
    return (
      <Box flexDirection="column">
        <Text>
          run {init.id.slice(0, 8)} {escapeControlChars(init.title)} {last?.status ?? "interrupted"} · {elapsed}
          {scalars ? ` · ${scalars}` : ""}
        </Text>
        <Text dimColor={color}>look further: {lookFurtherCommand(state)}</Text>
      </Box>
    );
  }
  const best = state.best;
  const column = escapeControlChars(init.objective?.column ?? "value");
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={color ? (state.outcome === "completed" ? "green" : "yellow") : undefined}
      paddingX={1}
    >
      <Text bold={color}>
        {heading(state)} {how}: {countsText(state)}
      </Text>
      {state.endNote && init.kind === "agent" ? <Text>{escapeControlChars(state.endNote)}</Text> : null}
      {best ? (
        <Text>
          best {column} <Text color={color ? "green" : undefined}>{formatNumber(best.value)}</Text> at trial {best.trial}
          {best.runId ? ` (run ${best.runId.slice(0, 8)})` : ""}
          {best.flags ? `: ${best.flags}` : ""}
        </Text>
      ) : (
        <Text>no trial has a {column} value</Text>
      )}
      <Text dimColor={color}>
        look further: {lookFurtherCommand(state)} · {viewCommand(state)}
      </Text>
    </Box>
  );
}
