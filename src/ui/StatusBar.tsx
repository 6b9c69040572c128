// The bottom line: position, marks, sort, filter (with a cursor while it is
// typed), and the last message.

import { Text } from "ink";
import { escapeControlChars } from "../format/values.js";
import { applyFilter, type ViewState } from "./state.js";

export function StatusBar({ state, shown, refreshing }: { state: ViewState; shown: number; refreshing: boolean }) {
  // Text that is not the --filter language still filters, as plain text; the bar says why.
  const filterError = state.filter.trim() !== "" ? applyFilter(state.data, state.filter).error : null;
  if (state.mode === "filter") {
    return (
      <Text wrap="truncate-end">
        /{state.filter}
        <Text inverse> </Text>
        {filterError !== null ? <Text color="yellow"> text match ({filterError})</Text> : null}
        <Text dimColor> Enter keeps, Esc clears</Text>
      </Text>
    );
  }
  const total = state.data.rows.length;
  // The short id too: once the columns scroll right, the run column is off screen.
  const id = state.selectedId !== null ? ` ${state.selectedId.slice(0, 8)}` : "";
  const parts = [shown === 0 ? "0 runs" : `run ${state.row + 1}/${shown}${shown !== total ? ` (of ${total})` : ""}${id}`];
  if (state.marked.size > 0) parts.push(`${state.marked.size} marked`);
  if (state.sort !== null) {
    const col = state.data.columns.find((c) => c.key === state.sort!.col);
    if (col !== undefined) parts.push(`sort ${col.header} ${state.sort.descending ? "desc" : "asc"}`);
  }
  if (state.filter !== "") parts.push(`filter "${state.filter}"${filterError !== null ? " (text)" : ""}`);
  if (refreshing) parts.push("live");
  return (
    <Text wrap="truncate-end">
      {/* A column's name, the filter or a message may quote what a run or the user holds: one line still. */}
      {escapeControlChars(parts.join(" · "))}
      {state.message !== null ? `  ${escapeControlChars(state.message)}` : ""}
      <Text dimColor> ? keys q quit</Text>
    </Text>
  );
}
