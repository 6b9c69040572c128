// Lists the runs folder and stats every run.json on a worker thread: checking
// 100 000 index entries against their run.json costs 100 000 stat calls
// (about half a second on one core). The worker lists the folder while the
// caller reads the snapshot, then stats while the caller joins the names with
// the snapshot; then the caller helps with what is left (both take chunks of
// names from a shared counter and write into one shared array), so no thread
// waits while there are stats to take.

import { statSync } from "node:fs";
import type { MessagePort, Worker } from "node:worker_threads";
import { loadWorkerThreads } from "./worker-threads.js";
import { RUN_FILE } from "./paths.js";

/** What the probe found: the folder's names and, for each, run.json's inode, size and mtime (ms); ino -1: no stat, NOT_A_RUN: not a run id. */
export interface RunFolderStats {
  names: string[];
  stats: Float64Array;
}

/** What the worker posts once it has listed: the names joined by "/" (no name holds one), and the stats' shared array. */
interface ListedMessage {
  joined: string;
  count: number;
  stats: Float64Array;
  error?: string;
}

/** A worker that has not answered in this long (it failed to start) is given up on: the caller lists the folder itself. */
const PROBE_TIMEOUT_MS = 30_000;
/** The inode slot of a name that is not a run id (a `.new-` folder, a stray file): the caller leaves it out. */
export const NOT_A_RUN = -2;
/** Names a thread takes from the shared counter at a time. */
const STAT_CHUNK = 256;
/** Slots of the control array: names listed (1) or failed (2); worker done statting; the next name to stat. */
const C_LISTED = 0;
const C_DONE = 1;
const C_NEXT = 2;

// Run by the worker from source (eval), so no file of g's has to be found from wherever the bundle
// sits; dynamic imports work whether Node runs it as a script or a module. It always signals, an
// error included, so the caller never waits for nothing.
const PROBE_SOURCE = `
(async () => {
  const { workerData } = await import("node:worker_threads");
  const { dir, file, port, control, chunk } = workerData;
  const signal = (slot, value) => { Atomics.store(control, slot, value); Atomics.notify(control, slot); };
  let listed = false;
  try {
    const { readdirSync, statSync } = await import("node:fs");
    const names = readdirSync(dir);
    const stats = new Float64Array(new SharedArrayBuffer(Math.max(8, names.length * 3 * 8)), 0, names.length * 3);
    // One string ("/" never is in a name): the caller receives it several times faster than 100 000 strings.
    port.postMessage({ joined: names.join("/"), count: names.length, stats });
    listed = true;
    signal(${C_LISTED}, 1);
    for (;;) {
      const start = Atomics.add(control, ${C_NEXT}, chunk);
      if (start >= names.length) break;
      for (let i = start; i < Math.min(start + chunk, names.length); i++) {
        stats[3 * i] = -1;
        if (!/^[0-9a-f]{32}$/.test(names[i])) { stats[3 * i] = ${NOT_A_RUN}; continue; }
        try {
          const st = statSync(dir + "/" + names[i] + "/" + file, { throwIfNoEntry: false });
          if (st) { stats[3 * i] = st.ino; stats[3 * i + 1] = st.size; stats[3 * i + 2] = st.mtimeMs; }
        } catch {}
      }
    }
  } catch (err) {
    if (!listed) port.postMessage({ error: String((err && err.code) || err) });
  } finally {
    if (!listed) signal(${C_LISTED}, 2);
    signal(${C_DONE}, 1);
  }
})();
`;

/**
 * A probe under way. `listed` gives the folder's names once the worker has
 * listed them (it then stats them), or null (the caller then lists and stats
 * itself); `stats`, called after, takes a share of the stats still to take and
 * blocks until every one is taken, or gives null (the caller stats by itself).
 * Between the two the caller works on the names while the worker stats.
 * `wait` is both at once.
 */
export interface RunFolderProbe {
  listed(): string[] | null;
  stats(): Float64Array | null;
  wait(): RunFolderStats | null;
}

/** Starts listing `runsDir` on a worker thread, which then stats each run's run.json with the caller's help; null when no worker can be made. */
export function startRunFolderProbe(runsDir: string): RunFolderProbe | null {
  let worker: Worker;
  let port: MessagePort;
  const control = new Int32Array(new SharedArrayBuffer(4 * 3));
  const { MessageChannel, Worker, receiveMessageOnPort } = loadWorkerThreads();
  try {
    const channel = new MessageChannel();
    port = channel.port1;
    worker = new Worker(PROBE_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { dir: runsDir, file: RUN_FILE, port: channel.port2, control, chunk: STAT_CHUNK },
      transferList: [channel.port2],
    });
    worker.unref();
    worker.on("error", () => {}); // reported as no answer
  } catch {
    return null;
  }
  const giveUp = (): null => {
    port.close();
    void worker.terminate();
    return null;
  };
  let found: RunFolderStats | null = null;
  const probe: RunFolderProbe = {
    listed(): string[] | null {
      if (Atomics.wait(control, C_LISTED, 0, PROBE_TIMEOUT_MS) === "timed-out") return giveUp();
      const message = receiveMessageOnPort(port)?.message as ListedMessage | undefined;
      port.close();
      if (message === undefined || message.error !== undefined) return null;
      found = { names: message.count === 0 ? [] : message.joined.split("/"), stats: message.stats };
      return found.names;
    },
    stats(): Float64Array | null {
      if (found === null) return null;
      statShare(runsDir, found.names, found.stats, control);
      if (Atomics.wait(control, C_DONE, 0, PROBE_TIMEOUT_MS) === "timed-out") return giveUp();
      return found.stats;
    },
    wait(): RunFolderStats | null {
      const names = probe.listed();
      const stats = names === null ? null : probe.stats();
      return names === null || stats === null ? null : { names, stats };
    },
  };
  return probe;
}

/** This thread's share of the stats: chunks taken from the counter the worker takes from too. */
function statShare(runsDir: string, names: string[], stats: Float64Array, control: Int32Array): void {
  for (;;) {
    const start = Atomics.add(control, C_NEXT, STAT_CHUNK);
    if (start >= names.length) return;
    for (let i = start; i < Math.min(start + STAT_CHUNK, names.length); i++) {
      stats[3 * i] = -1;
      const name = names[i]!;
      if (!RUN_NAME.test(name)) {
        stats[3 * i] = NOT_A_RUN;
        continue;
      }
      try {
        const st = statSync(`${runsDir}/${name}/${RUN_FILE}`, { throwIfNoEntry: false });
        if (st) {
          stats[3 * i] = st.ino;
          stats[3 * i + 1] = st.size;
          stats[3 * i + 2] = st.mtimeMs;
        }
      } catch {
        /* unreadable: no stat, the run is read from its files, which says why */
      }
    }
  }
}

const RUN_NAME = /^[0-9a-f]{32}$/;
