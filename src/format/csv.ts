// CSV of the comparison (pure), RFC 4180: CRLF line ends, fields quoted when
// they hold a comma, a quote, a line break or edge spaces, quotes doubled.
// Cells carry raw values (full-precision numbers, ISO times) for other tools.
//
// An unquoted field reads back as the value it was: empty is a value the run
// lacks, `null` a flag recorded as null, `true`/`false` booleans, the rest
// numbers or text. A text that would read as one of those (`""`, "null",
// "true", "false", "0.1", "NaN") is quoted, so each stays apart from the
// value it spells.

import type { CellValue, CompareData } from "../query/compare-data.js";

/** Renders the header line and one line per row, each ending in CRLF. */
export function renderCsv(data: CompareData): string {
  const lines = [data.columns.map((c) => quoteCsvField(c.header))];
  for (const row of data.rows) lines.push(row.values.map((v, i) => csvField(v, row.isNull(i))));
  return lines.map((fields) => fields.join(",") + "\r\n").join("");
}

/** A cell's field: see the head of this file. `isNull`: the run holds it, as null. */
export function csvField(v: CellValue, isNull: boolean): string {
  if (v === null) return isNull ? "null" : "";
  if (typeof v !== "string") return String(v);
  return looksLikeOtherValue(v) ? `"${v.replaceAll('"', '""')}"` : quoteCsvField(v);
}

/** Text an unquoted field would read as something else: nothing, null, a boolean or a number. */
const OTHER_VALUE = /^(?:|null|true|false|NaN|[-+]?Infinity|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$/;

function looksLikeOtherValue(text: string): boolean {
  return OTHER_VALUE.test(text);
}

export function quoteCsvField(text: string): string {
  if (/[",\r\n]/.test(text) || text !== text.trim()) return `"${text.replaceAll('"', '""')}"`;
  return text;
}
