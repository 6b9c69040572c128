// The view app's data source: a runs-table delta applied to the table it was asked against.
import { describe, expect, it } from "vitest";
import type { RunsDelta, RunsResponse, RunsRow } from "../../src/view/api.js";
import { applyRunsDelta } from "../../src/view/app/source.js";

function row(id: string, loss: number): RunsRow {
  return {
    id,
    shortId: id.slice(0, 8),
    index: 1,
    status: "running",
    label: "",
    op: "train.py",
    batch: null,
    trial: null,
    sweep: null,
    values: [loss],
    cells: [String(loss)],
  };
}

describe("applyRunsDelta", () => {
  const last: RunsResponse = {
    columns: [{ key: "last loss", header: "loss", kind: "scalar", numeric: true }],
    rows: [row("a".repeat(32), 1), row("b".repeat(32), 2), row("c".repeat(32), 3)],
    warnings: ["old"],
    version: 4,
    total: 3,
  };

  it("puts each changed row at its place and takes the delta's version, total and warnings", () => {
    const delta: RunsDelta = {
      delta: true,
      base: 4,
      version: 7,
      total: 3,
      warnings: [],
      changed: [{ at: 1, row: { ...row("b".repeat(32), 0.5), status: "completed" } }],
    };
    const next = applyRunsDelta(last, delta);
    expect(next.rows.map((r) => r.values[0])).toEqual([1, 0.5, 3]);
    expect(next.rows[1]!.status).toBe("completed");
    expect(next).toMatchObject({ version: 7, total: 3, warnings: [], columns: last.columns });
  });

  it("leaves the table it was given as it was", () => {
    const delta: RunsDelta = {
      delta: true,
      base: 4,
      version: 5,
      total: 3,
      warnings: [],
      changed: [{ at: 0, row: row("a".repeat(32), 9) }],
    };
    applyRunsDelta(last, delta);
    expect(last.rows[0]!.values[0]).toBe(1);
    expect(last.version).toBe(4);
  });
});
