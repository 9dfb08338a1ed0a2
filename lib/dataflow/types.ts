/**
 * Column types as a small tree: parsed from Spark/DuckDB type spellings (column
 * lists, `schemaHints`) or from DuckDB's `json_structure`, merged as schemas
 * evolve, and printed as DuckDB types.
 */
import { splitTopLevel } from "./parse.ts";
import { significant, type Token, tokenize } from "./tokens.ts";

/** A column type: a scalar DuckDB type name, a list, a struct, or a map. */
export type TypeTree =
  | { kind: "scalar"; name: string }
  | { kind: "list"; of: TypeTree }
  | { kind: "struct"; fields: [string, TypeTree][] }
  | { kind: "map"; key: TypeTree; value: TypeTree };

const SPARK_SCALARS: Record<string, string> = {
  string: "VARCHAR",
  varchar: "VARCHAR",
  char: "VARCHAR",
  text: "VARCHAR",
  long: "BIGINT",
  bigint: "BIGINT",
  int: "INTEGER",
  integer: "INTEGER",
  short: "SMALLINT",
  smallint: "SMALLINT",
  byte: "TINYINT",
  tinyint: "TINYINT",
  float: "FLOAT",
  real: "FLOAT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  bool: "BOOLEAN",
  timestamp: "TIMESTAMP",
  timestamp_ntz: "TIMESTAMP",
  timestamp_ltz: "TIMESTAMPTZ",
  timestamptz: "TIMESTAMPTZ",
  date: "DATE",
  binary: "BLOB",
  blob: "BLOB",
  json: "JSON",
  ubigint: "UBIGINT",
  hugeint: "HUGEINT",
};

/** Raised for a type that cannot be read. */
export class TypeSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = "TypeSyntaxError";
  }
}

class TypeReader {
  i = 0;
  constructor(readonly toks: Token[]) {}
  peek(): Token | undefined {
    return this.toks[this.i];
  }
  take(text?: string): Token {
    const t = this.toks[this.i++];
    if (!t || (text !== undefined && t.text !== text)) {
      throw new TypeSyntaxError(
        `expected ${text ?? "a type"} in type, found ${t ? `'${t.text}'` : "end"}`,
        t?.line ?? this.toks.at(-1)?.line ?? 1,
      );
    }
    return t;
  }
  type(): TypeTree {
    let out = this.base();
    while (this.peek()?.text === "[") {
      this.take("[");
      this.take("]");
      out = { kind: "list", of: out };
    }
    return out;
  }
  base(): TypeTree {
    const t = this.take();
    const word = t.text.toLowerCase();
    const open = this.peek()?.text;
    if (word === "array" || word === "list") {
      const close = open === "<" ? ">" : ")";
      this.take(open === "<" ? "<" : "(");
      const of = this.type();
      this.take(close);
      return { kind: "list", of };
    }
    if (word === "map") {
      const close = open === "<" ? ">" : ")";
      this.take(open === "<" ? "<" : "(");
      const key = this.type();
      this.take(",");
      const value = this.type();
      this.take(close);
      return { kind: "map", key, value };
    }
    if (word === "struct") {
      const close = open === "<" ? ">" : ")";
      this.take(open === "<" ? "<" : "(");
      const fields: [string, TypeTree][] = [];
      while (this.peek()?.text !== close) {
        const name = this.take();
        if (this.peek()?.text === ":") this.take(":");
        fields.push([name.value, this.type()]);
        if (this.peek()?.text === ",") this.take(",");
      }
      this.take(close);
      return { kind: "struct", fields };
    }
    let out: TypeTree;
    if (word === "decimal" || word === "numeric") {
      let args = "";
      if (open === "(") {
        this.take("(");
        while (this.peek()?.text !== ")") args += this.take().text;
        this.take(")");
      }
      out = { kind: "scalar", name: `DECIMAL${args ? `(${args})` : ""}` };
    } else {
      if (t.kind !== "word") {
        throw new TypeSyntaxError(`expected a type, found '${t.text}'`, t.line);
      }
      let name = SPARK_SCALARS[word] ?? t.text.toUpperCase();
      if (word === "timestamp" && this.peek()?.text.toLowerCase() === "with") {
        this.i += 3; // TIMESTAMP WITH TIME ZONE
        name = "TIMESTAMPTZ";
      }
      out = { kind: "scalar", name };
    }
    return out;
  }
}

function typeTokens(toks: Token[]): Token[] {
  // `>>` in `ARRAY<STRUCT<…>>` arrives as one token in some spellings; split it.
  return toks.filter(significant).flatMap((t) =>
    t.text.length > 1 && /^[<>]+$/.test(t.text)
      ? [...t.text].map((ch) => ({ ...t, text: ch, value: ch }))
      : [t]
  );
}

/** Parses a type written in Spark (`STRUCT<a: STRING>`, `ARRAY<LONG>`) or DuckDB spelling. */
export function parseType(text: string, line = 1): TypeTree {
  const toks = typeTokens(tokenize(text)).map((t) => ({ ...t, line: t.line + line - 1 }));
  const r = new TypeReader(toks);
  const tree = r.type();
  if (r.i < toks.length) {
    throw new TypeSyntaxError(`unexpected '${toks[r.i].text}' after type`, toks[r.i].line);
  }
  return tree;
}

/** Parses a schema in DDL form: `a STRING, b STRUCT<c: LONG>` → ordered columns. */
export function parseSchema(text: string, line = 1): [string, TypeTree][] {
  const toks = tokenize(text);
  return splitTopLevel(typeTokens(toks), ",", true).map((part) => {
    const sig = part.filter(significant);
    const name = sig[0];
    if (!name || (name.kind !== "word" && name.kind !== "backtick")) {
      throw new TypeSyntaxError("expected a column name in schema", (name?.line ?? 1) + line - 1);
    }
    return [name.value, parseType(textOfTokens(sig.slice(1)), name.line + line - 1)];
  });
}

function textOfTokens(toks: Token[]): string {
  return toks.map((t) => t.text).join(" ");
}

/** Converts DuckDB's `json_structure` output into a type tree. */
export function fromJsonStructure(s: unknown): TypeTree {
  // Positive integers come back as UBIGINT; a later negative value must still fit.
  if (typeof s === "string") return { kind: "scalar", name: s === "UBIGINT" ? "BIGINT" : s };
  if (Array.isArray(s)) return { kind: "list", of: fromJsonStructure(s[0] ?? "NULL") };
  if (s && typeof s === "object") {
    const entries = Object.entries(s as Record<string, unknown>);
    if (entries.length === 0) return { kind: "scalar", name: "JSON" };
    return { kind: "struct", fields: entries.map(([k, v]) => [k, fromJsonStructure(v)]) };
  }
  return { kind: "scalar", name: "NULL" };
}

const NUMERIC = new Set(["BIGINT", "UBIGINT", "HUGEINT", "DOUBLE", "INTEGER"]);

/**
 * Merges two types. Fields are unioned (`a`'s order first). Where the scalars
 * disagree, `keep` decides: "first" keeps `a` (an established schema stays
 * stable; values that don't fit are rescued), "widen" widens (numbers to
 * DOUBLE, other scalars to VARCHAR, mixed shapes to JSON).
 */
export function mergeTypes(a: TypeTree, b: TypeTree, keep: "first" | "widen"): TypeTree {
  if (a.kind === "scalar" && a.name === "NULL") return b;
  if (b.kind === "scalar" && b.name === "NULL") return a;
  if (a.kind === "struct" && b.kind === "struct") {
    const fields = a.fields.map(([k, t]): [string, TypeTree] => {
      const other = b.fields.find(([k2]) => k2 === k);
      return [k, other ? mergeTypes(t, other[1], keep) : t];
    });
    for (const [k, t] of b.fields) if (!a.fields.some(([k2]) => k2 === k)) fields.push([k, t]);
    return { kind: "struct", fields };
  }
  if (a.kind === "list" && b.kind === "list") {
    return { kind: "list", of: mergeTypes(a.of, b.of, keep) };
  }
  if (a.kind === "scalar" && b.kind === "scalar" && a.name === b.name) return a;
  if (keep === "first") return a;
  if (a.kind === "scalar" && b.kind === "scalar") {
    if (NUMERIC.has(a.name) && NUMERIC.has(b.name)) return { kind: "scalar", name: "DOUBLE" };
    return { kind: "scalar", name: "VARCHAR" };
  }
  return { kind: "scalar", name: "JSON" };
}

/** Replaces types never seen with a value (`NULL`) by VARCHAR, so a table can hold them. */
export function settle(t: TypeTree): TypeTree {
  switch (t.kind) {
    case "scalar":
      return t.name === "NULL" ? { kind: "scalar", name: "VARCHAR" } : t;
    case "list":
      return { kind: "list", of: settle(t.of) };
    case "struct":
      return { kind: "struct", fields: t.fields.map(([k, f]) => [k, settle(f)]) };
    case "map":
      return { kind: "map", key: settle(t.key), value: settle(t.value) };
  }
}

/** Quotes a column or field name for DuckDB. */
export function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Prints a type tree as a DuckDB type. */
export function duckType(t: TypeTree): string {
  switch (t.kind) {
    case "scalar":
      return t.name === "NULL" ? "VARCHAR" : t.name;
    case "list":
      return `${duckType(t.of)}[]`;
    case "struct":
      return `STRUCT(${t.fields.map(([k, f]) => `${quoteName(k)} ${duckType(f)}`).join(", ")})`;
    case "map":
      return `MAP(${duckType(t.key)}, ${duckType(t.value)})`;
  }
}

/** The type as a `json_transform` structure (one parse of the JSON text, straight to the type). */
export function jsonStructure(t: TypeTree): unknown {
  switch (t.kind) {
    case "scalar":
      return t.name === "NULL" ? "VARCHAR" : t.name;
    case "list":
      return [jsonStructure(t.of)];
    case "struct":
      return t.fields.length
        ? Object.fromEntries(t.fields.map(([k, f]) => [k, jsonStructure(f)]))
        : "JSON";
    case "map":
      return duckType(t);
  }
}

/**
 * Lays hinted types over inferred ones: a hinted field takes the hint's type,
 * except that struct hints only fix the fields they name (other inferred fields
 * stay, so nothing a source delivers is lost); unhinted fields stay as inferred.
 */
export function overlay(hint: TypeTree, inferred: TypeTree): TypeTree {
  if (hint.kind !== "struct" || inferred.kind !== "struct") return hint;
  const fields = inferred.fields.map(([k, t]): [string, TypeTree] => {
    const h = hint.fields.find(([hk]) => hk === k);
    return [k, h ? overlay(h[1], t) : t];
  });
  for (const h of hint.fields) if (!fields.some(([k]) => k === h[0])) fields.push(h);
  return { kind: "struct", fields };
}

/** Structs nest at most this deep in an inferred schema; deeper values are kept as JSON text. */
export const INFERRED_DEPTH = 32;

/** Cuts a tree at `depth` levels of structs and lists: what lies deeper becomes JSON. */
export function capDepth(t: TypeTree, depth = INFERRED_DEPTH): TypeTree {
  if (t.kind === "scalar") return t;
  if (depth <= 0) return { kind: "scalar", name: "JSON" };
  switch (t.kind) {
    case "list":
      return { kind: "list", of: capDepth(t.of, depth - 1) };
    case "struct":
      return { kind: "struct", fields: t.fields.map(([k, f]) => [k, capDepth(f, depth - 1)]) };
    case "map":
      return t;
  }
}

const TEXT_SCALARS = new Set(["VARCHAR", "JSON", "NULL"]);
const INTEGERS = new Set([
  "TINYINT",
  "SMALLINT",
  "INTEGER",
  "BIGINT",
  "HUGEINT",
  "UTINYINT",
  "USMALLINT",
  "UINTEGER",
  "UBIGINT",
  "UHUGEINT",
]);

/**
 * The `json_transform` structure that reads a value of type `t` as text: the same shape, every
 * typed scalar as VARCHAR. `typedSql` then casts the text, and `misfitSql` says where a present
 * value did not convert, so nothing is turned into NULL unseen.
 */
export function textStructure(t: TypeTree): unknown {
  switch (t.kind) {
    case "scalar":
      return t.name === "JSON" ? "JSON" : "VARCHAR";
    case "list":
      return [textStructure(t.of)];
    case "struct":
      return t.fields.length
        ? Object.fromEntries(t.fields.map(([k, f]) => [k, textStructure(f)]))
        : "JSON";
    case "map":
      return duckType(t);
  }
}

/** Whether some scalar of `t` satisfies `test`. */
function hasScalar(t: TypeTree, test: (name: string) => boolean): boolean {
  switch (t.kind) {
    case "scalar":
      return test(t.name);
    case "list":
      return hasScalar(t.of, test);
    case "struct":
      return t.fields.some(([, f]) => hasScalar(f, test));
    case "map":
      return false;
  }
}

/** `t` with the scalars that satisfy `test` replaced by VARCHAR. */
function asText(t: TypeTree, test: (name: string) => boolean): TypeTree {
  switch (t.kind) {
    case "scalar":
      return test(t.name) ? { kind: "scalar", name: "VARCHAR" } : t;
    case "list":
      return { kind: "list", of: asText(t.of, test) };
    case "struct":
      return t.fields.length
        ? { kind: "struct", fields: t.fields.map(([k, f]) => [k, asText(f, test)]) }
        : { kind: "scalar", name: "JSON" };
    case "map":
      return t;
  }
}

const typed = (name: string) => !TEXT_SCALARS.has(name);
/** Scalars whose text is canonical: a value fits iff it reads back as the same text. */
const canonical = (name: string) => INTEGERS.has(name) || name === "BOOLEAN";
const other = (name: string) => typed(name) && !canonical(name);

/** SQL turning `x` (read with `textStructure(t)`) into a value of type `t`. */
export function typedSql(x: string, t: TypeTree): string {
  return hasScalar(t, typed) ? `TRY_CAST(${x} AS ${duckType(t)})` : x;
}

/** Per-value checks of the scalars `test` picks: present as text, but no value of the type. */
function leafChecks(x: string, t: TypeTree, depth: number): string | undefined {
  if (!hasScalar(t, other)) return undefined;
  switch (t.kind) {
    case "scalar":
      return `(${x} IS NOT NULL AND TRY_CAST(${x} AS ${t.name}) IS NULL)`;
    case "list": {
      const e = `__e${depth}`;
      return `coalesce(list_bool_or(list_transform(${x}, ${e} -> ${
        leafChecks(e, t.of, depth + 1)
      })), false)`;
    }
    case "struct": {
      const parts = t.fields
        .map(([k, f]) => leafChecks(`struct_extract(${x}, ${quoteSqlString(k)})`, f, depth))
        .filter((p): p is string => p !== undefined);
      return parts.length ? `(${parts.join(" OR ")})` : undefined;
    }
    case "map":
      return undefined;
  }
}

/**
 * SQL that is true where a value under `x` (read with `textStructure(t)`) is present but does
 * not convert to its type in `t`, at any depth; `undefined` when nothing can misfit. Integers
 * and booleans are checked all at once, by reading the converted value back as text (a value
 * that fits reads back the same: `5`, `true`; `"1.2K"`, `5.5` or `1` for a boolean do not);
 * other typed scalars (DOUBLE, TIMESTAMP, …) one by one.
 */
export function misfitSql(x: string, t: TypeTree): string | undefined {
  const parts = canonicalChecks(x, t);
  const each = leafChecks(x, t, 0);
  if (each) parts.push(each);
  return parts.length ? parts.join(" OR ") : undefined;
}

/** Read-back checks of integers and booleans, on the smallest parts of `x` that hold them. */
function canonicalChecks(x: string, t: TypeTree): string[] {
  if (!hasScalar(t, canonical)) return [];
  if (t.kind === "struct" && hasScalar(t, (n) => !canonical(n))) {
    // Mixed fields: check each field apart, so text fields are not copied for nothing.
    return t.fields.flatMap(([k, f]) =>
      canonicalChecks(`struct_extract(${x}, ${quoteSqlString(k)})`, f)
    );
  }
  const text = duckType(asText(t, typed));
  const loose = hasScalar(t, other)
    ? `TRY_CAST(TRY_CAST(${x} AS ${duckType(asText(t, canonical))}) AS ${text})`
    : x;
  return [`(${loose} IS DISTINCT FROM TRY_CAST(${typedSql(x, t)} AS ${text}))`];
}

function quoteSqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The field paths of `b` that `a` lacks (`data.geo`, `items[].kind`), for messages. */
export function newFields(a: TypeTree, b: TypeTree, prefix = ""): string[] {
  if (a.kind === "struct" && b.kind === "struct") {
    return b.fields.flatMap(([k, t]) => {
      const have = a.fields.find(([k2]) => k2 === k);
      const path = prefix ? `${prefix}.${k}` : k;
      return have ? newFields(have[1], t, path) : [path];
    });
  }
  if (a.kind === "list" && b.kind === "list") return newFields(a.of, b.of, `${prefix}[]`);
  return [];
}
