// `g stop` of a run whose g was killed (kill -9) while its script lives on:
// requestStop stops the script's process group itself, SIGTERM then SIGKILL,
// and only while the pid in the LOCK is still the script it names.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { requestStop } from "../../src/runner/signals.js";
import { isSameProcessAlive, readProcessStart, type RunLock } from "../../src/store/store.js";

/** A pid that no process has: one that ran and exited (a killed g). */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", "0"]).pid!;
}

/** A script as g spawns it: the leader of its own process group. */
function startScript(code: string): { proc: ChildProcess; exited: Promise<NodeJS.Signals | null>; ready: Promise<void> } {
  const proc = spawn("python3", ["-c", code], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on("exit", (_code, signal) => resolve(signal)));
  const ready = new Promise<void>((resolve) => proc.stdout!.once("data", () => resolve()));
  return { proc, exited, ready };
}

function orphanLock(pid: number, start: string): RunLock {
  return { pid: deadPid(), host: hostname(), child: pid, child_start: start };
}

describe("g stop of a run whose g was killed", () => {
  it("stops the script's process group with SIGTERM", async () => {
    const script = startScript("import time\nprint('up', flush=True)\ntime.sleep(30)");
    await script.ready;
    const pid = script.proc.pid!;
    expect(await requestStop(orphanLock(pid, readProcessStart(pid)!))).toBe("stopped-script");
    expect(await script.exited).toBe("SIGTERM");
  });

  it("sends SIGKILL to a script that ignores SIGTERM, after the grace period", async () => {
    const script = startScript(
      "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('up', flush=True)\ntime.sleep(30)",
    );
    await script.ready;
    const pid = script.proc.pid!;
    const start = readProcessStart(pid)!;
    expect(await requestStop(orphanLock(pid, start))).toBe("stopped-script");
    expect(await script.exited).toBe("SIGKILL");
    expect(isSameProcessAlive(pid, start)).toBe(false);
  }, 15_000);

  it("never signals a process that has the script's pid but not its identity", async () => {
    const stranger = startScript("import time\nprint('up', flush=True)\ntime.sleep(30)");
    await stranger.ready;
    const pid = stranger.proc.pid!;
    try {
      // The script that had this pid started at another time: the LOCK names a process long gone.
      expect(await requestStop(orphanLock(pid, `${readProcessStart(pid)!}0`))).toBe("gone");
      const { child_start: _none, ...withoutIdentity } = orphanLock(pid, "");
      expect(await requestStop(withoutIdentity)).toBe("gone");
      expect(isSameProcessAlive(pid, readProcessStart(pid)!)).toBe(true);
    } finally {
      process.kill(-pid, "SIGKILL");
    }
    expect(await stranger.exited).toBe("SIGKILL");
  });

  it("leaves a LOCK of another host alone", async () => {
    const script = startScript("import time\nprint('up', flush=True)\ntime.sleep(30)");
    await script.ready;
    const pid = script.proc.pid!;
    try {
      expect(await requestStop({ ...orphanLock(pid, readProcessStart(pid)!), host: "other-host" })).toBe("other-host");
      expect(isSameProcessAlive(pid, readProcessStart(pid)!)).toBe(true);
    } finally {
      process.kill(-pid, "SIGKILL");
    }
  });
});
