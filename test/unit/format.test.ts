import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderCsv, quoteCsvField } from "../../src/format/csv.js";
import { escapeControlChars, formatValue } from "../../src/format/values.js";
import { renderJson, toJsonRows } from "../../src/format/json.js";
import { formatGRunCommand, quoteShellWord } from "../../src/format/shell-words.js";
import { scanShellWords } from "../../src/format/completion.js";
import { parseFlagValue } from "../../src/flags/value.js";
import { FAST_PATH_ROWS, emitTable, renderRows, renderTable } from "../../src/format/table.js";
import { buildCompareData, type CompareInputRun } from "../../src/query/compare-data.js";
import type { Flags, Run, ScalarSummary } from "../../src/store/types.js";

const NOW = Date.parse("2026-11-01T12:00:00Z");
const ANSI = /\x1b\[[0-9;]*m/;

function makeRun(n: number, flags: Flags, loss: number | null, label = ""): CompareInputRun {
  const id = n.toString(16).padStart(4, "0").repeat(8);
  const run: Run = {
    id,
    dir: `/store/runs/${id}`,
    status: n % 3 === 0 ? "error" : "completed",
    record: {
      format: 1,
      id,
      op: "train.py",
      cmd: [],
      cwd: "/",
      flags,
      created: "2026-11-01T10:00:00.000Z",
      started: "2026-11-01T10:00:00.000Z",
      stopped: "2026-11-01T10:00:30.000Z",
      exit_status: n % 3 === 0 ? 1 : 0,
      label,
      tags: ["t"],
    },
  };
  const summaries: Record<string, ScalarSummary> =
    loss === null ? {} : { loss: { last: loss, first: 2, min: loss / 2, max: 2, avg: 1, total: 10, count: 10, step: 9 } };
  return { index: n, run, summaries };
}

function data(n: number, opts: { columns?: string } = {}) {
  const runs = Array.from({ length: n }, (_, i) =>
    makeRun(i + 1, { lr: 0.001 * (i + 1), optimizer: i % 2 ? "sgd" : "adam" }, i === 1 ? null : 1 / (i + 1)),
  );
  return buildCompareData({ runs, now: NOW, ...opts });
}

/** emitTable's pieces, strings and bytes, in the order it hands them over (no colour). */
function renderTableTo(d: ReturnType<typeof data>, width: number | undefined, pieces: Array<string | Uint8Array>): void {
  emitTable(d, { color: false, width, emitBytes: (b) => pieces.push(Buffer.from(b)) }, (t) => pieces.push(t));
}

describe("renderRows", () => {
  it("pads columns two spaces apart and right-aligns the numeric ones", () => {
    const text = renderRows(
      ["name", "n"],
      [
        ["a", "1"],
        ["bbb", "100"],
      ],
      { color: false, align: ["left", "right"] },
    );
    expect(text.split("\n")).toEqual(["name    n", "a       1", "bbb   100"]);
  });

  it("lays out a screenful with cli-table3 exactly as the fast path does", () => {
    const headers = ["run", "op", "loss"];
    const rows = [
      ["aaaa", "train.py", "0.5"],
      ["bb", "x", "12.25"],
    ];
    const opts = { color: false, align: ["left", "left", "right"] as const };
    const screen = renderRows(headers, rows, { ...opts, align: [...opts.align], width: 80 });
    const piped = renderRows(headers, rows, { ...opts, align: [...opts.align] });
    expect(screen).toBe(piped);
    expect(screen.split("\n")[2]).toBe("bb    x         12.25");
  });

  it("truncates wide columns with an ellipsis to fit the terminal", () => {
    const rows = [["x".repeat(60), "short", "1"]];
    const text = renderRows(["label", "op", "n"], rows, { color: false, width: 40 });
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(40);
    expect(text).toContain("…");
    expect(text).toContain("short");
  });

  it("drops columns that cannot fit, in the given order, and says which", () => {
    const headers = Array.from({ length: 12 }, (_, i) => `column_${i}`);
    const rows = [headers.map((_, i) => `value_${i}_long`)];
    let hidden: string[] = [];
    const text = renderRows(headers, rows, {
      color: false,
      width: 50,
      dropOrder: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0],
      onHidden: (h) => (hidden = h),
    });
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(50);
    expect(hidden).toContain("column_1");
    expect(hidden).not.toContain("column_0");
    expect(text.startsWith("column_0")).toBe(true);
  });

  it("never cuts a number: its column goes instead", () => {
    let hidden: string[] = [];
    const text = renderRows(["name", "loss"], [["a", "0.123456789012"]], {
      color: false,
      width: 10,
      align: ["left", "right"],
      onHidden: (h) => (hidden = h),
    });
    expect(hidden).toEqual(["loss"]);
    expect(text).not.toContain("…");
  });

  it("never truncates when piped (no width)", () => {
    const text = renderRows(["label"], [["y".repeat(300)]], { color: false });
    expect(text).toContain("y".repeat(300));
  });

  it("paints headers and chosen cells only when colour is on", () => {
    const opts = { align: ["left" as const], cellColor: () => "32" };
    expect(renderRows(["status"], [["completed"]], { ...opts, color: true, width: 80 })).toMatch(ANSI);
    expect(renderRows(["status"], [["completed"]], { ...opts, color: true })).toMatch(ANSI);
    expect(renderRows(["status"], [["completed"]], { ...opts, color: false, width: 80 })).not.toMatch(ANSI);
  });
});

describe("renderTable", () => {
  it("prints one line per run under the headers, numbers right-aligned", () => {
    const lines = renderTable(data(3), { color: false }).split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^#\s+run\s+op\s+started\s+time\s+status\s+label\s+lr\s+optimizer\s+loss$/);
    const lossEnd = lines[0]!.length;
    expect(lines[1]!.endsWith("1")).toBe(true);
    expect(lines[3]!.length).toBe(lossEnd);
    expect(lines[3]).toMatch(/0\.333333$/);
    expect(lines[2]).toMatch(/sgd$/); // run 2 has no loss: the line ends at the last filled cell
  });

  it("gives the same text on both paths for a table that fits", () => {
    const d = data(5);
    expect(renderTable(d, { color: false, width: 400 })).toBe(renderTable(d, { color: false }));
  });

  it("fits a big table to the terminal on the fast path", () => {
    const d = data(FAST_PATH_ROWS + 50);
    const text = renderTable(d, { color: false, width: 60 });
    const lines = text.split("\n");
    expect(lines).toHaveLength(FAST_PATH_ROWS + 51);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
  });

  it("keeps the run and the scalars over the start time when narrow", () => {
    let hidden: string[] = [];
    const text = renderTable(data(3), { color: false, width: 50, onHidden: (h) => (hidden = h) });
    expect(hidden).toContain("started");
    expect(hidden).not.toContain("loss");
    expect(text.split("\n")[0]).toMatch(/run.*loss/);
  });

  it.each([
    ["a non-ASCII label in one row", FAST_PATH_ROWS + 30, "café ☕"],
    ["every block of rows ASCII", FAST_PATH_ROWS + 30, "cafe"],
    ["more rows than a block and than a piece", 4096 + 2000 + 7, "cafe"],
    ["more rows than a block, one non-ASCII", 4096 + 2000 + 7, "café ☕"],
  ])("pads a big table as bytes to the text the string path gives, odd cells included: %s", (_, count, odd) => {
    const runs = Array.from({ length: count }, (_, i) =>
      makeRun(
        i + 1,
        // A label with non-ASCII text (that row goes through the string path), one ending in tabs (trimmed at a
        // line's end, where the next line's padding goes), one empty.
        { lr: i % 7 === 0 ? null : 0.001 * (i + 1), optimizer: i % 5 === 0 ? "adam\t\t" : i % 2 ? "sgd" : "" },
        i % 4 === 1 ? null : 1 / (i + 1),
        i === 3 || i === count - 2 ? odd : i % 3 === 0 ? "base" : "",
      ),
    );
    const d = buildCompareData({ runs, now: NOW });
    for (const width of [undefined, 400]) {
      const pieces: Array<string | Uint8Array> = [];
      renderTableTo(d, width, pieces);
      expect(pieces.some((p) => p instanceof Uint8Array)).toBe(true);
      const text = pieces.map((p) => (typeof p === "string" ? p : Buffer.from(p).toString("utf8"))).join("");
      expect(text).toBe(renderTable(d, { color: false, width }));
      expect(text).toContain(odd);
    }
    // A table cut to the terminal's width, or in colour, keeps to the string path.
    const cut: Array<string | Uint8Array> = [];
    renderTableTo(d, 60, cut);
    expect(cut.every((p) => typeof p === "string")).toBe(true);
  });

  it("colours a big table's status from cells kept as bytes: the plain table but for the colour codes", () => {
    const d = data(4096 + 30);
    const coloured = renderTable(d, { color: true });
    expect(coloured).toContain("\x1b[31merror\x1b[0m");
    expect(coloured.replaceAll(/\x1b\[[0-9;]*m/g, "")).toBe(renderTable(d, { color: false }));
    // Cut to a terminal's width, the cells are read as text from the same bytes.
    const cut = renderTable(d, { color: false, width: 70 }).split("\n");
    expect(cut).toHaveLength(d.rows.length + 1);
    expect(cut.some((line) => line.includes("…"))).toBe(true);
    for (const k of [0, 4095, 4096, 4125]) {
      expect(cut[k + 1]!.length).toBeLessThanOrEqual(70);
      expect(cut[k + 1]!.trim().split(/ +/).slice(0, 2)).toEqual([d.rows[k]!.cell(0), d.rows[k]!.cell(1)]);
    }
  });

  it("colours the status only when asked", () => {
    expect(renderTable(data(3), { color: true, width: 200 })).toContain("\x1b[31merror");
    expect(renderTable(data(3), { color: false, width: 200 })).not.toMatch(ANSI);
  });
});

describe("renderCsv", () => {
  it("quotes fields with commas, quotes, line breaks or edge spaces (RFC 4180)", () => {
    expect(quoteCsvField("plain")).toBe("plain");
    expect(quoteCsvField("a,b")).toBe('"a,b"');
    expect(quoteCsvField('say "hi"')).toBe('"say ""hi"""');
    expect(quoteCsvField("two\nlines")).toBe('"two\nlines"');
    expect(quoteCsvField(" padded")).toBe('" padded"');
  });

  it("writes a header and raw values, CRLF-terminated, missing values empty", () => {
    const d = buildCompareData({ runs: [makeRun(1, { lr: 0.1 }, 0.123456789, 'wide, "deep"'), makeRun(2, { lr: 0.2 }, null)], now: NOW });
    const lines = renderCsv(d).split("\r\n");
    expect(lines[0]).toBe("#,run,op,started,time,status,label,lr,loss");
    // A run id of digits is quoted: unquoted, it would read as a number (see the CSV tests below).
    expect(lines[1]).toBe(`1,"00010001",train.py,2026-11-01T10:00:00.000Z,30,completed,"wide, ""deep""",0.1,0.123456789`);
    expect(lines[2]).toBe('2,"00020002",train.py,2026-11-01T10:00:00.000Z,30,completed,,0.2,');
    expect(lines[3]).toBe("");
  });
});

describe("renderJson", () => {
  it("gives each run's attributes, flags and full scalar summaries", () => {
    const rows = JSON.parse(renderJson(data(2)));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      index: 1,
      id: "0001".repeat(8),
      short_id: "00010001",
      op: "train.py",
      status: "completed",
      created: "2026-11-01T10:00:00.000Z",
      started: "2026-11-01T10:00:00.000Z",
      stopped: "2026-11-01T10:00:30.000Z",
      time: 30,
      exit_status: 0,
      label: "",
      tags: ["t"],
      batch: null,
      trial: null,
      parent: null,
      description: null,
      prefix: null,
      flags: { lr: 0.001, optimizer: "adam" },
      scalars: { loss: { last: 1, first: 2, min: 0.5, max: 2, avg: 1, total: 10, count: 10, step: 9 } },
    });
    expect(rows[1].scalars).toEqual({});
  });

  it("gives the run time even when its column is not shown", () => {
    const runs = [makeRun(1, {}, 0.5)];
    expect(toJsonRows(buildCompareData({ runs, now: NOW, skipCore: true }))[0]!.time).toBe(30);
  });

  it("adds the chosen columns' raw values with -c", () => {
    const rows = toJsonRows(data(1, { columns: "min loss, =lr" }));
    expect(rows[0]!.columns).toMatchObject({ "min loss": 0.5, lr: 0.001, "#": 1 });
    expect(toJsonRows(data(1))[0]!.columns).toBeUndefined();
  });
});

describe("flag values in the table", () => {
  it("rounds an optimizer's long float to 6 significant digits but keeps short ones, while CSV keeps every digit", () => {
    const d = buildCompareData({ runs: [makeRun(1, { x: -0.2889457024322004, lr: 0.001, n: 12 }, 1)], now: NOW, columns: "=x, =lr, =n" });
    const table = renderTable(d, { color: false });
    expect(table).toContain("-0.288946");
    expect(table).not.toContain("-0.2889457");
    expect(table).toMatch(/0\.001\b/);
    expect(renderCsv(d)).toContain("-0.2889457024322004");
  });
});

describe("control characters in cells", () => {
  it("escapes a newline, CR and tab by name and other control characters in hex; other text stays as it is", () => {
    expect(escapeControlChars("a\nb\r\tc")).toBe("a\\nb\\r\\tc");
    expect(escapeControlChars("\x1b[31mred\x00\x7f\x9b")).toBe("\\x1b[31mred\\x00\\x7f\\x9b");
    expect(escapeControlChars("C:\\data é ⏎")).toBe("C:\\data é ⏎");
    expect(formatValue("a\nb")).toBe("a\\nb");
    expect(formatValue(0.5)).toBe("0.5");
  });

  it("keeps each row of renderRows on one line, widths from the escaped text, on both paths", () => {
    const rows = [
      ["1", "two\nlines", "x"],
      ["2", "tab\there", "y"],
    ];
    for (const width of [undefined, 80]) {
      const lines = renderRows(["#", "label", "op"], rows, { color: false, align: ["right"], width }).split("\n");
      expect(lines).toEqual(["#  label       op", "1  two\\nlines  x", "2  tab\\there   y"]);
    }
  });

  it("keeps each run of a compare table on one line, in cli-table3, the fast path and the byte path alike", () => {
    const d = buildCompareData({
      runs: [makeRun(1, { msg: "a\nb\x1b[1m" }, 0.5, "x\ty"), makeRun(2, { msg: "plain" }, 0.25)],
      now: NOW,
      columns: "=msg, .label, loss",
    });
    const screen = renderTable(d, { color: false, width: 200 });
    expect(screen.split("\n")).toHaveLength(3);
    expect(screen).toContain("a\\nb\\x1b[1m");
    expect(screen).toContain("x\\ty");
    expect(screen).not.toMatch(/[\t\r\x1b]/);
    const pieces: Array<string | Uint8Array> = [];
    renderTableTo(d, undefined, pieces);
    const piped = pieces.map((p) => (typeof p === "string" ? p : Buffer.from(p).toString("latin1"))).join("");
    expect(piped).toBe(screen);
    expect(renderTable(d, { color: false })).toBe(screen);
    const [head, first, second] = screen.split("\n");
    // The loss column ends where its header does on every line: msg is as wide as what it shows.
    expect(first!.length).toBe(head!.length);
    expect(second!.length).toBe(head!.length);
  });

  it("escapes a header's control characters in the table but not in CSV", () => {
    const d = buildCompareData({ runs: [makeRun(1, { "a\tb": 1 }, null)], now: NOW, skipCore: true });
    expect(renderTable(d, { color: false })).toBe("a\\tb\n   1");
    expect(renderCsv(d)).toBe("a\tb\r\n1\r\n");
  });
});

describe("CSV: null, missing and the text null", () => {
  /** RFC 4180 fields of one line, each with whether it was quoted. */
  function parseLine(line: string): Array<{ text: string; quoted: boolean }> {
    const out: Array<{ text: string; quoted: boolean }> = [];
    let i = 0;
    for (;;) {
      if (line[i] === '"') {
        let text = "";
        for (i++; ; i++) {
          if (line[i] === '"' && line[i + 1] === '"') ((text += '"'), i++);
          else if (line[i] === '"') break;
          else text += line[i];
        }
        out.push({ text, quoted: true });
        i++;
      } else {
        const end = line.indexOf(",", i);
        out.push({ text: line.slice(i, end < 0 ? undefined : end), quoted: false });
        i = end < 0 ? line.length : end;
      }
      if (i >= line.length) return out;
      i++; // the comma
    }
  }
  /** A field read back as docs/compare.md says: unquoted empty is missing, null null, true/false, numbers; quoted is text. */
  function readField(f: { text: string; quoted: boolean }): unknown {
    if (f.quoted) return f.text;
    if (f.text === "") return undefined;
    if (f.text === "null") return null;
    if (f.text === "true" || f.text === "false") return f.text === "true";
    const n = Number(f.text);
    return Number.isNaN(n) && f.text !== "NaN" ? f.text : n;
  }

  it("writes a null flag as null, a missing one as an empty field, and quotes texts that spell another value", () => {
    const flags: Flags[] = [{ x: null }, {}, { x: "null" }, { x: "" }, { x: "0.5" }, { x: 0.5 }, { x: "true" }, { x: true }, { x: "sgd" }];
    const d = buildCompareData({
      runs: flags.map((f, i) => makeRun(i + 1, { ...f, y: 1 }, null)),
      now: NOW,
      columns: "=x",
      skipCore: true,
    });
    const lines = renderCsv(d).split("\r\n").slice(1, -1);
    expect(lines).toEqual(["null", "", '"null"', '""', '"0.5"', "0.5", '"true"', "true", "sgd"]);
    const read = lines.map((l) => readField(parseLine(l)[0]!));
    expect(read).toEqual(flags.map((f) => f.x));
  });

  it("keeps the distinction through --skip-unchanged's narrower rows", () => {
    const d = buildCompareData({
      runs: [makeRun(1, { x: null, y: 1 }, null), makeRun(2, { y: 1 }, null), makeRun(3, { x: 2, y: 1 }, null)],
      now: NOW,
      columns: "=y, =x",
      skipCore: true,
      skipUnchanged: true,
    });
    expect(renderCsv(d)).toBe("x\r\nnull\r\n\r\n2\r\n");
  });
});

describe("formatGRunCommand", () => {
  it("writes each value so that the shell, then g, read it back as the same value", () => {
    const flags = { lr: 1e-5, n: 3, name: "it's [a b]", tag: "1", on: true, none: null, empty: "", word: "yes" };
    const line = formatGRunCommand("/w/my train.py", flags);
    expect(line).toBe(
      `g run '/w/my train.py' lr=1e-05 n=3 'name="it'\\''s [a b]"' 'tag='\\''1'\\''' on=true none=null 'empty='\\'''\\''' 'word='\\''yes'\\'''`,
    );
    const { words, last } = scanShellWords(line);
    const all = [...words, last ?? ""];
    expect(all.slice(0, 3)).toEqual(["g", "run", "/w/my train.py"]);
    const back = Object.fromEntries(all.slice(3).map((w) => [w.slice(0, w.indexOf("=")), parseFlagValue(w.slice(w.indexOf("=") + 1))]));
    expect(back).toEqual(flags);
  });
});

describe("the table: a flag recorded as null", () => {
  const runs = () => [
    makeRun(1, { x: null }, 0.5),
    makeRun(2, { x: 0.25 }, 0.25),
    makeRun(3, {}, 0.75),
    makeRun(4, { x: "null" }, 0.125),
    makeRun(5, { x: 2 }, 0.1),
  ];

  it("shows null, and nothing for a flag the run lacks, in cells and the table", () => {
    const d = buildCompareData({ runs: runs(), now: NOW, columns: "=x", skipCore: true });
    expect(d.rows.map((r) => r.cells[0])).toEqual(["null", "0.25", "", "null", "2"]);
    // A text flag "null" makes the column text (left-aligned); a null does not (below).
    expect(renderTable(d, { color: false }).split("\n")).toEqual(["x", "null", "0.25", "", "null", "2"]);
  });

  it("keeps a column of numbers and nulls numeric, and sorts null with the missing values", () => {
    const numbers = runs().filter((r) => r.run.record.flags.x !== "null");
    const d = buildCompareData({ runs: numbers, now: NOW, columns: "=x", skipCore: true, min: ["=x"] });
    expect(d.columns[0]!.numeric).toBe(true);
    expect(d.rows.map((r) => r.cells[0])).toEqual(["0.25", "2", "null", ""]);
    // Right-aligned under its header.
    expect(renderTable(d, { color: false }).split("\n")).toEqual(["   x", "0.25", "   2", "null", ""]);
    const desc = buildCompareData({ runs: numbers, now: NOW, columns: "=x", skipCore: true, max: ["=x"] });
    expect(desc.rows.map((r) => r.cells[0])).toEqual(["2", "0.25", "null", ""]);
  });

  it("dims a null flag in colour, not the text flag null", () => {
    const d = buildCompareData({ runs: runs(), now: NOW, columns: "=x", skipCore: true });
    const lines = renderTable(d, { color: true }).split("\n");
    expect(lines[1]).toBe("\x1b[2mnull\x1b[0m");
    expect(lines[4]).toBe("null");
    expect(lines[2]).toBe("0.25");
  });
});

describe("a command's words for people to copy", () => {
  it("leaves plain words, single-quotes the rest, and writes a word with a control character as $'...'", () => {
    expect(quoteShellWord("x=0.1")).toBe("x=0.1");
    expect(quoteShellWord("a b's")).toBe("'a b'\\''s'");
    // bash reads $'a\nb' back as a, newline, b: one line on the screen, nothing raw for the terminal.
    expect(quoteShellWord("a\nb\t'c'\\\x1b[31m")).toBe("$'a\\nb\\t\\'c\\'\\\\\\x1b[31m'");
  });
});

describe("quoteShellWord", () => {
  it("writes a word with a line break, tab or ESC on one line, in $'...', with no raw control character", () => {
    const words = ["x\ny", "a\tb", "\x1b[31mred", "it's\n\\", "cr\r\x7f\x01"];
    const line = words.map(quoteShellWord).join(" ");
    expect(line).toBe(`$'x\\ny' $'a\\tb' $'\\x1b[31mred' $'it\\'s\\n\\\\' $'cr\\r\\x7f\\x01'`);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    // bash reads the line back as the same words.
    const back = spawnSync("bash", ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8" });
    expect(back.stdout.split("\0").slice(0, -1)).toEqual(words);
  });
  it("keeps single quotes for other words", () => {
    expect(quoteShellWord("a b")).toBe("'a b'");
    expect(quoteShellWord("lr=0.1")).toBe("lr=0.1");
  });
});
