// Python's text for values, as W&B's agent writes them on a trial's command
// line: `${args}` is `f"--{name}={value}"`, i.e. Python's str() of the value
// (True, None, 1e-05, 1.0, [1, 2], {'lr': 0.1}), and `${args_json}` is
// json.dumps() of them ({"lr": 1e-05}). Scripts that compare a flag with
// "True" or parse "1e-05" then behave under g as they do under W&B. Pure.

/** A float as Python holds it: 1.0 stays "1.0" (a JS number cannot tell 1.0 from 1). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A value whose str() and json.dumps() texts were made earlier (a list or mapping from sweep.yaml). */
export class PyRaw {
  constructor(
    readonly repr: string,
    readonly json: string,
  ) {}
}

/** A value as W&B's agent holds it: ints are whole JS numbers, floats PyFloat (or a JS number with a fraction). */
export type PyValue = null | boolean | string | number | PyFloat | PyRaw | PyValue[] | { [key: string]: PyValue };

/** Python's repr() of a float: the shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function formatPyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // toExponential() without digits gives the shortest digits that read back as x, like Python's repr.
  const [mantissa, exp] = x.toExponential().split("e") as [string, string];
  const e = Number(exp);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  // Python's float_repr_style 'short': the decimal point's position decpt = e + 1; exponent form when decpt <= -4 or decpt > 16.
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
  const frac = digits.slice(e + 1);
  return `${sign}${whole}.${frac === "" ? "0" : frac}`;
}

function formatNumber(v: number | PyFloat): string {
  if (v instanceof PyFloat) return formatPyFloat(v.value);
  return Number.isInteger(v) && Math.abs(v) < 1e21 ? BigInt(v).toString() : formatPyFloat(v);
}

/** Python's repr() of a str: single quotes unless the text holds ' and no ". */
function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's repr() of the value (what str() shows inside a list or dict). */
export function pyRepr(v: PyValue): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return reprString(v);
  if (typeof v === "number" || v instanceof PyFloat) return formatNumber(v);
  if (v instanceof PyRaw) return v.repr;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${reprString(k)}: ${pyRepr(x)}`)
    .join(", ")}}`;
}

/** Python's str() of the value: a str as it is, everything else as repr(). */
export function pyStr(v: PyValue): string {
  return typeof v === "string" ? v : pyRepr(v);
}

function jsonString(s: string): string {
  // json.dumps escapes every non-ASCII character (ensure_ascii=True).
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Python's json.dumps(v) with its defaults: ", " and ": " separators, floats as repr(), ASCII only. */
export function pyJsonDumps(v: PyValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return jsonString(v);
  if (typeof v === "number" || v instanceof PyFloat) {
    const x = v instanceof PyFloat ? v.value : v;
    if (Number.isNaN(x)) return "NaN";
    if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
    return formatNumber(v);
  }
  if (v instanceof PyRaw) return v.json;
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(", ")}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${jsonString(k)}: ${pyJsonDumps(x)}`)
    .join(", ")}}`;
}
