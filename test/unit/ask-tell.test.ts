import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { UsageError } from "../../src/errors.js";
import { runAskTell } from "../../src/commands/ask-tell.js";

/** Drives one session through in-memory streams and returns the parsed reply lines. */
async function session(optimizer: string, messages: object[], settings?: Record<string, string>): Promise<Array<Record<string, unknown>>> {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: string[] = [];
  output.on("data", (c: Buffer) => chunks.push(c.toString()));
  const done = runAskTell({ optimizer, input, output, settings });
  for (const m of messages) input.write(JSON.stringify(m) + "\n");
  input.end();
  await done;
  return chunks
    .join("")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const space = { x0: { type: "float", low: -5.0, high: 10.0 }, x1: { type: "float", low: 0.0, high: 15.0 } };
const init = { type: "init", protocol: 1, direction: "minimize", space, seed: 3, budget: 4, function: "branin" };

/** A full harness-like session: suggestions are answered with f(x) = x0² + x1. */
async function run(optimizer: string, seed: number, trials: number): Promise<Array<Record<string, number>>> {
  const input = new PassThrough();
  const output = new PassThrough();
  const done = runAskTell({ optimizer, input, output });
  const lines = (async function* () {
    let buf = "";
    for await (const chunk of output) {
      buf += String(chunk);
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        yield JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
        buf = buf.slice(i + 1);
      }
    }
  })();
  const next = async () => (await lines.next()).value as Record<string, unknown>;
  input.write(JSON.stringify({ ...init, seed }) + "\n");
  expect((await next()).type).toBe("ready");
  const points: Array<Record<string, number>> = [];
  for (let t = 0; t < trials; t++) {
    input.write(JSON.stringify({ type: "suggest", trial: t }) + "\n");
    const s = await next();
    expect(s).toMatchObject({ type: "suggestion", trial: t });
    const params = s.params as Record<string, number>;
    points.push(params);
    input.write(JSON.stringify({ type: "observe", trial: t, params, value: params.x0! ** 2 + params.x1! }) + "\n");
    expect(await next()).toEqual({ type: "ok" });
  }
  input.write(JSON.stringify({ type: "end" }) + "\n");
  await done;
  return points;
}

describe("runAskTell", () => {
  it("answers init, suggest and observe, and stops at end", async () => {
    const replies = await session("gp", [
      init,
      { type: "suggest", trial: 0 },
      { type: "observe", trial: 0, params: { x0: 1, x1: 2 }, value: 3 },
      { type: "end" },
      { type: "suggest", trial: 1 }, // after end: not answered
    ]);
    expect(replies.map((r) => r.type)).toEqual(["ready", "suggestion", "ok"]);
    expect(replies[0]).toEqual({ type: "ready", name: "g_gp" });
    const params = replies[1]!.params as Record<string, number>;
    expect(Object.keys(params)).toEqual(["x0", "x1"]);
    expect(params.x0).toBeGreaterThanOrEqual(-5);
    expect(params.x0).toBeLessThanOrEqual(10);
    expect(params.x1).toBeGreaterThanOrEqual(0);
    expect(params.x1).toBeLessThanOrEqual(15);
  });

  it("runs a whole session for gp and tpe, reproducibly per seed", async () => {
    for (const optimizer of ["gp", "tpe", "bayesian", "random"]) {
      const a = await run(optimizer, 7, 12);
      const b = await run(optimizer, 7, 12);
      expect(a).toEqual(b);
      expect(a).toHaveLength(12);
      for (const p of a) {
        expect(Number.isFinite(p.x0)).toBe(true);
        expect(p.x1).toBeGreaterThanOrEqual(0);
      }
      expect(await run(optimizer, 8, 3)).not.toEqual(a.slice(0, 3));
    }
  });

  it("ignores blank lines", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = "";
    output.on("data", (c: Buffer) => (text += c.toString()));
    const done = runAskTell({ optimizer: "tpe", input, output });
    input.write("\n" + JSON.stringify(init) + "\n\n" + JSON.stringify({ type: "end" }) + "\n");
    input.end();
    await done;
    expect(text).toBe('{"type":"ready","name":"g_tpe"}\n');
  });

  it("rejects an unknown optimizer or setting with a usage error", async () => {
    await expect(session("cma", [init])).rejects.toThrow(UsageError);
    await expect(session("cma", [init])).rejects.toThrow(/expected gp \(alias bayesian\), tpe or random/);
    await expect(session("gp", [init], { bogus: "1" })).rejects.toThrow(/unknown gp setting 'bogus'/);
  });

  it("rejects a broken protocol with a usage error", async () => {
    await expect(session("gp", [{ type: "suggest", trial: 0 }])).rejects.toThrow(/suggest before init/);
    await expect(session("gp", [{ ...init, protocol: 2 }])).rejects.toThrow(/unsupported protocol 2/);
  });
});
