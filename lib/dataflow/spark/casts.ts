/**
 * Spark casts in DuckDB: `CAST(x AS t)`, `TRY_CAST`, `x::t` and the cast
 * functions (`int(x)`, `boolean(x)`, `string(x)`, `timestamp(x)`, `date(x)`, …).
 * With ANSI mode on, an invalid value is an error; off (legacy), it is NULL.
 * Strings are read as Spark reads them (spaces trimmed, `'1.9'` as an integer is
 * 1, `'yes'` is true, `'2009-07-30 04:17:52'` as a date is 2009-07-30), a number
 * cast to a timestamp counts seconds, and a timestamp cast to a number gives seconds.
 */
import { duckType, parseType, type TypeTree } from "../types.ts";

/** DuckDB scalar type → the macro family that casts to it with Spark's rules. */
const MACRO_BY_TYPE: Record<string, string> = {
  TINYINT: "spark_tinyint",
  SMALLINT: "spark_smallint",
  INTEGER: "spark_int",
  BIGINT: "spark_bigint",
  FLOAT: "spark_float",
  DOUBLE: "spark_double",
  BOOLEAN: "spark_boolean",
  DATE: "spark_date",
  TIMESTAMP: "spark_timestamp",
};

/** The cast functions (`int(x)`) and the type each casts to. */
export const CAST_FUNCTIONS: Record<string, string> = {
  boolean: "BOOLEAN",
  tinyint: "TINYINT",
  smallint: "SMALLINT",
  int: "INT",
  bigint: "BIGINT",
  float: "FLOAT",
  double: "DOUBLE",
  decimal: "DECIMAL(10,0)",
  string: "STRING",
  date: "DATE",
  timestamp: "TIMESTAMP",
  binary: "BINARY",
};

/** Reads a Spark type spelling (`INT`, `DECIMAL(10,2)`, `ARRAY<STRING>`); throws on a bad one. */
export function sparkType(text: string): TypeTree {
  return parseType(text);
}

/**
 * `x` (DuckDB SQL) cast to the Spark type `type` with Spark's rules; `ansi`
 * false, or `tryCast` (Spark's `try_cast`), gives NULL for a value that does not convert.
 */
export function castSql(x: string, type: TypeTree, ansi: boolean, tryCast = false): string {
  const strict = ansi && !tryCast;
  if (type.kind === "scalar") {
    const macro = MACRO_BY_TYPE[type.name];
    if (macro) return `${macro}${strict ? "" : "_legacy"}(${x})`;
    if (type.name === "VARCHAR") return `CAST(${x} AS VARCHAR)`;
  }
  return `${strict ? "CAST" : "TRY_CAST"}(${x} AS ${duckType(type)})`;
}
