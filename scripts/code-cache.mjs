// Writes the V8 code cache of one route bundle (scripts/bundle.mjs runs it, in
// a process of its own for each bundle): compiles the bundle as
// src/cli/bundle-loader.ts does, runs its top level and, when given, one
// command of the route, then writes what V8 compiled by then. A cache made
// before running holds the top level alone, and every function a command
// calls is then parsed and compiled from source at every start (about a fifth
// of what `g runs` on an empty store added to Node's start); one made after
// holds those functions too. Only bytecode is cached, never a result: a
// function a start did not use here is compiled from source when called.
//
// usage: node scripts/code-cache.mjs BUNDLE [G ARG ...]
//   G ARG ...: the command to run once (argv after `g`), in an empty temporary G_HOME;
//   an argument `{sweep}` stands for the id of a small sweep made there first
//   (two trials of a shell program that prints its loss), for `g agent {sweep}`

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { CODE_CACHE_SUFFIX, STAMP_CHARS, compileBundle, runBundle } = await import(join(root, "dist", "cli", "bundle-loader.js"));

const [file, ...commandArgs] = process.argv.slice(2);
/** In the command's arguments: the id of the training sweep (createTrainingSweep). */
const SWEEP_ARG = "{sweep}";
const text = readFileSync(file, "utf8");
// The stamp the build appended as the bundle's last line (src/cli/bundle-loader.ts, stampLine).
const stamp = /gCodeCacheStamp=([0-9a-f]+)\n$/.exec(text)?.[1];
if (stamp === undefined || stamp.length !== STAMP_CHARS) throw new Error(`${file}: no code cache stamp on its last line`);

// From the source alone: a cache there already (an earlier build's) would hand its compiled functions on.
rmSync(file + CODE_CACHE_SUFFIX, { force: true });
const compiled = compileBundle(file);
const exports = runBundle(file, compiled, createRequire(file));
if (commandArgs.length > 0) {
  const home = mkdtempSync(join(tmpdir(), "g-code-cache-"));
  const env = process.env.G_HOME;
  process.env.G_HOME = home;
  try {
    const sweep = commandArgs.includes(SWEEP_ARG) ? await createTrainingSweep(home) : "";
    await exports.start([process.execPath, join(root, "bin", "g"), ...commandArgs.map((a) => (a === SWEEP_ARG ? sweep : a))]);
  } finally {
    if (env === undefined) delete process.env.G_HOME;
    else process.env.G_HOME = env;
    rmSync(home, { recursive: true, force: true });
  }
  if (process.exitCode !== 0) throw new Error(`${file}: g ${commandArgs.join(" ")} exited ${process.exitCode}`);
}
/**
 * A sweep for `g agent` to train on, in `home`: two random trials of a shell
 * program beside it, so the cache holds what an agent compiles for a claim, a
 * trial's run and its record, and the claim that finds the sweep done. Its
 * program and sweep file live in a folder of the temporary store (the agent
 * finds the program there, as it would beside a sweep file).
 */
async function createTrainingSweep(home) {
  const { createSweep } = await import(join(root, "dist", "store", "sweeps.js"));
  const { parseSweepConfig } = await import(join(root, "dist", "flags", "sweep-config.js"));
  const program = join(home, "program");
  mkdirSync(program);
  writeFileSync(join(program, "train.sh"), 'echo "loss: 1"\n');
  const file = join(program, "sweep.yaml");
  const text = `program: train.sh\nmethod: random\nrun_cap: 2\ncommand: [sh, "\${program}", "\${args}"]\nparameters:\n  lr: {min: 0.001, max: 0.1}\n  act: {values: [relu, tanh]}\n`;
  writeFileSync(file, text);
  return createSweep(home, file, text, parseSweepConfig(text, file), program).id;
}

writeFileSync(file + CODE_CACHE_SUFFIX, Buffer.concat([Buffer.from(stamp + "\n", "latin1"), compiled.script.createCachedData()]));
