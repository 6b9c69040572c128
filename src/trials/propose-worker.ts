// The thread that fits the model of a sequential optimizer (gp, tpe, forest,
// gbrt) for a claimer of a shared ledger (a sweep agent, a batch's array
// task). A fit takes tens of ms to seconds of CPU; run on the main thread, the
// fits of eight agents on a few cores take the core away from whichever agent
// holds the ledger's lock, and every other agent waits for it. Here the fit
// runs in its own thread at a lower priority (on Linux a nice value belongs to
// a thread, and raising one's own needs no privilege), so a claimer's main
// thread, at the process's priority, runs first whenever it is ready.
// Loaded by propose-thread.ts; answers one message per proposal.

import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { basename } from "node:path";
import { parentPort } from "node:worker_threads";
import { createRng } from "../search/rng.js";
import { loadProposer } from "./optimizers.js";
import type { ProposalReply, ProposalRequest } from "./propose-thread.js";

/**
 * How much nicer the fitting thread is than the process: a claimer at 0 gets about ten times its share of a
 * contended core. Relative, so that a process started under `nice` keeps its fits below its own priority
 * (an absolute 10 would be no lower for `nice -n 10 g agent`, and higher for `nice -n 15` run as root).
 */
export const PROPOSAL_NICE = 10;
/** The lowest priority Linux has. */
const NICE_MAX = 19;

/** The nice value the fitting thread takes when the process runs at `processNice`. */
function proposalNice(processNice: number): number {
  return Math.min(NICE_MAX, processNice + PROPOSAL_NICE);
}

/** Lowers this thread's priority alone (its own id from /proc/thread-self); elsewhere it keeps the process's. */
function lowerThreadPriority(): void {
  try {
    const tid = Number(basename(readlinkSync("/proc/thread-self")));
    // A new thread starts at the priority of the thread that made it: the process's.
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, proposalNice(getPriority(tid)));
  } catch {
    /* not Linux, or not permitted: the fit runs at the process's priority */
  }
}

lowerThreadPriority();
parentPort!.on("message", (req: ProposalRequest) => {
  void answer(req).then((reply) => parentPort!.postMessage(reply));
});

async function answer(req: ProposalRequest): Promise<ProposalReply> {
  try {
    const propose = await loadProposer(req.optimizer, req.space, req.settings);
    return { id: req.id, point: propose(req.history, createRng(req.seed), req.progress) };
  } catch (err) {
    return { id: req.id, error: (err as Error).message };
  }
}
