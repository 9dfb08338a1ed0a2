/** DuckDB helpers of the engine: error text, result columns, counts, table widening. */
import { type DuckDBConnection, ident, query } from "../db.ts";
import { duckType, mergeTypes, parseType, type TypeTree } from "./types.ts";

/** The first line of a DuckDB error, without the `Error: ` prefix. */
export function duckMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/^Error: /, "").split("\n")[0];
}

/** The columns (name, DuckDB type) a relation or `(query)` yields, without running it. */
export async function describeColumns(
  conn: DuckDBConnection,
  sql: string,
): Promise<{ name: string; type: string }[]> {
  const rows = await query(conn, `DESCRIBE ${sql}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** Adds columns and struct fields the new rows have and the table lacks (`table`: a quoted relation). */
export async function widen(
  conn: DuckDBConnection,
  table: string,
  columns: { name: string; type: string }[],
): Promise<void> {
  const existing = new Map(
    (await describeColumns(conn, table)).map((c) => [c.name, c.type]),
  );
  for (const c of columns) {
    const have = existing.get(c.name);
    if (have === undefined) {
      await conn.run(`ALTER TABLE ${table} ADD COLUMN ${ident(c.name)} ${c.type}`);
    } else if (have !== c.type) {
      let merged: TypeTree;
      let before: TypeTree;
      try {
        before = parseType(have);
        merged = mergeTypes(before, parseType(c.type), "first");
      } catch {
        continue; // a type this engine does not model: let DuckDB cast on insert
      }
      if (duckType(merged) !== duckType(before)) {
        await conn.run(
          `ALTER TABLE ${table} ALTER COLUMN ${ident(c.name)} SET DATA TYPE ${duckType(merged)}`,
        );
      }
    }
  }
}

/** The first value of the first row of a query, as a number (counts, INSERT row counts). */
export async function count(conn: DuckDBConnection, sql: string): Promise<number> {
  const [row] = await query(conn, sql);
  return Number(Object.values(row)[0] ?? 0);
}
