/**
 * Dashboard snapshots: plain, JSON-serialisable objects that say everything the pipeline
 * page shows (counts, lineage with metrics, expectations over time, tweets per minute by
 * language, the sentiment mix, the latest scored tweets, word counts, freshness). The
 * process that owns the database reads them after each cycle; the dashboard only ever
 * sees snapshots.
 */
import { type DuckDBConnection, ident, query, tableExists } from "../db.ts";
import type { DatasetResult, LineageGraph } from "../dataflow/mod.ts";
import type { LatencyStats } from "./freshness.ts";

/** Where a run is: a continuous run goes starting → running → stopping → stopped. */
export type RunState = "starting" | "running" | "stopping" | "stopped" | "not running";

/** A lineage node with the metrics the page draws on it. */
export interface LineageNodeMetrics {
  id: string;
  label: string;
  kind: string;
  /** Rows in the table now. */
  rows?: number;
  /** Rows written by the last update. */
  written?: number;
  /** Share of the rows the last update checked that expectations dropped (0..1). */
  dropped?: number;
  /** The dataset's status in the last update. */
  status?: string;
}

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
  /** The settings the run uses (source, trigger, rate, lake, database, …). */
  settings: Record<string, string>;
  /** When the run started (epoch ms). */
  startedAt?: number;
  ingest: { events: number; files: number; malformed: number; perSecond: number };
  /** Cycles completed in this run. */
  cycles: number;
  last?: CycleSummary;
  /** Rows per table (datasets, quarantine tables, sentiment). */
  tables: { table: string; rows: number }[];
  lineage: { nodes: LineageNodeMetrics[]; edges: { from: string; to: string }[] };
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
  /** The most recently scored tweets, newest first. */
  latest: { id: string; text: string; label: string; score: number; scoredAt: number }[];
  /** Word counts for the word cloud (refreshed every few cycles). */
  words: { word: string; count: number }[];
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

/** The lineage graph with each dataset's rows now and what the last update did to it. */
export function lineageWithMetrics(
  graph: LineageGraph,
  tables: { table: string; rows: number }[],
  datasets: DatasetResult[] = [],
): LiveSnapshot["lineage"] {
  const rows = new Map(tables.map((t) => [t.table, t.rows]));
  const last = new Map(datasets.map((d) => [d.name, d]));
  return {
    nodes: graph.nodes.map((n) => {
      const d = last.get(n.id);
      const checked = d ? d.rowsWritten + d.rowsDropped : 0;
      return {
        id: n.id,
        label: n.label,
        kind: n.kind,
        ...(rows.has(n.id) ? { rows: rows.get(n.id) } : {}),
        ...(d
          ? {
            written: d.rowsWritten,
            status: d.status,
            ...(d.expectations.length ? { dropped: checked ? d.rowsDropped / checked : 0 } : {}),
          }
          : {}),
      };
    }),
    edges: graph.edges.map((e) => ({ from: e.from, to: e.to })),
  };
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

/** The `limit` most recently scored tweets with their text from silver, newest first. */
export async function readLatest(
  conn: DuckDBConnection,
  limit = 12,
): Promise<LiveSnapshot["latest"]> {
  if (!(await tableExists(conn, "sentiment")) || !(await tableExists(conn, "silver"))) return [];
  const rows = await query(
    conn,
    `with g as (select id, label, score, scored_at from sentiment
                order by scored_at desc, id desc limit ${Math.floor(limit)})
     select g.id, g.label, g.score, g.scored_at,
            (select any_value(s.text) from silver s where cast(s.id as varchar) = g.id) as text
     from g order by g.scored_at desc, g.id desc`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    text: String(r.text ?? ""),
    label: String(r.label),
    score: Number(r.score),
    scoredAt: ms(r.scored_at),
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

const STOP = new Set(
  ("a an and are as at be but by can do for from has have i if in is it its just me my no not " +
    "of on or our rt so that the their them there they this to too up us was we were what " +
    "when which who will with you your it's i'm don't").split(" "),
);

/** Word counts of `texts`: lower-cased words and #hashtags, stop words, URLs and @names out. */
export function wordCounts(texts: string[], top = 60): { word: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const text of texts) {
    const clean = text.replace(/https?:\/\/\S+/g, " ").replace(/@\w+/g, " ");
    for (const m of clean.toLowerCase().matchAll(/#?[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu)) {
      const w = m[0].replace(/['_-]+$/, "");
      if (w.length < 3 || STOP.has(w) || /^\d+$/.test(w)) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return [...counts].map(([word, count]) => ({ word, count }))
    .sort((a, b) => b.count - a.count || a.word.localeCompare(b.word)).slice(0, top);
}
