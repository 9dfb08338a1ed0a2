/**
 * The one place where pipeline SQL (Spark / Databricks spelling) becomes DuckDB
 * SQL: dataset references (`STREAM(LIVE.x)`, `STREAM x`, `LIVE.x`, bare names
 * after FROM/JOIN) and file sources (`read_files`, `cloud_files`) are handed to a
 * resolver; `==`, double-quoted strings, backquoted names, `current_timestamp()`
 * and `element_at` are rewritten.
 */
import type { DuckDBConnection } from "../db.ts";
import { PipelineError } from "./errors.ts";
import { splitTopLevel } from "./parse.ts";
import { CAST_FUNCTIONS, castSql, sparkType } from "./spark/casts.ts";
import { FUNCTIONS, PLACES_SUFFIX } from "./spark/functions.ts";
import { sparkStringValue } from "./spark/patterns.ts";
import { describeColumns } from "./sql.ts";
import { readName } from "./names.ts";
import { isWord, significant, type Token } from "./tokens.ts";

/** A reference to another dataset of the pipeline. */
export interface Reference {
  /** The name as written, parts joined by `.` (`LIVE.` removed). */
  name: string;
  /** The name's parts (`c.s.t` → three); resolved to a dataset or table by the planner. */
  parts: string[];
  /** Read as a stream (`STREAM(…)`): only rows not yet seen by this dataset. */
  stream: boolean;
  line: number;
}

/** A reference built from a name's parts. */
function reference(parts: string[], stream: boolean, line: number): Reference {
  return { name: parts.join("."), parts, stream, line };
}

/** A file source: `read_files(path, format => 'json', …)` or `cloud_files(path, 'json', map(…))`. */
export interface SourceSpec {
  path: string;
  format: string;
  /** Options by lower-case name without a `cloudFiles.` prefix (e.g. `schemahints`). */
  options: Record<string, string>;
  line: number;
}

/** Turns references and sources into DuckDB relations; `aliased` says an alias follows. */
export interface Resolver {
  ref(r: Reference, aliased: boolean): string;
  source(s: SourceSpec, aliased: boolean): string;
}

/** Where the tokens come from, for error messages. */
export interface Where {
  file: string;
  dataset: string;
}

const SOURCE_FUNCTIONS = new Set(["read_files", "cloud_files"]);
const NOT_ALIAS = new Set([
  "where",
  "group",
  "order",
  "join",
  "inner",
  "left",
  "right",
  "full",
  "cross",
  "on",
  "union",
  "limit",
  "having",
  "qualify",
  "window",
  "natural",
  "using",
  "except",
  "intersect",
  "anti",
  "semi",
  "positional",
  "asof",
  "lateral",
  "pivot",
  "unpivot",
  "tablesample",
  "offset",
  "minus",
]); // deno-fmt-ignore

/** Escapes a value as a DuckDB string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function literalValue(toks: Token[], where: Where): string {
  const t = toks[0];
  if (toks.length === 1 && (t.kind === "string" || t.kind === "dstring")) return t.value;
  if (toks.length === 1 && (t.kind === "number" || t.kind === "word")) return t.text;
  throw new PipelineError(
    `expected a literal option value, found '${toks.map((x) => x.text).join(" ")}'`,
    where.file,
    t?.line ?? 1,
    where.dataset,
  );
}

function parseSource(fn: Token, inner: Token[], where: Where): SourceSpec {
  const args = splitTopLevel(inner.filter(significant));
  const positional: Token[][] = [];
  const options: Record<string, string> = {};
  const option = (k: string, v: string) => {
    options[k.toLowerCase().replace(/^cloudfiles\./, "")] = v;
  };
  for (const arg of args) {
    if (arg[1]?.text === "=>") option(arg[0].value, literalValue(arg.slice(2), where));
    else if (isWord(arg[0], "map") && arg[1]?.text === "(") {
      const pairs = splitTopLevel(arg.slice(2, -1));
      for (let k = 0; k + 1 < pairs.length; k += 2) {
        option(literalValue(pairs[k], where), literalValue(pairs[k + 1], where));
      }
    } else positional.push(arg);
  }
  const fail = (msg: string): never => {
    throw new PipelineError(msg, where.file, fn.line, where.dataset);
  };
  if (!positional[0]) fail(`${fn.text}() needs a path`);
  // `./x` (e.g. `${lake}/x` with the default lake `.`) is `x` in the pipeline's lake.
  const path = literalValue(positional[0], where).replace(/^(\.\/+)+/, "");
  if (positional[1]) option("format", literalValue(positional[1], where));
  const format = (options.format ?? "json").toLowerCase();
  // The format and every option are checked by the Autoloader (lib/dataflow/autoloader.ts).
  return { path, format, options, line: fn.line };
}

/** How Spark SQL is evaluated; the pipeline's settings (`SET`, configuration) give the values. */
export interface TranslateOptions {
  /**
   * `spark.sql.ansi.enabled` (default true, as on Databricks Runtime 17+ / Spark 4): an
   * invalid cast or a division by zero is an error; false gives the legacy NULL results.
   */
  ansi?: boolean;
  /**
   * Field accesses through an array of structs (`weather.main` where `weather` is an
   * array), as lower-case `path.field`: each becomes the array of that field, as in Spark.
   * Found from DuckDB's binder by `withListFields`.
   */
  listFields?: ReadonlySet<string>;
}

/** The options a translation gets when none are given: ANSI mode on. */
export const DEFAULT_TRANSLATE_OPTIONS: Required<TranslateOptions> = {
  ansi: true,
  listFields: new Set(),
};

/** Words that take parentheses but are not function calls. */
const NOT_FUNCTION = new Set([
  "in",
  "exists",
  "over",
  "filter",
  "values",
  "using",
  "as",
  "on",
  "lateral",
  "table",
  "rollup",
  "cube",
  "sets",
  "all",
  "not",
  "and",
  "or",
  "when",
  "then",
  "else",
  "select",
  "from",
  "where",
  "join",
  "by",
  "having",
  "within",
  "case",
  "interval",
  "like",
  "ilike",
  "is",
  "with",
  "union",
  "intersect",
  "except",
  "minus",
  "distinct",
  "returns",
  "pivot",
  "unpivot",
  "for",
]); // deno-fmt-ignore

/** Words after which an operand starts (they end a `*` / `/` chain). */
const KEYWORDS = new Set([
  "select", "from", "where", "and", "or", "not", "when", "then", "else", "case", "end", "as",
  "on", "by", "having", "in", "is", "like", "ilike", "between", "distinct", "all", "union",
  "except", "intersect", "join", "limit", "group", "order", "asc", "desc", "nulls", "over",
  "partition", "rows", "range", "with", "rlike", "regexp", "qualify", "window", "left", "right",
  "inner", "outer", "full", "cross", "lateral", "view", "escape", "similar", "to", "if",
]); // deno-fmt-ignore

/** DuckDB reserves these; Spark allows them as column names: quoted when used as one. */
const DUCKDB_RESERVED = new Set([
  "offset", "summarize", "show", "describe", "pivot_longer", "pivot_wider", "placing",
  "returning", "variadic", "analyse", "analyze", "deferrable", "initially", "symmetric",
  "asymmetric",
]); // deno-fmt-ignore

/** Spark number literal suffixes (`10L`, `1.5D`) and their types. */
const NUMBER_SUFFIX: Record<string, string> = {
  l: "BIGINT",
  s: "SMALLINT",
  y: "TINYINT",
  d: "DOUBLE",
  f: "FLOAT",
  bd: "DECIMAL(38,18)",
};

/** The field names Spark's `EXTRACT(field FROM x)` / `date_part('field', x)` take → function. */
const EXTRACT_FIELDS: Record<string, string> = {
  year: "year",
  years: "year",
  y: "year",
  yr: "year",
  yrs: "year",
  quarter: "quarter",
  qtr: "quarter",
  month: "month",
  mon: "month",
  mons: "month",
  months: "month",
  week: "weekofyear",
  weeks: "weekofyear",
  w: "weekofyear",
  day: "day",
  days: "day",
  d: "day",
  dayofweek: "dayofweek",
  dow: "dayofweek",
  doy: "dayofyear",
  hour: "hour",
  hours: "hour",
  h: "hour",
  hr: "hour",
  minute: "minute",
  minutes: "minute",
  min: "minute",
  m: "minute",
  second: "second",
  seconds: "second",
  s: "second",
  sec: "second",
}; // deno-fmt-ignore

/** Walks a query's tokens once and writes DuckDB SQL; see `translate`. */
class Translator {
  readonly ansi: boolean;
  readonly listFields: ReadonlySet<string>;
  constructor(
    readonly toks: Token[],
    readonly names: ReadonlySet<string>,
    readonly resolver: Resolver,
    readonly where: Where,
    options: TranslateOptions,
  ) {
    const o = { ...DEFAULT_TRANSLATE_OPTIONS, ...options };
    this.ansi = o.ansi;
    this.listFields = o.listFields;
  }

  fail(message: string, line: number): never {
    throw new PipelineError(message, this.where.file, line, this.where.dataset);
  }

  /** The next significant token after i (toks.length when none). */
  next(i: number): number {
    let j = i + 1;
    while (j < this.toks.length && !significant(this.toks[j])) j++;
    return j;
  }

  /** The significant token before i (-1 when none), not looking before lo. */
  prev(i: number, lo = 0): number {
    let j = i - 1;
    while (j >= lo && !significant(this.toks[j])) j--;
    return j;
  }

  /** The index of the bracket closing the one at `open` (`(` or `[`). */
  close(open: number): number {
    const o = this.toks[open].text;
    const c = o === "(" ? ")" : "]";
    let depth = 0;
    for (let k = open; k < this.toks.length; k++) {
      const t = this.toks[k];
      if (t.kind !== "op") continue;
      if (t.text === o) depth++;
      else if (t.text === c && --depth === 0) return k;
    }
    this.fail("unbalanced parentheses", this.toks[open].line);
  }

  /** The index of the END closing the CASE at `i`. */
  caseEnd(i: number): number {
    let depth = 0;
    for (let k = i; k < this.toks.length; k++) {
      if (isWord(this.toks[k], "case")) depth++;
      else if (isWord(this.toks[k], "end") && --depth === 0) return k;
      else if (this.toks[k].text === "(") k = this.close(k);
    }
    this.fail("CASE without END", this.toks[i].line);
  }

  /** Top-level comma-separated parts of (lo, hi) as [first, last] index pairs (significant only). */
  parts(lo: number, hi: number): [number, number][] {
    const out: [number, number][] = [];
    let start = -1;
    let last = -1;
    for (let k = lo; k < hi; k++) {
      const t = this.toks[k];
      if (!significant(t)) continue;
      if (t.kind === "op" && t.text === ",") {
        if (start >= 0) out.push([start, last]);
        start = -1;
        continue;
      }
      if (start < 0) start = k;
      if (t.kind === "op" && (t.text === "(" || t.text === "[")) k = this.close(k);
      else if (isWord(t, "case")) k = this.caseEnd(k);
      last = k;
    }
    if (start >= 0) out.push([start, last]);
    return out;
  }

  sig(lo: number, hi: number): Token[] {
    return this.toks.slice(lo, hi + 1).filter(significant);
  }

  /** The last index of the operand that starts at j (unary signs, a primary, postfixes). */
  operandEnd(j: number): number {
    const t0 = this.toks;
    let k = j;
    while (t0[k]?.kind === "op" && ["-", "+", "~"].includes(t0[k].text)) k = this.next(k);
    const t = t0[k];
    if (!t) return k - 1;
    if (t.text === "(") k = this.close(k);
    else if (isWord(t, "case")) k = this.caseEnd(k);
    else if (t.kind === "word" || t.kind === "backtick") {
      const n = this.next(k);
      if (t.kind === "word" && t0[n]?.text === "(") {
        k = this.close(n);
        const o = this.next(k);
        if (isWord(t0[o], "over")) {
          const w = this.next(o);
          k = t0[w]?.text === "(" ? this.close(w) : w;
        }
      } else if (/^(date|timestamp|timestamp_ntz|interval)$/i.test(t.text) && t0[n]?.kind === "string") {
        k = n;
        if (isWord(t, "interval") && t0[this.next(k)]?.kind === "word") k = this.next(k);
      }
    }
    for (;;) {
      const n = this.next(k);
      const u = t0[n];
      if (u?.text === "." && u.kind === "op") k = this.next(n);
      else if (u?.text === "[" && u.kind === "op") k = this.close(n);
      else if (u?.text === "::") k = this.typeEnd(this.next(n));
      else if (u?.text === ":" && this.pathStarts(n)) k = this.pathEnd(n);
      else break;
    }
    return k;
  }

  /** The last index of a type spelled from i (`INT`, `DECIMAL(10,2)`, `ARRAY<STRING>`). */
  typeEnd(i: number): number {
    const k = i;
    const n = this.next(k);
    if (this.toks[n]?.text === "(") return this.close(n);
    if (this.toks[n]?.text === "<") {
      let depth = 0;
      for (let m = n; m < this.toks.length; m++) {
        const text = this.toks[m].text;
        if (text === "<") depth++;
        else if (text === ">" && --depth === 0) return m;
        else if (text === ">>") {
          depth -= 2;
          if (depth <= 0) return m;
        }
      }
    }
    return k;
  }

  typeText(lo: number, hi: number): string {
    return this.toks.slice(lo, hi + 1).map((t) => t.text).join("");
  }

  /** A colon JSON path (`raw:a.b[0]`) starts at the `:` at i. */
  pathStarts(i: number): boolean {
    const p = this.toks[this.prev(i)];
    const n = this.toks[i + 1];
    return (p?.kind === "word" || p?.kind === "backtick" || p?.text === "]") &&
      (n?.kind === "word" || n?.kind === "backtick" || n?.text === "[");
  }

  /** The last index of the colon path starting at the `:` at i. */
  pathEnd(i: number): number {
    return this.path(i)[1];
  }

  /** The JSONPath (`$.a.b[0]`) of the colon path at the `:` at i, and its last index. */
  path(i: number): [string, number] {
    let out = "$";
    let k = i + 1;
    let last = i;
    const key = (name: string) =>
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `.${name}` : `."${name.replaceAll('"', '\\"')}"`;
    for (;;) {
      const t = this.toks[k];
      if (!t) break;
      if ((t.kind === "word" || t.kind === "backtick") && (k === i + 1)) {
        out += key(t.value);
      } else if (t.kind === "op" && t.text === "." && k !== i + 1) {
        const n = this.toks[k + 1];
        if (n?.kind !== "word" && n?.kind !== "backtick") break;
        out += key(n.value);
        k++;
      } else if (t.kind === "op" && t.text === "[") {
        const end = this.close(k);
        const inner = this.sig(k + 1, end - 1);
        if (inner.length === 1 && inner[0].kind === "number") out += `[${inner[0].text}]`;
        else if (inner.length === 1 && (inner[0].kind === "string" || inner[0].kind === "dstring")) {
          out += key(inner[0].value);
        } else {
          this.fail(
            `JSON path ${this.typeText(i, end)}: only names and numeric indexes are supported`,
            t.line,
          );
        }
        k = end;
      } else break;
      last = k;
      k++;
    }
    return [out, last];
  }

  /** An alias follows index i (`AS x`, or a name that is not a keyword). */
  aliasFollows(i: number): boolean {
    const t = this.toks[this.next(i)];
    if (!t) return false;
    if (isWord(t, "as")) return true;
    return (t.kind === "word" || t.kind === "backtick") && !NOT_ALIAS.has(t.text.toLowerCase()) &&
      !KEYWORDS.has(t.text.toLowerCase());
  }

  /**
   * A table name at `i`: `live.x` anywhere; where a table is expected (`bareOk`), a
   * qualified name (`s.t`, `c.s.t`, `json.\`/path\``) or a known bare name. Gives the name's
   * parts and its last index.
   */
  refAt(i: number, bareOk: boolean): [string[], number] | undefined {
    const n = readName(this.toks, i, (k) => this.next(k));
    if (!n || this.toks[this.next(n.end)]?.text === "(") return undefined;
    if (n.live) return [n.parts, n.end];
    if (!bareOk || isWord(this.toks[i], "live")) return undefined;
    if (n.parts.length > 1 || this.names.has(n.parts[0].toLowerCase())) return [n.parts, n.end];
    return undefined;
  }

  sourceAt(i: number): [SourceSpec, number] | undefined {
    const t = this.toks[i];
    if (t?.kind !== "word" || !SOURCE_FUNCTIONS.has(t.text.toLowerCase())) return undefined;
    const open = this.next(i);
    if (this.toks[open]?.text !== "(") return undefined;
    const end = this.close(open);
    return [parseSource(t, this.toks.slice(open + 1, end), this.where), end];
  }

  /** A function call `name(…)` at i; returns the SQL and the last index consumed. */
  call(i: number): [string, number] {
    const t = this.toks[i];
    const name = t.text.toLowerCase();
    const open = this.next(i);
    const end = this.close(open);
    if (name === "cast" || name === "try_cast") return [this.cast(i, open, end), end];
    if (name === "extract") return [this.extract(i, open, end), end];
    const parts = this.parts(open + 1, end);
    const raw = parts.map(([a, b]) => this.sig(a, b));
    const args = parts.map(([a, b]) => this.range(a, b + 1).trim());
    // What follows the call: IGNORE NULLS, FILTER (…), OVER (…) / OVER name.
    let k = end;
    let ignoreNulls = false;
    let suffix = "";
    for (;;) {
      const n = this.next(k);
      const u = this.toks[n];
      if ((isWord(u, "ignore") || isWord(u, "respect")) && isWord(this.toks[this.next(n)], "nulls")) {
        ignoreNulls = isWord(u, "ignore");
        k = this.next(n);
      } else if (isWord(u, "filter") && this.toks[this.next(n)]?.text === "(") {
        const c = this.close(this.next(n));
        suffix += ` FILTER ${this.range(this.next(n), c + 1).trim()}`;
        k = c;
      } else if (isWord(u, "over")) {
        const w = this.next(n);
        const c = this.toks[w]?.text === "(" ? this.close(w) : w;
        suffix += ` OVER ${this.range(w, c + 1).trim()}`;
        k = c;
      } else break;
    }
    const cast = CAST_FUNCTIONS[name];
    if (cast && args.length === 1) return [castSql(args[0], sparkType(cast), this.ansi) + suffix, k];
    // posexplode(x) AS (p, c)
    if (name.startsWith("posexplode") && isWord(this.toks[this.next(k)], "as")) {
      const o = this.next(this.next(k));
      if (this.toks[o]?.text === "(") {
        const c = this.close(o);
        const cols = this.parts(o + 1, c).map(([a]) => this.toks[a].value);
        const x = name.endsWith("_outer") ? `spark_outer(${args[0]})` : args[0];
        return [
          `unnest(range(len(${x}))) AS ${ident(cols[0])}, unnest(${x}) AS ${ident(cols[1])}`,
          c,
        ];
      }
    }
    if (name === "transform" || name === "filter" || name === "exists" || name === "forall") {
      return [this.lambdaCall(name, raw, args, t.line), k];
    }
    const rule = FUNCTIONS[name];
    if (!rule) {
      this.fail(
        `function ${t.text}() is not supported: it has no translation with Spark's meaning ` +
          "(see the README's list of Spark functions)",
        t.line,
      );
    }
    const sql = rule({
      name,
      args,
      raw,
      suffix,
      ignoreNulls,
      ansi: this.ansi,
      aliased: this.aliasFollows(k),
      fail: (message) => this.fail(message, t.line),
    });
    return [PLACES_SUFFIX.has(name) ? sql : sql + suffix, k];
  }

  /** transform / filter / exists / forall with a one-parameter lambda. */
  lambdaCall(name: string, raw: Token[][], args: string[], line: number): string {
    const lam = raw[1];
    if (args.length !== 2 || lam?.[1]?.text !== "->" || lam[0].kind !== "word") {
      this.fail(`${name}() is supported with a one-parameter lambda (x -> …) only`, line);
    }
    const fn = { transform: "list_transform", filter: "list_filter" }[name];
    if (fn) return `${fn}(${args[0]}, ${args[1]})`;
    const body = args[1];
    return name === "exists"
      ? `list_bool_or(list_transform(${args[0]}, ${body}))`
      : `list_bool_and(list_transform(${args[0]}, ${body}))`;
  }

  cast(i: number, open: number, end: number): string {
    const inner = this.sig(open + 1, end - 1);
    let as = -1;
    let depth = 0;
    for (let k = open + 1; k < end; k++) {
      const t = this.toks[k];
      if (t.text === "(" || t.text === "[") depth++;
      else if (t.text === ")" || t.text === "]") depth--;
      else if (depth === 0 && isWord(t, "as")) as = k;
    }
    if (as < 0 || !inner.length) this.fail("CAST needs `x AS type`", this.toks[i].line);
    const x = this.range(open + 1, as).trim();
    const typeText = this.typeText(this.next(as), end - 1).trim();
    let type;
    try {
      type = sparkType(typeText);
    } catch (e) {
      this.fail(`CAST to ${typeText}: ${(e as Error).message}`, this.toks[i].line);
    }
    return castSql(x, type, this.ansi, isWord(this.toks[i], "try_cast"));
  }

  extract(i: number, open: number, end: number): string {
    const f = this.toks[this.next(open)];
    const from = this.next(this.next(open));
    if (!isWord(this.toks[from], "from")) this.fail("EXTRACT needs `field FROM x`", f.line);
    const fn = EXTRACT_FIELDS[f.value.toLowerCase()];
    if (!fn) this.fail(`EXTRACT(${f.text} FROM …) is not supported`, f.line);
    const x = this.range(from + 1, end).trim();
    return FUNCTIONS[fn]({
      name: fn,
      args: [x],
      raw: [this.sig(from + 1, end - 1)],
      suffix: "",
      ignoreNulls: false,
      ansi: this.ansi,
      aliased: true,
      fail: (message) => this.fail(message, this.toks[i].line),
    });
  }

  /** `LATERAL VIEW [OUTER] fn(x) t [AS] c1[, c2]` at i: the DuckDB join and the last index. */
  lateralView(i: number): [string, number] {
    let k = this.next(this.next(i));
    const outer = isWord(this.toks[k], "outer");
    if (outer) k = this.next(k);
    const fn = this.toks[k];
    const open = this.next(k);
    if (fn?.kind !== "word" || this.toks[open]?.text !== "(") {
      this.fail("LATERAL VIEW needs a generator function, e.g. explode(x)", this.toks[i].line);
    }
    const end = this.close(open);
    const parts = this.parts(open + 1, end);
    if (parts.length !== 1) this.fail(`LATERAL VIEW ${fn.text}() takes one argument`, fn.line);
    const x0 = this.range(parts[0][0], parts[0][1] + 1).trim();
    let n = this.next(end);
    const alias = this.toks[n];
    if (alias?.kind !== "word" && alias?.kind !== "backtick") {
      this.fail("LATERAL VIEW needs a table alias", fn.line);
    }
    let last = n;
    const cols: string[] = [];
    n = this.next(n);
    if (isWord(this.toks[n], "as")) n = this.next(n);
    while (
      (this.toks[n]?.kind === "word" && !KEYWORDS.has(this.toks[n].text.toLowerCase()) &&
        !NOT_ALIAS.has(this.toks[n].text.toLowerCase())) || this.toks[n]?.kind === "backtick"
    ) {
      cols.push(this.toks[n].value);
      last = n;
      n = this.next(n);
      if (this.toks[n]?.text !== ",") break;
      n = this.next(n);
    }
    const name = fn.text.toLowerCase();
    const isOuter = outer || name.endsWith("_outer");
    const x = isOuter ? `spark_outer(${x0})` : x0;
    let items: string;
    if (name === "explode" || name === "explode_outer") {
      if (cols.length === 2) {
        items = `unnest(map_keys(${x0})) AS ${ident(cols[0])}, unnest(map_values(${x0})) AS ${
          ident(cols[1])
        }`;
      } else items = `unnest(${x}) AS ${ident(cols[0] ?? "col")}`;
    } else if (name === "posexplode" || name === "posexplode_outer") {
      items = `unnest(range(len(${x}))) AS ${ident(cols[0] ?? "pos")}, unnest(${x}) AS ${
        ident(cols[1] ?? "col")
      }`;
    } else {
      this.fail(`LATERAL VIEW ${fn.text}() is not supported (explode and posexplode are)`, fn.line);
    }
    return [` CROSS JOIN LATERAL (SELECT ${items}) AS ${ident(alias.value)}`, last];
  }

  /** `SELECT [DISTINCT|ALL] items` at i: the translated list and its last index. */
  selectList(i: number, hi: number): [string, number] {
    const toks = this.toks;
    let k = this.next(i);
    let head = toks.slice(i, k).map((t) => t.text).join("");
    if (isWord(toks[k], "distinct") || isWord(toks[k], "all")) {
      const n = this.next(k);
      head += toks.slice(k, n).map((t) => t.text).join("");
      k = n;
    }
    // The list ends at the first top-level clause keyword (or the end of the range).
    let end = k;
    for (; end < hi; end++) {
      const t = toks[end];
      if (t.kind === "op" && (t.text === "(" || t.text === "[")) {
        end = this.close(end);
        continue;
      }
      if (isWord(t, "case")) {
        end = this.caseEnd(end);
        continue;
      }
      if (t.kind === "op" && t.text === ";") break;
      if (t.kind === "word" && SELECT_END.has(t.text.toLowerCase())) {
        if (isWord(t, "except") && toks[this.prev(end)]?.text === "*") continue;
        break;
      }
    }
    // Split at top-level commas, keeping the whitespace with each item.
    const items: [number, number][] = [];
    let start = k;
    for (let m = k; m < end; m++) {
      const t = toks[m];
      if (t.kind === "op" && (t.text === "(" || t.text === "[")) m = this.close(m);
      else if (isWord(t, "case")) m = this.caseEnd(m);
      else if (t.kind === "op" && t.text === ",") {
        items.push([start, m]);
        start = m + 1;
      }
    }
    items.push([start, end]);
    const sql = items.map(([a, b]) => {
      const text = this.range(a, b);
      const sig = toks.slice(a, b).filter(significant);
      const name = sparkColumnName(sig);
      if (name === undefined) return text;
      const trail = /\s*$/.exec(text)![0];
      return `${text.slice(0, text.length - trail.length)} AS ${ident(name)}${trail}`;
    }).join(",");
    return [head + sql, end - 1];
  }

  /** `name (a, b) AS (…)`: a CTE's column list at the `(` at open, not a call. */
  cteColumns(open: number): boolean {
    const as = this.next(this.close(open));
    return isWord(this.toks[as], "as") && this.toks[this.next(as)]?.text === "(";
  }

  /** Translates tokens [lo, hi). */
  range(lo: number, hi: number): string {
    const toks = this.toks;
    const out: string[] = [];
    let chainStart = 0; // where the current `*` / `/` operand chain starts in out
    let primaryStart = 0; // where the last operand starts in out
    let negate = false;
    const binary = (fn: string, i: number): number => {
      const j = this.next(i);
      const end = this.operandEnd(j);
      const left = out.splice(chainStart).join("");
      const lead = /^\s*/.exec(left)![0];
      const right = this.range(j, end + 1).trim();
      out.push(lead);
      chainStart = primaryStart = out.length;
      out.push(`${fn}(${left.trim()}, ${right})`);
      return end + 1;
    };
    const postfix = (sql: (left: string) => string) => {
      const left = out.splice(primaryStart).join("");
      const lead = /^\s*/.exec(left)![0];
      out.push(lead);
      primaryStart = out.length;
      out.push(sql(left.trim()));
    };
    let i = lo;
    while (i < hi) {
      const t = toks[i];
      if (!significant(t)) {
        out.push(t.text);
        i++;
        continue;
      }
      const word = t.kind === "word" ? t.text.toLowerCase() : "";
      const nx = this.next(i);
      const resets = (t.kind === "op" && !["*", "/", "%", ".", "[", "]", "::", ":"].includes(t.text)) ||
        KEYWORDS.has(word);
      if (word === "not" && /^(rlike|regexp)$/i.test(toks[nx]?.text ?? "")) {
        negate = true;
        i++;
        continue;
      }
      // Dataset references and sources.
      if (word === "stream") {
        const j = nx;
        if (toks[j]?.text === "(") {
          const end = this.close(j);
          const inner = this.next(j);
          const src = this.sourceAt(inner);
          const named = toks[inner]?.kind === "word" || toks[inner]?.kind === "backtick";
          const ref = src ? undefined : this.refAt(inner, true) ??
            (named && this.next(inner) === end
              ? [[toks[inner].value], inner] as [string[], number]
              : undefined);
          if (src && this.next(src[1]) === end) {
            primaryStart = out.length;
            out.push(this.resolver.source(src[0], this.aliasFollows(end)));
            i = end + 1;
            continue;
          }
          if (ref && this.next(ref[1]) === end) {
            primaryStart = out.length;
            out.push(
              this.resolver.ref(reference(ref[0], true, t.line), this.aliasFollows(end)),
            );
            i = end + 1;
            continue;
          }
        } else {
          const src = this.sourceAt(j);
          if (src) {
            out.push(this.resolver.source(src[0], this.aliasFollows(src[1])));
            i = src[1] + 1;
            continue;
          }
          const ref = this.refAt(j, true);
          if (ref) {
            out.push(
              this.resolver.ref(reference(ref[0], true, t.line), this.aliasFollows(ref[1])),
            );
            i = ref[1] + 1;
            continue;
          }
        }
      }
      const src = this.sourceAt(i);
      if (src) {
        out.push(this.resolver.source(src[0], this.aliasFollows(src[1])));
        i = src[1] + 1;
        continue;
      }
      const live = this.refAt(i, false);
      if (live) {
        primaryStart = out.length;
        out.push(
          this.resolver.ref(reference(live[0], false, t.line), this.aliasFollows(live[1])),
        );
        i = live[1] + 1;
        continue;
      }
      if (word === "from" || word === "join") {
        const j = nx;
        const bare = toks[j]?.kind === "word" && isWord(toks[j], "live") ? undefined : this.refAt(j, true);
        if (bare) {
          out.push(t.text, toks.slice(i + 1, j).map((x) => x.text).join(""));
          out.push(
            this.resolver.ref(reference(bare[0], false, toks[j].line), this.aliasFollows(bare[1])),
          );
          i = bare[1] + 1;
          continue;
        }
      }
      if ((word === "current_timestamp" || word === "current_date") && toks[nx]?.text === "(") {
        const end = this.close(nx);
        if (this.next(nx) === end) {
          primaryStart = out.length;
          out.push(word);
          i = end + 1;
          continue;
        }
      }
      // LATERAL VIEW
      if (word === "lateral" && isWord(toks[nx], "view")) {
        const [sql, last] = this.lateralView(i);
        out.push(sql);
        i = last + 1;
        continue;
      }
      // * EXCEPT (…) → * EXCLUDE (…)
      if (word === "except" && toks[this.prev(i)]?.text === "*" && toks[nx]?.text === "(") {
        out.push("EXCLUDE");
        i++;
        continue;
      }
      // Operators.
      if (t.kind === "op" && (t.text === "/" || t.text === "%") && out.length > chainStart) {
        i = binary(`spark_${t.text === "/" ? "divide" : "mod"}${this.ansi ? "" : "_legacy"}`, i);
        continue;
      }
      if (word === "div" && out.length > chainStart && i > lo) {
        i = binary(`spark_intdiv${this.ansi ? "" : "_legacy"}`, i);
        continue;
      }
      if ((word === "rlike" || word === "regexp") && out.length > primaryStart) {
        const j = nx;
        const end = this.operandEnd(j);
        const pat = this.sig(j, end);
        const right = this.range(j, end + 1).trim();
        const rule = FUNCTIONS.rlike;
        const neg = negate;
        negate = false;
        postfix((left) =>
          (neg ? "NOT " : "") + rule({
            name: "rlike",
            args: [left, right],
            raw: [[], pat],
            suffix: "",
            ignoreNulls: false,
            ansi: this.ansi,
            aliased: true,
            fail: (m) => this.fail(m, t.line),
          })
        );
        i = end + 1;
        continue;
      }
      if (t.kind === "op" && t.text === "<=" && toks[i + 1]?.text === ">") {
        out.push(" IS NOT DISTINCT FROM ");
        chainStart = primaryStart = out.length;
        i += 2;
        continue;
      }
      if (t.kind === "op" && t.text === ":" && this.pathStarts(i)) {
        const [path, last] = this.path(i);
        postfix((left) => `spark_json_get(${left}, ${sqlString(path)})`);
        i = last + 1;
        continue;
      }
      if (t.kind === "op" && t.text === "::") {
        const j = nx;
        const end = this.typeEnd(j);
        const typeText = this.typeText(j, end);
        let type;
        try {
          type = sparkType(typeText);
        } catch (e) {
          this.fail(`cast to ${typeText}: ${(e as Error).message}`, t.line);
        }
        postfix((left) => castSql(left, type, this.ansi));
        i = end + 1;
        continue;
      }
      // A SELECT list: items without an alias get the column name Spark gives them.
      if (word === "select") {
        const [sql, last] = this.selectList(i, hi);
        out.push(sql);
        chainStart = primaryStart = out.length;
        i = last + 1;
        continue;
      }
      // a.b.c through an array of structs: the array of the field.
      if (this.listFields.size && isName(t) && toks[this.prev(i)]?.text !== ".") {
        const chain = [i];
        while (toks[chain.at(-1)! + 1]?.text === "." && isName(toks[chain.at(-1)! + 2])) {
          chain.push(chain.at(-1)! + 2);
        }
        const parts = chain.map((k) => toks[k].value);
        const k = parts.findIndex((_, m) =>
          m > 0 && this.listFields.has(parts.slice(0, m + 1).join(".").toLowerCase())
        );
        if (k > 0) {
          primaryStart = out.length;
          out.push(
            `list_transform(${parts.slice(0, k).map(ident).join(".")}, lambda __e: __e.${
              parts.slice(k).map(ident).join(".")
            })`,
          );
          i = chain.at(-1)! + 1;
          continue;
        }
      }
      // x[i]: 0-based for arrays; x['k'] (maps, structs) stays as it is.
      if (t.kind === "op" && t.text === "[" && out.length > primaryStart) {
        const p = toks[this.prev(i)];
        const end = this.close(i);
        const inner = this.sig(i + 1, end - 1);
        const keyed = inner.length === 1 && (inner[0].kind === "string" || inner[0].kind === "dstring");
        if ((isName(p) && !KEYWORDS.has(p.text.toLowerCase())) || p?.text === ")" || p?.text === "]") {
          const index = this.range(i + 1, end).trim();
          postfix((left) =>
            keyed ? `${left}[${index}]` : `spark_subscript${this.ansi ? "" : "_legacy"}(${left}, ${index})`
          );
          i = end + 1;
          continue;
        }
      }
      // Groups, CASE, calls.
      if (t.kind === "op" && t.text === "(") {
        const end = this.close(i);
        primaryStart = out.length;
        out.push(`(${this.range(i + 1, end)})`);
        i = end + 1;
        continue;
      }
      if (word === "case") {
        const end = this.caseEnd(i);
        primaryStart = out.length;
        out.push(`${t.text}${this.range(i + 1, end)}${toks[end].text}`);
        chainStart = chainStart > primaryStart ? primaryStart : chainStart;
        i = end + 1;
        continue;
      }
      if (
        t.kind === "word" && toks[nx]?.text === "(" && !NOT_FUNCTION.has(word) &&
        toks[this.prev(i)]?.text !== "." && !isWord(toks[this.prev(i)], "as") &&
        !this.cteColumns(nx)
      ) {
        const [sql, last] = this.call(i);
        primaryStart = out.length;
        out.push(sql);
        i = last + 1;
        continue;
      }
      // Single tokens.
      if (resets) {
        out.push(t.text === "==" ? "=" : t.text);
        chainStart = primaryStart = out.length;
        i++;
        continue;
      }
      if (t.kind === "word" || t.kind === "backtick") {
        if (toks[this.prev(i)]?.text !== ".") primaryStart = out.length;
      } else if (t.kind === "string" || t.kind === "dstring" || t.kind === "number") {
        primaryStart = out.length;
      }
      if (t.kind === "number" && toks[i + 1]?.kind === "word" && NUMBER_SUFFIX[toks[i + 1].text.toLowerCase()]) {
        out.push(`CAST(${t.text} AS ${NUMBER_SUFFIX[toks[i + 1].text.toLowerCase()]})`);
        i += 2;
        continue;
      }
      if (t.kind === "op" && t.text === "==") out.push("=");
      else if (t.kind === "string" || t.kind === "dstring") out.push(sqlString(sparkStringValue(t.text)));
      else if (t.kind === "backtick") out.push(ident(t.value));
      else if (DUCKDB_RESERVED.has(word) && toks[nx]?.kind !== "number") out.push(ident(t.text));
      else if (word === "window" && toks[nx]?.text === ".") out.push(ident(t.text));
      else out.push(t.text);
      i++;
    }
    return out.join("");
  }
}

/** Words that end a SELECT list. */
const SELECT_END = new Set([
  "from",
  "where",
  "group",
  "having",
  "order",
  "limit",
  "union",
  "except",
  "intersect",
  "minus",
  "window",
  "qualify",
  "lateral",
  "cluster",
  "distribute",
  "sort",
  "into",
]); // deno-fmt-ignore

const isName = (t: Token | undefined) => t?.kind === "word" || t?.kind === "backtick";

/**
 * The column name Spark gives a SELECT item without an alias (`upper(name)`,
 * `(a + 1)`, `count(1)`), or undefined when the item has an alias, is a star, is a
 * column (DuckDB names it the same), or is a generator (named by its rule).
 */
export function sparkColumnName(sig: Token[]): string | undefined {
  if (!sig.length) return undefined;
  const last = sig.at(-1)!;
  const before = sig.at(-2);
  // A star: `*`, `t.*`, `* EXCEPT (…)`.
  if (sig[0].text === "*" || sig.some((t, k) => t.text === "*" && sig[k - 1]?.text === ".")) {
    return undefined;
  }
  // An alias: `… AS x`, `… AS (a, b)`, or `expr x`.
  if (before && isWord(before, "as")) return undefined;
  if (sig.length >= 2 && last.text === ")" && sig.some((t) => isWord(t, "as"))) {
    const open = sig.findIndex((t) => isWord(t, "as"));
    if (sig[open + 1]?.text === "(" && !sig.slice(0, open).some((t) => t.text === "(")) {
      return undefined;
    }
  }
  if (
    isName(last) && before && before.text !== "." && !KEYWORDS.has(last.text.toLowerCase()) &&
    (isName(before) || before.text === ")" || before.kind === "string" ||
      before.kind === "number")
  ) return undefined;
  // A column, `t.col` or `s.a.b`: DuckDB names it after its last part, as Spark does.
  if (sig.every((t, k) => k % 2 === 0 ? isName(t) : t.text === ".")) return undefined;
  if (isWord(sig[0], "explode") || isWord(sig[0], "explode_outer")) return undefined;
  if (/^posexplode/i.test(sig[0].text)) return undefined;
  if (sig.length === 1 && sig[0].kind === "number") return sig[0].text;
  return prettySql(sig, true);
}

const BINARY = new Set([
  "+",
  "-",
  "*",
  "/",
  "%",
  "=",
  "==",
  "!=",
  "<>",
  "<",
  "<=",
  ">",
  ">=",
  "||",
  "<=>",
  "and",
  "or",
  "div",
]); // deno-fmt-ignore

/** Spark's printed form of an expression (its column name), from the tokens as written. */
function prettySql(sig: Token[], top: boolean): string {
  let out = "";
  let depth = 0;
  let binaryAtTop = false;
  for (const [k, t] of sig.entries()) {
    const prev = sig[k - 1];
    const lower = t.text.toLowerCase();
    let text: string;
    if (t.kind === "string" || t.kind === "dstring") text = sparkStringValue(t.text);
    else if (t.kind === "backtick") text = t.value;
    else if (t.kind === "word" && sig[k + 1]?.text === "(") {
      text = KEYWORDS.has(lower) || NOT_FUNCTION.has(lower) || lower === "cast"
        ? t.text.toUpperCase()
        : lower;
    } else if (t.kind === "word" && (KEYWORDS.has(lower) || lower === "null")) {
      text = t.text.toUpperCase();
    } else if (t.kind === "word" && (lower === "true" || lower === "false")) text = lower;
    else if (t.text === "==") text = "=";
    else text = t.text;
    if (t.text === "(" || t.text === "[") depth++;
    if (t.text === ")" || t.text === "]") depth--;
    if (depth === 0 && BINARY.has(lower) && k > 0) binaryAtTop = true;
    if (t.text === "*" && prev?.text === "(" && sig[k + 1]?.text === ")") text = "1";
    const glue = !prev || prev.text === "(" || prev.text === "[" || prev.text === "." ||
      t.text === ")" || t.text === "]" || t.text === "," || t.text === "." ||
      (t.text === "(" && (prev.kind === "word")) || t.text === "[" ||
      (prev.text === "-" && (k === 1 || BINARY.has(sig[k - 2]?.text.toLowerCase() ?? "")));
    out += (glue ? "" : " ") + text;
  }
  return top && binaryAtTop ? `(${out})` : out;
}

/** Quotes a name for DuckDB. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Translates a query's tokens (Spark / Databricks SQL) to DuckDB SQL: dataset
 * references and file sources go to `resolver`; Spark functions, casts, operators
 * (`/`, `%`, `div`, `<=>`, `RLIKE`, `:` JSON paths, `::`) and syntax (`LATERAL VIEW`,
 * `* EXCEPT`) are written with Spark's meaning (see spark/). `names` holds the
 * pipeline's dataset names (lower case). The SQL needs `installSparkFunctions` on
 * the connection that runs it.
 */
export function translate(
  toks: Token[],
  names: ReadonlySet<string>,
  resolver: Resolver,
  where: Where,
  options: TranslateOptions = {},
): string {
  return new Translator(toks, names, resolver, where, options).range(0, toks.length);
}

/** Spaces significant tokens apart (for token lists parsed without their whitespace). */
export function spaced(toks: Token[]): Token[] {
  return toks.flatMap((t, k) =>
    k === 0 ? [t] : [{ kind: "space" as const, text: " ", value: " ", line: t.line }, t]
  );
}

/** The references and sources in a query, without translating it. */
export function scan(
  toks: Token[],
  names: ReadonlySet<string>,
  where: Where,
): { refs: Reference[]; sources: SourceSpec[] } {
  const refs: Reference[] = [];
  const sources: SourceSpec[] = [];
  translate(toks, names, {
    ref: (r) => (refs.push(r), "x"),
    source: (s) => (sources.push(s), "x"),
  }, where);
  return { refs, sources };
}

const LIST_FIELD =
  /Cannot extract field '([^']+)' from expression "([^"]+)" because it is not a struct/;

/**
 * Translates with `make` and binds the result on `conn`; while DuckDB reports a field
 * taken from an array (`weather.main` where `weather` is an array of structs), translates
 * again with that path in `listFields`. Returns the SQL (whose binding may still fail
 * for other reasons: the caller reports those).
 */
export async function withListFields(
  conn: DuckDBConnection,
  make: (listFields: ReadonlySet<string>) => string,
): Promise<string> {
  const fields = new Set<string>();
  let sql = make(fields);
  for (let tries = 0; tries < 16; tries++) {
    try {
      await describeColumns(conn, `(${sql})`);
      return sql;
    } catch (e) {
      const m = LIST_FIELD.exec(e instanceof Error ? e.message : String(e));
      const path = m && `${m[2].replaceAll('"', "")}.${m[1]}`.toLowerCase();
      if (!path || fields.has(path)) return sql;
      fields.add(path);
      sql = make(fields);
    }
  }
  return sql;
}
