// node:worker_threads, loaded when a thread is first started rather than when
// g starts: most commands (a bare `g runs` on a small store, `--version`) never
// start one, and the module with Node's worker internals is a good part of what
// a route bundle would otherwise load before doing anything (issue 18).

import { createRequire } from "node:module";

type WorkerThreads = typeof import("node:worker_threads");

let threads: WorkerThreads | undefined;

/** The node:worker_threads module, required on the first call. */
export function loadWorkerThreads(): WorkerThreads {
  return (threads ??= createRequire(import.meta.url)("node:worker_threads") as WorkerThreads);
}
