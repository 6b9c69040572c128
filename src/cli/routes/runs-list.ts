// The `runs-list` route's bundle (dist/bundle/runs-list.js): a bare `g runs`
// (or `g runs list`), with the list's defaults as commander would pass them.

import { listCommand } from "../../commands/runs-list.js";
import { startCommand } from "../start.js";

export function start(argv: string[]): Promise<void> {
  return startCommand(argv, () => listCommand([], {}));
}
