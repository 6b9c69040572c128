import { afterEach, describe, expect, it } from "vitest";
import { formatTime, timeFormatterMs } from "../../src/format/values.js";

// timeFormatterMs breaks local time down by arithmetic with an offset found once an hour; formatTime asks a Date.
// They must agree everywhere, across changes of offset included (DST, half-hour and 45-minute zones).
const ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns", "Pacific/Chatham"];
const savedTz = process.env.TZ;

afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

/** Times across 2026 at every 37 minutes and 13 seconds, and each second of the hours around the offset changes. */
function sampleTimes(): number[] {
  const start = Date.parse("2026-01-01T00:00:00.000Z");
  const end = Date.parse("2027-01-01T00:00:00.000Z");
  const out: number[] = [];
  for (let ms = start; ms < end; ms += 37 * 60_000 + 13_456) out.push(ms);
  // The instants the offset changes in these zones fall on the hour or half hour UTC in 2026: the seconds around every one.
  for (let hour = start; hour < end; hour += 1_800_000) for (const d of [-1, 0]) out.push(hour + d);
  // Before 1970, far ahead, and a zone's local mean time (offsets with seconds).
  out.push(Date.parse("1883-11-18T16:59:59.999Z"), Date.parse("1901-12-13T20:45:52Z"), Date.parse("1969-12-31T23:59:59.999Z"));
  out.push(Date.parse("2100-02-28T23:59:59Z"), Date.parse("2400-02-29T12:00:00Z"), Date.parse("+012345-06-07T08:09:10Z"));
  out.push(Date.parse("0050-01-01T00:00:00Z"), Date.parse("-000001-12-31T23:59:59Z"));
  return out;
}

describe("timeFormatterMs", () => {
  for (const zone of ZONES) {
    it(`gives formatTime's text for times in ${zone}`, () => {
      process.env.TZ = zone;
      const format = timeFormatterMs();
      const wrong: string[] = [];
      for (const ms of sampleTimes()) {
        const iso = new Date(ms).toISOString();
        const want = formatTime(iso);
        if (format(ms) !== want) wrong.push(`${iso}: ${format(ms)} != ${want}`);
      }
      expect(wrong.slice(0, 5)).toEqual([]);
    });
  }
});
