import { describe, expect, it } from "vitest";
import { LineSplitter, createScalarParser } from "../../src/runner/scalars.js";

describe("scalar lines", () => {
  it("records key: number lines and applies the last step: N", () => {
    const p = createScalarParser();
    expect(p.feed("loss: 0.5", 1)).toEqual({ key: "loss", value: 0.5, step: null, t: 1 });
    expect(p.feed("step: 3", 2)).toBeNull();
    expect(p.feed("val/acc: 1e-2", 3)).toEqual({ key: "val/acc", value: 0.01, step: 3, t: 3 });
    expect(p.feed("  loss:-2 ", 4)).toMatchObject({ key: "loss", value: -2, step: 3 });
  });

  it("ignores lines that are not key: number", () => {
    const p = createScalarParser();
    for (const line of ["loss = 0.5", "epoch 1: loss 0.3", "note: fine", "loss: 0.5 (best)", "", "http://x: 1"]) {
      expect(p.feed(line, 0), line).toBeNull();
    }
  });

  it("shows but does not record NaN and infinities, which JSON cannot hold", () => {
    const p = createScalarParser();
    expect(p.feed("loss: nan", 0)).toBeNull();
    expect(p.feed("loss: -inf", 0)).toBeNull();
    for (const line of ["loss: NaN", "loss: +Inf", "step: INF"]) expect(p.feed(line, 0), line).toBeNull();
    expect(p.feed("loss: 1", 0)).toMatchObject({ step: null });
  });

  it("takes keys and exponents in either case", () => {
    const p = createScalarParser();
    expect(p.feed("Val_Loss: 2E-1", 1)).toEqual({ key: "Val_Loss", value: 0.2, step: null, t: 1 });
    expect(p.feed("STEP: 4", 2)).toEqual({ key: "STEP", value: 4, step: null, t: 2 });
  });

  it("splits chunks into whole lines and keeps the unfinished tail", () => {
    const s = new LineSplitter();
    expect(s.push("loss: 1\nlo")).toEqual(["loss: 1"]);
    expect(s.push("ss: 2\r\nacc")).toEqual(["loss: 2"]);
    expect(s.flush()).toEqual(["acc"]);
    expect(s.flush()).toEqual([]);
  });
});
