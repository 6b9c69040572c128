// ml_dash's prefix templates for the TypeScript SDK, as g_runs/templates.py
// expands them: `{EXP.attr}` first (name, id, date, datetime_str, and the
// RUN fields; a missing one throws), then Python's str.format over the RUN
// fields, up to 10 passes: `{user}`, `{project}` ("{user}/scratch"),
// `{now:%Y-%m-%d}` (strftime), `{path_stem}`, `{job_name}`
// ("{now:%H.%M.%S}/{job_counter:03d}"), `{job_counter:03d}`.

import { existsSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, extname, join, relative, resolve, sep } from "node:path";

export const DEFAULT_PREFIX = "{project}/{now:%Y/%m-%d}/{path_stem}/{job_name}";
const DEFAULT_PROJECT = "{user}/scratch";
const DEFAULT_JOB_NAME = "{now:%H.%M.%S}/{job_counter:03d}";
/** ml_dash looks for these to find the project root that path_stem is relative to. */
const PROJECT_ROOT_FILES = ["pyproject.toml", "requirements.txt", "setup.py", "setup.cfg", "package.json"];
/** str.format passes over a prefix at most this many times (ml_dash's limit). */
const MAX_FORMAT_PASSES = 10;
export const EXP_FIELD = /\{EXP\.(\w+)\}/g;
/** ml_dash's snowflake ids count milliseconds from this epoch (2020-01-01T00:00:00Z). */
const SNOWFLAKE_EPOCH_MS = 1577836800000;

/** The RUN fields a prefix may name. */
export interface RunFields {
  user: string;
  project: string;
  now: Date;
  entry: string | null;
  path_stem: string;
  job_name: string;
  job_counter: number;
  id: bigint | null;
  [field: string]: unknown;
}

let jobCounter = 0;

/** 1 for the first experiment of the process, then 2, ... (ml_dash's RUN.job_counter). */
export function nextJobCounter(): number {
  return ++jobCounter;
}

/** An 18-or-so digit numeric id in the shape of ml_dash's snowflake: time, then random bits. */
export function newNumericId(): bigint {
  const ms = BigInt(Date.now() - SNOWFLAKE_EPOCH_MS);
  return (ms << 22n) | BigInt(Math.floor(Math.random() * 2 ** 22));
}

function findProjectRoot(start: string): string {
  let folder = resolve(start);
  if (existsSync(folder) && statSync(folder).isFile()) folder = dirname(folder);
  for (;;) {
    if (PROJECT_ROOT_FILES.some((name) => existsSync(join(folder, name)))) return folder;
    const parent = dirname(folder);
    if (parent === folder) return process.cwd();
    folder = parent;
  }
}

export interface RunFieldOptions {
  user?: string;
  project?: string;
  now?: Date;
  entry?: string;
  projectRoot?: string;
  pathStem?: string;
  jobName?: string;
  jobCounter?: number;
  env?: NodeJS.ProcessEnv;
}

/** The RUN fields with ml_dash's defaults (job_counter: the next one unless given). */
export function runFields(opts: RunFieldOptions = {}): RunFields {
  const env = opts.env ?? process.env;
  const entry = opts.entry ?? process.argv[1] ?? null;
  let pathStem = opts.pathStem;
  if (pathStem === undefined) {
    if (entry) {
      const rel = relative(opts.projectRoot ?? findProjectRoot(entry), resolve(entry));
      pathStem = rel
        .slice(0, rel.length - extname(rel).length)
        .split(sep)
        .join("/");
    } else pathStem = "";
  }
  return {
    user: opts.user || env.ML_DASH_USER || env.USER || userInfo().username,
    project: opts.project ?? DEFAULT_PROJECT,
    now: opts.now ?? new Date(),
    entry,
    path_stem: pathStem,
    job_name: opts.jobName ?? DEFAULT_JOB_NAME,
    job_counter: opts.jobCounter ?? nextJobCounter(),
    id: null,
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** Python's strftime for the directives a prefix uses (%Y %m %d %H %M %S %y %f %%). */
function strftime(date: Date, format: string): string {
  return format.replace(/%([YmdHMSyf%])/g, (_, d: string) => {
    switch (d) {
      case "Y":
        return String(date.getFullYear());
      case "y":
        return pad(date.getFullYear() % 100);
      case "m":
        return pad(date.getMonth() + 1);
      case "d":
        return pad(date.getDate());
      case "H":
        return pad(date.getHours());
      case "M":
        return pad(date.getMinutes());
      case "S":
        return pad(date.getSeconds());
      case "f":
        return pad(date.getMilliseconds() * 1000, 6);
      default:
        return "%";
    }
  });
}

/** One `{field:spec}` as Python formats it: dates by strftime, integers by `0Nd`/`d`, the rest as text. */
function formatField(value: unknown, spec: string | undefined, field: string): string {
  if (value === undefined) throw new Error(`g-runs: prefix template: unknown field {${field}}`);
  if (value instanceof Date) return spec ? strftime(value, spec) : value.toISOString();
  if (spec) {
    const m = /^(0?)(\d*)d$/.exec(spec);
    if (m && typeof value === "number" && Number.isInteger(value)) return String(value).padStart(Number(m[2] || 0), m[1] ? "0" : " ");
    throw new Error(`g-runs: prefix template: format "${spec}" for {${field}} is not supported`);
  }
  return String(value);
}

/** A str.format pass: `{field}` / `{field:spec}`; `{{` and `}}` are literal braces. */
function formatOnce(text: string, fields: RunFields): string {
  return text.replace(/\{\{|\}\}|\{(\w+)(?::([^{}]*))?\}/g, (whole, field: string | undefined, spec: string | undefined) => {
    if (whole === "{{") return "{";
    if (whole === "}}") return "}";
    return formatField(fields[field!], spec, field!);
  });
}

/** `{EXP.name}`'s value: a RUN field, a date form, or a part of the prefix; an unset one throws. */
export function expAttribute(fields: RunFields, name: string): string {
  if (name === "id" && !fields.id) fields.id = newNumericId();
  const derived: Record<string, string> = {
    date: strftime(fields.now, "%Y%m%d"),
    datetime_str: strftime(fields.now, "%Y%m%d.%H%M%S"),
  };
  const value = name in derived ? derived[name] : fields[name];
  if (value === undefined || value === null) throw new Error(`g-runs: RUN has no attribute '${name}'`);
  return value instanceof Date ? value.toISOString() : String(value as string | number | bigint);
}

/** A prefix as ml_dash expands it: `{EXP.attr}` first, then str.format passes over the fields. */
export function expandPrefix(prefix: string | undefined, fields: RunFields): string | undefined {
  if (prefix === undefined || !prefix.includes("{")) return prefix;
  let out = prefix.replace(EXP_FIELD, (_, name: string) => expAttribute(fields, name));
  for (let pass = 0; pass < MAX_FORMAT_PASSES && out.includes("{"); pass++) {
    for (const key of ["project", "job_name"] as const) if (fields[key].includes("{")) fields[key] = formatOnce(fields[key], fields);
    out = formatOnce(out, fields);
  }
  return out;
}

/** ml_dash's owner, project and name of `owner/project/.../name` (name: the last part, or the project). */
export function prefixParts(prefix: string | undefined): Record<string, string> {
  const parts = (prefix ?? "").split("/").filter((p) => p);
  if (parts.length < 2) return {};
  return { owner: parts[0]!, project: parts[1]!, name: parts.length > 2 ? parts[parts.length - 1]! : parts[1]! };
}
