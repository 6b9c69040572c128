// The table viewport: the visible slice of rows and columns, the cursor cell
// drawn inverse, marked runs starred in the gutter.

import { Box, Text } from "ink";
import { escapeControlChars } from "../format/values.js";
import type { CompareRow } from "../query/compare-data.js";
import type { RunStatus } from "../store/types.js";
import { COLUMN_GAP, fittingColumns, frozenCount, groupRole, type ViewState } from "./state.js";

const STATUS_COLORS: Record<RunStatus, string> = {
  running: "yellow",
  completed: "green",
  error: "red",
  terminated: "magenta",
  "early-stopped": "cyan",
  pending: "gray",
};

export interface RunTableProps {
  state: ViewState;
  rows: CompareRow[];
  color: boolean;
}

export function RunTable({ state, rows, color }: RunTableProps) {
  const { data, widths } = state;
  const frozen = frozenCount(data);
  const cols = fittingColumns(widths, state.left, state.width, frozen);
  const shown = rows.slice(state.top, state.top + state.pageSize);
  const sortKey = state.sort?.col;
  const gap = " ".repeat(COLUMN_GAP);

  const header = cols.map((i) => {
    const c = data.columns[i]!;
    const title = escapeControlChars(c.header);
    const arrow = c.key === sortKey ? (state.sort!.descending ? "↓" : "↑") : "";
    // The sort arrow must stay visible, so a header that fills its column gives way to it.
    if (arrow === "") return fit(title, widths[i]!, c.numeric);
    return title.length + 1 > widths[i]! ? fit(title, widths[i]! - 1, false) + arrow : fit(title + arrow, widths[i]!, c.numeric);
  });
  // "More columns" markers: ◀ in the gutter when columns are scrolled off to the left, ▶ at the right edge.
  const moreLeft = state.left > frozen ? "◀" : " ";
  const moreRight = cols.length > 0 && cols[cols.length - 1]! < data.columns.length - 1 ? " ▶" : "";

  return (
    <Box flexDirection="column">
      <Text bold>
        {`   ${moreLeft}`}
        {header.join(gap)}
        {moreRight}
      </Text>
      {shown.length === 0 ? <Text dimColor>{state.filter !== "" ? "  no runs match the filter" : "  no runs"}</Text> : null}
      {shown.map((row, k) => {
        const at = state.top + k;
        const isCursorRow = at === state.row;
        const mark = state.marked.has(row.run.id) ? "*" : " ";
        const role = groupRole(row);
        const fold = role === "batch" ? (state.collapsed.has(row.run.id) ? "▸" : "▾") : role === "trial" ? "│" : " ";
        return (
          <Text key={row.run.id} bold={isCursorRow}>
            {isCursorRow ? ">" : " "}
            {mark}
            {fold}{" "}
            {cols.map((i, j) => {
              const c = data.columns[i]!;
              const text = fit(row.cells[i]!, widths[i]!, c.numeric);
              const statusColor = color && c.key === ".status" ? STATUS_COLORS[row.run.status] : undefined;
              // A flag recorded as null reads `null`, dimmed: not a text flag "null", nor a value the run lacks.
              const dim = color && c.kind === "flag" && row.isNull(i);
              return (
                <Text key={c.key}>
                  {j > 0 ? gap : ""}
                  <Text inverse={isCursorRow && i === state.col} color={statusColor} dimColor={dim}>
                    {text}
                  </Text>
                </Text>
              );
            })}
          </Text>
        );
      })}
    </Box>
  );
}

/**
 * Pads to exactly `width` (numbers on the right), cutting long text with an
 * ellipsis. Cells come escaped from the compare builder, as the table's do
 * (`a\nb`); escaping again changes nothing and keeps any other text on its line.
 */
export function fit(text: string, width: number, right: boolean): string {
  const oneLine = escapeControlChars(text);
  if (oneLine.length > width) return oneLine.slice(0, Math.max(0, width - 1)) + "…";
  return right ? oneLine.padStart(width) : oneLine.padEnd(width);
}
