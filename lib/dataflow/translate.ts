/**
 * The one place where pipeline SQL (Spark / Databricks spelling) becomes DuckDB
 * SQL: dataset references (`STREAM(LIVE.x)`, `STREAM x`, `LIVE.x`, bare names
 * after FROM/JOIN) and file sources (`read_files`, `cloud_files`) are handed to a
 * resolver; `==`, double-quoted strings, backquoted names, `current_timestamp()`
 * and `element_at` are rewritten.
 */
import { PipelineError } from "./errors.ts";
import { splitTopLevel } from "./parse.ts";
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
  const path = literalValue(positional[0], where);
  if (positional[1]) option("format", literalValue(positional[1], where));
  const format = (options.format ?? "json").toLowerCase();
  if (format !== "json") fail(`${fn.text}(): only format 'json' is supported, not '${format}'`);
  return { path, format, options, line: fn.line };
}

/** Translates tokens to DuckDB SQL; `names` holds the pipeline's dataset names (lower case). */
export function translate(
  toks: Token[],
  names: ReadonlySet<string>,
  resolver: Resolver,
  where: Where,
): string {
  const out: string[] = [];
  const next = (i: number): number => {
    let j = i + 1;
    while (j < toks.length && !significant(toks[j])) j++;
    return j;
  };
  const close = (open: number): number => {
    let depth = 0;
    for (let k = open; k < toks.length; k++) {
      if (toks[k].text === "(") depth++;
      else if (toks[k].text === ")" && --depth === 0) return k;
    }
    throw new PipelineError("unbalanced parentheses", where.file, toks[open].line, where.dataset);
  };
  const aliasFollows = (i: number): boolean => {
    const t = toks[next(i)];
    if (!t) return false;
    if (isWord(t, "as")) return true;
    return (t.kind === "word" || t.kind === "backtick") && !NOT_ALIAS.has(t.text.toLowerCase());
  };
  /**
   * A table name at `i`: `live.x` anywhere; where a table is expected (`bareOk`), a
   * qualified name (`s.t`, `c.s.t`, `json.\`/path\``) or a known bare name. Gives the name's
   * parts and its last index.
   */
  const refAt = (i: number, bareOk: boolean): [string[], number] | undefined => {
    const n = readName(toks, i, next);
    if (!n || toks[next(n.end)]?.text === "(") return undefined;
    if (n.live) return [n.parts, n.end];
    if (!bareOk || isWord(toks[i], "live")) return undefined;
    if (n.parts.length > 1 || names.has(n.parts[0].toLowerCase())) return [n.parts, n.end];
    return undefined;
  };
  const reference = (parts: string[], stream: boolean, line: number): Reference => ({
    name: parts.join("."),
    parts,
    stream,
    line,
  });
  const sourceAt = (i: number): [SourceSpec, number] | undefined => {
    const t = toks[i];
    if (t?.kind !== "word" || !SOURCE_FUNCTIONS.has(t.text.toLowerCase())) return undefined;
    const open = next(i);
    if (toks[open]?.text !== "(") return undefined;
    const end = close(open);
    return [parseSource(t, toks.slice(open + 1, end), where), end];
  };
  let i = 0;
  while (i < toks.length) {
    const t = toks[i];
    if (!significant(t)) {
      out.push(t.text);
      i++;
      continue;
    }
    const word = t.kind === "word" ? t.text.toLowerCase() : "";
    if (word === "stream") {
      const j = next(i);
      if (toks[j]?.text === "(") {
        const end = close(j);
        const inner = next(j);
        const src = sourceAt(inner);
        const named = toks[inner]?.kind === "word" || toks[inner]?.kind === "backtick";
        const ref = src ? undefined : refAt(inner, true) ??
          (named && next(inner) === end ? [[toks[inner].value], inner] as const : undefined);
        if (src && next(src[1]) === end) {
          out.push(resolver.source(src[0], aliasFollows(end)));
          i = end + 1;
          continue;
        }
        if (ref && next(ref[1]) === end) {
          out.push(resolver.ref(reference([...ref[0]], true, t.line), aliasFollows(end)));
          i = end + 1;
          continue;
        }
      } else {
        const src = sourceAt(j);
        if (src) {
          out.push(resolver.source(src[0], aliasFollows(src[1])));
          i = src[1] + 1;
          continue;
        }
        const ref = refAt(j, true);
        if (ref) {
          out.push(resolver.ref(reference(ref[0], true, t.line), aliasFollows(ref[1])));
          i = ref[1] + 1;
          continue;
        }
      }
    }
    const src = sourceAt(i);
    if (src) {
      out.push(resolver.source(src[0], aliasFollows(src[1])));
      i = src[1] + 1;
      continue;
    }
    const live = refAt(i, false);
    if (live) {
      out.push(resolver.ref(reference(live[0], false, t.line), aliasFollows(live[1])));
      i = live[1] + 1;
      continue;
    }
    if (word === "from" || word === "join") {
      const j = next(i);
      const bare = toks[j]?.kind === "word" && isWord(toks[j], "live") ? undefined : refAt(j, true);
      if (bare) {
        out.push(t.text, toks.slice(i + 1, j).map((x) => x.text).join(""));
        out.push(resolver.ref(reference(bare[0], false, toks[j].line), aliasFollows(bare[1])));
        i = bare[1] + 1;
        continue;
      }
    }
    if ((word === "current_timestamp" || word === "current_date") && toks[next(i)]?.text === "(") {
      const end = close(next(i));
      if (next(next(i)) === end) {
        out.push(word);
        i = end + 1;
        continue;
      }
    }
    if (word === "element_at" && toks[next(i)]?.text === "(") {
      const open = next(i);
      const end = close(open);
      const args = splitTopLevel(toks.slice(open + 1, end));
      if (args.length === 2) {
        const [a, b] = args.map((arg) => translate(arg, names, resolver, where).trim());
        out.push(`(${a})[${b}]`);
        i = end + 1;
        continue;
      }
    }
    if (t.kind === "op" && t.text === "==") out.push("=");
    else if (t.kind === "dstring") out.push(sqlString(t.value));
    else if (t.kind === "backtick") out.push(`"${t.value.replaceAll('"', '""')}"`);
    else out.push(t.text);
    i++;
  }
  return out.join("");
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
