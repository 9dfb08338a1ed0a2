/**
 * The Autoloader: finds a source's new files in the lake, reads their lines,
 * infers (and evolves) the JSON schema, and exposes the rows as a DuckDB view
 * with `_rescued_data` (lines that don't parse, or whose top-level values don't
 * fit the schema, kept whole) and `_metadata` (file path, name, size, mtime).
 */
import { openLake } from "../lake/mod.ts";
import type { Lake, LakeFile } from "../lake/types.ts";
import { type DuckDBConnection, query } from "../db.ts";
import { join } from "node:path";
import {
  fromJsonStructure,
  jsonStructure,
  mergeTypes,
  overlay,
  parseSchema,
  quoteName,
  settle,
  type TypeTree,
} from "./types.ts";
import { type SourceSpec, sqlString } from "./translate.ts";

/** Files whose names end like this are input; anything else under a source path is ignored. */
export const INPUT_FILE = /\.(nd)?json$/i;

/** Lines fully scanned for schema inference; larger batches are sampled (plus every top-level key). */
const FULL_INFERENCE_LINES = 2_000;

/**
 * Where a source's files live: a folder of the pipeline's lake (a path relative to
 * it, or absolute inside it), or, for an absolute folder or `s3://` location
 * outside it, a lake of its own (`owned`: close it when done).
 */
export function sourceLake(
  lake: Lake,
  path: string,
): { lake: Lake; prefix: string; owned: boolean } {
  const p = path.replace(/^dbfs:/, "").replace(/^file:(\/\/)?/, "");
  const root = lake.url.replace(/\/+$/, "");
  const trim = (x: string) => x.replace(/^\/+|\/+$/g, "");
  if (p === root || p.startsWith(root + "/")) {
    return { lake, prefix: trim(p.slice(root.length)), owned: false };
  }
  if (p.startsWith("/") || /^s3:\/\//.test(p)) {
    return { lake: openLake(p), prefix: "", owned: true };
  }
  return { lake, prefix: trim(p), owned: false };
}

/** Lists the input files under a prefix of a lake, sorted by path. */
export async function listInput(lake: Lake, prefix: string): Promise<LakeFile[]> {
  const files = await lake.list(prefix);
  return files.filter((f) => INPUT_FILE.test(f.path));
}

/** The location DuckDB rows report as `_metadata.file_path`. */
export function fileLocation(lake: Lake, path: string): string {
  return lake.url.startsWith("s3://")
    ? `${lake.url.replace(/\/+$/, "")}/${path}`
    : join(lake.url, path);
}

/** What a loaded source holds. */
export interface LoadedSource {
  /** The temp view to read (columns of the schema, `_rescued_data`, `_metadata`). */
  view: string;
  /** Records read (non-empty lines). */
  rows: number;
  /** The schema after this batch (to be kept for the next one). */
  schema: TypeTree;
}

function hintsOf(spec: SourceSpec): [string, TypeTree][] {
  const text = spec.options.schemahints ?? spec.options.schema;
  return text ? parseSchema(text, spec.line) : [];
}

/** A JSON path literal for a top-level key. */
function jsonPath(key: string): string {
  return sqlString(`$."${key.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`);
}

/**
 * The schema of `lines`: distinct JSON structures merged in order of first appearance,
 * so the same files give the same column order on any lake and any run.
 */
async function inferSchema(
  conn: DuckDBConnection,
  lines: string,
  count: number,
  known: TypeTree | undefined,
): Promise<TypeTree> {
  const sample = count <= FULL_INFERENCE_LINES
    ? "true"
    : `(rowid % ${Math.ceil(count / FULL_INFERENCE_LINES)} = 0 OR rowid < 1000)`;
  const rows = await query(
    conn,
    `SELECT json_structure(line)::VARCHAR AS s FROM ${lines} WHERE ok AND ${sample}
     GROUP BY s ORDER BY min(rowid)`,
  );
  let tree: TypeTree = { kind: "struct", fields: [] };
  for (const r of rows) {
    tree = mergeTypes(tree, fromJsonStructure(JSON.parse(String(r.s))), "widen");
  }
  if (count > FULL_INFERENCE_LINES) {
    // Every top-level key is found, even in lines the sample skipped (keys were listed
    // while the lines were read, in the same parse that checked them).
    const keys = await query(
      conn,
      `SELECT k FROM (SELECT unnest(keys) AS k, rowid AS r FROM ${lines} WHERE ok)
       GROUP BY k ORDER BY min(r)`,
    );
    const seen = new Set(
      [tree, known].flatMap((t) => t?.kind === "struct" ? t.fields.map(([k]) => k) : []),
    );
    for (const { k } of keys) {
      if (seen.has(String(k))) continue;
      const more = await query(
        conn,
        `SELECT json_structure(line)::VARCHAR AS s FROM (SELECT line, rowid AS r FROM ${lines}
          WHERE ok AND json_exists(line, ${jsonPath(String(k))}) ORDER BY r LIMIT 1000)
         GROUP BY s ORDER BY min(r)`,
      );
      for (const r of more) {
        tree = mergeTypes(tree, fromJsonStructure(JSON.parse(String(r.s))), "widen");
      }
    }
  }
  return tree;
}

/**
 * Reads `files` of a source into a temp view named `name`. `known` is the schema
 * kept from earlier batches; a `schema` option fixes the schema, `schemaHints`
 * fix the named columns' types.
 */
export async function loadSource(
  conn: DuckDBConnection,
  lake: Lake,
  spec: SourceSpec,
  files: LakeFile[],
  known: TypeTree | undefined,
  name: string,
): Promise<LoadedSource> {
  const lines = `${name}_lines`;
  const meta = `${name}_files`;
  const locals: string[] = [];
  for (const f of files) locals.push(await lake.localPath(f.path));
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${meta} (local_path VARCHAR, file_path VARCHAR,
      file_name VARCHAR, file_size BIGINT, file_modification_time TIMESTAMP)`,
  );
  if (files.length) {
    const values = files.map((f, k) =>
      `(${sqlString(locals[k])}, ${sqlString(fileLocation(lake, f.path))}, ${
        sqlString(f.path.split("/").at(-1)!)
      }, ${f.size}, ${sqlString(f.mtime.toISOString())}::TIMESTAMPTZ::TIMESTAMP)`
    );
    await conn.run(`INSERT INTO ${meta} VALUES ${values.join(",")}`);
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${lines} AS
       SELECT line, filename, keys,
              keys IS NOT NULL AND (starts_with(line, '{') OR starts_with(ltrim(line), '{')) AS ok
       FROM (SELECT line, filename, try(json_keys(line)) AS keys FROM read_csv([${
        locals.map(sqlString).join(",")
      }], columns = {'line': 'VARCHAR'},
         delim = chr(1), quote = '', escape = '', header = false, auto_detect = false,
         strict_mode = false, null_padding = true, max_line_size = 134217728,
         buffer_size = 268435456, filename = true)
       WHERE line IS NOT NULL AND (starts_with(line, '{') OR trim(line) <> ''))`,
    );
  } else {
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${lines} (line VARCHAR, filename VARCHAR, keys VARCHAR[],
        ok BOOLEAN)`,
    );
  }
  const [{ n }] = await query(conn, `SELECT count(*)::BIGINT AS n FROM ${lines}`);
  const rows = Number(n);
  const hints = hintsOf(spec);
  let schema: TypeTree;
  if (spec.options.schema) schema = { kind: "struct", fields: hints };
  else {
    const inferred = rows
      ? await inferSchema(conn, lines, rows, known)
      : { kind: "struct" as const, fields: [] };
    schema = known ? mergeTypes(known, inferred, "first") : inferred;
    schema = settle(overlay({ kind: "struct", fields: hints }, schema));
  }
  const fields = schema.kind === "struct" ? schema.fields : [];
  const parsed = fields.length
    ? `CASE WHEN l.ok THEN json_transform(l.line, ${
      sqlString(JSON.stringify(jsonStructure(schema)))
    }) END`
    : "NULL";
  // A top-level value that is present but did not convert to the column's type does not fit.
  const misfits = fields
    .filter(([, t]) => !(t.kind === "scalar" && (t.name === "VARCHAR" || t.name === "JSON")))
    .map(([k]) =>
      `(struct_extract(s, ${sqlString(k)}) IS NULL AND ` +
      `coalesce(json_type(line, ${jsonPath(k)}) <> 'NULL', false))`
    );
  const rescued = `CASE WHEN NOT ok${
    misfits.length ? ` OR (${misfits.join(" OR ")})` : ""
  } THEN line END AS _rescued_data`;
  const columns = fields.map(([k]) => `struct_extract(s, ${sqlString(k)}) AS ${quoteName(k)}`);
  await conn.run(
    `CREATE OR REPLACE TEMP VIEW ${name} AS
     SELECT ${[...columns, rescued].join(", ")},
       {'file_path': file_path, 'file_name': file_name, 'file_size': file_size,
        'file_modification_time': file_modification_time} AS _metadata
     FROM (SELECT l.line, l.ok, ${parsed} AS s, f.*
           FROM ${lines} l JOIN ${meta} f ON l.filename = f.local_path)`,
  );
  return { view: name, rows, schema };
}

/** Drops the temp objects `loadSource` made for `name`. */
export async function dropSource(conn: DuckDBConnection, name: string): Promise<void> {
  await conn.run(`DROP VIEW IF EXISTS ${name}`);
  await conn.run(`DROP TABLE IF EXISTS ${name}_lines`);
  await conn.run(`DROP TABLE IF EXISTS ${name}_files`);
}
