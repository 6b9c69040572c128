// One optimizer session in ask/tell form: a space, a direction and a seed in;
// suggest() the next point, observe() what a point gave. `g ask-tell` serves
// it over JSON lines, and the TypeScript SDK's Optimizer calls it in process,
// so both make exactly the proposals `g run --optimizer` would.

import type { Observation, Point, Rng, SearchProgress, Space } from "../flags/space.js";
import { createSavableRng, isRngState } from "../search/rng.js";
import {
  findOptimizer,
  loadProposer,
  loadProposerCache,
  parseOptimizerSettings,
  saveProposerCache,
  type OptimizerName,
  type Proposer,
  type ProposerCache,
} from "./optimizers.js";
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

/**
 * Where a session's proposals stand besides its observations: how many it
 * made, its random stream's state and what the optimizer keeps from one
 * proposal to the next (the gp's warm start). Plain JSON; a session resumed
 * from it, told the same observations, proposes as the one that gave it.
 */
export interface SessionState {
  suggested: number;
  rng: number[];
  cache: Record<string, unknown>;
}

/** `state` checked to be one `AskTellSession.save()` gave, or a message saying what is wrong with it. */
export function checkSessionState(state: unknown): SessionState | string {
  if (state === null || typeof state !== "object" || Array.isArray(state)) return 'must be the object a suggestion\'s "state" gave';
  const { suggested, rng, cache, ...rest } = state as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return `has an unknown field ${JSON.stringify(extra)}`;
  if (typeof suggested !== "number" || !Number.isSafeInteger(suggested) || suggested < 0) return '"suggested" must be a whole number >= 0';
  if (!isRngState(rng)) return '"rng" must be a random stream\'s state (i, j and a permutation of 0..255)';
  if (loadProposerCache(cache) === null) return '"cache" must be an object of arrays of numbers';
  return { suggested, rng, cache: cache as Record<string, unknown> };
}

export class AskTellSession {
  private readonly history: Observation[] = [];
  private suggested = 0;

  private constructor(
    private propose: Proposer,
    private rng: { rng: Rng; save: () => number[] },
    /** -1 when maximising: the optimizers minimise. */
    private readonly sign: number,
    /** Trials the caller means to run in all (init's "budget"), or null when it did not say. */
    private readonly budget: number | null,
    private cache: ProposerCache,
    private readonly makeProposer: (cache: ProposerCache) => Promise<Proposer>,
    private readonly seed: string,
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
    const makeProposer = (cache: ProposerCache) => loadProposer(opts.optimizer, opts.space, settings, cache);
    const cache: ProposerCache = {};
    return new AskTellSession(
      await makeProposer(cache),
      createSavableRng(opts.seed),
      opts.direction === "maximize" ? -1 : 1,
      opts.budget ?? null,
      cache,
      makeProposer,
      opts.seed,
    );
  }

  /** The next point to try, learning from everything observed so far. */
  suggest(): Point {
    const point = this.propose(this.history, this.rng.rng, this.progress());
    this.suggested++;
    return point;
  }

  /** Where the proposals stand (not the observations, which the caller has): what `resume` takes back. */
  save(): SessionState {
    return { suggested: this.suggested, rng: this.rng.save(), cache: saveProposerCache(this.cache) };
  }

  /**
   * Goes on from `state` (checked by `checkSessionState`), as the session that
   * saved it: its count of proposals, random stream and warm start; the
   * observations are told separately, all at once, so resuming fits no model.
   */
  async resume(state: SessionState): Promise<void> {
    this.cache = loadProposerCache(state.cache)!;
    this.propose = await this.makeProposer(this.cache);
    this.rng = createSavableRng(this.seed, state.rng);
    this.suggested = state.suggested;
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
