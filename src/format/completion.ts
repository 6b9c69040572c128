// Shell completion (pure): given the words typed after `g` (the last one being
// the word under the cursor, "" after a space) and the command tree, says what
// may come next. The command tree is read from the commander program, so a new
// command or option completes without touching this file; values that live in
// the store (run ids, sweep ids, column names, a script's flags) come from a
// `CompletionSources` the caller fills lazily.

import { escapeControlChars } from "./values.js";

/** One command of the tree: what commander declares, reduced to what completion needs. */
export interface CommandShape {
  name: string;
  aliases: string[];
  description: string;
  options: OptionShape[];
  subcommands: CommandShape[];
  /** What positional arguments are: run specs, a sweep id, a file, a shell name, free text. */
  positional: PositionalKind;
}

export interface OptionShape {
  /** `-m`, `--min`: every spelling of the option. */
  names: string[];
  takesValue: boolean;
  description: string;
}

export type PositionalKind = "runs" | "running-runs" | "trashed-runs" | "idle-runs" | "sweep" | "file" | "script" | "shell" | "none";

/**
 * Which runs a RUN word may name where it is typed: any run; a running one
 * that `g stop` can stop from here; one in the trash (`g runs restore`,
 * `purge`, `list --trash`); one not running (`g runs delete` refuses a
 * running run); one `g run --restart` takes; a batch (`--batch`).
 */
export type RunChoice = "any" | "stoppable" | "trashed" | "idle" | "restartable" | "batch";

/** A candidate: the word to insert and an optional description (zsh and fish show it). */
export interface Candidate {
  value: string;
  description?: string;
}

/** What the shell should do: offer these words, or fall back to file names. */
export type Completion = { kind: "words"; candidates: Candidate[] } | { kind: "files" };

/** Store-backed values, asked for only when the cursor needs them. */
export interface CompletionSources {
  runs(choice: RunChoice): Candidate[];
  sweeps(): Candidate[];
  columns(): string[];
  scriptFlags(script: string): Candidate[];
}

export const SHELLS = ["bash", "zsh", "fish"] as const;
/** `--optimizer` values; a test holds this equal to the registry's names (src/trials/optimizers.ts). */
export const OPTIMIZERS = ["grid", "random", "gp", "bayesian", "tpe", "forest", "gbrt"];
/** `--backend` values (src/backends/index.ts). */
export const BACKENDS = ["local", "slurm"];
const STATUSES = ["running", "completed", "error", "terminated", "early-stopped", "pending"];
/** Options whose value is a column (or a comma-separated list of them for `-c`). */
const COLUMN_OPTIONS = new Set(["-m", "--min", "-M", "--max", "--minimize", "--maximize"]);
/** The sort keys of g compare: a column already given to one of them is not offered again. */
const SORT_OPTIONS = new Set(["-m", "--min", "-M", "--max"]);
const STATUS_OPTIONS = new Set(["--status"]);
const COLUMN_LIST_OPTIONS = new Set(["-c", "--cols"]);
const SWEEP_OPTIONS = new Set(["--stop", "--resume", "--cancel", "--delete", "--sweep"]);
const FILE_OPTIONS = new Set(["--csv", "--export"]);

/** Completes the last of `words` (the words after `g`). */
export function completeWords(root: CommandShape, words: string[], sources: CompletionSources): Completion {
  const current = words.length === 0 ? "" : words[words.length - 1]!;
  const before = words.slice(0, -1);

  // Walk down the command path: `runs info ...` ends at `info`.
  let cmd = root;
  let i = 0;
  for (; i < before.length; i++) {
    const sub = findSubcommand(cmd, before[i]!);
    if (!sub) break;
    cmd = sub;
  }
  const rest = before.slice(i);
  const previous = rest.length > 0 ? rest[rest.length - 1]! : undefined;

  const pending = previous !== undefined ? findOption(cmd, previous) : undefined;
  if (pending?.takesValue && !previous!.includes("=")) return valuesFor(previous!, current, sources, givenOf(cmd, rest.slice(0, -1)));

  if (current.startsWith("-")) {
    const eq = current.indexOf("=");
    if (eq > 0 && current.startsWith("--")) {
      const name = current.slice(0, eq);
      const option = findOption(cmd, name);
      if (option?.takesValue) return prefixWith(`${name}=`, valuesFor(name, current.slice(eq + 1), sources, givenOf(cmd, rest)));
    }
    return words_(matching(optionCandidates(cmd), current));
  }

  if (cmd.subcommands.length > 0 && rest.length === 0) {
    const subs = cmd.subcommands.map((c) => ({ value: c.name, description: c.description }));
    const positional = cmd.positional === "none" ? [] : positionalCandidates(cmd, rest, sources);
    if (positional === null) return { kind: "files" };
    return words_(matching([...subs, ...positional], current));
  }
  const positional = positionalCandidates(cmd, rest, sources);
  if (positional === null) return { kind: "files" };
  return words_(matching(positional, current));
}

/** Candidates for a positional word; null means "file names". */
function positionalCandidates(cmd: CommandShape, rest: string[], sources: CompletionSources): Candidate[] | null {
  switch (cmd.positional) {
    case "runs":
      return notGivenRuns(sources.runs(rest.includes("--trash") ? "trashed" : "any"), cmd, rest);
    case "running-runs":
      return notGivenRuns(sources.runs("stoppable"), cmd, rest);
    case "trashed-runs":
      return notGivenRuns(sources.runs("trashed"), cmd, rest);
    case "idle-runs":
      return notGivenRuns(sources.runs("idle"), cmd, rest);
    case "sweep":
      return sources.sweeps();
    case "shell":
      return SHELLS.map((value) => ({ value }));
    case "file":
      return null;
    case "script": {
      const script = positionalWords(cmd, rest)[0];
      if (script === undefined) return null;
      // A flag given already after the script (`lr=0.1`, `--lr 0.1`, a bare `--flag`) is not offered again.
      const after = rest.slice(rest.indexOf(script) + 1);
      const given = new Set(
        after.filter((w) => /^--[A-Za-z_][\w.-]*(=|$)|^[A-Za-z_][\w.-]*=/.test(w)).map((w) => w.replace(/^--/, "").split("=")[0]),
      );
      return sources.scriptFlags(script).filter((c) => !given.has(c.value.replace(/=$/, "")));
    }
    case "none":
      return [];
  }
}

/**
 * The words of `rest` that are neither options nor options' values: the runs
 * given so far, or `g run`'s SCRIPT and its name=value flags. After `--`, every
 * word is one.
 */
function positionalWords(cmd: CommandShape, rest: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (word === "--") return [...out, ...rest.slice(i + 1)];
    if (word.startsWith("-")) {
      const option = findOption(cmd, word);
      if (option?.takesValue && !word.includes("=")) i++;
      continue;
    }
    out.push(word);
  }
  return out;
}

/**
 * The runs of `candidates` that the words before the cursor do not name
 * already, by short id or by a longer prefix of the full id: `g stop a1b2c3d4 <TAB>`
 * offers the other running runs.
 */
function notGivenRuns(candidates: Candidate[], cmd: CommandShape, rest: string[]): Candidate[] {
  const given = positionalWords(cmd, rest).filter((w) => /^[0-9a-f]{8,}$/.test(w));
  if (given.length === 0) return candidates;
  return candidates.filter((c) => !given.some((w) => w.startsWith(c.value)));
}

/**
 * The values given so far to each option in `rest` (the words before the
 * one being completed), by the option's every name: `-m loss --min=acc`
 * gives loss and acc for -m and --min alike.
 */
function givenOf(cmd: CommandShape, rest: string[]): (names: ReadonlySet<string>) => Set<string> {
  const given: Array<{ option: OptionShape; value: string }> = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (word === "--") break;
    if (!word.startsWith("-")) continue;
    const option = findOption(cmd, word);
    if (!option?.takesValue) continue;
    const eq = word.indexOf("=");
    if (eq > 0) given.push({ option, value: word.slice(eq + 1) });
    else if (i + 1 < rest.length) given.push({ option, value: rest[++i]! });
  }
  return (names) => new Set(given.filter((g) => g.option.names.some((n) => names.has(n))).map((g) => g.value.trim()));
}

/** The column a `-c` item names, as completion offers it: `loss as best` → `loss`. */
function columnOfItem(item: string): string {
  return item.replace(/\s+as\s+.*$/s, "").trim();
}

function valuesFor(
  option: string,
  current: string,
  sources: CompletionSources,
  given: (names: ReadonlySet<string>) => Set<string>,
): Completion {
  if (COLUMN_OPTIONS.has(option)) {
    // A sort key given once already (-m loss -M loss) is not offered again.
    const used = SORT_OPTIONS.has(option) ? given(SORT_OPTIONS) : new Set<string>();
    return words_(
      matching(
        sources
          .columns()
          .filter((c) => !used.has(c))
          .map((value) => ({ value })),
        current,
      ),
    );
  }
  if (COLUMN_LIST_OPTIONS.has(option)) {
    const comma = current.lastIndexOf(",");
    const head = comma < 0 ? "" : current.slice(0, comma + 1);
    const piece = current.slice(head.length).trimStart();
    const spaced = head + current.slice(head.length, current.length - piece.length);
    // The columns already in the list are not offered again: `-c loss,<TAB>` offers the others.
    const listed = new Set(head.split(",").map(columnOfItem));
    return prefixWith(
      spaced,
      words_(
        matching(
          sources
            .columns()
            .filter((c) => !listed.has(c))
            .map((value) => ({ value })),
          piece,
        ),
      ),
    );
  }
  if (option === "-o" || option === "--optimizer" || option === "--help-optimizer")
    return words_(
      matching(
        OPTIMIZERS.map((value) => ({ value })),
        current,
      ),
    );
  if (option === "--restart") return words_(matching([...OPTIMIZERS.map((value) => ({ value })), ...sources.runs("restartable")], current));
  if (option === "--batch") return words_(matching(sources.runs("batch"), current));
  if (option === "--backend")
    return words_(
      matching(
        BACKENDS.map((value) => ({ value })),
        current,
      ),
    );
  if (STATUS_OPTIONS.has(option)) {
    // --status is repeatable (any of them): a status given already is not offered again.
    const used = given(STATUS_OPTIONS);
    return words_(
      matching(
        STATUSES.filter((s) => !used.has(s)).map((value) => ({ value })),
        current,
      ),
    );
  }
  if (SWEEP_OPTIONS.has(option)) return words_(matching(sources.sweeps(), current));
  if (option === "--learn-from") return words_(matching([{ value: "batch" }, { value: "all" }], current));
  if (FILE_OPTIONS.has(option)) return { kind: "files" };
  return words_([]);
}

function optionCandidates(cmd: CommandShape): Candidate[] {
  const out: Candidate[] = [];
  for (const option of cmd.options) {
    for (const name of option.names) if (name.startsWith("--")) out.push({ value: name, description: option.description });
  }
  return out;
}

function findSubcommand(cmd: CommandShape, word: string): CommandShape | undefined {
  return cmd.subcommands.find((c) => c.name === word || c.aliases.includes(word));
}

function findOption(cmd: CommandShape, word: string): OptionShape | undefined {
  const name = word.includes("=") ? word.slice(0, word.indexOf("=")) : word;
  return cmd.options.find((o) => o.names.includes(name));
}

function matching(candidates: Candidate[], prefix: string): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const c of candidates) {
    if (!c.value.startsWith(prefix) || seen.has(c.value)) continue;
    seen.add(c.value);
    out.push(c);
  }
  return out;
}

function prefixWith(prefix: string, completion: Completion): Completion {
  if (completion.kind === "files" || prefix === "") return completion;
  return { kind: "words", candidates: completion.candidates.map((c) => ({ ...c, value: prefix + c.value })) };
}

function words_(candidates: Candidate[]): Completion {
  return { kind: "words", candidates };
}

/**
 * Formats a completion for the shell scripts below: one candidate a line,
 * `value<TAB>description`, or the single line `:files` for file names.
 */
export function formatCompletion(completion: Completion): string {
  if (completion.kind === "files") return ":files\n";
  return (
    completion.candidates.map((c) => (c.description ? `${c.value}\t${oneLine(c.description)}` : c.value)).join("\n") +
    (completion.candidates.length ? "\n" : "")
  );
}

/** A description on one line: white space runs as one space, other control characters escaped (a label may hold them). */
function oneLine(text: string): string {
  return escapeControlChars(text.replace(/\s+/g, " ").trim());
}

/** Splits a command line as a POSIX shell would into words (quotes and backslashes; no expansion). */
export function splitShellWords(line: string): string[] {
  const { words, last } = scanShellWords(line);
  // The word under the cursor: "" when the line ends in a space.
  return [...words, last ?? ""];
}

/**
 * The scanner behind splitShellWords, also used to split `--slurm-opt` text
 * into sbatch's arguments: the whole words, the word still open at the end
 * (null when the line ends in a blank), and the quote left open (null when
 * every quote is closed), so a caller can refuse unbalanced quotes.
 */
export function scanShellWords(line: string): { words: string[]; last: string | null; openQuote: "'" | '"' | null } {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (ch === " " || ch === "\t" || ch === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  return { words, last: inWord ? word : null, openQuote: quote };
}

/** The completion script for a shell; it calls `g __complete` for every <TAB>. */
export function completionScript(shell: (typeof SHELLS)[number]): string {
  switch (shell) {
    case "bash":
      return BASH_SCRIPT;
    case "zsh":
      return ZSH_SCRIPT;
    case "fish":
      return FISH_SCRIPT;
  }
}

// bash splits words at `=` and `:` (COMP_WORDBREAKS), so g is given the line up
// to the cursor and bash's own current word, and answers with words that
// replace just that part.
const BASH_SCRIPT = `# g completion for bash. Install: g completion bash > ~/.local/share/bash-completion/completions/g
# (or add  eval "$(g completion bash)"  to ~/.bashrc)
_g_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local line="\${COMP_LINE:0:COMP_POINT}"
  local IFS=$'\\n'
  local out
  out=$(g __complete --bash-cur "$cur" --line "$line" 2>/dev/null) || return 0
  if [ "$out" = ":files" ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    compopt -o filenames 2>/dev/null
    return 0
  fi
  COMPREPLY=($(printf '%s\\n' $out | cut -f1))
  [ "\${#COMPREPLY[@]}" -eq 1 ] && [[ "\${COMPREPLY[0]}" == *[=,] ]] && compopt -o nospace 2>/dev/null
  return 0
}
complete -F _g_complete g
`;

const ZSH_SCRIPT = `#compdef g
# g completion for zsh. Install: g completion zsh > "\${fpath[1]}/_g"  (then restart zsh)
# (or add  source <(g completion zsh)  to ~/.zshrc after compinit)
_g() {
  local -a lines candidates
  local l v d
  lines=("\${(@f)$(g __complete --words "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ "\${lines[1]}" == ":files" ]]; then
    _files
    return
  fi
  for l in "\${lines[@]}"; do
    [[ -z "$l" ]] && continue
    v="\${l%%$'\\t'*}"
    d=""
    [[ "$l" == *$'\\t'* ]] && d="\${l#*$'\\t'}"
    v="\${v//:/\\\\:}"
    if [[ -n "$d" ]]; then candidates+=("$v:$d"); else candidates+=("$v"); fi
  done
  _describe -t values 'g' candidates
}
compdef _g g
`;

const FISH_SCRIPT = `# g completion for fish. Install: g completion fish > ~/.config/fish/completions/g.fish
function __g_complete
    set -l words (commandline -opc) (commandline -ct)
    set -e words[1]
    set -l out (g __complete --words $words 2>/dev/null)
    if test "$out[1]" = ":files"
        __fish_complete_path (commandline -ct)
        return
    end
    printf '%s\\n' $out
end
complete -c g -f -a '(__g_complete)'
`;
