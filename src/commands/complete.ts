// `g completion bash|zsh|fish` prints a completion script; `g __complete`
// (hidden, called by those scripts at every <TAB>) answers with candidates:
// commands and options from the commander program, run ids, sweep ids and
// column names from the store, and a script's flags after `g run SCRIPT`.

import { existsSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import {
  SHELLS,
  completeWords,
  completionScript,
  formatCompletion,
  splitShellWords,
  type Candidate,
  type CommandShape,
  type Completion,
  type CompletionSources,
  type RunChoice,
} from "../format/completion.js";
import { formatTime } from "../format/values.js";
import { ATTRIBUTES } from "../query/columns.js";
import { inspectScript } from "../runner/inspect.js";
import { listSweeps } from "../store/sweeps.js";
import { RunStore, resolveHome, shortId } from "../store/store.js";
import type { Run } from "../store/types.js";
import { isBatchRecord } from "../query/compare-data.js";
import { restartRefusal } from "../trials/restartable.js";
import { writeOut } from "../runner/terminal.js";

/** Run ids offered at most (newest first): enough for any prefix the user has in mind. */
const MAX_RUN_CANDIDATES = 200;

export function completionCommand(shell: string): void {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`no completion for shell "${shell}"; use one of ${SHELLS.join(", ")}`);
  }
  writeOut(completionScript(shell as (typeof SHELLS)[number]));
}

/**
 * `g __complete --words W...` (zsh, fish: the words after `g`, the last under the
 * cursor) or `g __complete --bash-cur CUR --line LINE` (bash: the line up to the
 * cursor, and bash's own current word, which stops at `=` and `:`).
 */
export async function hiddenCompleteCommand(argv: string[], shape: CommandShape): Promise<void> {
  let words: string[];
  let bashCur: string | undefined;
  if (argv[0] === "--words") {
    words = argv.slice(1);
    if (words.length === 0) words = [""];
  } else if (argv[0] === "--bash-cur" && argv[2] === "--line") {
    bashCur = argv[1] ?? "";
    words = splitShellWords(argv[3] ?? "").slice(1);
    if (words.length === 0) words = [""];
  } else {
    throw new UsageError("g __complete is called by the completion scripts; see g completion --help");
  }
  let completion = completeWords(shape, words, storeSources());
  if (bashCur !== undefined) completion = trimForBash(completion, words[words.length - 1] ?? "", bashCur);
  writeOut(formatCompletion(completion));
}

/** bash replaces only its own current word: drop the part of ours before it. */
export function trimForBash(completion: Completion, word: string, bashCur: string): Completion {
  if (completion.kind === "files" || !word.endsWith(bashCur)) return completion;
  const head = word.slice(0, word.length - bashCur.length);
  if (head === "") return completion;
  return {
    kind: "words",
    candidates: completion.candidates.filter((c) => c.value.startsWith(head)).map((c) => ({ ...c, value: c.value.slice(head.length) })),
  };
}

/** Store-backed candidates, each read only when asked for. */
function storeSources(): CompletionSources {
  const store = new RunStore(resolveHome());
  let runsRead: ReturnType<RunStore["listRunsWithSummaries"]>["runs"] | null = null;
  // Names and keys only: the summaries' numbers (index.bin's cold part) are not read.
  const runs = () => (runsRead ??= store.listRunsWithSummaries(undefined, { values: false }).runs);
  // What g stop can stop from this host (as requestStop decides): a run whose process lives here, or one a
  // scheduler holds (cancelled through it from any host); of a run on another host g stop says "stop it there".
  const here = hostname();
  const stoppableHere = (run: Run): boolean => {
    if (run.status !== "running") return false;
    const lock = store.readLock(run);
    return lock !== null && (lock.host === here || lock.placement !== undefined);
  };
  const chosen: Record<RunChoice, (run: Run) => boolean> = {
    any: () => true,
    stoppable: stoppableHere,
    trashed: () => true,
    idle: (run) => run.status !== "running",
    restartable: (run) => restartRefusal(run) === null,
    batch: isBatchRecord,
  };
  return {
    runs(choice: RunChoice): Candidate[] {
      const listed = choice === "trashed" ? store.listRuns({ trash: true }).runs : runs().map(({ run }) => run);
      const keep = chosen[choice];
      const out: Candidate[] = [];
      for (const run of listed) {
        if (out.length >= MAX_RUN_CANDIDATES) break;
        if (keep(run)) out.push(runCandidate(run));
      }
      return out;
    },
    sweeps(): Candidate[] {
      return listSweeps(store.home).sweeps.map((s) => ({ value: s.id, description: [s.record.config.method, s.record.file].join("  ") }));
    },
    columns(): string[] {
      const flags = new Set<string>();
      const scalars = new Set<string>();
      for (const { run, summaries } of runs()) {
        for (const name of Object.keys(run.record.flags ?? {})) flags.add(name);
        for (const key of Object.keys(summaries)) scalars.add(key);
      }
      return [...[...scalars].sort(), ...[...flags].sort().map((f) => `=${f}`), ...ATTRIBUTES.map((a) => `.${a}`)];
    },
    scriptFlags(script: string): Candidate[] {
      const path = resolve(script);
      if (!existsSync(path) || !statSync(path).isFile()) return [];
      return scriptFlagCandidates(path, join(store.home, "cache", "inspect"));
    },
  };
}

function runCandidate(run: Run): Candidate {
  return {
    value: shortId(run.id),
    description: [run.record.op, run.status, run.record.started ? formatTime(run.record.started) : "", run.record.label ?? ""]
      .filter((s) => s !== "")
      .join("  "),
  };
}

function scriptFlagCandidates(path: string, cacheDir: string): Candidate[] {
  try {
    const info = inspectScript(path, cacheDir);
    return Object.entries(info.flags).map(([name, flag]) => ({
      value: `${name}=`,
      description: `default ${JSON.stringify(flag.default)}`,
    }));
  } catch {
    return [];
  }
}
