// The worker thread's side of run-reads.ts: the module its boot source imports
// to read its share of the runs with the same code as the main thread, posting
// each chunk as it is read.

export { postClaimedRuns } from "./run-reads.js";
