/**
 * DuckDB access. Every caller opens the database file for one piece of work and
 * closes it when done, so a notebook cell never keeps the file locked against
 * the headless pipeline.
 */
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type { DuckDBConnection };

/** Raised when another process holds the database file. */
export class DatabaseBusyError extends Error {
  constructor(path: string, cause: unknown) {
    super(
      `the database ${path} is in use by another process (a pipeline is running?): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "DatabaseBusyError";
  }
}

/** Opens `path` (creating its folder), runs `fn` on one connection, and always closes the file. */
export async function withDb<T>(
  path: string,
  fn: (conn: DuckDBConnection) => Promise<T>,
): Promise<T> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path);
  } catch (e) {
    if (/lock/i.test(String(e))) throw new DatabaseBusyError(path, e);
    throw e;
  }
  const conn = await instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** A row as plain JavaScript values (BIGINT as number where it fits, timestamps as Date). */
export type Row = Record<string, unknown>;

/** Runs a query and returns its rows as plain objects. */
export async function query(
  conn: DuckDBConnection,
  sql: string,
  params?: DuckDBValue[],
): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return reader.getRowObjectsJS().map((row) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) {
      out[k] = typeof v === "bigint" && Number.isSafeInteger(Number(v)) ? Number(v) : v;
    }
    return out;
  });
}

/** Quotes an identifier for DuckDB. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal for DuckDB. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Whether a table (or view) exists in the main schema. */
export async function tableExists(conn: DuckDBConnection, name: string): Promise<boolean> {
  const rows = await query(
    conn,
    "select 1 from information_schema.tables where table_schema = 'main' and table_name = $1",
    [name],
  );
  return rows.length > 0;
}
