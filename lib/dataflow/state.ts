/** The engine's bookkeeping tables (checkpoints, stream offsets, schemas) and the event log. */
import { type DuckDBConnection, query, type Row } from "../db.ts";
import { ident } from "../db.ts";
import type { UpdateResult } from "./result.ts";
import { sqlString } from "./translate.ts";

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
    path VARCHAR, size BIGINT, mtime TIMESTAMP, update_id VARCHAR, committed_at TIMESTAMP,
    etag VARCHAR)`);
  // Checkpoints written before ETags were kept lack the column.
  const columns = (await conn.runAndReadAll(`SELECT * FROM ${FILES} LIMIT 0`)).columnNames();
  if (!columns.includes("etag")) await conn.run(`ALTER TABLE ${FILES} ADD COLUMN etag VARCHAR`);
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
    status VARCHAR, error VARCHAR, full_refresh BOOLEAN)`);
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

const EXPECTATIONS_TYPE =
  "STRUCT(name VARCHAR, action VARCHAR, passed_records BIGINT, failed_records BIGINT)[]";

/** Appends one event log row per dataset of an update. */
export async function writeEventLog(
  conn: DuckDBConnection,
  r: UpdateResult,
  started: Map<string, Date>,
): Promise<void> {
  if (!r.datasets.length) return;
  const ts = (t: Date) => `${sqlString(t.toISOString())}::TIMESTAMPTZ::TIMESTAMP`;
  const rows = r.datasets.map((d) => {
    const exps = d.expectations.map((e) =>
      `{'name': ${sqlString(e.name)}, 'action': ${sqlString(e.action)}, ` +
      `'passed_records': ${e.passed}, 'failed_records': ${e.failed}}`
    );
    const start = started.get(d.name) ?? r.startedAt;
    const values = [
      sqlString(r.updateId),
      sqlString(d.name),
      sqlString(d.kind),
      sqlString(d.mode),
      ts(start),
      ts(new Date(start.getTime() + d.seconds * 1000)),
      d.rowsRead,
      d.rowsWritten,
      d.rowsDropped,
      d.rowsDuplicate,
      d.filesRead,
      `[${exps.join(", ")}]::${EXPECTATIONS_TYPE}`,
      sqlString(d.status),
      d.detail === undefined ? "NULL" : sqlString(d.detail),
      r.fullRefresh.includes(d.name),
    ];
    return `(${values.join(", ")})`;
  });
  const columns =
    "update_id, dataset, kind, mode, started_at, ended_at, rows_read, rows_written, " +
    "rows_dropped, rows_duplicate, files_read, expectations, status, error, full_refresh";
  await conn.run(`INSERT INTO ${EVENT_LOG} (${columns}) VALUES ${rows.join(", ")}`);
}
