// Many writers, one run, from Node: THREADS worker threads each log LINES
// scalars through the short form. Start several copies with the same
// G_RUN_DIR (as `g run` and its child processes do) to check that no line is
// lost or torn (G_RUN_DIR is needed: without it each thread would make a run):
//   G_RUN_DIR=~/.g/runs/<id> WRITER=a node examples/sdk/concurrent-writers.mjs
import { Worker, isMainThread, workerData } from "node:worker_threads";
import { log } from "g-runs";

const THREADS = Number(process.env.THREADS ?? 8);
const LINES = Number(process.env.LINES ?? 200);
const WRITER = process.env.WRITER ?? String(process.pid);
// Padding makes each line long, so a torn write would show.
const PAD = "x".repeat(120);

if (isMainThread) {
  const workers = Array.from({ length: THREADS }, (_, thread) => new Worker(new URL(import.meta.url), { workerData: { thread } }));
  await Promise.all(workers.map((w) => new Promise((done, fail) => w.on("exit", done).on("error", fail))));
} else {
  for (let i = 0; i < LINES; i++) log({ [`w/${WRITER}/${workerData.thread}/${PAD}`]: i, step: i });
}
