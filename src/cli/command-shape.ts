// The commander program as the completion engine (src/format/completion.ts)
// sees it: commands, aliases, options, and what each command's positional
// arguments are.

import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CommandShape, PositionalKind } from "../format/completion.js";

/** What each command's positional arguments are, by command path. */
const POSITIONALS: Record<string, PositionalKind> = {
  run: "script",
  "runs list": "runs",
  "runs info": "runs",
  // delete refuses a running run; restore and purge take runs in the trash; stop, runs it can stop.
  "runs delete": "idle-runs",
  "runs restore": "trashed-runs",
  "runs purge": "trashed-runs",
  "runs label": "runs",
  "runs tag": "runs",
  runs: "runs",
  stop: "running-runs",
  compare: "runs",
  view: "runs",
  agent: "sweep",
  sweep: "file",
  completion: "shell",
};

/** The commander program as the completion engine sees it. */
export function commandShape(cmd: CommandUnknownOpts, path: string): CommandShape {
  const hidden = (c: CommandUnknownOpts) => (c as unknown as { _hidden?: boolean })._hidden === true;
  const options = cmd.options
    .filter((o) => !o.hidden)
    .map((o) => ({
      names: [o.short, o.long].filter((n): n is string => typeof n === "string"),
      takesValue: o.required || o.optional,
      description: o.description,
    }));
  options.push({ names: ["-h", "--help"], takesValue: false, description: "show help" });
  return {
    name: cmd.name(),
    aliases: cmd.aliases(),
    description: cmd.description(),
    options,
    subcommands: cmd.commands.filter((c) => !hidden(c)).map((c) => commandShape(c, path ? `${path} ${c.name()}` : c.name())),
    positional: POSITIONALS[path] ?? "none",
  };
}
