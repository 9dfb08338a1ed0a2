/**
 * The CSV format (`format => 'csv'`), read by DuckDB's CSV reader with Spark's options:
 * `header` (default false: columns `_c0`, `_c1`, …), `sep` / `delimiter` (`,`), `quote` (`"`),
 * `escape` (`\`), `nullValue` (empty), `multiLine` (quoted fields may span lines either way),
 * `inferSchema` / `inferColumnTypes` (default true; false reads every column as STRING),
 * `dateFormat` / `timestampFormat` (Java patterns).
 */
import { query } from "../../db.ts";
import { javaDatePattern } from "../spark/patterns.ts";
import { sqlString } from "../translate.ts";
import { duckType, type TypeTree } from "../types.ts";
import type { FileFormat, SourceContext } from "./source.ts";
import { loadTabular } from "./tabular.ts";

function bool(v: string | undefined, fallback: boolean): boolean {
  return v === undefined ? fallback : v.toLowerCase() === "true";
}

/**
 * The `read_csv` call for a source's options over `files`; `text` reads every column as text
 * (the rows are read so, then converted to the schema's types, so that a value that does not
 * convert is rescued rather than failing the read).
 */
export function csvRelation(
  options: Record<string, string>,
  files: string[],
  text = false,
): string {
  const o = options;
  const infer = !text && bool(o.infercolumntypes ?? o.inferschema, true);
  const args = [
    `[${files.map(sqlString).join(", ")}]`,
    `header = ${bool(o.header, false)}`,
    `delim = ${sqlString(o.sep ?? o.delimiter ?? ",")}`,
    `quote = ${sqlString(o.quote ?? '"')}`,
    `escape = ${sqlString(o.escape ?? "\\")}`,
    `nullstr = ${sqlString(o.nullvalue ?? "")}`,
    `all_varchar = ${!infer}`,
    "union_by_name = true",
    "filename = true",
    "strict_mode = false",
    "null_padding = true",
  ];
  if (o.dateformat) args.push(`dateformat = ${sqlString(javaDatePattern(o.dateformat, true))}`);
  if (o.timestampformat) {
    args.push(`timestampformat = ${sqlString(javaDatePattern(o.timestampformat, true))}`);
  }
  return `read_csv(${args.join(", ")})`;
}

/** Dates and timestamps follow `dateFormat` / `timestampFormat` when given. */
function csvCast(o: Record<string, string>, x: string, t: TypeTree): string | undefined {
  if (t.kind !== "scalar") return undefined;
  if (t.name === "DATE" && o.dateformat) {
    return `try_strptime(${x}, ${sqlString(javaDatePattern(o.dateformat, true))})::DATE`;
  }
  if (t.name === "TIMESTAMP" && o.timestampformat) {
    return `try_strptime(${x}, ${sqlString(javaDatePattern(o.timestampformat, true))})`;
  }
  return `TRY_CAST(${x} AS ${duckType(t)})`;
}

/** The CSV format. */
export const CSV_FORMAT: FileFormat = {
  extensions: /\.(csv|tsv)$/i,
  options: new Set([
    "header",
    "sep",
    "delimiter",
    "quote",
    "escape",
    "nullvalue",
    "multiline",
    "dateformat",
    "timestampformat",
  ]),
  load: (ctx: SourceContext) =>
    loadTabular(ctx, {
      relation: (files) => csvRelation(ctx.spec.options, files),
      data: (files) => csvRelation(ctx.spec.options, files, true),
      count: async (files) =>
        Number(
          (await query(
            ctx.conn,
            `SELECT count(*)::BIGINT AS n FROM ${csvRelation(ctx.spec.options, files, true)}`,
          ))[0].n,
        ),
      cast: (x, t) => csvCast(ctx.spec.options, x, t),
      rename: (n) => bool(ctx.spec.options.header, false) ? n : n.replace(/^column(\d+)$/, "_c$1"),
    }),
};
