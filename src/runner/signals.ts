// The one place g listens for SIGINT and SIGTERM while it records runs (a
// single run, a batch, a sweep agent), and the one place it sends a stop to
// another g's run (`g stop`), or to the script of a run whose g was killed.
// Ctrl-C becomes `interrupt` (SIGINT to the script's group), SIGTERM becomes
// `terminate`; the runner's `stop` does the forwarding and the SIGKILL after
// a grace period.

import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { isOrphanedChildAlive, isRecorderAlive, isSameProcessAlive, type RunLock } from "../store/store.js";

export type StopReason = "interrupt" | "terminate";

type Listener = (reason: StopReason) => void;

/**
 * Holds SIGINT/SIGTERM for as long as g records: every listener (a running
 * process, a loop that should start nothing new) hears each signal; one that
 * subscribes after the first signal hears it at once, so a trial that starts
 * during shutdown is stopped too. `onFirst` runs once, at the first signal,
 * to tell the user what happens now.
 */
export class StopSignals {
  received: StopReason | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly onFirst: ((reason: StopReason) => void) | undefined;
  private readonly handler = (sig: NodeJS.Signals): void => {
    const reason: StopReason = sig === "SIGINT" ? "interrupt" : "terminate";
    if (this.received === null) this.onFirst?.(reason);
    this.received ??= reason;
    for (const l of [...this.listeners]) l(reason);
  };

  constructor(onFirst?: (reason: StopReason) => void) {
    this.onFirst = onFirst;
  }

  install(): this {
    process.on("SIGINT", this.handler);
    process.on("SIGTERM", this.handler);
    return this;
  }

  uninstall(): void {
    process.off("SIGINT", this.handler);
    process.off("SIGTERM", this.handler);
  }

  /** Calls `listener` at each signal until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.received) listener(this.received);
    return () => void this.listeners.delete(listener);
  }
}

/** Runs `body` with SIGINT/SIGTERM handled by a hub that is removed afterwards, whatever happens. */
export async function withStopSignals<T>(
  onFirst: ((reason: StopReason) => void) | undefined,
  body: (signals: StopSignals) => Promise<T>,
): Promise<T> {
  const signals = new StopSignals(onFirst).install();
  try {
    return await body(signals);
  } finally {
    signals.uninstall();
  }
}

/**
 * `g stop` of one trial of a batch or a sweep agent, whose g process records
 * other trials too: it writes this file into the trial's folder and sends
 * STOP_REQUEST_SIGNAL to that process, which stops the trials whose folder
 * has the file as it stops one at Ctrl-C (SIGTERM to the script's group,
 * SIGKILL after the grace period; the run recorded `terminated`) and goes on
 * with the rest (runner/execute.ts). The file is removed when the run ends.
 */
export const STOP_REQUEST_FILE = "STOP";
/** SIGUSR2: SIGUSR1 starts Node's debugger, and SIGTERM would stop the whole batch. */
export const STOP_REQUEST_SIGNAL: NodeJS.Signals = "SIGUSR2";

/** After asking a script to stop, how long before it is sent SIGKILL. */
export const STOP_GRACE_MS = 5_000;
/** How often `g stop` looks whether an orphaned script it asked to stop has ended. */
const ORPHAN_POLL_MS = 50;
/** After SIGKILL, how long `g stop` waits for the orphaned script to be gone before it goes on. */
const ORPHAN_KILL_WAIT_MS = 1_000;

/**
 * What asking a running run to stop came to: `sent` to its recorder (which
 * stops the script and records the run), `stopped-script` when the recorder
 * was dead and g stopped the script itself, `other-host` (nothing sent), or
 * `gone`: the run ended before it could be asked.
 */
export type StopRequest = "sent" | "stopped-script" | "other-host" | "gone";

/**
 * Asks the g process recording a run to stop it (SIGTERM): that process
 * forwards the stop to the script and records `terminated`. With `trialDir`
 * (a trial of a batch or an agent) only that trial is stopped. When the
 * recorder is gone (kill -9) but the script lives on, g stops the script's
 * process group itself, as the recorder would have: SIGTERM, then SIGKILL
 * after STOP_GRACE_MS; resolved once it has ended (its caller, `g stop`, then
 * records the run `terminated`: commands/runs.ts). The script is signalled only while
 * it is the very process the LOCK names (`child_start`), never a process that
 * got its pid since.
 */
export async function requestStop(lock: RunLock, trialDir?: string): Promise<StopRequest> {
  if (lock.host !== hostname()) return "other-host";
  if (trialDir !== undefined && isRecorderAlive(lock)) {
    // A trial: its recorder goes on with the batch's other trials (see STOP_REQUEST_FILE).
    writeFileSync(join(trialDir, STOP_REQUEST_FILE), "");
    process.kill(lock.pid, STOP_REQUEST_SIGNAL);
    return "sent";
  }
  if (isRecorderAlive(lock)) {
    process.kill(lock.pid, "SIGTERM");
    return "sent";
  }
  if (lock.child === undefined || !isOrphanedChildAlive(lock)) return "gone";
  return (await stopOrphanedScript(lock.child, lock.child_start)) ? "stopped-script" : "gone";
}

/** SIGTERM to the script's group, SIGKILL after the grace period; false if it had ended before the first. */
async function stopOrphanedScript(pid: number, start: string | undefined): Promise<boolean> {
  if (!signalScript(pid, start, "SIGTERM")) return false;
  if (await waitGone(pid, start, STOP_GRACE_MS)) return true;
  signalScript(pid, start, "SIGKILL");
  await waitGone(pid, start, ORPHAN_KILL_WAIT_MS);
  return true;
}

/** Signals the script's process group (it was spawned as its leader), if the script is still the process `start` names. */
function signalScript(pid: number, start: string | undefined, sig: NodeJS.Signals): boolean {
  if (!isSameProcessAlive(pid, start)) return false;
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig); // it left its group
    } catch {
      return false; // it ended between the look and the signal
    }
  }
  return true;
}

/** Whether the script has ended within `ms`. */
async function waitGone(pid: number, start: string | undefined, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isSameProcessAlive(pid, start)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, ORPHAN_POLL_MS));
  }
  return true;
}
