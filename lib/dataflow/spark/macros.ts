/**
 * DuckDB macros that give Spark SQL functions Spark's semantics. The translation
 * (translate.ts with functions.ts) calls them by name; `installSparkFunctions`
 * creates them, as TEMP macros, on the connection that runs a pipeline's queries,
 * and sets the session as Spark's: time zone UTC, NULLs first in ascending order.
 *
 * Macros overloaded by argument type (`(x VARCHAR) …, (x DATE) …`) carry the
 * type-dependent parts (a string argument to a date function, `CAST(bigint AS
 * TIMESTAMP)` counting seconds). Where ANSI mode changes the result, the legacy
 * (non-ANSI) variant has the same name with `_legacy` appended.
 */
import type { DuckDBConnection } from "@duckdb/node-api";

const INVALID = (what: string, x: string) =>
  `error('[CAST_INVALID_INPUT] ${what}: ''' || ${x} || ''' (spark.sql.ansi.enabled is true; ` +
  `try_cast returns NULL)')`;

/** Macro bodies, by name; `{cast}` becomes CAST (ANSI) or TRY_CAST (legacy), `{bad(what, x)}` an error or NULL. */
type Variant = { ansi: boolean };

function integral(name: string, type: string, v: Variant): string {
  const cast = v.ansi ? "CAST" : "TRY_CAST";
  return `${name}(x VARCHAR) AS ${cast}(spark_int_text(x) AS ${type}),
    (x BIGINT) AS ${cast}(x AS ${type}),
    (x DOUBLE) AS ${cast}(trunc(x) AS ${type}),
    (x TIMESTAMP) AS ${cast}(floor(epoch(x)) AS ${type}),
    (x BOOLEAN) AS CAST(x AS ${type}),
    (x) AS ${cast}(x AS ${type})`;
}

function macros(v: Variant): string[] {
  const sfx = v.ansi ? "" : "_legacy";
  const cast = v.ansi ? "CAST" : "TRY_CAST";
  const bad = (what: string, x: string) => v.ansi ? INVALID(what, x) : "NULL";
  return [
    // Casts, with Spark's string forms: leading/trailing spaces, '1.9' as an integer is 1,
    // 't'/'yes'/'1' as booleans, dates from any 'yyyy[-m[-d]][( |T)…]', numbers as seconds.
    integral(`spark_tinyint${sfx}`, "TINYINT", v),
    integral(`spark_smallint${sfx}`, "SMALLINT", v),
    integral(`spark_int${sfx}`, "INTEGER", v),
    integral(`spark_bigint${sfx}`, "BIGINT", v),
    `spark_float${sfx}(x VARCHAR) AS ${cast}(trim(x) AS FLOAT),
      (x TIMESTAMP) AS CAST(epoch(x) AS FLOAT), (x) AS ${cast}(x AS FLOAT)`,
    `spark_double${sfx}(x VARCHAR) AS ${cast}(trim(x) AS DOUBLE),
      (x TIMESTAMP) AS epoch(x), (x) AS ${cast}(x AS DOUBLE)`,
    `spark_boolean${sfx}(x VARCHAR) AS CASE
        WHEN x IS NULL THEN NULL
        WHEN lower(trim(x)) IN ('t', 'true', 'y', 'yes', '1') THEN true
        WHEN lower(trim(x)) IN ('f', 'false', 'n', 'no', '0') THEN false
        ELSE ${bad("invalid boolean", "x")} END,
      (x) AS ${cast}(x AS BOOLEAN)`,
    `spark_date${sfx}(x VARCHAR) AS ${cast}(spark_date_text(x) AS DATE),
      (x DATE) AS x, (x TIMESTAMP) AS CAST(x AS DATE), (x) AS ${cast}(x AS DATE)`,
    `spark_timestamp${sfx}(x VARCHAR) AS timezone('UTC', ${cast}(trim(x) AS TIMESTAMPTZ)),
      (x TIMESTAMP) AS x, (x DATE) AS CAST(x AS TIMESTAMP),
      (x BIGINT) AS make_timestamp(x * 1000000),
      (x DOUBLE) AS make_timestamp(CAST(round(x * 1000000) AS BIGINT)),
      (x) AS ${cast}(x AS TIMESTAMP)`,
    // Arithmetic: division and remainder by zero.
    `spark_divide${sfx}(a, b) AS ${
      v.ansi
        ? "CASE WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero (spark.sql.ansi.enabled " +
          "is true; try_divide returns NULL)') ELSE a / b END"
        : "a / nullif(b, 0)"
    }`,
    `spark_mod${sfx}(a, b) AS ${
      v.ansi
        ? "CASE WHEN b = 0 THEN error('[REMAINDER_BY_ZERO] Remainder by zero (spark.sql.ansi.enabled " +
          "is true; try_mod returns NULL)') ELSE a % b END"
        : "a % nullif(b, 0)"
    }`,
    `spark_intdiv${sfx}(a, b) AS CAST(${
      v.ansi
        ? "CASE WHEN b = 0 THEN error('[DIVIDE_BY_ZERO] Division by zero (spark.sql.ansi.enabled " +
          "is true)') ELSE trunc(a / b) END"
        : "trunc(a / nullif(b, 0))"
    } AS BIGINT)`,
    // Arrays and maps: 1-based element_at (0 is always an error; out of range is an error
    // in ANSI mode, NULL otherwise), size (-1 for NULL when not ANSI).
    `spark_element_at${sfx}(x, i) AS CASE
        WHEN spark_index_zero(x, i) THEN error('[INVALID_INDEX_OF_ZERO] element_at: index 0 is invalid; indexes start at 1')
        ${
      v.ansi
        ? `WHEN spark_index_outside(x, i) THEN error('[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] element_at: index ' || i || ' is outside the array of ' || spark_size(x) || ' (spark.sql.ansi.enabled is true; try_element_at returns NULL)')`
        : ""
    }
        ELSE x[i] END`,
    // x[i]: 0-based for arrays (out of range: an error in ANSI mode, NULL otherwise), a key for maps.
    `spark_subscript${sfx}(x, i) AS CASE
        ${
      v.ansi
        ? `WHEN spark_index0_outside(x, i) THEN error('[INVALID_ARRAY_INDEX] index ' || i || ' is outside the array of ' || spark_size(x) || ' (spark.sql.ansi.enabled is true; try_element_at is 1-based and returns NULL)')`
        : ""
    }
        WHEN true THEN x[spark_index0(x, i)] END`,
  ];
}

/** Macros whose meaning does not depend on ANSI mode. */
const COMMON = [
  String.raw`spark_int_text(x) AS regexp_replace(trim(x), '^([+-]?[0-9]+)\.[0-9]*$', '\1')`,
  String.raw`spark_date_text(x) AS regexp_replace(regexp_replace(
      regexp_extract(trim(x), '^[^ T]*'), '^([+-]?[0-9]{4,})$', '\1-01-01'),
      '^([+-]?[0-9]{4,}-[0-9]{1,2})$', '\1-01')`,
  `spark_index_zero(x MAP(VARCHAR, VARCHAR), i) AS false, (x, i) AS i = 0`,
  `spark_index_outside(x MAP(VARCHAR, VARCHAR), i) AS false, (x, i) AS abs(i) > len(x)`,
  `spark_index0(x MAP(VARCHAR, VARCHAR), i) AS i, (x, i) AS CASE WHEN i >= 0 THEN i + 1 END`,
  `spark_index0_outside(x MAP(VARCHAR, VARCHAR), i) AS false, (x, i) AS i < 0 OR i >= len(x)`,
  `spark_size(x MAP(VARCHAR, VARCHAR)) AS cardinality(x), (x) AS len(x)`,
  `spark_outer(x) AS CASE WHEN len(x) > 0 THEN x ELSE [NULL] END`,
  `spark_array_distinct(x) AS list_filter(x, lambda e, i: list_position(x, e) = i)`,
  `spark_array_position(x, v) AS CASE WHEN x IS NULL OR v IS NULL THEN NULL
      ELSE coalesce(list_position(x, v), 0) END`,
  `spark_slice(x, s, n) AS list_slice(x, CASE WHEN s < 0 THEN len(x) + s + 1 ELSE s END,
      CASE WHEN s < 0 THEN len(x) + s + n ELSE s + n - 1 END)`,
  `spark_sequence(a DATE, b DATE) AS list_transform(generate_series(CAST(a AS TIMESTAMP),
        CAST(b AS TIMESTAMP), CASE WHEN a <= b THEN INTERVAL '1 day' ELSE INTERVAL '-1 day' END),
        lambda e: CAST(e AS DATE)),
      (a, b) AS generate_series(a, b, CASE WHEN a <= b THEN 1 ELSE -1 END),
      (a DATE, b DATE, s) AS list_transform(generate_series(CAST(a AS TIMESTAMP),
        CAST(b AS TIMESTAMP), s), lambda e: CAST(e AS DATE)),
      (a, b, s) AS generate_series(a, b, s)`,
  `spark_concat_ws(sep, x VARCHAR[]) AS array_to_string(x, sep), (sep, x) AS concat_ws(sep, x)`,
  `spark_initcap(s) AS array_to_string(list_transform(string_split(s, ' '),
      lambda w: upper(left(w, 1)) || lower(substr(w, 2))), ' ')`,
  `spark_substr(s, p) AS substring(s, CASE WHEN p = 0 THEN 1 ELSE p END),
      (s, p, n) AS substring(s, CASE WHEN p = 0 THEN 1 ELSE p END, greatest(n, 0))`,
  `spark_json_get(j, p) AS CASE WHEN json_valid(j) THEN json_extract_string(j, p) END`,
  // Spark's to_json leaves out NULL fields (ignoreNullFields = true).
  String.raw`spark_to_json(x) AS regexp_replace(regexp_replace(regexp_replace(
      CAST(to_json(x) AS VARCHAR),
      '"(?:[^"\\]|\\.)*":null,', '', 'g'),
      ',"(?:[^"\\]|\\.)*":null}', '}', 'g'),
      '{"(?:[^"\\]|\\.)*":null}', '{}', 'g')`,
  `spark_months_between_raw(a, b) AS CASE
      WHEN day(a) = day(b) OR (day(a) = day(last_day(a)) AND day(b) = day(last_day(b)))
      THEN CAST((year(a) - year(b)) * 12 + month(a) - month(b) AS DOUBLE)
      ELSE (year(a) - year(b)) * 12 + month(a) - month(b) + (day(a) - day(b) +
        ((epoch(a) - epoch(date_trunc('day', a))) - (epoch(b) - epoch(date_trunc('day', b))))
        / 86400.0) / 31.0 END`,
  `spark_months_between(a, b, r) AS CASE WHEN r THEN round(spark_months_between_raw(a, b), 8)
      ELSE spark_months_between_raw(a, b) END`,
];

/** Macros that use the ones above. */
const LATE = [
  // A value to parse with a pattern (strings) or to take as it is (dates, timestamps).
  `spark_string_or_null(x VARCHAR) AS x, (x) AS CAST(NULL AS VARCHAR)`,
  `spark_non_string_timestamp(x VARCHAR) AS CAST(NULL AS TIMESTAMP),
      (x TIMESTAMP) AS x, (x) AS CAST(x AS TIMESTAMP)`,
];

/** Every macro as one SQL script (CREATE OR REPLACE TEMP MACRO …; …). */
export const SPARK_MACROS_SQL: string = [
  ...COMMON,
  ...macros({ ansi: true }),
  ...macros({ ansi: false }),
  ...LATE,
]
  .map((m) => `CREATE OR REPLACE TEMP MACRO ${m};`).join("\n");

/**
 * Creates the Spark macros on a connection and sets the session as Spark's
 * (time zone UTC; ascending order puts NULLs first, descending last). Run once per
 * connection before running translated queries.
 */
export async function installSparkFunctions(conn: DuckDBConnection): Promise<void> {
  await conn.run("SET TimeZone = 'UTC'");
  await conn.run("SET default_null_order = 'nulls_first_on_asc_last_on_desc'");
  await conn.run(SPARK_MACROS_SQL);
}
