#!/usr/bin/env node
// Launcher for the optimizer benchmark until `bin/g ask-tell` is wired:
// `node bench/ask-tell.mjs gp` speaks the JSON-lines protocol of
// shared/bench/optimizers/bench.py on stdin/stdout (needs `npx tsc` first).
// G_DIST points at another build (bench/optimizers.sh builds its own copy so
// a concurrent `npm run build` cannot change the optimizer mid-benchmark).
const dist = process.env.G_DIST ?? new URL("../dist/", import.meta.url).pathname;
const { runAskTell } = await import(`${dist.replace(/\/$/, "")}/commands/ask-tell.js`);

// Further arguments are optimizer settings: `node bench/ask-tell.mjs gp xi=0`.
const optimizer = process.argv[2] ?? "gp";
const settings = Object.fromEntries(process.argv.slice(3).map((a) => [a.split("=")[0], a.slice(a.indexOf("=") + 1)]));
runAskTell({ optimizer, input: process.stdin, output: process.stdout, settings }).then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`ask-tell: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
