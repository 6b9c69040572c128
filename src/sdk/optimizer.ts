// An optimizer client for search loops written in TypeScript/JavaScript:
// `await optimizer.suggest()` / `optimizer.register(params, value)`, over g's
// own gp / tpe / random. It runs the session `g ask-tell` serves
// (src/trials/ask-tell-session.ts) in this process, with the space checked by
// the same protocol parser, so its proposals are the ones `g ask-tell` and
// `g run --optimizer` make. The Python twin (g_runs/optimizer.py) speaks to
// `g ask-tell` over its JSON lines.

import type { Point, Space } from "../flags/space.js";
import { AskTellError, PROTOCOL_VERSION, parseAskTellLine } from "../search/ask-tell-protocol.js";
import type { FlagValue } from "../store/types.js";
import { AskTellSession, askTellOptimizer } from "../trials/ask-tell-session.js";

/** A parameter: [low, high], [low, high, "log"], a list of choices in an object, or ask-tell's own form. */
export type ParamSpec =
  | readonly [number, number]
  | readonly [number, number, "log" | "linear"]
  | { type: "float"; low: number; high: number; log?: boolean }
  | { type: "int"; low: number; high: number; log?: boolean }
  | { type: "categorical"; values: FlagValue[] }
  | { choices: FlagValue[] };

export interface OptimizerOptions {
  /** gp (default; alias bayesian), tpe, forest, gbrt or random. */
  optimizer?: string;
  /** Larger values are better (default: smaller). */
  maximize?: boolean;
  seed?: number | string;
  /** Optimizer settings, as `--opt-flag name=value` takes them. */
  settings?: Record<string, string | number>;
  /** How many trials the loop will run in all, if known (as ask-tell's init "budget": gp and forest refine in the last ones). */
  budget?: number;
}

/** ask-tell's form of one parameter. */
function toDimension(name: string, spec: ParamSpec): unknown {
  if (Array.isArray(spec)) {
    const [low, high, scale] = spec as [number, number, string | undefined];
    if (scale !== undefined && scale !== "log" && scale !== "linear")
      throw new Error(`g-runs: ${name}: the third item of a range is "log" or "linear", got ${JSON.stringify(scale)}`);
    return { type: "float", low, high, ...(scale === "log" ? { log: true } : {}) };
  }
  if (typeof spec === "object" && spec !== null && "choices" in spec) return { type: "categorical", values: spec.choices };
  return spec;
}

export class Optimizer {
  /** Every registered trial, as bayes_opt keeps them. */
  readonly res: Array<{ params: Point; target: number | null }> = [];
  private readonly space: Space;
  private readonly direction: "minimize" | "maximize";
  private readonly seed: string;
  private readonly budget: number | null;
  private session: Promise<AskTellSession> | null = null;

  constructor(
    space: Record<string, ParamSpec>,
    private readonly opts: OptimizerOptions = {},
  ) {
    this.direction = opts.maximize ? "maximize" : "minimize";
    this.seed = String(opts.seed ?? 0);
    if (opts.budget !== undefined && !(Number.isSafeInteger(opts.budget) && opts.budget >= 0))
      throw new Error(`g-runs: optimizer budget must be a whole number >= 0, got ${String(opts.budget)}`);
    this.budget = opts.budget !== undefined && opts.budget > 0 ? opts.budget : null;
    const dims = Object.fromEntries(Object.entries(space).map(([name, spec]) => [name, toDimension(name, spec)]));
    // The space is checked as g ask-tell checks an init line: the same errors for the same mistakes.
    const init = JSON.stringify({ type: "init", protocol: PROTOCOL_VERSION, space: dims, direction: this.direction, seed: 0 });
    try {
      const msg = parseAskTellLine(init, null);
      this.space = (msg as { space: Space }).space;
    } catch (err) {
      if (err instanceof AskTellError) throw new Error(`g-runs: optimizer space: ${err.message.replace(/^init: /, "")}`);
      throw err;
    }
    askTellOptimizer(opts.optimizer ?? "gp", "the optimizer");
  }

  private start(): Promise<AskTellSession> {
    this.session ??= AskTellSession.start({
      optimizer: askTellOptimizer(this.opts.optimizer ?? "gp", "the optimizer"),
      space: this.space,
      direction: this.direction,
      seed: this.seed,
      settings: Object.fromEntries(Object.entries(this.opts.settings ?? {}).map(([k, v]) => [k, String(v)])),
      budget: this.budget,
    });
    return this.session;
  }

  /** The next params to try, learning from everything registered so far. */
  async suggest(): Promise<Point> {
    return { ...(await this.start()).suggest() };
  }

  /** What `params` gave (null, NaN or Infinity: a failed trial). */
  async register(params: Point, value: number | null): Promise<void> {
    if (value !== null && typeof value !== "number") throw new TypeError(`g-runs: register() takes a number or null, got ${typeof value}`);
    const line = JSON.stringify({ type: "observe", params, value: value !== null && Number.isFinite(value) ? value : null });
    let checked: Point;
    try {
      checked = (parseAskTellLine(line, this.space) as { params: Point }).params;
    } catch (err) {
      if (err instanceof AskTellError) throw new Error(`g-runs: register(): ${err.message.replace(/^observe: /, "")}`);
      throw err;
    }
    const target = value !== null && Number.isFinite(value) ? value : null;
    (await this.start()).observe(checked, target);
    this.res.push({ params: { ...params }, target });
  }

  /** The best registered trial (the lowest when minimising). */
  get max(): { params: Point; target: number } | null {
    let best: { params: Point; target: number } | null = null;
    for (const r of this.res) {
      if (r.target === null) continue;
      if (best === null || (this.direction === "maximize" ? r.target > best.target : r.target < best.target))
        best = { params: r.params, target: r.target };
    }
    return best;
  }
}

/** The bayesian-optimization package's constructor over g's gp: it maximises the target. */
export class BayesianOptimization extends Optimizer {
  constructor(opts: { f?: null; pbounds: Record<string, readonly [number, number]>; randomState?: number; optimizer?: string }) {
    if (opts.f !== undefined && opts.f !== null)
      throw new Error("g-runs: BayesianOptimization({ f }) with maximize() is not supported; use suggest()/register()");
    super(opts.pbounds, { optimizer: opts.optimizer ?? "gp", maximize: true, seed: opts.randomState ?? 0 });
  }
}
