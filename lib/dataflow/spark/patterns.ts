/**
 * Spark's pattern languages in DuckDB's spelling: Java datetime patterns
 * (`'MM-dd-yyyy HH:mm:ss'`) become strftime / strptime formats, Java regular
 * expressions are checked for what RE2 (DuckDB's engine) lacks, Java replacement
 * strings (`$1`) become RE2's (`\1`), and Spark string literals are unescaped.
 */

/** Escapes a value as a DuckDB string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A pattern Spark accepts that has no DuckDB equivalent; the message names the part. */
export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PatternError";
  }
}

/** Java pattern letters (by letter and count) and their strftime / strptime spelling. */
function field(letter: string, n: number, parse: boolean): string | undefined {
  switch (letter) {
    case "y":
    case "u":
      return n === 2 ? "%y" : "%Y";
    case "M":
    case "L":
      if (n >= 4) return "%B";
      if (n === 3) return "%b";
      return n === 2 || parse ? "%m" : "%-m";
    case "d":
      return n === 2 || parse ? "%d" : "%-d";
    case "D":
      return "%j";
    case "H":
      return n === 2 || parse ? "%H" : "%-H";
    case "h":
      return n === 2 || parse ? "%I" : "%-I";
    case "m":
      return n === 2 || parse ? "%M" : "%-M";
    case "s":
      return n === 2 || parse ? "%S" : "%-S";
    case "S":
      return n === 3 ? "%g" : n === 6 ? "%f" : n === 9 ? "%n" : undefined;
    case "a":
      return "%p";
    case "E":
      return n >= 4 ? "%A" : "%a";
    case "z":
    case "V":
      return "%Z";
    case "X":
    case "x":
    case "Z":
      return "%z";
  }
  return undefined;
}

/**
 * Converts a Spark (Java `DateTimeFormatter`) datetime pattern to a DuckDB
 * strftime (`parse = false`) or strptime (`parse = true`) format.
 */
export function javaDatePattern(pattern: string, parse = false): string {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new PatternError(`unterminated quoted text in pattern '${pattern}'`);
      out += pattern.slice(i + 1, end).replaceAll("%", "%%");
      i = end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let n = 1;
      while (pattern[i + n] === c) n++;
      const f = field(c, n, parse);
      if (!f) {
        throw new PatternError(
          `datetime pattern letter '${c.repeat(n)}' in '${pattern}' is not supported`,
        );
      }
      out += f;
      i += n;
      continue;
    }
    if (c === "[" || c === "]" || c === "#" || c === "{" || c === "}") {
      throw new PatternError(
        `optional sections and '${c}' in pattern '${pattern}' are not supported`,
      );
    }
    out += c === "%" ? "%%" : c;
    i++;
  }
  return out;
}

/** Java regex constructs RE2 does not have. */
const UNSUPPORTED_REGEX: [RegExp, string][] = [
  [/\(\?<?[=!]/, "lookaround ((?=…), (?!…), (?<=…), (?<!…))"],
  [/\(\?>/, "atomic groups ((?>…))"],
  [/[*+?}]\+/, "possessive quantifiers (*+, ++, ?+)"],
  [/\\[1-9]/, "backreferences (\\1)"],
  [/\\[GZz]/, "\\G, \\Z and \\z anchors"],
];

/** Checks a Spark (Java) regular expression for what DuckDB's RE2 cannot run; returns it. */
export function javaRegex(pattern: string): string {
  // Escaped backslashes can't start a construct: drop them before looking.
  const plain = pattern.replaceAll("\\\\", "");
  for (const [re, what] of UNSUPPORTED_REGEX) {
    if (re.test(plain)) {
      throw new PatternError(
        `regular expression '${pattern}' uses ${what}, which is not supported`,
      );
    }
  }
  return pattern;
}

/** Converts a Java replacement string (`$1`, `\$`) to RE2's (`\1`, `$`). */
export function javaReplacement(replacement: string): string {
  let out = "";
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i];
    if (c === "\\") {
      const next = replacement[++i] ?? "";
      out += next === "\\" ? "\\\\" : next;
    } else if (c === "$") {
      const m = /^\d/.exec(replacement.slice(i + 1));
      if (!m) {
        throw new PatternError(
          `replacement '${replacement}': only numbered groups ($1) are supported`,
        );
      }
      out += `\\${m[0]}`;
      i += m[0].length;
    } else out += c;
  }
  return out;
}

const ESCAPES: Record<string, string> = {
  "0": "\0",
  b: "\b",
  n: "\n",
  r: "\r",
  t: "\t",
  Z: "\x1a",
  "%": "\\%",
  _: "\\_",
};

/** The value of a Spark string literal's text (`'a\'b'`, `"x"`): backslash escapes resolved. */
export function sparkStringValue(text: string): string {
  const q = text[0];
  const inner = text.slice(1, -1);
  let out = "";
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === "\\" && i + 1 < inner.length) {
      const n = inner[++i];
      if (n === "u" && /^[0-9a-fA-F]{4}/.test(inner.slice(i + 1))) {
        out += String.fromCharCode(parseInt(inner.slice(i + 1, i + 5), 16));
        i += 4;
      } else out += ESCAPES[n] ?? n;
    } else if (c === q && inner[i + 1] === q) {
      out += q;
      i++;
    } else out += c;
  }
  return out;
}
