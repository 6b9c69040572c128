// Early termination rules: envelope and hyperband on metric histories.

import { describe, expect, it } from "vitest";
import type { EnvelopeRule, HyperbandRule } from "../../src/flags/sweep-config.js";
import { bestOfFirst, envelopeDecision, hyperbandDecision, shouldStop } from "../../src/search/early-stop.js";

const envelope: EnvelopeRule = { type: "envelope", fraction: 0.3, min_runs: 3, start_iter: 3 };
const hyperband: HyperbandRule = { type: "hyperband", bands: [2, 6, 18], eta: 3 };

// Three finished runs whose losses fall; the best ends at 0.1.
const finished = [
  [1.0, 0.5, 0.3, 0.2, 0.1],
  [1.0, 0.8, 0.7, 0.6, 0.5],
  [1.2, 1.1, 1.0, 0.9, 0.9],
];

describe("bestOfFirst", () => {
  it("takes the best of the first n values for the goal", () => {
    expect(bestOfFirst([3, 1, 2, 0], 3, "minimize")).toBe(1);
    expect(bestOfFirst([3, 1, 2, 5], 3, "maximize")).toBe(3);
    expect(bestOfFirst([3, 1], 10, "minimize")).toBe(1);
  });
});

describe("envelope", () => {
  it("stops a run whose best so far is worse than the best runs' envelope", () => {
    expect(envelopeDecision(envelope, [1.0, 0.9, 0.8], finished, "minimize").stop).toBe(true);
  });

  it("lets a run continue that keeps up with the envelope", () => {
    expect(envelopeDecision(envelope, [0.9, 0.5, 0.25], finished, "minimize").stop).toBe(false);
  });

  it("does not judge before start_iter values", () => {
    expect(envelopeDecision(envelope, [5, 5], finished, "minimize").stop).toBe(false);
  });

  it("needs min_runs finished runs", () => {
    expect(envelopeDecision(envelope, [5, 5, 5], finished.slice(0, 2), "minimize").stop).toBe(false);
  });

  it("uses the worst of the kept runs when fraction keeps several", () => {
    const wide: EnvelopeRule = { ...envelope, fraction: 0.6 };
    // Kept: the two best runs; at step 3 their bests are 0.3 and 0.7: the envelope is 0.7.
    expect(envelopeDecision(wide, [1.0, 0.9, 0.6], finished, "minimize").stop).toBe(false);
    expect(envelopeDecision(wide, [1.0, 0.9, 0.75], finished, "minimize").stop).toBe(true);
  });

  it("works for maximize", () => {
    const acc = finished.map((h) => h.map((v) => -v));
    expect(envelopeDecision(envelope, [-1.0, -0.9, -0.8], acc, "maximize").stop).toBe(true);
    expect(envelopeDecision(envelope, [-0.9, -0.5, -0.25], acc, "maximize").stop).toBe(false);
  });

  it("ignores running runs through shouldStop", () => {
    const others = finished.map((history) => ({ history, finished: false }));
    expect(shouldStop(envelope, [1.0, 0.9, 0.8], others, "minimize").stop).toBe(false);
  });
});

describe("hyperband", () => {
  it("stops a clearly worse run at the first band", () => {
    const d = hyperbandDecision(hyperband, [5, 4], [[1.0, 0.5, 0.3]], "minimize");
    expect(d.stop).toBe(true);
    expect(d.reason).toMatch(/band 2/);
  });

  it("lets the first run to reach a band continue", () => {
    expect(hyperbandDecision(hyperband, [5, 4], [[1.0]], "minimize").stop).toBe(false);
  });

  it("does not judge before the first band", () => {
    expect(hyperbandDecision(hyperband, [5], [[1.0, 0.5]], "minimize").stop).toBe(false);
  });

  it("keeps the trials at or better than the value at floor(n / eta) of the sorted band values (W&B)", () => {
    const peers = [
      [0.1, 0.1],
      [0.2, 0.2],
      [0.4, 0.4],
      [0.5, 0.5],
      [0.6, 0.6],
    ];
    // n = 6, index floor(6 / 3) = 2 of the sorted values at band 2 (the run's own included).
    expect(hyperbandDecision(hyperband, [0.9, 0.15], peers, "minimize").stop).toBe(false);
    expect(hyperbandDecision(hyperband, [0.9, 0.3], peers, "minimize").stop).toBe(false);
    expect(hyperbandDecision(hyperband, [0.9, 0.45], peers, "minimize").stop).toBe(true);
  });

  it("judges the value at the band when strict (W&B's default), the best so far when not", () => {
    const peers = [
      [0.2, 0.2],
      [0.3, 0.3],
    ];
    expect(hyperbandDecision(hyperband, [0.1, 0.9], peers, "minimize").stop).toBe(true);
    expect(hyperbandDecision({ ...hyperband, strict: true }, [0.1, 0.9], peers, "minimize").stop).toBe(true);
    expect(hyperbandDecision({ ...hyperband, strict: false }, [0.1, 0.9], peers, "minimize").stop).toBe(false);
  });

  it("counts ties in the run's favour", () => {
    expect(hyperbandDecision(hyperband, [0.5, 0.5], [[0.5, 0.5]], "minimize").stop).toBe(false);
  });

  it("judges at the highest band reached, with peers that got there", () => {
    const good = Array.from({ length: 8 }, (_, i) => 1 / (i + 1));
    const early = [0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4];
    // At band 6 the good run's 6th value is 1/6; this run's 0.45 is worse.
    expect(hyperbandDecision(hyperband, early, [good], "minimize").stop).toBe(true);
    // A peer that only reached band 2 does not count at band 6, where this run is judged: alone, it goes on.
    expect(hyperbandDecision(hyperband, early, [[0.95, 0.85]], "minimize").stop).toBe(false);
  });

  it("works for maximize", () => {
    expect(hyperbandDecision(hyperband, [0.1, 0.2], [[0.8, 0.9]], "maximize").stop).toBe(true);
    expect(hyperbandDecision(hyperband, [0.8, 0.95], [[0.8, 0.9]], "maximize").stop).toBe(false);
  });
});
