/**
 * Live snapshots: plain, JSON-serialisable objects holding everything the live dashboard
 * shows: the pipeline page's own snapshot (lineage with per-dataset metrics, data quality,
 * event log, the latest scored tweets, settings; see lib/viz/pipeline_page.ts) plus what only
 * a running pipeline has (state, ingest counters, freshness, table counts, events per minute
 * by language, the sentiment mix over time, expectations over time, word counts). The
 * process that owns the database reads them after each cycle; the dashboard only ever sees
 * snapshots.
 */
import { type DuckDBConnection, ident, query, tableExists } from "../db.ts";
import type { DatasetResult } from "../dataflow/mod.ts";
import type { PipelineSnapshot, SnapshotPost } from "../viz/pipeline_page.ts";
import type { LatencyStats } from "./freshness.ts";

/** Where a run is: a continuous run goes starting → running → stopping → stopped. */
export type RunState = "starting" | "running" | "stopping" | "stopped" | "not running";

/** The last completed cycle of a continuous run (or the last update of a triggered one). */
export interface CycleSummary {
  /** Cycle number in this run (1, 2, …). */
  cycle: number;
  updateId: string;
  /** Epoch ms. */
  startedAt: number;
  status: string;
  error?: string;
  /** Seconds the dataflow update took. */
  updateSeconds: number;
  /** Seconds scoring took. */
  scoringSeconds: number;
  /** Rows scored in this cycle. */
  scored: number;
  /** Files the update read. */
  files: number;
  datasets: DatasetResult[];
}

/** Everything the dashboard shows, at one moment. */
export interface LiveSnapshot {
  /** Grows by one with each snapshot of a run. */
  version: number;
  /** When this snapshot was published (epoch ms). */
  publishedAt: number;
  state: RunState;
  /** When the run started (epoch ms). */
  startedAt?: number;
  ingest: { events: number; files: number; malformed: number; perSecond: number };
  /** Cycles completed in this run. */
  cycles: number;
  last?: CycleSummary;
  /** Rows per table (datasets, quarantine tables, sentiment). */
  tables: { table: string; rows: number }[];
  /** Expectation counts per update, oldest first (the last updates only). */
  expectations: {
    cycle: number;
    updateId: string;
    at: number;
    dataset: string;
    name: string;
    action: string;
    passed: number;
    failed: number;
  }[];
  /** Bronze events per minute of arrival and language (the last 30 minutes). */
  perMinute: { minute: number; lang: string; count: number }[];
  /** Scored tweets per minute of scoring and label (the last 30 minutes). */
  sentimentMix: { minute: number; label: string; count: number }[];
  /** Word counts of recent scored tweets (refreshed every few cycles). */
  words: { word: string; count: number }[];
  /** Their word cloud (an `<svg>`, laid out by lib/viz/wordcloud.ts when the words refresh). */
  cloud?: string;
  freshness: {
    /** Arrival of the newest event that has its sentiment row (epoch ms). */
    newestArrivedAt?: number;
    /** When that row was committed (epoch ms). */
    newestCommittedAt?: number;
    /** Arrival → committed sentiment row, for the events of the last cycle (ms). */
    lastCycle?: LatencyStats;
    /** The same over the whole run (ms). */
    overall?: LatencyStats;
  };
  /** Post ids that arrived and are not scored yet (includes posts the dataflow drops). */
  waiting: number;
  /**
   * The pipeline page's snapshot; in a live run its `latest` holds the most recently
   * scored tweets, newest first.
   */
  page: PipelineSnapshot;
}

const WINDOW_MINUTES = 30;
const ms = (v: unknown) => (v instanceof Date ? v.getTime() : Number(v));

/** Rows in each table the pipeline owns, in a stable order (missing tables left out). */
export async function readTableCounts(
  conn: DuckDBConnection,
  datasets: string[],
): Promise<{ table: string; rows: number }[]> {
  const out: { table: string; rows: number }[] = [];
  for (const table of [...datasets, ...datasets.map((d) => `${d}_quarantine`), "sentiment"]) {
    if (!(await tableExists(conn, table))) continue;
    const [row] = await query(conn, `select count(*) as n from ${ident(table)}`);
    out.push({ table, rows: Number(row.n) });
  }
  return out;
}

/** Bronze events per minute of arrival (`_ingested_at`) and language, the last 30 minutes. */
export async function readPerMinute(conn: DuckDBConnection): Promise<LiveSnapshot["perMinute"]> {
  if (!(await tableExists(conn, "bronze"))) return [];
  const rows = await query(
    conn,
    `with b as (select _ingested_at as t, coalesce(data.lang, '?') as lang from bronze
                where _ingested_at is not null)
     select date_trunc('minute', t) as minute, lang, count(*) as n from b
     where t >= (select max(t) from b) - interval ${WINDOW_MINUTES} minute
     group by all order by minute, lang`,
  );
  return rows.map((r) => ({ minute: ms(r.minute), lang: String(r.lang), count: Number(r.n) }));
}

/** Scored tweets per minute of scoring and label, the last 30 minutes. */
export async function readSentimentMix(
  conn: DuckDBConnection,
): Promise<LiveSnapshot["sentimentMix"]> {
  if (!(await tableExists(conn, "sentiment"))) return [];
  const rows = await query(
    conn,
    `select date_trunc('minute', scored_at) as minute, label, count(*) as n from sentiment
     where scored_at >= (select max(scored_at) from sentiment) - interval ${WINDOW_MINUTES} minute
     group by all order by minute, label`,
  );
  return rows.map((r) => ({ minute: ms(r.minute), label: String(r.label), count: Number(r.n) }));
}

/** The `limit` most recently scored tweets with their silver row, newest first. */
export async function readLatestScored(
  conn: DuckDBConnection,
  limit = 12,
): Promise<SnapshotPost[]> {
  if (!(await tableExists(conn, "sentiment")) || !(await tableExists(conn, "silver"))) return [];
  const rows = await query(
    conn,
    `with g as (select id, label, score, scored_at from sentiment
                order by scored_at desc, id desc limit ${Math.floor(limit)}),
          s as (select cast(id as varchar) as id, any_value(text) as text,
                       any_value(created_at) as created_at, any_value(source) as source,
                       any_value(lang) as lang
                from silver where cast(id as varchar) in (select id from g) group by 1)
     select g.id, g.label, g.score, s.text, s.created_at, s.source, s.lang
     from g left join s using (id) order by g.scored_at desc, g.id desc`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    createdAt: r.created_at instanceof Date ? r.created_at.toISOString() : null,
    source: String(r.source ?? ""),
    lang: r.lang === null || r.lang === undefined ? null : String(r.lang),
    text: String(r.text ?? ""),
    label: String(r.label),
    score: Number(r.score),
  }));
}

/** Texts of the `limit` most recently scored tweets (for the word cloud). */
export async function readRecentTexts(conn: DuckDBConnection, limit = 2000): Promise<string[]> {
  if (!(await tableExists(conn, "sentiment")) || !(await tableExists(conn, "silver"))) return [];
  const rows = await query(
    conn,
    `with g as (select id from sentiment order by scored_at desc limit ${Math.floor(limit)})
     select any_value(s.text) as text from silver s join g on cast(s.id as varchar) = g.id
     group by s.id`,
  );
  return rows.map((r) => String(r.text ?? ""));
}
