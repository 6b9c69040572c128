// g's entry point: runs the command line and is the only place that turns
// errors into exit codes. Commander (its code and building the program are
// most of a short command's start-up) is skipped where it adds nothing:
// `g run` (the hot path: once per trial in scripts) unless help is asked for,
// `--help` of any command (texts captured at build time), `--version`, a bare
// `g runs`, and `g agent ID [--count N] [--no-retry]` (as backends start agents).

import { fstatSync, readFileSync, writeSync } from "node:fs";

/** The width commander's help is wrapped at on a pipe; help.json holds the texts at this width. */
const HELP_WIDTH_COLUMNS = 80;

export async function main(argv: string[]): Promise<number> {
  try {
    if (isVersion(argv.slice(2))) {
      const { packageVersion } = await import("../runner/paths.js");
      process.stdout.write(`${packageVersion()}\n`);
    } else if (isBareRunsList(argv.slice(2))) {
      await (await import("../commands/runs-list.js")).listCommand([], {});
    } else if (plainAgentArgs(argv.slice(2))) {
      const { id, opts } = plainAgentArgs(argv.slice(2))!;
      await (await import("../commands/agent.js")).agentCommand(id, opts);
    } else if (isPlainRun(argv)) {
      const [{ runCommand }, { parseRunArgs }] = await Promise.all([import("../commands/run.js"), import("./run-args.js")]);
      await runCommand(parseRunArgs(argv.slice(3)), argv.slice(3));
    } else if (argv[2] === "__complete") {
      // Called by the completion scripts at every <TAB>: its words are not g's options.
      const [{ hiddenCompleteCommand }, { buildProgram }, { commandShape }] = await Promise.all([
        import("../commands/complete.js"),
        import("./program.js"),
        import("./command-shape.js"),
      ]);
      await hiddenCompleteCommand(argv.slice(3), commandShape(buildProgram(), ""));
    } else {
      const { buildProgram } = await import("./program.js");
      await buildProgram().parseAsync(argv);
    }
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    return (await import("./report-error.js")).reportError(err);
  }
}

/**
 * `g [COMMAND ...] --help|-h`: prints the help text commander printed for it
 * when g was built (scripts/bundle.mjs writes help.json beside the bundle).
 * False, for commander to do it, when the words are not a command path,
 * stdout is a terminal of another width, or there is no help.json (tsc's
 * unbundled dist/).
 */
function printBuiltHelp(args: string[]): boolean {
  const last = args[args.length - 1];
  if (last !== "--help" && last !== "-h") return false;
  // Not process.stdout.isTTY, nor node:tty: making process.stdout for a pipe, or loading tty (and with it
  // net and streams), costs more than the rest of the help. Only a terminal (a character device; for
  // /dev/null process.stdout has no columns) can be of another width.
  const width = isCharacterDevice(1) ? (process.stdout.columns ?? HELP_WIDTH_COLUMNS) : HELP_WIDTH_COLUMNS;
  if (width !== HELP_WIDTH_COLUMNS) return false;
  let texts: Record<string, string>;
  try {
    texts = JSON.parse(readFileSync(new URL("./help.json", import.meta.url), "utf8")) as Record<string, string>;
  } catch {
    return false;
  }
  const text = texts[args.slice(0, -1).join(" ")];
  if (typeof text !== "string" || text === "") return false;
  writeStdout(text);
  return true;
}

function isCharacterDevice(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
}

/**
 * Writes to fd 1 directly (see printBuiltHelp). A reader that went away
 * (EPIPE) ends it quietly, as for every listing; a non-blocking pipe that is
 * full hands the rest to process.stdout.
 */
function writeStdout(text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EAGAIN") process.stdout.write(bytes.subarray(done));
    else if (code !== "EPIPE") throw err;
  }
}

function isVersion(args: string[]): boolean {
  return args.length === 1 && (args[0] === "--version" || args[0] === "-V");
}

/** `g runs` or `g runs list` with nothing else: the list's defaults, as commander would pass them. */
function isBareRunsList(args: string[]): boolean {
  return args[0] === "runs" && (args.length === 1 || (args.length === 2 && args[1] === "list"));
}

/**
 * `g agent SWEEP_ID [--count N] [--no-retry]`, each option at most once and N
 * digits only: the options as commander gives them (`retry` true unless
 * --no-retry). Anything else (other options, mistakes) goes to commander.
 */
function plainAgentArgs(args: string[]): { id: string; opts: { retry: boolean; count?: number } } | null {
  const [command, id, ...rest] = args;
  if (command !== "agent" || id === undefined || id.startsWith("-")) return null;
  const opts: { retry: boolean; count?: number } = { retry: true };
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--no-retry" && opts.retry) opts.retry = false;
    else if (rest[i] === "--count" && opts.count === undefined && /^\d{1,9}$/.test(rest[i + 1] ?? "")) opts.count = Number(rest[++i]);
    else return null;
  }
  return { id, opts };
}

/** `g run` and `g agent` run scripts, which must not die with the reader of g's output. */
function runsScripts(argv: string[]): boolean {
  return argv[2] === "run" || argv[2] === "agent";
}

/** `g run ...` without -h/--help before `--`: parsed by run-args.ts alone. */
function isPlainRun(argv: string[]): boolean {
  if (argv[2] !== "run") return false;
  for (const a of argv.slice(3)) {
    if (a === "--") break;
    if (a === "-h" || a === "--help") return false;
  }
  return true;
}

// `--help` loads nothing more (help.json); everything else first sets up g's own output:
// a closed stdout (`g run train.py | head`) is not a failure: commands that run
// scripts carry on without printing; the others end quietly (src/runner/terminal.ts).
if (!printBuiltHelp(process.argv.slice(2))) {
  (await import("../runner/terminal.js")).handleClosedOutput(runsScripts(process.argv));
  process.exitCode = await main(process.argv);
}
