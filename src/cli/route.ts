// Which part of g a command line needs, from its words alone: each route is a
// bundle of its own (scripts/bundle.mjs), so `g run` or a bare `g runs` loads
// its command and not commander, the program or the other commands. Pure: the
// words in, a route out; `--help` is answered before this (src/cli/built-help.ts).

/**
 * - `run`: `g run ...` without -h/--help before `--` (parsed by run-args.ts alone);
 * - `runs-list`: `g runs` or `g runs list` with nothing else;
 * - `agent`: `g agent SWEEP_ID [--count N] [--no-retry] [-j N] [-q]` (how backends start agents);
 * - `program`: everything else, through commander (src/cli/program.ts), `--version` too.
 */
export type Route = "run" | "runs-list" | "agent" | "program";

/** Every route: scripts/bundle.mjs builds `dist/bundle/<route>.js` for each. */
export const ROUTES: readonly Route[] = ["run", "runs-list", "agent", "program"];

/** The route for g's arguments (argv without node and the script). */
export function chooseRoute(args: string[]): Route {
  if (isBareRunsList(args)) return "runs-list";
  if (plainAgentArgs(args) !== null) return "agent";
  if (isPlainRun(args)) return "run";
  return "program";
}

/** `g run` and `g agent` run scripts, which must not die with the reader of g's output. */
export function runsScripts(args: string[]): boolean {
  return args[0] === "run" || args[0] === "agent";
}

export function isVersion(args: string[]): boolean {
  return args.length === 1 && (args[0] === "--version" || args[0] === "-V");
}

/** `g runs` or `g runs list` with nothing else: the list's defaults, as commander would pass them. */
function isBareRunsList(args: string[]): boolean {
  return args[0] === "runs" && (args.length === 1 || (args.length === 2 && args[1] === "list"));
}

/** The options of a plain agent command line, as commander gives them. */
export interface PlainAgentOptions {
  retry: boolean;
  count?: number;
  parallel?: number;
  quiet?: boolean;
}

/** A whole number as the plain routes take it: digits only (commander handles the rest, with its errors). */
const PLAIN_COUNT = /^\d{1,9}$/;

/**
 * `g agent SWEEP_ID [--count N] [--no-retry] [-j|--parallel N] [-q|--quiet]`, each option
 * at most once and N digits only: the options as commander gives them
 * (`retry` true unless --no-retry). Anything else (other options, `-j4`,
 * `--parallel=4`, mistakes) goes to commander. A 0 passes here: the command
 * refuses it with the same words either way.
 */
export function plainAgentArgs(args: string[]): { id: string; opts: PlainAgentOptions } | null {
  const [command, id, ...rest] = args;
  if (command !== "agent" || id === undefined || id.startsWith("-")) return null;
  const opts: PlainAgentOptions = { retry: true };
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    const value = rest[i + 1] ?? "";
    if (word === "--no-retry" && opts.retry) opts.retry = false;
    else if ((word === "-q" || word === "--quiet") && opts.quiet === undefined) opts.quiet = true;
    else if (word === "--count" && opts.count === undefined && PLAIN_COUNT.test(value)) opts.count = Number(rest[++i]);
    else if ((word === "-j" || word === "--parallel") && opts.parallel === undefined && PLAIN_COUNT.test(value))
      opts.parallel = Number(rest[++i]);
    else return null;
  }
  return { id, opts };
}

/** `g run ...` without -h/--help before `--`. */
function isPlainRun(args: string[]): boolean {
  if (args[0] !== "run") return false;
  for (const a of args.slice(1)) {
    if (a === "--") break;
    if (a === "-h" || a === "--help") return false;
  }
  return true;
}
