// Seeded random numbers for searches: the stream `seedrandom(seed)` gives
// (David Bau's seedrandom 3.0.5, its ARC4 generator, MIT), written out here.
// The package's file requires node:crypto when it loads, for seeds g never
// asks it to make (several ms of every agent's start-up, before its first
// claim); test/unit/rng.test.ts holds this stream to the package's.
//
// One departure: ARC4 repeats a short key to fill its 256-byte schedule, so
// seedrandom gives "1" and "11" (or "12" and "1212") the same stream, and
// `--random-seed 11` silently repeated `--random-seed 1`. A key that is a
// shorter key repeated gets one 0 byte appended (seedrandom's stream for the
// seed with "\0" appended); every other seed keeps seedrandom's stream, so
// the points of runs recorded before stay the same.

import type { Rng } from "../flags/space.js";

/** ARC4 works on bytes: a state of 256, outputs 0..255. */
const WIDTH = 256;
const MASK = WIDTH - 1;
/** A double starts from six outputs (48 bits), then takes one more byte until 52 significant bits are filled. */
const CHUNKS = 6;
const START_DENOMINATOR = WIDTH ** CHUNKS;
const SIGNIFICANCE = 2 ** 52;
const OVERFLOW = SIGNIFICANCE * 2;

/** The same stream as `seedrandom(seed)` (but for a repeating key, above): a seed gives the same trials everywhere. */
export function createRng(seed: string | number): Rng {
  return createSavableRng(seed).rng;
}

/**
 * `createRng(seed)`'s stream, with its place in it: `save()` gives the
 * generator's state (i, j, then its 256-byte permutation) and a stream
 * created from that state goes on from there, as ask-tell's `resume` does.
 */
export function createSavableRng(seed: string | number, saved?: readonly number[]): { rng: Rng; save: () => number[] } {
  const { next, save } = arc4(distinctKey(mixKey(String(seed))), saved);
  const rng = () => {
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
  return { rng, save };
}

/** Whether `state` is one an ARC4 generator's `save()` gives: i and j, then a permutation of 0..255. */
export function isRngState(state: unknown): state is number[] {
  if (!Array.isArray(state) || state.length !== WIDTH + 2) return false;
  if (!state.every((v) => Number.isInteger(v) && v >= 0 && v < WIDTH)) return false;
  return new Set(state.slice(2)).size === WIDTH;
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

/**
 * `key`, with a 0 byte appended when it is a shorter block repeated (ARC4
 * could not tell it from that block). A key of the full 256 bytes is used
 * whole by ARC4, so one more byte would not count; it is left as it is.
 */
function distinctKey(key: number[]): number[] {
  if (key.length < WIDTH && repeatsBlock(key)) key.push(0);
  return key;
}

/** Whether `key` is a block of fewer bytes written two or more times. */
function repeatsBlock(key: number[]): boolean {
  const n = key.length;
  for (let block = 1; block <= n / 2; block++) {
    if (n % block !== 0) continue;
    let same = true;
    for (let k = block; k < n && same; k++) same = key[k] === key[k - block];
    if (same) return true;
  }
  return false;
}

/**
 * The ARC4 generator keyed by `key`, its first 256 outputs dropped (or at the
 * `saved` state); `next` returns the next `count` outputs as one number.
 */
function arc4(key: number[], saved?: readonly number[]): { next: (count: number) => number; save: () => number[] } {
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
  if (saved !== undefined) {
    if (!isRngState(saved)) throw new RangeError("not a saved random stream: i, j and a permutation of 0..255");
    i = saved[0]!;
    j = saved[1]!;
    for (let k = 0; k < WIDTH; k++) s[k] = saved[k + 2]!;
  }
  return { next, save: () => [i, j, ...s] };
}
