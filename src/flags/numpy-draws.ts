// The numpy distributions a Grid.ai flag may draw from (`--lr "gamma(2, 0.5, 3)"`):
// every distribution method of numpy.random.Generator, with numpy's parameter
// names, order and defaults, the checks numpy makes on them (said as one line),
// and how each is drawn (src/search/distributions.ts). Legacy RandomState names
// that the Grid.ai seed's numpy 1.16 page lists (rand, randn, randint, ...) are
// aliases. Pure: grammar.ts reads the argument texts, this table types and checks them.

import type { FlagValue } from "../store/types.js";
import type { Rng } from "./space.js";
import {
  drawBeta,
  drawBinomial,
  drawChisquare,
  drawChoices,
  drawGeometric,
  drawHypergeometric,
  drawInteger,
  drawLogseries,
  drawNegativeBinomial,
  drawNoncentralChisquare,
  drawPoisson,
  drawStandardExponential,
  drawStandardGamma,
  drawStandardNormal,
  drawStandardT,
  drawTriangular,
  drawVonmises,
  drawWald,
  drawZipf,
} from "../search/distributions.js";

/** A parsed argument: a number, True/False, a list (choice's a and p), or None. */
export type DrawArg = number | boolean | FlagValue[] | null;

/**
 * How an argument is read: any number, a whole number, True/False, a list or
 * a whole number (choice's `a`), a list of numbers (`p`), an integer dtype name.
 */
export type DrawArgKind = "number" | "int" | "bool" | "population" | "numbers" | "dtype";

export interface DrawParam {
  name: string;
  kind: DrawArgKind;
  /** undefined: required; null: numpy's None. */
  default?: DrawArg;
}

/** One requirement numpy makes of the arguments, said as numpy's docs say it. */
interface Requirement {
  holds: (p: DrawArgs) => boolean;
  /** `a > 0`, `0 <= p <= 1`. */
  text: string;
  /** The argument(s) to show when it fails. */
  about: string[];
}

export type DrawArgs = Record<string, DrawArg>;

export interface NumpyDistribution {
  /** In numpy's order; `size` is where numpy puts it (last, except for choice and integers). */
  params: DrawParam[];
  /** Whether the values are whole numbers. */
  integer: boolean;
  requires: Requirement[];
  /** Arguments for an example in error messages (without the name). */
  example: string;
  draw: (p: DrawArgs, rng: Rng) => FlagValue;
  /** Rewrites the arguments into the form they are drawn and shown in (randint(5) is low=0, high=5). */
  normalize?: (p: DrawArgs) => DrawArgs;
}

const SIZE: DrawParam = { name: "size", kind: "int", default: 1 };
const num = (p: DrawArgs, name: string) => p[name] as number;
const req = (text: string, about: string[], holds: (p: DrawArgs) => boolean): Requirement => ({ text, about, holds });
const positive = (name: string) => req(`${name} > 0`, [name], (p) => num(p, name) > 0);
const nonNegative = (name: string) => req(`${name} >= 0`, [name], (p) => num(p, name) >= 0);
const probability = (name: string) => req(`0 <= ${name} <= 1`, [name], (p) => num(p, name) >= 0 && num(p, name) <= 1);
const numberParam = (name: string, dflt?: number): DrawParam =>
  dflt === undefined ? { name, kind: "number" } : { name, kind: "number", default: dflt };
const intParam = (name: string): DrawParam => ({ name, kind: "int" });

/** Continuous distributions with a location and a scale (loc=0, scale=1), drawn as loc + scale * standard draw. */
function locScale(standard: (rng: Rng) => number): NumpyDistribution {
  return {
    params: [numberParam("loc", 0), numberParam("scale", 1), SIZE],
    integer: false,
    requires: [nonNegative("scale")],
    example: "0, 1, 3",
    draw: (p, rng) => num(p, "loc") + num(p, "scale") * standard(rng),
  };
}

function standardOnly(draw: (rng: Rng) => number): NumpyDistribution {
  return { params: [SIZE], integer: false, requires: [], example: "3", draw: (_p, rng) => draw(rng) };
}

const RANDOM = standardOnly((rng) => rng());
const STANDARD_NORMAL = standardOnly(drawStandardNormal);

/** `integers`, `randint` (high excluded) and `random_integers` (high included); one bound given is the upper one. */
function integers(params: DrawParam[], inclusive: (p: DrawArgs) => boolean, onlyBound: number): NumpyDistribution {
  const high = (p: DrawArgs) => (p.high === null ? num(p, "low") : num(p, "high"));
  const low = (p: DrawArgs) => (p.high === null ? onlyBound : num(p, "low"));
  const top = (p: DrawArgs) => high(p) + (inclusive(p) ? 1 : 0);
  return {
    params,
    integer: true,
    requires: [
      req("low < high (high excluded)", ["low", "high"], (p) => inclusive(p) || low(p) < high(p)),
      req("low <= high", ["low", "high"], (p) => !inclusive(p) || low(p) <= high(p)),
    ],
    example: "1, 10, 3",
    draw: (p, rng) => drawInteger(low(p), top(p), rng),
    normalize: (p) => (p.high === null ? { ...p, low: onlyBound, high: num(p, "low") } : p),
  };
}

/** Every name a draw may use, numpy's Generator methods first. */
export const NUMPY_DISTRIBUTIONS: Record<string, NumpyDistribution> = {
  beta: {
    params: [numberParam("a"), numberParam("b"), SIZE],
    integer: false,
    requires: [positive("a"), positive("b")],
    example: "2, 5, 3",
    draw: (p, rng) => drawBeta(num(p, "a"), num(p, "b"), rng),
  },
  binomial: {
    params: [intParam("n"), numberParam("p"), SIZE],
    integer: true,
    requires: [nonNegative("n"), probability("p")],
    example: "10, 0.5, 3",
    draw: (p, rng) => drawBinomial(num(p, "n"), num(p, "p"), rng),
  },
  chisquare: {
    params: [numberParam("df"), SIZE],
    integer: false,
    requires: [positive("df")],
    example: "2, 3",
    draw: (p, rng) => drawChisquare(num(p, "df"), rng),
  },
  choice: {
    params: [
      { name: "a", kind: "population" },
      SIZE,
      { name: "replace", kind: "bool", default: true },
      { name: "p", kind: "numbers", default: null },
    ],
    integer: false,
    requires: [
      req("a to be a non-empty list or a whole number above 0", ["a"], (p) => (Array.isArray(p.a) ? p.a.length > 0 : num(p, "a") > 0)),
      req("p to have one probability per item of a", ["p"], (p) => p.p === null || (p.p as number[]).length === population(p).length),
      req("every p >= 0", ["p"], (p) => p.p === null || (p.p as number[]).every((x) => x >= 0)),
      req("p to sum to 1", ["p"], (p) => p.p === null || Math.abs((p.p as number[]).reduce((s, x) => s + x, 0) - 1) < 1e-8),
      req("size <= the number of items when replace=False", ["size"], (p) => p.replace !== false || num(p, "size") <= population(p).length),
      req(
        "as many non-zero p as size when replace=False",
        ["p"],
        (p) => p.replace !== false || p.p === null || (p.p as number[]).filter((x) => x > 0).length >= num(p, "size"),
      ),
    ],
    example: "[16, 32, 64], 2",
    // Drawn all at once by drawValues (without replacement needs the whole sample); this draws one.
    draw: (p, rng) => drawChoices(population(p), 1, true, p.p as number[] | null, rng)[0]!,
  },
  exponential: {
    params: [numberParam("scale", 1), SIZE],
    integer: false,
    requires: [nonNegative("scale")],
    example: "1.0, 3",
    draw: (p, rng) => num(p, "scale") * drawStandardExponential(rng),
  },
  f: {
    params: [numberParam("dfnum"), numberParam("dfden"), SIZE],
    integer: false,
    requires: [positive("dfnum"), positive("dfden")],
    example: "5, 10, 3",
    draw: (p, rng) => drawChisquare(num(p, "dfnum"), rng) / num(p, "dfnum") / (drawChisquare(num(p, "dfden"), rng) / num(p, "dfden")),
  },
  gamma: {
    params: [numberParam("shape"), numberParam("scale", 1), SIZE],
    integer: false,
    requires: [nonNegative("shape"), nonNegative("scale")],
    example: "2, 0.5, 3",
    draw: (p, rng) => num(p, "scale") * drawStandardGamma(num(p, "shape"), rng),
  },
  geometric: {
    params: [numberParam("p"), SIZE],
    integer: true,
    requires: [req("0 < p <= 1", ["p"], (p) => num(p, "p") > 0 && num(p, "p") <= 1)],
    example: "0.3, 3",
    draw: (p, rng) => drawGeometric(num(p, "p"), rng),
  },
  gumbel: locScale((rng) => -Math.log(drawStandardExponential(rng) || Number.MIN_VALUE)),
  hypergeometric: {
    params: [intParam("ngood"), intParam("nbad"), intParam("nsample"), SIZE],
    integer: true,
    requires: [
      nonNegative("ngood"),
      nonNegative("nbad"),
      nonNegative("nsample"),
      req("ngood < 10**9 and nbad < 10**9", ["ngood", "nbad"], (p) => num(p, "ngood") < 1e9 && num(p, "nbad") < 1e9),
      req("nsample <= ngood + nbad", ["nsample"], (p) => num(p, "nsample") <= num(p, "ngood") + num(p, "nbad")),
    ],
    example: "10, 5, 4, 3",
    draw: (p, rng) => drawHypergeometric(num(p, "ngood"), num(p, "nbad"), num(p, "nsample"), rng),
  },
  integers: integers(
    [
      intParam("low"),
      { name: "high", kind: "int", default: null },
      SIZE,
      { name: "dtype", kind: "dtype", default: null },
      { name: "endpoint", kind: "bool", default: false },
    ],
    (p) => p.endpoint === true,
    0,
  ),
  laplace: locScale((rng) => {
    const u = rng() - 0.5;
    return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u) || Number.MIN_VALUE);
  }),
  logistic: locScale((rng) => {
    const u = 1 - rng();
    return Math.log(u / (1 - u || Number.MIN_VALUE));
  }),
  lognormal: {
    params: [numberParam("mean", 0), numberParam("sigma", 1), SIZE],
    integer: false,
    requires: [nonNegative("sigma")],
    example: "0, 1, 3",
    draw: (p, rng) => Math.exp(num(p, "mean") + num(p, "sigma") * drawStandardNormal(rng)),
  },
  // Not in numpy.random; named like scipy.stats.loguniform(a, b), ordered like uniform.
  loguniform: {
    params: [numberParam("low"), numberParam("high"), SIZE],
    integer: false,
    requires: [positive("low"), req("low < high", ["low", "high"], (p) => num(p, "low") < num(p, "high"))],
    example: "1e-5, 1e-1, 3",
    draw: (p, rng) => Math.exp(Math.log(num(p, "low")) + (Math.log(num(p, "high")) - Math.log(num(p, "low"))) * rng()),
  },
  logseries: {
    params: [numberParam("p"), SIZE],
    integer: true,
    requires: [req("0 <= p < 1", ["p"], (p) => num(p, "p") >= 0 && num(p, "p") < 1)],
    example: "0.6, 3",
    draw: (p, rng) => drawLogseries(num(p, "p"), rng),
  },
  negative_binomial: {
    params: [numberParam("n"), numberParam("p"), SIZE],
    integer: true,
    requires: [positive("n"), req("0 < p <= 1", ["p"], (p) => num(p, "p") > 0 && num(p, "p") <= 1)],
    example: "5, 0.5, 3",
    draw: (p, rng) => drawNegativeBinomial(num(p, "n"), num(p, "p"), rng),
  },
  noncentral_chisquare: {
    params: [numberParam("df"), numberParam("nonc"), SIZE],
    integer: false,
    requires: [positive("df"), nonNegative("nonc")],
    example: "3, 2, 3",
    draw: (p, rng) => drawNoncentralChisquare(num(p, "df"), num(p, "nonc"), rng),
  },
  noncentral_f: {
    params: [numberParam("dfnum"), numberParam("dfden"), numberParam("nonc"), SIZE],
    integer: false,
    requires: [positive("dfnum"), positive("dfden"), nonNegative("nonc")],
    example: "3, 20, 3, 3",
    draw: (p, rng) =>
      (drawNoncentralChisquare(num(p, "dfnum"), num(p, "nonc"), rng) * num(p, "dfden")) /
      (drawChisquare(num(p, "dfden"), rng) * num(p, "dfnum")),
  },
  normal: locScale(drawStandardNormal),
  pareto: {
    params: [numberParam("a"), SIZE],
    integer: false,
    requires: [positive("a")],
    example: "3, 3",
    // numpy's pareto is the Lomax (Pareto II) distribution: classical Pareto minus 1.
    draw: (p, rng) => Math.expm1(drawStandardExponential(rng) / num(p, "a")),
  },
  poisson: {
    params: [numberParam("lam", 1), SIZE],
    integer: true,
    // numpy refuses lam near 2**63; g keeps draws exact as JSON numbers.
    requires: [nonNegative("lam"), req("lam <= 1e15", ["lam"], (p) => num(p, "lam") <= 1e15)],
    example: "3, 3",
    draw: (p, rng) => drawPoisson(num(p, "lam"), rng),
  },
  power: {
    params: [numberParam("a"), SIZE],
    integer: false,
    requires: [positive("a")],
    example: "5, 3",
    draw: (p, rng) => (1 - Math.exp(-drawStandardExponential(rng))) ** (1 / num(p, "a")),
  },
  random: RANDOM,
  rayleigh: {
    params: [numberParam("scale", 1), SIZE],
    integer: false,
    requires: [nonNegative("scale")],
    example: "1.0, 3",
    draw: (p, rng) => num(p, "scale") * Math.sqrt(2 * drawStandardExponential(rng)),
  },
  standard_cauchy: standardOnly((rng) => drawStandardNormal(rng) / drawStandardNormal(rng)),
  standard_exponential: standardOnly(drawStandardExponential),
  standard_gamma: {
    params: [numberParam("shape"), SIZE],
    integer: false,
    requires: [nonNegative("shape")],
    example: "2, 3",
    draw: (p, rng) => drawStandardGamma(num(p, "shape"), rng),
  },
  standard_normal: STANDARD_NORMAL,
  standard_t: {
    params: [numberParam("df"), SIZE],
    integer: false,
    requires: [positive("df")],
    example: "10, 3",
    draw: (p, rng) => drawStandardT(num(p, "df"), rng),
  },
  triangular: {
    params: [numberParam("left"), numberParam("mode"), numberParam("right"), SIZE],
    integer: false,
    requires: [
      req("left <= mode", ["left", "mode"], (p) => num(p, "left") <= num(p, "mode")),
      req("mode <= right", ["mode", "right"], (p) => num(p, "mode") <= num(p, "right")),
      req("left < right", ["left", "right"], (p) => num(p, "left") < num(p, "right")),
    ],
    example: "0, 0.5, 1, 3",
    draw: (p, rng) => drawTriangular(num(p, "left"), num(p, "mode"), num(p, "right"), rng),
  },
  uniform: {
    params: [numberParam("low", 0), numberParam("high", 1), SIZE],
    integer: false,
    // numpy would swap a reversed pair silently; a reversed range on a command line is a typo.
    requires: [req("low < high", ["low", "high"], (p) => num(p, "low") < num(p, "high"))],
    example: "1e-5, 1e-1, 3",
    draw: (p, rng) => num(p, "low") + (num(p, "high") - num(p, "low")) * rng(),
  },
  vonmises: {
    params: [numberParam("mu"), numberParam("kappa"), SIZE],
    integer: false,
    requires: [nonNegative("kappa")],
    example: "0, 4, 3",
    draw: (p, rng) => drawVonmises(num(p, "mu"), num(p, "kappa"), rng),
  },
  wald: {
    params: [numberParam("mean"), numberParam("scale"), SIZE],
    integer: false,
    requires: [positive("mean"), positive("scale")],
    example: "1, 2, 3",
    draw: (p, rng) => drawWald(num(p, "mean"), num(p, "scale"), rng),
  },
  weibull: {
    params: [numberParam("a"), SIZE],
    integer: false,
    requires: [nonNegative("a")],
    example: "1.5, 3",
    draw: (p, rng) => (num(p, "a") === 0 ? 0 : drawStandardExponential(rng) ** (1 / num(p, "a"))),
  },
  zipf: {
    params: [numberParam("a"), SIZE],
    integer: true,
    requires: [req("a > 1", ["a"], (p) => num(p, "a") > 1)],
    example: "2, 3",
    draw: (p, rng) => drawZipf(num(p, "a"), rng),
  },
  // Legacy numpy.random names (the RandomState functions the Grid.ai seed links to).
  rand: RANDOM,
  random_sample: RANDOM,
  ranf: RANDOM,
  sample: RANDOM,
  randn: STANDARD_NORMAL,
  randint: integers(
    [intParam("low"), { name: "high", kind: "int", default: null }, SIZE, { name: "dtype", kind: "dtype", default: null }],
    () => false,
    0,
  ),
  // Deprecated in numpy, but on the 1.16 page: high included, and one bound means [1, low].
  random_integers: integers([intParam("low"), { name: "high", kind: "int", default: null }, SIZE], () => true, 1),
};

/**
 * numpy.random names g refuses, and why: they draw vectors (or bytes, or
 * reorder an array), and a flag takes one value per trial.
 */
export const NON_SCALAR_DRAWS: Record<string, string> = {
  dirichlet: "draws a vector of proportions",
  multinomial: "draws a vector of counts",
  multivariate_normal: "draws a vector",
  multivariate_hypergeometric: "draws a vector of counts",
  permutation: "returns a reordered array",
  permuted: "returns a reordered array",
  shuffle: "reorders an array in place",
  bytes: "returns random bytes",
};

/** The names of `choice`'s population: its list, or 0..a-1 for a whole number. */
function population(p: DrawArgs): FlagValue[] {
  if (Array.isArray(p.a)) return p.a;
  return Array.from({ length: Math.max(0, num(p, "a")) }, (_, i) => i);
}

/** The first requirement the arguments break, as "a = -1, and numpy requires a > 0"; null when all hold. */
export function findBrokenRequirement(dist: NumpyDistribution, args: DrawArgs): string | null {
  for (const r of dist.requires) {
    if (r.holds(args)) continue;
    const shown = r.about.map((name) => `${name}=${showArg(args[name] ?? null)}`).join(", ");
    return `${shown}, and numpy requires ${r.text}`;
  }
  return null;
}

/** `size` values of a draw; choice draws its whole sample at once (without replacement needs it). */
export function drawNumpyValues(dist: NumpyDistribution, args: DrawArgs, size: number, rng: Rng): FlagValue[] {
  if (dist === NUMPY_DISTRIBUTIONS.choice)
    return drawChoices(population(args), size, args.replace !== false, args.p as number[] | null, rng);
  return Array.from({ length: size }, () => dist.draw(args, rng));
}

function showArg(v: DrawArg): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === "string" ? `'${x}'` : String(x))).join(", ")}]`;
  return String(v);
}
