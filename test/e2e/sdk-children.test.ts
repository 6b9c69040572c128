// Several SDK experiments inside one `g run` (issue 12, item 3): each
// Experiment with its own prefix becomes its own run, a child of the g run
// (run.json `parent`), with its own label, params, tags, description,
// metrics and messages; the first one is moved out of the g run when the
// second starts. `g compare` lists the 9 experiments of the seed's grid, not
// the process that ran them; `g runs info` shows the links. A script with a
// single Experiment still records into the g run itself (sdk-python.test.ts).

import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { g } from "../helpers/g.js";
import { DIST, EXAMPLES, cleanTempDirs, tempDir } from "../helpers/paths.js";

afterEach(cleanTempDirs);

interface RunRow {
  id: string;
  op: string;
  status: string;
  label: string;
  tags: string[];
  flags: Record<string, unknown>;
  parent: string | null;
  description: string | null;
  dir: string;
}

function runsOf(home: string): RunRow[] {
  const res = g(["runs", "list", "--json"], { home });
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as RunRow[];
}

function scalarLines(dir: string): Array<{ key: string; value: number; step: number | null; exp?: string }> {
  const path = join(dir, "scalars.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Checks the 9 experiments of the seed's grid, recorded under g run as children of one run. */
function expectSeedGrid(home: string, messages: RegExp[]): void {
  const all = runsOf(home);
  expect(all).toHaveLength(10);
  const enclosing = all.filter((r) => r.parent === null);
  expect(enclosing).toHaveLength(1);
  const parent = enclosing[0]!;
  expect(parent.status).toBe("completed");
  // Nothing of the experiments stays on the enclosing run.
  expect(parent.label).toBe("");
  expect(parent.tags).toEqual([]);
  expect(parent.description).toBeNull();
  expect(Object.keys(parent.flags).filter((k) => ["learning_rate", "batch_size", "optimizer", "epochs"].includes(k))).toEqual([]);
  expect(scalarLines(parent.dir).filter((s) => s.key.startsWith("train/") || s.key === "epoch")).toEqual([]);
  expect(existsSync(join(parent.dir, "params.json"))).toBe(false);

  const children = all.filter((r) => r.parent === parent.id);
  expect(children).toHaveLength(9);
  const combos = children.map((r) => `${r.flags.learning_rate}/${r.flags.batch_size}`).sort();
  expect(combos).toEqual(["0.001/16", "0.001/32", "0.001/64", "0.01/16", "0.01/32", "0.01/64", "0.1/16", "0.1/32", "0.1/64"]);
  for (const run of children) {
    const lr = run.flags.learning_rate;
    const bs = run.flags.batch_size;
    expect(run.status).toBe("completed");
    expect(run.op).toBe("alice/hyperparameter-search");
    expect(run.label).toBe(`search-lr${lr}-bs${bs}`);
    expect(run.tags).toEqual(["grid-search", `lr-${lr}`, `bs-${bs}`]);
    expect(run.description).toBe(`Grid search: lr=${lr}, batch_size=${bs}`);
    expect(run.flags).toEqual({ learning_rate: lr, batch_size: bs, optimizer: "sgd", epochs: 10 });
    const lines = scalarLines(run.dir);
    for (const key of ["train/loss", "train/accuracy", "epoch"]) {
      expect(
        lines.filter((s) => s.key === key).map((s) => s.step),
        `${run.label} ${key}`,
      ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    expect(lines.some((s) => "exp" in s)).toBe(false);
    expect(existsSync(join(run.dir, "LOCK"))).toBe(false);
    const log = readFileSync(join(run.dir, "output.log"), "utf8").trimEnd().split("\n");
    expect(log).toHaveLength(messages.length);
    messages.forEach((m, i) => expect(log[i]).toMatch(m));
    expect(log[0]).toContain(`lr=${lr}, bs=${bs}`);
  }

  // compare: the 9 experiments, one row each, and a note naming the enclosing run.
  const compare = g(["compare", "--json"], { home });
  expect(compare.code, compare.stderr).toBe(0);
  const rows = JSON.parse(compare.stdout) as Array<{ id: string; parent: string | null; scalars: Record<string, { count: number }> }>;
  expect(rows).toHaveLength(9);
  for (const row of rows) {
    expect(row.parent).toBe(parent.id);
    expect(row.scalars["train/loss"]!.count).toBe(10);
  }
  expect(compare.stderr).toContain(`g compare ${parent.id.slice(0, 8)}`);
  const table = g(["compare", "-T", "-c", ".parent, train/accuracy"], { home });
  expect(table.stdout.trim().split("\n")).toHaveLength(10);
  // Named, the enclosing run is compared like any other.
  const named = JSON.parse(g(["compare", "--json", parent.id.slice(0, 8)], { home }).stdout) as Array<{ id: string }>;
  expect(named.map((r) => r.id)).toEqual([parent.id]);

  const info = g(["runs", "info", parent.id], { home });
  expect(info.stdout).toContain("children:  9\n");
  for (const c of children) expect(info.stdout).toContain(`  ${c.id.slice(0, 8)} [`);
  const childInfo = g(["runs", "info", children[0]!.id], { home });
  expect(childInfo.stdout).toContain(`parent:    ${parent.id} [10] (completed)`);
  expect(JSON.parse(g(["runs", "info", parent.id, "--json"], { home }).stdout).children).toHaveLength(9);
}

describe("the seed's grid search under g run", () => {
  it("Python: g run -y grid_search.py records 9 experiments as 9 child runs", () => {
    const home = tempDir();
    const res = g(["run", "-y", join(EXAMPLES, "sdk", "grid_search.py")], { home, cwd: home });
    expect(res.code, res.stderr).toBe(0);
    // Messages are still shown under g run, and the g run's output.log has all of them.
    expect(res.stdout.match(/ INFO Starting training/g)).toHaveLength(9);
    expectSeedGrid(home, [/Z INFO Starting training with lr=/, /Z INFO Final accuracy: 0\.\d{4}$/]);
  });

  it("TypeScript: the same grid with g-runs records 9 child runs", () => {
    const home = tempDir();
    const script = join(home, "grid.mjs");
    writeFileSync(
      script,
      `import { Experiment } from ${JSON.stringify(join(DIST, "sdk", "index.js"))};
for (const lr of [0.1, 0.01, 0.001]) {
  for (const bs of [16, 32, 64]) {
    await new Experiment({ prefix: \`alice/hyperparameter-search/search-lr\${lr}-bs\${bs}\`, description: \`Grid search: lr=\${lr}, batch_size=\${bs}\`, tags: ["grid-search", \`lr-\${lr}\`, \`bs-\${bs}\`] }).run((e) => {
      e.params.set({ learning_rate: lr, batch_size: bs, optimizer: "sgd", epochs: 10 });
      e.log(\`Starting training with lr=\${lr}, bs=\${bs}\`);
      for (let epoch = 0; epoch < 10; epoch++) {
        e.metrics("train").log({ loss: lr / (epoch + 1), accuracy: Math.min(0.95, 0.5 + epoch * 0.05 * (32 / bs)) });
        e.metrics.log({ epoch }).flush();
      }
      e.log("Final accuracy: 0.9500");
    });
  }
}
`,
    );
    const res = g(["run", "-y", script], { home, cwd: home });
    expect(res.code, res.stderr).toBe(0);
    expectSeedGrid(home, [/Z INFO Starting training with lr=/, /Z INFO Final accuracy: 0\.\d{4}$/]);
  });
});

describe("neighbouring cases", () => {
  it("moves a first experiment that is still running, keeps the g run's own scalars, and records a failed one as error", () => {
    const home = tempDir();
    const script = join(home, "nested.py");
    writeFileSync(
      script,
      [
        "import g_runs as g",
        "from g_runs import Experiment",
        "print('own: 1.5', flush=True)",
        "g.log(steps_total=3)",
        "outer = Experiment(prefix='p/outer', tags=['outer']).run.start()",
        "outer.params.set(depth=2)",
        "outer.metrics.log(loss=0.9, step=0).flush()",
        "outer.log('outer begins')",
        "with Experiment(prefix='p/inner', tags=['inner']).run as inner:",
        "    inner.params.set(depth=5)",
        "    inner.metrics.log(loss=0.5, step=0).flush()",
        "# The outer experiment goes on after it was moved into a child run.",
        "outer.metrics.log(loss=0.8, step=1).flush()",
        "outer.log('outer ends')",
        "outer.run.complete()",
        "try:",
        "    with Experiment(prefix='p/broken').run as broken:",
        "        broken.metrics.log(loss=2.0, step=0).flush()",
        "        raise ValueError('diverged')",
        "except ValueError:",
        "    pass",
        "g.log(steps_total=4)",
        "",
      ].join("\n"),
    );
    const res = g(["run", "-y", script], { home, cwd: home });
    expect(res.code, res.stderr).toBe(0);
    const all = runsOf(home);
    expect(all).toHaveLength(4);
    const parent = all.find((r) => r.parent === null)!;
    const byLabel = Object.fromEntries(all.filter((r) => r.parent === parent.id).map((r) => [r.label, r]));
    expect(Object.keys(byLabel).sort()).toEqual(["broken", "inner", "outer"]);

    expect(byLabel.outer).toMatchObject({ status: "completed", tags: ["outer"], flags: { depth: 2 } });
    expect(scalarLines(byLabel.outer!.dir).map((s) => [s.key, s.value, s.step])).toEqual([
      ["loss", 0.9, 0],
      ["loss", 0.8, 1],
    ]);
    expect(readFileSync(join(byLabel.outer!.dir, "output.log"), "utf8")).toMatch(/INFO outer begins\n.*INFO outer ends\n$/);
    expect(byLabel.inner).toMatchObject({ status: "completed", tags: ["inner"], flags: { depth: 5 } });
    expect(byLabel.broken!.status).toBe("error");
    const brokenInfo = g(["runs", "info", byLabel.broken!.id], { home });
    expect(brokenInfo.stdout).toContain("error:     ValueError: diverged");

    // The g run keeps what it recorded itself: its output's scalars and the short form's.
    expect(parent.status).toBe("completed");
    expect(parent.tags).toEqual([]);
    expect(parent.flags).toEqual({});
    expect(
      scalarLines(parent.dir)
        .map((s) => [s.key, s.value])
        .sort(),
    ).toEqual([
      ["own", 1.5],
      ["steps_total", 3],
      ["steps_total", 4],
    ]);
  });

  it("TypeScript: moves a first experiment that is still running; the g run keeps its own scalars", () => {
    const home = tempDir();
    const script = join(home, "nested.mjs");
    writeFileSync(
      script,
      `import { Experiment, log } from ${JSON.stringify(join(DIST, "sdk", "index.js"))};
console.log("own: 1.5");
log({ steps_total: 3 });
const outer = new Experiment({ prefix: "p/outer", tags: ["outer"] }).start();
outer.params.set({ depth: 2 });
outer.metrics.log({ loss: 0.9, step: 0 }).flush();
outer.log("outer begins");
await new Experiment({ prefix: "p/inner", tags: ["inner"] }).run((inner) => {
  inner.params.set({ depth: 5 });
  inner.metrics.log({ loss: 0.5, step: 0 }).flush();
});
outer.metrics.log({ loss: 0.8, step: 1 }).flush();
outer.log("outer ends");
outer.finish();
await new Experiment({ prefix: "p/broken" }).run(() => { throw new Error("diverged"); }).catch(() => undefined);
`,
    );
    const res = g(["run", "-y", script], { home, cwd: home });
    expect(res.code, res.stderr).toBe(0);
    const all = runsOf(home);
    expect(all).toHaveLength(4);
    const parent = all.find((r) => r.parent === null)!;
    const byLabel = Object.fromEntries(all.filter((r) => r.parent === parent.id).map((r) => [r.label, r]));
    expect(byLabel.outer).toMatchObject({ status: "completed", tags: ["outer"], flags: { depth: 2 } });
    expect(scalarLines(byLabel.outer!.dir).map((s) => [s.key, s.value, s.step])).toEqual([
      ["loss", 0.9, 0],
      ["loss", 0.8, 1],
    ]);
    expect(readFileSync(join(byLabel.outer!.dir, "output.log"), "utf8")).toMatch(/INFO outer begins\n.*INFO outer ends\n$/);
    expect(byLabel.inner).toMatchObject({ status: "completed", tags: ["inner"], flags: { depth: 5 } });
    expect(byLabel.broken!.status).toBe("error");
    expect(parent).toMatchObject({ status: "completed", tags: [], flags: {}, label: "" });
    expect(
      scalarLines(parent.dir)
        .map((s) => [s.key, s.value])
        .sort(),
    ).toEqual([
      ["own", 1.5],
      ["steps_total", 3],
    ]);
  });

  it("an Experiment started again with the same prefix keeps writing into the g run", () => {
    const home = tempDir();
    const script = join(home, "resume.py");
    writeFileSync(
      script,
      [
        "from g_runs import Experiment",
        "for part in range(2):",
        "    with Experiment(prefix='p/resumed').run as e:",
        "        e.metrics.log(loss=1.0 / (part + 1), step=part).flush()",
        "",
      ].join("\n"),
    );
    expect(g(["run", "-y", script], { home, cwd: home }).code).toBe(0);
    const [run, ...rest] = runsOf(home);
    expect(rest).toEqual([]);
    expect(run!.label).toBe("resumed");
    expect(scalarLines(run!.dir).map((s) => s.value)).toEqual([1, 0.5]);
  });
});
