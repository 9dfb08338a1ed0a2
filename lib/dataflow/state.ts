/** The engine's bookkeeping tables (checkpoints, stream offsets, schemas) and the event log. */
import { type DuckDBConnection, query, type Row } from "../db.ts";
import { ident } from "../db.ts";

/** The event log table: one row per dataset per update. */
export const EVENT_LOG = "event_log";

/** Files processed, per dataset and source (the Autoloader checkpoint). */
export const FILES = "_dataflow_files";
/** Rows of an upstream streaming table already read, per reading dataset. */
export const OFFSETS = "_dataflow_offsets";
/** The schema a source has settled on, per dataset and source. */
export const SCHEMAS = "_dataflow_schemas";

/** Creates the bookkeeping tables if they are missing. */
export async function ensureState(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${FILES} (dataset VARCHAR, source VARCHAR,
    path VARCHAR, size BIGINT, mtime TIMESTAMP, update_id VARCHAR, committed_at TIMESTAMP)`);
  await conn.run(
    `CREATE TABLE IF NOT EXISTS ${OFFSETS} (dataset VARCHAR, upstream VARCHAR, next_row BIGINT)`,
  );
  await conn.run(
    `CREATE TABLE IF NOT EXISTS ${SCHEMAS} (dataset VARCHAR, source VARCHAR, schema VARCHAR)`,
  );
  await conn.run(`CREATE TABLE IF NOT EXISTS ${EVENT_LOG} (
    update_id VARCHAR, dataset VARCHAR, kind VARCHAR, mode VARCHAR,
    started_at TIMESTAMP, ended_at TIMESTAMP,
    rows_read BIGINT, rows_written BIGINT, rows_dropped BIGINT, rows_duplicate BIGINT,
    files_read BIGINT,
    expectations STRUCT(name VARCHAR, action VARCHAR, passed_records BIGINT,
      failed_records BIGINT)[],
    status VARCHAR, error VARCHAR, full_refresh BOOLEAN, dry_run BOOLEAN)`);
}

/** Forgets a dataset's checkpoints, offsets and schemas (for a full refresh). */
export async function resetState(conn: DuckDBConnection, dataset: string): Promise<void> {
  for (const t of [FILES, OFFSETS, SCHEMAS]) {
    await conn.run(`DELETE FROM ${t} WHERE dataset = $1`, [dataset]);
  }
}

/** Event log rows (newest update first), optionally for one dataset. */
export async function readEventLog(
  conn: DuckDBConnection,
  options: { dataset?: string; limit?: number } = {},
): Promise<Row[]> {
  if (
    !(await query(conn, `SELECT 1 FROM duckdb_tables() WHERE table_name = '${EVENT_LOG}'`))
      .length
  ) return [];
  const where = options.dataset ? "WHERE dataset = $1" : "";
  return await query(
    conn,
    `SELECT * FROM ${EVENT_LOG} ${where} ORDER BY started_at DESC, dataset
     ${options.limit ? `LIMIT ${Math.floor(options.limit)}` : ""}`,
    options.dataset ? [options.dataset] : undefined,
  );
}

/** Expectation metrics over time: one row per update, dataset and expectation. */
export async function readExpectationMetrics(conn: DuckDBConnection): Promise<Row[]> {
  if (
    !(await query(conn, `SELECT 1 FROM duckdb_tables() WHERE table_name = '${EVENT_LOG}'`))
      .length
  ) return [];
  return await query(
    conn,
    `SELECT update_id, started_at, dataset, e.name AS expectation, e.action,
            e.passed_records, e.failed_records, status
     FROM (SELECT *, unnest(expectations) AS e FROM ${EVENT_LOG})
     ORDER BY started_at, dataset, expectation`,
  );
}

/** The quarantined rows of a dataset (empty when it has none). */
export async function readQuarantine(
  conn: DuckDBConnection,
  dataset: string,
  limit = 1000,
): Promise<Row[]> {
  const table = `${dataset}_quarantine`;
  if (
    !(await query(conn, "SELECT 1 FROM duckdb_tables() WHERE table_name = $1", [table]))
      .length
  ) return [];
  return await query(conn, `SELECT * FROM ${ident(table)} LIMIT ${Math.floor(limit)}`);
}
