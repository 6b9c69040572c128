import { describe, expect, it } from "vitest";
import seedrandom from "seedrandom";
import type { Observation, Point, Space } from "../../src/flags/space.js";
import {
  DEFAULT_GP_SETTINGS,
  fitGp,
  parseGpSettings,
  predict,
  proposeGp,
  transformOutputs,
  type GpCache,
  type GpSettings,
} from "../../src/search/gp.js";
import { lengthscaleGroups, noiseIsStructure } from "../../src/search/gp/acquisition.js";
import { buildEncoding, encodePoint } from "../../src/search/encode.js";
import { firstOfEndGame, inEndGame, nearestTrials, sampleInBox, trustBox } from "../../src/search/gp/end-game.js";
import { UsageError } from "../../src/errors.js";
import { AskTellSession } from "../../src/trials/ask-tell-session.js";
import { loadProposer } from "../../src/trials/optimizers.js";
import { parseAskTellLine } from "../../src/search/ask-tell-protocol.js";

const space: Space = { a: { type: "uniform", low: 0, high: 1 }, b: { type: "uniform", low: -2, high: 2 } };
const f = (p: Point) => ((p.a as number) - 0.3) ** 2 + 0.5 * ((p.b as number) - 0.4) ** 2;

/** `n` seeded uniform trials of f. */
function history(n: number, seed = "h"): Observation[] {
  const rng = seedrandom(seed);
  return Array.from({ length: n }, () => {
    const point = { a: rng(), b: -2 + 4 * rng() };
    return { point, value: f(point) };
  });
}

describe("the end game's turn", () => {
  it("is the last share of a known budget, at least one trial", () => {
    const s = { endGame: 0.2 as const };
    expect(inEndGame(s, { trial: 40, total: 50 })).toBe(false);
    expect(inEndGame(s, { trial: 41, total: 50 })).toBe(true);
    expect(inEndGame(s, { trial: 50, total: 50 })).toBe(true);
    expect(inEndGame(s, { trial: 16, total: 20 })).toBe(false);
    expect(inEndGame(s, { trial: 17, total: 20 })).toBe(true);
    expect(inEndGame({ endGame: 0.01 }, { trial: 9, total: 10 })).toBe(false);
    expect(inEndGame({ endGame: 0.01 }, { trial: 10, total: 10 })).toBe(true);
  });

  it("never comes without a budget, or when off", () => {
    expect(inEndGame({ endGame: 0.2 }, null)).toBe(false);
    expect(inEndGame({ endGame: 0.2 }, undefined)).toBe(false);
    expect(inEndGame({ endGame: "off" }, { trial: 50, total: 50 })).toBe(false);
  });

  it("is set by --opt-flag end-game, a share between 0 and 1 or off", () => {
    expect(parseGpSettings({ "end-game": "0.25" }).endGame).toBe(0.25);
    expect(parseGpSettings({ end_game: "off" }).endGame).toBe("off");
    for (const bad of ["0", "1", "-0.1", "x"]) expect(() => parseGpSettings({ "end-game": bad })).toThrow(UsageError);
    expect(() => parseGpSettings({ "end-game": "2" })).toThrow(/between 0 and 1/);
    expect(parseGpSettings({ "end-game-radius": "0.25" }).endGameRadius).toBe(0.25);
    for (const bad of ["0", "-1", "x"]) expect(() => parseGpSettings({ "end-game-radius": bad })).toThrow(UsageError);
  });
});

describe("the end game's box", () => {
  const enc = buildEncoding({ ...space, act: { type: "choice", values: ["relu", "tanh"] } });

  it("spans the radius times each numeric flag's length scale around the centre, clipped to the cube", () => {
    const centre = encodePoint(enc, { a: 0.1, b: 0, act: "relu" });
    const ls = new Float64Array(enc.width).fill(1);
    ls[0] = 0.4;
    ls[1] = 0.1;
    const box = trustBox(enc, centre, ls, 0.5);
    expect(box.lo[0]).toBe(0);
    expect(box.hi[0]).toBeCloseTo(0.3, 12);
    expect(box.lo[1]).toBeCloseTo(0.45, 12);
    expect(box.hi[1]).toBeCloseTo(0.55, 12);
    // A choice keeps all of its values.
    expect(Array.from(box.lo.subarray(2))).toEqual([0, 0]);
    expect(Array.from(box.hi.subarray(2))).toEqual([1, 1]);
  });

  it("draws every candidate inside the box, choices as one of their values", () => {
    const centre = encodePoint(enc, { a: 0.5, b: 0, act: "tanh" });
    const box = trustBox(enc, centre, Float64Array.of(0.2, 0.2, 1, 1), 0.5);
    const rng = seedrandom("box");
    for (const u of sampleInBox(enc, box, centre, 200, rng)) {
      for (const o of [0, 1]) {
        expect(u[o]).toBeGreaterThanOrEqual(box.lo[o]!);
        expect(u[o]).toBeLessThanOrEqual(box.hi[o]!);
      }
      expect(u[2]! + u[3]!).toBe(1);
    }
  });
});

describe("gp with a budget", () => {
  const past = history(20);
  const best = past.reduce((m, o) => (o.value! < m.value! ? o : m));

  it("proposes exactly as without one before the end game, and without end-game", () => {
    const settings = { endGame: 0.2 };
    const plain = proposeGp(space, past, seedrandom("p"), settings, {});
    expect(proposeGp(space, past, seedrandom("p"), { ...settings, progress: { trial: 21, total: 50 } }, {})).toEqual(plain);
    expect(proposeGp(space, past, seedrandom("p"), { endGame: "off", progress: { trial: 50, total: 50 } }, {})).toEqual(plain);
  });

  it("refines next to the best trial in the last trials, by the fitted length scales", () => {
    const late = proposeGp(space, past, seedrandom("p"), { endGame: 0.2, progress: { trial: 50, total: 50 } }, {});
    const early = proposeGp(space, past, seedrandom("p"), { endGame: 0.2 }, {});
    expect(late).not.toEqual(early);
    // Nearer the minimum (0.3, 0.4) than the best trial was: a refinement, not a probe elsewhere.
    expect(f(late)).toBeLessThan(best.value!);
  });

  it("improves the best value of a short search on a smooth function more than the same search without it", () => {
    const runs = (endGame: number | "off") =>
      ["1", "2", "3", "4"].map((seed) => {
        const rng = seedrandom(seed);
        const cache: GpCache = {};
        const h: Observation[] = [];
        for (let k = 0; k < 16; k++) {
          const point = proposeGp(space, h, rng, { endGame, progress: { trial: k + 1, total: 16 } }, cache);
          h.push({ point, value: f(point) });
        }
        return Math.min(...h.map((o) => o.value!));
      });
    const off = runs("off");
    const on = runs(0.25);
    const geo = (v: number[]) => Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
    expect(geo(on)).toBeLessThan(geo(off));
  });
});

describe("the end game by default", () => {
  const past = history(20);
  const at = (trial: number, settings: Partial<GpSettings> = {}) =>
    proposeGp(space, past, seedrandom("d"), { ...settings, progress: { trial, total: 30 } }, {});

  it("takes the last tenth of a known budget (trials 28-30 of 30) and leaves the others as with end-game=off", () => {
    expect(inEndGame(DEFAULT_GP_SETTINGS, { trial: 27, total: 30 })).toBe(false);
    expect(inEndGame(DEFAULT_GP_SETTINGS, { trial: 28, total: 30 })).toBe(true);
    expect(inEndGame(DEFAULT_GP_SETTINGS, { trial: 20, total: 20 })).toBe(true);
    expect(inEndGame(DEFAULT_GP_SETTINGS, { trial: 18, total: 20 })).toBe(false);
    expect(at(21)).toEqual(at(21, { endGame: "off" }));
    expect(at(30)).not.toEqual(at(30, { endGame: "off" }));
    // Without a budget nothing changes.
    expect(proposeGp(space, past, seedrandom("d"), {}, {})).toEqual(proposeGp(space, past, seedrandom("d"), { endGame: "off" }, {}));
  });

  it("leaves the last trials ordinary where the fit finds noise: the same proposals as end-game=off", () => {
    // Each of ten points run twice, 0.4 apart: only noise explains that (the fit's noise variance is
    // about a tenth of the values' variance, above the 1e-2 gate).
    const noisy = history(10).flatMap((o) => [
      { point: o.point, value: o.value! + 0.2 },
      { point: o.point, value: o.value! - 0.2 },
    ]);
    const last = (settings: Partial<GpSettings>) =>
      proposeGp(space, noisy, seedrandom("n"), { ...settings, progress: { trial: 30, total: 30 } }, {});
    expect(last({})).toEqual(last({ endGame: "off" }));
    // The same trials without the noise are refined (the test above).
    expect(at(30)).not.toEqual(at(30, { endGame: "off" }));
  });

  it("searches 0.75 length scales around the best trial: the same proposal as end-game-radius=0.75, not 0.5", () => {
    expect(at(30)).toEqual(at(30, { endGame: 0.1, endGameRadius: 0.75 }));
    expect(at(30)).not.toEqual(at(30, { endGame: 0.1, endGameRadius: 0.5 }));
  });
});

describe("the budget reaches the proposer", () => {
  it("from ask-tell's init, as trial k of the budget", async () => {
    const init = parseAskTellLine(
      JSON.stringify({ type: "init", protocol: 1, space: { x: { type: "float", low: 0, high: 1 } }, budget: 8 }),
      null,
    );
    expect(init).toMatchObject({ type: "init", budget: 8 });
    const none = parseAskTellLine(JSON.stringify({ type: "init", protocol: 1, space: { x: { type: "float", low: 0, high: 1 } } }), null);
    expect(none).toMatchObject({ type: "init", budget: null });
    const zero = parseAskTellLine(
      JSON.stringify({ type: "init", protocol: 1, space: { x: { type: "float", low: 0, high: 1 } }, budget: 0 }),
      null,
    );
    expect(zero).toMatchObject({ type: "init", budget: null });
  });

  it("through an ask-tell session: the same suggestions as without a budget until its last share", async () => {
    const settings = { "end-game": "0.25" };
    const drive = async (budget: number | null) => {
      const session = await AskTellSession.start({ optimizer: "gp", space, direction: "minimize", seed: "9", settings, budget });
      const points: Point[] = [];
      for (let k = 0; k < 12; k++) {
        const p = session.suggest();
        points.push(p);
        session.observe(p, f(p));
      }
      return points;
    };
    const open = await drive(null);
    const budgeted = await drive(12);
    expect(budgeted.slice(0, 9)).toEqual(open.slice(0, 9));
    expect(budgeted.slice(9)).not.toEqual(open.slice(9));
  });

  it("through loadProposer's third argument", async () => {
    // A fresh proposer each time: one proposer's fit is warm-started from its last.
    const settings = parseGpSettings({ "end-game": "0.2" });
    const past = history(20);
    const at = async (progress?: { trial: number; total: number }) =>
      (await loadProposer("gp", space, settings))(past, seedrandom("q"), progress);
    expect(await at({ trial: 21, total: 40 })).toEqual(await at());
    expect(await at({ trial: 40, total: 40 })).not.toEqual(await at());
  });
});

describe("the TypeScript SDK's Optimizer", () => {
  it("passes its budget on: the same suggestions as without one until the end game", async () => {
    const { Optimizer } = await import("../../src/sdk/optimizer.js");
    const drive = async (budget?: number) => {
      const opt = new Optimizer({ a: [0, 1], b: [-2, 2] }, { seed: 5, settings: { "end-game": 0.25 }, ...(budget ? { budget } : {}) });
      const points: Point[] = [];
      for (let k = 0; k < 12; k++) {
        const p = await opt.suggest();
        points.push(p);
        await opt.register(p, f(p));
      }
      return points;
    };
    const open = await drive();
    const budgeted = await drive(12);
    expect(budgeted.slice(0, 9)).toEqual(open.slice(0, 9));
    expect(budgeted.slice(9)).not.toEqual(open.slice(9));
    expect(() => new Optimizer({ a: [0, 1] }, { budget: 2.5 })).toThrow(/budget must be a whole number >= 0/);
  });
});

describe("the end game's check of the noise near the incumbent (end-game-check)", () => {
  // A bowl with ripples everywhere but within 0.1 of its minimum: too fine for a fit to every trial,
  // which calls them noise, while the trials around the minimum show none.
  const rippled = (p: Point) => {
    const a = p.a as number;
    const b = p.b as number;
    const bowl = (a - 0.3) ** 2 + 0.5 * (b - 0.4) ** 2;
    return Math.hypot(a - 0.3, (b - 0.4) / 4) > 0.1 ? bowl + 0.2 * Math.sin(60 * a) * Math.sin(15 * b) : bowl;
  };
  const rng = seedrandom("r2");
  const trials: Observation[] = [];
  for (let k = 0; k < 30; k++) trials.push(((point) => ({ point, value: rippled(point) }))({ a: rng(), b: -2 + 4 * rng() }));
  for (let k = 0; k < 15; k++)
    trials.push(((point) => ({ point, value: rippled(point) }))({ a: 0.3 + 0.1 * (rng() - 0.5), b: 0.4 + 0.4 * (rng() - 0.5) }));
  const enc = buildEncoding(space);
  const encoded = (h: Observation[]) => h.map((o) => encodePoint(enc, o.point));
  const fitted = (h: Observation[]) =>
    fitGp(
      encoded(h),
      transformOutputs(
        h.map((o) => o.value!),
        "auto",
      ),
      enc.width,
      "fit",
      seedrandom("f"),
    );

  it("is set by --opt-flag end-game-check, a number of trials (at least 3) or off; 15 by default", () => {
    expect(DEFAULT_GP_SETTINGS.endGameCheck).toBe(15);
    expect(parseGpSettings({ "end-game-check": "20" }).endGameCheck).toBe(20);
    expect(parseGpSettings({ "end-game-check": "OFF" }).endGameCheck).toBe("off");
    for (const bad of ["2", "0", "1.5", "x", ""]) expect(() => parseGpSettings({ "end-game-check": bad })).toThrow(UsageError);
    expect(() => parseGpSettings({ "end-game-check": "x" })).toThrow(/expected off or a whole number of trials >= 3/);
  });

  it("takes the trials nearest the centre in the fit's length scales, nearest first", () => {
    const x = [Float64Array.of(0.5, 0.5), Float64Array.of(0.5, 0.9), Float64Array.of(0.6, 0.5), Float64Array.of(0.1, 0.5)];
    // The second coordinate's scale is ten times the first's: 0.4 along it is nearer than 0.1 along the first.
    expect(nearestTrials(x, x[0]!, [0.1, 1], 3)).toEqual([0, 1, 2]);
    expect(nearestTrials(x, x[0]!, [1, 0.1], 3)).toEqual([0, 2, 3]);
    expect(nearestTrials(x, x[0]!, [1, 1], 10)).toEqual([0, 2, 1, 3]);
  });

  it("calls the full fit's noise structure where the trials around the incumbent show none", () => {
    const model = fitted(trials);
    expect(model.noise).toBeGreaterThan(0.01);
    const values = trials.map((o) => o.value!);
    expect(noiseIsStructure(enc, encoded(trials), values, model, DEFAULT_GP_SETTINGS)).toBe(true);
    expect(noiseIsStructure(enc, encoded(trials), values, model, { ...DEFAULT_GP_SETTINGS, endGameCheck: "off" })).toBe(false);
    // No more trials than the check takes: nothing to compare with.
    expect(noiseIsStructure(enc, encoded(trials), values, model, { ...DEFAULT_GP_SETTINGS, endGameCheck: 45 })).toBe(false);
  });

  it("confirms real noise: every trial run twice, 0.4 apart", () => {
    const noisy = history(10).flatMap((o) => [
      { point: o.point, value: o.value! + 0.2 },
      { point: o.point, value: o.value! - 0.2 },
    ]);
    const model = fitted(noisy);
    expect(model.noise).toBeGreaterThan(0.01);
    expect(
      noiseIsStructure(
        enc,
        encoded(noisy),
        noisy.map((o) => o.value!),
        model,
        DEFAULT_GP_SETTINGS,
      ),
    ).toBe(false);
  });

  it("turns the last trial into a refinement where the noise is structure, and leaves the stream alone where it is noise", () => {
    const last = (h: Observation[], settings: Partial<GpSettings>) =>
      proposeGp(space, h, seedrandom("n"), { ...settings, progress: { trial: 50, total: 50 } }, {});
    expect(last(trials, {})).not.toEqual(last(trials, { endGameCheck: "off" }));
    const noisy = history(10).flatMap((o) => [
      { point: o.point, value: o.value! + 0.2 },
      { point: o.point, value: o.value! - 0.2 },
    ]);
    // The check's fit draws from a stream of its own: the ordinary trial is the one it would have been.
    expect(last(noisy, {})).toEqual(last(noisy, { endGameCheck: "off" }));
    expect(last(noisy, {})).toEqual(last(noisy, { endGame: "off" }));
  });

  describe("and its jump to the bottom of the fit's mean (end-game-jump)", () => {
    it("is set by --opt-flag end-game-jump, on or off; on by default", () => {
      expect(DEFAULT_GP_SETTINGS.endGameJump).toBe("on");
      expect(parseGpSettings({ "end-game-jump": "off" }).endGameJump).toBe("off");
      expect(parseGpSettings({ end_game_jump: "ON" }).endGameJump).toBe("on");
      for (const bad of ["", "1", "yes", "of"]) expect(() => parseGpSettings({ "end-game-jump": bad })).toThrow(UsageError);
      expect(() => parseGpSettings({ "end-game-jump": "yes" })).toThrow(/expected on or off/);
    });

    it("is the end game's first trial only, read from the budget", () => {
      const s = { endGame: 0.1 as const };
      expect(firstOfEndGame(s, { trial: 45, total: 50 })).toBe(false);
      expect(firstOfEndGame(s, { trial: 46, total: 50 })).toBe(true);
      expect(firstOfEndGame(s, { trial: 47, total: 50 })).toBe(false);
      expect(firstOfEndGame(s, { trial: 50, total: 50 })).toBe(false);
      expect(firstOfEndGame(s, { trial: 19, total: 20 })).toBe(true);
      expect(firstOfEndGame(s, { trial: 10, total: 10 })).toBe(true);
      expect(firstOfEndGame(s, { trial: 9, total: 10 })).toBe(false);
      expect(firstOfEndGame(s, null)).toBe(false);
      expect(firstOfEndGame({ endGame: "off" }, { trial: 46, total: 50 })).toBe(false);
    });

    const at = (h: Observation[], trial: number, settings: Partial<GpSettings> = {}) =>
      proposeGp(space, h, seedrandom("n"), { ...settings, progress: { trial, total: 50 } }, {});
    const noisy = history(10).flatMap((o) => [
      { point: o.point, value: o.value! + 0.2 },
      { point: o.point, value: o.value! - 0.2 },
    ]);

    /** The fit proposeGp makes (the same values, stream and empty cache): its mean at a point. */
    const meanOf = (h: Observation[]) => {
      const model = fitGp(
        encoded(h),
        transformOutputs(
          h.map((o) => o.value!),
          "auto",
        ),
        enc.width,
        "fit",
        seedrandom("n"),
        {},
        lengthscaleGroups(enc),
      );
      expect(model.noise).toBeGreaterThan(0.01);
      return (p: Point) => predict(model, encodePoint(enc, p)).mean;
    };

    it("goes where the fit's mean is lowest, where the noise is structure (instead of refining) or real", () => {
      for (const h of [trials, noisy]) {
        const jumped = at(h, 46);
        const without = at(h, 46, { endGameJump: "off" });
        expect(jumped).not.toEqual(without);
        const mean = meanOf(h);
        expect(mean(jumped)).toBeLessThanOrEqual(Math.min(...h.map((o) => mean(o.point))));
        expect(mean(jumped)).toBeLessThan(mean(without));
      }
    });

    it("changes no other trial: the rest of the end game, and a fit without noise", () => {
      for (const h of [trials, noisy]) expect(at(h, 47)).toEqual(at(h, 47, { endGameJump: "off" }));
      const smooth = history(30);
      expect(at(smooth, 46)).toEqual(at(smooth, 46, { endGameJump: "off" }));
      // Before the end game nothing changes either.
      expect(at(trials, 45)).toEqual(at(trials, 45, { endGameJump: "off" }));
    });
  });
});
