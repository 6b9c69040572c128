// The runs table's model (pure): sorting by any column with missing values
// last, grouping trials under their batch and sweep runs under their sweep,
// collapsing groups, and which batch or sweep a selection points at. The page
// (runs-page.ts) only draws the flat list of items this returns.

import type { ApiCellValue, RunsColumn, RunsRow } from "../api.js";

export interface SortState {
  /** Index into the response's columns. */
  column: number;
  descending: boolean;
}

/** One line of the table: a run (a trial sits at depth 1 under its batch), or a sweep's heading. */
export type TableItem =
  | { kind: "run"; row: RunsRow; depth: 0 | 1; children: number; collapsed: boolean }
  | { kind: "sweep"; sweep: string; runs: number; collapsed: boolean };

/** Whether a cell has no value (missing values sort last in either direction). */
export function isMissing(value: ApiCellValue | undefined): boolean {
  return value === null || value === undefined || value === "" || (typeof value === "number" && Number.isNaN(value));
}

/** Orders two present values: numerically for numeric columns (and number pairs), else as text with digits compared by value. */
export function compareValues(a: ApiCellValue, b: ApiCellValue, numeric: boolean): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (numeric) {
    const x = Number(a);
    const y = Number(b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  }
  const x = String(a);
  const y = String(b);
  // numeric collation calls `lr0.001` and `lr0.01` equal (both digit runs read as 1): ties fall back to code points
  return x.localeCompare(y, undefined, { numeric: true }) || (x < y ? -1 : x > y ? 1 : 0);
}

/** A comparator of rows for a sort state; null keeps the server's order. */
export function rowComparator(columns: RunsColumn[], sort: SortState | null): ((a: RunsRow, b: RunsRow) => number) | null {
  if (sort === null) return null;
  const column = columns[sort.column];
  if (column === undefined) return null;
  const sign = sort.descending ? -1 : 1;
  return (a, b) => {
    const x = a.values[sort.column];
    const y = b.values[sort.column];
    const missingX = isMissing(x);
    const missingY = isMissing(y);
    if (missingX || missingY) return missingX === missingY ? 0 : missingX ? 1 : -1;
    return sign * compareValues(x as ApiCellValue, y as ApiCellValue, column.numeric);
  };
}

interface Unit {
  /** The batch run, or null for a sweep's group. */
  head: RunsRow | null;
  sweep: string | null;
  members: RunsRow[];
  firstPosition: number;
}

/**
 * The table's lines: top-level runs and groups in sort order (a group by its
 * best member under the sort), each group's members sorted the same way
 * under it unless the group is collapsed.
 */
export function buildTableItems(
  rows: RunsRow[],
  columns: RunsColumn[],
  sort: SortState | null,
  collapsed: ReadonlySet<string>,
): TableItem[] {
  const present = new Set(rows.map((r) => r.id));
  const units = new Map<string, Unit>();
  const order: Unit[] = [];
  const unitFor = (key: string, make: () => Unit): Unit => {
    let unit = units.get(key);
    if (unit === undefined) {
      unit = make();
      units.set(key, unit);
      order.push(unit);
    }
    return unit;
  };
  rows.forEach((row, position) => {
    if (row.batch !== null && present.has(row.batch)) {
      unitFor(`run:${row.batch}`, () => ({ head: null, sweep: null, members: [], firstPosition: position })).members.push(row);
    } else if (row.sweep !== null) {
      unitFor(`sweep:${row.sweep}`, () => ({ head: null, sweep: row.sweep, members: [], firstPosition: position })).members.push(row);
    } else {
      const unit = unitFor(`run:${row.id}`, () => ({ head: row, sweep: null, members: [], firstPosition: position }));
      unit.head = row;
      unit.firstPosition = Math.min(unit.firstPosition, position);
    }
  });
  const compare = rowComparator(columns, sort);
  if (compare !== null) for (const unit of order) unit.members.sort(compare);
  // a group goes where its best row goes: the batch run or its best trial (members are sorted already)
  const leader = (unit: Unit): RunsRow | undefined => {
    const first = unit.members[0];
    if (unit.head === null || first === undefined) return unit.head ?? first;
    return compare !== null && compare(first, unit.head) < 0 ? first : unit.head;
  };
  order.sort((a, b) => {
    if (compare !== null) {
      const x = leader(a);
      const y = leader(b);
      if (x !== undefined && y !== undefined) {
        const c = compare(x, y);
        if (c !== 0) return c;
      }
    }
    return a.firstPosition - b.firstPosition;
  });
  const items: TableItem[] = [];
  for (const unit of order) {
    if (unit.head !== null) {
      const key = unit.head.id;
      const isCollapsed = collapsed.has(key);
      items.push({ kind: "run", row: unit.head, depth: 0, children: unit.members.length, collapsed: isCollapsed });
      if (!isCollapsed)
        for (const member of unit.members) items.push({ kind: "run", row: member, depth: 1, children: 0, collapsed: false });
    } else if (unit.sweep !== null) {
      const isCollapsed = collapsed.has(unit.sweep);
      items.push({ kind: "sweep", sweep: unit.sweep, runs: unit.members.length, collapsed: isCollapsed });
      if (!isCollapsed)
        for (const member of unit.members) items.push({ kind: "run", row: member, depth: 1, children: 0, collapsed: false });
    }
  }
  return items;
}

/**
 * The batch or sweep a selection points at, for the Search button: a selected
 * batch run, or the one batch (or sweep) that every selected run belongs to.
 */
export function findSearchTarget(rows: RunsRow[], selected: ReadonlySet<string>): string | null {
  if (selected.size === 0) return null;
  const batches = new Set(rows.filter((r) => r.batch !== null).map((r) => r.batch as string));
  const targets = new Set<string>();
  for (const row of rows) {
    if (!selected.has(row.id)) continue;
    if (batches.has(row.id)) targets.add(row.id);
    else if (row.batch !== null) targets.add(row.batch);
    else if (row.sweep !== null) targets.add(row.sweep);
    else return null;
  }
  return targets.size === 1 ? [...targets][0]! : null;
}
