// A space-filling initial design for the model-based optimizers: the random
// starts as a maximin Latin hypercube over the numeric flags instead of
// independent uniform draws, so that a handful of starts covers every range
// evenly and no two of them sit close together in the whole space.
//
// The optimizers propose one point per call and keep no state, so the design
// is rebuilt on every call from the first trial alone: the first start is a
// uniform draw, and the rest of the design is a pure function of it (its
// coordinates seed the generator). A restart or a second process therefore
// continues the same design.

import type { Point, Rng } from "../flags/space.js";
import { decodePoint, encodePoint, pointKey, sampleUnit, snapUnit, sampleUntried, type Encoding } from "./encode.js";
import { createRng } from "./rng.js";

/** Latin hypercubes drawn per design, of which the one with the largest smallest distance is kept. */
export const DESIGN_CANDIDATES = 50;

/**
 * A Latin hypercube of `size` points on the numeric coordinates (offsets
 * `numeric` of a unit vector of `width`) whose first point is `first`: each
 * range is cut into `size` equal strata, `first` takes its own, and the
 * other points take the remaining strata in a random order, at a uniform
 * place inside each. Of DESIGN_CANDIDATES such designs the one whose two
 * closest points are farthest apart (maximin) is returned.
 */
export function buildLatinDesign(first: Float64Array, numeric: number[], size: number, rng: Rng): Float64Array[] {
  let best: Float64Array[] = [first];
  let bestGap = -1;
  for (let k = 0; k < DESIGN_CANDIDATES; k++) {
    const design = Array.from({ length: size }, () => Float64Array.from(first));
    for (const o of numeric) {
      const own = Math.min(size - 1, Math.floor(first[o]! * size));
      const strata = Array.from({ length: size }, (_, s) => s).filter((s) => s !== own);
      shuffleInPlace(strata, rng);
      strata.forEach((s, i) => (design[i + 1]![o] = (s + rng()) / size));
    }
    const gap = smallestDistance(design, numeric);
    if (gap > bestGap) {
      bestGap = gap;
      best = design;
    }
  }
  return best;
}

/**
 * The next random start of an optimizer with `size` of them, given the
 * points tried so far: the first a uniform draw, the k-th the k-th point of
 * the maximin Latin hypercube seeded by the first. Choices (not part of the
 * hypercube) are drawn at random; a design point already tried (a restart
 * that added points of its own) falls back to a uniform draw.
 */
export function sampleDesign(enc: Encoding, tried: Point[], seen: Set<string>, rng: Rng, size: number): Point {
  const numeric = enc.coords.filter((c) => c.kind === "numeric").map((c) => c.offset);
  if (tried.length === 0 || numeric.length === 0 || tried.length >= size) return sampleUntried(enc, seen, rng);
  const first = encodePoint(enc, tried[0]!);
  const seed = `design:${size}:${numeric.map((o) => first[o]!.toPrecision(17)).join(",")}`;
  const design = buildLatinDesign(first, numeric, size, createRng(seed));
  const u = sampleUnit(enc, rng);
  for (const o of numeric) u[o] = design[tried.length]![o]!;
  const point = decodePoint(enc, snapUnit(enc, u));
  return seen.has(pointKey(enc, point)) ? sampleUntried(enc, seen, rng) : point;
}

function smallestDistance(points: Float64Array[], coords: number[]): number {
  let min = Infinity;
  for (let i = 0; i < points.length; i++) {
    for (let j = 0; j < i; j++) {
      let d2 = 0;
      for (const o of coords) d2 += (points[i]![o]! - points[j]![o]!) ** 2;
      min = Math.min(min, d2);
    }
  }
  return Math.sqrt(min);
}

function shuffleInPlace<T>(items: T[], rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(rng() * (i + 1)));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
