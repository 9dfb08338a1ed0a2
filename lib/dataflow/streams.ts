/**
 * What a streaming table may read as a stream, and stream-stream joins.
 *
 * - A streaming table needs a streaming input (`STREAM(x)` or a file source);
 *   one that only reads `LIVE.x` would append all of `x` again on every update,
 *   so it is refused, as Databricks refuses it.
 * - `STREAM(x)` of a dataset that is recomputed (a materialized view, an
 *   aggregating streaming table) or rewritten (the target of an AUTO CDC flow)
 *   is refused, as on Databricks: its rows are not an append-only stream.
 * - A stream-static join reads the static side whole, as it is in this update.
 * - A stream-stream inner join keeps its state in the upstream tables themselves
 *   (streaming tables keep every row): the new output is
 *   `Δa ⋈ b_all ∪ a_old ⋈ Δb` (one term per stream read), so matches whose sides
 *   arrive in different updates are found, each once. Other forms (outer joins,
 *   a join inside an aggregate-free subquery of a set operation, joins with a
 *   file source) are an error naming the form.
 */
import { type DuckDBConnection, ident, query } from "../db.ts";
import { PipelineError } from "./errors.ts";
import type { PlannedDataset } from "./graph.ts";
import {
  type Reference,
  type Resolver,
  type SourceSpec,
  sqlString,
  translate,
  type TranslateOptions,
  type Where,
} from "./translate.ts";

/** Which rows of a streamed dataset a relation stands for. */
export type StreamPart = "new" | "old" | "all";

/** How a streaming table's stream reads combine: independently, or in an inner join. */
export type StreamJoin = { kind: "none" } | { kind: "join"; reads: number };

const lower = (s: string) => s.toLowerCase();

/**
 * Refuses stream reads Databricks refuses: a streaming table without a streaming
 * input, and `STREAM()` of a recomputed dataset or of an AUTO CDC target.
 */
export function checkStreamReads(
  pd: PlannedDataset,
  recomputed: ReadonlySet<string>,
  cdcTargets: ReadonlySet<string>,
): void {
  const d = pd.dataset;
  if (d.kind !== "streaming") return;
  const fail = (msg: string, line: number): never => {
    throw new PipelineError(msg, d.file, line, d.name);
  };
  for (const r of pd.refs) {
    if (!r.stream) continue;
    const name = lower(r.name);
    if (recomputed.has(name)) {
      fail(
        `STREAM(${r.name}) reads a dataset that is recomputed on every update (a materialized ` +
          `view or an aggregating streaming table), not an append-only stream; Databricks ` +
          `refuses it too. Make ${d.name} a MATERIALIZED VIEW that reads LIVE.${r.name}, or ` +
          `stream from the sources ${r.name} reads`,
        r.line,
      );
    }
    if (cdcTargets.has(name)) {
      fail(
        `STREAM(${r.name}) reads the target of an AUTO CDC flow, whose rows are updated and ` +
          `deleted, not an append-only stream; Databricks refuses it too. Read it as ` +
          `LIVE.${r.name} from a MATERIALIZED VIEW, or stream from the flow's source`,
        r.line,
      );
    }
  }
  if (
    !d.cdc && pd.sources.length === 0 && !pd.refs.some((r) => r.stream) &&
    !pd.externals.some((x) => x.stream)
  ) {
    const first = pd.refs[0];
    fail(
      `a streaming table needs a streaming input (STREAM(x) or read_files); it reads ` +
        `${first ? `LIVE.${first.name}` : "no dataset"} as a whole, which would be appended ` +
        `again on every update. Read it with STREAM(${first?.name ?? "x"}) to process new rows ` +
        `once, or make ${d.name} a MATERIALIZED VIEW to recompute it`,
      first?.line ?? d.line,
    );
  }
  if (d.cdc && !pd.refs.some((r) => r.stream)) {
    fail(
      `the source of AUTO CDC flow ${d.cdc.name} must be a stream: FROM STREAM(${
        pd.refs[0]?.name ?? "source"
      })`,
      d.cdc.line,
    );
  }
}

type Node = Record<string, unknown>;

/** Stream leaves (`__df_stream_N` / `__df_source_N`) under a node. */
function leaves(n: unknown): string[] {
  if (!n || typeof n !== "object") return [];
  if (Array.isArray(n)) return n.flatMap(leaves);
  const x = n as Node;
  if (x.type === "BASE_TABLE" && /^__df_(stream|source)_\d+$/.test(String(x.table_name))) {
    return [String(x.table_name)];
  }
  return Object.values(x).flatMap(leaves);
}

/** Join nodes anywhere under a node. */
function joins(n: unknown): Node[] {
  if (!n || typeof n !== "object") return [];
  if (Array.isArray(n)) return n.flatMap(joins);
  const x = n as Node;
  return [...(x.type === "JOIN" ? [x] : []), ...Object.values(x).flatMap(joins)];
}

/** Whether an expression tree holds a window function. */
function hasWindow(n: unknown): boolean {
  if (!n || typeof n !== "object") return false;
  if (Array.isArray(n)) return n.some(hasWindow);
  const x = n as Node;
  return x.class === "WINDOW" || Object.values(x).some(hasWindow);
}

/**
 * Finds a stream-stream join in a streaming table's query (append mode), with the
 * views it reads expanded in place by `views` (a join inside a view is found too).
 * Returns `join` when every stream read is a table in the top-level join tree of
 * inner joins (the delta rule applies); throws for a form that would drop or
 * repeat matches.
 */
export async function streamJoin(
  conn: DuckDBConnection,
  pd: PlannedDataset,
  names: ReadonlySet<string>,
  views: (resolver: Resolver) => Resolver = (r) => r,
): Promise<StreamJoin> {
  const d = pd.dataset;
  if (pd.refs.filter((r) => r.stream).length + pd.sources.length < 2) return { kind: "none" };
  const where: Where = { file: d.file, dataset: d.name };
  let streams = 0;
  let sources = 0;
  const sql = translate(
    pd.query,
    names,
    views({
      ref: (r, aliased) => {
        const rel = r.stream ? `__df_stream_${streams++}` : ident(r.name);
        return aliased ? rel : `${rel} AS ${ident(r.name)}`;
      },
      source: (_s: SourceSpec, aliased) => `__df_source_${sources++}${aliased ? "" : " AS src"}`,
    }),
    where,
  );
  const [{ j }] = await query(conn, `SELECT json_serialize_sql(${sqlString(sql)}) AS j`);
  const tree = JSON.parse(String(j));
  if (tree.error) return { kind: "none" }; // DuckDB reports the query's own error when it runs
  const joined = joins(tree).filter((x) => leaves(x.left).length && leaves(x.right).length);
  if (!joined.length) return { kind: "none" };
  const fail = (form: string): never => {
    throw new PipelineError(
      `a stream-stream join ${form} is not supported (it would drop or repeat matches across ` +
        `updates); join a stream with LIVE.x (a static read) instead, or join inside a ` +
        `materialized view`,
      d.file,
      pd.query.find((t) => t.kind !== "space")?.line ?? d.line,
      d.name,
    );
  };
  if (sources) fail("with a file source (read the files into a streaming table first)");
  const outer = joined.find((x) => x.join_type !== "INNER");
  if (outer) fail(`of type ${String(outer.join_type)} (outer joins of streams need watermarks)`);
  const node = tree.statements[0].node as Node;
  if (node.type !== "SELECT_NODE") fail("inside a UNION or other set operation");
  if ((node.modifiers as Node[]).some((m) => m.type !== "ORDER_MODIFIER")) {
    fail("with DISTINCT or LIMIT");
  }
  if (hasWindow(node.select_list)) fail("with a window function");
  // Every stream read must be a table reached through the top-level join tree.
  const top: string[] = [];
  const walk = (n: Node) => {
    if (n.type === "JOIN") {
      walk(n.left as Node);
      walk(n.right as Node);
    } else if (n.type === "BASE_TABLE") top.push(String(n.table_name));
  };
  walk(node.from_table as Node);
  if (leaves(node.from_table).some((l) => !top.includes(l))) fail("inside a subquery");
  if (leaves(node).length !== leaves(node.from_table).length) {
    fail("with a stream read outside FROM");
  }
  return { kind: "join", reads: streams };
}

/**
 * The new output of a stream-stream inner join: one query per stream read `i`,
 * reading earlier reads' old rows, read `i`'s new rows and later reads' rows in
 * full, combined with UNION ALL.
 */
export function streamJoinSql(
  pd: PlannedDataset,
  names: ReadonlySet<string>,
  reads: number,
  relation: (r: Reference, aliased: boolean, part: StreamPart) => string,
  options: TranslateOptions = {},
): string {
  const d = pd.dataset;
  const where: Where = { file: d.file, dataset: d.name };
  const terms: string[] = [];
  for (let i = 0; i < reads; i++) {
    let k = 0;
    const sql = translate(
      pd.query,
      names,
      {
        ref: (r, aliased) => {
          if (!r.stream) return relation(r, aliased, "all");
          const n = k++;
          return relation(r, aliased, n < i ? "old" : n === i ? "new" : "all");
        },
        source: () => {
          throw new PipelineError("a stream-stream join cannot read files", d.file, d.line, d.name);
        },
      },
      where,
      options,
    );
    terms.push(`SELECT * FROM (${sql})`);
  }
  return terms.join("\nUNION ALL\n");
}
