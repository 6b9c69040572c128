// Following a run's scalars.jsonl while its script runs (src/runner/scalar-tail.ts):
// the lines an SDK appends reach the runner's onScalar, whole lines only, from a
// file that may appear late, be replaced (an experiment moved into a child run)
// or go missing; the runner's own lines are not passed on twice. Real files in
// temp folders, real writers (the store's appends, the SDK's line mover, Python).

import { appendFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startRun } from "../../src/runner/execute.js";
import { buildEnv } from "../../src/runner/command.js";
import { followScalars, parseRecord, type ScalarTail } from "../../src/runner/scalar-tail.js";
import { appendScalarRecords } from "../../src/store/scalar-files.js";
import { RunStore } from "../../src/store/store.js";
import type { ScalarRecord } from "../../src/store/types.js";
import { moveMarkedLines } from "../../src/sdk/move-lines.js";
import { cleanTempDirs, tempDir } from "../helpers/paths.js";

const tails: ScalarTail[] = [];
afterEach(() => {
  for (const t of tails.splice(0)) t.close();
  cleanTempDirs();
});

/** Lines as the SDKs write them. */
function sdkLine(key: string, value: number, step: number | null, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ key, value, step, t: 1_700_000_000.5, ...extra }) + "\n";
}

function follow(path: string, opts: { watch?: boolean; pollMs?: number } = {}): { got: ScalarRecord[]; tail: ScalarTail } {
  const got: ScalarRecord[] = [];
  const tail = followScalars(path, (recs) => got.push(...recs), { pollMs: 20, ...opts });
  tails.push(tail);
  return { got, tail };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 100));
const values = (recs: ScalarRecord[]) => recs.map((r) => `${r.key}=${r.value}@${r.step}`);

describe("following scalars.jsonl", () => {
  for (const watch of [true, false]) {
    const how = watch ? "with fs.watch" : "by the poll alone";
    it(`passes on the lines of a file that appears after it started (${how})`, async () => {
      const path = join(tempDir(), "scalars.jsonl");
      const { got } = follow(path, { watch });
      await settle();
      expect(got).toEqual([]);
      appendFileSync(path, sdkLine("acc", 0.5, 0) + sdkLine("loss", 2, 0));
      await until(() => got.length === 2);
      appendFileSync(path, sdkLine("acc", 0.75, 1, { exp: "a1b2" }));
      await until(() => got.length === 3);
      expect(values(got)).toEqual(["acc=0.5@0", "loss=2@0", "acc=0.75@1"]);
      // The shape of a parsed output line: the SDK's mark is not passed on.
      expect(got[2]).toEqual({ key: "acc", value: 0.75, step: 1, t: 1_700_000_000.5 });
    });
  }

  it("waits for a line's newline, even across a character cut in two", async () => {
    const path = join(tempDir(), "scalars.jsonl");
    const { got } = follow(path);
    const line = Buffer.from(sdkLine("é/acc", 0.25, 3));
    // Cut inside the two bytes of "é".
    const cut = line.indexOf(0xa9);
    appendFileSync(path, line.subarray(0, cut));
    await settle();
    expect(got).toEqual([]);
    appendFileSync(path, line.subarray(cut, line.length - 1));
    await settle();
    expect(got).toEqual([]);
    appendFileSync(path, "\n");
    await until(() => got.length === 1);
    expect(values(got)).toEqual(["é/acc=0.25@3"]);
  });

  it("reads what is left when closed: a last line without its newline if whole, a torn one not", () => {
    const dir = tempDir();
    const whole = join(dir, "whole.jsonl");
    const a = follow(whole, { pollMs: 60_000 });
    appendFileSync(whole, sdkLine("acc", 1, 0) + sdkLine("acc", 2, 1).trimEnd());
    a.tail.close();
    expect(values(a.got)).toEqual(["acc=1@0", "acc=2@1"]);
    appendFileSync(whole, "\n" + sdkLine("acc", 3, 2));
    expect(a.got).toHaveLength(2);

    const torn = join(dir, "torn.jsonl");
    const b = follow(torn, { pollMs: 60_000 });
    appendFileSync(torn, sdkLine("acc", 1, 0) + sdkLine("acc", 2, 1).slice(0, 20));
    b.tail.close();
    expect(values(b.got)).toEqual(["acc=1@0"]);
  });

  it("leaves out what the file held when it started (a run rerun in place)", async () => {
    const path = join(tempDir(), "scalars.jsonl");
    writeFileSync(path, sdkLine("acc", 0.1, 0) + sdkLine("acc", 0.2, 1));
    const { got } = follow(path);
    appendFileSync(path, sdkLine("acc", 0.3, 0));
    await until(() => got.length === 1);
    expect(values(got)).toEqual(["acc=0.3@0"]);
  });

  it("does not pass on the lines the runner appends itself, however they interleave", async () => {
    const dir = tempDir();
    const path = join(dir, "scalars.jsonl");
    const { got, tail } = follow(path);
    const printed: ScalarRecord[] = [
      { key: "acc", value: 0.5, step: null, t: 1_700_000_001 },
      { key: "acc", value: 0.5, step: null, t: 1_700_000_001 },
    ];
    appendScalarRecords(dir, printed);
    tail.skip(printed);
    appendFileSync(path, sdkLine("acc", 0.5, 0));
    appendScalarRecords(dir, printed.slice(0, 1));
    tail.skip(printed.slice(0, 1));
    // A block read in two pieces (as a read may meet a write still under way).
    const later: ScalarRecord[] = [
      { key: "acc", value: 0.75, step: null, t: 1_700_000_002 },
      { key: "loss", value: 0.25, step: null, t: 1_700_000_002 },
    ];
    const bytes = later.map((r) => JSON.stringify(r) + "\n").join("");
    tail.skip(later);
    appendFileSync(path, bytes.slice(0, 50));
    await settle();
    appendFileSync(path, bytes.slice(50) + sdkLine("acc", 0.75, 1));
    await until(() => got.length === 2);
    await settle();
    expect(values(got)).toEqual(["acc=0.5@0", "acc=0.75@1"]);
  });

  it("follows a file replaced by the SDK's line mover without passing a line on twice", async () => {
    const dir = tempDir();
    const path = join(dir, "scalars.jsonl");
    const { got } = follow(path);
    const plain1 = sdkLine("plain", 1, 0);
    const plain2 = sdkLine("plain", 2, 1);
    appendFileSync(path, sdkLine("acc", 1, 0, { exp: "first" }) + plain1 + sdkLine("acc", 2, 1, { exp: "first" }));
    await until(() => got.length === 3);
    // The first experiment's lines move to a child run: the file is replaced by one without them.
    expect(moveMarkedLines(path, "first")).toHaveLength(2);
    appendFileSync(path, plain2);
    await until(() => got.length === 4);
    // A line read from the old file, then carried over into its replacement (as the mover
    // does with lines that came late) and a new one after it: only the new one is news.
    const late = sdkLine("plain", 1.5, 2);
    appendFileSync(path, late);
    await until(() => got.length === 5);
    writeFileSync(join(dir, "next.jsonl"), plain1 + plain2 + late);
    renameSync(join(dir, "next.jsonl"), path);
    appendFileSync(path, sdkLine("plain", 3, 3));
    await until(() => got.length === 6);
    await settle();
    expect(values(got)).toEqual(["acc=1@0", "plain=1@0", "acc=2@1", "plain=2@1", "plain=1.5@2", "plain=3@3"]);
  });

  it("goes on when the file goes missing and comes back, and when it is cut back", async () => {
    const path = join(tempDir(), "scalars.jsonl");
    const { got } = follow(path);
    appendFileSync(path, sdkLine("acc", 1, 0));
    await until(() => got.length === 1);
    rmSync(path);
    await settle();
    appendFileSync(path, sdkLine("acc", 2, 1));
    await until(() => got.length === 2);
    // A failed append cut back to where its bytes began, then whole lines again.
    appendFileSync(path, sdkLine("acc", 3, 2).slice(0, 10));
    await settle();
    truncateSync(path, Buffer.byteLength(sdkLine("acc", 2, 1)));
    await settle();
    appendFileSync(path, sdkLine("acc", 4, 3));
    await until(() => got.length === 3);
    expect(values(got)).toEqual(["acc=1@0", "acc=2@1", "acc=4@3"]);
  });

  it("reads a line as the output parser's record, or not at all", () => {
    expect(parseRecord('{"key":"a","value":1,"step":2,"t":3}')).toEqual({ key: "a", value: 1, step: 2, t: 3 });
    expect(parseRecord('{"key":"a","value":1,"step":null,"t":3,"exp":"x"}')).toEqual({ key: "a", value: 1, step: null, t: 3 });
    expect(parseRecord('{"key":"a","value":"1","step":2,"t":3}')).toBeNull();
    expect(parseRecord('{"key":"a","value":1')).toBeNull();
    expect(parseRecord("[1]")).toBeNull();
  });
});

describe("the runner and an SDK in its script", () => {
  it("passes SDK metrics to onScalar while the script runs, and a metric printed and logged once", async () => {
    const home = tempDir();
    const store = new RunStore(home);
    const work = tempDir();
    const script = join(work, "both.py");
    const go = join(work, "go");
    writeFileSync(
      script,
      `import os, sys, time, g_runs as g
for i in range(3):
    print("acc: %s" % (i / 4), flush=True)   # printed and logged: counted once
    g.log(acc=i / 4, loss=1 - i / 4, step=i)  # loss only logged
    # On only once the runner has passed this loss on: it reads the SDK's lines as they come.
    deadline = time.time() + 20
    while not os.path.exists("${go}.%d" % i):
        if time.time() > deadline:
            sys.exit(3)
        time.sleep(0.01)
print("printed: 7", flush=True)
g.log(last=9, step=3)                        # right before the script ends
`,
    );
    const run = store.createRun({ op: "both.py", flags: {} }, { lock: { pid: process.pid, host: hostname() } });
    const seen: ScalarRecord[] = [];
    const proc = await startRun({
      store,
      run,
      argv: ["python3", script],
      env: buildEnv(process.env, { id: run.id, dir: run.dir, home, flags: {} }),
      cwd: work,
      sink: null,
      onScalar: (rec) => {
        seen.push(rec);
        if (rec.key === "loss") writeFileSync(`${go}.${rec.step}`, "");
      },
    });
    const result = await proc.done;
    await result.settled;
    expect(result.exitCode).toBe(0);
    const byKey = (key: string) => seen.filter((r) => r.key === key).map((r) => `${r.value}@${r.step}`);
    expect(byKey("loss")).toEqual(["1@0", "0.75@1", "0.5@2"]);
    expect(byKey("acc")).toHaveLength(3);
    expect(byKey("printed")).toEqual(["7@null"]);
    // Written just before the script ended: read when it did, not lost.
    expect(byKey("last")).toEqual(["9@3"]);
    // The store holds every record, both copies of acc included.
    expect(store.readScalars(run.id).filter((r) => r.key === "acc")).toHaveLength(6);
    // An early stop asked by the values read at the end stops nothing: the script ran to its end.
    expect(proc.stop("early-stop")).toBe(false);
  });
});
