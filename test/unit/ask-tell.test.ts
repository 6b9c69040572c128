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
    expect(await bad([{ type: 3 }])).toMatch(/unknown message type 3; expected init, suggest, observe, tell, resume, end/);
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

/** A session driven one message at a time: `send` resolves with the reply line. */
function serve(optimizer: string, settings?: Record<string, string>) {
  const input = new PassThrough();
  const output = new PassThrough();
  const done = runAskTell({ optimizer, input, output, settings });
  const waiting: Array<(line: Record<string, unknown>) => void> = [];
  let buf = "";
  output.on("data", (chunk: Buffer) => {
    buf += chunk.toString();
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      waiting.shift()!(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      buf = buf.slice(i + 1);
    }
  });
  return {
    send: (msg: object) =>
      new Promise<Record<string, unknown>>((resolve) => {
        waiting.push(resolve);
        input.write(JSON.stringify(msg) + "\n");
      }),
    end: async () => {
      input.end(JSON.stringify({ type: "end" }) + "\n");
      await done;
    },
  };
}

describe("tell and resume: a new session goes on where another stood", () => {
  const mixed = {
    x: { type: "float", low: -5, high: 10 },
    n: { type: "int", low: 1, high: 8 },
    c: { type: "categorical", values: ["a", "b", 3] },
  };
  const f = (p: Record<string, unknown>) => ((p.x as number) - 1) ** 2 + ((p.n as number) - 5) ** 2 / 10 + (p.c === "b" ? 0 : 1);

  it.each([
    ["gp", {}],
    ["gp", { "hyper-samples": "4" }],
    ["gp", { warp: "evidence" }],
    ["gp", { model: "optuna" }],
    ["tpe", {}],
    ["forest", {}],
    ["gbrt", {}],
    ["random", {}],
  ] as Array<[string, Record<string, string>]>)(
    "%s %o: resumed and told the trials at once, it proposes as the first would",
    async (optimizer, settings) => {
      const first = serve(optimizer, settings);
      const start = { ...init, space: mixed, seed: 5, budget: 14 };
      expect(await first.send(start)).toMatchObject({ type: "ready" });
      const told: Array<{ params: unknown; value: number | null }> = [];
      let state: unknown;
      for (let t = 0; t < 12; t++) {
        const s = await first.send({ type: "suggest", trial: t, state: true });
        state = s.state;
        const params = s.params as Record<string, unknown>;
        // A failed trial, and a suggestion never observed (pending), are part of where the session stands.
        if (t === 10) continue;
        const value = t === 4 ? null : f(params);
        expect(await first.send({ type: "observe", params, value })).toEqual({ type: "ok" });
        told.push({ params, value });
      }
      const next = await first.send({ type: "suggest", trial: 12 });
      await first.end();

      const second = serve(optimizer, settings);
      expect(await second.send(start)).toMatchObject({ type: "ready" });
      expect(await second.send({ type: "resume", state })).toEqual({ type: "ok" });
      expect(await second.send({ type: "tell", observations: told })).toEqual({ type: "ok" });
      expect(await second.send({ type: "suggest", trial: 12 })).toEqual(next);
      await second.end();
    },
  );

  it("gives the state only when a suggestion asks for it", async () => {
    const replies = await session("random", [init, { type: "suggest", trial: 0 }, { type: "suggest", trial: 1, state: true }]);
    expect(replies[1]).not.toHaveProperty("state");
    expect(replies[2]!.state).toMatchObject({ suggested: 2, cache: {} });
  });

  it("takes NaN in a tell's values as failed trials, and names a bad observation or state", async () => {
    const space = { x: { type: "uniform" as const, low: 0, high: 1 } };
    const msg = parseAskTellLine(
      '{"type":"tell","observations":[{"params":{"x":0.5},"value":NaN},{"params":{"x":0.25},"value":2},{"params":{"x":1},"value":-Infinity}]}',
      space,
    );
    expect(msg).toEqual({
      type: "tell",
      observations: [
        { params: { x: 0.5 }, value: null },
        { params: { x: 0.25 }, value: 2 },
        { params: { x: 1 }, value: null },
      ],
    });
    const bad = async (messages: object[]) => {
      const err = await session("gp", messages).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    };
    const ok = { params: { x0: 1, x1: 2 }, value: 1 };
    expect(await bad([{ type: "tell", observations: [] }])).toBe("ask-tell: line 1: tell before init");
    expect(await bad([init, { type: "tell", observations: {} }])).toMatch(/line 2: tell: "observations" must be an array/);
    expect(await bad([init, { type: "tell", observations: [ok, { params: { x0: 11, x1: 2 }, value: 1 }] }])).toMatch(
      /line 2: tell: observation 2: param "x0" 11 is outside \[-5, 10\]$/,
    );
    expect(await bad([init, { type: "tell", observations: [{ params: { x0: 1, x1: 2 } }] }])).toMatch(/observation 1: "value" is missing/);
    expect(await bad([init, { type: "resume" }])).toMatch(/line 2: resume: "state" is missing/);
    const state = (await session("gp", [init, { type: "suggest", state: true }]))[1]!.state as Record<string, unknown>;
    expect(await bad([init, { type: "resume", state: { ...state, rng: [0, 0, 1] } }])).toMatch(
      /resume: "state" "rng" must be a random stream/,
    );
    expect(await bad([init, { type: "resume", state: { ...state, suggested: -1 } }])).toMatch(/"suggested" must be a whole number >= 0/);
    expect(await bad([init, { type: "resume", state: { ...state, cache: { theta: ["x"] } } }])).toMatch(/"cache" must be an object/);
    expect(await bad([init, { type: "resume", state: { ...state, seed: 1 } }])).toMatch(/unknown field "seed"/);
    expect(await bad([init, { type: "suggest", state: 1 }])).toMatch(/suggest: "state" must be true or false, got 1/);
  });
});
