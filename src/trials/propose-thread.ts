// Proposals of sequential optimizers made off the main thread, for claimers of
// a shared ledger (sweep agents, batch array tasks): see propose-worker.ts for
// why. One worker per process, started on first use and kept; it holds the
// process open only while a proposal is pending. Where the worker cannot run
// (its file missing, threads unavailable), the proposal is made here, as
// before: the same proposer and random stream, so the same point.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import type { Observation, Point, SearchProgress, Space } from "../flags/space.js";
import { createRng } from "../search/rng.js";
import { loadProposer, type SequentialOptimizer } from "./optimizers.js";
import { loadWorkerThreads } from "../store/worker-threads.js";

/** What the worker is asked: one proposal, with the random stream's seed (the stream itself cannot cross threads). */
export interface ProposalRequest {
  id: number;
  optimizer: SequentialOptimizer;
  space: Space;
  settings: Record<string, unknown>;
  history: Observation[];
  seed: string;
  /** Trial k of the search's budget, when it has one (a batch's max_trials, a sweep's run_cap). */
  progress?: SearchProgress;
}

export type ProposalReply = { id: number; point: Point } | { id: number; error: string };

/**
 * The worker's module, beside this one both in tsc's dist/trials/ and in the
 * bundle's dist/bundle/ (a function: a module's URL is made when first read, not at start-up).
 */
function workerModuleUrl(): URL {
  return new URL("./propose-worker.js", import.meta.url);
}

let worker: Worker | null | undefined;
class WorkerGone extends Error {}
let nextId = 1;
const waiting = new Map<number, { resolve: (p: Point) => void; reject: (e: Error) => void }>();

/**
 * Starts the worker ahead of the first proposal (its start-up, tens of ms,
 * then overlaps the ledger reads); does nothing when it runs already.
 */
export function startProposer(): void {
  if (worker !== undefined) return;
  worker = null;
  const url = workerModuleUrl();
  if (!existsSync(fileURLToPath(url))) return;
  let w: Worker;
  try {
    w = new (loadWorkerThreads().Worker)(url);
  } catch {
    return;
  }
  w.on("message", (reply: ProposalReply) => {
    const wait = waiting.get(reply.id);
    if (!wait) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) w.unref();
    if ("point" in reply) wait.resolve(reply.point);
    else wait.reject(new Error(reply.error));
  });
  const fail = () => {
    // Gone (killed, out of memory): pending proposals and later ones are made on this thread.
    worker = null;
    for (const wait of waiting.values()) wait.reject(new WorkerGone());
    waiting.clear();
  };
  w.on("error", fail);
  w.on("exit", fail);
  // After the listeners: on Node 20 a "message" listener added to an unref'd worker refs it again,
  // and an agent that started the thread but had nothing to propose (a bayes sweep already done)
  // never exited.
  w.unref();
  worker = w;
}

/** The optimizer's next point for `history`, fitted on the low-priority thread when there is one. */
export async function proposeOffThread(
  optimizer: SequentialOptimizer,
  space: Space,
  settings: Record<string, unknown>,
  history: Observation[],
  seed: string,
  progress?: SearchProgress,
): Promise<Point> {
  startProposer();
  const w = worker;
  if (w) {
    const id = nextId++;
    const reply = new Promise<Point>((resolve, reject) => waiting.set(id, { resolve, reject }));
    w.ref();
    w.postMessage({ id, optimizer, space, settings, history, seed, ...(progress ? { progress } : {}) } satisfies ProposalRequest);
    try {
      return await reply;
    } catch (err) {
      if (!(err instanceof WorkerGone)) throw err;
    }
  }
  return (await loadProposer(optimizer, space, settings))(history, createRng(seed), progress);
}
