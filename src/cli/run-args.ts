// Parses `g run`'s own argument list (pure). Run options are recognised
// anywhere before `--`; after SCRIPT, `name=value` and unknown `--name [value]`
// are the script's flags (shared/DESIGN.md, "Command line").

import { UsageError } from "../errors.js";

export interface RunArgs {
  yes: boolean;
  label?: string;
  tags: string[];
  helpFlags: boolean;
  forceFlags: boolean;
  optimizer?: string;
  maxTrials?: number;
  strategy?: string;
  trials?: number;
  randomSeed?: number;
  parallel: number;
  printTrials: boolean;
  json: boolean;
  minimize?: string;
  maximize?: string;
  optFlags: string[];
  helpOptimizer?: string;
  learnFrom?: "batch" | "all";
  restart?: string;
  quiet: boolean;
  script?: string;
  /** The script's flags in the order given: text, or true for a bare `--name`. */
  flags: Array<{ name: string; text: string | true }>;
}

type Kind = "bool" | "string" | "int" | "list";
interface OptionDef {
  key: keyof RunArgs;
  kind: Kind;
}

const OPTIONS: Record<string, OptionDef> = {
  "-y": { key: "yes", kind: "bool" },
  "--yes": { key: "yes", kind: "bool" },
  "-l": { key: "label", kind: "string" },
  "--label": { key: "label", kind: "string" },
  "--tag": { key: "tags", kind: "list" },
  "--help-flags": { key: "helpFlags", kind: "bool" },
  "--force-flags": { key: "forceFlags", kind: "bool" },
  "-o": { key: "optimizer", kind: "string" },
  "--optimizer": { key: "optimizer", kind: "string" },
  "--max-trials": { key: "maxTrials", kind: "int" },
  "--strategy": { key: "strategy", kind: "string" },
  "--trials": { key: "trials", kind: "int" },
  "--random-seed": { key: "randomSeed", kind: "int" },
  "-j": { key: "parallel", kind: "int" },
  "--parallel": { key: "parallel", kind: "int" },
  "--print-trials": { key: "printTrials", kind: "bool" },
  "--json": { key: "json", kind: "bool" },
  "--minimize": { key: "minimize", kind: "string" },
  "--maximize": { key: "maximize", kind: "string" },
  "--opt-flag": { key: "optFlags", kind: "list" },
  "--help-optimizer": { key: "helpOptimizer", kind: "string" },
  "--learn-from": { key: "learnFrom", kind: "string" },
  "--restart": { key: "restart", kind: "string" },
  "-q": { key: "quiet", kind: "bool" },
  "--quiet": { key: "quiet", kind: "bool" },
};

const FLAG_ASSIGN = /^([A-Za-z_][\w.-]*)=(.*)$/s;
const LONG_FLAG = /^--([A-Za-z_][\w.-]*)(?:=(.*))?$/s;

export function parseRunArgs(argv: string[]): RunArgs {
  const out: RunArgs = { yes: false, tags: [], helpFlags: false, forceFlags: false, parallel: 1, printTrials: false, json: false, optFlags: [], quiet: false, flags: [] };
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
      if (def.kind === "int") set[def.key] = parseCount(optionName, value);
      else if (def.kind === "list") (set[def.key] as string[]).push(value);
      else set[def.key] = value;
      continue;
    }
    if (out.script === undefined && !afterDashes) {
      if (arg.startsWith("-") && !/^-\d/.test(arg)) {
        throw new UsageError(`unknown option ${optionName} for g run; script flags go after the script (g run train.py --${optionName.replace(/^-+/, "")} VALUE)`);
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
      if (next === undefined || next === "--" || LONG_FLAG.test(next) || FLAG_ASSIGN.test(next) || (!afterDashes && OPTIONS[next.split("=")[0]!])) {
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
  if (out.learnFrom !== undefined && out.learnFrom !== "batch" && out.learnFrom !== "all") {
    throw new UsageError(`--learn-from takes batch or all, not "${out.learnFrom}"`);
  }
  if (out.minimize !== undefined && out.maximize !== undefined) throw new UsageError("give --minimize or --maximize, not both");
  const seen = new Set<string>();
  for (const f of out.flags) {
    if (seen.has(f.name)) throw new UsageError(`flag ${f.name} is given twice; give it once (a list such as ${f.name}=[1,2] searches several values)`);
    seen.add(f.name);
  }
  return out;
}

function parseCount(option: string, value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(`${option} takes a whole number, not "${value}"`);
  }
  return n;
}

/** `--opt-flag name=value` items as a settings map (the optimizer checks names and values). */
export function parseOptFlags(items: string[]): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const f of items) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new UsageError(`--opt-flag takes name=value, e.g. --opt-flag random-starts=5 (got "${f}")`);
    raw[f.slice(0, eq).trim()] = f.slice(eq + 1).trim();
  }
  return raw;
}
