// Turns a script's output lines into scalar records (Guild's convention):
// `key: number` records a scalar, `step: N` sets the step for what follows.

import type { ScalarRecord } from "../store/types.js";

// `inf` and `nan` in any case are spelt out rather than matched with the `i` flag: V8 compiles a
// case-insensitive pattern's classes through ICU's case closure, about 0.9 M instructions at
// the first line of output of every `g run` and agent, for the same matches.
const SCALAR_LINE = /^\s*([A-Za-z_][\w./-]*)\s*:\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?[iI][nN][fF]|[nN][aA][nN])\s*$/;

export interface ScalarParser {
  /** Feeds one line (without its newline); returns the scalar it records, if any. */
  feed(line: string, t: number): ScalarRecord | null;
}

export function createScalarParser(): ScalarParser {
  let step: number | null = null;
  return {
    feed(line, t) {
      const m = SCALAR_LINE.exec(line);
      if (!m) return null;
      const key = m[1]!;
      const value = parseNumber(m[2]!);
      if (key === "step") {
        if (Number.isInteger(value)) step = value;
        return null;
      }
      // JSON has no NaN or Infinity; such a value is shown in the output but not recorded.
      if (!Number.isFinite(value)) return null;
      return { key, value, step, t };
    },
  };
}

function parseNumber(text: string): number {
  const lower = text.toLowerCase();
  if (lower.endsWith("inf")) return lower.startsWith("-") ? -Infinity : Infinity;
  if (lower === "nan") return NaN;
  return Number(text);
}

/** Splits a stream of chunks into whole lines, keeping the unfinished tail. */
export class LineSplitter {
  private tail = "";

  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const lines = text.split("\n");
    this.tail = lines.pop() ?? "";
    return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  }

  flush(): string[] {
    const rest = this.tail;
    this.tail = "";
    return rest === "" ? [] : [rest];
  }
}
