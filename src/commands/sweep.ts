// `g sweep FILE` creates a W&B-style sweep in the store (src/store/sweeps.ts)
// and prints its id; `g sweep --stop | --resume | --cancel ID` changes its
// state; `g sweep --delete ID` removes one that has no running trial.

import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { RunStore, resolveHome } from "../store/store.js";
import { parseSweepConfig, sweepTotal } from "../flags/sweep-config.js";
import { createSweep, deleteSweep, readSweep, sweepIdFromPath, updateSweep, type SweepStoredState } from "../store/sweeps.js";
import { CLAIM_LOCK_TIMEOUT_MS } from "../trials/sweep.js";
import { say, sayLines } from "./prompt.js";
import type { SweepOptions } from "../cli/program.js";
import { writeOut } from "../runner/terminal.js";
import { sweepListing } from "./sweeps.js";

/** The options as commander gives them: inferred from their declarations in src/cli/program.ts. */
export type { SweepOptions };

export async function sweepCommand(file: string | undefined, opts: SweepOptions): Promise<void> {
  const home = resolveHome();
  const actions = (["stop", "resume", "cancel", "delete"] as const).filter((a) => opts[a] !== undefined);
  if (actions.length > 1 || (actions.length === 1 && file !== undefined)) {
    throw new UsageError(
      "give either a sweep file or one of --stop/--resume/--cancel/--delete ID, e.g. g sweep sweep.yaml or g sweep --stop 3fa9c2d1",
    );
  }
  if (actions[0] === "delete") {
    await removeSweep(home, opts.delete!);
    return;
  }
  if (actions.length === 1) {
    await changeState(home, actions[0]!, opts[actions[0]!]!);
    return;
  }
  if (file === undefined) throw new UsageError("name the sweep configuration, e.g. g sweep sweep.yaml (see docs/sweeps.md)");

  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === "ENOENT" ? `${file} does not exist; give the path of a sweep.yaml` : `cannot read ${file} (${code})`);
  }
  const cwd = process.cwd();
  const sweep = createSweep(home, file, text, parseSweepConfig(text, file), cwd);
  const c = sweep.record.config;
  if (c.program !== "" && !existsSync(resolve(cwd, c.program)))
    say(`warning: program ${c.program} is not in ${cwd}; agents look for it in their own directory`);
  const total = sweepTotal(c);
  const size = total === null ? "until stopped (no run_cap)" : `${total} trial${total === 1 ? "" : "s"}`;
  say(
    `Created sweep ${sweep.id}: ${c.method}, ${Object.keys(c.space).length} parameter(s), ${size}${c.metric ? `, ${c.metric.goal} ${c.metric.name}` : ""}.`,
  );
  sayLines([`Run agents (as many as you like, in any terminal sharing ${home}) with:`, `  g agent ${sweep.id}`]);
  say(`view: g view --sweep ${sweep.id}`);
  writeOut(sweep.id + "\n");
}

async function removeSweep(home: string, spec: string): Promise<void> {
  const store = new RunStore(home);
  const sweep = readSweep(home, sweepIdFromPath(spec));
  const runs = await deleteSweep(store, sweep, CLAIM_LOCK_TIMEOUT_MS);
  const kept = runs.length === 0 ? "" : `; its ${runs.length} trial run(s) stay (g runs delete --op sweep:${sweep.id} removes them)`;
  say(`deleted sweep ${sweep.id}${kept}`);
}

async function changeState(home: string, action: "stop" | "resume" | "cancel", spec: string): Promise<void> {
  const sweep = readSweep(home, sweepIdFromPath(spec));
  const before = sweep.record.state;
  if (action === "resume" && before === "cancelled")
    throw new UsageError(`sweep ${sweep.id} was cancelled; create a new one with g sweep ${sweep.record.file}`);
  // Finished is derived (every trial claimed, or metric.target reached): there is nothing to resume,
  // and a stop or cancel would only hide that it finished.
  const now = sweepListing(new RunStore(home), sweep);
  if (now.state === "finished") {
    const why = now.target?.reachedBy
      ? `trial ${now.target.reachedBy.trial} reached metric.target`
      : `all ${now.counts.total} of its trials were claimed`;
    throw new UsageError(
      `sweep ${sweep.id} is finished (${why}); there is nothing to ${action}. Start a new one with g sweep ${sweep.record.file}`,
    );
  }
  if (action === "resume" && before === "running") {
    say(`sweep ${sweep.id} is already running; agents claim its trials (g sweep --stop pauses it)`);
    return;
  }
  const state: SweepStoredState = action === "stop" ? "stopped" : action === "resume" ? "running" : "cancelled";
  await updateSweep(sweep, (r) => void (r.state = state));
  const what = {
    stop: "stopped: agents finish their current trial and claim no more (g sweep --resume to continue)",
    resume: "running: agents claim trials again",
    cancel: "cancelled: agents stop their running trials and exit",
  }[action];
  say(`sweep ${sweep.id} ${what}`);
}
