// The `program` route's bundle (dist/bundle/program.js): every command line the
// short routes do not take, through commander (src/cli/program.ts); also
// `--version` and the completion scripts' `__complete`, which need no parsing.

import { isVersion } from "../route.js";
import { startCommand } from "../start.js";
import { writeOut } from "../../runner/terminal.js";

export function start(argv: string[]): Promise<void> {
  return startCommand(argv, async (argv) => {
    if (isVersion(argv.slice(2))) {
      const { packageVersion } = await import("../../runner/paths.js");
      writeOut(`${packageVersion()}\n`);
    } else if (argv[2] === "__complete") {
      // Called by the completion scripts at every <TAB>: its words are not g's options.
      const [{ hiddenCompleteCommand }, { buildProgram }, { commandShape }] = await Promise.all([
        import("../../commands/complete.js"),
        import("../program.js"),
        import("../command-shape.js"),
      ]);
      await hiddenCompleteCommand(argv.slice(3), commandShape(buildProgram(), ""));
    } else {
      const { buildProgram } = await import("../program.js");
      await buildProgram().parseAsync(argv);
    }
  });
}
