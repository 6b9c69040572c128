// The Gaussian-process optimizer's settings: their defaults, the help that
// `g run --help-optimizer gp` prints, and `--opt-flag name=value` parsing.

import { UsageError } from "../../errors.js";
import type { SearchProgress } from "../../flags/space.js";
import { unknownSettingMessage } from "../../format/suggest.js";
import type { Encoding } from "../encode.js";

export type Acquisition = "ei" | "lcb" | "pi" | "hedge" | "alternate" | "mes";

/** The parts of `model=optuna` that `optuna-swap` can replace by g's own (see gp/optuna.ts). */
export const OPTUNA_PARTS = ["starts", "warp", "prior", "fit", "candidates", "beliefs"] as const;
export type OptunaPart = (typeof OPTUNA_PARTS)[number];

export interface GpSettings {
  /** Random points before the model is used. */
  randomStarts: number;
  acquisition: Acquisition;
  /** LCB exploration weight (in posterior standard deviations). */
  kappa: number;
  /** EI/PI improvement margin, in standardised output units. */
  xi: number;
  /** "fit" (learn the noise variance) or a fixed noise variance in standardised units. */
  noise: "fit" | number;
  /** With acquisition "mes": samples of the minimum's value y* per proposal. */
  mesSamples: number;
  /** With acquisition "mes": where y* comes from: a Gumbel fitted over the candidates, or joint posterior draws. */
  mesMax: "gumbel" | "draws";
  /** With acquisition "mes": from this many finished trials on, EI instead; "off": MES throughout. */
  mesUntil: number | "off";
  /** Random candidates scored per proposal before local refinement. */
  candidates: number;
  /** Starts of the gradient refinement of the acquisition (the best candidate, the best trial, draws by score). */
  refineStarts: number;
  /**
   * "auto": Yeo-Johnson power transform of the standardised values, chosen by likelihood; "none": standardise only;
   * "evidence": each fit made on both, the model whose evidence (with the transform's Jacobian) is higher kept.
   */
  warp: "auto" | "none" | "evidence";
  /** The random starts: "random" (uniform, spread out with one or two numeric flags) or "latin" (a maximin Latin hypercube). */
  design: "random" | "latin";
  /**
   * 0: one MAP fit of the hyperparameters (with a shorter-scaled second
   * belief); N > 0: the acquisition averaged over N slice-sampled draws of
   * them (Snoek et al. 2012).
   */
  hyperSamples: number;
  /** "g" (this optimizer) or "optuna" (the port of Optuna 4.6's GPSampler in gp/optuna.ts, for comparisons). */
  model: "g" | "optuna";
  /** With model "optuna": the parts taken from g instead. */
  optunaSwap: OptunaPart[];
  /**
   * With `hyperSamples` > 0: from this many finished trials on, every other
   * proposal (after an odd count) uses the single fit instead of the draws;
   * "auto": from FIT_TURNS_NUMERIC, or FIT_TURNS_WITH_CHOICES when a flag is
   * a choice; "off": every proposal uses the draws.
   */
  fitTurns: number | "auto" | "off";
  /**
   * The share of a known budget, at its end, that refines the best basin
   * instead of exploring (gp/end-game.ts); "off": never. Without a known
   * budget (`progress` null) it never applies.
   */
  endGame: number | "off";
  /** The end game's box: the incumbent ± this many fitted length scales per numeric flag. */
  endGameRadius: number;
  /**
   * Where the full fit finds noise in the end game: the number of trials
   * nearest the incumbent that a second fit checks it on (gp/end-game.ts);
   * "off": the end game's trials are then ordinary ones.
   */
  endGameCheck: number | "off";
  /**
   * Where the fit finds noise in the end game: "on", its first trial goes
   * where the fit's mean is lowest (what the model believes best: the trend
   * under ripples, or the objective under noise), once (gp/end-game.ts).
   */
  endGameJump: "on" | "off";
  /**
   * Not a user setting: where the search stands, given by a caller that
   * knows the budget (ask-tell's init, --max-trials, a sweep's run_cap).
   */
  progress: SearchProgress | null;
}

/** Where `fit-turns=auto` starts the single fit's turns: all-numeric spaces, and spaces with a choice flag. */
export const FIT_TURNS_NUMERIC = 25;
export const FIT_TURNS_WITH_CHOICES = 15;

export const DEFAULT_GP_SETTINGS: GpSettings = {
  randomStarts: 5,
  acquisition: "ei",
  kappa: 1.96,
  xi: 0.0001,
  // Wang & Jegelka used 1–10 samples of y*; BoTorch's default is 10.
  mesSamples: 10,
  mesMax: "gumbel",
  mesUntil: "off",
  noise: "fit",
  candidates: 300,
  refineStarts: 5,
  warp: "auto",
  hyperSamples: 0,
  fitTurns: "auto",
  design: "random",
  model: "g",
  optunaSwap: [],
  // The last tenth of a known budget refines (gp/end-game.ts says why these two values).
  endGame: 0.1,
  endGameRadius: 0.75,
  // Noise the full fit finds but the 15 trials around the incumbent do not is structure (gp/end-game.ts).
  endGameCheck: 15,
  // Where the fit finds noise, the end game's first trial tries the bottom of its mean (gp/end-game.ts).
  endGameJump: "on",
  progress: null,
};

export const GP_SETTINGS_HELP: Array<{ name: string; default: string; help: string }> = [
  {
    name: "random-starts",
    default: `${DEFAULT_GP_SETTINGS.randomStarts}, 10 with a single numeric flag`,
    help: "random trials before the model takes over",
  },
  {
    name: "acq-func",
    default: DEFAULT_GP_SETTINGS.acquisition,
    help: "acquisition: ei (expected improvement), lcb (lower confidence bound), pi (probability of improvement), hedge (a random one of the three per trial), alternate (lcb and ei by turns), mes (max-value entropy search: what a trial tells about the minimum's value; noise-aware)",
  },
  {
    name: "mes-samples",
    default: String(DEFAULT_GP_SETTINGS.mesSamples),
    help: "mes: samples of the minimum's value per trial (more is smoother, costs a little more)",
  },
  {
    name: "mes-max",
    default: DEFAULT_GP_SETTINGS.mesMax,
    help: "mes: where the samples of the minimum's value come from: gumbel (fitted to the posterior over the candidates, Wang & Jegelka) or draws (joint posterior draws on the most promising candidates)",
  },
  {
    name: "mes-until",
    default: String(DEFAULT_GP_SETTINGS.mesUntil),
    help: "mes: from this many finished trials on, ei instead of mes (mes finds basins, ei refines them); off: mes throughout",
  },
  {
    name: "kappa",
    default: String(DEFAULT_GP_SETTINGS.kappa),
    help: "lcb: how many standard deviations of optimism (larger explores more)",
  },
  {
    name: "xi",
    default: String(DEFAULT_GP_SETTINGS.xi),
    help: "ei/pi: minimum improvement worth taking, in standard deviations of the objective (larger explores more)",
  },
  {
    name: "noise",
    default: "fit",
    help: "fit (learn the noise level from the data; 'gaussian' is an alias) or a fixed noise variance relative to the objective's variance, e.g. 1e-6 for a deterministic objective",
  },
  {
    name: "candidates",
    default: String(DEFAULT_GP_SETTINGS.candidates),
    help: "random candidate points scored per trial before local refinement",
  },
  {
    name: "refine-starts",
    default: String(DEFAULT_GP_SETTINGS.refineStarts),
    help: "starts of the gradient refinement of the acquisition per trial (more searches it harder)",
  },
  {
    name: "warp",
    default: DEFAULT_GP_SETTINGS.warp,
    help: "auto (power-transform skewed objectives so a few huge values do not flatten the model near the minimum), none, or evidence (fit the model to both, keep the one the data support better: costs a second fit)",
  },
  {
    name: "design",
    default: DEFAULT_GP_SETTINGS.design,
    help: "the random starts: random (uniform draws; spread out with one or two numeric flags) or latin (a maximin Latin hypercube over the numeric flags)",
  },
  {
    name: "hyper-samples",
    default: String(DEFAULT_GP_SETTINGS.hyperSamples),
    help: "0 fits the model's length scales, signal and noise once (a point estimate, with a shorter-scaled second belief); N > 0 averages the acquisition over N draws of them from their posterior (slice sampling; explores more, costs more; see fit-turns)",
  },
  {
    name: "fit-turns",
    default: String(DEFAULT_GP_SETTINGS.fitTurns),
    help: `with hyper-samples > 0: from this many finished trials on, every other trial uses the single fit instead of the draws (refines the best basin, costs less); auto: ${FIT_TURNS_NUMERIC}, or ${FIT_TURNS_WITH_CHOICES} when a flag is a choice; off: never`,
  },
  {
    name: "end-game",
    default: String(DEFAULT_GP_SETTINGS.endGame),
    help: "when the budget is known (--max-trials, a sweep's run_cap, ask-tell's init budget): the share of it, at the end, that refines the best trial's basin (the single fit made exact, EI with no margin, in a box of end-game-radius length scales around it) instead of exploring, where the fit finds no noise (or end-game-check finds none near the best trial); off: never",
  },
  {
    name: "end-game-radius",
    default: String(DEFAULT_GP_SETTINGS.endGameRadius),
    help: "the end game's box: the best trial ± this many fitted length scales on each numeric flag",
  },
  {
    name: "end-game-check",
    default: String(DEFAULT_GP_SETTINGS.endGameCheck),
    help: "where the fit finds noise in the end game: fit again to this many trials nearest the best one, and if that fit finds none, refine with the first fit made exact (the noise was structure too fine to model, as a rippled function's); off: the end game's trials are then ordinary ones",
  },
  {
    name: "end-game-jump",
    default: DEFAULT_GP_SETTINGS.endGameJump,
    help: "on: where the fit finds noise, the end game's first trial goes where the fit's mean is lowest (what the model believes best: the objective under the noise, or the trend under a rippled function's ripples), once; the rest refine or are ordinary as end-game-check decides; off: that trial follows the same rule as the rest",
  },
  {
    name: "model",
    default: DEFAULT_GP_SETTINGS.model,
    help: "g, or optuna: a port of Optuna 4.6's GPSampler (10 random starts, its priors and warm-started fit, log EI over 2048 Sobol points and 10 local searches; the other settings above are ignored), for comparisons",
  },
  {
    name: "optuna-swap",
    default: "none",
    help: `with model=optuna, g's own parts in place of Optuna's, joined by +: ${OPTUNA_PARTS.join(", ")} (e.g. --opt-flag optuna-swap=starts+warp)`,
  },
];

export function parseGpSettings(raw: Record<string, string>): Partial<GpSettings> {
  const out: Partial<GpSettings> = {};
  for (const [rawName, value] of Object.entries(raw)) {
    const name = rawName.replace(/_/g, "-").toLowerCase();
    switch (name) {
      case "random-starts":
        out.randomStarts = parseCount(rawName, value, 0);
        break;
      case "acq-func":
      case "acquisition": {
        const v = value.toLowerCase().replace("gp_hedge", "hedge");
        if (v !== "ei" && v !== "lcb" && v !== "pi" && v !== "hedge" && v !== "alternate" && v !== "mes") {
          throw new UsageError(
            `--opt-flag ${rawName}=${value}: expected ei, lcb, pi, hedge, alternate or mes (e.g. --opt-flag acq-func=ei)`,
          );
        }
        out.acquisition = v;
        break;
      }
      case "kappa":
        out.kappa = parseNonNegative(rawName, value);
        break;
      case "xi":
        out.xi = parseNonNegative(rawName, value);
        break;
      case "noise": {
        const v = value.toLowerCase();
        if (v === "fit" || v === "gaussian") out.noise = "fit";
        else {
          const n = Number(value);
          if (!Number.isFinite(n) || n <= 0) {
            throw new UsageError(`--opt-flag ${rawName}=${value}: expected fit or a positive variance (e.g. --opt-flag noise=1e-6)`);
          }
          out.noise = n;
        }
        break;
      }
      case "mes-samples":
        out.mesSamples = parseCount(rawName, value, 1);
        break;
      case "mes-max": {
        const v = value.toLowerCase();
        if (v !== "gumbel" && v !== "draws")
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected gumbel or draws (e.g. --opt-flag mes-max=draws)`);
        out.mesMax = v;
        break;
      }
      case "mes-until": {
        const v = value.toLowerCase();
        out.mesUntil = v === "off" ? "off" : parseCount(rawName, value, 0);
        break;
      }
      case "candidates":
        out.candidates = parseCount(rawName, value, 1);
        break;
      case "refine-starts":
        out.refineStarts = parseCount(rawName, value, 1);
        break;
      case "warp": {
        const v = value.toLowerCase();
        if (v !== "auto" && v !== "none" && v !== "evidence")
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected auto, none or evidence (e.g. --opt-flag warp=none)`);
        out.warp = v;
        break;
      }
      case "design": {
        const v = value.toLowerCase();
        if (v !== "random" && v !== "latin")
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected random or latin (e.g. --opt-flag design=latin)`);
        out.design = v;
        break;
      }
      case "hyper-samples":
        out.hyperSamples = parseCount(rawName, value, 0);
        break;
      case "model": {
        const v = value.toLowerCase();
        if (v !== "g" && v !== "optuna")
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected g or optuna (e.g. --opt-flag model=optuna)`);
        out.model = v;
        break;
      }
      case "optuna-swap":
        out.optunaSwap = parseOptunaParts(rawName, value);
        break;
      case "fit-turns":
        {
          const v = value.toLowerCase();
          out.fitTurns = v === "off" || v === "auto" ? v : parseCount(rawName, value, 0);
        }
        break;
      case "end-game": {
        const v = value.toLowerCase();
        if (v === "off") out.endGame = "off";
        else {
          const n = Number(value);
          if (!Number.isFinite(n) || n <= 0 || n >= 1)
            throw new UsageError(
              `--opt-flag ${rawName}=${value}: expected off or a share of the budget between 0 and 1 (e.g. --opt-flag end-game=0.2)`,
            );
          out.endGame = n;
        }
        break;
      }
      case "end-game-radius":
        out.endGameRadius = parseNonNegative(rawName, value);
        // A box of no width holds only the incumbent, which was tried already.
        if (out.endGameRadius === 0)
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected a number above 0 (e.g. --opt-flag ${rawName}=0.5)`);
        break;
      case "end-game-check": {
        const n = Number(value);
        if (value.toLowerCase() === "off") out.endGameCheck = "off";
        else if (Number.isInteger(n) && n >= 3) out.endGameCheck = n;
        else
          throw new UsageError(
            `--opt-flag ${rawName}=${value}: expected off or a whole number of trials >= 3 (e.g. --opt-flag end-game-check=15)`,
          );
        break;
      }
      case "end-game-jump": {
        const v = value.toLowerCase();
        if (v !== "on" && v !== "off")
          throw new UsageError(`--opt-flag ${rawName}=${value}: expected on or off (e.g. --opt-flag end-game-jump=off)`);
        out.endGameJump = v;
        break;
      }
      default:
        throw new UsageError(
          unknownSettingMessage(
            "gp",
            rawName,
            GP_SETTINGS_HELP.map((h) => h.name),
          ),
        );
    }
  }
  return out;
}

function parseCount(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--opt-flag ${name}=${value}: expected a whole number >= ${min} (e.g. --opt-flag ${name}=5)`);
  }
  return n;
}

function parseNonNegative(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new UsageError(`--opt-flag ${name}=${value}: expected a number >= 0 (e.g. --opt-flag ${name}=0.01)`);
  }
  return n;
}

function parseOptunaParts(name: string, value: string): OptunaPart[] {
  const v = value.toLowerCase();
  if (v === "none" || v === "") return [];
  const parts: OptunaPart[] = [];
  for (const part of v.split(/[+,]/)) {
    const known = OPTUNA_PARTS.find((p) => p === part);
    if (known === undefined) {
      throw new UsageError(
        `--opt-flag ${name}=${value}: '${part}' is not a part; expected ${OPTUNA_PARTS.join(", ")} joined by + (e.g. --opt-flag ${name}=starts+warp)`,
      );
    }
    if (!parts.includes(known)) parts.push(known);
  }
  return parts;
}

/** Random starts with a single numeric flag and no `random-starts` given (`defaultRandomStarts`). */
export const SINGLE_FLAG_RANDOM_STARTS = 10;
/**
 * Random starts when `random-starts` is not given: SINGLE_FLAG_RANDOM_STARTS
 * with one numeric flag, else the default's 5. On a line, ten spread-out
 * starts leave no gap wider than about a tenth of the range, so a basin that
 * narrow is seen before the model takes over; with five, a model fitted to
 * five noisy values can anchor on a lucky one and never look between them
 * (the Guild seed's problem at 20 trials, 160 seeds: the basin found in
 * 160 instead of 146; docs/benchmarks.md, "gp, twelfth round").
 */
export function defaultRandomStarts(enc: Encoding): number {
  const single = enc.coords.length === 1 && enc.coords[0]!.kind === "numeric";
  return single ? SINGLE_FLAG_RANDOM_STARTS : DEFAULT_GP_SETTINGS.randomStarts;
}
