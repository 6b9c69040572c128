// The optimizer registry: every name g accepts for an optimizer (with aliases),
// which of them run a fixed list and which propose from results, their
// settings (`--opt-flag name=value`) and their proposers. `g run`, `--restart`,
// `g ask-tell` and the batch planner all look optimizers up here. gp, tpe,
// forest and gbrt are imported only when used, so `g run` of a plain script
// never loads them.

import { UsageError } from "../errors.js";
import type { Observation, Point, Rng, SearchProgress, Space } from "../flags/space.js";

export type OptimizerName = "grid" | "random" | "gp" | "tpe" | "forest" | "gbrt";
/** Optimizers that propose each trial from the results of the ones before. */
export type SequentialOptimizer = "gp" | "tpe" | "forest" | "gbrt";

/** Trials of a random or sequential search when neither --max-trials nor --trials says (Guild's default). */
export const DEFAULT_MAX_TRIALS = 20;

const NAMES: Record<string, OptimizerName> = {
  grid: "grid",
  random: "random",
  gp: "gp",
  bayesian: "gp",
  tpe: "tpe",
  forest: "forest",
  gbrt: "gbrt",
};

/** Every name `--optimizer` accepts, aliases included (for completion). */
export const OPTIMIZER_NAMES: readonly string[] = Object.keys(NAMES);

/** How the names are listed in messages. */
export const OPTIMIZER_CHOICES = "grid, random, gp (also called bayesian), tpe, forest or gbrt";

/** The optimizer a name (or alias, any case) stands for, or undefined. */
export function findOptimizer(name: string): OptimizerName | undefined {
  return NAMES[name.toLowerCase()];
}

/** The optimizer a name stands for; a usage error naming the choices otherwise. */
export function resolveOptimizer(name: string): OptimizerName {
  const found = findOptimizer(name);
  if (found === undefined) throw new UsageError(`unknown optimizer "${name}"; use ${OPTIMIZER_CHOICES}, e.g. --optimizer random`);
  return found;
}

export function isSequential(name: OptimizerName): name is SequentialOptimizer {
  return name !== "grid" && name !== "random";
}

/** `--opt-flag name=value` texts → name → value text (later ones win). */
export function parseOptFlags(items: string[]): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const f of items) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new UsageError(`--opt-flag takes name=value, e.g. --opt-flag random-starts=5 (got "${f}")`);
    raw[f.slice(0, eq).trim()] = f.slice(eq + 1).trim();
  }
  return raw;
}

/** An optimizer's settings, checked and typed; grid and random have none, so any is an error. */
export async function parseOptimizerSettings(name: OptimizerName, raw: Record<string, string>): Promise<Record<string, unknown>> {
  if (name === "gp") return { ...(await import("../search/gp.js")).parseGpSettings(raw) };
  if (name === "tpe") return { ...(await import("../search/tpe.js")).parseTpeSettings(raw) };
  if (name === "forest" || name === "gbrt") return { ...(await import("../search/trees.js")).parseTreeSettings(name, raw) };
  if (Object.keys(raw).length > 0)
    throw new UsageError(`--opt-flag is for gp, tpe, forest and gbrt; the ${name} optimizer has no settings`);
  return {};
}

export interface SettingHelp {
  name: string;
  default: string;
  help: string;
}

/** The settings an optimizer takes, for `--help-optimizer` (none for grid and random). */
export async function optimizerSettingsHelp(name: OptimizerName): Promise<SettingHelp[]> {
  if (name === "gp") return (await import("../search/gp.js")).GP_SETTINGS_HELP;
  if (name === "tpe") return (await import("../search/tpe.js")).TPE_SETTINGS_HELP;
  if (name === "forest" || name === "gbrt") return (await import("../search/trees.js")).treeSettingsHelp(name);
  return [];
}

/**
 * Proposes the next point from the observations so far (failed and running
 * ones with a null value); `progress` when the caller knows the budget (gp,
 * forest and gbrt can spend the last trials refining, see gp/end-game.ts and
 * trees/local-search.ts; tpe and random ignore it).
 */
export type Proposer = (history: Observation[], rng: Rng, progress?: SearchProgress) => Point;

/**
 * What a proposer keeps from one proposal to the next (the gp's warm start:
 * arrays of numbers, in nested objects); empty for the others.
 */
export type ProposerCache = { [key: string]: Float64Array | ProposerCache | undefined };

/** A proposer's cache as plain JSON (ask-tell's session state), and back with `loadProposerCache`. */
export function saveProposerCache(cache: ProposerCache): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cache)) {
    if (value instanceof Float64Array) out[key] = Array.from(value);
    else if (value !== undefined) out[key] = saveProposerCache(value);
  }
  return out;
}

/** The cache `saveProposerCache` wrote, or null when `json` is not one (a value that is no finite number, array or object). */
export function loadProposerCache(json: unknown): ProposerCache | null {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return null;
  const out: ProposerCache = {};
  for (const [key, value] of Object.entries(json)) {
    if (Array.isArray(value)) {
      if (!value.every((v) => typeof v === "number" && Number.isFinite(v))) return null;
      out[key] = Float64Array.from(value as number[]);
    } else {
      const inner = loadProposerCache(value);
      if (inner === null) return null;
      out[key] = inner;
    }
  }
  return out;
}

/**
 * A proposer for one search over `space`. The gp keeps a cache across calls
 * (`cache`, new unless given), so each proposal's model fit starts from the
 * last one's; make one proposer per batch or session. Random proposes
 * independent samples; grid has no proposer (its trials are the fixed list).
 */
export async function loadProposer(
  name: OptimizerName,
  space: Space,
  settings: Record<string, unknown>,
  cache: ProposerCache = {},
): Promise<Proposer> {
  switch (name) {
    case "gp": {
      const { proposeGp } = await import("../search/gp.js");
      return (history, rng, progress) => proposeGp(space, history, rng, progress ? { ...settings, progress } : settings, cache);
    }
    case "tpe": {
      const { proposeTpe } = await import("../search/tpe.js");
      return (history, rng) => proposeTpe(space, history, rng, settings);
    }
    case "forest":
    case "gbrt": {
      const { proposeTrees } = await import("../search/trees.js");
      return (history, rng, progress) => proposeTrees(name, space, history, rng, settings, progress);
    }
    case "random": {
      const { samplePoint } = await import("../search/random.js");
      return (_history, rng) => samplePoint(space, rng);
    }
    case "grid":
      throw new UsageError("the grid optimizer runs a fixed list of combinations; it does not propose points");
  }
}
