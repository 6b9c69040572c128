import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { createRng, createSavableRng, isRngState } from "../../src/search/rng.js";

// The package g's streams were made with before createRng was written out: every seed recorded
// in a store (a batch's, a sweep's `seed:trial`) must keep giving the same points.
const seedrandom = createRequire(import.meta.url)("seedrandom/seedrandom.js") as (seed: string) => () => number;

describe("createRng", () => {
  const SEEDS = ["", "0", "1", "42", "10", "1234567:17", "abc:0", "é∑ unicode ☃", "x".repeat(300), String(2 ** 31 - 1)];

  it.each(SEEDS)("gives seedrandom's stream for seed %j", (seed) => {
    const ours = createRng(seed);
    const theirs = seedrandom(seed);
    for (let i = 0; i < 2_000; i++) expect(ours()).toBe(theirs());
  });

  it("takes a number seed as its string, as seedrandom(String(seed)) does", () => {
    const a = createRng(7);
    const b = seedrandom("7");
    for (let i = 0; i < 100; i++) expect(a()).toBe(b());
  });

  it("draws doubles in [0, 1) whose streams differ by seed", () => {
    const a = createRng("a");
    const b = createRng("b");
    const xs = Array.from({ length: 1_000 }, () => a());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.slice(0, 10)).not.toEqual(Array.from({ length: 10 }, () => b()));
  });

  // seedrandom's ARC4 repeats a short key over its 256-byte schedule: "1" and "11" were one stream.
  it.each([
    ["1", "11"],
    ["2", "22"],
    ["1", "111"],
    ["12", "1212"],
    ["7:", "7:7:"],
  ])("gives %j and %j different streams", (short, repeated) => {
    const a = createRng(short);
    const b = createRng(repeated);
    const first = Array.from({ length: 20 }, () => a());
    expect(Array.from({ length: 20 }, () => b())).not.toEqual(first);
  });

  it("keys a repeating seed as seedrandom keys it with a 0 byte appended", () => {
    for (const seed of ["11", "99", "1212", "aaa"]) {
      const ours = createRng(seed);
      const theirs = seedrandom(`${seed}\0`);
      for (let i = 0; i < 100; i++) expect(ours()).toBe(theirs());
    }
  });

  it("gives every seed 0..999 its own stream", () => {
    const firsts = new Set<string>();
    for (let seed = 0; seed < 1_000; seed++) {
      const rng = createRng(seed);
      firsts.add(`${rng()},${rng()}`);
    }
    expect(firsts.size).toBe(1_000);
  });
});

describe("createSavableRng", () => {
  it("gives createRng's stream, and a stream made from its saved state goes on where it was", () => {
    const plain = createRng("7:1");
    const { rng, save } = createSavableRng("7:1");
    const head = Array.from({ length: 50 }, () => rng());
    expect(head).toEqual(Array.from({ length: 50 }, () => plain()));
    const saved = save();
    expect(isRngState(saved)).toBe(true);
    const resumed = createSavableRng("7:1", saved).rng;
    expect(Array.from({ length: 50 }, () => resumed())).toEqual(Array.from({ length: 50 }, () => rng()));
  });

  it("refuses a state that is not one save() gives", () => {
    const saved = createSavableRng(1).save();
    expect(isRngState(saved.slice(1))).toBe(false);
    expect(isRngState([0, 0, ...saved.slice(2, -1), saved[2]])).toBe(false);
    expect(isRngState([256, ...saved.slice(1)])).toBe(false);
    expect(() => createSavableRng(1, [0, 0, 1])).toThrow(RangeError);
  });
});
