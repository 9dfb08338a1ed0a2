/**
 * Which datasets are recomputed rather than appended to: materialized views, and
 * streaming tables whose query aggregates (found in DuckDB's parse tree), so that
 * a `count(*) … GROUP BY` over a stream keeps one row per group with its totals.
 */
import { type DuckDBConnection, ident, query } from "../db.ts";
import { datasetNames, type Plan } from "./graph.ts";
import { sqlString, translate } from "./translate.ts";

async function aggregateNames(conn: DuckDBConnection): Promise<Set<string>> {
  const rows = await query(
    conn,
    "SELECT DISTINCT function_name AS f FROM duckdb_functions() WHERE function_type = 'aggregate'",
  );
  return new Set([...rows.map((r) => String(r.f)), "count_star"]);
}

/** Whether a query aggregates at its top level (GROUP BY, or aggregates in the select list). */
async function aggregates(
  conn: DuckDBConnection,
  sql: string,
  aggs: Set<string>,
): Promise<boolean> {
  const [{ j }] = await query(conn, `SELECT json_serialize_sql(${sqlString(sql)}) AS j`);
  const tree = JSON.parse(String(j));
  if (tree.error) return false;
  const hasAgg = (e: unknown): boolean => {
    if (!e || typeof e !== "object") return false;
    const x = e as Record<string, unknown>;
    if (x.class === "SUBQUERY" || x.class === "WINDOW") return false;
    if (x.class === "FUNCTION" && aggs.has(String(x.function_name))) return true;
    return Object.values(x).some((v) => Array.isArray(v) ? v.some(hasAgg) : hasAgg(v));
  };
  const check = (node: Record<string, unknown>): boolean => {
    if (node.type === "SET_OPERATION_NODE") {
      return [node.left, node.right, ...((node.children as unknown[]) ?? [])].some((n) =>
        n ? check(n as Record<string, unknown>) : false
      );
    }
    const groups = node.group_expressions as unknown[] | undefined;
    return (groups?.length ?? 0) > 0 ||
      ((node.select_list as unknown[] | undefined) ?? []).some(hasAgg);
  };
  return check(tree.statements[0].node);
}

/** Which datasets are recomputed rather than appended to: materialized views and streaming aggregates. */
export async function recomputed(conn: DuckDBConnection, plan: Plan): Promise<Set<string>> {
  const aggs = await aggregateNames(conn);
  const names = datasetNames(plan.pipeline);
  const out = new Set<string>();
  for (const pd of plan.order) {
    const d = pd.dataset;
    if (d.kind === "materialized") {
      out.add(d.name.toLowerCase());
      continue;
    }
    if (d.kind === "view") continue;
    const sql = translate(pd.query, names, {
      ref: (r) => ident(r.name),
      source: () => "__df_source",
    }, { file: d.file, dataset: d.name });
    if (await aggregates(conn, sql, aggs)) out.add(d.name.toLowerCase());
  }
  return out;
}
