/**
 * The Autoloader core: where a source's files live, which of them a batch takes (new, settled,
 * changed), its checkpoint rows, and reading a batch through the source's format module
 * (`lib/dataflow/sources/<format>.ts`) into a DuckDB view with the schema's columns, the rescued
 * data column and `_metadata` (file path, name, size, modification time).
 */
import { openLake } from "../lake/mod.ts";
import type { Lake, LakeFile } from "../lake/types.ts";
import { type DuckDBConnection, query } from "../db.ts";
import { join } from "node:path";
import { PipelineError } from "./errors.ts";
import { FILES } from "./state.ts";
import { type SourceSpec, sqlString } from "./translate.ts";
import { significant, type Token } from "./tokens.ts";
import type { TypeTree } from "./types.ts";
import { discover } from "./sources/discover.ts";
import { CSV_FORMAT } from "./sources/csv.ts";
import { JSON_FORMAT } from "./sources/json.ts";
import { PARQUET_FORMAT } from "./sources/parquet.ts";
import { TEXT_FORMAT } from "./sources/text.ts";
import {
  COMMON_OPTIONS,
  evolutionOf,
  type FileFormat,
  type LoadedSource,
  sourceError,
  type SourcePlace,
} from "./sources/source.ts";

export type { LoadedSource, SourcePlace } from "./sources/source.ts";

/** The formats `read_files` / `cloud_files` read, by `format` option. */
export const FORMATS: Record<string, FileFormat> = {
  json: JSON_FORMAT,
  csv: CSV_FORMAT,
  parquet: PARQUET_FORMAT,
  text: TEXT_FORMAT,
};

/** Formats Databricks reads that this engine does not: an error names them. */
const UNSUPPORTED_FORMATS = ["xml", "binaryfile", "avro", "orc", "delta"];

/** Default settle interval: a file must have kept its size and mtime this long to be read. */
export const DEFAULT_SETTLE_SECONDS = 1;

/** The format module of a source; an unknown or unsupported format is an error at its place. */
export function formatOf(spec: SourceSpec, place: SourcePlace): FileFormat {
  const f = FORMATS[spec.format];
  if (f) return f;
  const why = UNSUPPORTED_FORMATS.includes(spec.format) ? "is not supported locally" : "is unknown";
  return sourceError(
    spec,
    place,
    `read_files/cloud_files option format => '${spec.format}' ${why} (supported: ${
      Object.keys(FORMATS).join(", ")
    })`,
  );
}

function flag(spec: SourceSpec, key: string): boolean | undefined {
  const v = spec.options[key];
  return v === undefined ? undefined : v.toLowerCase() === "true";
}

function timeOption(spec: SourceSpec, place: SourcePlace, key: string): Date | undefined {
  const v = spec.options[key];
  if (v === undefined) return undefined;
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`; // session time zone: UTC
  const d = new Date(iso.replace(" ", "T"));
  if (Number.isNaN(d.getTime())) {
    sourceError(spec, place, `option ${key} => '${v}' is not a timestamp (YYYY-MM-DDTHH:mm:ss)`);
  }
  return d;
}

/**
 * Checks a source's options: every option is one its format or the Autoloader implements, and
 * values this engine does not implement (`includeExistingFiles => false`, another encoding) are
 * errors naming the option, never ignored.
 */
export function checkOptions(spec: SourceSpec, place: SourcePlace): FileFormat {
  const format = formatOf(spec, place);
  for (const [k, v] of Object.entries(spec.options)) {
    if (!COMMON_OPTIONS.has(k) && !format.options.has(k)) {
      sourceError(
        spec,
        place,
        `read_files/cloud_files option '${k}' is not supported for format '${spec.format}'`,
      );
    }
    if (k === "includeexistingfiles" && v.toLowerCase() === "false") {
      sourceError(spec, place, "option includeExistingFiles => false is not supported locally");
    }
    if ((k === "encoding" || k === "charset") && !/^utf-?8$/i.test(v)) {
      sourceError(spec, place, `option ${k} => '${v}' is not supported (files are read as UTF-8)`);
    }
  }
  evolutionOf(spec, place);
  timeOption(spec, place, "modifiedafter");
  timeOption(spec, place, "modifiedbefore");
  return format;
}

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
    // A glob's folder is the lake; the glob stays in the prefix.
    const parts = p.split("/");
    const k = parts.findIndex((x) => /[*?[{]/.test(x));
    if (k < 0) return { lake: openLake(p), prefix: "", owned: true };
    return {
      lake: openLake(parts.slice(0, k).join("/")),
      prefix: parts.slice(k).join("/"),
      owned: true,
    };
  }
  return { lake, prefix: trim(p), owned: false };
}

/** Lists the files a source reads (its path or glob, filters and format), sorted by path. */
export async function listInput(
  lake: Lake,
  prefix: string,
  spec?: SourceSpec,
  place: SourcePlace = { file: "", dataset: "" },
): Promise<LakeFile[]> {
  const format = spec ? formatOf(spec, place) : JSON_FORMAT;
  return await discover(lake, prefix, {
    path: prefix,
    extensions: format.extensions,
    nameGlob: spec?.options.pathglobfilter,
    modifiedAfter: spec ? timeOption(spec, place, "modifiedafter") : undefined,
    modifiedBefore: spec ? timeOption(spec, place, "modifiedbefore") : undefined,
  });
}

/** The location DuckDB rows report as `_metadata.file_path`. */
export function fileLocation(lake: Lake, path: string): string {
  return lake.url.startsWith("s3://")
    ? `${lake.url.replace(/\/+$/, "")}/${path}`
    : join(lake.url, path);
}

/** A file's identity as the checkpoint keeps it. */
function etagOf(f: LakeFile): string | undefined {
  return (f as LakeFile & { etag?: string }).etag;
}

function sameFile(a: LakeFile, size: number, mtime: Date, etag: string | null): boolean {
  const tag = etagOf(a);
  if (tag && etag && tag !== etag) return false;
  return a.size === size && a.mtime.getTime() === mtime.getTime();
}

/** What a source's batch takes, and what it reports. */
export interface Pick {
  /** Files to read in this batch. */
  files: LakeFile[];
  /** Warnings, by file: processed files that changed, files still being written. */
  warnings: string[];
}

/**
 * Chooses a batch: files not yet in the checkpoint (and, with `allowOverwrites`, processed
 * files whose size, mtime or ETag changed), taking only files whose size and mtime stayed the
 * same for the settle interval (`settleSeconds`; a file younger than that is looked at again
 * once it is old enough, and left for a later update if it changed). A processed file that
 * changed is reported by name, and re-read only with `allowOverwrites`.
 */
export async function pickFiles(
  conn: DuckDBConnection,
  dataset: string,
  spec: SourceSpec,
  listed: LakeFile[],
  relist: () => Promise<LakeFile[]>,
  place: SourcePlace,
  options: { settleSeconds?: number; now?: () => number } = {},
): Promise<Pick> {
  const rows = await query(
    conn,
    `SELECT path, size, epoch_ms(mtime::TIMESTAMPTZ)::BIGINT AS ms, etag FROM ${FILES}
     WHERE dataset = $1 AND source = $2 ORDER BY committed_at`,
    [dataset, spec.path],
  );
  const last = new Map<string, { size: number; mtime: Date; etag: string | null }>();
  for (const r of rows) {
    last.set(String(r.path), {
      size: Number(r.size),
      mtime: new Date(Number(r.ms)),
      etag: r.etag === null || r.etag === undefined ? null : String(r.etag),
    });
  }
  const overwrites = flag(spec, "allowoverwrites") ?? false;
  const warnings: string[] = [];
  let files: LakeFile[] = [];
  for (const f of listed) {
    const seen = last.get(f.path);
    if (!seen) files.push(f);
    else if (!sameFile(f, seen.size, seen.mtime, seen.etag)) {
      if (overwrites) files.push(f);
      else {
        warnings.push(
          `${f.path} changed after it was processed (size ${seen.size} → ${f.size}, modified ${seen.mtime.toISOString()} → ${f.mtime.toISOString()}); its new content is not read (allowOverwrites => true reads it again)`,
        );
      }
    }
  }
  const given = spec.options.settleseconds;
  const seconds = given !== undefined
    ? Number(given)
    : options.settleSeconds ?? DEFAULT_SETTLE_SECONDS;
  if (!Number.isFinite(seconds) || seconds < 0) {
    sourceError(spec, place, `option settleSeconds => '${given}' is not a number of seconds`);
  }
  const settleMs = seconds * 1000;
  const now = options.now ?? Date.now;
  const young = files.filter((f) => now() - f.mtime.getTime() < settleMs);
  if (young.length) {
    const wait = Math.max(...young.map((f) => settleMs - (now() - f.mtime.getTime())));
    await new Promise((r) => setTimeout(r, Math.min(settleMs, Math.max(0, wait))));
    const again = new Map((await relist()).map((f) => [f.path, f]));
    const moved = new Set<string>();
    for (const f of young) {
      const g = again.get(f.path);
      if (!g || !sameFile(g, f.size, f.mtime, etagOf(f) ?? null)) {
        moved.add(f.path);
        warnings.push(
          `${f.path} is still being written (size or modification time changed within ${
            settleMs / 1000
          } s); it is left for a later update`,
        );
      }
    }
    files = files.filter((f) => !moved.has(f.path));
  }
  return { files, warnings };
}

/** Records a batch's files in the checkpoint (in the update's transaction). */
export async function recordFiles(
  conn: DuckDBConnection,
  dataset: string,
  spec: SourceSpec,
  files: LakeFile[],
  updateId: string,
): Promise<void> {
  if (!files.length) return;
  await conn.run(
    `INSERT INTO ${FILES} (dataset, source, path, size, mtime, update_id, committed_at, etag)
     VALUES ${
      files.map((f) => {
        const etag = etagOf(f);
        return `(${sqlString(dataset)}, ${sqlString(spec.path)}, ${sqlString(f.path)}, ${f.size}, ${
          sqlString(f.mtime.toISOString())
        }::TIMESTAMPTZ::TIMESTAMP, ${sqlString(updateId)}, current_timestamp::TIMESTAMP, ${
          etag === undefined ? "NULL" : sqlString(etag)
        })`;
      }).join(", ")
    }`,
  );
}

/**
 * Reads `files` of a source into a temp view named `name`, through the source's format.
 * `known` is the schema kept from earlier batches; a `schema` option fixes the schema,
 * `schemaHints` fix the named columns' types.
 */
export async function loadSource(
  conn: DuckDBConnection,
  lake: Lake,
  spec: SourceSpec,
  files: LakeFile[],
  known: TypeTree | undefined,
  name: string,
  place: SourcePlace = { file: "", dataset: "" },
): Promise<LoadedSource> {
  const format = checkOptions(spec, place);
  const meta = `${name}_files`;
  const batch = [];
  for (const f of files) {
    batch.push({
      ...f,
      local: await lake.localPath(f.path),
      location: fileLocation(lake, f.path),
    });
  }
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${meta} (local_path VARCHAR, file_path VARCHAR,
      file_name VARCHAR, file_size BIGINT, file_modification_time TIMESTAMP, first_row BIGINT)`,
  );
  if (batch.length) {
    const values = batch.map((f) =>
      `(${sqlString(f.local)}, ${sqlString(f.location)}, ${
        sqlString(f.path.split("/").at(-1)!)
      }, ${f.size}, ${sqlString(f.mtime.toISOString())}::TIMESTAMPTZ::TIMESTAMP, NULL)`
    );
    await conn.run(`INSERT INTO ${meta} VALUES ${values.join(",")}`);
  }
  const { mode, rescued } = evolutionOf(spec, place);
  try {
    return await format.load({
      conn,
      spec,
      place,
      files: batch,
      known,
      name,
      meta,
      mode,
      rescued,
    });
  } catch (e) {
    if (e instanceof PipelineError) throw e;
    const msg = (e instanceof Error ? e.message : String(e)).replace(/^Error: /, "").split(
      "\n",
    )[0];
    throw new PipelineError(`reading ${spec.path}: ${msg}`, place.file, spec.line, place.dataset);
  }
}

/** Places of lines a loaded source could not read (`file:line`), at most `limit`. */
export async function unreadablePlaces(
  conn: DuckDBConnection,
  name: string,
  limit = 5,
): Promise<string[]> {
  const exists = await query(
    conn,
    "SELECT 1 FROM duckdb_tables() WHERE table_name = $1 AND temporary",
    [`${name}_lines`],
  );
  if (!exists.length) return [];
  const rows = await query(
    conn,
    `SELECT f.file_path AS p, coalesce(l.line_no, l.rowid - f.first_row + 1) AS n
     FROM ${name}_lines l JOIN ${name}_files f ON l.filename = f.local_path
     WHERE NOT l.readable OR l.suspect ORDER BY l.rowid LIMIT ${limit}`,
  );
  return rows.map((r) => `${r.p}:${r.n}`);
}

/** Drops the temp objects `loadSource` made for `name`. */
export async function dropSource(conn: DuckDBConnection, name: string): Promise<void> {
  await conn.run(`DROP VIEW IF EXISTS ${name}`);
  for (const t of ["lines", "files", "staged", "data"]) {
    await conn.run(`DROP TABLE IF EXISTS ${name}_${t}`);
  }
}

/**
 * `SELECT *` over a file source does not return `_metadata` (as on Databricks): unless the query
 * names `_metadata` itself (not only its fields, `_metadata.file_path`), the column is left out
 * of the dataset's output.
 */
export function hideMetadata(
  toks: readonly Token[],
  sql: string,
  columns: { name: string; type: string }[],
): { sql: string; columns: { name: string; type: string }[] } {
  if (!columns.some((c) => c.name === "_metadata")) return { sql, columns };
  const sig = toks.filter(significant);
  const named = sig.some((t, i) =>
    (t.kind === "word" || t.kind === "backtick") && t.value.toLowerCase() === "_metadata" &&
    sig[i + 1]?.text !== "."
  );
  if (named) return { sql, columns };
  return {
    sql: `SELECT * EXCLUDE ("_metadata") FROM (${sql})`,
    columns: columns.filter((c) => c.name !== "_metadata"),
  };
}

/**
 * Reads every file of a source (a folder or glob of `spec.path`, in `spec.format` with its
 * options) into the temp view `name`, with no checkpoint: what a direct file query
 * (`` SELECT * FROM csv.`path` ``) reads. Drop it with `dropSource`; a lake opened for a path
 * outside `lake` is closed before returning.
 */
export async function readFilesView(
  conn: DuckDBConnection,
  lake: Lake,
  spec: SourceSpec,
  name: string,
  place: SourcePlace,
): Promise<LoadedSource> {
  const src = sourceLake(lake, spec.path);
  try {
    const files = await listInput(src.lake, src.prefix, spec, place);
    return await loadSource(conn, src.lake, spec, files, undefined, name, place);
  } finally {
    if (src.owned) src.lake.close?.();
  }
}
