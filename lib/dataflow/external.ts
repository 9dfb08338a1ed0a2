/**
 * What a dataset reads from outside the pipeline, as DuckDB relations:
 * - direct file queries (`parquet.\`/path\``, `json.…`, `csv.…`, `text.…`, `delta.…`);
 * - tables outside the pipeline (`samples.nyctaxi.trips`): a settings mapping
 *   (`tweetlake.table.<name>` = `[format:]path`), else a table of that schema and
 *   name already in the DuckDB file; neither is an error naming the table and
 *   showing how to map it.
 * A `STREAM(…)` read of one of them in a streaming table is incremental: files
 * not read before (recorded in the file checkpoint), or rows past the offset of
 * a DuckDB table (append-only, as a stream source must be).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { type DuckDBConnection, ident, query } from "../db.ts";
import { PipelineError } from "./errors.ts";
import type { ExternalRef, PlannedDataset } from "./graph.ts";
import { relation, relationExists } from "./names.ts";
import type { WriteMode } from "./result.ts";
import { TABLE_KEY } from "./settings.ts";
import { DeltaError, deltaSnapshot, isDeltaTable } from "./sources/delta.ts";
import { globRegExp, splitGlob } from "./sources/discover.ts";
import { count, describeColumns } from "./sql.ts";
import { FILES, OFFSETS } from "./state.ts";
import { sqlString } from "./translate.ts";

/** The relations of a dataset's external reads for one update, and what to record after. */
export interface ExternalReads {
  /** The SQL relation a reference reads. */
  relation(x: { name: string; parts: string[]; stream: boolean }): string | undefined;
  /** Rows read incrementally (stream reads); 0 when nothing new. */
  rowsRead: number;
  /** Records the files and offsets read, in the update's transaction. */
  commit(): Promise<void>;
}

const key = (x: { name: string; stream: boolean }) => `${x.name.toLowerCase()}|${x.stream}`;

function hidden(name: string): boolean {
  return name.startsWith(".") || name.startsWith("_");
}

function listFolder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (hidden(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFolder(p));
    else out.push(p);
  }
  return out.sort();
}

/** The local files of a path (file, folder, or glob), and the Delta partition columns. */
async function filesOf(
  conn: DuckDBConnection,
  format: string,
  path: string,
): Promise<{ files: string[]; partitions: string[] }> {
  if (format === "delta") {
    const snap = await deltaSnapshot(conn, path);
    return { files: snap.files, partitions: snap.partitionColumns };
  }
  const { base, glob } = splitGlob(path);
  if (glob) {
    if (!existsSync(base)) return { files: [], partitions: [] };
    const re = globRegExp(glob);
    return {
      files: listFolder(base).filter((f) => re.test(f.slice(base.replace(/\/+$/, "").length + 1))),
      partitions: [],
    };
  }
  if (!existsSync(path)) return { files: [], partitions: [] };
  return { files: statSync(path).isDirectory() ? listFolder(path) : [path], partitions: [] };
}

/** A DuckDB reader over files in a format, with Spark's shape for direct queries. */
async function reader(
  conn: DuckDBConnection,
  format: string,
  files: string[],
  partitions: string[],
  direct: boolean,
): Promise<string> {
  const list = `[${files.map(sqlString).join(", ")}]`;
  switch (format) {
    case "parquet":
    case "delta":
      return `read_parquet(${list}, union_by_name = true${
        partitions.length ? ", hive_partitioning = true" : ""
      })`;
    case "json":
      return `read_json_auto(${list}, union_by_name = true)`;
    case "csv": {
      if (!direct) return `read_csv(${list}, header = true, union_by_name = true)`;
      // A direct CSV query reads as Spark does without options: no header, strings, _c0, _c1, …
      const rel = `read_csv(${list}, header = false, all_varchar = true)`;
      const cols = await describeColumns(conn, `SELECT * FROM ${rel}`);
      return `(SELECT ${cols.map((c, i) => `${ident(c.name)} AS _c${i}`).join(", ")} FROM ${rel})`;
    }
    case "text":
      return `(SELECT unnest(CASE WHEN ends_with(content, chr(10))
          THEN string_split(content, chr(10))[:-2] ELSE string_split(content, chr(10)) END)
          AS value FROM read_text(${list}))`;
  }
  throw new Error(`files in format ${format} are not read`);
}

/** How to make a missing table readable. */
function howToMap(x: ExternalRef): string {
  const where = x.table.schema.toLowerCase() === "main"
    ? x.table.table
    : `${x.table.schema}.${x.table.table}`;
  return `map it in the settings' configuration (${TABLE_KEY}${x.name}: parquet:/path/to/files, ` +
    `or json:, csv:, delta:), or with --conf ${TABLE_KEY}${x.name}=parquet:/path, ` +
    `or create the table ${where} in the DuckDB file`;
}

/** Resolves a dataset's external reads for this update (`lake`: a local lake folder for relative paths). */
export async function readExternals(
  conn: DuckDBConnection,
  pd: PlannedDataset,
  mode: WriteMode,
  updateId: string,
  lakeFolder?: string,
): Promise<ExternalReads> {
  const d = pd.dataset;
  const relations = new Map<string, string>();
  const commits: (() => Promise<void>)[] = [];
  let rowsRead = 0;
  const fail = (x: ExternalRef, msg: string): never => {
    throw new PipelineError(msg, d.file, x.line, d.name);
  };
  for (const x of pd.externals) {
    if (relations.has(key(x))) continue;
    const incremental = x.stream && mode === "append";
    const source = x.files ??
      (x.mapping ? { format: x.mapping.format, path: x.mapping.path } : undefined);
    if (source) {
      const raw = source.path.replace(/^dbfs:/, "").replace(/^file:(\/\/)?/, "");
      if (/^[a-z0-9]+:\/\//i.test(raw)) {
        fail(x, `${x.name}: only local files are read directly (not ${raw})`);
      }
      const path = raw.startsWith("/") || !lakeFolder ? resolve(raw) : resolve(lakeFolder, raw);
      const format = source.format === "parquet" && isDeltaTable(path) ? "delta" : source.format;
      let found: { files: string[]; partitions: string[] };
      try {
        found = await filesOf(conn, format, path);
      } catch (e) {
        if (e instanceof DeltaError) fail(x, e.message);
        throw e;
      }
      if (!found.files.length) {
        fail(x, `${x.name}: no ${format} files at ${path}`);
      }
      let read = found.files;
      const checkpoint = `table:${x.name}`;
      if (incremental) {
        const seen = new Set(
          (await query(conn, `SELECT path FROM ${FILES} WHERE dataset = $1 AND source = $2`, [
            d.name,
            checkpoint,
          ])).map((r) => String(r.path)),
        );
        read = found.files.filter((f) => !seen.has(f));
      }
      let rel: string;
      try {
        rel = read.length
          ? await reader(conn, format, read, found.partitions, !!x.files)
          : `(SELECT * FROM ${await reader(
            conn,
            format,
            found.files,
            found.partitions,
            !!x.files,
          )} WHERE false)`;
        if (incremental) rowsRead += await count(conn, `SELECT count(*) FROM ${rel}`);
      } catch (e) {
        fail(
          x,
          `reading ${x.name}: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`,
        );
      }
      relations.set(key(x), rel!);
      if (incremental && read.length) {
        commits.push(async () => {
          await conn.run(
            `INSERT INTO ${FILES} (dataset, source, path, size, mtime, update_id, committed_at)
             VALUES ${
              read.map((f) =>
                `(${sqlString(d.name)}, ${sqlString(checkpoint)}, ${sqlString(f)}, ${
                  statSync(f).size
                }, current_timestamp::TIMESTAMP, ${
                  sqlString(updateId)
                }, current_timestamp::TIMESTAMP)`
              ).join(", ")
            }`,
          );
        });
      }
      continue;
    }
    // A table already in the DuckDB file.
    if (!(await relationExists(conn, x.table))) {
      fail(
        x,
        `table ${x.name} is not defined in this pipeline and not found locally; ${howToMap(x)}`,
      );
    }
    const table = relation(x.table);
    if (!incremental) {
      relations.set(key(x), table);
      continue;
    }
    const upstream = `table:${x.table.schema}.${x.table.table}`;
    const [off] = await query(
      conn,
      `SELECT next_row FROM ${OFFSETS} WHERE dataset = $1 AND upstream = $2`,
      [d.name, upstream],
    );
    const lo = off ? Number(off.next_row) : 0;
    const hi = await count(conn, `SELECT count(*) FROM ${table}`);
    rowsRead += Math.max(0, hi - lo);
    relations.set(key(x), `(SELECT * FROM ${table} WHERE rowid >= ${lo})`);
    commits.push(async () => {
      await conn.run(`DELETE FROM ${OFFSETS} WHERE dataset = $1 AND upstream = $2`, [
        d.name,
        upstream,
      ]);
      await conn.run(`INSERT INTO ${OFFSETS} VALUES ($1, $2, $3)`, [d.name, upstream, hi]);
    });
  }
  return {
    relation: (r) => relations.get(key(r)) ?? relations.get(key({ ...r, stream: !r.stream })),
    rowsRead,
    commit: async () => {
      for (const c of commits) await c();
    },
  };
}
