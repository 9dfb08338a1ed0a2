/**
 * Dataset and table names: `table`, `schema.table` and `catalog.schema.table`
 * (parts plain, backquoted, or starting with a digit such as `02_silver`), mapped
 * onto DuckDB schemas. The catalog part is not kept (a DuckDB file is one
 * catalog): `c.s.t` and `s.t` are the table `t` of the DuckDB schema `s`. An
 * unqualified name lives in the pipeline's default schema (the settings'
 * `schema` / `target`), or DuckDB's `main` when the settings name none, so the
 * same short name can exist in several schemas.
 */
import { type DuckDBConnection, ident, query } from "../db.ts";
import { isWord, type Token } from "./tokens.ts";

/** The default catalog and schema of a pipeline (from its settings). */
export interface NameContext {
  catalog?: string;
  schema?: string;
}

/** A name resolved to a DuckDB schema and table. */
export interface TableName {
  /** The parts as written (`LIVE.` removed). */
  parts: string[];
  /** The DuckDB schema (`main` by default). */
  schema: string;
  /** The table's own name. */
  table: string;
  /** How the engine names it: `table` in `main`, else `schema.table`. */
  name: string;
}

/** DuckDB's default schema, where unqualified names go when the settings name no schema. */
export const MAIN = "main";

/** Resolves name parts (1 to 3) in a pipeline's name context. */
export function resolveName(parts: string[], ctx: NameContext = {}): TableName {
  const table = parts.at(-1)!;
  const schema = parts.length >= 2 ? parts.at(-2)! : ctx.schema || MAIN;
  const name = schema.toLowerCase() === MAIN ? table : `${schema}.${table}`;
  return { parts, schema, table, name };
}

/** The SQL relation of a table: `"t"` in `main` (as the project has always named them), else `"s"."t"`. */
export function relation(t: { schema: string; table: string }): string {
  return t.schema.toLowerCase() === MAIN ? ident(t.table) : `${ident(t.schema)}.${ident(t.table)}`;
}

/** A key to compare names by (DuckDB names are case-insensitive). */
export function nameKey(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`.toLowerCase();
}

/** Whether a token can be a name part (a word, a backquoted name). */
export function isNamePart(t: Token | undefined): boolean {
  return t?.kind === "word" || t?.kind === "backtick";
}

/**
 * Reads a dotted name from significant tokens starting at `i`: its parts and
 * the index of its last token. `LIVE.` in front is dropped (`live` = this pipeline).
 */
export function readName(
  toks: Token[],
  i: number,
  next: (i: number) => number = (k) => k + 1,
): { parts: string[]; live: boolean; end: number } | undefined {
  if (!isNamePart(toks[i])) return undefined;
  const parts = [toks[i].value];
  let end = i;
  while (toks[next(end)]?.text === "." && isNamePart(toks[next(next(end))])) {
    end = next(next(end));
    parts.push(toks[end].value);
  }
  const live = isWord(toks[i], "live") && parts.length > 1;
  return { parts: live ? parts.slice(1) : parts, live, end };
}

/** The quarantine table of a dataset: `<table>_quarantine` in the same schema. */
export function quarantineOf(t: { schema: string; table: string }): TableName {
  return resolveName([t.schema, `${t.table}_quarantine`]);
}

/** Whether a table or view exists in DuckDB under this schema and name. */
export async function relationExists(
  conn: DuckDBConnection,
  t: { schema: string; table: string },
): Promise<boolean> {
  const rows = await query(
    conn,
    `SELECT 1 FROM information_schema.tables
     WHERE lower(table_schema) = lower($1) AND lower(table_name) = lower($2)`,
    [t.schema, t.table],
  );
  return rows.length > 0;
}

/** Creates the DuckDB schema of a table when it is not `main` and does not exist yet. */
export async function ensureSchema(
  conn: DuckDBConnection,
  t: { schema: string },
): Promise<void> {
  if (t.schema.toLowerCase() !== MAIN) {
    await conn.run(`CREATE SCHEMA IF NOT EXISTS ${ident(t.schema)}`);
  }
}
