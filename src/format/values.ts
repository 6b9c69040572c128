// How g shows values to people (pure): numbers with at most six significant
// digits, durations as H:MM:SS, times as local YYYY-MM-DD HH:MM:SS. Shared by
// g runs, g run's progress lines and every compare presenter.

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

/** A value as a cell or a flag is shown: numbers by formatNumber, the rest as they are (null as "null"). */
export function formatValue(v: number | string | boolean | null): string {
  return typeof v === "number" ? formatNumber(v) : String(v);
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

/** An ISO time as local `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
