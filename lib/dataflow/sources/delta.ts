/**
 * Reads a local Delta table's transaction log: the latest checkpoint (Parquet,
 * named by `_delta_log/_last_checkpoint`) and the JSON commits after it are
 * replayed (`add` / `remove` actions) to find the table's live Parquet files.
 * What this reader cannot do faithfully (deletion vectors, column mapping) is an
 * error naming the table and the feature.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type DuckDBConnection, query } from "../../db.ts";
import { sqlString } from "../translate.ts";

/** The live data files of a Delta table and how to read them. */
export interface DeltaSnapshot {
  /** The table version the files belong to. */
  version: number;
  /** Absolute paths of the live Parquet files, in the order they were added. */
  files: string[];
  partitionColumns: string[];
}

/** A Delta table this reader cannot read faithfully, or a broken log. */
export class DeltaError extends Error {
  constructor(table: string, detail: string) {
    super(`delta table ${table}: ${detail}`);
    this.name = "DeltaError";
  }
}

interface Action {
  add?: { path: string; deletionVector?: unknown };
  remove?: { path: string };
  metaData?: { partitionColumns?: string[]; configuration?: Record<string, string> };
}

const version = (name: string) => Number(name.slice(0, 20));

/** Whether a folder holds a Delta table (a `_delta_log` folder). */
export function isDeltaTable(path: string): boolean {
  return existsSync(join(path, "_delta_log"));
}

/** Replays a local Delta table's log (checkpoint, then later commits) into its live files. */
export async function deltaSnapshot(conn: DuckDBConnection, root: string): Promise<DeltaSnapshot> {
  const log = join(root, "_delta_log");
  if (!existsSync(log)) throw new DeltaError(root, "no _delta_log folder");
  const live = new Map<string, true>();
  let partitionColumns: string[] = [];
  let from = -1;
  const fail = (detail: string): never => {
    throw new DeltaError(root, detail);
  };
  const last = join(log, "_last_checkpoint");
  if (existsSync(last)) {
    const cp = JSON.parse(readFileSync(last, "utf8")) as { version: number; parts?: number };
    const pad = String(cp.version).padStart(20, "0");
    const parts = cp.parts
      ? Array.from(
        { length: cp.parts },
        (_, i) =>
          join(
            log,
            `${pad}.checkpoint.${String(i + 1).padStart(10, "0")}.${
              String(cp.parts).padStart(10, "0")
            }.parquet`,
          ),
      )
      : [join(log, `${pad}.checkpoint.parquet`)];
    for (const p of parts) if (!existsSync(p)) fail(`checkpoint file ${p} is missing`);
    const list = `[${parts.map(sqlString).join(", ")}]`;
    const cols = (await query(
      conn,
      `SELECT column_name AS c FROM (DESCRIBE SELECT * FROM read_parquet(${list}))`,
    ))
      .map((r) => String(r.c));
    if (cols.includes("add")) {
      const dv = cols.includes("add") &&
        (await query(conn, `SELECT * FROM (DESCRIBE SELECT add.* FROM read_parquet(${list}))`))
          .some((r) => r.column_name === "deletionVector");
      const rows = await query(
        conn,
        `SELECT add.path AS path${dv ? ", add.deletionVector IS NOT NULL AS dv" : ""}
         FROM read_parquet(${list}) WHERE add IS NOT NULL`,
      );
      for (const r of rows) {
        if (r.dv) fail("deletion vectors are not supported (files with deleted rows)");
        live.set(String(r.path), true);
      }
    }
    if (cols.includes("metaData")) {
      const [m] = await query(
        conn,
        `SELECT to_json(metaData) AS m FROM read_parquet(${list}) WHERE metaData IS NOT NULL`,
      );
      if (m) partitionColumns = metaOf(JSON.parse(String(m.m)), fail);
    }
    from = cp.version;
  }
  const commits = readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n)).sort();
  let current = from;
  for (const name of commits) {
    const v = version(name);
    if (v <= from) continue;
    if (v !== current + 1) fail(`commit ${current + 1} is missing from the log`);
    current = v;
    for (const line of readFileSync(join(log, name), "utf8").split("\n")) {
      if (!line.trim()) continue;
      const a = JSON.parse(line) as Action;
      if (a.add) {
        if (a.add.deletionVector) {
          fail("deletion vectors are not supported (files with deleted rows)");
        }
        live.set(a.add.path, true);
      } else if (a.remove) live.delete(a.remove.path);
      else if (a.metaData) partitionColumns = metaOf(a.metaData, fail);
    }
  }
  if (current < 0) fail("the log has no commits");
  const files = [...live.keys()].map((p) =>
    /^[a-z]+:/i.test(p) ? p.replace(/^file:(\/\/)?/, "") : join(root, decodeURIComponent(p))
  );
  return { version: current, files, partitionColumns };
}

function metaOf(
  m: NonNullable<Action["metaData"]>,
  fail: (detail: string) => never,
): string[] {
  const mode = m.configuration?.["delta.columnMapping.mode"];
  if (mode && mode !== "none") fail(`column mapping (mode ${mode}) is not supported`);
  return m.partitionColumns ?? [];
}
