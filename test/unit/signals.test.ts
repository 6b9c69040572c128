// The signal hub shared by g run, batches and agents: every listener hears
// each signal, a late subscriber hears the first at once, and uninstalling
// gives SIGINT back.

import { describe, expect, it } from "vitest";
import { StopSignals, withStopSignals, type StopReason } from "../../src/runner/signals.js";

describe("StopSignals", () => {
  it("turns SIGINT into interrupt and SIGTERM into terminate, announcing only the first", () => {
    const announced: StopReason[] = [];
    const heard: StopReason[] = [];
    const hub = new StopSignals((r) => announced.push(r)).install();
    try {
      hub.subscribe((r) => heard.push(r));
      process.emit("SIGINT", "SIGINT");
      process.emit("SIGTERM", "SIGTERM");
    } finally {
      hub.uninstall();
    }
    expect(announced).toEqual(["interrupt"]);
    expect(heard).toEqual(["interrupt", "terminate"]);
    expect(hub.received).toBe("interrupt");
  });

  it("stops a process that starts after the signal at once", () => {
    const hub = new StopSignals().install();
    try {
      process.emit("SIGTERM", "SIGTERM");
      const heard: StopReason[] = [];
      const unsubscribe = hub.subscribe((r) => heard.push(r));
      expect(heard).toEqual(["terminate"]);
      unsubscribe();
      process.emit("SIGTERM", "SIGTERM");
      expect(heard).toEqual(["terminate"]);
    } finally {
      hub.uninstall();
    }
  });

  it("removes its handlers when the body ends, even by throwing", async () => {
    const before = process.listenerCount("SIGINT");
    await expect(
      withStopSignals(undefined, async () => {
        expect(process.listenerCount("SIGINT")).toBe(before + 1);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(process.listenerCount("SIGINT")).toBe(before);
  });
});
