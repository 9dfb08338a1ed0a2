/**
 * The Parquet format (`format => 'parquet'`): the files' own column types, merged by name
 * across files (the first type seen for a column is kept; a value of another type that does not
 * convert is rescued).
 */
import { query } from "../../db.ts";
import { sqlString } from "../translate.ts";
import type { FileFormat, SourceContext } from "./source.ts";
import { loadTabular } from "./tabular.ts";

/** The `read_parquet` call over `files`. */
export function parquetRelation(files: string[]): string {
  return `read_parquet([${
    files.map(sqlString).join(", ")
  }], union_by_name = true, filename = true)`;
}

/** The Parquet format. */
export const PARQUET_FORMAT: FileFormat = {
  extensions: /\.parquet$/i,
  options: new Set(["mergeschema"]),
  load: (ctx: SourceContext) =>
    loadTabular(ctx, {
      relation: parquetRelation,
      // From the files' footers, without reading their data.
      count: async (files) =>
        Number(
          (await query(
            ctx.conn,
            `SELECT coalesce(sum(num_rows), 0)::BIGINT AS n FROM parquet_file_metadata([${
              files.map(sqlString).join(", ")
            }])`,
          ))[0].n,
        ),
    }),
};
