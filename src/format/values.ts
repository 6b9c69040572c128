// How g shows values to people (pure): numbers with at most six significant
// digits, durations as H:MM:SS, times as local YYYY-MM-DD HH:MM:SS, text with
// its control characters escaped. Shared by g runs, g run's progress lines and
// every compare presenter.

/** 6 significant digits, trailing zeros dropped; exponent form for the very large or small. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e15)) return trimExponent(v.toExponential(5));
  // Below 1e6, toPrecision(6) is plain decimal text, and with its trailing zeros dropped it is what the
  // general path below gives, a value of 6 digits or fewer included (its 6-digit rounding is itself):
  // one conversion instead of three, for the millions of cells of a big table.
  if (abs < 1e6) {
    const p = v.toPrecision(6);
    if (!p.includes("e")) return dropTrailingZeros(p); // 999999.5 rounds to 1.00000e+6: the general path
  }
  const plain = String(v);
  // Most logged values already have few digits; toPrecision is the slow part of a big table.
  if (significantDigits(plain) <= 6) return plain;
  return String(Number(v.toPrecision(6)));
}

/**
 * A value as a cell or a flag is shown: numbers by formatNumber, text by
 * escapeControlChars, the rest as they are (null as "null").
 */
export function formatValue(v: number | string | boolean | null): string {
  if (typeof v === "number") return formatNumber(v);
  return typeof v === "string" ? escapeControlChars(v) : String(v);
}

/** C0 controls, DEL and C1 controls: what moves a terminal's cursor or starts an escape sequence. */
const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_CHARS = new RegExp(CONTROL_CHAR.source, "g");
const NAMED_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Text as one line of a table or a message shows it: a newline as the two
 * characters `\n`, a carriage return as `\r`, a tab as `\t`, any other control
 * character as `\xHH`. A raw newline would split a table's row in two, a
 * carriage return overwrite it, an escape byte restyle the terminal; a
 * backslash itself is left as it is (JSON gives the exact text).
 */
export function escapeControlChars(text: string): string {
  if (!CONTROL_CHAR.test(text)) return text;
  return text.replace(CONTROL_CHARS, (c) => NAMED_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Significant digits of a plain decimal ("-0.0012340" → 5); 99 for exponent forms. */
function significantDigits(s: string): number {
  let i = s.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  while (i < s.length && (s.charCodeAt(i) === 48 /* 0 */ || s.charCodeAt(i) === 46) /* . */) i++;
  let n = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
    else if (c !== 46) return 99;
  }
  return n;
}

/** "0.0927360" → "0.092736", "100.000" → "100", "828050" as it is (plain decimal text, no exponent). */
function dropTrailingZeros(s: string): string {
  if (!s.includes(".")) return s; // 828050: a whole number, its zeros are digits
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (s.charCodeAt(end - 1) === 46 /* . */) end--;
  return end === s.length ? s : s.slice(0, end);
}

function trimExponent(s: string): string {
  return s.replace(/\.?0+e/, "e");
}

/** H:MM:SS, as Guild shows a run's time. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/** Milliseconds in an hour: the local offset is looked up once an hour of UTC time (see timeFormatterMs). */
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * formatTime for a time given as milliseconds since the epoch, without a Date
 * a call: the local offset is found once for each hour of UTC time (from a Date
 * at its first and its last millisecond; an hour whose two differ, one with a
 * change of offset in it, formats each time through a Date), and the local
 * time is broken down by arithmetic. One formatter a column: a table of
 * 100 000 runs spans a few thousand hours.
 */
export function timeFormatterMs(offsetAt: (ms: number) => number = localOffsetFinder()): (ms: number) => string {
  return (ms) => {
    const offset = offsetAt(ms);
    if (Number.isNaN(offset)) return formatDate(new Date(ms));
    return formatUtcFields(ms + offset);
  };
}

/**
 * How far local time is ahead of UTC at a time given as milliseconds (ms),
 * found once for each hour of UTC time (from a Date at its first and its last
 * millisecond); NaN for an hour whose two differ (a change of offset in it) or
 * out of Date's range. timeFormatterMs's offsets, and what says whether a time
 * text kept by the index snapshot was made in this time zone.
 */
export function localOffsetFinder(): (ms: number) => number {
  const offsets = new Map<number, number>();
  return (ms) => {
    const hour = Math.floor(ms / HOUR_MS);
    let offset = offsets.get(hour);
    if (offset === undefined) {
      const first = localOffsetMs(hour * HOUR_MS);
      offset = first === localOffsetMs(hour * HOUR_MS + HOUR_MS - 1) ? first : NaN;
      offsets.set(hour, offset);
    }
    return offset;
  };
}

/** How far local time is ahead of UTC at `ms`, as the Date getters count it (ms; NaN for a time out of Date's range). */
function localOffsetMs(ms: number): number {
  const d = new Date(ms);
  const year = d.getFullYear();
  // Date.UTC reads years 0–99 as 1900–1999: such times take the Date path.
  if (year >= 0 && year <= 99) return NaN;
  return Date.UTC(year, d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()) - ms;
}

/** `YYYY-MM-DD HH:MM:SS` of the UTC fields of `ms` (a local time already shifted by its offset), as formatDate prints a Date's local fields. */
export function formatUtcFields(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const inDay = ms - days * DAY_MS;
  // Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's days_from_civil inverted).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const seconds = Math.floor(inDay / 1000);
  return `${year}-${two(month)}-${two(day)} ${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
}

/** Two digits, as `String(n).padStart(2, "0")` gives them for 0–99. */
function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A Date's local `YYYY-MM-DD HH:MM:SS`. */
function formatDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** An ISO time as local `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return formatDate(d);
}
