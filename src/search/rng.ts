// Seeded random numbers for searches: the stream `seedrandom(seed)` gives
// (David Bau's seedrandom 3.0.5, its ARC4 generator, MIT), written out here.
// The package's file requires node:crypto when it loads, for seeds g never
// asks it to make (several ms of every agent's start-up, before its first
// claim); test/unit/rng.test.ts holds this stream to the package's.

import type { Rng } from "../flags/space.js";

/** ARC4 works on bytes: a state of 256, outputs 0..255. */
const WIDTH = 256;
const MASK = WIDTH - 1;
/** A double starts from six outputs (48 bits), then takes one more byte until 52 significant bits are filled. */
const CHUNKS = 6;
const START_DENOMINATOR = WIDTH ** CHUNKS;
const SIGNIFICANCE = 2 ** 52;
const OVERFLOW = SIGNIFICANCE * 2;

/** The same stream as `seedrandom(seed)`: a seed gives the same trials everywhere. */
export function createRng(seed: string | number): Rng {
  const next = arc4(mixKey(String(seed)));
  return () => {
    let n = next(CHUNKS);
    let d = START_DENOMINATOR;
    let x = 0;
    while (n < SIGNIFICANCE) {
      n = (n + x) * WIDTH;
      d *= WIDTH;
      x = next(1);
    }
    while (n >= OVERFLOW) {
      n /= 2;
      d /= 2;
      x >>>= 1;
    }
    return (n + x) / d;
  };
}

/** seedrandom's `mixkey`: the seed's characters folded into a key of at most 256 bytes. */
function mixKey(seed: string): number[] {
  const key: number[] = [];
  let smear = 0;
  for (let j = 0; j < seed.length; j++) {
    smear ^= (key[MASK & j] ?? 0) * 19;
    key[MASK & j] = MASK & (smear + seed.charCodeAt(j));
  }
  return key;
}

/** The ARC4 generator keyed by `key`, its first 256 outputs dropped; the function returns the next `count` outputs as one number. */
function arc4(key: number[]): (count: number) => number {
  if (key.length === 0) key = [0];
  const s: number[] = [];
  for (let k = 0; k < WIDTH; k++) s[k] = k;
  let j = 0;
  for (let k = 0; k < WIDTH; k++) {
    const t = s[k]!;
    j = MASK & (j + key[k % key.length]! + t);
    s[k] = s[j]!;
    s[j] = t;
  }
  let i = 0;
  j = 0;
  const next = (count: number): number => {
    let r = 0;
    while (count-- > 0) {
      i = MASK & (i + 1);
      const t = s[i]!;
      j = MASK & (j + t);
      s[i] = s[j]!;
      s[j] = t;
      r = r * WIDTH + s[MASK & (s[i]! + t)]!;
    }
    return r;
  };
  next(WIDTH);
  return next;
}
