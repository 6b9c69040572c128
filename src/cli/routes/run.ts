// The `run` route's bundle (dist/bundle/run.js): `g run ...` without help, parsed
// by run-args.ts alone; the hot path, once per trial in scripts.

import { runCommand } from "../../commands/run.js";
import { parseRunArgs } from "../run-args.js";
import { startCommand } from "../start.js";

export function start(argv: string[]): Promise<void> {
  return startCommand(argv, (argv) => runCommand(parseRunArgs(argv.slice(3)), argv.slice(3)));
}
