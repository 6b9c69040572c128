// Parses `g run`'s own argument list (pure). Run options are recognised
// anywhere before `--`; after SCRIPT, `name=value` and unknown `--name [value]`
// are the script's flags (shared/DESIGN.md, "Command line").

import { UsageError } from "../errors.js";
import { didYouMean } from "../format/suggest.js";
import { checkLabel, checkTags } from "../flags/check-names.js";
import { RUN_OPTIONS, optionNames, parseCount, type RunOptionDef, type RunOptionValues } from "./run-options.js";

/** `g run`'s options (from RUN_OPTIONS), its script, and the script's flags. */
export type RunArgs = RunOptionValues & {
  script?: string;
  /** The script's flags in the order given: text, or true for a bare `--name`. */
  flags: Array<{ name: string; text: string | true }>;
  /** g run's own option names, so a script flag that is a mistyped one gets a did-you-mean. */
  optionNames: readonly string[];
};

/** Each way an option is written (`-y`, `--yes`) → its row of RUN_OPTIONS. */
const OPTIONS: Record<string, RunOptionDef> = Object.fromEntries(RUN_OPTIONS.flatMap((def) => optionNames(def).map((name) => [name, def])));

/** g run's own option names (`--max-trials`, `-y`, ...), for did-you-mean on a mistyped one. */
export const RUN_OPTION_NAMES: readonly string[] = Object.keys(OPTIONS);

const FLAG_ASSIGN = /^([A-Za-z_][\w.-]*)=(.*)$/s;
const LONG_FLAG = /^--([A-Za-z_][\w.-]*)(?:=(.*))?$/s;

export function parseRunArgs(argv: string[]): RunArgs {
  const out: RunArgs = { ...initialOptions(), flags: [], optionNames: RUN_OPTION_NAMES };
  const set = out as unknown as Record<string, unknown>;
  let afterDashes = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!afterDashes && arg === "--") {
      afterDashes = true;
      continue;
    }
    const optionName = arg.startsWith("--") ? arg.split("=")[0]! : arg;
    const def = afterDashes ? undefined : OPTIONS[optionName];
    if (def) {
      const inline = arg.startsWith("--") && arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : undefined;
      if (def.kind === "bool") {
        if (inline !== undefined) throw new UsageError(`${optionName} takes no value`);
        set[def.key] = true;
        continue;
      }
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${optionName} needs a value`);
      if (def.kind === "int") set[def.key] = parseCount(optionName, value, def.positive ? 1 : 0);
      else if (def.kind === "list") (set[def.key] as string[]).push(value);
      else if (def.choices !== undefined && !def.choices.includes(value)) {
        throw new UsageError(`${optionNames(def).at(-1)} takes ${def.choices.join(" or ")}, not "${value}"`);
      } else set[def.key] = value;
      continue;
    }
    if (out.script === undefined && !afterDashes) {
      if (arg.startsWith("-") && !/^-\d/.test(arg)) {
        const hint =
          didYouMean(optionName, RUN_OPTION_NAMES) ||
          `; script flags go after the script (g run train.py --${optionName.replace(/^-+/, "")} VALUE)`;
        throw new UsageError(`unknown option ${optionName} for g run${hint}`);
      }
      if (!FLAG_ASSIGN.test(arg)) {
        out.script = arg;
        continue;
      }
    }
    const assign = FLAG_ASSIGN.exec(arg);
    if (assign) {
      out.flags.push({ name: assign[1]!, text: assign[2]! });
      continue;
    }
    const long = LONG_FLAG.exec(arg);
    if (long) {
      if (long[2] !== undefined) {
        out.flags.push({ name: long[1]!, text: long[2] });
        continue;
      }
      const next = argv[i + 1];
      // A bare --name is the boolean true when no value follows it.
      if (
        next === undefined ||
        next === "--" ||
        LONG_FLAG.test(next) ||
        isPlainAssign(next) ||
        (!afterDashes && OPTIONS[next.split("=")[0]!])
      ) {
        out.flags.push({ name: long[1]!, text: true });
      } else {
        out.flags.push({ name: long[1]!, text: next });
        i++;
      }
      continue;
    }
    if (out.script === undefined) {
      out.script = arg;
      continue;
    }
    throw new UsageError(`unexpected argument "${arg}" after ${out.script}: write flags as name=value or --name value`);
  }
  if (out.parallel < 1) throw new UsageError("-j/--parallel takes a number of at least 1");
  if (out.minimize !== undefined && out.maximize !== undefined) throw new UsageError("give --minimize or --maximize, not both");
  checkTags(out.tags, "--tag");
  checkLabel(out.label, "-l/--label");
  const seen = new Set<string>();
  for (const f of out.flags) {
    if (seen.has(f.name)) {
      // `--verbose --verbose`, as a counted option (argparse's action="count") is written on its own command line.
      const counted = f.text === true ? `; a counted option takes how many times: ${f.name}=2 passes --${f.name} --${f.name}` : "";
      throw new UsageError(
        `flag ${f.name} is given twice; give it once (a list such as ${f.name}=[1,2] searches several values)${counted}`,
      );
    }
    seen.add(f.name);
  }
  return out;
}

/**
 * Whether the word after a bare `--name` is a flag of its own (`--verbose x=1`)
 * rather than the value of --name. A value holding "=" past its first one
 * (`--v a=b=c`) is the value: a Guild flag's value has no "=".
 */
function isPlainAssign(word: string): boolean {
  const m = FLAG_ASSIGN.exec(word);
  return m !== null && !m[2]!.includes("=");
}

/** Every option's value before argv is read: switches off, lists empty, defaults set. */
function initialOptions(): RunOptionValues {
  const out: Record<string, unknown> = {};
  for (const def of RUN_OPTIONS as readonly RunOptionDef[]) {
    if (def.kind === "bool") out[def.key] = false;
    else if (def.kind === "list") out[def.key] = [];
    else if (def.default !== undefined) out[def.key] = def.default;
  }
  // The table's rows are exactly RunOptionValues' properties (run-options.ts derives one from the other).
  return out as RunOptionValues;
}
