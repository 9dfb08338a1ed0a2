/**
 * The text format (`format => 'text'`): one row per line, in the column `value` (STRING), as
 * Spark's text source reads it; empty lines are rows too. A line that is not valid UTF-8 or is
 * over the size limit is kept (Latin-1 decoded), and counted as unreadable; control bytes are
 * text like any other.
 */
import { query } from "../../db.ts";
import type { TypeTree } from "../types.ts";
import { dropStaged, lineNumberSql, stageLines } from "./lines.ts";
import { type FileFormat, type LoadedSource, metadataSql, type SourceContext } from "./source.ts";

const SCHEMA: TypeTree = {
  kind: "struct",
  fields: [["value", { kind: "scalar", name: "VARCHAR" }]],
};

async function loadText(ctx: SourceContext): Promise<LoadedSource> {
  const { conn, name, meta } = ctx;
  const lines = `${name}_lines`;
  const staged = await stageLines(conn, ctx.files.map((f) => f.local), name, true, true);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${lines} AS SELECT line, filename, line_no, readable,
       false AS suspect FROM (${staged.relation})`,
  );
  if (staged.split) await dropStaged(conn, name);
  let rows = 0;
  if (ctx.files.length) {
    rows = Number((await query(conn, `SELECT count(*)::BIGINT AS n FROM ${lines}`))[0].n);
    await conn.run(
      `UPDATE ${meta} SET first_row = s.m FROM (SELECT filename, min(rowid) AS m FROM ${lines}
        GROUP BY filename) s WHERE ${meta}.local_path = s.filename`,
    );
  }
  await conn.run(
    `CREATE OR REPLACE TEMP VIEW ${name} AS
     SELECT l.line AS value, ${metadataSql("f", lineNumberSql("l", "f.first_row"))} AS _metadata
     FROM ${lines} l JOIN ${meta} f ON l.filename = f.local_path`,
  );
  return { view: name, rows, schema: SCHEMA, unreadable: staged.unreadable };
}

/** The text format. */
export const TEXT_FORMAT: FileFormat = {
  extensions: /\.(txt|text|log)$/i,
  options: new Set(),
  load: loadText,
};
