#!/usr/bin/env node
// Launcher for the optimizer benchmark until `bin/g ask-tell` is wired:
// `node bench/ask-tell.mjs gp` speaks the JSON-lines protocol of
// shared/bench/optimizers/bench.py on stdin/stdout (needs `npx tsc` first).
// G_DIST points at another build (bench/optimizers.sh builds its own copy so
// a concurrent `npm run build` cannot change the optimizer mid-benchmark).
const dist = process.env.G_DIST ?? new URL("../dist/", import.meta.url).pathname;
const { runAskTell } = await import(`${dist.replace(/\/$/, "")}/commands/ask-tell.js`);

// --smoke (what CI runs so the bench cannot rot): a gp session of three suggest/observe rounds,
// answered by this process instead of the harness, that must end cleanly.
if (process.argv.includes("--smoke")) {
  const { PassThrough, Writable } = await import("node:stream");
  const input = new PassThrough();
  const send = (msg) => input.write(JSON.stringify(msg) + "\n");
  let round = 0;
  let pending = "";
  const output = new Writable({
    write(chunk, _enc, done) {
      pending += chunk;
      for (let at = pending.indexOf("\n"); at >= 0; at = pending.indexOf("\n")) {
        const msg = JSON.parse(pending.slice(0, at));
        pending = pending.slice(at + 1);
        process.stdout.write(JSON.stringify(msg) + "\n");
        if (msg.type === "suggestion") send({ type: "observe", trial: msg.trial, params: msg.params, value: (msg.params.x - 0.3) ** 2 });
        else if (round < 3) send({ type: "suggest", trial: round++ });
        else input.end(JSON.stringify({ type: "end" }) + "\n");
      }
      done();
    },
  });
  send({ type: "init", protocol: 1, space: { x: { type: "float", low: 0, high: 1 } }, seed: 1 });
  await runAskTell({ optimizer: "gp", input, output, settings: {} });
  process.exit(0);
}
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
