// The command line's definitions: commander options and help only; each
// command's implementation is imported when it runs, so `g --help` stays fast.
// Options are typed (@commander-js/extra-typings): each command's options
// type is inferred from its declarations here, and `g run`'s come from the
// table in run-options.ts.

import { Command, Option, type CommandUnknownOpts, type OptionValues } from "@commander-js/extra-typings";
import { parseTop } from "../query/top.js";
import { escapeControlChars } from "../format/values.js";
import { packageVersion } from "../runner/paths.js";
import { RUN_OPTIONS, optionNames, parseCount, type RunOptionDef } from "./run-options.js";
import { writeErr, writeOut } from "../runner/terminal.js";

/** The options `g compare` is given (src/commands/compare.ts). */
export type CompareOptions = ReturnType<ReturnType<typeof defineCompare>["opts"]>;
/** The options `g sweep` is given (src/commands/sweep.ts). */
export type SweepOptions = ReturnType<ReturnType<typeof defineSweep>["opts"]>;
/** The options `g sweeps` is given (src/commands/sweeps.ts). */
export type SweepsOptions = ReturnType<ReturnType<typeof defineSweeps>["opts"]>;
/** The options `g view` is given (src/commands/view.ts). */
export type ViewOptions = ReturnType<ReturnType<typeof defineView>["opts"]>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command("g")
    .description("Run training scripts, record every run as plain files, and search for the best flags.")
    .version(packageVersion(), "-V, --version")
    .enablePositionalOptions()
    // Set before any command is added: subcommands copy these when created.
    .exitOverride()
    .configureOutput({
      writeOut,
      writeErr,
      outputError: (s, write) => write(formatCommanderError(s)),
    });

  const run = program
    .command("run")
    .usage("[OPTIONS] SCRIPT [FLAG ...]")
    .description(
      "Run SCRIPT once, or once per trial of a search, recording each run.\n" +
        // One line per paragraph: commander wraps each at the terminal's width (a break of our own would end a short line).
        "FLAG: name=value (Guild) or --name [value] (Grid.ai). Values such as [1,2,3], [-2:2], " +
        'loguniform[1e-5:1e-1], "uniform(0, 1, 3)" or "(1, 10, 2)" turn the run into a search.',
    );
  // For the help text only: g run parses its own argv (run-args.ts) from the same table.
  for (const def of RUN_OPTIONS as readonly RunOptionDef[]) {
    const option = commanderOption(def);
    run.addOption(def.hidden ? option.hideHelp() : option);
  }
  run
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[args...]")
    .helpOption("-h, --help", "show this help")
    .action(async (_args, _opts, cmd) => {
      const [{ runCommand }, { parseRunArgs }] = await Promise.all([import("../commands/run.js"), import("./run-args.js")]);
      const argv = rawArgsAfter(cmd, "run");
      await runCommand(parseRunArgs(argv), argv);
    });

  const runs = program
    .command("runs")
    .description("List and manage runs (default: list; g runs list --help shows its options).")
    .enablePositionalOptions();

  addRunFilters(
    runs
      .command("list", { isDefault: true })
      .description("List runs, latest first: index, id, op, started, time, status, label.")
      .argument("[run...]", "runs: 1 (latest), 1:20, :5, 3:, id or id prefix")
      .option("--json", "print JSON")
      .option("-a, --all", "show all runs (the default shows the latest 20 when no RUN is given)")
      .option("--trash", "list deleted runs"),
  ).action(async (specs: string[], opts) => (await import("../commands/runs.js")).listCommand(specs, opts));

  runs
    .command("info")
    .description("Show a run: flags, scalars, files, command.")
    .argument("[run]", "the run (default: 1, the latest)")
    .option("--json", "print JSON")
    .action(async (spec: string | undefined, opts) => (await import("../commands/runs.js")).infoCommand(spec, opts));

  addRunFilters(
    runs
      .command("delete")
      .alias("rm")
      .description("Move runs to the trash (or delete them for good).")
      .argument("[run...]")
      .option("-y, --yes", "do not ask for confirmation")
      .option("--permanent", "delete for good instead of moving to the trash"),
  ).action(async (specs: string[], opts) => (await import("../commands/runs.js")).deleteCommand(specs, opts));

  runs
    .command("restore")
    .description("Bring runs back from the trash.")
    .argument("[run...]", "runs as listed by g runs list --trash")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (specs: string[], opts) => (await import("../commands/runs.js")).restoreCommand(specs, opts));

  runs
    .command("purge")
    .description("Delete runs in the trash for good.")
    .argument("[run...]", "runs as listed by g runs list --trash (default: all)")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (specs: string[], opts) => (await import("../commands/runs.js")).purgeCommand(specs, opts));

  runs
    .command("label")
    .description("Set or clear the label of runs.")
    .argument("<run...>")
    .option("--set <text>", "the new label")
    .option("--clear", "remove the label")
    .action(async (specs: string[], opts) => (await import("../commands/runs.js")).labelCommand(specs, opts));

  runs
    .command("tag")
    .description("Add or remove tags of runs.")
    .argument("<run...>")
    .option("--add <tag>", "tag to add (repeatable)", collect)
    .option("--remove <tag>", "tag to remove (repeatable)", collect)
    .action(async (specs: string[], opts) => (await import("../commands/runs.js")).tagCommand(specs, opts));

  program
    .command("stop")
    .description("Stop running runs (default: every running run, after confirmation).")
    .argument("[run...]")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (specs: string[], opts) => (await import("../commands/runs.js")).stopCommand(specs, opts));

  defineCompare(program).action(async (specs, opts) => (await import("../commands/compare.js")).compareCommand(specs, opts));
  defineSweep(program).action(async (file, opts) => (await import("../commands/sweep.js")).sweepCommand(file, opts));
  defineSweeps(program).action(async (opts) => (await import("../commands/sweeps.js")).sweepsCommand(opts));
  defineView(program).action(async (specs, opts) => (await import("../commands/view.js")).viewCommand(specs, opts));

  program
    .command("agent")
    .description("Run trials of a sweep until it is done (start as many agents as you like; -j N runs N trials at once).")
    .argument("<sweep-id>", "the id g sweep printed; W&B's entity/project/ID works too")
    .option("--count <n>", "run at most N trials in all (with -j, over all of them)", (value) => parseCount("--count", value, 1))
    .option("-j, --parallel <n>", "run up to N trials at once, each claimed as a separate agent would (default 1)", (value) =>
      parseCount("-j/--parallel", value, 1),
    )
    .option("--no-retry", "do not re-run trials whose agent died")
    .option("-q, --quiet", "do not echo the trials' output (progress lines and the summary are still shown)")
    .option("--backend <name>", "start --agents agents and return: local (detached processes) or slurm (one job array)")
    .option("--agents <n>", "how many agents --backend starts (default 1)", (value) => parseCount("--agents", value, 1))
    .option("--slurm-array-parallel <n>", "at most N array tasks at once (sbatch --array=...%N)", (value) =>
      parseCount("--slurm-array-parallel", value, 1),
    )
    .option(
      "--slurm-opt <options>",
      'sbatch options, e.g. "--partition=gpu --time=1:00:00" (repeatable)',
      (value: string, prev: string[] = []) => [...prev, value],
    )
    .option(
      "--wait",
      "with --backend: wait until every agent has ended, then show the sweep's counts (exit 1 if an agent or a trial failed)",
    )
    .action(async (id: string, opts) => (await import("../commands/agent.js")).agentCommand(id, opts));

  program
    .command("ask-tell")
    .description(
      "A JSON-lines optimizer server on stdin/stdout: init → ready, suggest → suggestion, observe → ok, end.\n" +
        'The protocol is described in docs/optimizers.md ("g ask-tell").',
    )
    .requiredOption("--optimizer <name>", "gp, tpe, forest or gbrt (random too)")
    .option("--opt-flag <name=value>", "optimizer setting (repeatable; see g run --help-optimizer NAME)", collect)
    .action(async (opts: { optimizer: string; optFlag?: string[] }) => {
      const { runAskTell } = await import("../commands/ask-tell.js");
      const { parseOptFlags } = await import("../trials/optimizers.js");
      await runAskTell({
        optimizer: opts.optimizer,
        input: process.stdin,
        output: process.stdout,
        settings: parseOptFlags(opts.optFlag ?? []),
      });
    });

  program
    .command("init")
    .description("Make a project-local store, .g/ in this folder: g commands here and below use it (unless G_HOME is set).")
    .action(async () => (await import("../commands/init.js")).initCommand());

  program
    .command("completion")
    .description("Print a shell completion script (bash, zsh or fish); see docs/usage.md for installing it.")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText(
      "after",
      "\nInstall:\n  bash  g completion bash > ~/.local/share/bash-completion/completions/g\n" +
        '  zsh   g completion zsh > "${fpath[1]}/_g"\n  fish  g completion fish > ~/.config/fish/completions/g.fish',
    )
    .action(async (shell: string) => (await import("../commands/complete.js")).completionCommand(shell));

  const sdk = program.command("sdk").description("Logging SDK helpers.");
  sdk
    .command("python-path")
    .description("Print the directory to put on PYTHONPATH to import g_runs outside g run.")
    .action(async () => {
      const { sdkPythonDir } = await import("../runner/paths.js");
      writeOut(sdkPythonDir() + "\n");
    });

  return program;
}

function defineCompare(program: Command) {
  const compare = program
    .command("compare")
    .description("Compare runs: a table (-T), CSV, JSON, or an interactive view in a terminal.")
    .argument("[run...]", "runs: 1 (latest), 1:20, :5, 3:, id or id prefix (default: all)")
    .option("-T, --table", "print a table instead of the interactive view")
    .addOption(new Option("--csv [file]", "write CSV to FILE (or stdout)"))
    .option("--json", "print JSON: flags and every scalar's summary")
    .option("-c, --cols <cols>", 'columns, e.g. "loss, min loss, =x, .time"')
    .option("-m, --min <col>", "sort ascending by COL (repeatable)", collect)
    .option("-M, --max <col>", "sort descending by COL (repeatable)", collect)
    .option("-t, --top <n>", "show only the first N after sorting", parseTop)
    .option("--filter <expr>", 'keep rows matching EXPR, e.g. "loss < 0.2 and x > -1"')
    .option("--skip-core", "leave out the run attribute columns")
    .option("--skip-unchanged", "leave out columns whose value is the same in every row");
  return addSearchFilters(addRunFilters(compare));
}

function defineView(program: Command) {
  const view = program
    .command("view")
    .description("Serve a web page of runs (table, curves, search plots), or write it as one HTML file with --export.")
    .argument("[run...]", "runs: 1 (latest), 1:20, :5, 3:, id or id prefix (default: all)")
    .option("--host <host>", "address to listen on; not loopback: the URL carries a token", "127.0.0.1")
    .option("--port <n>", "port (default 6006, or the next free one; 0: any free port)", (value) => parseCount("--port", value))
    .option("--no-open", "do not open a browser")
    .option("--export <file>", "write a self-contained HTML report to FILE instead of serving")
    .option("-c, --cols <cols>", 'the table\'s columns, as g compare -c: "loss, min loss, =x, .time" (repeatable)', collect)
    .option("--filter <expr>", 'keep runs matching EXPR, e.g. "loss < 0.2 and x > -1"');
  return addSearchFilters(addRunFilters(view));
}

function defineSweep(program: Command) {
  return program
    .command("sweep")
    .description("Create a W&B-style sweep from FILE.yaml and print its id; or stop/resume/cancel/delete one.")
    .argument("[file]", "the sweep configuration (YAML)")
    .option("--stop <id>", "stop handing out new trials")
    .option("--resume <id>", "hand out trials again")
    .option("--cancel <id>", "stop the sweep and its running trials")
    .option("--delete <id>", "remove a sweep that has no running trial (its trials' runs stay)");
}

function defineSweeps(program: Command) {
  return program.command("sweeps").description("List sweeps with their state and counts.").option("--json", "print JSON");
}

/** The `g runs`-style filters (src/query/select.ts `filterRuns`), shared by runs list/delete and compare. */
function addRunFilters<A extends unknown[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) {
  return c
    .option("--op <text>", "only runs whose op contains TEXT")
    .option("--status <status>", "only runs with this status (repeatable)", collect)
    .option("--label <text>", "only runs whose label contains TEXT")
    .option("--tag <tag>", "only runs with this tag (repeatable)", collect)
    .option("--prefix <path>", "only SDK runs whose prefix starts with PATH (whole segments: alice/search)");
}

/**
 * commander's "error: unknown option '--mn'\n(Did you mean --min?)\n" as one
 * line, like every other g error: `g: unknown option '--mn'; did you mean --min?`.
 */
export function formatCommanderError(text: string): string {
  const lines = text
    .trim()
    .replace(/^error:\s*/, "")
    .split("\n")
    .map((l) => escapeControlChars(l.trim()))
    .filter((l) => l !== "");
  const [first = "", ...rest] = lines;
  const hint = rest
    .map((l) => l.replace(/^\((Did you mean .*)\)$/, (_m, inner: string) => inner[0]!.toLowerCase() + inner.slice(1)))
    .join(" ");
  return `g: ${first}${hint ? `; ${hint}` : ""}\n`;
}

/** The trials of one batch or the runs of one sweep (compare and view; resolved in commands/compare.ts). */
function addSearchFilters<A extends unknown[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) {
  return c
    .option("--batch <run>", "only the trials of this batch (index, id or id prefix of the batch run)")
    .option("--sweep <id>", "only the runs of this sweep");
}

/** The arguments after the command's name, exactly as typed (g run parses its own). */
function rawArgsAfter(cmd: CommandUnknownOpts, name: string): string[] {
  const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? process.argv;
  const at = raw.indexOf(name, 2);
  return at < 0 ? [] : raw.slice(at + 1);
}

/**
 * A row of RUN_OPTIONS as a commander option, for help and completion.
 * Commander takes one-letter short names only; Guild's two-letter `-Fo` is set
 * on the option after it is made, so `g run --help` and completion show it
 * (g run's own parser, run-args.ts, reads it from the same row).
 */
function commanderOption(def: RunOptionDef): Option {
  const longShort = optionNames(def).find((n) => /^-[^-]{2,}$/.test(n));
  if (longShort === undefined) return new Option(def.flags, def.help);
  const option = new Option(def.flags.replace(`${longShort}, `, ""), def.help);
  option.short = longShort;
  option.flags = def.flags;
  return option;
}
