// The details pane for the run under the cursor: its attributes and flags,
// a sparkline per scalar, and the tail of its output.

import { Box, Text } from "ink";
import { formatOutputLine } from "../format/output-line.js";
import { escapeControlChars, formatNumber } from "../format/values.js";
import type { CompareRow } from "../query/compare-data.js";
import type { ScalarRecord } from "../store/types.js";
import { groupScalars, renderSparkline } from "./sparkline.js";

/** Lines the pane takes, so the table can give it room. */
export const DETAILS_HEIGHT = 14;
const MAX_SCALARS = 5;
export const OUTPUT_LINES = 4;
const SPARK_WIDTH = 30;

export interface DetailsPaneProps {
  row: CompareRow | undefined;
  scalars: ScalarRecord[];
  output: string[];
  width: number;
}

export function DetailsPane({ row, scalars, output, width }: DetailsPaneProps) {
  if (row === undefined) {
    return (
      <Box borderStyle="single" flexDirection="column" width={width}>
        <Text dimColor>no run selected</Text>
      </Box>
    );
  }
  const rec = row.run.record;
  const inner = Math.max(10, width - 4);
  const flags = Object.entries(rec.flags)
    .map(([k, v]) => escapeControlChars(`${k}=${v === null ? "null" : String(v)}`))
    .join("  ");
  const groups = [...groupScalars(scalars)].slice(0, MAX_SCALARS);
  // A scalar's key as a header shows it: an SDK may log any text as a key.
  const names = new Map(groups.map(([k]) => [k, escapeControlChars(k)]));
  const nameWidth = Math.min(16, Math.max(4, ...[...names.values()].map((n) => n.length)));
  const batch = rec.batch !== undefined ? `  batch ${rec.batch.slice(0, 8)}${rec.trial !== undefined ? ` trial ${rec.trial}` : ""}` : "";
  return (
    <Box borderStyle="single" flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold>{row.run.id}</Text> {escapeControlChars(rec.op)} [{row.run.status}]
        {rec.label !== "" ? ` ${escapeControlChars(rec.label)}` : ""}
        {batch}
      </Text>
      <Text wrap="truncate-end">flags: {flags === "" ? "(none)" : flags}</Text>
      {groups.length === 0 ? <Text dimColor>no scalars</Text> : null}
      {groups.map(([key, values]) => {
        const last = values[values.length - 1]!;
        const name = names.get(key)!;
        return (
          <Text key={key} wrap="truncate-end">
            {name.length > nameWidth ? name.slice(0, nameWidth - 1) + "…" : name.padEnd(nameWidth)} {renderSparkline(values, SPARK_WIDTH)}{" "}
            last {formatNumber(last)} min {formatNumber(Math.min(...values))} max {formatNumber(Math.max(...values))}
          </Text>
        );
      })}
      <Text dimColor>output:</Text>
      {output.length === 0 ? <Text dimColor>(no output)</Text> : null}
      {output.slice(-OUTPUT_LINES).map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {formatOutputLine(line).slice(0, inner)}
        </Text>
      ))}
    </Box>
  );
}
