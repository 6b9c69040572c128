// One optimizer session in ask/tell form: a space, a direction and a seed in;
// suggest() the next point, observe() what a point gave. `g ask-tell` serves
// it over JSON lines, and the TypeScript SDK's Optimizer calls it in process,
// so both make exactly the proposals `g run --optimizer` would.

import type { Observation, Point, Rng, SearchProgress, Space } from "../flags/space.js";
import { createRng } from "../search/rng.js";
import { findOptimizer, loadProposer, parseOptimizerSettings, type OptimizerName, type Proposer } from "./optimizers.js";
import { UsageError } from "../errors.js";

/** The optimizers a session serves: those that propose (grid has no proposals to make). */
export type AskTellOptimizer = Exclude<OptimizerName, "grid">;

/** `name` (or an alias such as `bayesian`) as an optimizer that proposes; a usage error otherwise. */
export function askTellOptimizer(name: string, what = "ask-tell"): AskTellOptimizer {
  const found = findOptimizer(name.toLowerCase());
  if (found === undefined || found === "grid") {
    throw new UsageError(
      `unknown optimizer '${name}' for ${what}: expected gp (alias bayesian), tpe, forest, gbrt or random (e.g. g ask-tell --optimizer gp)`,
    );
  }
  return found;
}

export class AskTellSession {
  private readonly history: Observation[] = [];
  private suggested = 0;

  private constructor(
    private readonly propose: Proposer,
    private readonly rng: Rng,
    /** -1 when maximising: the optimizers minimise. */
    private readonly sign: number,
    /** Trials the caller means to run in all (init's "budget"), or null when it did not say. */
    private readonly budget: number | null,
  ) {}

  /** A fresh session: its own proposer (the gp's warm-start cache belongs to one space) and random stream. */
  static async start(opts: {
    optimizer: AskTellOptimizer;
    space: Space;
    direction: "minimize" | "maximize";
    seed: string;
    /** Optimizer settings as --opt-flag gives them (name → text). */
    settings?: Record<string, string>;
    /** How many trials the caller will run in all, if it knows (gp and forest refine in the last ones). */
    budget?: number | null;
  }): Promise<AskTellSession> {
    const settings = await parseOptimizerSettings(opts.optimizer, opts.settings ?? {});
    const propose = await loadProposer(opts.optimizer, opts.space, settings);
    return new AskTellSession(propose, createRng(opts.seed), opts.direction === "maximize" ? -1 : 1, opts.budget ?? null);
  }

  /** The next point to try, learning from everything observed so far. */
  suggest(): Point {
    const point = this.propose(this.history, this.rng, this.progress());
    this.suggested++;
    return point;
  }

  /**
   * Where the session stands against its budget: this is trial k + 1, k the
   * trials suggested or observed so far (observations need not follow
   * suggestions); past the budget every trial counts as the last.
   */
  private progress(): SearchProgress | undefined {
    if (this.budget === null) return undefined;
    const trial = Math.max(this.suggested, this.history.length) + 1;
    return { trial: Math.min(trial, this.budget), total: this.budget };
  }

  /** What `point` gave; null for a failed trial. */
  observe(point: Point, value: number | null): void {
    this.history.push({ point, value: value === null ? null : this.sign * value });
  }
}
