// Largest-Triangle-Three-Buckets down-sampling (pure; Steinarsson 2013): keeps
// the first and last points and, from each of (n - 2) equal buckets between
// them, the point that forms the largest triangle with the point kept before
// and the mean of the next bucket. Peaks and dips survive, so a 10 000-step
// loss curve drawn from 1 000 points looks the same as the full one.

export interface Series {
  xs: number[];
  ys: number[];
}

/**
 * Down-samples (xs, ys) to at most `threshold` points. xs must be ascending.
 * Returns the input unchanged when it is already small enough or when
 * threshold < 3 would leave no room for the buckets (then first and last).
 */
export function downsampleLttb(xs: number[], ys: number[], threshold: number): Series {
  const n = Math.min(xs.length, ys.length);
  if (threshold >= n || n <= 2) return { xs: xs.slice(0, n), ys: ys.slice(0, n) };
  if (threshold < 3)
    return threshold <= 0
      ? { xs: [], ys: [] }
      : threshold === 1
        ? { xs: [xs[0]!], ys: [ys[0]!] }
        : { xs: [xs[0]!, xs[n - 1]!], ys: [ys[0]!, ys[n - 1]!] };
  const outX: number[] = [xs[0]!];
  const outY: number[] = [ys[0]!];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // The next bucket's mean: the third corner of the triangle.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j]!;
      avgY += ys[j]!;
    }
    const count = nextEnd - nextStart;
    avgX /= count;
    avgY /= count;

    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = xs[a]!;
    const ay = ys[a]!;
    let best = -1;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (ys[j]! - ay) - (ax - xs[j]!) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    outX.push(xs[best]!);
    outY.push(ys[best]!);
    a = best;
  }
  outX.push(xs[n - 1]!);
  outY.push(ys[n - 1]!);
  return { xs: outX, ys: outY };
}
