// Reads the shell examples out of the user docs so that the docs test can run
// them: fenced code blocks with their language and `<!-- docs-test: ... -->`
// directives, and a small shell-words splitter (quotes, escapes, $VAR and
// $(g ...) substitution, comments) that turns a line into an argument array.
// No shell ever runs a documented line: what cannot be split here is not run.

/** Fence languages whose lines are commands to run. */
export const SHELL_LANGUAGES = new Set(["sh", "shell", "bash"]);

export interface DocBlock {
  /** Language after the opening fence ("" when none). */
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The lines between the fences. */
  body: string[];
  /** `<!-- docs-test: skip — reason -->` before the block: the reason. */
  skip: string | null;
  /** `<!-- docs-test: cwd DIR -->` before the block: DIR, relative to the workspace. */
  cwd: string | null;
}

const DIRECTIVE = /^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/;

/**
 * The fenced code blocks of a markdown text, each with the directives written
 * on the lines just before it (blank lines may sit between them). An unknown
 * directive, or a skip without a reason, throws: a typo must not hide a block.
 */
export function extractBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: DocBlock[] = [];
  let pending: { skip: string | null; cwd: string | null } = { skip: null, cwd: null };
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? "";
    const directive = DIRECTIVE.exec(text);
    if (directive) {
      pending = applyDirective(pending, directive[1] ?? "", i + 1);
      continue;
    }
    const fence = openingFence(text);
    if (!fence) {
      if (text.trim() !== "") pending = { skip: null, cwd: null };
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const inner = lines[j] ?? "";
      if (inner.trim().startsWith(fence.marker) && inner.trim().replace(/[`~]/g, "") === "") break;
      body.push(inner.slice(Math.min(fence.indent, inner.length - inner.trimStart().length)));
    }
    blocks.push({ lang: fence.lang, line: i + 1, body, ...pending });
    pending = { skip: null, cwd: null };
    i = j;
  }
  return blocks;
}

/** The opening fence on a line: its indent, marker (``` or ~~~, any longer) and language. */
function openingFence(text: string): { indent: number; marker: string; lang: string } | null {
  const m = FENCE.exec(text);
  if (!m) return null;
  const marker = m[2] ?? "```";
  // CommonMark: after a backtick fence no backtick may follow (```` `x` ```` is inline code)
  if (marker.startsWith("`") && text.slice((m[1] ?? "").length + marker.length).includes("`")) return null;
  return { indent: (m[1] ?? "").length, marker, lang: (m[3] ?? "").toLowerCase() };
}

function applyDirective(
  pending: { skip: string | null; cwd: string | null },
  text: string,
  line: number,
): { skip: string | null; cwd: string | null } {
  const skip = /^skip\b\s*[—–:-]*\s*(.*)$/.exec(text);
  if (skip) {
    if (!skip[1]) throw new Error(`line ${line}: docs-test: skip needs a reason ("skip — why")`);
    return { ...pending, skip: skip[1] };
  }
  const cwd = /^cwd\s+(\S+)$/.exec(text);
  if (cwd) return { ...pending, cwd: cwd[1] ?? null };
  throw new Error(`line ${line}: unknown docs-test directive "${text}" (use "skip — reason" or "cwd DIR")`);
}

/** One logical command line of a shell block. */
export interface CommandLine {
  /** 1-based line in the markdown file where the command starts. */
  line: number;
  /** The command as written (continuations joined). */
  text: string;
}

/**
 * The commands of a shell block: `\` continuations joined, blank lines and
 * comment-only lines dropped, a leading `$ ` prompt removed.
 */
export function commandLines(block: DocBlock): CommandLine[] {
  const out: CommandLine[] = [];
  let current: CommandLine | null = null;
  block.body.forEach((raw, k) => {
    const line = block.line + 1 + k;
    const joined: CommandLine = current ? { line: current.line, text: current.text + " " + raw.trim() } : { line, text: raw.trim() };
    if (/(^|[^\\])\\$/.test(joined.text) && !/#/.test(stripQuoted(joined.text))) {
      current = { line: joined.line, text: joined.text.slice(0, -1).trimEnd() };
      return;
    }
    current = null;
    const text = joined.text.replace(/^\$\s+/, "");
    if (text === "" || text.startsWith("#")) return;
    out.push({ line: joined.line, text });
  });
  if (current) out.push(current);
  return out;
}

/** The text with quoted parts blanked, to look for unquoted characters. */
function stripQuoted(text: string): string {
  return text.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, "");
}

/** A split command line. */
export interface SplitLine {
  /** `NAME=value` words before the command. */
  assignments: Array<[string, string]>;
  /** The command and its arguments (empty for a line of assignments only). */
  argv: string[];
  /** The comment after `#`, trimmed ("" when none). */
  comment: string;
}

/** Runs the command inside `$(...)` and returns its stdout. */
export type Substitute = (argv: string[]) => string;

const UNSUPPORTED = new Set(["|", "&", ";", "<", ">", "`", "(", ")"]);

/**
 * Splits one command line into words as a POSIX shell would for the simple
 * cases the docs use: '...' literal, "..." with \" \\ \$ and expansions,
 * backslash escapes, $NAME / ${NAME} from `vars`, $(...) through `substitute`
 * (its text split recursively; the result is not re-split, as inside quotes),
 * `#` starting a word begins a comment. Pipes, redirections, `;`, `&&`, a
 * background `&` and backquotes throw: such a line needs a skip directive.
 */
export function splitShellWords(text: string, vars: Record<string, string>, substitute: Substitute): SplitLine {
  const words: Array<{ value: string; assignment: boolean }> = [];
  let word: string | null = null;
  let literalPrefix = ""; // the unquoted, unexpanded start of the word, to spot NAME=
  let prefixOpen = true;
  let comment = "";
  let i = 0;
  const append = (s: string, literal: boolean) => {
    word = (word ?? "") + s;
    if (prefixOpen && literal) literalPrefix += s;
    else prefixOpen = false;
  };
  const endWord = () => {
    if (word !== null) words.push({ value: word, assignment: /^[A-Za-z_][A-Za-z0-9_]*=/.test(literalPrefix) });
    word = null;
    literalPrefix = "";
    prefixOpen = true;
  };
  const expandDollar = (): string | null => {
    // at text[i] === "$"; returns the expansion and moves i past it
    const rest = text.slice(i + 1);
    if (rest.startsWith("(")) {
      const close = findClosingParen(text, i + 1);
      const inner = text.slice(i + 2, close);
      i = close + 1;
      const split = splitShellWords(inner, vars, substitute);
      if (split.assignments.length > 0 || split.comment) throw new Error(`unsupported command substitution $(${inner})`);
      return substitute(split.argv).replace(/\n+$/, "");
    }
    const named = /^(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(rest);
    if (!named) return null;
    const name = named[1] ?? named[2] ?? "";
    if (!(name in vars)) throw new Error(`$${name} is not set by an earlier line of the docs`);
    i += 1 + named[0].length;
    return vars[name] ?? "";
  };

  while (i < text.length) {
    const c = text[i] ?? "";
    if (c === " " || c === "\t") {
      endWord();
      i++;
    } else if (c === "#" && word === null) {
      comment = text.slice(i + 1).trim();
      break;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw new Error("unclosed ' quote");
      append(text.slice(i + 1, close), false);
      i = close + 1;
    } else if (c === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unclosed " quote');
        const d = text[i] ?? "";
        if (d === '"') break;
        if (d === "\\" && /["\\$`]/.test(text[i + 1] ?? "")) {
          value += text[i + 1];
          i += 2;
        } else if (d === "$") {
          const expanded = expandDollar();
          if (expanded === null) {
            value += d;
            i++;
          } else value += expanded;
        } else if (d === "`") {
          throw new Error("backquotes are not supported");
        } else {
          value += d;
          i++;
        }
      }
      append(value, false);
      i++;
    } else if (c === "\\") {
      if (i + 1 >= text.length) throw new Error("a trailing backslash");
      append(text[i + 1] ?? "", false);
      i += 2;
    } else if (c === "$") {
      const expanded = expandDollar();
      if (expanded === null) {
        append(c, true);
        i++;
      } else {
        // unquoted expansions are split into words by a shell; the docs quote
        // any value with spaces, so an unquoted one with a space is a doc bug
        if (/\s/.test(expanded)) throw new Error(`unquoted expansion with spaces: "${expanded}"`);
        append(expanded, false);
      }
    } else if (UNSUPPORTED.has(c)) {
      throw new Error(`"${c}" needs a shell; mark the block <!-- docs-test: skip — reason -->`);
    } else {
      append(c, true);
      i++;
    }
  }
  endWord();

  const assignments: Array<[string, string]> = [];
  let k = 0;
  for (; k < words.length && words[k]?.assignment; k++) {
    const value = words[k]?.value ?? "";
    const eq = value.indexOf("=");
    assignments.push([value.slice(0, eq), value.slice(eq + 1)]);
  }
  return { assignments, argv: words.slice(k).map((w) => w.value), comment };
}

function findClosingParen(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  throw new Error("unclosed $(");
}

/** The exit code a line's comment documents (`# ... exit 2 ...`), else 0. */
export function expectedExitCode(comment: string): number {
  const m = /\bexits? (?:with )?(?:code |status )?(\d+)\b/i.exec(comment);
  return m ? Number(m[1]) : 0;
}

/** The line's command is a `g` command, or a line a reader would take for one. */
export function looksLikeGCommand(line: string): boolean {
  return /^(\$\s+)?([A-Za-z_][A-Za-z0-9_]*=\S*\s+)*g\s/.test(line.trim()) || /\$\(g\s/.test(line);
}
