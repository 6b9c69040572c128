// Which process a pid stands for, so that a pid written in a LOCK long ago is
// not taken for another process that has the same number since (pids are
// reused). The kernel's start time of a process (in clock ticks since boot,
// field 22 of /proc/PID/stat) and the boot's id together name one process for
// good. Linux only: elsewhere there is no identity, and a pid without one is
// never treated as the run's (never signalled, never counted alive).

import { readFileSync } from "node:fs";

/** Field 22 of /proc/PID/stat, as an index into the fields after the command's closing ")": state is 0. */
const START_TIME_FIELD = 19;

/** The boot's id, read once: it does not change while this process lives. */
let bootId: string | null | undefined;

function readBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/** /proc/PID/stat's state and start time, or null when there is no such process (or no /proc). */
function readProcStat(pid: number): { state: string; start: string } | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command (field 2) is in parentheses and may hold spaces and ")": the fields start after the last one.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const start = fields[START_TIME_FIELD];
  if (state === undefined || start === undefined || !/^\d+$/.test(start)) return null;
  return { state, start };
}

/**
 * The identity of process `pid` (`BOOT_ID:START_TICKS`), or null where it
 * cannot be read (no such process, no /proc).
 */
export function readProcessStart(pid: number): string | null {
  const boot = readBootId();
  const stat = readProcStat(pid);
  return boot === null || stat === null ? null : `${boot}:${stat.start}`;
}

/** This process's own identity (readProcessStart), read once: for the LOCKs it writes (`pid_start`). */
export function ownProcessStart(): string | null {
  if (ownStart === undefined) ownStart = readProcessStart(process.pid);
  return ownStart;
}

let ownStart: string | null | undefined;

/**
 * Whether the process that `start` (from readProcessStart) names is alive as
 * `pid`: a zombie has ended (its parent may never reap it: a dead recorder's
 * child goes to whatever PID 1 the container has), and another process with
 * the same pid is not it.
 */
export function isSameProcessAlive(pid: number, start: string | undefined): boolean {
  if (start === undefined) return false;
  const stat = readProcStat(pid);
  if (stat === null || stat.state === "Z" || stat.state === "X") return false;
  return `${readBootId()}:${stat.start}` === start;
}
