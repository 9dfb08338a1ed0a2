/**
 * The Parquet format (`format => 'parquet'`): the files' own column types, merged by name
 * across files (the first type seen for a column is kept; a value of another type that does not
 * convert is rescued).
 */
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
  load: (ctx: SourceContext) => loadTabular(ctx, { relation: parquetRelation }),
};
