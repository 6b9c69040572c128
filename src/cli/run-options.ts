// `g run`'s options, declared once (pure): this table is both what
// `g run --help` lists (src/cli/program.ts) and what g run's own argv parser
// recognises (src/cli/run-args.ts), and the type of the parsed options is
// derived from it, so a new option is one row here.

import { UsageError } from "../errors.js";
import { DEFAULT_MAX_TRIALS } from "../trials/optimizers.js";

/** How an option's value is read: a switch, text, a whole number, or repeatable text. */
export type RunOptionKind = "bool" | "string" | "int" | "list";

export interface RunOptionDef {
  /** As commander writes them: short and long names, then the value's placeholder. */
  flags: string;
  /** The property of the parsed options. */
  key: string;
  kind: RunOptionKind;
  help: string;
  /** For "string": the only values accepted. */
  choices?: readonly string[];
  /** For "int": the value when the option is not given. */
  default?: number;
  /** For "int": takes at least 1 (the message of a value that is no whole number says so). */
  positive?: boolean;
  /** Left out of `g run --help` and completion: g's own use (an array task's command). */
  hidden?: boolean;
}

export const RUN_OPTIONS = [
  { flags: "-y, --yes", key: "yes", kind: "bool", help: "do not ask for confirmation" },
  { flags: "-l, --label <text>", key: "label", kind: "string", help: "label for the run" },
  { flags: "--tag <tag>", key: "tags", kind: "list", help: "tag for the run (repeatable)" },
  { flags: "--help-flags", key: "helpFlags", kind: "bool", help: "list the flags the script takes, with defaults, and exit" },
  { flags: "--force-flags", key: "forceFlags", kind: "bool", help: "pass flags the script does not declare" },
  { flags: "-o, --optimizer <name>", key: "optimizer", kind: "string", help: "grid, random, gp (alias bayesian), tpe, forest or gbrt" },
  {
    flags: "--max-trials <n>",
    key: "maxTrials",
    positive: true,
    kind: "int",
    help: `number of trials (random/gp/tpe: default ${DEFAULT_MAX_TRIALS}; grid: cap)`,
  },
  { flags: "--strategy <name>", key: "strategy", kind: "string", help: "Grid.ai: grid_search or random_search" },
  { flags: "--trials <n>", key: "trials", kind: "int", positive: true, help: "Grid.ai: with random_search, how many grid points to run" },
  { flags: "--random-seed <n>", key: "randomSeed", kind: "int", help: "seed for the search (same seed, same trials)" },
  { flags: "-j, --parallel <n>", key: "parallel", kind: "int", positive: true, default: 1, help: "run up to N trials at once" },
  { flags: "--print-trials", key: "printTrials", kind: "bool", help: "print the trials as a table (or --json) and exit" },
  { flags: "--json", key: "json", kind: "bool", help: "with --print-trials: JSON" },
  { flags: "--minimize <col>", key: "minimize", kind: "string", help: "objective to minimize (default: loss)" },
  { flags: "--maximize <col>", key: "maximize", kind: "string", help: "objective to maximize" },
  {
    flags: "-Fo, --opt-flag <name=value>",
    key: "optFlags",
    kind: "list",
    help: "optimizer setting (repeatable; see --help-optimizer); -Fo is Guild's short form",
  },
  { flags: "--help-optimizer <name>", key: "helpOptimizer", kind: "string", help: "show an optimizer's settings and exit" },
  {
    flags: "--learn-from <which>",
    key: "learnFrom",
    kind: "string",
    choices: ["batch", "all"],
    help: "gp/tpe: learn from this batch only (batch) or also earlier runs of the same script and space (all)",
  },
  {
    flags: "--restart <run>",
    key: "restart",
    kind: "string",
    help: "continue an optimizer batch (gp, random, an index or id), or rerun a failed run",
  },
  { flags: "-q, --quiet", key: "quiet", kind: "bool", help: "do not echo the script's output" },
  {
    flags: "--backend <name>",
    key: "backend",
    kind: "string",
    choices: ["slurm"],
    help: "run a batch's trials on slurm: one job array, one task per trial; returns after submitting",
  },
  {
    flags: "--slurm-array-parallel <n>",
    key: "slurmArrayParallel",
    positive: true,
    kind: "int",
    help: "with --backend slurm: at most N trials at once (sbatch --array=...%N)",
  },
  {
    flags: "--slurm-opt <options>",
    key: "slurmOpt",
    kind: "list",
    help: 'with --backend slurm: sbatch options, e.g. "--partition=gpu --time=1:00:00" (repeatable; split like a shell, never run by one)',
  },
  { flags: "--wait", key: "wait", kind: "bool", help: "with --backend: wait until the job has ended, then show the batch's summary" },
  {
    flags: "--batch-task <batch>",
    key: "batchTask",
    kind: "string",
    hidden: true,
    help: "run the trial of a submitted batch that this array task stands for (what each task runs)",
  },
] as const satisfies readonly RunOptionDef[];

type Def = (typeof RUN_OPTIONS)[number];
type ValueOf<D> = D extends { kind: "bool" }
  ? boolean
  : D extends { kind: "list" }
    ? string[]
    : D extends { kind: "int" }
      ? number
      : D extends { choices: readonly (infer C)[] }
        ? C
        : string;
/** Switches, lists and options with a default always have a value; the rest may be absent. */
type AlwaysSet<D> = D extends { kind: "bool" | "list" } ? true : D extends { default: number } ? true : false;

/** `g run`'s parsed options, one property per row of RUN_OPTIONS. */
export type RunOptionValues = { [D in Def as AlwaysSet<D> extends true ? D["key"] : never]: ValueOf<D> } & {
  [D in Def as AlwaysSet<D> extends true ? never : D["key"]]?: ValueOf<D>;
};

/**
 * A whole-number option value (`--max-trials 5`, `g agent --count 3`): digits
 * only, at least 0. `least` is what the option takes at least, for the
 * message only: a 0 below it is refused by the command, with an example.
 */
export function parseCount(option: string, value: string, least: 0 | 1 = 0): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(`${option} takes a whole number ${least === 0 ? "of 0 or more" : "of at least 1"}, not "${value}"`);
  }
  return n;
}

/** The names an option is written as: `-y, --yes` → ["-y", "--yes"]. */
export function optionNames(def: RunOptionDef): string[] {
  return def.flags.split(/[ ,]+/).filter((w) => w.startsWith("-"));
}
