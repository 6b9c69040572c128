import { describe, expect, it } from "vitest";
import { NotFoundError, UsageError } from "../../src/errors.js";
import {
  checkRunSpecs,
  describeNoMatch,
  describePrefixMiss,
  filterRuns,
  indexRuns,
  matchesPrefix,
  selectRuns,
} from "../../src/query/select.js";
import type { Run, RunStatus } from "../../src/store/types.js";

function run(id: string, status: RunStatus = "completed", extra: Partial<Run["record"]> = {}): Run {
  return {
    id,
    dir: `/x/${id}`,
    status,
    record: {
      format: 1,
      id,
      op: "train.py",
      cmd: [],
      cwd: "/",
      flags: {},
      created: "",
      started: null,
      stopped: null,
      exit_status: null,
      label: "",
      tags: [],
      ...extra,
    },
  };
}

const ids = ["aa11", "aa22", "bb33", "cc44", "dd55"].map((p) => p.padEnd(32, "0"));
const all = indexRuns(ids.map((id) => run(id)));

describe("selectRuns", () => {
  it("selects by index, 1 being the latest", () => {
    expect(selectRuns(all, ["1"]).map((r) => r.run.id)).toEqual([ids[0]]);
    expect(selectRuns(all, ["3"]).map((r) => r.index)).toEqual([3]);
  });

  it("selects inclusive ranges with open ends, clamped to what exists", () => {
    expect(selectRuns(all, ["2:3"]).map((r) => r.index)).toEqual([2, 3]);
    expect(selectRuns(all, [":2"]).map((r) => r.index)).toEqual([1, 2]);
    expect(selectRuns(all, ["4:"]).map((r) => r.index)).toEqual([4, 5]);
    expect(selectRuns(all, ["1:20"]).map((r) => r.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it("reads digits with a leading zero, or six or more, as an id prefix", () => {
    const numeric = indexRuns(["0707", "123456"].map((p) => run(p.padEnd(32, "0"))));
    expect(selectRuns(numeric, ["0707"]).map((r) => r.index)).toEqual([1]);
    expect(selectRuns(numeric, ["123456"]).map((r) => r.index)).toEqual([2]);
    expect(selectRuns(numeric, ["2"]).map((r) => r.index)).toEqual([2]);
  });

  it("selects by unique id prefix and keeps list order without repeats", () => {
    expect(selectRuns(all, ["bb", "1", "aa1"]).map((r) => r.index)).toEqual([1, 3]);
  });

  it("rejects an ambiguous prefix with exit 2, listing the candidates", () => {
    const err = (() => {
      try {
        selectRuns(all, ["aa"]);
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err!.exitCode).toBe(2);
    expect(err!.message).toContain("aa11");
    expect(err!.message).toContain("aa22");
  });

  it("exits 3 when nothing matches or the index is past the end", () => {
    expect(() => selectRuns(all, ["ee"])).toThrow(NotFoundError);
    expect(() => selectRuns(all, ["9"])).toThrow(/no run at index 9 \(there are 5 runs\)/);
  });

  it("rejects malformed specs with exit 2", () => {
    expect(() => selectRuns(all, ["3:1"])).toThrow(UsageError);
    expect(() => selectRuns(all, ["x-y"])).toThrow(UsageError);
  });
});

describe("filterRuns", () => {
  const runs = indexRuns([
    run("1".repeat(32), "error", { op: "train.py", label: "first try", tags: ["a"] }),
    run("2".repeat(32), "completed", { op: "grid", tags: ["a", "b"] }),
  ]);

  it("filters by op substring, status, label and every tag", () => {
    expect(filterRuns(runs, { op: "train" })).toHaveLength(1);
    expect(filterRuns(runs, { status: ["completed"] })[0]!.run.record.op).toBe("grid");
    expect(filterRuns(runs, { label: "try" })).toHaveLength(1);
    expect(filterRuns(runs, { tag: ["a", "b"] })).toHaveLength(1);
  });

  it("rejects an unknown status", () => {
    expect(() => filterRuns(runs, { status: "done" })).toThrow(/unknown status "done"/);
  });
});

describe("checkRunSpecs", () => {
  it("accepts indexes, ranges and id prefixes without looking at a store", () => {
    expect(() => checkRunSpecs(["1", "1:20", ":5", "3:", ":", "a1b2c3", "0123456"])).not.toThrow();
  });

  it("rejects what cannot name a run: paths, empty text, reversed or zero ranges", () => {
    for (const spec of ["../../x", "", " ", "x/y", "5:2", "0:3", "1:2:3"]) {
      expect(() => checkRunSpecs([spec]), spec).toThrow(UsageError);
    }
  });
});

describe("--prefix", () => {
  const runs = indexRuns([
    run("a1", "completed", { prefix: "alice/hyperparameter-search/search-lr0.1-bs16" }),
    run("a2", "completed", { prefix: "alice/hyperparameter-search/search-lr0.01-bs32" }),
    run("a3", "completed", { prefix: "alice/hyperparameter-search-2/x" }),
    run("b1", "completed", { prefix: "bob/bayes-opt/trial-0" }),
    run("c1"),
  ]);

  it("selects runs whose prefix starts with whole path segments", () => {
    expect(filterRuns(runs, { prefix: "alice/hyperparameter-search" }).map((r) => r.run.id)).toEqual(["a1", "a2"]);
    expect(filterRuns(runs, { prefix: "/alice//hyperparameter-search/" }).map((r) => r.run.id)).toEqual(["a1", "a2"]);
    expect(filterRuns(runs, { prefix: "alice" }).map((r) => r.run.id)).toEqual(["a1", "a2", "a3"]);
    expect(filterRuns(runs, { prefix: "alice/hyperparameter-search/search-lr0.1-bs16" }).map((r) => r.run.id)).toEqual(["a1"]);
  });

  it("does not match part of a segment, nor a run without a prefix", () => {
    expect(filterRuns(runs, { prefix: "alice/hyper" })).toEqual([]);
    expect(matchesPrefix(undefined, "alice")).toBe(false);
  });

  it("refuses a prefix with no segment as a usage error", () => {
    expect(() => filterRuns(runs, { prefix: "//" })).toThrow(UsageError);
  });

  it("names the prefixes there are when one selects nothing", () => {
    const all = runs.map((r) => r.run);
    expect(describePrefixMiss(all, "alice/hyperparameter-serach")).toBe(
      'no run has a prefix under "alice/hyperparameter-serach"; prefixes under alice: alice/hyperparameter-search, alice/hyperparameter-search-2',
    );
    expect(describePrefixMiss(all, "carol")).toBe('no run has a prefix under "carol"; prefixes here: alice, bob');
    expect(describePrefixMiss([run("x")], "alice")).toMatch(/no run here has a prefix/);
  });
});

describe("the note when compare selects nothing", () => {
  const store = [
    run("a".repeat(32)),
    run("b".repeat(32), "error", { op: "grid" }),
    run("c".repeat(32), "completed", { op: "examples/cnn.py" }),
  ].map((r) => ({ run: r }));

  it("blames the store only when it has no runs", () => {
    expect(describeNoMatch([], [], { op: "x" }, 0)).toBe("no runs to compare; see g runs");
  });

  it("names the filters given, with a did-you-mean for --op against the store's ops", () => {
    expect(describeNoMatch(store, [], { op: "trian" }, 0)).toBe("no run matches --op trian; did you mean --op train?");
    expect(describeNoMatch(store, [], { op: "cnnn", status: "error" }, 0)).toBe(
      "no run matches --op cnnn --status error; did you mean --op cnn?",
    );
    expect(describeNoMatch(store, [], { op: "nosuch" }, 0)).toBe(
      'no run matches --op nosuch (no run\'s op contains "nosuch"; ops here: examples/cnn.py, grid, train.py)',
    );
    expect(describeNoMatch(store, ["1:2"], { op: "train", status: ["error"], tag: ["a b"] }, 0)).toBe(
      'no run matches 1:2 --op train --status error --tag "a b" (of 3 runs in the store); see g runs',
    );
  });

  it("names --filter when runs reached it", () => {
    expect(describeNoMatch(store, [], { op: "train", filter: "x > 5" }, 2)).toBe(
      'no run matches --op train --filter "x > 5" (2 runs selected before --filter)',
    );
    expect(describeNoMatch(store, [], { op: "nosuch", filter: "x > 5" }, 0)).toMatch(/^no run matches --op nosuch \(/);
  });
});
