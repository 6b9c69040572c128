// CSV of the comparison (pure), RFC 4180: CRLF line ends, fields quoted when
// they hold a comma, a quote, a line break or edge spaces, quotes doubled.
// Cells carry raw values (full-precision numbers, ISO times) for other tools.

import type { CellValue, CompareData } from "../query/compare-data.js";

/** Renders the header line and one line per row, each ending in CRLF. */
export function renderCsv(data: CompareData): string {
  const lines = [data.columns.map((c) => quoteCsvField(c.header))];
  for (const row of data.rows) lines.push(row.values.map((v) => quoteCsvField(csvText(v))));
  return lines.map((fields) => fields.join(",") + "\r\n").join("");
}

function csvText(v: CellValue): string {
  if (v === null) return "";
  return String(v);
}

export function quoteCsvField(text: string): string {
  if (/[",\r\n]/.test(text) || text !== text.trim()) return `"${text.replaceAll('"', '""')}"`;
  return text;
}
