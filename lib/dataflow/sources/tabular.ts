/**
 * What the column formats (CSV, Parquet) share: a batch is read by one DuckDB reader over its
 * files (`union_by_name`, with the file name), its columns' types are inferred by DuckDB, the
 * schema keeps the first type seen for each column and evolves as `schemaEvolutionMode` says,
 * and a value that doesn't convert to its column's type, or a column the schema does not take,
 * goes to the rescued data column as JSON (`{"column": "value", "_file_path": "…"}`), as on
 * Databricks.
 */
import { query } from "../../db.ts";
import { sqlString } from "../translate.ts";
import { duckType, mergeTypes, overlay, parseType, quoteName, type TypeTree } from "../types.ts";
import { evolve, hintsOf, type LoadedSource, metadataSql, type SourceContext } from "./source.ts";

/** A batch's reader: `reader(files)` is a DuckDB table function call with a `filename` column. */
export interface TabularReader {
  /** The relation over local file paths whose column types are the inferred ones. */
  relation(files: string[]): string;
  /** The relation the rows are read from (default `relation`; CSV reads text, then casts). */
  data?(files: string[]): string;
  /** How many rows the files hold. */
  count(files: string[]): Promise<number>;
  /** SQL converting column `x` to type `t` (NULL where it does not convert). */
  cast?(x: string, t: TypeTree): string | undefined;
  /** Renames DuckDB's column names to the format's (`column0` → `_c0` for CSV without header). */
  rename?(name: string): string;
}

/** The columns (name → type) DuckDB reads from `relation`, `filename` left out. */
async function describe(
  ctx: SourceContext,
  relation: string,
): Promise<[string, string][]> {
  const rows = await query(ctx.conn, `DESCRIBE SELECT * FROM ${relation}`);
  return rows.map((r) => [String(r.column_name), String(r.column_type)] as [string, string])
    .filter(([n]) => n !== "filename");
}

function typeOf(name: string): TypeTree {
  try {
    return parseType(name);
  } catch {
    return { kind: "scalar", name };
  }
}

/** Reads a batch of a column format into the view `ctx.name`. */
export async function loadTabular(
  ctx: SourceContext,
  reader: TabularReader,
): Promise<LoadedSource> {
  const { conn, spec, name, meta } = ctx;
  const rename = reader.rename ?? ((n: string) => n);
  const files = ctx.files.map((f) => f.local);
  const hints = hintsOf(spec);
  let columns: [string, string][] = [];
  let rows = 0;
  let rel = "";
  if (files.length) {
    const relation = reader.relation(files);
    columns = await describe(ctx, relation);
    rel = reader.data?.(files) ?? relation;
    rows = await reader.count(files);
  }
  const inferred: TypeTree = {
    kind: "struct",
    fields: columns.map(([n, t]) => [rename(n), typeOf(t)]),
  };
  let schema: TypeTree;
  let left: string[] = [];
  if (spec.options.schema) schema = { kind: "struct", fields: hints };
  else {
    const hinted = (t: TypeTree) => overlay({ kind: "struct", fields: hints }, t);
    ({ schema, left } = evolve(
      ctx,
      hinted(inferred),
      (known, batch) => hinted(mergeTypes(known, batch, "first")),
    ));
    if (!ctx.known) schema = hinted(schema);
  }
  const fields = schema.kind === "struct" ? schema.fields : [];
  const present = new Map(columns.map(([n, t]) => [rename(n), { n, t }]));
  const select: string[] = [];
  const misfit: string[] = [];
  const entries: string[] = [];
  for (const [k, t] of fields) {
    const source = present.get(k);
    if (source === undefined) {
      select.push(`NULL::${duckType(t)} AS ${quoteName(k)}`);
      continue;
    }
    const x = `d.${quoteName(source.n)}`;
    // A column read with the schema's own type needs no conversion and can't misfit.
    if (!reader.data && source.t === duckType(t)) {
      select.push(`${x} AS ${quoteName(k)}`);
      continue;
    }
    const cast = reader.cast?.(x, t) ?? `TRY_CAST(${x} AS ${duckType(t)})`;
    select.push(`${cast} AS ${quoteName(k)}`);
    const bad = `(${x} IS NOT NULL AND ${cast} IS NULL)`;
    misfit.push(bad);
    entries.push(`{'k': ${sqlString(k)}, 'v': CASE WHEN ${bad} THEN ${x}::VARCHAR END}`);
  }
  if (ctx.rescued) {
    // Columns the schema does not take (rescue mode, or none with a rescued column).
    for (const k of left.filter((p) => !p.includes(".") && !p.includes("[]"))) {
      const source = present.get(k);
      if (source !== undefined) {
        const x = `d.${quoteName(source.n)}`;
        misfit.push(`${x} IS NOT NULL`);
        entries.push(`{'k': ${sqlString(k)}, 'v': ${x}::VARCHAR}`);
      }
    }
    // The JSON is built only for rows with something to rescue.
    select.push(
      misfit.length
        ? `CASE WHEN ${misfit.join(" OR ")} THEN to_json(map_from_entries(list_concat(` +
          `list_filter([${entries.join(", ")}], __m -> __m.v IS NOT NULL), ` +
          `[{'k': '_file_path', 'v': f.file_path}])))::VARCHAR END AS ${quoteName(ctx.rescued)}`
        : `NULL::VARCHAR AS ${quoteName(ctx.rescued)}`,
    );
  }
  select.push(`${metadataSql("f")} AS _metadata`);
  const from = files.length
    ? `${rel} d JOIN ${meta} f ON d.filename = f.local_path`
    : `(SELECT NULL::VARCHAR AS filename WHERE false) d JOIN ${meta} f ON d.filename = f.local_path`;
  await conn.run(`CREATE OR REPLACE TEMP VIEW ${name} AS SELECT ${select.join(", ")} FROM ${from}`);
  return { view: name, rows, schema, unreadable: 0 };
}
