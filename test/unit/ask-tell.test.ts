import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { UsageError } from "../../src/errors.js";
import { runAskTell } from "../../src/commands/ask-tell.js";
import { parseAskTellLine } from "../../src/search/ask-tell-protocol.js";

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
async function run(
  optimizer: string,
  seed: number,
  trials: number,
  settings?: Record<string, string>,
): Promise<Array<Record<string, number>>> {
  const input = new PassThrough();
  const output = new PassThrough();
  const done = runAskTell({ optimizer, input, output, settings });
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

  it.each([["gp"], ["tpe"], ["bayesian"], ["random"], ["forest", { trees: "20" }], ["gbrt", { trees: "20" }]] as const)(
    "runs a whole %s session, reproducibly per seed",
    async (optimizer, settings?: Record<string, string>) => {
      const a = await run(optimizer, 7, 12, settings);
      const b = await run(optimizer, 7, 12, settings);
      expect(a).toEqual(b);
      expect(a).toHaveLength(12);
      for (const p of a) {
        expect(Number.isFinite(p.x0)).toBe(true);
        expect(p.x1).toBeGreaterThanOrEqual(0);
      }
      expect(await run(optimizer, 8, 3, settings)).not.toEqual(a.slice(0, 3));
    },
  );

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
    await expect(session("cma", [init])).rejects.toThrow(/expected gp \(alias bayesian\), tpe, forest, gbrt or random/);
    await expect(session("gp", [init], { bogus: "1" })).rejects.toThrow(/unknown gp setting 'bogus'/);
  });

  it("rejects a broken protocol with a usage error", async () => {
    await expect(session("gp", [{ type: "suggest", trial: 0 }])).rejects.toThrow(/suggest before init/);
    await expect(session("gp", [{ ...init, protocol: 2 }])).rejects.toThrow(/unsupported protocol 2/);
  });

  it("takes NaN, Infinity (as Python's json writes them) and 1e999 for a failed trial's value", () => {
    const space = { x: { type: "uniform" as const, low: 0, high: 1 } };
    for (const text of ["NaN", "Infinity", "-Infinity", "1e999", "null"]) {
      const msg = parseAskTellLine(`{"type":"observe","trial":0,"params":{"x":0.5},"value":${text}}`, space);
      expect(msg).toEqual({ type: "observe", trial: 0, params: { x: 0.5 }, value: null });
    }
    const first = parseAskTellLine('{"type":"observe","value": NaN , "trial":1,"params":{"x":0.5}}', space);
    expect(first).toMatchObject({ value: null, trial: 1 });
    // Only the value may be non-finite; NaN elsewhere is still not JSON.
    expect(() => parseAskTellLine('{"type":"observe","trial":0,"params":{"x":NaN},"value":1}', space)).toThrow(/not a JSON line/);
  });

  it("names the line and what is wrong with every bad field", async () => {
    const bad = async (messages: unknown[], optimizer = "gp"): Promise<string> => {
      try {
        await session(optimizer, messages as object[]);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error("expected a UsageError");
    };
    const observe = (params: unknown, value: unknown = 1) => ({ type: "observe", trial: 0, params, value });
    expect(await bad([null])).toBe('ask-tell: line 1: expected a JSON object with a "type", got null');
    expect(await bad([init, [1]])).toMatch(/^ask-tell: line 2: expected a JSON object .* got an array$/);
    expect(await bad([init, observe(null), { type: "suggest", trial: 1 }])).toMatch(
      /^ask-tell: line 2: observe: "params" must be an object with x0, x1, got null$/,
    );
    expect(await bad([init, observe({ x0: 1 })])).toMatch(/line 2: observe: "params" lacks "x1"/);
    expect(await bad([init, observe({ x0: 1, x1: 2, x2: 3 })])).toMatch(/"x2", which is not in the space/);
    expect(await bad([init, observe({ x0: 11, x1: 2 })])).toMatch(/param "x0" 11 is outside \[-5, 10\]/);
    expect(await bad([init, observe({ x0: "1", x1: 2 })])).toMatch(/param "x0" must be a number, got "1"/);
    expect(await bad([init, observe({ x0: 1, x1: 2 }, "3")])).toMatch(/"value" must be a number or null, got "3"/);
    expect(await bad([init, { type: "observe", params: { x0: 1, x1: 2 } }])).toMatch(/"value" is missing/);
    expect(await bad([init, { type: "suggest", trial: -1 }])).toMatch(/line 2: "trial" must be a whole number >= 0, got -1/);
    expect(await bad([{ type: 3 }])).toMatch(/unknown message type 3; expected init, suggest, observe, end/);
    expect(await bad([{ type: "sugest" }])).toMatch(/unknown message type "sugest"; did you mean suggest\?/);
    expect(await bad([{ typ: "suggest" }])).toMatch(/the line has no "type" \("typ" is not a field: did you mean "type"\?\)/);
    expect(await bad([init, observe({ x0: 1, x1: 2 }, true)])).toMatch(/"value" must be a number or null, got true/);
    expect(await bad([{ ...init, direction: "max" }])).toMatch(/"direction" must be "minimize" or "maximize"/);
    expect(await bad([{ ...init, seed: 1.5 }])).toMatch(/"seed" must be a whole number or a string/);
    expect(await bad([{ ...init, space: {} }])).toMatch(/the space has no parameters/);
    expect(await bad([{ ...init, space: { x: { type: "float", low: 0, hgih: 1 } } }])).toMatch(/parameter "x" has an unknown field "hgih"/);
    expect(await bad([{ ...init, space: { x: { type: "float", low: "0", high: 1 } } }])).toMatch(/"low" must be a finite number, got "0"/);
    expect(await bad([{ ...init, space: { x: { type: "float", low: 0, high: 1, log: true } } }])).toMatch(
      /a log range needs "low" above 0, got 0/,
    );
    expect(await bad([{ ...init, space: { x: { type: "float", low: -1, high: 1, log: "yes" } } }])).toMatch(/"log" must be true or false/);
    expect(await bad([{ ...init, space: { n: { type: "int", low: 0.2, high: 0.8 } } }])).toMatch(/no whole number lies in \[0.2, 0.8\]/);
    expect(await bad([{ ...init, space: { c: { type: "categorical", values: [] } } }])).toMatch(/non-empty "values"/);
    expect(await bad([{ ...init, space: { c: { type: "categorical", values: ["a", "a"] } } }])).toMatch(/"a" is given twice/);
    expect(await bad([{ ...init, space: { c: { type: "categorical", values: [{}] } } }])).toMatch(/strings, numbers or booleans/);
  });

  it("suggests only points inside int, log and categorical spaces", async () => {
    const space = {
      n: { type: "int", low: 0.5, high: 3.5 },
      lr: { type: "float", low: 1e-4, high: 1e-1, log: true },
      k: { type: "int", low: 1, high: 1000, log: true },
      c: { type: "categorical", values: ["a", "b"] },
    };
    for (const optimizer of ["gp", "tpe", "random", "forest", "gbrt"]) {
      const messages: object[] = [{ ...init, space }];
      for (let t = 0; t < 6; t++) messages.push({ type: "suggest", trial: t });
      const replies = await session(optimizer, messages);
      for (const r of replies.slice(1)) {
        const p = r.params as Record<string, unknown>;
        expect([1, 2, 3]).toContain(p.n);
        expect(p.lr as number).toBeGreaterThanOrEqual(1e-4);
        expect(p.lr as number).toBeLessThanOrEqual(1e-1);
        expect(Number.isInteger(p.k)).toBe(true);
        expect(["a", "b"]).toContain(p.c);
      }
    }
  });
});
