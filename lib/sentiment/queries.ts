/**
 * Read-only queries on the gold sentiment table for the notebook and the report.
 * Each opens the database for the query and closes it.
 */
import { DEFAULTS } from "../config.ts";
import { type DuckDBConnection, ident, query, tableExists, withDb } from "../db.ts";
import { SENTIMENT_LABELS, type SentimentLabel } from "./labels.ts";
import { SENTIMENT_TABLE, SILVER_TABLE } from "./score.ts";

/** Where to read from; `model` is a gold `model` key (`name@dtype`), default the last one used. */
export interface QueryOptions {
  db?: string;
  model?: string;
  table?: string;
  silver?: string;
}

/** The model keys in the gold table, most recently used first. */
export async function scoredModels(options: QueryOptions = {}): Promise<string[]> {
  return await withDb(options.db ?? DEFAULTS.db, async (conn) => {
    const table = options.table ?? SENTIMENT_TABLE;
    if (!(await tableExists(conn, table))) return [];
    const rows = await query(
      conn,
      `select model from ${ident(table)} group by model order by max(scored_at) desc, model`,
    );
    return rows.map((r) => String(r.model));
  });
}

/** Runs `fn` with the table checked and the model key decided. */
async function onScores<T>(
  options: QueryOptions,
  fn: (conn: DuckDBConnection, table: string, model: string) => Promise<T>,
): Promise<T> {
  const db = options.db ?? DEFAULTS.db;
  return await withDb(db, async (conn) => {
    const table = options.table ?? SENTIMENT_TABLE;
    if (!(await tableExists(conn, table))) {
      throw new Error(
        `no ${table} table in ${db}: run the sentiment step first (deno task sentiment)`,
      );
    }
    let model = options.model;
    if (model === undefined) {
      const [last] = await query(
        conn,
        `select model from ${ident(table)} order by scored_at desc, model limit 1`,
      );
      if (!last) throw new Error(`the ${table} table in ${db} is empty: run deno task sentiment`);
      model = String(last.model);
    }
    await conn.run("set TimeZone = 'UTC'");
    return await fn(conn, table, model);
  });
}

/** Rows per label for one model, in label order (labels with no rows count 0). */
export async function labelCounts(
  options: QueryOptions = {},
): Promise<{ label: SentimentLabel; count: number }[]> {
  return await onScores(options, async (conn, table, model) => {
    const rows = await query(
      conn,
      `select label, count(*) as n from ${ident(table)} where model = $1 group by label`,
      [model],
    );
    const by = new Map(rows.map((r) => [String(r.label), Number(r.n)]));
    return SENTIMENT_LABELS.map((label) => ({ label, count: by.get(label) ?? 0 }));
  });
}

/** A scored tweet with its text from silver. */
export interface ScoredTweet {
  id: string;
  text: string;
  label: SentimentLabel;
  score: number;
  created_at: unknown;
}

/** The `limit` tweets given `label` with the highest confidence, text joined from silver. */
export async function topTweets(
  label: SentimentLabel,
  limit = 5,
  options: QueryOptions = {},
): Promise<ScoredTweet[]> {
  return await onScores(options, async (conn, table, model) => {
    const rows = await query(
      conn,
      `select g.id, any_value(s.text) as text, g.label, g.score, any_value(s.created_at) as created_at
       from ${ident(table)} g join ${ident(options.silver ?? SILVER_TABLE)} s
         on cast(s.id as varchar) = g.id
       where g.model = $1 and g.label = $2
       group by g.id, g.label, g.score
       order by g.score desc, g.id limit ${Math.max(0, Math.floor(limit))}`,
      [model, label],
    );
    return rows.map((r) => ({
      id: String(r.id),
      text: String(r.text),
      label: r.label as SentimentLabel,
      score: Number(r.score),
      created_at: r.created_at,
    }));
  });
}

/** Tweets per UTC hour of `created_at` and label, oldest hour first. */
export async function sentimentByHour(
  options: QueryOptions = {},
): Promise<{ hour: Date; label: SentimentLabel; count: number }[]> {
  return await onScores(options, async (conn, table, model) => {
    const rows = await query(
      conn,
      `select date_trunc('hour', cast(s.created_at as timestamptz)) as hour, g.label,
              count(*) as n
       from ${ident(table)} g join ${ident(options.silver ?? SILVER_TABLE)} s
         on cast(s.id as varchar) = g.id
       where g.model = $1 and s.created_at is not null
       group by all order by hour, g.label`,
      [model],
    );
    return rows.map((r) => ({
      hour: r.hour as Date,
      label: r.label as SentimentLabel,
      count: Number(r.n),
    }));
  });
}
