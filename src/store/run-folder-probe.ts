// Lists the runs folder and stats every run.json on a worker thread: checking
// 100 000 index entries against their run.json costs 100 000 stat calls
// (about half a second on one core). The worker lists the folder while the
// caller reads the snapshot. With a snapshot, the stats need no listing: the
// caller hands the worker the snapshot's run ids and id table (`statIds`) and
// stats run.json by id while the worker still lists; the worker then joins the
// names with the ids itself (the caller receives only where each id's run is,
// and the other run ids) and stats by id too, while the caller works on the
// runs; the caller helps with what is left. Without one, both stat the names
// listed. Either way both take chunks from a shared counter and write into one
// shared array, so no thread waits while there are stats to take.

import { statSync } from "node:fs";
import type { MessagePort, Worker } from "node:worker_threads";
import { loadWorkerThreads } from "./worker-threads.js";
import { RUN_FILE } from "./paths.js";
import { hashIdWords, readIdWords, type SharedIds } from "./index-snapshot.js";

/** What the probe found: the folder's names and, for each, run.json's inode, size and mtime (ms); ino -1: no stat, NOT_A_RUN: not a run id. */
export interface RunFolderStats {
  names: string[];
  stats: Float64Array;
}

/** What the worker posts once it has listed: the names joined by "/" (no name holds one), and the stats' shared array (by name when no ids were handed to it). */
interface ListedMessage {
  joined: string;
  count: number;
  stats: Float64Array;
  /** Whether the stats are by the ids handed over, not by the names; then the names are joined with the ids (see ListedNames). */
  byIds: boolean;
  runCount?: number;
  placeOfId?: Int32Array;
  otherAt?: Int32Array;
  error?: string;
}

/**
 * What the probe listed: the folder's names; or, when ids were handed over
 * (`statIds`), the folder's run ids (names of 32 hex digits) in its order,
 * `runCount` of them, as where each id handed over is among them (`placeOfId`,
 * -1: not there) and the others (`names`, each at `otherAt` among them).
 */
export interface ListedNames {
  names: string[];
  byIds?: { runCount: number; placeOfId: Int32Array; otherAt: Int32Array };
}

/** What the caller hands the worker (`statIds`): the run ids to stat and their table (none: the names listed), and where their stats go. */
interface EntriesMessage {
  ids: Uint8Array | null;
  slots: Int32Array | null;
  stats: Float64Array | null;
}

/** A worker that has not answered in this long (it failed to start) is given up on: the caller lists the folder itself. */
const PROBE_TIMEOUT_MS = 30_000;
/** The inode slot of a name that is not a run id (a `.new-` folder, a stray file): the caller leaves it out. */
export const NOT_A_RUN = -2;
/** Names a thread takes from the shared counter at a time. */
const STAT_CHUNK = 256;
/** Slots of the control array: names listed (1) or failed (2); worker done statting; the next name (or id) to stat; ids handed over (1: see the port). */
const C_LISTED = 0;
const C_DONE = 1;
const C_NEXT = 2;
const C_ENTRIES = 3;

// Run by the worker from source (eval), so no file of g's has to be found from wherever the bundle
// sits; dynamic imports work whether Node runs it as a script or a module. It always signals, an
// error included, so the caller never waits for nothing.
const PROBE_SOURCE = `
(async () => {
  const { workerData, receiveMessageOnPort } = await import("node:worker_threads");
  const { dir, file, port, control, chunk } = workerData;
  const signal = (slot, value) => { Atomics.store(control, slot, value); Atomics.notify(control, slot); };
  let listed = false;
  try {
    const { readdirSync, statSync } = await import("node:fs");
    const names = readdirSync(dir);
    // The ids the caller stats (its snapshot's), or none: handed over while this thread listed, or soon after.
    let ids = null;
    let slots = null;
    let stats = null;
    if (Atomics.wait(control, ${C_ENTRIES}, 0, ${PROBE_TIMEOUT_MS}) !== "timed-out") ({ ids, slots, stats } = receiveMessageOnPort(port).message);
    // One string ("/" never is in a name): the caller receives it several times faster than 100 000 strings.
    if (ids === null) {
      stats = new Float64Array(new SharedArrayBuffer(Math.max(8, names.length * 3 * 8)), 0, names.length * 3);
      port.postMessage({ joined: names.join("/"), count: names.length, stats, byIds: false });
    } else {
      // The names joined with the ids here, not on the caller's thread: where each id is among the folder's run
      // ids (-1: not there), and the run ids that are none of the ids, with where each is. Found by the id's
      // words in the caller's table (an id there twice is the first's), with the snapshot's own functions.
      const readIdWords = (${readIdWords.toString()});
      const hashIdWords = (${hashIdWords.toString()});
      const idWords = new Uint32Array(ids.buffer, ids.byteOffset, ids.length / 4);
      const idCount = ids.length / 16;
      const mask = slots.length - 1;
      const words = new Uint32Array(4);
      const placeOfId = new Int32Array(new SharedArrayBuffer(Math.max(4, 4 * idCount)), 0, idCount).fill(-1);
      const others = [];
      const otherAt = [];
      let runCount = 0;
      for (const name of names) {
        if (!readIdWords(name, words)) continue; // not a run id
        let found = -1;
        for (let s = hashIdWords(words[0], words[1], words[2], words[3]) & mask, e = slots[s]; e !== 0; s = (s + 1) & mask, e = slots[s]) {
          const w = 4 * (e - 1);
          if (idWords[w] === words[0] && idWords[w + 1] === words[1] && idWords[w + 2] === words[2] && idWords[w + 3] === words[3]) {
            found = e - 1;
            break;
          }
        }
        if (found >= 0) placeOfId[found] = runCount++;
        else {
          others.push(name);
          otherAt.push(runCount++);
        }
      }
      port.postMessage({ joined: others.join("/"), count: others.length, stats, byIds: true, runCount, placeOfId, otherAt: Int32Array.from(otherAt) });
    }
    listed = true;
    signal(${C_LISTED}, 1);
    const idText = ids === null ? null : Buffer.from(ids.buffer, ids.byteOffset, ids.length);
    const count = ids === null ? names.length : ids.length / 16;
    for (;;) {
      const start = Atomics.add(control, ${C_NEXT}, chunk);
      if (start >= count) break;
      for (let i = start; i < Math.min(start + chunk, count); i++) {
        stats[3 * i] = -1;
        const name = idText === null ? names[i] : idText.toString("hex", 16 * i, 16 * i + 16);
        if (!/^[0-9a-f]{32}$/.test(name)) { stats[3 * i] = ${NOT_A_RUN}; continue; }
        try {
          const st = statSync(dir + "/" + name + "/" + file, { throwIfNoEntry: false });
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
 * A probe under way. `statIds`, called first, hands the worker the run ids to
 * stat (a snapshot's, 16 bytes each), or null (then the names it lists);
 * `statUntilListed` then stats them on this thread until the worker has listed
 * (and joined the names with the ids). `listed` gives the folder's names once
 * the worker has listed them (it then stats), or null (the caller then lists
 * and stats itself); `stats`, called after, takes a share of the stats still
 * to take and blocks until every one is taken, or gives null (the caller stats
 * by itself): three numbers an id handed over, or a name listed. Between the
 * two the caller works on the names while the worker stats. `wait` is all at
 * once, without ids.
 */
export interface RunFolderProbe {
  statIds(handed: SharedIds | null): void;
  statUntilListed(): void;
  listed(): ListedNames | null;
  stats(): Float64Array | null;
  wait(): RunFolderStats | null;
}

/** Starts listing `runsDir` on a worker thread, which then stats each run's run.json with the caller's help; null when no worker can be made. */
export function startRunFolderProbe(runsDir: string): RunFolderProbe | null {
  let worker: Worker;
  let port: MessagePort;
  const control = new Int32Array(new SharedArrayBuffer(4 * 4));
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
  // The ids handed over (undefined: not yet), and the stats: by id, or by name once listed.
  let ids: Uint8Array | null | undefined;
  let idBytes: Buffer | null = null;
  let stats: Float64Array | null = null;
  let names: string[] | null = null;
  const statName = (k: number): string => names![k]!;
  const statId = (i: number): string => idBytes!.toString("hex", 16 * i, 16 * i + 16);
  const probe: RunFolderProbe = {
    statIds(handed: SharedIds | null): void {
      if (ids !== undefined) return;
      ids = handed === null ? null : handed.ids;
      const count = ids === null ? 0 : ids.length / 16;
      if (ids !== null) {
        idBytes = Buffer.from(ids.buffer, ids.byteOffset, ids.length);
        stats = new Float64Array(new SharedArrayBuffer(Math.max(8, count * 3 * 8)), 0, count * 3);
      }
      port.postMessage({ ids, slots: handed === null ? null : handed.slots, stats } satisfies EntriesMessage);
      Atomics.store(control, C_ENTRIES, 1);
      Atomics.notify(control, C_ENTRIES);
    },
    statUntilListed(): void {
      if (ids) statShare(runsDir, ids.length / 16, statId, stats!, control, () => Atomics.load(control, C_LISTED) !== 0);
    },
    listed(): ListedNames | null {
      probe.statIds(null);
      if (Atomics.wait(control, C_LISTED, 0, PROBE_TIMEOUT_MS) === "timed-out") return giveUp();
      const message = receiveMessageOnPort(port)?.message as ListedMessage | undefined;
      port.close();
      // Stats by name where the caller expects them by id (the worker gave up waiting for the ids): none.
      if (message === undefined || message.error !== undefined || message.byIds !== (ids !== null)) return null;
      names = message.count === 0 ? [] : message.joined.split("/");
      stats = message.stats;
      const { runCount, placeOfId, otherAt } = message;
      return runCount === undefined || placeOfId === undefined || otherAt === undefined
        ? { names }
        : { names, byIds: { runCount, placeOfId, otherAt } };
    },
    stats(): Float64Array | null {
      if (names === null || stats === null) return null;
      if (ids !== null) statShare(runsDir, ids!.length / 16, statId, stats, control);
      else statShare(runsDir, names.length, statName, stats, control);
      if (Atomics.wait(control, C_DONE, 0, PROBE_TIMEOUT_MS) === "timed-out") return giveUp();
      return stats;
    },
    wait(): RunFolderStats | null {
      const listed = probe.listed();
      const found = listed === null ? null : probe.stats();
      return listed === null || found === null ? null : { names: listed.names, stats: found };
    },
  };
  return probe;
}

/**
 * This thread's share of the stats of `count` runs (`nameOf`: each one's
 * folder name, checked to be a run id): chunks taken from the counter the
 * worker takes from too, until none is left or `stop` says so.
 */
function statShare(
  runsDir: string,
  count: number,
  nameOf: (i: number) => string,
  stats: Float64Array,
  control: Int32Array,
  stop: () => boolean = () => false,
): void {
  while (!stop()) {
    const start = Atomics.add(control, C_NEXT, STAT_CHUNK);
    if (start >= count) return;
    for (let i = start; i < Math.min(start + STAT_CHUNK, count); i++) {
      stats[3 * i] = -1;
      const name = nameOf(i);
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
