/** A small SQL tokenizer for pipeline files: keeps every character, so text can be rebuilt. */

/** Token kinds: words, quoted names, string literals ('…' or Spark's "…"), and the rest. */
export type TokenKind =
  | "word"
  | "backtick"
  | "string"
  | "dstring"
  | "number"
  | "op"
  | "space"
  | "comment";

/** One token with its 1-based line; `value` is the unquoted content of strings and names. */
export interface Token {
  kind: TokenKind;
  text: string;
  value: string;
  line: number;
}

/** Raised for text the tokenizer cannot split (an unterminated string or comment). */
export class TokenizeError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = "TokenizeError";
  }
}

/** A numeric literal as a word-like run (digits, exponent, type suffix). */
const NUMBER = /^\d+([eE]\d+)?([LSYDF]|BD)?$/i;

const OPS = ["=>", "==", "!=", "<>", "<=", ">=", "||", "::", "->", "->>"];

function quoted(src: string, start: number, q: string, line: number): number {
  let i = start + 1;
  while (i < src.length) {
    if (src[i] === "\\" && q !== "`") i += 2;
    else if (src[i] === q && src[i + 1] === q) i += 2;
    else if (src[i] === q) return i + 1;
    else i++;
  }
  throw new TokenizeError(`unterminated ${q === "`" ? "quoted name" : "string"}`, line);
}

function unquote(text: string, q: string): string {
  const inner = text.slice(1, -1).replaceAll(q + q, q);
  return q === "`" ? inner : inner.replace(/\\(.)/g, (_m, c: string) => c === "n" ? "\n" : c);
}

/** Splits SQL text into tokens (whitespace and comments included). */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const push = (kind: TokenKind, end: number, value?: string) => {
    const text = src.slice(i, end);
    out.push({ kind, text, value: value ?? text, line });
    line += text.split("\n").length - 1;
    i = end;
  };
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      let j = i;
      while (j < src.length && /\s/.test(src[j])) j++;
      push("space", j);
    } else if (c === "-" && src[i + 1] === "-") {
      const j = src.indexOf("\n", i);
      push("comment", j < 0 ? src.length : j);
    } else if (c === "/" && src[i + 1] === "*") {
      const j = src.indexOf("*/", i + 2);
      if (j < 0) throw new TokenizeError("unterminated /* comment", line);
      push("comment", j + 2);
    } else if (c === "'" || c === '"' || c === "`") {
      const end = quoted(src, i, c, line);
      const kind = c === "'" ? "string" : c === '"' ? "dstring" : "backtick";
      push(kind, end, unquote(src.slice(i, end), c));
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_$]/.test(src[j])) j++;
      push("word", j);
    } else if (/[0-9]/.test(c)) {
      // Spark identifiers may start with a digit (`02_silver`); numbers keep their old
      // tokens (`1e5`; a type suffix as in `10L` follows as a word).
      let j = i;
      while (j < src.length && /[0-9A-Za-z_$]/.test(src[j])) j++;
      const word = src.slice(i, j);
      if (/[A-Za-z_$]/.test(word) && !NUMBER.test(word)) push("word", j);
      else {
        j = i;
        while (j < src.length && /[0-9.eE]/.test(src[j])) j++;
        push("number", j);
      }
    } else {
      const op = OPS.filter((o) => src.startsWith(o, i)).sort((a, b) => b.length - a.length)[0];
      push("op", i + (op?.length ?? 1));
    }
  }
  return out;
}

/** Whether a token is the (case-insensitive) keyword `word`. */
export function isWord(t: Token | undefined, word: string): boolean {
  return t?.kind === "word" && t.text.toLowerCase() === word;
}

/** Whether a token carries meaning (not whitespace or a comment). */
export function significant(t: Token): boolean {
  return t.kind !== "space" && t.kind !== "comment";
}
