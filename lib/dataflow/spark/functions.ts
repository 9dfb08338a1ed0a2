/**
 * The Spark SQL function table: for each Spark function the pipeline engine runs,
 * how it is written in DuckDB with Spark's meaning (argument order, 1-based
 * indexes, NULL handling, Java patterns, ANSI mode). A function that is not in
 * the table is an error that names it: nothing runs with DuckDB's meaning by
 * accident. `SAME` lists the functions whose DuckDB namesake means the same.
 */
import { type Token } from "../tokens.ts";
import { jsonStructure, parseSchema, parseType, type TypeTree } from "../types.ts";
import { javaDatePattern, javaRegex, javaReplacement } from "./patterns.ts";
import { sqlString } from "./patterns.ts";

/** One call of a Spark function, as the translation layer sees it. */
export interface Call {
  /** Lower-case Spark name. */
  name: string;
  /** Translated arguments (DuckDB SQL). */
  args: string[];
  /** Each argument's significant tokens, untranslated (for literals, units, `x AS y`). */
  raw: Token[][];
  /** Translated `FILTER (…)` / `OVER (…)` clauses that followed the call ('' if none). */
  suffix: string;
  /** `IGNORE NULLS` followed the call. */
  ignoreNulls: boolean;
  /** `spark.sql.ansi.enabled`. */
  ansi: boolean;
  /** Whether an alias follows the call (`explode(x) AS y`). */
  aliased: boolean;
  /** Fails the translation with a message (the layer adds file, line and dataset). */
  fail(message: string): never;
}

/** How one Spark function is written in DuckDB. */
export type Rule = (c: Call) => string;

/** Functions whose DuckDB namesake takes the same arguments and gives the same results. */
const SAME = [
  // math
  "abs",
  "acos",
  "asin",
  "atan",
  "atan2",
  "cbrt",
  "ceil",
  "ceiling",
  "cos",
  "cosh",
  "cot",
  "degrees",
  "exp",
  "floor",
  "ln",
  "log10",
  "log2",
  "pi",
  "radians",
  "sin",
  "sinh",
  "sqrt",
  "tan",
  "tanh",
  "greatest",
  "least",
  "round",
  "sign",
  "factorial",
  // strings
  "lower",
  "upper",
  "lcase",
  "ucase",
  "length",
  "char_length",
  "character_length",
  "trim",
  "ltrim",
  "rtrim",
  "left",
  "right",
  "repeat",
  "ascii",
  "chr",
  "translate",
  "levenshtein",
  "instr",
  "contains",
  "bit_length",
  "octet_length",
  "md5",
  "sha1",
  // conditionals and nulls
  "coalesce",
  "nullif",
  "ifnull",
  "if",
  // dates
  "make_date",
  "last_day",
  "current_date",
  "current_timestamp",
  "now",
  // aggregates
  "count",
  "sum",
  "avg",
  "mean",
  "min",
  "max",
  "stddev",
  "stddev_samp",
  "stddev_pop",
  "variance",
  "var_samp",
  "var_pop",
  "count_if",
  "bool_and",
  "bool_or",
  "max_by",
  "min_by",
  "corr",
  "covar_pop",
  "covar_samp",
  "approx_count_distinct",
  "median",
  "any_value",
  "grouping",
  // windows
  "row_number",
  "rank",
  "dense_rank",
  "percent_rank",
  "cume_dist",
  "ntile",
  "lag",
  "lead",
  "nth_value",
  // arrays and maps
  "flatten",
  "map_keys",
  "map_values",
  "array_max",
  "array_min",
]; // deno-fmt-ignore

/** A Spark string literal's value, or undefined when the argument is not one. */
export function literal(toks: Token[] | undefined): string | undefined {
  if (toks?.length !== 1) return undefined;
  const t = toks[0];
  if (t.kind === "string" || t.kind === "dstring") return t.value;
  return undefined;
}

function arity(c: Call, min: number, max = min): void {
  if (c.args.length < min || c.args.length > max) {
    const n = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    c.fail(`${c.name}() takes ${n} argument(s), not ${c.args.length}`);
  }
}

/** The literal pattern of argument k, or a failure saying it must be one. */
function patternArg(c: Call, k: number): string {
  const v = literal(c.raw[k]);
  if (v === undefined) c.fail(`${c.name}(): the pattern must be a string literal`);
  return v;
}

function wrap(c: Call, fn: (c: Call) => void) {
  try {
    fn(c);
  } catch (e) {
    if (e instanceof Error && e.name === "PatternError") c.fail(`${c.name}(): ${e.message}`);
    throw e;
  }
}

const to = (duck: string): Rule => (c) => `${duck}(${c.args.join(", ")})`;

/** The date (`DATE`) and timestamp arguments of date functions, strings read as Spark reads them. */
const D = (c: Call, x: string) => `spark_date${c.ansi ? "" : "_legacy"}(${x})`;
const T = (c: Call, x: string) => `spark_timestamp${c.ansi ? "" : "_legacy"}(${x})`;
const legacy = (c: Call) => (c.ansi ? "" : "_legacy");

/** date_part's fields → the function that extracts it. */
const DATE_PART_FIELDS: Record<string, string> = {
  year: "year",
  years: "year",
  yyyy: "year",
  quarter: "quarter",
  month: "month",
  months: "month",
  mon: "month",
  week: "weekofyear",
  weeks: "weekofyear",
  day: "day",
  days: "day",
  d: "day",
  dayofweek: "dayofweek",
  dow: "dayofweek",
  doy: "dayofyear",
  hour: "hour",
  hours: "hour",
  minute: "minute",
  minutes: "minute",
  second: "second",
  seconds: "second",
}; // deno-fmt-ignore

/** Units of datediff / timestampdiff / date_trunc / trunc, Spark spelling → DuckDB part. */
const UNITS: Record<string, string> = {
  microsecond: "microsecond",
  microseconds: "microsecond",
  millisecond: "millisecond",
  milliseconds: "millisecond",
  second: "second",
  seconds: "second",
  minute: "minute",
  minutes: "minute",
  hour: "hour",
  hours: "hour",
  day: "day",
  days: "day",
  dd: "day",
  week: "week",
  weeks: "week",
  month: "month",
  months: "month",
  mon: "month",
  mm: "month",
  quarter: "quarter",
  year: "year",
  years: "year",
  yyyy: "year",
  yy: "year",
}; // deno-fmt-ignore

function unitOf(c: Call, k: number): string {
  const t = c.raw[k];
  const text = literal(t) ?? (t?.length === 1 && t[0].kind === "word" ? t[0].text : undefined);
  const unit = text && UNITS[text.toLowerCase()];
  if (!unit) c.fail(`${c.name}(): unit '${text ?? c.args[k]}' is not supported`);
  return unit;
}

/** Pattern argument k as a strftime (format) or strptime (parse) format literal. */
function dateFormat(c: Call, k: number, parse: boolean, fallback?: string): string {
  const p = c.args.length > k ? patternArg(c, k) : fallback;
  if (p === undefined) c.fail(`${c.name}(): a pattern is needed`);
  let out = "";
  wrap(c, () => (out = javaDatePattern(p, parse)));
  return sqlString(out);
}

function regexArg(c: Call, k: number): string {
  const v = literal(c.raw[k]);
  if (v === undefined) return c.args[k];
  wrap(c, () => javaRegex(v));
  return sqlString(v);
}

/** Parses a value with a Java pattern: strings parsed, dates and timestamps taken as they are. */
function parsed(c: Call, x: string, k: number, fallback?: string): string {
  const fn = c.ansi ? "strptime" : "try_strptime";
  return `coalesce(spark_non_string_timestamp(${x}), ${fn}(spark_string_or_null(${x}), ${
    dateFormat(c, k, true, fallback)
  }))`;
}

const extractPart = (fn: (c: Call, x: string) => string): Rule => (c) => {
  arity(c, 1);
  return fn(c, c.args[0]);
};

const datePart = (part: string) => extractPart((c, x) => `${part}(${D(c, x)})`);
const timePart = (part: string) => extractPart((c, x) => `${part}(${T(c, x)})`);

function structName(raw: Token[], k: number): string {
  const last = raw.at(-1);
  if (raw.length >= 1 && (last?.kind === "word" || last?.kind === "backtick")) {
    if (raw.length === 1 || raw.at(-2)?.text === ".") return last.value;
  }
  return `col${k + 1}`;
}

/** Splits `x AS y` (struct arguments) into the expression tokens and the alias. */
function asAlias(raw: Token[]): string | undefined {
  const k = raw.findIndex((t) => t.kind === "word" && t.text.toLowerCase() === "as");
  return k > 0 && k === raw.length - 2 ? raw[k + 1].value : undefined;
}

function collect(c: Call, distinct: boolean): string {
  arity(c, 1);
  const x = c.args[0];
  const list = `list(${distinct ? "DISTINCT " : ""}${x})`;
  return `coalesce(list_filter(${list}${c.suffix}, lambda e: e IS NOT NULL), [])`;
}

function firstLast(c: Call, which: "first" | "last"): string {
  arity(c, 1, 2);
  const ignore = c.ignoreNulls || (c.raw[1] && /^true$/i.test(c.raw[1][0]?.text ?? ""));
  if (c.raw[1] && !/^(true|false)$/i.test(c.raw[1][0]?.text ?? "")) {
    c.fail(`${c.name}(): ignoreNulls must be true or false`);
  }
  const x = c.args[0];
  if (/\bover\b/i.test(c.suffix)) {
    return `${which}_value(${x}${ignore ? " IGNORE NULLS" : ""})${c.suffix}`;
  }
  if (!ignore) return `${which}(${x})${c.suffix}`;
  if (c.suffix) c.fail(`${c.name}(…, true) with FILTER is not supported`);
  return `${which}(${x}) FILTER (WHERE ${x} IS NOT NULL)`;
}

function fromJson(c: Call): string {
  arity(c, 2, 3);
  const schema = literal(c.raw[1]);
  if (schema === undefined) c.fail("from_json(): the schema must be a string literal");
  let type: TypeTree;
  try {
    type = /^\s*(struct|array|map)\s*</i.test(schema)
      ? parseType(schema)
      : { kind: "struct", fields: parseSchema(schema) };
  } catch (e) {
    c.fail(`from_json(): schema '${schema}': ${(e as Error).message}`);
  }
  return `CASE WHEN json_valid(${c.args[0]}) THEN json_transform(${c.args[0]}, ${
    sqlString(JSON.stringify(jsonStructure(type)))
  }) END`;
}

function explode(c: Call, outer: boolean, pos: boolean): string {
  arity(c, 1);
  const x = outer ? `spark_outer(${c.args[0]})` : c.args[0];
  if (pos) {
    if (c.aliased) c.fail(`${c.name}() gives two columns: name them with AS (pos, col)`);
    return `unnest(range(len(${x}))) AS pos, unnest(${x}) AS col`;
  }
  return `unnest(${x})${c.aliased ? "" : " AS col"}`;
}

/** Spark function name → its DuckDB spelling. */
export const FUNCTIONS: Record<string, Rule> = {
  ...Object.fromEntries(SAME.map((n) => [n, to(n)])),

  // ---- casts (also CAST(x AS type), see casts.ts)
  // (registered by the layer from CAST_FUNCTIONS)

  // ---- dates
  datediff: (c) => {
    arity(c, 2, 3);
    if (c.args.length === 3) {
      return `date_sub('${unitOf(c, 0)}', ${T(c, c.args[1])}, ${T(c, c.args[2])})`;
    }
    return `CAST(date_diff('day', ${D(c, c.args[1])}, ${D(c, c.args[0])}) AS INTEGER)`;
  },
  date_diff: (c) => FUNCTIONS.datediff(c),
  timestampdiff: (c) => {
    arity(c, 3);
    return FUNCTIONS.datediff(c);
  },
  date_add: (c) => {
    arity(c, 2, 3);
    if (c.args.length === 3) return FUNCTIONS.timestampadd(c);
    return `CAST(${D(c, c.args[0])} + CAST(${c.args[1]} AS INTEGER) AS DATE)`;
  },
  dateadd: (c) => FUNCTIONS.date_add(c),
  timestampadd: (c) => {
    arity(c, 3);
    return `(${T(c, c.args[2])} + (${c.args[1]}) * INTERVAL 1 ${unitOf(c, 0)})`;
  },
  date_sub: (c) => {
    arity(c, 2);
    return `CAST(${D(c, c.args[0])} - CAST(${c.args[1]} AS INTEGER) AS DATE)`;
  },
  add_months: (c) => {
    arity(c, 2);
    return `CAST(${D(c, c.args[0])} + to_months(CAST(${c.args[1]} AS INTEGER)) AS DATE)`;
  },
  months_between: (c) => {
    arity(c, 2, 3);
    return `spark_months_between(${T(c, c.args[0])}, ${T(c, c.args[1])}, ${c.args[2] ?? "true"})`;
  },
  to_date: (c) => {
    arity(c, 1, 2);
    if (c.args.length === 1) return D(c, c.args[0]);
    return `CAST(${parsed(c, c.args[0], 1)} AS DATE)`;
  },
  to_timestamp: (c) => {
    arity(c, 1, 2);
    if (c.args.length === 1) return T(c, c.args[0]);
    return `CAST(${parsed(c, c.args[0], 1)} AS TIMESTAMP)`;
  },
  date_format: (c) => {
    arity(c, 2);
    return `strftime(${T(c, c.args[0])}, ${dateFormat(c, 1, false)})`;
  },
  from_unixtime: (c) => {
    arity(c, 1, 2);
    return `strftime(make_timestamp(CAST(${c.args[0]} AS BIGINT) * 1000000), ${
      dateFormat(c, 1, false, "yyyy-MM-dd HH:mm:ss")
    })`;
  },
  unix_timestamp: (c) => {
    arity(c, 0, 2);
    if (c.args.length === 0) return "CAST(floor(epoch(current_timestamp)) AS BIGINT)";
    return `CAST(floor(epoch(${parsed(c, c.args[0], 1, "yyyy-MM-dd HH:mm:ss")})) AS BIGINT)`;
  },
  to_unix_timestamp: (c) => FUNCTIONS.unix_timestamp(c),
  timestamp_seconds: (c) => {
    arity(c, 1);
    return `make_timestamp(CAST(round((${c.args[0]}) * 1000000) AS BIGINT))`;
  },
  to_utc_timestamp: (c) => {
    arity(c, 2);
    return `timezone('UTC', timezone(${c.args[1]}, ${T(c, c.args[0])}))`;
  },
  from_utc_timestamp: (c) => {
    arity(c, 2);
    return `timezone(${c.args[1]}, timezone('UTC', ${T(c, c.args[0])}))`;
  },
  dayofweek: extractPart((c, x) => `CAST(dayofweek(${D(c, x)}) + 1 AS INTEGER)`),
  weekday: extractPart((c, x) => `CAST(isodow(${D(c, x)}) - 1 AS INTEGER)`),
  weekofyear: extractPart((c, x) => `CAST(weekofyear(${D(c, x)}) AS INTEGER)`),
  year: datePart("year"),
  quarter: datePart("quarter"),
  month: datePart("month"),
  day: datePart("day"),
  dayofmonth: datePart("day"),
  dayofyear: datePart("dayofyear"),
  last_day: datePart("last_day"),
  hour: timePart("hour"),
  minute: timePart("minute"),
  second: timePart("second"),
  date_trunc: (c) => {
    arity(c, 2);
    return `date_trunc('${unitOf(c, 0)}', ${T(c, c.args[1])})`;
  },
  trunc: (c) => {
    arity(c, 2);
    const unit = unitOf(c, 1);
    if (!["year", "quarter", "month", "week"].includes(unit)) return "CAST(NULL AS DATE)";
    return `CAST(date_trunc('${unit}', ${D(c, c.args[0])}) AS DATE)`;
  },

  date_part: (c) => {
    arity(c, 2);
    const f = literal(c.raw[0])?.toLowerCase();
    const fn = f === undefined ? undefined : DATE_PART_FIELDS[f];
    if (!fn) return c.fail(`date_part('${f ?? c.args[0]}', …) is not supported`);
    return FUNCTIONS[fn]({ ...c, name: fn, args: [c.args[1]], raw: [c.raw[1]] });
  },
  window: (c) => {
    if (c.args.length !== 2) {
      return c.fail("window() is supported with a time column and a duration (tumbling windows)");
    }
    const d = literal(c.raw[1]);
    if (d === undefined) return c.fail("window(): the duration must be a string literal");
    const interval = `INTERVAL ${sqlString(d)}`;
    const start = `time_bucket(${interval}, ${T(c, c.args[0])}, TIMESTAMP '1970-01-01')`;
    return `{'start': ${start}, 'end': ${start} + ${interval}}`;
  },

  // ---- arrays, structs, maps
  array: (c) => `[${c.args.join(", ")}]`,
  struct: (c) =>
    `{${
      c.raw.map((r, k) => {
        const alias = asAlias(r);
        const value = alias === undefined ? c.args[k] : c.args[k].replace(/\s+AS\s+\S+$/i, "");
        return `${sqlString(alias ?? structName(r, k))}: ${value}`;
      }).join(", ")
    }}`,
  named_struct: (c) => {
    if (c.args.length % 2) c.fail("named_struct() takes name, value pairs");
    const parts: string[] = [];
    for (let k = 0; k < c.args.length; k += 2) {
      const name = literal(c.raw[k]);
      if (name === undefined) return c.fail("named_struct(): field names must be string literals");
      parts.push(`${sqlString(name)}: ${c.args[k + 1]}`);
    }
    return `{${parts.join(", ")}}`;
  },
  map: (c) => {
    if (c.args.length % 2) c.fail("map() takes key, value pairs");
    const keys = c.args.filter((_, k) => k % 2 === 0);
    const values = c.args.filter((_, k) => k % 2 === 1);
    return keys.length ? `MAP([${keys.join(", ")}], [${values.join(", ")}])` : "MAP()";
  },
  map_from_arrays: (c) => {
    arity(c, 2);
    return `MAP(${c.args[0]}, ${c.args[1]})`;
  },
  map_entries: to("map_entries"),
  get: (c) => {
    arity(c, 2);
    return `spark_subscript_legacy(${c.args[0]}, ${c.args[1]})`;
  },
  map_contains_key: (c) => {
    arity(c, 2);
    return `map_contains(${c.args[0]}, ${c.args[1]})`;
  },
  sequence: (c) => {
    arity(c, 2, 3);
    return `spark_sequence(${c.args.join(", ")})`;
  },
  size: (c) => {
    arity(c, 1);
    return c.ansi ? `spark_size(${c.args[0]})` : `coalesce(spark_size(${c.args[0]}), -1)`;
  },
  cardinality: (c) => FUNCTIONS.size(c),
  array_size: (c) => {
    arity(c, 1);
    return `spark_size(${c.args[0]})`;
  },
  element_at: (c) => {
    arity(c, 2);
    return `spark_element_at${legacy(c)}(${c.args[0]}, ${c.args[1]})`;
  },
  try_element_at: (c) => {
    arity(c, 2);
    return `spark_element_at_legacy(${c.args[0]}, ${c.args[1]})`;
  },
  array_contains: (c) => {
    arity(c, 2);
    return `list_contains(${c.args[0]}, ${c.args[1]})`;
  },
  array_position: (c) => {
    arity(c, 2);
    return `spark_array_position(${c.args[0]}, ${c.args[1]})`;
  },
  array_distinct: (c) => {
    arity(c, 1);
    return `spark_array_distinct(${c.args[0]})`;
  },
  array_join: (c) => {
    arity(c, 2, 3);
    const x = c.args.length === 3
      ? `list_transform(${c.args[0]}, lambda e: coalesce(CAST(e AS VARCHAR), ${c.args[2]}))`
      : c.args[0];
    return `array_to_string(${x}, ${c.args[1]})`;
  },
  sort_array: (c) => {
    arity(c, 1, 2);
    const asc = c.args.length === 1 || /^true$/i.test(c.raw[1][0]?.text ?? "");
    if (c.args.length === 2 && !/^(true|false)$/i.test(c.raw[1][0]?.text ?? "")) {
      c.fail("sort_array(): the order must be true or false");
    }
    return `list_sort(${c.args[0]}, ${asc ? "'ASC', 'NULLS FIRST'" : "'DESC', 'NULLS LAST'"})`;
  },
  array_sort: (c) => {
    if (c.args.length !== 1) c.fail("array_sort() with a comparator is not supported");
    return `list_sort(${c.args[0]}, 'ASC', 'NULLS LAST')`;
  },
  slice: (c) => {
    arity(c, 3);
    return `spark_slice(${c.args.join(", ")})`;
  },
  explode: (c) => explode(c, false, false),
  explode_outer: (c) => explode(c, true, false),
  posexplode: (c) => explode(c, false, true),
  posexplode_outer: (c) => explode(c, true, true),
  collect_list: (c) => collect(c, false),
  array_agg: (c) => collect(c, false),
  collect_set: (c) => collect(c, true),

  // ---- JSON
  get_json_object: (c) => {
    arity(c, 2);
    const path = literal(c.raw[1]);
    if (path !== undefined && path.includes("*")) {
      c.fail(`get_json_object(): wildcard paths ('${path}') are not supported`);
    }
    return `spark_json_get(${c.args[0]}, ${c.args[1]})`;
  },
  from_json: fromJson,
  to_json: (c) => {
    arity(c, 1);
    return `spark_to_json(${c.args[0]})`;
  },

  // ---- strings and hashes
  concat: (c) => c.args.length ? `(${c.args.join(" || ")})` : "''",
  concat_ws: (c) => {
    arity(c, 1, Infinity);
    if (c.args.length === 2) return `spark_concat_ws(${c.args[0]}, ${c.args[1]})`;
    return `concat_ws(${c.args.join(", ")})`;
  },
  initcap: (c) => {
    arity(c, 1);
    return `spark_initcap(${c.args[0]})`;
  },
  substring: (c) => {
    arity(c, 2, 3);
    return `spark_substr(${c.args.join(", ")})`;
  },
  substr: (c) => FUNCTIONS.substring(c),
  lpad: (c) => {
    arity(c, 2, 3);
    return `lpad(${c.args[0]}, ${c.args[1]}, ${c.args[2] ?? "' '"})`;
  },
  rpad: (c) => {
    arity(c, 2, 3);
    return `rpad(${c.args[0]}, ${c.args[1]}, ${c.args[2] ?? "' '"})`;
  },
  replace: (c) => {
    arity(c, 2, 3);
    return `replace(${c.args[0]}, ${c.args[1]}, ${c.args[2] ?? "''"})`;
  },
  reverse: to("reverse"),
  startswith: to("starts_with"),
  endswith: to("ends_with"),
  locate: (c) => {
    arity(c, 2);
    return `instr(${c.args[1]}, ${c.args[0]})`;
  },
  position: (c) => FUNCTIONS.locate(c),
  substring_index: (c) => {
    arity(c, 3);
    const [x, d, n] = c.args;
    return `CASE WHEN ${n} = 0 THEN '' WHEN ${n} > 0 ` +
      `THEN array_to_string(string_split(${x}, ${d})[1:${n}], ${d}) ` +
      `ELSE array_to_string(string_split(${x}, ${d})[-(${n}):], ${d}) END`;
  },
  printf: to("printf"),
  format_string: to("printf"),
  space: (c) => {
    arity(c, 1);
    return `repeat(' ', ${c.args[0]})`;
  },
  split: (c) => {
    arity(c, 2, 3);
    const limit = c.raw[2]?.map((t) => t.text).join("");
    if (limit !== undefined && !/^-?\d+$/.test(limit)) c.fail("split(): limit must be a number");
    if (limit !== undefined && Number(limit) > 0) {
      c.fail("split() with a positive limit is not supported");
    }
    return `regexp_split_to_array(${c.args[0]}, ${regexArg(c, 1)})`;
  },
  regexp_extract: (c) => {
    arity(c, 2, 3);
    return `regexp_extract(${c.args[0]}, ${regexArg(c, 1)}, ${c.args[2] ?? "1"})`;
  },
  regexp_extract_all: (c) => {
    arity(c, 2, 3);
    return `regexp_extract_all(${c.args[0]}, ${regexArg(c, 1)}, ${c.args[2] ?? "1"})`;
  },
  regexp_replace: (c) => {
    arity(c, 3, 4);
    if (c.args[3] !== undefined && c.args[3] !== "1") {
      c.fail("regexp_replace() with a start position other than 1 is not supported");
    }
    const rep = literal(c.raw[2]);
    let replacement = c.args[2];
    if (rep !== undefined) wrap(c, () => (replacement = sqlString(javaReplacement(rep))));
    else c.fail("regexp_replace(): the replacement must be a string literal");
    return `regexp_replace(${c.args[0]}, ${regexArg(c, 1)}, ${replacement}, 'g')`;
  },
  rlike: (c) => {
    arity(c, 2);
    return `regexp_matches(${c.args[0]}, ${regexArg(c, 1)})`;
  },
  regexp_like: (c) => FUNCTIONS.rlike(c),
  regexp: (c) => FUNCTIONS.rlike(c),
  sha2: (c) => {
    arity(c, 2);
    const bits = c.raw[1].map((t) => t.text).join("");
    if (bits === "0" || bits === "256") return `sha256(${c.args[0]})`;
    return c.fail(`sha2(…, ${bits}): only 256 bits (or 0) are supported`);
  },
  sha: to("sha1"),
  hash: (c) =>
    c.fail(
      "hash() is Spark's Murmur3 hash, which DuckDB does not have (its hash() gives other " +
        "values); use sha2(x, 256) or md5(x)",
    ),

  // ---- conditionals and nulls
  nvl: to("coalesce"),
  nvl2: (c) => {
    arity(c, 3);
    return `CASE WHEN ${c.args[0]} IS NOT NULL THEN ${c.args[1]} ELSE ${c.args[2]} END`;
  },
  isnull: (c) => {
    arity(c, 1);
    return `(${c.args[0]} IS NULL)`;
  },
  isnotnull: (c) => {
    arity(c, 1);
    return `(${c.args[0]} IS NOT NULL)`;
  },

  // ---- math
  log: (c) => {
    arity(c, 1, 2);
    return c.args.length === 1 ? `ln(${c.args[0]})` : `log(${c.args[0]}, ${c.args[1]})`;
  },
  pow: to("pow"),
  power: to("pow"),
  signum: to("sign"),
  bround: to("round_even"),
  rand: (c) => {
    arity(c, 0, 1);
    return "random()";
  },
  random: (c) => FUNCTIONS.rand(c),
  mod: (c) => {
    arity(c, 2);
    return `spark_mod${legacy(c)}(${c.args[0]}, ${c.args[1]})`;
  },
  pmod: (c) => {
    arity(c, 2);
    const m = `spark_mod${legacy(c)}`;
    return `${m}(${m}(${c.args[0]}, ${c.args[1]}) + ${c.args[1]}, ${c.args[1]})`;
  },
  try_divide: (c) => {
    arity(c, 2);
    return `spark_divide_legacy(${c.args[0]}, ${c.args[1]})`;
  },
  uuid: (c) => {
    arity(c, 0);
    return "CAST(gen_random_uuid() AS VARCHAR)";
  },

  // ---- aggregates and windows
  percentile_approx: (c) => {
    arity(c, 2, 3);
    return `quantile_disc(${c.args[0]}, ${c.args[1]})`;
  },
  approx_percentile: (c) => FUNCTIONS.percentile_approx(c),
  percentile: (c) => {
    arity(c, 2);
    return `quantile_cont(${c.args[0]}, ${c.args[1]})`;
  },
  first: (c) => firstLast(c, "first"),
  first_value: (c) => firstLast(c, "first"),
  last: (c) => firstLast(c, "last"),
  last_value: (c) => firstLast(c, "last"),
  every: to("bool_and"),
  some: to("bool_or"),
  any: to("bool_or"),
};

/** Rules that place the call's FILTER / OVER suffix themselves (others get it appended). */
export const PLACES_SUFFIX = new Set([
  "collect_list",
  "array_agg",
  "collect_set",
  "first",
  "first_value",
  "last",
  "last_value",
]);
