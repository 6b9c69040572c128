// `g run`: one run of a script, or a batch of trials when a flag is a search
// (grid, random, gp, tpe), and `g run --restart` to continue or rerun.

import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { RunArgs } from "../cli/run-args.js";
import { didYouMean } from "../format/suggest.js";
import { checkScriptFlagNames } from "../flags/check-names.js";
import { InterruptedError, NotFoundError, RunFailedError, UsageError } from "../errors.js";
import type { Point, Space } from "../flags/space.js";
import { parseObjective } from "../query/objective.js";
import { indexRuns, selectRuns } from "../query/select.js";
import { buildArgv, buildEnv, givenFlagNames } from "../runner/command.js";
import { createStartedRun, startRun } from "../runner/execute.js";
import { inspectScript, type ScriptInfo } from "../runner/inspect.js";
import { checkCanStart } from "../runner/preflight.js";
import { withStopSignals } from "../runner/signals.js";
import { terminalWriters } from "../runner/terminal.js";
import { RunStore, resolveHome, shortId } from "../store/store.js";
import { readBatchRecord, type BatchRecord, type Flags, type FlagValue, type Run } from "../store/types.js";
import { formatValue as formatShownValue } from "../format/values.js";
import { quoteShellWord } from "../format/shell-words.js";
import { batchRng, formatPoint, runBatch, signed } from "../trials/batch.js";
import { learnFromEarlierRuns, pointOf, runObjectiveValue } from "../trials/history.js";
import { withProgress } from "../ui/progress.js";
import {
  DEFAULT_MAX_TRIALS,
  OPTIMIZER_CHOICES,
  findOptimizer,
  isSequential,
  loadProposer,
  optimizerSettingsHelp,
  parseOptFlags,
  parseOptimizerSettings,
} from "../trials/optimizers.js";
import { planRestart, range } from "../trials/restart.js";
import { restartRefusal } from "../trials/restartable.js";
import { confirm, say, sayLines } from "./prompt.js";
import { batchTaskCommand, checkBackendArgs, submitBatch } from "./run-backend.js";
import { reapIfNeeded } from "../backends/reap-candidates.js";

/** `args` as parsed from `argv` by src/cli/run-args.ts; `argv` is kept as the batch's command line. */
export async function runCommand(args: RunArgs, argv: string[]): Promise<void> {
  const store = new RunStore(resolveHome());
  if (args.helpOptimizer !== undefined) return printOptimizerHelp(args.helpOptimizer);
  if (args.batchTask !== undefined) return batchTaskCommand(store, args.batchTask);
  if (args.restart !== undefined) return restartCommand(store, args);
  if (args.script === undefined) throw new UsageError("g run needs a script, e.g. g run train.py x=0.5 (see g run --help)");

  const scriptPath = resolve(args.script);
  if (existsSync(scriptPath) && statSync(scriptPath).isDirectory()) throw new UsageError(directoryRefusal(args.script));
  if (!existsSync(scriptPath) || !statSync(scriptPath).isFile())
    throw new UsageError(`no such script: ${args.script}${scriptSuggestion(args.script)}`);
  const info = inspectScript(scriptPath, join(store.home, "cache", "inspect"));
  if (args.helpFlags) return printFlags(args.script, info);
  // Before anything is created: a bad --slurm-opt or -j with --backend is exit 2 with nothing submitted.
  const submission = checkBackendArgs(args);
  checkFlagNames(args, info);
  checkCanStart(buildArgv(info, {}, []), args.script, process.cwd());

  const { parseFlagSpec } = await import("../flags/grammar.js");
  const { planBatch } = await import("../trials/plan.js");
  const { applyDefaultTypes } = await import("../flags/script-types.js");
  const typed = applyDefaultTypes(Object.fromEntries(args.flags.map((f) => [f.name, parseFlagSpec(f.name, f.text)])), info.flags);
  const specs = typed.specs;
  const seed = args.randomSeed ?? Math.floor(Math.random() * 2 ** 31);
  const rng = batchRng(seed);
  const plan = planBatch({
    specs,
    optimizer: args.optimizer,
    strategy: args.strategy,
    maxTrials: args.maxTrials,
    trials: args.trials,
    rng,
  });
  const defaults = defaultsOf(info);
  const objective = parseObjective(args.minimize, args.maximize);

  if (plan.optimizer === null) {
    if (args.printTrials) return printTrials([constants(plan.space)], args.json);
    if (submission)
      throw new UsageError(
        `--backend ${submission.backend} runs a batch's trials; this is a single run (give a flag a list or range, e.g. x=[1,2,3], or leave out --backend)`,
      );
    const flags: Flags = { ...defaults, ...constants(plan.space) };
    if (
      !(await confirmRun(
        args,
        `You are about to run ${args.script}`,
        Object.entries(flags).map(([k, v]) => `${k}: ${formatValue(v)}`),
      ))
    )
      return;
    return runSingle(
      store,
      args,
      info,
      flags,
      args.flags.map((f) => f.name),
    );
  }

  const optimizer = plan.optimizer;
  const points = plan.points;
  if (args.printTrials) {
    if (!points)
      throw new UsageError(
        `${optimizer} proposes each trial from the results of the ones before; --print-trials works with grid and random searches`,
      );
    return printTrials(
      points.map((p) => ({ ...constants(plan.space), ...p })),
      args.json,
    );
  }
  const settings = await parseOptimizerSettings(optimizer, parseOptFlags(args.optFlags));
  const total = points ? points.length : plan.maxTrials;
  if (total === 0) throw new UsageError("the search has no trials to run; check --max-trials / --trials");

  const { describeDimension } = await import("../flags/describe.js");
  const lines = Object.entries(plan.space).map(([name, dim]) => describeDimension(name, dim));
  for (const [name, value] of Object.entries(defaults)) if (!(name in plan.space)) lines.push(`${name}: ${formatValue(value)}`);
  if (isSequential(optimizer))
    lines.push(
      `objective: ${objective.goal} ${objective.column}`,
      `learns from: ${args.learnFrom === "all" ? "this batch and earlier runs of the same script and space" : "this batch"}`,
    );
  lines.push(...typed.notes, ...plan.notes);
  const where = submission
    ? `, on ${submission.backend}${submission.parallel !== undefined ? ` (${submission.parallel} at once)` : ""}`
    : args.parallel > 1
      ? `, ${args.parallel} at once`
      : "";
  const heading = `You are about to run ${args.script} with ${optimizer} optimizer (${total} trial${total === 1 ? "" : "s"}, seed ${seed}${where})`;
  if (!(await confirmRun(args, heading, lines))) return;

  const base: Flags = { ...defaults, ...constants(plan.space) };
  const batch = store.createRun({
    op: optimizer,
    flags: searchedFlagTexts(args),
    cmd: ["g", "run", ...argv],
    cwd: process.cwd(),
    label: args.label ?? "",
    tags: args.tags,
    space: plan.space,
    objective,
    optimizer,
    optimizer_settings: settings,
    seed,
    max_trials: total,
    script: scriptPath,
    script_op: args.script,
    base_flags: base,
    learn_from: args.learnFrom ?? "batch",
    points: points ?? undefined,
    restarts: 0,
  });
  if (submission) return submitBatch(store, batch.id, range(1, total), { ...submission, fresh: true });
  say(`batch ${shortId(batch.id)} (${optimizer}): ${total} trial(s)`);
  const history = args.learnFrom === "all" && !points ? learnFromEarlierRuns(store, scriptPath, plan.space, objective, batch.id) : [];
  const propose = points ? undefined : await loadProposer(optimizer, plan.space, settings);
  const trialOp = args.script;
  const init = {
    kind: "batch" as const,
    id: batch.id,
    title: optimizer,
    subject: trialOp,
    total,
    parallel: args.parallel,
    objective,
    startedMs: Date.now(),
  };
  await withProgress(init, { quiet: args.quiet, out: terminalWriters }, (progress) =>
    runBatch({
      store,
      batch,
      info,
      trialOp,
      space: plan.space,
      baseFlags: base,
      givenFlags: Object.keys(plan.space),
      objective,
      points: points ? new Map(points.map((p, i) => [i + 1, p])) : null,
      trialNumbers: range(1, total),
      propose,
      rng,
      history,
      rerun: new Map(),
      bestSoFar: null,
      parallel: args.parallel,
      quiet: args.quiet,
      label: args.label ?? "",
      tags: args.tags,
      cwd: process.cwd(),
      total,
      progress,
    }),
  );
}

/** One run of a script: `flags` are recorded (defaults included), `given` names the ones the user set. */
async function runSingle(store: RunStore, args: RunArgs, info: ScriptInfo, flags: Flags, given: string[], existing?: Run): Promise<void> {
  const argv = buildArgv(info, flags, given);
  // A new run is created already started (one run.json write less); a rerun in place is started by startRun.
  const run =
    existing ??
    createStartedRun(
      store,
      { op: args.script ?? basename(info.path), flags, cwd: process.cwd(), label: args.label ?? "", tags: args.tags, script: info.path },
      argv,
    );
  const cwd = existing?.record.cwd && existsSync(existing.record.cwd) ? existing.record.cwd : process.cwd();
  const init = { kind: "single" as const, id: run.id, title: run.record.op, total: 1, startedMs: Date.now() };
  const result = await withProgress(init, { quiet: args.quiet, out: terminalWriters }, (progress) =>
    withStopSignals(undefined, async (signals) => {
      progress.emit({ type: "trialStarted", trial: 1, runId: run.id, flags: "", nowMs: Date.now() });
      const proc = await startRun({
        store,
        run,
        argv,
        createdStarted: existing === undefined,
        env: buildEnv(process.env, { id: run.id, dir: run.dir, home: store.home, flags }),
        cwd,
        sink: progress.sinkFor(null),
        sourceOf: info.path,
        onScalar: (rec) => progress.emit({ type: "trialScalar", trial: 1, key: rec.key, value: rec.value, step: rec.step }),
        reportsWriteError: true,
      });
      signals.subscribe((reason) => proc.stop(reason));
      const done = await proc.done;
      progress.emit({ type: "trialFinished", trial: 1, status: done.status, value: null, best: null, nowMs: Date.now() });
      const outcome = done.status === "completed" ? "completed" : done.status === "terminated" ? "interrupted" : "failed";
      progress.emit({ type: "ended", outcome, note: `run ${shortId(run.id)} completed`, nowMs: Date.now() });
      return done;
    }),
  );
  // A full disk: the script was stopped; say which file could not be written, not its exit status.
  if (result.writeError) throw result.writeError;
  if (result.status === "terminated") throw new InterruptedError(`run ${shortId(run.id)} terminated`);
  if (result.status !== "completed") throw new RunFailedError(`run ${shortId(run.id)} failed (exit status ${result.exitCode})`);
}

/** `g run --restart gp|RUN`: continue an optimizer batch, or rerun one run in its directory. */
async function restartCommand(store: RunStore, args: RunArgs): Promise<void> {
  const target = args.restart!;
  if (args.script !== undefined)
    throw new UsageError(`--restart takes no script (got ${args.script}); the run's own script and flags are used`);
  const listed = store.listRuns();
  for (const w of listed.warnings) say(`warning: ${w}`);
  // Trials a scheduler killed unseen, and batches whose job is over, are recorded before the plan reads them.
  const runs = (await reapIfNeeded(store, listed.runs)) ? store.listRuns().runs : listed.runs;
  const all = indexRuns(runs);
  const name = findOptimizer(target);
  let run: Run;
  if (name) {
    const found = runs.find((r) => r.record.batch === undefined && r.record.optimizer === name && r.record.space !== undefined);
    if (!found) throw new NotFoundError(`no ${name} batch to restart; start one with g run SCRIPT x=[LOW:HIGH] --optimizer ${name}`);
    run = found;
  } else {
    const picked = selectRuns(all, [target]);
    if (picked.length !== 1) throw new UsageError(`--restart takes one run, "${target}" selects ${picked.length}`);
    run = picked[0]!.run;
  }
  if (args.flags.length > 0) throw new UsageError(restartFlagsRefusal(run, args.flags));
  const refusal = restartRefusal(run);
  if (refusal !== null) throw new UsageError(refusal);
  if (run.record.space !== undefined && run.record.optimizer !== undefined) {
    const batchRecord = readBatchRecord<Space>(run.record);
    if (!batchRecord)
      throw new UsageError(`cannot restart batch ${shortId(run.id)}: its run.json does not hold a whole batch record (${run.dir})`);
    return restartBatch(store, args, run, batchRecord, runs);
  }
  if (checkBackendArgs(args) !== null)
    throw new UsageError(`--backend runs a batch's trials; ${shortId(run.id)} is a single run (rerun it here without --backend)`);
  const script = typeof run.record.script === "string" ? run.record.script : resolve(run.record.cwd, run.record.op);
  if (!existsSync(script)) throw new UsageError(`cannot rerun ${shortId(run.id)}: its script ${script} is gone`);
  const info = inspectScript(script, join(store.home, "cache", "inspect"));
  checkCanStart(buildArgv(info, {}, []), run.record.op, process.cwd());
  const flags = run.record.flags;
  if (
    !(await confirmRun(
      args,
      `You are about to rerun ${shortId(run.id)} (${run.record.op}, ${run.status}) in its own directory`,
      Object.entries(flags).map(([k, v]) => `${k}: ${formatValue(v)}`),
    ))
  )
    return;
  await runSingle(store, { ...args, script: run.record.op }, info, flags, givenFlagNames(flags, run.record.cmd, info), run);
}

/**
 * Why `g run --restart RUN` takes no flags, in one line: a restart reuses the
 * run's own flags (a batch, its search space), so a flag given with it would
 * be ignored; a different value is a new run (or batch) of the script.
 */
function restartFlagsRefusal(run: Run, flags: RunArgs["flags"]): string {
  const id = shortId(run.id);
  const isBatch = run.record.space !== undefined && run.record.optimizer !== undefined;
  const script = String((isBatch ? run.record.script_op : undefined) ?? run.record.op);
  const words = flags.map((f) => quoteShellWord(f.text === true ? `--${f.name}` : `${f.name}=${f.text}`));
  const reused = isBatch ? `continues batch ${id} with its own search space` : `reruns ${id} with its own flags`;
  const fresh = isBatch ? "to search other values, start a new batch" : "to run with other flags, start a new run";
  return `--restart takes no flags (got ${words.join(" ")}): it ${reused}; ${fresh}: g run ${quoteShellWord(script)} ${words.join(" ")}`;
}

async function restartBatch(store: RunStore, args: RunArgs, batch: Run, rec: BatchRecord<Space>, runs: Run[]): Promise<void> {
  const script = rec.script ?? "";
  if (!existsSync(script)) throw new UsageError(`cannot restart batch ${shortId(batch.id)}: its script ${script} is gone`);
  const info = inspectScript(script, join(store.home, "cache", "inspect"));
  checkCanStart(buildArgv(info, {}, []), String(rec.script_op ?? basename(script)), process.cwd());
  const objective = rec.objective ?? parseObjective();
  // A batch submitted before is submitted again (same options unless given), unless told otherwise.
  const submission = checkBackendArgs(args, rec.submitted);
  const plan = planRestart({
    batch,
    record: rec,
    trials: runs.filter((r) => r.record.batch === batch.id),
    valueOf: (t) => runObjectiveValue(store, objective, t),
    ...(args.maxTrials !== undefined ? { maxTrials: args.maxTrials } : {}),
  });
  const history = [...plan.history];
  if (rec.learn_from === "all" || args.learnFrom === "all")
    history.push(...learnFromEarlierRuns(store, script, plan.space, plan.objective, batch.id));

  const settings = rec.optimizer_settings ?? {};
  const lines = [
    `${history.length} finished trial(s) to learn from; ${plan.rerun.size} interrupted trial(s) to run again; ${plan.trialNumbers.length - plan.rerun.size} new trial(s)`,
    `objective: ${plan.objective.goal} ${plan.objective.column}`,
  ];
  if (
    !(await confirmRun(
      args,
      `You are about to restart batch ${shortId(batch.id)} (${plan.optimizer}, ${rec.script_op ?? basename(script)})${submission ? ` on ${submission.backend}` : ""}`,
      lines,
    ))
  )
    return;
  await store.updateRun(batch.id, (r) => {
    r.restarts = plan.restarts;
    r.max_trials = Math.max(plan.total, r.max_trials ?? 0);
    // A random batch's list grows by the new points, so a later restart knows them.
    if (plan.newPoints.length > 0) r.points = [...((r.points as Point[] | undefined) ?? []), ...plan.newPoints];
    // This session runs here: no scheduler's session may close the batch under it.
    if (!submission) delete r.submitted;
  });
  if (submission) return submitBatch(store, batch.id, plan.trialNumbers, submission);
  const propose = plan.points ? undefined : await loadProposer(plan.optimizer, plan.space, settings);
  const best = plan.bestSoFar;
  const bestRun = best ? runs.find((r) => r.record.batch === batch.id && r.record.trial === best.trial) : undefined;
  const init = {
    kind: "batch" as const,
    id: batch.id,
    title: plan.optimizer,
    subject: rec.script_op ?? basename(script),
    total: plan.total,
    doneBefore: plan.total - plan.trialNumbers.length,
    parallel: args.parallel,
    objective: plan.objective,
    best: best && {
      trial: best.trial,
      value: signed(plan.objective, best.loss),
      ...(bestRun ? { runId: bestRun.id, flags: formatPoint(pointOf(plan.space, bestRun.record.flags)) } : {}),
    },
    startedMs: Date.now(),
  };
  await withProgress(init, { quiet: args.quiet, out: terminalWriters }, (progress) =>
    runBatch({
      store,
      batch: store.readRun(batch.id),
      info,
      trialOp: rec.script_op ?? basename(script),
      space: plan.space,
      baseFlags: rec.base_flags ?? {},
      givenFlags: Object.keys(plan.space),
      objective: plan.objective,
      points: plan.points,
      trialNumbers: plan.trialNumbers,
      propose,
      // A new stream for every restart: never the first run's random starts again.
      rng: batchRng(plan.seed, plan.restarts),
      history,
      rerun: plan.rerun,
      bestSoFar: plan.bestSoFar,
      parallel: args.parallel,
      quiet: args.quiet,
      label: rec.label ?? "",
      tags: rec.tags ?? [],
      cwd: rec.cwd && existsSync(rec.cwd) ? rec.cwd : process.cwd(),
      total: plan.total,
      progress,
    }),
  );
}

async function printOptimizerHelp(name: string): Promise<void> {
  const optimizer = findOptimizer(name);
  if (optimizer === undefined) throw new UsageError(`unknown optimizer "${name}"; use ${OPTIMIZER_CHOICES}`);
  if (optimizer === "grid" || optimizer === "random") {
    process.stdout.write(
      `${optimizer}: no settings. ${optimizer === "grid" ? "Runs every combination of the flags' lists." : `Samples the flags' ranges (lists are categorical choices); --max-trials N (default ${DEFAULT_MAX_TRIALS}), --random-seed N.`}\n`,
    );
    return;
  }
  const help = await optimizerSettingsHelp(optimizer);
  const width = Math.max(...help.map((h) => h.name.length));
  const lines = [`${optimizer} settings (g run ... --optimizer ${optimizer} --opt-flag NAME=VALUE):`, ""];
  for (const h of help) lines.push(`  ${h.name.padEnd(width)}  ${h.help} (default: ${h.default})`);
  process.stdout.write(lines.join("\n") + "\n");
}

function printFlags(script: string, info: ScriptInfo): void {
  const names = Object.keys(info.flags);
  const style =
    info.kind !== "python"
      ? "passed as --name value"
      : info.style === "globals"
        ? "module-level globals, replaced when the script runs"
        : "command-line arguments (--name value)";
  const sdk =
    info.sdkFlags === "open"
      ? "; read with g_runs.flags(), which takes any name"
      : info.sdkFlags === "named"
        ? "; read with g_runs.flags()"
        : "";
  const how = style + sdk;
  if (names.length === 0) {
    process.stdout.write(`${script}: no flags detected (${how}); any name=value is passed on as --name value\n`);
    return;
  }
  const width = Math.max(...names.map((n) => n.length));
  const lines = [`${script} flags (${how}):`];
  for (const n of names) {
    const f = info.flags[n]!;
    const kind =
      f.arg === "switch"
        ? "switch"
        : f.arg === "toggle"
          ? `--${n} or --no-${n}`
          : f.arg === "count"
            ? `counted: ${n}=2 is --${n} --${n}`
            : f.type !== "none"
              ? f.type
              : "";
    lines.push(`  ${n.padEnd(width)}  ${f.required ? "(no default)" : formatValue(f.default)}${kind !== "" ? `  (${kind})` : ""}`);
  }
  process.stdout.write(lines.join("\n") + "\n");
}

/**
 * Refuses a flag a globals-style script does not have (a typo would
 * otherwise run every trial with the default). A script that reads
 * `g_runs.flags()` declares the names it reads; when it hands the dict on
 * (`open`), any name may be read and every flag is accepted.
 */
function checkFlagNames(args: RunArgs, info: ScriptInfo): void {
  if (info.sdkFlags === "open") return;
  const script = { script: args.script ?? info.path, style: info.style, python: info.kind === "python", declared: Object.keys(info.flags) };
  checkScriptFlagNames(
    script,
    args.flags.map((f) => f.name),
    args.optionNames,
    args.forceFlags,
  );
}

function defaultsOf(info: ScriptInfo): Flags {
  const out: Flags = {};
  for (const [name, f] of Object.entries(info.flags)) if (!f.required) out[name] = f.default;
  return out;
}

function constants(space: Space): Flags {
  const out: Flags = {};
  for (const [name, dim] of Object.entries(space)) if (dim.type === "const") out[name] = dim.value;
  return out;
}

function searchedFlagTexts(args: RunArgs): Flags {
  const out: Flags = {};
  for (const f of args.flags) out[f.name] = f.text === true ? true : f.text;
  return out;
}

/**
 * Shows the plan (how each flag was read, the trial count, the seed) on
 * stderr and, at a terminal without -y, asks before running. The plan is
 * shown with -y and without a terminal too, so a log says what ran and which
 * seed reproduces it; -q leaves it out unless g is asking.
 */
async function confirmRun(args: RunArgs, heading: string, lines: string[]): Promise<boolean> {
  const ask = !args.yes && process.stdin.isTTY === true;
  if (ask || !args.quiet) sayLines([heading, ...lines.map((l) => `  ${l}`)]);
  if (!ask) return true;
  const ok = await confirm("Continue?", true);
  if (!ok) say("Nothing was run.");
  return ok;
}

async function printTrials(points: Point[], json: boolean): Promise<void> {
  if (json) {
    process.stdout.write(
      JSON.stringify(
        points.map((p, i) => ({ trial: i + 1, flags: p })),
        null,
        2,
      ) + "\n",
    );
    return;
  }
  const names = [...new Set(points.flatMap((p) => Object.keys(p)))];
  const rows = points.map((p, i) => [String(i + 1), ...names.map((n) => (p[n] === undefined ? "" : formatValue(p[n]!)))]);
  const { renderRows } = await import("../format/table.js");
  process.stdout.write(renderRows(["trial", ...names], rows, { color: false, align: ["right"] }) + "\n");
}

/** A flag value as g run shows it: null as Python's None (defaults come from Python scripts). */
function formatValue(v: FlagValue): string {
  return v === null ? "None" : formatShownValue(v);
}

/** Most scripts a directory refusal names as examples. */
const DIRECTORY_EXAMPLES_MAX = 3;

/** `examples is a directory, not a script; give a .py or .js file or an executable, e.g. examples/train.py`. */
function directoryRefusal(dir: string): string {
  let names: string[] = [];
  try {
    names = readdirSync(resolve(dir), { withFileTypes: true })
      .filter((e) => e.isFile() && /\.(py|js|mjs|cjs)$/i.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    /* unreadable: no examples */
  }
  const shown = names.slice(0, DIRECTORY_EXAMPLES_MAX).map((n) => join(dir, n));
  const more = names.length > shown.length ? ", ..." : "";
  return `${dir} is a directory, not a script; give a .py or .js file or an executable${shown.length > 0 ? `, e.g. ${shown.join(", ")}${more}` : ""}`;
}

/** "; did you mean train.py?" for a mistyped script: the closest file name in the folder it names. */
function scriptSuggestion(script: string): string {
  const folder = dirname(script);
  let names: string[];
  try {
    names = readdirSync(resolve(folder), { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch {
    return "";
  }
  return didYouMean(basename(script), names, (n) => (folder === "." && !script.startsWith("./") ? n : join(folder, n)));
}
