// The `agent` route's bundle (dist/bundle/agent.js): `g agent SWEEP_ID [--count N]
// [--no-retry] [-j N]`, as backends start agents, without commander.

import { agentCommand } from "../../commands/agent.js";
import { plainAgentArgs } from "../route.js";
import { startCommand } from "../start.js";

export function start(argv: string[]): Promise<void> {
  return startCommand(argv, async (argv) => {
    const plain = plainAgentArgs(argv.slice(2));
    if (plain === null) throw new Error("g agent: not a plain agent command line (src/cli/route.ts chose this route)");
    await agentCommand(plain.id, plain.opts);
  });
}
