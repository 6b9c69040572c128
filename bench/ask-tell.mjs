#!/usr/bin/env node
// Launcher for the optimizer benchmark until `bin/g ask-tell` is wired:
// `node bench/ask-tell.mjs gp` speaks the JSON-lines protocol of
// shared/bench/optimizers/bench.py on stdin/stdout (needs `npx tsc` first).
import { runAskTell } from "../dist/commands/ask-tell.js";

const optimizer = process.argv[2] ?? "gp";
runAskTell({ optimizer, input: process.stdin, output: process.stdout }).then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`ask-tell: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
