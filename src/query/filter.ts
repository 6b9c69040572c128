// The `--filter EXPR` language of `g compare` (pure): comparisons of columns
// and literals joined by and/or/not, e.g. `loss < 0.2 and (=x > -1 or .status = "error")`.
//
// Grammar (lowest precedence first):
//   expr    := andExpr ("or" andExpr)*
//   andExpr := notExpr ("and" notExpr)*
//   notExpr := "not" notExpr | "(" expr ")" | operand OP operand
//   OP      := < <= > >= = == !=
//   operand := number | "string" | 'string' | true | false | column
// Columns are those of columns.ts: `loss`, `min loss`, `=x`, `.time`.

import { UsageError } from "../errors.js";
import { readColumnRef, type ColumnRef, type KnownNames } from "./columns.js";

export type CompareOp = "<" | "<=" | ">" | ">=" | "=" | "!=";
export type Literal = number | string | boolean;
export type Operand = { type: "literal"; value: Literal } | { type: "column"; ref: ColumnRef };

export type FilterExpr =
  | { type: "and" | "or"; left: FilterExpr; right: FilterExpr }
  | { type: "not"; expr: FilterExpr }
  | { type: "cmp"; op: CompareOp; left: Operand; right: Operand };

/** What a column holds for one run; null when the run lacks it. */
export type FilterValue = number | string | boolean | null;

const WHAT = "--filter";
/**
 * Parentheses and `not`s nested deeper than this are refused with a usage
 * error: parsing and evaluating recurse once per level, and 10 000 "(" would
 * overflow the stack. (Long and/or chains are not nested: they become balanced trees.)
 */
export const MAX_FILTER_NESTING = 100;
const OPERATORS = ["<=", ">=", "==", "!=", "<", ">", "="] as const;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/;

type Token =
  | { type: "op"; op: CompareOp; text: string; pos: number }
  | { type: "word"; word: "and" | "or" | "not"; pos: number }
  | { type: "("; pos: number }
  | { type: ")"; pos: number }
  | { type: "operand"; operand: Operand; text: string; pos: number }
  | { type: "end"; pos: number };

/**
 * Parses a filter; a bad expression is a UsageError naming the 1-based column.
 * `known`, the selected runs' names, makes the advice for a mistaken
 * qualifier sharper (see readColumnRef): an expression refused for it would
 * be refused without it too, by the check of its names.
 */
export function parseFilter(text: string, known?: KnownNames): FilterExpr {
  const tokens = tokenize(text, known);
  let i = 0;
  let nesting = 0;
  const peek = (): Token => tokens[i]!;
  const next = (): Token => tokens[i++]!;

  const parseOr = (): FilterExpr => {
    const terms = [parseAnd()];
    while (isWord(peek(), "or")) {
      next();
      terms.push(parseAnd());
    }
    return joinBalanced("or", terms);
  };
  const parseAnd = (): FilterExpr => {
    const terms = [parseNot()];
    while (isWord(peek(), "and")) {
      next();
      terms.push(parseNot());
    }
    return joinBalanced("and", terms);
  };
  const parseNot = (): FilterExpr => {
    const t = next();
    if ((t.type === "word" && t.word === "not") || t.type === "(") {
      if (++nesting > MAX_FILTER_NESTING) {
        throw new UsageError(
          `${WHAT}: "(" and "not" nest more than ${MAX_FILTER_NESTING} deep at column ${t.pos + 1}; simplify the expression`,
        );
      }
      const inner = parseNested(t);
      nesting--;
      return inner;
    }
    if (t.type !== "operand") throw error("expected a comparison such as loss < 0.2", t);
    return parseComparison(t);
  };
  const parseNested = (t: Token): FilterExpr => {
    if (t.type !== "(") return { type: "not", expr: parseNot() };
    const inner = parseOr();
    const close = next();
    if (close.type !== ")") throw error(`expected ")" to close the "(" at column ${t.pos + 1}`, close);
    return inner;
  };
  const parseComparison = (t: Extract<Token, { type: "operand" }>): FilterExpr => {
    const op = next();
    if (op.type !== "op") throw error(`expected an operator (< <= > >= = !=) after "${t.text}"`, op);
    const right = next();
    if (right.type !== "operand") throw error(`expected a value after "${op.text}"`, right);
    return { type: "cmp", op: op.op, left: t.operand, right: right.operand };
  };

  const expr = parseOr();
  const end = peek();
  if (end.type !== "end") {
    throw error(end.type === ")" ? 'unmatched ")"' : 'expected "and", "or" or the end', end);
  }
  return expr;

  function error(message: string, at: Token): UsageError {
    const where = at.type === "end" ? "at the end" : `at column ${at.pos + 1}`;
    return new UsageError(`${WHAT}: ${message} ${where} (e.g. --filter "loss < 0.2 and =x > -1")`);
  }
}

/** `a and b and c ...` as a balanced tree: the same truth value, but log(n) deep instead of n. */
function joinBalanced(type: "and" | "or", terms: FilterExpr[]): FilterExpr {
  if (terms.length === 1) return terms[0]!;
  const mid = terms.length >> 1;
  return { type, left: joinBalanced(type, terms.slice(0, mid)), right: joinBalanced(type, terms.slice(mid)) };
}

function isWord(t: Token, word: string): boolean {
  return t.type === "word" && t.word === word;
}

function tokenize(text: string, known: KnownNames | undefined): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const ch = text[pos]!;
    if (/\s/.test(ch)) {
      pos++;
      continue;
    }
    if (ch === "(" || ch === ")") {
      tokens.push({ type: ch, pos });
      pos++;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, pos));
    // `=x` is a flag column, `= x` or `= 1` the operator: an "=" right after an
    // operand is the operator, anywhere else it starts a flag name.
    if (op !== undefined && !(op === "=" && !previousIsOperand(tokens) && /[A-Za-z_]/.test(text[pos + 1] ?? ""))) {
      tokens.push({ type: "op", op: op === "==" ? "=" : op, text: op, pos });
      pos += op.length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const { value, end } = readString(text, pos);
      tokens.push({ type: "operand", operand: { type: "literal", value }, text: text.slice(pos, end), pos });
      pos = end;
      continue;
    }
    const num = NUMBER.exec(text.slice(pos));
    if (num && (ch !== "-" && ch !== "+" ? true : !previousIsOperand(tokens))) {
      const end = pos + num[0].length;
      if (/[A-Za-z_]/.test(text[end] ?? "")) throw new UsageError(`${WHAT}: bad number "${text.slice(pos, end + 1)}" at column ${pos + 1}`);
      tokens.push({ type: "operand", operand: { type: "literal", value: Number(num[0]) }, text: num[0], pos });
      pos = end;
      continue;
    }
    const word = /^[A-Za-z_]+/.exec(text.slice(pos))?.[0];
    const boundary = word !== undefined && !/[A-Za-z0-9_./@:-]/.test(text[pos + word.length] ?? "");
    if (boundary && (word === "and" || word === "or" || word === "not")) {
      tokens.push({ type: "word", word, pos });
      pos += word.length;
      continue;
    }
    if (boundary && (word === "true" || word === "false")) {
      tokens.push({ type: "operand", operand: { type: "literal", value: word === "true" }, text: word, pos });
      pos += word.length;
      continue;
    }
    const col = readColumnRef(text, pos, WHAT, known, true);
    if (col === null) throw new UsageError(`${WHAT}: unexpected "${ch}" at column ${pos + 1} (e.g. --filter "loss < 0.2 and =x > -1")`);
    tokens.push({ type: "operand", operand: { type: "column", ref: col.ref }, text: text.slice(pos, col.end), pos });
    pos = col.end;
  }
  tokens.push({ type: "end", pos });
  return tokens;
}

function previousIsOperand(tokens: Token[]): boolean {
  const last = tokens[tokens.length - 1];
  return last !== undefined && (last.type === "operand" || last.type === ")");
}

function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  let value = "";
  let pos = start + 1;
  while (pos < text.length) {
    const ch = text[pos]!;
    if (ch === "\\" && pos + 1 < text.length) {
      value += text[pos + 1];
      pos += 2;
      continue;
    }
    if (ch === quote) return { value, end: pos + 1 };
    value += ch;
    pos++;
  }
  throw new UsageError(`${WHAT}: the string starting at column ${start + 1} has no closing ${quote}`);
}

/** Every column a filter reads, so the caller can resolve them once. */
export function filterColumns(expr: FilterExpr): ColumnRef[] {
  switch (expr.type) {
    case "and":
    case "or":
      return [...filterColumns(expr.left), ...filterColumns(expr.right)];
    case "not":
      return filterColumns(expr.expr);
    case "cmp":
      return [expr.left, expr.right].flatMap((o) => (o.type === "column" ? [o.ref] : []));
  }
}

/**
 * Evaluates a filter for one run; `lookup` gives a column's value.
 * A comparison with a missing value is false, except `!=`, which is true.
 */
export function evaluateFilter(expr: FilterExpr, lookup: (ref: ColumnRef) => FilterValue): boolean {
  switch (expr.type) {
    case "and":
      return evaluateFilter(expr.left, lookup) && evaluateFilter(expr.right, lookup);
    case "or":
      return evaluateFilter(expr.left, lookup) || evaluateFilter(expr.right, lookup);
    case "not":
      return !evaluateFilter(expr.expr, lookup);
    case "cmp": {
      const a = expr.left.type === "literal" ? expr.left.value : lookup(expr.left.ref);
      const b = expr.right.type === "literal" ? expr.right.value : lookup(expr.right.ref);
      return compareValues(a, expr.op, b);
    }
  }
}

/**
 * One comparison. A number is compared only with a number (or with text that
 * reads as one, such as a flag given as "0.1"): text that does not, such as a
 * batch run's search spec "[-0.5,...]", is neither smaller nor larger than a
 * number, nor equal to it (so only `!=` holds). Two texts compare as text
 * (`.started > "2026-11-01"`).
 */
function compareValues(a: FilterValue, op: CompareOp, b: FilterValue): boolean {
  if (a === null || b === null) return op === "!=";
  let x: number | string;
  let y: number | string;
  if (typeof a === "number" || typeof b === "number") {
    const na = toNumber(a);
    const nb = toNumber(b);
    if (na === null || nb === null) return op === "!=";
    x = na;
    y = nb;
  } else {
    x = String(a);
    y = String(b);
  }
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
    case "=":
      return x === y;
    case "!=":
      return x !== y;
  }
}

/** Numbers, and text that reads as one (a flag given as "0.1"), compare as numbers. */
function toNumber(v: number | string | boolean): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
}
