// Checks the flag names given to `g run` against the flags the script
// declares (pure), before anything runs: a mistyped flag (`--max-trails 3`,
// `--lrr 0.1`) would otherwise reach the script and fail every trial, or be
// silently ignored. Only scripts whose flags were detected are checked.

import { UsageError } from "../errors.js";
import { didYouMean } from "../format/suggest.js";

/** What a flag name may be (as `g run`'s name=value reads it): `lr`, `batch_size`, `model.depth`, `no-aug`. */
export const FLAG_NAME = /^[A-Za-z_][\w.-]*$/;

/** Why `name` cannot be a flag's name, or null when it can. */
export function flagNameProblem(name: string): string | null {
  if (name === "") return "is empty";
  if (FLAG_NAME.test(name)) return null;
  return "is not a flag name: use letters, digits, _ . - and start with a letter or _ (e.g. lr, batch_size)";
}

/**
 * Throws a UsageError for a tag that could not be found again: `--tag x,y`
 * is two tags to the `--tag` filter, and tags are shown separated by spaces.
 */
export function checkTags(tags: readonly string[], option: string): void {
  for (const tag of tags) {
    if (tag.trim() === "") throw new UsageError(`${option}: a tag cannot be empty`);
    if (/[\s,]/.test(tag))
      throw new UsageError(
        `${option}: tag ${JSON.stringify(tag)} has a space or comma; give each tag on its own (${option} a ${option} b)`,
      );
    // ESC and the like are no blank, but would reach every table and terminal that shows the tag.
    if (/[\u0000-\u001f\u007f]/.test(tag))
      throw new UsageError(`${option}: tag ${JSON.stringify(tag)} has a control character; a tag is one word of text`);
  }
}

/** Throws a UsageError for a label with a line break or other control character: it would break every table it is shown in. */
export function checkLabel(label: string | undefined, option: string): void {
  if (label !== undefined && /[\u0000-\u001f\u007f]/.test(label)) {
    throw new UsageError(`${option}: a label is one line of text, without line breaks, tabs or other control characters`);
  }
}

export interface ScriptFlagNames {
  /** The script as the user named it, for the message. */
  script: string;
  /** "globals": module-level settings; "args": command-line options (argparse and the like). */
  style: "globals" | "args";
  /** Whether the script is Python, whose flags g can detect. */
  python: boolean;
  /** The flags the script declares, in source order. */
  declared: readonly string[];
}

/**
 * Throws a UsageError for the first given flag the script does not declare,
 * with the closest script flag or g run option. An abbreviation that argparse
 * would expand (`--alp` for `--alpha`) is refused too: the run would record
 * `alp` beside the default `alpha` it did not use. Nothing is checked with
 * `force`, for non-Python scripts, or for an argparse-style script with no
 * options detected (click, sys.argv...).
 */
export function checkScriptFlagNames(
  script: ScriptFlagNames,
  given: readonly string[],
  runOptions: readonly string[],
  force: boolean,
): void {
  if (force || !script.python) return;
  if (script.style === "args" && script.declared.length === 0) return;
  const declared = new Set(script.declared);
  for (const name of given) {
    if (declared.has(name)) continue;
    throw new UsageError(unknownFlagMessage(script, name, runOptions));
  }
}

function unknownFlagMessage(script: ScriptFlagNames, name: string, runOptions: readonly string[]): string {
  const longOptions = runOptions.filter((o) => o.startsWith("--")).map((o) => o.slice(2));
  const ownFlags = new Set(script.declared);
  const show = (n: string): string => (ownFlags.has(n) ? (script.style === "args" ? `--${n}` : n) : `--${n} (a g run option)`);
  const prefixOf = script.declared.filter((d) => d.startsWith(name));
  const hint =
    prefixOf.length === 1 ? `; did you mean ${show(prefixOf[0]!)}?` : didYouMean(name, [...script.declared, ...longOptions], show);
  const list =
    script.declared.length === 0
      ? "it has no module-level flags"
      : `its flags are ${script.declared.slice(0, 12).join(", ")}${script.declared.length > 12 ? ", ..." : ""}`;
  return `${script.script} has no flag "${name}"${hint}${hint ? " (" : "; "}${list}; --force-flags passes it anyway${hint ? ")" : ""}`;
}
