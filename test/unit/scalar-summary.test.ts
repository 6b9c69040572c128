import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { summarizeScalarText, summarizeScalars } from "../../src/store/scalar-files.js";
import type { ScalarRecord } from "../../src/store/types.js";

/** The reference: every line through JSON.parse, as readScalarsFile reads a scalars.jsonl. */
function summarizeByParsing(text: string) {
  const records: ScalarRecord[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const r = JSON.parse(line) as ScalarRecord;
      if (typeof r.key === "string" && typeof r.value === "number") records.push(r);
    } catch {
      /* torn */
    }
  }
  return summarizeScalars(records);
}

/** Lines of the shapes writers produce, and of the shapes a crash or a hand edit leaves. */
const ODD_LINES = [
  '{"key":"loss","value":0.5,"step":1,"t":1.5,"exp":"e1"}', // an SDK experiment's mark
  '{"key": "loss", "value": 2, "step": 3, "t": 4}', // spaces
  '{"key":"lo\\"ss","value":1,"step":null,"t":1}', // an escaped key
  '{"key":"loss","value":NaN,"step":1,"t":1}', // not JSON
  '{"key":"loss","value":1e999,"step":1,"t":1}', // JSON.parse gives Infinity
  '{"key":"loss","value":"3","step":1,"t":1}', // a string value: not a scalar
  '{"key":"loss","value":01,"step":1,"t":1}', // a leading zero: not JSON
  '{"key":"loss","value":1,"step":"two","t":1}', // a step that is not a number
  '{"key":"loss","value":1,"step":1,"t":1,"value":7}', // a repeated field: JSON.parse keeps the last
  '{"value":1,"key":"acc","step":2,"t":1}', // another field order
  '{"key":"__proto__","value":1,"step":1,"t":1}',
  '{"key":"toString","value":2,"step":1,"t":1}',
  '{"key":"loss","val', // torn by a crash
  "",
  "garbage",
  '{"key":"loss","value":-0.0,"step":-1,"t":-2.5e-3}\r',
];

function randomText(rng: () => number): string {
  const lines: string[] = [];
  const n = Math.floor(rng() * 60);
  for (let i = 0; i < n; i++) {
    if (rng() < 0.25) {
      lines.push(ODD_LINES[Math.floor(rng() * ODD_LINES.length)]!);
      continue;
    }
    const key = ["loss", "acc", "val/loss", "ünï", "a b"][Math.floor(rng() * 5)]!;
    const value = rng() < 0.1 ? Math.floor(rng() * 100) : (rng() - 0.5) * 10 ** Math.floor(rng() * 40 - 20);
    const step = rng() < 0.3 ? null : Math.floor(rng() * 1000);
    lines.push(JSON.stringify({ key, value, step, t: 1_700_000_000 + rng() * 1000 }));
  }
  // With or without a final newline, as a file cut anywhere may end.
  return lines.join("\n") + (rng() < 0.5 ? "\n" : "");
}

describe("summarizeScalarText", () => {
  it("gives what parsing every line gives, for the lines writers produce and odd ones", () => {
    const rng = seedrandom("scalar-text");
    for (let i = 0; i < 500; i++) {
      const text = randomText(rng);
      expect(summarizeScalarText(text), text).toEqual(summarizeByParsing(text));
    }
  });

  it("summarises each odd line alone as JSON.parse reads it", () => {
    for (const line of ODD_LINES) expect(summarizeScalarText(line), line).toEqual(summarizeByParsing(line));
  });

  it("gives what parsing gives for files of many keys, logged in turn or in any order", () => {
    const rng = seedrandom("many-keys");
    for (let i = 0; i < 40; i++) {
      const keys = Array.from({ length: 1 + Math.floor(rng() * 40) }, (_, k) => `m${k}${k % 3 === 0 ? "/x" : ""}`);
      const lines: string[] = [];
      for (let step = 0; step < 30; step++) {
        for (let k = 0; k < keys.length; k++) {
          const key = i % 2 === 0 ? keys[k]! : keys[Math.floor(rng() * keys.length)]!;
          lines.push(JSON.stringify({ key, value: Math.round((rng() - 0.5) * 1e6) / 1e3, step, t: 1_700_000_000.5 + step }));
          if (rng() < 0.02) lines.push(ODD_LINES[Math.floor(rng() * ODD_LINES.length)]!);
        }
      }
      const text = lines.join("\n") + "\n";
      expect(summarizeScalarText(text)).toEqual(summarizeByParsing(text));
    }
  });

  it("counts a key from its first whole line, whatever came before it", () => {
    const text = [
      '{"key":"loss","value":1,"step":"two","t":1}', // a plain key, then a step JSON.parse keeps
      '{"key":"acc","val', // torn after its key: acc has no value yet
      '{"key":"loss","value":0.5,"step":2,"t":2}',
      '{"key":"acc","value":3,"step":2,"t":2}',
    ].join("\n");
    const got = summarizeScalarText(text);
    expect(Object.keys(got)).toEqual(["loss", "acc"]);
    expect(got).toEqual(summarizeByParsing(text));
  });

  it("keeps a scalar named __proto__ as its own key", () => {
    const s = summarizeScalarText('{"key":"__proto__","value":3,"step":1,"t":1}\n{"key":"__proto__","value":1,"step":2,"t":1}\n');
    expect(Object.keys(s)).toEqual(["__proto__"]);
    expect(s["__proto__"]).toMatchObject({ last: 1, first: 3, min: 1, max: 3, count: 2, step: 2 });
    expect(({} as Record<string, unknown>).last).toBeUndefined();
  });
});

describe("summarizeScalarBytes's numbers", () => {
  it("reads every number as JSON.parse does, fast path or not", () => {
    const rng = seedrandom("numbers");
    const texts = [
      "0",
      "-0",
      "-0.0",
      "1",
      "10",
      "0.1",
      "0.3",
      "123456789012345",
      "1234567890123456",
      "9007199254740993",
      "0.000001",
      "1e22",
      "1e23",
      "1.5e-7",
      "-2.5E+3",
      "0.1000000000000000055511151231257827",
      "17976931348623157e292",
      "4.9e-324",
      "2.2250738585072011e-308",
      "123.456",
      "99999999999999.9",
      "0.12345678901234567890",
      // Either side of 2^53, where a mantissa stops being exact (the fast path's bound).
      "9007199254740991",
      "9007199254740992",
      "0.9007199254740991",
      "0.9007199254740993",
      "90071992547409.93",
      "1.7976931348623157",
      "0.0000000000000000000001",
      "1.0000000000000000000001",
    ];
    for (let k = 0; k < 3000; k++) {
      const v = (rng() - 0.5) * 10 ** Math.floor(rng() * 60 - 30);
      texts.push(String(v), v.toFixed(Math.floor(rng() * 12)), v.toPrecision(1 + Math.floor(rng() * 20)));
    }
    const lines = texts.map((v, i) => `{"key":"k${i % 7}","value":${v},"step":${i % 5 === 0 ? "null" : v.replace(/^-/, "")},"t":${v}}`);
    const text = lines.join("\n");
    expect(summarizeScalarText(text)).toEqual(summarizeByParsing(text));
    for (const line of lines) expect(summarizeScalarText(line), line).toEqual(summarizeByParsing(line));
  });
});
