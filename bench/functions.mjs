// Test functions for g's own optimizer checks (bench/sim.mjs): the five of the
// shared harness (shared/bench/optimizers/bench.py, same bounds and optima)
// and standard ones the defaults were not tuned on. All minimised.
const range = (n, low, high) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, { type: "uniform", low, high }]));
const vec = (p, n) => Array.from({ length: n }, (_, i) => p[`x${i}`]);

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));

export const FUNCTIONS = {
  branin: {
    space: { x0: { type: "uniform", low: -5, high: 10 }, x1: { type: "uniform", low: 0, high: 15 } },
    fmin: 0.397887357729738,
    f: ({ x0, x1 }) => {
      const b = 5.1 / (4 * Math.PI ** 2);
      const c = 5 / Math.PI;
      const t = 1 / (8 * Math.PI);
      return (x1 - b * x0 ** 2 + c * x0 - 6) ** 2 + 10 * (1 - t) * Math.cos(x0) + 10;
    },
  },
  hartmann6: {
    space: range(6, 0, 1),
    // The second basin's regret is 0.119: within 0.02 counts the seeds that reached the global one.
    within: 0.02,
    fmin: -3.322368011415514,
    f: (p) => {
      const x = vec(p, 6);
      let s = 0;
      for (let i = 0; i < 4; i++) {
        let e = 0;
        for (let j = 0; j < 6; j++) e += H6_A[i][j] * (x[j] - H6_P[i][j]) ** 2;
        s -= H6_ALPHA[i] * Math.exp(-e);
      }
      return s;
    },
  },
  rosenbrock4: {
    space: range(4, -2, 2),
    fmin: 0,
    f: (p) => {
      const x = vec(p, 4);
      let s = 0;
      for (let i = 0; i < 3; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
      return s;
    },
  },
  ackley5: {
    space: range(5, -5, 5),
    fmin: 0,
    f: (p) => ackley(vec(p, 5)),
  },
  guild_noisy1d: {
    space: { x: { type: "uniform", low: -2, high: 2 } },
    fmin: -0.9094298025393894,
    noise: 0.1,
    within: 0.1,
    f: ({ x }) => Math.sin(5 * x) * (1 - Math.tanh(x * x)),
  },
  // --- not tuned on ---
  levy5: {
    space: range(5, -10, 10),
    fmin: 0,
    f: (p) => {
      const w = vec(p, 5).map((x) => 1 + (x - 1) / 4);
      const d = w.length;
      let s = Math.sin(Math.PI * w[0]) ** 2;
      for (let i = 0; i < d - 1; i++) s += (w[i] - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * w[i] + 1) ** 2);
      return s + (w[d - 1] - 1) ** 2 * (1 + Math.sin(2 * Math.PI * w[d - 1]) ** 2);
    },
  },
  styblinski4: {
    space: range(4, -5, 5),
    fmin: -39.16616570377142 * 4,
    f: (p) => vec(p, 4).reduce((s, x) => s + 0.5 * (x ** 4 - 16 * x * x + 5 * x), 0),
  },
  michalewicz5: {
    space: range(5, 0, Math.PI),
    fmin: -4.687658,
    f: (p) => -vec(p, 5).reduce((s, x, i) => s + Math.sin(x) * Math.sin(((i + 1) * x * x) / Math.PI) ** 20, 0),
  },
  // One-flag noisy functions (the harness has one, guild_noisy1d), for the
  // one-flag rules of the tree optimizers. Noise sd about 5% of each range.
  forrester1d: {
    // Forrester et al. (2008): a global minimum at 0.757 and a local one at 0.14 (f ≈ -0.99).
    space: { x: { type: "uniform", low: 0, high: 1 } },
    fmin: -6.020740055767082,
    noise: 1,
    within: 0.5,
    f: ({ x }) => (6 * x - 2) ** 2 * Math.sin(12 * x - 4),
  },
  gramacy_lee1d: {
    // Gramacy & Lee (2012): rugged on the left, the global minimum at 0.549, the next local one 0.2 above it.
    space: { x: { type: "uniform", low: 0.5, high: 2.5 } },
    fmin: -0.8690111349894999,
    noise: 0.1,
    within: 0.1,
    f: ({ x }) => Math.sin(10 * Math.PI * x) / (2 * x) + (x - 1) ** 4,
  },
  rastrigin4: {
    // Shifted so the minimum is not the centre of the box.
    space: range(4, -4, 6),
    fmin: 0,
    f: (p) => vec(p, 4).reduce((s, x) => s + (x - 0.7) ** 2 - 10 * Math.cos(2 * Math.PI * (x - 0.7)) + 10, 0),
  },
};

/** Issue 14 goal 4: a mixed space of the kinds g's flags have; the best act is relu. */
export const MIXED_ACT_PENALTY = { relu: 0, elu: 0.15, tanh: 0.35, sigmoid: 0.8 };
FUNCTIONS.mixed5 = {
  space: {
    lr: { type: "loguniform", low: 1e-5, high: 1e-1 },
    layers: { type: "uniform", low: 1, high: 8, integer: true },
    act: { type: "choice", values: ["tanh", "sigmoid", "relu", "elu"] },
    dropout: { type: "uniform", low: 0, high: 0.8 },
    batch: { type: "loguniform", low: 16, high: 512, integer: true },
  },
  fmin: 0,
  bestChoice: ["act", "relu"],
  f: ({ lr, layers, act, dropout, batch }) =>
    // tanh and sigmoid want a larger learning rate, so the flags interact.
    0.25 * (Math.log10(lr) + (act === "relu" || act === "elu" ? 3 : 2)) ** 2 +
    0.08 * (layers - 4) ** 2 +
    MIXED_ACT_PENALTY[act] +
    2 * (dropout - 0.3) ** 2 +
    0.1 * (Math.log2(batch) - 6) ** 2,
};

function ackley(x) {
  const d = x.length;
  const s2 = x.reduce((s, v) => s + v * v, 0);
  const c = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0);
  return -20 * Math.exp(-0.2 * Math.sqrt(s2 / d)) - Math.exp(c / d) + 20 + Math.E;
}
