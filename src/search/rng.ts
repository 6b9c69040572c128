// Seeded random numbers for searches: seedrandom's ARC4 generator, the one
// `seedrandom(seed)` returns, loaded alone (the package's index also loads six
// other generators g never uses, which costs start-up time).

import { createRequire } from "node:module";
import type { Rng } from "../flags/space.js";

type SeedRandom = (seed: string) => Rng;
const require = createRequire(import.meta.url);
let arc4: SeedRandom | null = null;

/** The same stream as `seedrandom(seed)`: a seed gives the same trials everywhere. */
export function createRng(seed: string | number): Rng {
  arc4 ??= require("seedrandom/seedrandom.js") as SeedRandom;
  return arc4(String(seed));
}
