// Lists the runs folder and stats every run.json on a worker thread: checking
// 100 000 index entries against their run.json costs 100 000 stat calls
// (about half a second), which then run on another core while this one
// decodes the index. The caller blocks only when it needs the answer.

import type { MessagePort, Worker } from "node:worker_threads";
import { loadWorkerThreads } from "./worker-threads.js";
import { RUN_FILE } from "./paths.js";

/** What the worker found: the folder's names and, for each, run.json's inode, size and mtime (ms); ino -1: no stat. */
export interface RunFolderStats {
  names: string[];
  stats: Float64Array;
}

/** A worker that has not answered in this long (it failed to start) is given up on: the caller lists the folder itself. */
const PROBE_TIMEOUT_MS = 30_000;

// Run by the worker from source (eval), so no file of g's has to be found from wherever the bundle
// sits; dynamic imports work whether Node runs it as a script or a module. It always answers, an
// error included, so the caller never waits for nothing.
const PROBE_SOURCE = `
(async () => {
  const { workerData } = await import("node:worker_threads");
  const { dir, file, port, signal } = workerData;
  let message = { error: "no answer" };
  try {
    const { readdirSync, statSync } = await import("node:fs");
    const names = readdirSync(dir);
    const stats = new Float64Array(names.length * 3);
    for (let i = 0; i < names.length; i++) {
      stats[3 * i] = -1;
      if (!/^[0-9a-f]{32}$/.test(names[i])) continue;
      try {
        const st = statSync(dir + "/" + names[i] + "/" + file, { throwIfNoEntry: false });
        if (st) { stats[3 * i] = st.ino; stats[3 * i + 1] = st.size; stats[3 * i + 2] = st.mtimeMs; }
      } catch {}
    }
    message = { names, stats };
  } catch (err) {
    message = { error: String((err && err.code) || err) };
  } finally {
    port.postMessage(message);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  }
})();
`;

/** A probe under way; `wait` blocks until it answers, or gives null (the caller then lists and stats itself). */
export interface RunFolderProbe {
  wait(): RunFolderStats | null;
}

/** Starts listing `runsDir` and stat-ing each run's run.json on a worker thread; null when no worker can be made. */
export function startRunFolderProbe(runsDir: string): RunFolderProbe | null {
  let worker: Worker;
  let port: MessagePort;
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { MessageChannel, Worker, receiveMessageOnPort } = loadWorkerThreads();
  try {
    const channel = new MessageChannel();
    port = channel.port1;
    worker = new Worker(PROBE_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { dir: runsDir, file: RUN_FILE, port: channel.port2, signal },
      transferList: [channel.port2],
    });
    worker.unref();
    worker.on("error", () => {}); // reported as no answer
  } catch {
    return null;
  }
  return {
    wait(): RunFolderStats | null {
      const woke = Atomics.wait(signal, 0, 0, PROBE_TIMEOUT_MS);
      const got = woke === "timed-out" ? undefined : receiveMessageOnPort(port);
      port.close();
      if (woke === "timed-out") void worker.terminate();
      const message = got?.message as (RunFolderStats & { error?: string }) | undefined;
      return message === undefined || message.error !== undefined ? null : message;
    },
  };
}
