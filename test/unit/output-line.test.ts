import { describe, expect, it } from "vitest";
import { formatOutputLine, formatPanelLine, lastDrawnLine, stripTerminalSequences } from "../../src/format/output-line.js";

describe("a line of a script's output as the compare view shows it", () => {
  it("keeps what a progress bar drew last, after its last carriage return", () => {
    expect(formatOutputLine("epoch 1  10%\repoch 1  55%\repoch 1 100%")).toBe("epoch 1 100%");
    expect(formatOutputLine("\r 30%|###   |")).toBe(" 30%|###   |");
    // A CRLF ending is no redraw.
    expect(formatOutputLine("done\r")).toBe("done");
    expect(lastDrawnLine("a\rb\r")).toBe("b");
  });

  it("removes colour codes, cursor moves, titles and other escape sequences", () => {
    expect(formatOutputLine("\x1b[1;32mINFO\x1b[0m loss \x1b[31m0.5\x1b[m")).toBe("INFO loss 0.5");
    expect(formatOutputLine("\x1b[2K\x1b[1Gstep 3")).toBe("step 3");
    expect(formatOutputLine("\x1b]0;training\x07run \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\")).toBe("run link");
    expect(formatOutputLine("\x1b7saved\x1b8 \x9b31mC1\x9b0m")).toBe("saved C1");
    expect(stripTerminalSequences("plain text")).toBe("plain text");
  });

  it("shows tabs as spaces to the next tab stop and escapes any other control character", () => {
    expect(formatOutputLine("a\tbc\td")).toBe("a       bc      d");
    expect(formatOutputLine("bell\x07 back\x08 nul\x00")).toBe("bell\\x07 back\\x08 nul\\x00");
    // An escape sequence cut short by the end of the line is shown escaped, never sent to the terminal.
    expect(formatOutputLine("cut \x1b")).toBe("cut \\x1b");
  });

  it("leaves other text as it is", () => {
    expect(formatOutputLine("loss: 0.25 é ⏎ C:\\data")).toBe("loss: 0.25 é ⏎ C:\\data");
  });
});

describe("formatPanelLine: a line the live progress panel logs above itself", () => {
  it("keeps colours, drops cursor moves and erases, keeps the last drawing, escapes other controls", () => {
    expect(formatPanelLine("\x1b[31mred\x1b[0m and plain")).toBe("\x1b[31mred\x1b[0m and plain");
    // tqdm-style: erase the line, move up, redraw; a bell at the end
    expect(formatPanelLine("\x1b[2K\x1b[1Aepoch 1  10%\repoch 1 100%\x07")).toBe("epoch 1 100%\\x07");
    expect(formatPanelLine("\x1b]0;title\x07\x1b[1;32mok\x1b[0m")).toBe("\x1b[1;32mok\x1b[0m");
    expect(formatPanelLine("plain text")).toBe("plain text");
  });

  it("expands a tab to the next stop counting only what shows, not the colour codes", () => {
    expect(formatPanelLine("\x1b[32mab\x1b[0m\tc")).toBe("\x1b[32mab\x1b[0m      c");
    expect(formatPanelLine("abcdefgh\ti")).toBe("abcdefgh        i");
  });

  it("leaves no control character but the colours' ESC", () => {
    const out = formatPanelLine("a\x00b\x1b[5Gc\x1b[33md\x1b[m\x7f\x9b2J");
    expect(out.replace(/\x1b\[[0-9;:]*m/g, "")).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(out).toBe("a\\x00bc\x1b[33md\x1b[m\\x7f");
  });
});
