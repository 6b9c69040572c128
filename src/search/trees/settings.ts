// The settings of `--optimizer forest` and `--optimizer gbrt`: their
// defaults, the help `g run --help-optimizer forest|gbrt` prints, and
// `--opt-flag name=value` parsing. The names are Guild's (random-starts,
// kappa, xi; acq-func as for its gp), plus the surrogate's size and the
// share of random trials.

import { UsageError } from "../../errors.js";
import { unknownSettingMessage } from "../../format/suggest.js";

export type TreeAcquisition = "ei" | "lcb" | "pi";
export type TreeSurrogate = "forest" | "gbrt";

export interface TreeSettings {
  /** Random points before the surrogate is used. */
  randomStarts: number;
  acquisition: TreeAcquisition;
  /** LCB exploration weight (in the surrogate's standard deviations). */
  kappa: number;
  /** EI/PI improvement margin, in standard deviations of the observed values. */
  xi: number;
  /** Candidate points scored per proposal. */
  candidates: number;
  /** forest: trees; gbrt: boosting stages per quantile model. */
  trees: number;
  /** Share of the trials after the random starts that are random draws too. */
  randomFraction: number;
  /** SMAC's local search of the acquisition from the best trials and candidates (trees/local-search.ts). */
  localSearch: boolean;
  /** When the budget is known: the share of it, at the end, spent around the incumbent; "off": never. */
  endGame: number | "off";
}

/**
 * forest's end game, 0.2 of a known budget (of 50 or more trials, see
 * acquisition.ts): at 50 trials it lowered the median regret on seven of
 * the eight multi-flag benchmark functions (hartmann6, 80 seeds in-process:
 * 0.523 → 0.428; docs/benchmarks.md, goal 5, "Eighth round"); 0.1 gave
 * half the gain.
 */
export const DEFAULT_FOREST_SETTINGS: TreeSettings = {
  randomStarts: 5,
  acquisition: "lcb",
  kappa: 1,
  xi: 0.01,
  candidates: 1000,
  trees: 100,
  randomFraction: 0.2,
  localSearch: false,
  endGame: 0.2,
};

/**
 * gbrt's quantile band is wider than the forest's spread where the values
 * vary, so it needs less optimism: kappa 0.5 measured 4.0 against 4.9 on
 * ackley5 (10 seeds).
 */
export const DEFAULT_GBRT_SETTINGS: TreeSettings = {
  randomStarts: 5,
  acquisition: "lcb",
  kappa: 0.5,
  xi: 0.01,
  candidates: 1000,
  trees: 100,
  randomFraction: 0.2,
  localSearch: false,
  endGame: "off",
};

/**
 * gbrt on a single flag: EI instead of LCB. Fifty trials cover one flag's
 * range many times over, so what decides a noisy one-flag search is how
 * many trials land close to the bottom of the best basin, where the lowest
 * observation can then be trusted. EI, anchored at the lowest value seen,
 * samples close to it; LCB's optimism spreads the trials over the basin's
 * flanks, where the quantile band is wide (noisy 1-D function, trials
 * within 0.05 of the minimiser: 40% against 28%). Median regret there
 * (in-process, 40 seeds) went from 0.046 to 0.010, and on Gramacy & Lee's
 * function from 0.22 to 0.025; with more flags EI loses (rosenbrock4,
 * ackley5, hartmann6; branin 0.013 → 0.061), so only one flag gets it.
 */
export const ONE_FLAG_GBRT_ACQUISITION: TreeAcquisition = "ei";

/** The defaults of a surrogate for a space of `flags` flags (gbrt differs with one flag). */
export function defaultTreeSettings(surrogate: TreeSurrogate, flags = 2): TreeSettings {
  if (surrogate === "forest") return DEFAULT_FOREST_SETTINGS;
  return flags === 1 ? { ...DEFAULT_GBRT_SETTINGS, acquisition: ONE_FLAG_GBRT_ACQUISITION } : DEFAULT_GBRT_SETTINGS;
}

export function treeSettingsHelp(surrogate: TreeSurrogate): Array<{ name: string; default: string; help: string }> {
  const d = defaultTreeSettings(surrogate);
  return [
    { name: "random-starts", default: String(d.randomStarts), help: "random trials before the trees take over" },
    {
      name: "acq-func",
      default: surrogate === "gbrt" ? `${d.acquisition} (${ONE_FLAG_GBRT_ACQUISITION} with one flag)` : d.acquisition,
      help: "acquisition: lcb (lower confidence bound), ei (expected improvement) or pi (probability of improvement)",
    },
    { name: "kappa", default: String(d.kappa), help: "lcb: how many standard deviations of optimism (larger explores more)" },
    {
      name: "xi",
      default: String(d.xi),
      help: "ei/pi: minimum improvement worth taking, in standard deviations of the objective (larger explores more)",
    },
    { name: "candidates", default: String(d.candidates), help: "uniform random candidate points scored per trial" },
    {
      name: "trees",
      default: String(d.trees),
      help: surrogate === "forest" ? "trees in the extra-trees forest" : "boosting stages in each of the three quantile models",
    },
    {
      name: "random-fraction",
      default: String(d.randomFraction),
      help: "share of the trials after the random starts that are random draws too (0 to 1; larger explores more)",
    },
    {
      name: "local-search",
      default: d.localSearch ? "on" : "off",
      help: "on: also hill-climb the acquisition from the best trials and candidates (SMAC's local search); off: uniform candidates only",
    },
    {
      name: "end-game",
      default: String(d.endGame),
      help: "when the budget is known, with two flags or more and 40 trials before it: the share of it, at the end, spent on candidates around the best trial, with no random draws; off: never",
    },
  ];
}

export function parseTreeSettings(surrogate: TreeSurrogate, raw: Record<string, string>): Partial<TreeSettings> {
  const out: Partial<TreeSettings> = {};
  for (const [rawName, value] of Object.entries(raw)) {
    const name = rawName.replace(/_/g, "-").toLowerCase();
    switch (name) {
      case "random-starts":
        out.randomStarts = parseCount(rawName, value, 0);
        break;
      case "acq-func":
      case "acquisition": {
        const v = value.toLowerCase();
        if (v !== "ei" && v !== "lcb" && v !== "pi")
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected ei, lcb or pi (e.g. --opt-flag acq-func=ei)`);
        out.acquisition = v;
        break;
      }
      case "kappa":
        out.kappa = parseNonNegative(rawName, value);
        break;
      case "xi":
        out.xi = parseNonNegative(rawName, value);
        break;
      case "candidates":
        out.candidates = parseCount(rawName, value, 1);
        break;
      case "trees":
        out.trees = parseCount(rawName, value, 1);
        break;
      case "random-fraction": {
        const n = Number(value);
        if (value.trim() === "" || !(n >= 0 && n <= 1))
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected a number from 0 to 1 (e.g. --opt-flag ${name}=0.2)`);
        out.randomFraction = n;
        break;
      }
      case "local-search": {
        const v = value.toLowerCase();
        if (v !== "on" && v !== "off")
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected on or off (e.g. --opt-flag local-search=on)`);
        out.localSearch = v === "on";
        break;
      }
      case "end-game": {
        const v = value.toLowerCase();
        const n = Number(value);
        if (v === "off") out.endGame = "off";
        else if (value.trim() !== "" && n >= 0 && n <= 1) out.endGame = n === 0 ? "off" : n;
        else throw new UsageError(`--opt-flag ${rawName}=${value}: expected off or a share from 0 to 1 (e.g. --opt-flag end-game=0.1)`);
        break;
      }
      default:
        throw new UsageError(
          unknownSettingMessage(
            surrogate,
            rawName,
            treeSettingsHelp(surrogate).map((h) => h.name),
          ),
        );
    }
  }
  return out;
}

function parseCount(name: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--opt-flag ${name}=${value}: expected a whole number >= ${min} (e.g. --opt-flag ${name}=${Math.max(min, 5)})`);
  }
  return n;
}

function parseNonNegative(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--opt-flag ${name}=${value}: expected a number >= 0 (e.g. --opt-flag ${name}=0.01)`);
  }
  return n;
}
