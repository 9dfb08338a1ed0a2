/**
 * DuckDB access. Every caller opens the database file for one piece of work and
 * closes it when done, so a notebook cell never keeps the file locked against
 * the headless pipeline.
 */
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { DEFAULTS, repoPath } from "./config.ts";

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

/** Database files this process keeps open (see {@link holdDb}), by absolute path. */
const HELD = new Map<string, { instance: DuckDBInstance; holds: number }>();

/** DuckDB settings a database is opened with. */
export interface DbSettings {
  /** DuckDB's memory limit (`2GB`, `512MB`); past it, work spills to `tempDirectory`. */
  memoryLimit: string;
  /** The folder DuckDB spills to. */
  tempDirectory: string;
}

/**
 * The settings every database is opened with: `DEFAULTS.duckdbMemory` and
 * `DEFAULTS.duckdbTemp` (by default `<path>.tmp`, as DuckDB's own default).
 */
export function dbSettings(path: string): DbSettings {
  return {
    memoryLimit: DEFAULTS.duckdbMemory,
    tempDirectory: DEFAULTS.duckdbTemp
      ? repoPath(DEFAULTS.duckdbTemp)
      : path === ":memory:"
      ? join(tmpdir(), "tweetlake-duckdb.tmp")
      : `${resolve(path)}.tmp`,
  };
}

async function openInstance(path: string): Promise<DuckDBInstance> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const settings = dbSettings(path);
  try {
    return await DuckDBInstance.create(path, {
      memory_limit: settings.memoryLimit,
      temp_directory: settings.tempDirectory,
    });
  } catch (e) {
    if (/lock/i.test(String(e))) throw new DatabaseBusyError(path, e);
    throw e;
  }
}

/**
 * Keeps the database file `path` open in this process until the returned function is
 * called: meanwhile every {@link withDb} on it takes a connection of this one instance
 * instead of opening the file. A continuous run holds its database this way (one
 * process owns it; other processes get {@link DatabaseBusyError}).
 */
export async function holdDb(path: string): Promise<() => void> {
  const key = resolve(path);
  let held = HELD.get(key);
  if (!held) {
    held = { instance: await openInstance(path), holds: 0 };
    HELD.set(key, held);
  }
  held.holds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.holds === 0) {
      HELD.delete(key);
      held.instance.closeSync();
    }
  };
}

/**
 * Opens `path` (creating its folder), runs `fn` on one connection, and always closes the
 * file (unless this process holds it open with {@link holdDb}: then only the connection).
 */
export async function withDb<T>(
  path: string,
  fn: (conn: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const held = path === ":memory:" ? undefined : HELD.get(resolve(path));
  if (held) {
    const conn = await held.instance.connect();
    try {
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  }
  const instance = await openInstance(path);
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
