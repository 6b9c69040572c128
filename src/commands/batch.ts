// Runs a batch: a run of its own (op grid/random/gp/tpe) whose trials are runs
// linked to it. Trials come from a fixed list (grid, random) or one at a time
// from an optimizer that learns from the finished ones (gp, tpe).

import { hostname } from "node:os";
import { InterruptedError, RunFailedError } from "../errors.js";
import type { Observation, Point, Rng, Space } from "../flags/space.js";
import { lossFor, objectiveValue } from "../query/objective.js";
import { buildArgv, buildEnv } from "../runner/command.js";
import { formatNumber, formatValue } from "../format/values.js";
import { createRng } from "../search/rng.js";
import { startRun, type OutputSink, type RunningProcess } from "../runner/execute.js";
import type { ScriptInfo } from "../runner/inspect.js";
import { isoNow, shortId, type RunStore } from "../store/store.js";
import type { Flags, Objective, Run } from "../store/types.js";
import { say } from "./prompt.js";

export type SequentialOptimizer = "gp" | "tpe";

export interface BatchPlan {
  store: RunStore;
  batch: Run;
  info: ScriptInfo;
  /** The op of each trial: the script as the user named it. */
  trialOp: string;
  space: Space;
  /** Flags every trial gets before the searched ones (the script's defaults and constants). */
  baseFlags: Flags;
  objective: Objective;
  /** Fixed trials (grid, random), by trial number; or null when an optimizer proposes them. */
  points: Map<number, Point> | null;
  /** For gp/tpe: trial numbers to run, and how to propose. */
  trialNumbers: number[];
  propose?: (history: Observation[], rng: Rng) => Point;
  rng: Rng;
  /** Finished trials the optimizer learns from (earlier ones of this batch, or more with --learn-from all). */
  history: Observation[];
  /** Existing trial runs to re-run in place (interrupted ones), by trial number. */
  rerun: Map<number, Run>;
  parallel: number;
  quiet: boolean;
  label: string;
  tags: string[];
  cwd: string;
  /** The number of trials in the whole batch, for "trial k/N". */
  total: number;
}

interface Best {
  value: number;
  trial: number;
}

export async function runBatch(plan: BatchPlan): Promise<void> {
  const { store, batch } = plan;
  store.writeLock(batch.id, { pid: process.pid, host: hostname() });
  await store.updateRun(batch.id, (r) => {
    r.started ??= isoNow();
    r.stopped = null;
    r.exit_status = null;
    delete r.terminated;
  });

  const running = new Set<RunningProcess>();
  let interrupted: "interrupt" | "terminate" | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    const reason = sig === "SIGINT" ? "interrupt" : "terminate";
    if (interrupted === null) say(`\n${sig === "SIGINT" ? "Interrupted" : "Stopping"}: stopping ${running.size} running trial(s); no new trials start.`);
    interrupted ??= reason;
    for (const r of running) r.stop(reason);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const queue = [...plan.trialNumbers];
  let failed = 0;
  let completed = 0;
  let best: Best | null = null;
  const pending = new Map<number, Point>();
  const prefixOutput = plan.parallel > 1;

  const worker = async () => {
    while (interrupted === null) {
      const trial = queue.shift();
      if (trial === undefined) return;
      const point = nextPoint(plan, trial, pending);
      pending.set(trial, point);
      const flags: Flags = { ...plan.baseFlags, ...point };
      say(`trial ${trial}/${plan.total}: ${formatPoint(point)}`);
      const run =
        plan.rerun.get(trial) ??
        store.createRun({
          op: plan.trialOp,
          flags,
          cwd: plan.cwd,
          label: plan.label,
          tags: plan.tags,
          batch: batch.id,
          trial,
          script: plan.info.path,
        });
      if (plan.rerun.has(trial)) await store.updateRun(run.id, (r) => void (r.flags = flags));
      const proc = await startRun({
        store,
        run,
        argv: buildArgv(plan.info, flags),
        env: buildEnv(process.env, { id: run.id, dir: run.dir, home: store.home, flags }),
        cwd: plan.cwd,
        sink: plan.quiet ? null : outputSink(prefixOutput ? `[${trial}] ` : ""),
        sourceOf: plan.info.path,
      });
      running.add(proc);
      const result = await proc.done;
      running.delete(proc);
      pending.delete(trial);
      const value = objectiveValue(plan.objective, store.readSummaries(store.readRun(run.id)));
      if (result.status === "completed") completed++;
      else if (result.status !== "terminated") failed++;
      if (result.status === "completed" || result.status === "error") {
        plan.history.push({ point, value: result.status === "completed" ? lossFor(plan.objective, value) : null });
      }
      const loss = result.status === "completed" ? lossFor(plan.objective, value) : null;
      if (loss !== null && (best === null || loss < best.value)) best = { value: loss, trial };
      say(progressLine(plan, trial, result.status, value, best, running.size, failed));
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.parallel, plan.trialNumbers.length)) }, worker));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await store.updateRun(batch.id, (r) => {
      r.stopped = isoNow();
      r.exit_status = interrupted ? 130 : failed > 0 ? 1 : 0;
      if (interrupted) r.terminated = true;
    });
    store.removeLock(batch.id);
  }

  const bestText = best ? `; best ${plan.objective.column} ${formatNumber(signed(plan.objective, (best as Best).value))} (trial ${(best as Best).trial})` : "";
  const summary = `batch ${shortId(batch.id)} (${batch.record.op}): ${completed} completed, ${failed} failed${bestText}`;
  if (interrupted) throw new InterruptedError(`${summary}; interrupted; continue it with: g run --restart ${shortId(batch.id)}`);
  if (failed > 0) throw new RunFailedError(summary);
  say(summary);
}

function nextPoint(plan: BatchPlan, trial: number, pending: Map<number, Point>): Point {
  const fixed = plan.points?.get(trial);
  if (fixed) return fixed;
  const rerun = plan.rerun.get(trial);
  if (rerun) return pointOf(plan.space, rerun.record.flags);
  if (!plan.propose) throw new Error(`no point for trial ${trial}`);
  // Trials still running are shown to the optimizer as points not to propose again.
  const inFlight: Observation[] = [...pending.values()].map((point) => ({ point, value: null }));
  return plan.propose([...plan.history, ...inFlight], plan.rng);
}

/** The searched flags of a run's flags: the point it was in the space. */
export function pointOf(space: Space, flags: Flags): Point {
  const point: Point = {};
  for (const [name, dim] of Object.entries(space)) {
    if (dim.type === "const") continue;
    if (name in flags) point[name] = flags[name]!;
  }
  return point;
}

function outputSink(prefix: string): OutputSink {
  if (prefix === "") return (text, stream) => void (stream === "stdout" ? process.stdout : process.stderr).write(text);
  const tails = { stdout: "", stderr: "" };
  return (text, stream) => {
    const all = tails[stream] + text;
    const lines = all.split("\n");
    tails[stream] = lines.pop() ?? "";
    if (lines.length > 0) (stream === "stdout" ? process.stdout : process.stderr).write(lines.map((l) => prefix + l + "\n").join(""));
  };
}

function progressLine(plan: BatchPlan, trial: number, status: string, value: number | null, best: Best | null, running: number, failed: number): string {
  const parts = [`trial ${trial}/${plan.total} ${status}`];
  if (value !== null) parts.push(`${plan.objective.column} ${formatNumber(value)}`);
  if (best) parts.push(`best ${formatNumber(signed(plan.objective, best.value))} (trial ${best.trial})`);
  if (running > 0) parts.push(`${running} running`);
  if (failed > 0) parts.push(`${failed} failed`);
  return parts.join(" · ");
}

function signed(objective: Objective, loss: number): number {
  return objective.goal === "maximize" ? -loss : loss;
}

export function formatPoint(point: Point): string {
  return Object.entries(point)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(" ");
}


/** A seeded rng for a batch; restarts pass a new `stream` so they never repeat earlier draws. */
export function batchRng(seed: number, stream = 0): Rng {
  return createRng(stream === 0 ? String(seed) : `${seed}:${stream}`);
}
