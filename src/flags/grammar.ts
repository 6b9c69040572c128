// The flag grammar: one flag's text (`x=[-0.4:-0.2]`, `--alpha "uniform(1e-5, 1e-1, 3)"`)
// → a FlagSpec, and the specs of a command line → a search Space. Covers the
// Guild forms (lists, [LOW:HIGH], uniform/loguniform/range/linspace/logspace)
// and the Grid.ai forms (numpy draws, Python lists, tuples as range()).
// docs/flags.md is the user-facing description of every form and error.

import { UsageError } from "../errors.js";
import type { FlagValue } from "../store/types.js";
import type { Dimension, Rng, Space } from "./space.js";
import { findBrokenRequirement, drawNumpyValues, NON_SCALAR_DRAWS, NUMPY_DISTRIBUTIONS } from "./numpy-draws.js";
import type { DrawArg, DrawArgs, DrawParam } from "./numpy-draws.js";
import { isIntText, parseFlagValue, parseNumberText, unquote } from "./value.js";

/**
 * A Grid.ai draw, `uniform(1e-5, 1e-1, 3)`: `size` values from a numpy
 * distribution (flags/numpy-draws.ts), drawn when the space is materialised
 * with the batch's rng. `params` are named as numpy names them, defaults filled in.
 */
export interface DrawSpec {
  type: "draw";
  distribution: string;
  params: DrawArgs;
  size: number;
  /** The text as the user wrote it, for notes. */
  text: string;
}

export type FlagSpec = Dimension | DrawSpec;

/** More values than this from one flag is almost certainly a typo (range[0:1e9]). */
export const MAX_FLAG_VALUES = 10_000;

const GUILD_FUNCTIONS = ["uniform", "loguniform", "log-uniform", "range", "linspace", "logspace"];

const BRACKET_FUNCTION = /^([A-Za-z_][\w.-]*)\[(.*)$/s;
const CALL = /^((?:(?:np|numpy)\.(?:random\.)?)?)([A-Za-z_]\w*)\s*\((.*)$/s;

/**
 * One flag's text (or `true` for a bare `--name`) → its spec. Anything that is
 * none of the search forms is a plain value (`const`); a text that almost is
 * one (`[1:]`, `uniform(1, 2`, `range[1:10:0]`) throws a UsageError naming the
 * flag, what was expected and an example.
 */
export function parseFlagSpec(name: string, text: string | true): FlagSpec {
  if (text === true) return { type: "const", value: true };
  const t = text.trim();
  // A quoted text is always a plain string: the way to pass "[1:2]" literally.
  const quoted = unquote(t);
  if (quoted !== undefined) return { type: "const", value: quoted };
  const err = (problem: string, fix: string) => new UsageError(`flag ${name}: "${shorten(text)}" ${problem}; ${fix}`);

  if (t.startsWith("[")) {
    if (!t.endsWith("]"))
      throw err(
        "opens a bracket it does not close",
        `write ${name}=[A,B,C] for a list or ${name}=[LOW:HIGH] for a range, e.g. ${name}=[0.1,0.2] (quote it, ${name}="'${shorten(t)}'", for that text)`,
      );
    return parseBracket(name, t.slice(1, -1), err);
  }

  const fn = BRACKET_FUNCTION.exec(t);
  if (fn) {
    const fname = fn[1]!.toLowerCase();
    const known = GUILD_FUNCTIONS.includes(fname);
    if (!t.endsWith("]")) {
      if (known) throw err(`opens ${fn[1]}[ but does not close it`, `write ${example(name, fname)}`);
      return constOf(text);
    }
    const inner = t.slice(fn[1]!.length + 1, -1);
    if (known) return parseGuildFunction(name, fname, inner, err);
    if (topLevelIncludes(inner, ":")) {
      throw err(
        `uses an unknown function ${fn[1]}[...]`,
        `the functions are ${GUILD_FUNCTIONS.join(", ")}, e.g. ${name}=uniform[0:1] (quote it, ${name}="'${shorten(t)}'", for that text)`,
      );
    }
    return constOf(text);
  }

  const call = CALL.exec(t);
  if (call) {
    const dname = call[2]!.toLowerCase();
    const dist = Object.hasOwn(NUMPY_DISTRIBUTIONS, dname) ? NUMPY_DISTRIBUTIONS[dname] : undefined;
    if (dist) {
      if (!t.endsWith(")")) throw err(`opens ${call[2]}( but does not close it`, `write ${name}="${dname}(${dist.example})"`);
      return parseDraw(name, dname, t.slice(t.indexOf("(") + 1, -1), text, err);
    }
    const nonScalar = Object.hasOwn(NON_SCALAR_DRAWS, dname) ? NON_SCALAR_DRAWS[dname] : undefined;
    if (nonScalar !== undefined) {
      throw err(
        `calls numpy's ${dname}, which ${nonScalar}, and a flag takes one value per trial`,
        `draw each value as a flag of its own, e.g. ${name}="beta(2, 5, 3)"`,
      );
    }
    if (call[1] !== "") {
      throw err(
        `draws from ${call[2]}, which is not a numpy distribution`,
        `use one of numpy's, e.g. ${name}="uniform(1e-5, 1e-1, 3)" (docs/flags.md lists them)`,
      );
    }
    return constOf(text);
  }

  if (t.startsWith("(")) {
    if (!t.endsWith(")"))
      throw err(
        "opens a parenthesis it does not close",
        `write ${name}="(START, STOP, STEP)" for Python's range, e.g. ${name}="(1, 10, 2)"`,
      );
    const spec = parseTuple(name, t.slice(1, -1), err);
    if (spec) return spec;
  }
  return constOf(text);
}

/** Draws every Grid.ai draw with the rng, in flag order; other specs pass through. */
export function materializeSpace(specs: Record<string, FlagSpec>, rng: Rng): Space {
  const space: Space = {};
  for (const [name, spec] of Object.entries(specs)) {
    space[name] = spec.type === "draw" ? { type: "choice", values: drawValues(spec, rng) } : spec;
  }
  return space;
}

/** The values of a draw, as numpy would produce them (repeats possible, as in numpy). */
export function drawValues(spec: DrawSpec, rng: Rng): FlagValue[] {
  return drawNumpyValues(NUMPY_DISTRIBUTIONS[spec.distribution]!, spec.params, spec.size, rng);
}

type Err = (problem: string, fix: string) => UsageError;

/** Flag text longer than this is cut in error messages, which stay one readable line. */
const MAX_SHOWN_TEXT = 60;

function shorten(text: string): string {
  return text.length > MAX_SHOWN_TEXT ? `${text.slice(0, MAX_SHOWN_TEXT - 3)}...` : text;
}

function constOf(text: string): Dimension {
  return { type: "const", value: parseFlagValue(text) };
}

function example(name: string, fname: string): string {
  switch (fname) {
    case "range":
      return `${name}=range[START:STOP:STEP], e.g. ${name}=range[1:10:2]`;
    case "linspace":
      return `${name}=linspace[START:STOP:COUNT], e.g. ${name}=linspace[0:1:5]`;
    case "logspace":
      return `${name}=logspace[START:STOP:COUNT], e.g. ${name}=logspace[-5:-1:5] (powers of 10)`;
    case "loguniform":
    case "log-uniform":
      return `${name}=loguniform[LOW:HIGH] with LOW above 0, e.g. ${name}=loguniform[1e-5:1e-1]`;
    default:
      return `${name}=[LOW:HIGH], e.g. ${name}=[-0.4:-0.2]`;
  }
}

/** `[...]`: a range `[LOW:HIGH]` when it has a top-level colon, else a list. */
function parseBracket(name: string, inner: string, err: Err): Dimension {
  if (topLevelIncludes(inner, ":")) return parseUniform(name, "uniform", splitTop(inner, ":"), err);
  const items = splitListItems(inner);
  if (typeof items === "string") throw err(items, `write a list as ${name}=[A,B,C], e.g. ${name}=[32,64,128] or ${name}=['a b','c']`);
  if (items.length === 0) throw err("is an empty list", `give at least one value, e.g. ${name}=[1,2,3]`);
  const values: FlagValue[] = [];
  for (const item of items) {
    if (item.startsWith("[") || item.startsWith("("))
      throw err(
        `holds a nested list ${shorten(item)}`,
        `flag values are numbers, strings or booleans; quote the item to make it text, e.g. ${name}=['${shorten(item)}']`,
      );
    values.push(parseFlagValue(item));
  }
  return { type: "choice", values };
}

function parseUniform(name: string, fname: string, parts: string[], err: Err): Dimension {
  const fix = `write ${example(name, fname)}`;
  const kind = fname === "uniform" ? "a range" : `a ${fname} range`;
  if (parts.length > 3)
    throw err(`looks like ${kind} but has ${parts.length} values where a range has 2 (or 3 with an initial value)`, fix);
  const [lowText, highText, initialText] = parts.map((p) => p.trim()) as [string, string, string | undefined];
  if (lowText === "") throw err(`looks like ${kind} but has no lower bound`, fix);
  if (highText === "") throw err(`looks like ${kind} but has no upper bound`, fix);
  const low = parseNumberText(lowText);
  const high = parseNumberText(highText);
  if (low === undefined || high === undefined) {
    throw err(
      `looks like ${kind} but its bounds are not both numbers`,
      `${fix} (a list of texts with colons needs quotes: ${name}=['a:b','c'])`,
    );
  }
  if (!(low < high)) throw err(`looks like ${kind} but its lower bound is not below its upper bound`, fix);
  // As with [1.0:10], one value written as a float (the initial one included) makes it a float range.
  const integer = isIntText(lowText) && isIntText(highText) && (initialText === undefined || isIntText(initialText));
  if (fname !== "uniform" && low <= 0) throw err("is a log-uniform range that starts at or below 0", fix);
  const dim: Extract<Dimension, { type: "uniform" | "loguniform" }> = { type: fname === "uniform" ? "uniform" : "loguniform", low, high };
  if (integer) dim.integer = true;
  // Guild's [LOW:HIGH:INITIAL]: the first trial's value.
  if (initialText !== undefined) {
    const initialFix = `write ${name}=[LOW:HIGH:INITIAL] with INITIAL inside the range, e.g. ${name}=[0.1:0.5:0.2]`;
    const initial = parseNumberText(initialText);
    if (initial === undefined) throw err(`gives the initial value "${shorten(initialText)}", which is not a number`, initialFix);
    if (initial < low || initial > high)
      throw err(`gives the initial value ${initialText}, which is outside [${lowText}, ${highText}]`, initialFix);
    dim.initial = initial;
  }
  return dim;
}

function parseGuildFunction(name: string, fname: string, inner: string, err: Err): Dimension {
  if (fname === "uniform" || fname === "loguniform" || fname === "log-uniform") {
    return parseUniform(name, fname === "uniform" ? "uniform" : "loguniform", splitTop(inner, ":"), err);
  }
  const fix = `write ${example(name, fname)}`;
  const parts = inner.trim() === "" ? [] : splitTop(inner, ":").map((p) => p.trim());
  const nums = parts.map((p) => parseNumberText(p));
  const bad = parts.findIndex((p, i) => nums[i] === undefined);
  if (bad >= 0) throw err(`gives ${fname} a value "${parts[bad]}" that is not a number`, fix);
  const n = nums as number[];
  if (fname === "range") {
    if (n.length < 2 || n.length > 3) throw err(`gives range ${n.length} value(s) where it takes START:STOP or START:STOP:STEP`, fix);
    const [start, stop] = n as [number, number];
    const step = n[2] ?? (stop >= start ? 1 : -1);
    if (step === 0) throw err("has a step of 0", fix);
    const count = Math.floor((stop - start) / step + 1e-9) + 1;
    if (count < 1) throw err(`has no values: a step of ${step} never reaches ${stop} from ${start}`, fix);
    if (count > MAX_FLAG_VALUES)
      throw err(
        `has ${count} values, more than ${MAX_FLAG_VALUES}`,
        `use a larger step, e.g. ${name}=range[${start}:${stop}:${(stop - start) / 10}]`,
      );
    // Guild's range includes STOP; float steps are rounded so 0.1 steps read 0.3, not 0.30000000000000004.
    const values = Array.from({ length: count }, (_, i) => clean(start + i * step));
    return { type: "choice", values };
  }
  // linspace and logspace: START:STOP[:COUNT] (logspace also [:BASE]); COUNT defaults to 5, as in Guild.
  const maxArgs = fname === "logspace" ? 4 : 3;
  if (n.length < 2 || n.length > maxArgs)
    throw err(`gives ${fname} ${n.length} value(s) where it takes START:STOP${fname === "logspace" ? "[:COUNT[:BASE]]" : "[:COUNT]"}`, fix);
  const [start, stop] = n as [number, number];
  const count = n[2] ?? 5;
  if (!Number.isInteger(count) || count < 1) throw err(`asks for ${count} values; COUNT is a whole number of at least 1`, fix);
  if (count > MAX_FLAG_VALUES) throw err(`asks for ${count} values, more than ${MAX_FLAG_VALUES}`, fix);
  const base = n[3] ?? 10;
  if (base <= 0) throw err("has a base at or below 0", fix);
  const values = Array.from({ length: count }, (_, i) => {
    const v = count === 1 ? start : start + ((stop - start) * i) / (count - 1);
    return clean(fname === "logspace" ? base ** v : v);
  });
  return { type: "choice", values };
}

/** Rounds away float noise from arithmetic (15 significant digits keep every value a user types). */
function clean(v: number): number {
  return Number(v.toPrecision(15));
}

function parseDraw(name: string, d: string, inner: string, text: string, err: Err): DrawSpec {
  const dist = NUMPY_DISTRIBUTIONS[d]!;
  const order = dist.params.map((p) => p.name);
  const fix = `write ${name}="${d}(${dist.example})" (${order.join(", ")})`;
  const given: Record<string, string> = {};
  const args = inner.trim() === "" ? [] : splitTop(inner, ",").map((a) => a.trim());
  let position = 0;
  let keywordSeen = false;
  for (const arg of args) {
    const kw = /^([A-Za-z_]\w*)\s*=\s*(.*)$/s.exec(arg);
    const key = kw ? kw[1]! : order[position++];
    const valueText = kw ? kw[2]! : arg;
    if (kw) keywordSeen = true;
    else if (keywordSeen) throw err(`has a positional value after a keyword one in ${d}(...)`, fix);
    if (key === undefined) throw err(`gives ${d} more than ${order.length} values`, fix);
    if (!order.includes(key)) throw err(`gives ${d} an unknown parameter ${key}`, fix);
    if (key in given) throw err(`gives ${d} its ${key} twice`, fix);
    given[key] = valueText;
  }
  const params: DrawArgs = {};
  for (const param of dist.params) {
    const valueText = given[param.name];
    if (valueText === undefined || (param.default !== undefined && valueText === "None")) {
      if (param.default === undefined) throw err(`does not give ${d} its ${param.name}`, fix);
      params[param.name] = param.default;
    } else params[param.name] = readDrawArg(d, param, valueText, err, fix);
  }
  const size = params.size as number;
  delete params.size;
  if (!Number.isInteger(size) || size < 1) throw err(`asks for ${size} values; size is a whole number of at least 1`, fix);
  if (size > MAX_FLAG_VALUES) throw err(`asks for ${size} values, more than ${MAX_FLAG_VALUES}`, fix);
  const broken = findBrokenRequirement(dist, { ...params, size });
  if (broken !== null) throw err(`gives ${d} ${broken}`, fix);
  return { type: "draw", distribution: d, params: dist.normalize ? dist.normalize(params) : params, size, text: text.trim() };
}

/** One argument of a numpy call, read as its parameter's kind says. */
function readDrawArg(d: string, param: DrawParam, valueText: string, err: Err, fix: string): DrawArg {
  const what = `gives ${d} a ${param.name} "${shorten(valueText)}" that is not`;
  switch (param.kind) {
    case "number":
    case "int": {
      const v = parseNumberText(valueText);
      if (param.name === "size") {
        if (valueText.startsWith("(") || valueText.startsWith("["))
          throw err(`gives ${d} the shape ${shorten(valueText)} as its size; a flag's values are a list, so size is one whole number`, fix);
        if (v === undefined) throw err(`${what} a number`, fix);
        return v; // checked with its own message by parseDraw
      }
      if (v === undefined) throw err(`${what} a number`, fix);
      if (param.kind === "int" && !Number.isInteger(v)) throw err(`${what} a whole number`, fix);
      return v;
    }
    case "bool":
      if (/^true$/i.test(valueText)) return true;
      if (/^false$/i.test(valueText)) return false;
      throw err(`${what} True or False`, fix);
    case "dtype": {
      const type = (unquote(valueText) ?? valueText).replace(/^(?:np|numpy)\./, "");
      if (/^(?:u?int(?:8|16|32|64)?|int_)$/.test(type)) return null;
      throw err(`${what} an integer dtype (int64, int32, ...); flag values drawn by ${d} are whole numbers`, fix);
    }
    case "population":
    case "numbers": {
      const v = parseNumberText(valueText);
      if (param.kind === "population" && v !== undefined) {
        if (!Number.isInteger(v)) throw err(`${what} a list or a whole number`, fix);
        return v;
      }
      if (!valueText.startsWith("[") || !valueText.endsWith("]")) throw err(`${what} a list, e.g. [0.2, 0.8]`, fix);
      const items = splitListItems(valueText.slice(1, -1));
      if (typeof items === "string") throw err(`gives ${d} a ${param.name} that ${items}`, fix);
      if (items.some((i) => i.startsWith("[") || i.startsWith("(")))
        throw err(`gives ${d} a nested list as ${param.name}; a flag takes one value per trial`, fix);
      const values = items.map(parseFlagValue);
      if (param.kind === "numbers" && values.some((x) => typeof x !== "number")) throw err(`${what} a list of numbers`, fix);
      return values;
    }
  }
}

/** `(START, STOP[, STEP])` is Python's range (STOP excluded); null when the parentheses hold no commas and no number (plain text such as "(default)"). */
function parseTuple(name: string, inner: string, err: Err): Dimension | null {
  const parts = splitTop(inner, ",").map((p) => p.trim());
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length === 1 && parseNumberText(parts[0]!) === undefined) return null;
  const fix = `write ${name}="(START, STOP, STEP)" with whole numbers, e.g. ${name}="(1, 10, 2)" (for fractional steps use ${name}=range[0.1:0.5:0.1])`;
  if (parts.length > 3) throw err(`gives Python's range ${parts.length} values where it takes at most 3`, fix);
  const nums = parts.map((p) => parseNumberText(p));
  if (nums.some((v, i) => v === undefined || !isIntText(parts[i]!)))
    throw err("is read as Python's range(...) but not all its values are whole numbers", fix);
  const n = nums as number[];
  const [start, stop, step] = n.length === 1 ? [0, n[0]!, 1] : [n[0]!, n[1]!, n[2] ?? 1];
  if (step === 0) throw err("has a step of 0", fix);
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count === 0) throw err(`is an empty range: range(${n.join(", ")}) has no values`, fix);
  if (count > MAX_FLAG_VALUES) throw err(`has ${count} values, more than ${MAX_FLAG_VALUES}`, fix);
  return { type: "choice", values: Array.from({ length: count }, (_, i) => start + i * step) };
}

/** Whether `ch` occurs outside quotes and nested brackets. */
function topLevelIncludes(text: string, ch: string): boolean {
  return splitTop(text, ch).length > 1;
}

/** Splits on `sep` outside quotes and nested brackets/parentheses, keeping empty parts. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quote: string | null = null;
  let depth = 0;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === "[" || ch === "(") {
      depth++;
    } else if (ch === "]" || ch === ")") {
      depth--;
    } else if (ch === sep && depth === 0) {
      parts.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

/**
 * A list's items, separated by commas and/or whitespace (numpy prints
 * `['a' 'b']`, Python writes `['a', 'b']`); quotes keep spaces and commas in
 * an item. Returns a problem description instead when the list is malformed.
 */
function splitListItems(inner: string): string[] | string {
  const items: string[] = [];
  let current = "";
  let quote: string | null = null;
  let depth = 0;
  let afterComma = true; // at the start, a comma would be an empty item
  const endItem = () => {
    if (current !== "") {
      items.push(current);
      current = "";
      afterComma = false;
    }
  };
  for (const ch of inner) {
    if (quote) {
      current += ch;
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "[" || ch === "(") depth++;
    else if (ch === "]" || ch === ")") depth--;
    else if (depth === 0 && /\s/.test(ch)) {
      endItem();
      continue;
    } else if (depth === 0 && ch === ",") {
      if (current === "" && afterComma) return "has an empty item between commas";
      endItem();
      afterComma = true;
      continue;
    }
    current += ch;
  }
  if (quote) return `has an unclosed ${quote} quote`;
  if (depth !== 0) return "has unbalanced brackets";
  endItem();
  return items;
}
