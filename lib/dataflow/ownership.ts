/**
 * Which tables the engine owns: a dataset may create, replace, append to or drop
 * only its own table and quarantine table, recorded in `_dataflow_tables` when
 * the dataset first writes them (in the update's transaction). A table of that
 * name made by anything else (the sentiment step, a notebook, another tool) is
 * an error naming the table, never replaced. Tables made by an engine that did
 * not record ownership yet are recognised by the dataset's rows in the event log.
 */
import { type DuckDBConnection, query } from "../db.ts";
import { PipelineError } from "./errors.ts";
import { quarantineOf, relationExists } from "./names.ts";
import type { Dataset } from "./parse.ts";
import { EVENT_LOG } from "./state.ts";

/** The ownership table: one row per table a dataset made. */
export const TABLES = "_dataflow_tables";

async function ensureTable(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${TABLES} (dataset VARCHAR, schema_name VARCHAR,
    table_name VARCHAR, update_id VARCHAR)`);
}

function tablesOf(d: Dataset): { schema: string; table: string }[] {
  return [d, quarantineOf(d)];
}

async function owner(
  conn: DuckDBConnection,
  t: { schema: string; table: string },
): Promise<string | undefined> {
  const [row] = await query(
    conn,
    `SELECT dataset FROM ${TABLES} WHERE lower(schema_name) = lower($1)
       AND lower(table_name) = lower($2)`,
    [t.schema, t.table],
  );
  return row ? String(row.dataset) : undefined;
}

/** Whether the event log shows the engine writing this dataset before ownership was recorded. */
async function loggedBefore(conn: DuckDBConnection, d: Dataset): Promise<boolean> {
  const [log] = await query(
    conn,
    "SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $1",
    [EVENT_LOG],
  );
  if (!log) return false;
  const rows = await query(
    conn,
    `SELECT 1 FROM ${EVENT_LOG} WHERE lower(dataset) = lower($1) AND status = 'completed' LIMIT 1`,
    [d.name],
  );
  return rows.length > 0;
}

/**
 * Fails when the dataset's table (or quarantine table) exists and was not made by
 * this dataset: the update would replace or write into someone else's table.
 */
export async function checkOwnership(conn: DuckDBConnection, d: Dataset): Promise<void> {
  await ensureTable(conn);
  for (const t of tablesOf(d)) {
    if (!(await relationExists(conn, t))) continue;
    const by = await owner(conn, t);
    if (by?.toLowerCase() === d.name.toLowerCase()) continue;
    if (by === undefined && (await loggedBefore(conn, d))) continue;
    const shown = t.schema.toLowerCase() === "main" ? t.table : `${t.schema}.${t.table}`;
    throw new PipelineError(
      `the table ${shown} already exists and was not created by this pipeline` +
        (by ? ` for ${d.name} (dataset ${by} made it)` : "") +
        "; the engine replaces only tables it created. Rename the dataset, or drop or rename " +
        "the table yourself",
      d.file,
      d.line,
      d.name,
    );
  }
}

/** Records the dataset's tables that exist now as its own (once). */
export async function recordOwnership(
  conn: DuckDBConnection,
  d: Dataset,
  updateId: string,
): Promise<void> {
  await ensureTable(conn);
  for (const t of tablesOf(d)) {
    if (!(await relationExists(conn, t)) || (await owner(conn, t)) !== undefined) continue;
    await conn.run(`INSERT INTO ${TABLES} VALUES ($1, $2, $3, $4)`, [
      d.name,
      t.schema,
      t.table,
      updateId,
    ]);
  }
}
