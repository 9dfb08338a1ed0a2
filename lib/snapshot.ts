/**
 * Reads a {@link PipelineSnapshot} (what the pipeline page shows) from the database: the
 * lineage with per-dataset metrics, recent updates from the event log, the latest posts and
 * the sentiment label counts. `snapshotFrom` takes an open connection (for a process that owns
 * one, such as a live dashboard); `readSnapshot` opens the file for the read and closes it.
 */
import { basename } from "node:path";
import { DEFAULTS } from "./config.ts";
import { type DuckDBConnection, ident, query, type Row, tableExists, withDb } from "./db.ts";
import { EVENT_LOG, lineage, loadPipeline, type Pipeline } from "./dataflow/mod.ts";
import { FILES } from "./dataflow/state.ts";
import type {
  GraphNode,
  PipelineSnapshot,
  SnapshotPost,
  SnapshotUpdate,
} from "./viz/pipeline_page.ts";

/** What to read: the pipeline (file or parsed), how many updates and posts, extra settings. */
export interface SnapshotOptions {
  /** The pipeline file or a parsed pipeline (default: the project's pipeline). */
  pipeline?: string | Pipeline;
  /** Settings to show (name → value); the pipeline file is always listed. */
  settings?: Record<string, string>;
  /** Updates to read from the event log, newest first (default 10). */
  updates?: number;
  /** Latest silver posts to read (default 10). */
  latest?: number;
  /** The silver table (default `silver`) and the sentiment table (default `sentiment`). */
  silver?: string;
  sentiment?: string;
  /** When the snapshot is taken (default now). */
  now?: Date;
}

const iso = (v: unknown): string => v instanceof Date ? v.toISOString() : String(v ?? "");

/** Updates of the event log, newest first, each with its datasets' rows. */
async function readUpdates(conn: DuckDBConnection, limit: number): Promise<SnapshotUpdate[]> {
  if (!(await tableExists(conn, EVENT_LOG))) return [];
  const rows = await query(
    conn,
    `WITH recent AS (SELECT update_id, min(started_at) AS s FROM ${EVENT_LOG}
       GROUP BY update_id ORDER BY s DESC LIMIT ${Math.max(0, Math.floor(limit))})
     SELECT l.*, recent.s AS update_started FROM ${EVENT_LOG} l JOIN recent USING (update_id)
     ORDER BY recent.s DESC, l.started_at, l.dataset`,
  );
  const byId = new Map<string, SnapshotUpdate>();
  for (const r of rows) {
    const id = String(r.update_id);
    let u = byId.get(id);
    if (!u) {
      u = {
        id,
        startedAt: iso(r.update_started),
        endedAt: iso(r.ended_at),
        status: "completed",
        datasets: [],
      };
      byId.set(id, u);
    }
    if (iso(r.ended_at) > u.endedAt) u.endedAt = iso(r.ended_at);
    const status = String(r.status);
    if (status === "failed" || status === "rolled_back") u.status = "failed";
    const exps = (r.expectations ?? []) as Row[];
    u.datasets.push({
      dataset: String(r.dataset),
      kind: String(r.kind),
      mode: String(r.mode),
      rowsRead: Number(r.rows_read),
      rowsWritten: Number(r.rows_written),
      rowsDropped: Number(r.rows_dropped),
      rowsDuplicate: Number(r.rows_duplicate),
      filesRead: Number(r.files_read),
      seconds: (Date.parse(iso(r.ended_at)) - Date.parse(iso(r.started_at))) / 1000 || 0,
      status,
      error: r.error === null || r.error === undefined ? null : String(r.error),
      fullRefresh: Boolean(r.full_refresh),
      expectations: exps.map((e) => ({
        name: String(e.name),
        action: String(e.action),
        passed: Number(e.passed_records),
        failed: Number(e.failed_records),
      })),
    });
  }
  return [...byId.values()];
}

async function rowCount(conn: DuckDBConnection, table: string): Promise<number | null> {
  if (!(await tableExists(conn, table))) return null;
  const [r] = await query(conn, `SELECT count(*) AS n FROM ${ident(table)}`);
  return Number(r.n);
}

async function latestPosts(
  conn: DuckDBConnection,
  silver: string,
  sentiment: string,
  limit: number,
): Promise<SnapshotPost[]> {
  if (!(await tableExists(conn, silver)) || limit <= 0) return [];
  const scored = await tableExists(conn, sentiment);
  const rows = await query(
    conn,
    `SELECT s.id, s.created_at, s.source, s.lang, s.text, ${
      scored ? "g.label, g.score" : "NULL AS label, NULL AS score"
    }
     FROM ${ident(silver)} s ${
      scored
        ? `LEFT JOIN (SELECT id, arg_max(label, scored_at) AS label, arg_max(score, scored_at) AS score
             FROM ${ident(sentiment)} GROUP BY id) g ON g.id = CAST(s.id AS VARCHAR)`
        : ""
    }
     ORDER BY s.created_at DESC NULLS LAST, s.id DESC LIMIT ${Math.floor(limit)}`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    createdAt: r.created_at instanceof Date ? r.created_at.toISOString() : null,
    source: String(r.source ?? ""),
    lang: r.lang === null || r.lang === undefined ? null : String(r.lang),
    text: String(r.text ?? ""),
    label: r.label === null || r.label === undefined ? null : String(r.label),
    score: r.score === null || r.score === undefined ? null : Number(r.score),
  }));
}

/** Reads a snapshot over an open connection (nothing is written). */
export async function snapshotFrom(
  conn: DuckDBConnection,
  options: SnapshotOptions = {},
): Promise<PipelineSnapshot> {
  const source = options.pipeline ?? DEFAULTS.pipeline;
  const pipeline = typeof source === "string" ? await loadPipeline(source) : source;
  const file = typeof source === "string" ? source : "";
  const graph = lineage(pipeline);
  const updates = await readUpdates(conn, options.updates ?? 10);
  const last = updates[0];
  const runOf = (name: string) => last?.datasets.find((d) => d.dataset === name);
  const files = new Map<string, number>();
  const filesRead = new Map<string, number>();
  if (await tableExists(conn, FILES)) {
    for (
      const r of await query(
        conn,
        `SELECT source, count(DISTINCT path) AS n FROM ${FILES} GROUP BY source`,
      )
    ) {
      files.set(String(r.source), Number(r.n));
    }
    if (last) {
      for (
        const r of await query(
          conn,
          `SELECT source, count(DISTINCT path) AS n FROM ${FILES} WHERE update_id = $1 GROUP BY source`,
          [last.id],
        )
      ) filesRead.set(String(r.source), Number(r.n));
    }
  }
  const nodes: GraphNode[] = [];
  for (const n of graph.nodes) {
    if (n.kind === "source") {
      const path = n.id.replace(/^files:/, "");
      nodes.push({
        id: n.id,
        label: n.label,
        kind: "source",
        metrics: {
          lastWritten: last ? filesRead.get(path) ?? 0 : null,
          totalRows: files.get(path) ?? (last ? 0 : null),
          droppedPct: null,
          status: null,
        },
      });
      continue;
    }
    const parent = n.kind === "quarantine" ? n.id.replace(/_quarantine$/, "") : n.id;
    const run = runOf(parent);
    nodes.push({
      id: n.id,
      label: n.label,
      kind: n.kind,
      metrics: {
        lastWritten: run ? (n.kind === "quarantine" ? run.rowsDropped : run.rowsWritten) : null,
        totalRows: await rowCount(conn, n.id),
        droppedPct: run && n.kind !== "quarantine" && run.rowsRead > 0
          ? (100 * run.rowsDropped) / run.rowsRead
          : null,
        status: n.kind === "quarantine" ? null : run?.status ?? null,
      },
    });
  }
  const sentimentTable = options.sentiment ?? "sentiment";
  const sentiment = await tableExists(conn, sentimentTable)
    ? (await query(
      conn,
      `SELECT label, count(*) AS n FROM ${ident(sentimentTable)} GROUP BY label ORDER BY label`,
    )).map((r) => ({ label: String(r.label), count: Number(r.n) }))
    : [];
  return {
    version: 1,
    takenAt: (options.now ?? new Date()).toISOString(),
    pipeline: file ? basename(file) : "pipeline",
    settings: { ...(file ? { pipeline: file } : {}), ...options.settings },
    graph: { nodes, edges: graph.edges.map((e) => ({ from: e.from, to: e.to, stream: e.stream })) },
    updates,
    latest: await latestPosts(
      conn,
      options.silver ?? "silver",
      sentimentTable,
      options.latest ?? 10,
    ),
    sentiment,
  };
}

/** Opens `db`, reads a snapshot, and closes the file again. */
export async function readSnapshot(
  db: string = DEFAULTS.db,
  options: SnapshotOptions = {},
): Promise<PipelineSnapshot> {
  return await withDb(db, (conn) => snapshotFrom(conn, options));
}
