// The interactive compare view: holds the reducer state, turns keys into
// actions, and does the effects the state asks for (deleting, reloading while
// runs are running, leaving). Reading the store is done by the callbacks it is
// given, so tests drive it with in-memory runs.

import { useEffect, useMemo, useReducer, useState } from "react";
import { Box, useApp, useInput, useStdout } from "ink";
import type { CompareData } from "../query/compare-data.js";
import type { Run, ScalarRecord } from "../store/types.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { DETAILS_HEIGHT, DetailsPane, OUTPUT_LINES } from "./DetailsPane.js";
import { HelpOverlay } from "./HelpOverlay.js";
import { RunTable } from "./RunTable.js";
import { StatusBar } from "./StatusBar.js";
import { initialState, reduce, visibleRows, type ViewExit } from "./state.js";

/** How often the data is rebuilt while a shown run is running. */
export const REFRESH_INTERVAL_MS = 1000;
/** Lines besides the table rows: header, status bar, and a spare for the shell prompt. */
const CHROME_LINES = 3;

export interface CompareAppProps {
  data: CompareData;
  /** Rebuilds the data from the store (live refresh, after deletes). */
  reload?: () => CompareData;
  /** Moves runs to the trash. */
  deleteRuns?: (ids: string[]) => void;
  readScalars?: (run: Run) => ScalarRecord[];
  readOutputTail?: (run: Run, lines: number) => string[];
  /** Called once, when the view closes. */
  onExit?: (exit: ViewExit) => void;
  color?: boolean;
  refreshMs?: number;
  /** Terminal size; the stdout's by default. */
  width?: number;
  height?: number;
}

export function CompareApp(props: CompareAppProps) {
  const { stdout } = useStdout();
  const { exit } = useApp();
  const [size, setSize] = useState(() => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }));
  const width = props.width ?? size.columns;
  const height = props.height ?? size.rows;
  const color = props.color ?? true;

  const [state, dispatch] = useReducer(reduce, props.data, (d) => initialState(d, width, height - CHROME_LINES));
  const rows = useMemo(() => visibleRows(state), [state.data, state.filter, state.sort, state.collapsed]);
  const selected = rows[state.row];

  useEffect(() => {
    const onResize = (): void => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on("resize", onResize);
    return () => void stdout.off("resize", onResize);
  }, [stdout]);

  useEffect(() => {
    const pageSize = height - CHROME_LINES - (state.details ? DETAILS_HEIGHT : 0) - (state.mode === "confirm" ? 3 : 0);
    dispatch({ type: "resize", width, pageSize: Math.max(1, pageSize) });
  }, [width, height, state.details, state.mode]);

  const anyRunning = state.data.rows.some((r) => r.run.status === "running");
  const { reload } = props;
  useEffect(() => {
    if (!anyRunning || reload === undefined || state.exit !== null) return;
    const timer = setInterval(() => {
      try {
        dispatch({ type: "data", data: reload() });
      } catch {
        // A run being written as it is read: keep the old data, try again next tick.
      }
    }, props.refreshMs ?? REFRESH_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [anyRunning, reload, state.exit, props.refreshMs]);

  const { deleteRuns } = props;
  useEffect(() => {
    const ids = state.deleteRequest;
    if (ids === null) return;
    let error: string | undefined;
    try {
      deleteRuns?.(ids);
      if (reload !== undefined) dispatch({ type: "data", data: reload() });
    } catch (err) {
      error = `could not delete: ${(err as Error).message}`;
    }
    dispatch({ type: "deleted", ids, error });
  }, [state.deleteRequest]);

  useEffect(() => {
    if (state.exit === null) return;
    props.onExit?.(state.exit);
    exit();
  }, [state.exit]);

  // Keys are mapped inside the reducer, so fast typing (or a paste) never sees a stale mode.
  useInput((input, key) => dispatch({ type: "key", input, key }));

  // Details are read only for the selected run, and again when the data is reloaded.
  const detailsKey = state.details && selected !== undefined ? `${selected.run.id}@${state.data.now}` : null;
  const details = useMemo(() => {
    if (detailsKey === null || selected === undefined) return { scalars: [], output: [] };
    return {
      scalars: safely(() => props.readScalars?.(selected.run) ?? [], []),
      output: safely(() => props.readOutputTail?.(selected.run, OUTPUT_LINES) ?? [], []),
    };
  }, [detailsKey]);

  // Leaving draws nothing, so Ink's last frame is empty and the terminal is left as it was.
  if (state.exit !== null) return null;
  if (state.mode === "help") return <HelpOverlay />;
  return (
    <Box flexDirection="column">
      <RunTable state={state} rows={rows} color={color} />
      {state.details ? <DetailsPane row={selected} scalars={details.scalars} output={details.output} width={Math.min(width, 120)} /> : null}
      {state.mode === "confirm" ? <ConfirmDialog ids={state.confirmIds} /> : null}
      <StatusBar state={state} shown={rows.length} refreshing={anyRunning && reload !== undefined} />
    </Box>
  );
}

function safely<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
