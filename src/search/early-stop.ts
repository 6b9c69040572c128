// Early termination of sweep trials (W&B's `early_terminate`), pure: decides
// from metric histories whether a running trial should be stopped. A history
// is the metric's values in the order logged; its step is how many values it
// holds, as in W&B. The exact rules are documented in docs/sweeps.md.

import type { EarlyTerminate, EnvelopeRule, HyperbandRule } from "../flags/sweep-space.js";

export type Goal = "minimize" | "maximize";

export interface StopDecision {
  stop: boolean;
  /** Why, for the agent's message: "hyperband band 3: 0.9 is not in the best 1 of 2". */
  reason: string;
}

/**
 * Whether the running trial whose metric history is `current` should stop.
 * `others` are the histories of the sweep's other trials (finished ones for
 * envelope; for hyperband any that reached a band, running ones included).
 */
export function shouldStop(
  rule: EarlyTerminate,
  current: number[],
  others: { history: number[]; finished: boolean }[],
  goal: Goal,
): StopDecision {
  return rule.type === "envelope"
    ? envelopeDecision(
        rule,
        current,
        others.filter((o) => o.finished).map((o) => o.history),
        goal,
      )
    : hyperbandDecision(
        rule,
        current,
        others.map((o) => o.history),
        goal,
      );
}

const better = (goal: Goal) => (a: number, b: number) => (goal === "minimize" ? a < b : a > b);

/** The best of the first `n` values (all of them when the history is shorter). */
export function bestOfFirst(history: number[], n: number, goal: Goal): number {
  const isBetter = better(goal);
  let best = history[0]!;
  for (let i = 1; i < Math.min(n, history.length); i++) if (isBetter(history[i]!, best)) best = history[i]!;
  return best;
}

/**
 * Envelope: among finished trials (at least min_runs), keep the best
 * `fraction` by final best value (at least one); their best-so-far curves,
 * worst of them at each step, form the envelope. A trial with at least
 * start_iter values whose best-so-far is worse than the envelope at its step
 * is stopped.
 */
export function envelopeDecision(rule: EnvelopeRule, current: number[], finished: number[][], goal: Goal): StopDecision {
  const done = finished.filter((h) => h.length > 0);
  const step = current.length;
  if (done.length < rule.min_runs || step < rule.start_iter || step === 0) return { stop: false, reason: "" };
  const isBetter = better(goal);
  const ranked = done
    .map((h) => ({ h, final: bestOfFirst(h, h.length, goal) }))
    .sort((a, b) => (isBetter(a.final, b.final) ? -1 : isBetter(b.final, a.final) ? 1 : 0));
  const kept = ranked.slice(0, Math.max(1, Math.ceil(rule.fraction * done.length)));
  let envelope = bestOfFirst(kept[0]!.h, step, goal);
  for (const k of kept.slice(1)) {
    const v = bestOfFirst(k.h, step, goal);
    if (isBetter(envelope, v)) envelope = v;
  }
  const mine = bestOfFirst(current, step, goal);
  if (isBetter(envelope, mine)) {
    return {
      stop: true,
      reason: `envelope at step ${step}: best ${mine} is worse than ${envelope}, the envelope of the best ${kept.length} of ${done.length} finished runs`,
    };
  }
  return { stop: false, reason: "" };
}

/**
 * Hyperband: at each band b (a number of logged values), a trial whose best
 * of its first b values is not among the best ceil(n / eta) of the n trials
 * that reached b (itself included; ties count in its favour) is stopped. It
 * is judged at the highest band its history has reached, each time it logs
 * (as W&B does), so peers that reach the band later still count; with no
 * other trial at b yet it continues.
 */
export function hyperbandDecision(rule: HyperbandRule, current: number[], others: number[][], goal: Goal): StopDecision {
  const reached = rule.bands.filter((b) => b <= current.length);
  if (reached.length === 0) return { stop: false, reason: "" };
  const band = reached[reached.length - 1]!;
  const isBetter = better(goal);
  const mine = bestOfFirst(current, band, goal);
  const peers = others.filter((h) => h.length >= band).map((h) => bestOfFirst(h, band, goal));
  if (peers.length === 0) return { stop: false, reason: "" };
  const n = peers.length + 1;
  const keep = Math.max(1, Math.ceil(n / rule.eta));
  const rank = 1 + peers.filter((v) => isBetter(v, mine)).length;
  if (rank > keep) {
    return {
      stop: true,
      reason: `hyperband band ${band}: best ${mine} ranks ${rank} of ${n}, only the best ${keep} continue (eta ${rule.eta})`,
    };
  }
  return { stop: false, reason: "" };
}
