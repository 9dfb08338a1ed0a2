/**
 * The JSON lines format (`format => 'json'`): one JSON object per line. The schema is inferred
 * from the lines (the first type seen for a field is kept, so a batch split differently gives the
 * same schema), evolved as `schemaEvolutionMode` says, and a line that can't be read, isn't a
 * JSON object, nests deeper than `MAX_JSON_DEPTH`, or holds a value that doesn't fit its column
 * at any depth is kept whole in the rescued data column with its file and line number.
 */
import { query } from "../../db.ts";
import { MAX_JSON_DEPTH } from "../../ingest/limits.ts";
import { sqlString } from "../translate.ts";
import {
  capDepth,
  fromJsonStructure,
  mergeTypes,
  misfitSql,
  overlay,
  quoteName,
  settle,
  textStructure,
  typedSql,
  type TypeTree,
} from "../types.ts";
import { dropStaged, lineNumberSql, stageLines } from "./lines.ts";
import {
  evolve,
  type FileFormat,
  hintsOf,
  type LoadedSource,
  metadataSql,
  type SourceContext,
} from "./source.ts";

/** A type with every scalar as VARCHAR (structs and lists kept). */
function asStrings(t: TypeTree): TypeTree {
  switch (t.kind) {
    case "scalar":
      return t.name === "JSON" ? t : { kind: "scalar", name: "VARCHAR" };
    case "list":
      return { kind: "list", of: asStrings(t.of) };
    case "struct":
      return { kind: "struct", fields: t.fields.map(([k, f]) => [k, asStrings(f)]) };
    case "map":
      return t;
  }
}

/** Lines fully scanned for schema inference; larger batches are sampled (plus every top-level key). */
const FULL_INFERENCE_LINES = 2_000;

/**
 * The deepest nesting of objects and arrays in a JSON text (brackets inside strings don't
 * count); linear in the text, no recursion.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** A JSON path literal for a field path (`["data", "geo"]` → `$."data"."geo"`; `[]` for lists). */
function jsonPath(path: string[]): string {
  return sqlString(
    "$" +
      path.map((k) =>
        k === "[]" ? "[*]" : `."${k.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`
      ).join(""),
  );
}

/**
 * The schema of the readable lines of `lines`: distinct JSON structures merged in order of first
 * appearance, the first type seen winning, so the same files give the same schema on any lake,
 * in any split into batches.
 */
async function inferSchema(
  ctx: SourceContext,
  lines: string,
  count: number,
): Promise<TypeTree> {
  const { conn } = ctx;
  const sample = count <= FULL_INFERENCE_LINES
    ? "true"
    : `(rowid % ${Math.ceil(count / FULL_INFERENCE_LINES)} = 0 OR rowid < 1000)`;
  const rows = await query(
    conn,
    `SELECT json_structure(line)::VARCHAR AS s FROM ${lines} WHERE ok AND ${sample}
     GROUP BY s ORDER BY min(rowid)`,
  );
  let tree: TypeTree = { kind: "struct", fields: [] };
  const add = (s: unknown) => {
    tree = mergeTypes(tree, capDepth(fromJsonStructure(JSON.parse(String(s)))), "first");
  };
  for (const r of rows) add(r.s);
  if (count > FULL_INFERENCE_LINES) {
    // Every top-level key is found, even in lines the sample skipped (keys were listed
    // while the lines were read, in the same parse that checked them).
    const keys = await query(
      conn,
      `SELECT k FROM (SELECT unnest(keys) AS k, rowid AS r FROM ${lines} WHERE ok)
       GROUP BY k ORDER BY min(r)`,
    );
    const seen = new Set(
      [tree, ctx.known].flatMap((t) => t?.kind === "struct" ? t.fields.map(([k]) => k) : []),
    );
    for (const { k } of keys) {
      if (seen.has(String(k))) continue;
      const more = await query(
        conn,
        `SELECT json_structure(line)::VARCHAR AS s FROM (SELECT line, rowid AS r FROM ${lines}
          WHERE ok AND json_exists(line, ${jsonPath([String(k)])}) ORDER BY r LIMIT 1000)
         GROUP BY s ORDER BY min(r)`,
      );
      for (const r of more) add(r.s);
    }
  }
  return tree;
}

async function loadJson(ctx: SourceContext): Promise<LoadedSource> {
  const { conn, name, meta, spec } = ctx;
  const lines = `${name}_lines`;
  const staged = await stageLines(conn, ctx.files.map((f) => f.local), name);
  // A line nesting deeper than the limit is not parsed (DuckDB's JSON functions recurse): only a
  // line long enough and with enough brackets can be that deep; those few are measured here.
  // (CASE, not AND: only long lines pay for counting brackets.)
  const suspect = `CASE WHEN readable AND strlen(line) > ${2 * MAX_JSON_DEPTH + 1} THEN ` +
    `strlen(line) - strlen(replace(replace(line, '{', ''), '[', '')) > ${MAX_JSON_DEPTH} ` +
    `ELSE false END`;
  const parse = `CASE WHEN readable AND NOT suspect THEN try(json_keys(line)) END`;
  // CASE rather than OR here and below: DuckDB evaluates both sides of an OR on every row, and
  // ltrim / trim copy the whole line.
  const object =
    `CASE WHEN starts_with(line, '{') THEN true ELSE starts_with(ltrim(line), '{') END`;
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${lines} AS
     SELECT *, CASE WHEN ok THEN true ELSE trim(line) <> '' END AS record
     FROM (SELECT line, filename, line_no, readable, suspect, keys,
                  keys IS NOT NULL AND (${object}) AS ok
           FROM (SELECT *, ${parse} AS keys FROM (SELECT *, ${suspect} AS suspect
                 FROM (${staged.relation}))))`,
  );
  if (staged.split) await dropStaged(conn, name);
  let rows = 0;
  let unreadable = staged.unreadable;
  if (ctx.files.length) {
    const [c] = await query(
      conn,
      `SELECT count(*) FILTER (WHERE record)::BIGINT AS n,
              count(*) FILTER (WHERE suspect)::BIGINT AS s FROM ${lines}`,
    );
    rows = Number(c.n);
    if (Number(c.s)) {
      const suspects = await query(conn, `SELECT rowid AS r, line FROM ${lines} WHERE suspect`);
      const shallow = suspects.filter((s) => jsonDepth(String(s.line)) <= MAX_JSON_DEPTH);
      unreadable += suspects.length - shallow.length;
      if (shallow.length) {
        await conn.run(
          `UPDATE ${lines} SET keys = try(json_keys(line)), suspect = false WHERE rowid IN (${
            shallow.map((s) => Number(s.r)).join(",")
          })`,
        );
        await conn.run(`UPDATE ${lines} SET ok = keys IS NOT NULL AND (${object}) WHERE NOT ok`);
      }
    }
    await conn.run(
      `UPDATE ${meta} SET first_row = s.m FROM (SELECT filename, min(rowid) AS m FROM ${lines}
        GROUP BY filename) s WHERE ${meta}.local_path = s.filename`,
    );
  }

  const hints = hintsOf(spec);
  let schema: TypeTree;
  let left: string[] = [];
  if (spec.options.schema) schema = { kind: "struct", fields: hints };
  else {
    const typed = !/^false$/i.test(spec.options.infercolumntypes ?? spec.options.inferschema ?? "");
    const found = rows
      ? await inferSchema(ctx, lines, rows)
      : { kind: "struct" as const, fields: [] };
    // inferColumnTypes => false: every field a STRING, nested ones too (as Auto Loader does).
    const inferred = typed ? found : asStrings(found);
    const hinted = (t: TypeTree) => settle(overlay({ kind: "struct", fields: hints }, t));
    ({ schema, left } = evolve(
      ctx,
      hinted(inferred),
      (known, batch) => hinted(mergeTypes(known, batch, "first")),
    ));
    if (!ctx.known) schema = hinted(schema);
  }
  const fields = schema.kind === "struct" ? schema.fields : [];
  const s = "__s";
  const field = (k: string) => `struct_extract(${s}, ${sqlString(k)})`;
  const parsed = fields.length
    ? `CASE WHEN l.ok THEN json_transform(l.line, ${
      sqlString(JSON.stringify(textStructure(schema)))
    }) END`
    : "NULL";
  const columns = fields.map(([k, t]) => `${typedSql(field(k), t)} AS ${quoteName(k)}`);
  if (ctx.rescued) {
    const reasons = ["NOT ok"];
    for (const [k, t] of fields) {
      const m = misfitSql(field(k), t);
      if (m) reasons.push(m);
      // A present value of the wrong shape (a number where an object is expected) reads as NULL.
      if (t.kind !== "scalar") {
        reasons.push(
          `CASE WHEN ${field(k)} IS NULL THEN coalesce(json_type(line, ${
            jsonPath([k])
          }) <> 'NULL', false) ELSE false END`,
        );
      }
    }
    if (left.length) {
      // Columns the schema does not take (rescue mode, or none with a rescued column).
      const top = left.filter((p) => !p.includes(".") && !p.includes("[]"));
      const nested = left.filter((p) => !top.includes(p));
      if (top.length) {
        reasons.push(`list_has_any(keys, [${top.map(sqlString).join(", ")}])`);
      }
      for (const p of nested) {
        const path = p.split(/\.|(?=\[\])/).filter(Boolean);
        reasons.push(`json_exists(line, ${jsonPath(path)})`);
      }
    }
    columns.push(`CASE WHEN ${reasons.join(" OR ")} THEN line END AS ${quoteName(ctx.rescued)}`);
  }
  await conn.run(
    `CREATE OR REPLACE TEMP VIEW ${name} AS
     SELECT ${[...columns, `${metadataSql("", "line_number")} AS _metadata`].join(", ")}
     FROM (SELECT l.line, l.ok, l.keys, ${parsed} AS ${s}, f.*,
             ${lineNumberSql("l", "f.first_row")} AS line_number
           FROM ${lines} l JOIN ${meta} f ON l.filename = f.local_path
           WHERE l.record)`,
  );
  return { view: name, rows, schema, unreadable };
}

/** The JSON lines format. */
export const JSON_FORMAT: FileFormat = {
  extensions: /\.(json|ndjson|jsonl)$/i,
  options: new Set(),
  load: loadJson,
};
