/**
 * Incremental scoring: silver rows not yet scored by a model go through the
 * classifier in batches, and their labels land in the gold `sentiment` table,
 * keyed by (id, model) so a re-run never duplicates.
 */
import { listValue } from "@duckdb/node-api";
import { DEFAULTS } from "../config.ts";
import { type DuckDBConnection, ident, query, tableExists, withDb } from "../db.ts";
import { SENTIMENT_LABELS, type SentimentLabel } from "./labels.ts";
import {
  type Classifier,
  DEFAULT_DTYPE,
  type Dtype,
  loadClassifier,
  modelKey,
  type Prediction,
  resolveModel,
} from "./model.ts";

/** The gold sentiment table's name. */
export const SENTIMENT_TABLE = "sentiment";

/** The silver table's name. */
export const SILVER_TABLE = "silver";

/** SQL for "this silver row has text worth scoring" (not null, not only whitespace). */
const HAS_TEXT = String.raw`coalesce(regexp_matches(text, '\S'), false)`;

/** Creates the gold sentiment table if missing, and checks an existing one has its columns. */
export async function ensureSentimentTable(
  conn: DuckDBConnection,
  table: string = SENTIMENT_TABLE,
): Promise<void> {
  await conn.run(
    `create table if not exists ${ident(table)} (
       id varchar not null, label varchar not null, score double not null,
       model varchar not null, scored_at timestamptz not null, primary key (id, model))`,
  );
  await requireColumns(
    conn,
    table,
    ["id", "label", "score", "model", "scored_at"],
    ": it was not made by tweetlake's sentiment step (drop it or pick another table)",
  );
}

/** Throws, naming the table and the missing columns (then `hint`), when `table` lacks any. */
async function requireColumns(
  conn: DuckDBConnection,
  table: string,
  columns: string[],
  hint: string,
): Promise<void> {
  const cols = (await query(
    conn,
    "select column_name from information_schema.columns where table_schema = 'main' and table_name = $1",
    [table],
  )).map((r) => String(r.column_name));
  const missing = columns.filter((c) => !cols.includes(c));
  if (missing.length) {
    throw new Error(`table ${table} lacks column(s) ${missing.join(", ")}${hint}`);
  }
}

/** Progress of a scoring run. */
export interface ScoreProgress {
  /** Rows scored so far. */
  done: number;
  /** Rows to score in this run (known at the start). */
  total: number;
  /** Rows per second so far. */
  rate: number;
}

/** Options for {@link scoreNew}. */
export interface ScoreOptions {
  /** DuckDB file; default `DEFAULTS.db`. */
  db?: string;
  /** Model to load (hub id, folder, or name under `models/`); default the embedded one. */
  model?: string;
  /** Weights to load; default q8. */
  dtype?: Dtype;
  /** An already loaded classifier (then `model`/`dtype` are not used and it is not disposed). */
  classifier?: Classifier;
  /** Texts per model call; default 32. */
  batchSize?: number;
  /** Rows read per database visit (the file is closed while they are scored); default 16384. */
  chunkSize?: number;
  /** Score every silver row again with this model, replacing its earlier scores. */
  rescore?: boolean;
  /** Silver table name; default `silver`. */
  silver?: string;
  /** Gold table name; default `sentiment`. */
  table?: string;
  /** Called after every batch. */
  onProgress?: (p: ScoreProgress) => void;
}

/** What a scoring run did. */
export interface ScoreResult {
  /** Rows scored (and written) in this run. */
  scored: number;
  /** Silver rows with empty text: never scored and not written to the gold table. */
  skipped: number;
  /** Labels given in this run. */
  labels: Record<SentimentLabel, number>;
  /** Wall-clock seconds, model loading included. */
  seconds: number;
  /** The model key written to the gold table (`name@dtype`). */
  model: string;
}

/** Ids (sorted) of silver rows with text that `model` has not scored, or not since `since`. */
async function pendingIds(
  conn: DuckDBConnection,
  silver: string,
  table: string | undefined,
  model: string,
  since?: string,
): Promise<string[]> {
  const fresh = since ? " and scored_at >= $2::timestamptz" : "";
  const all = `select distinct cast(id as varchar) as id from ${ident(silver)} where ${HAS_TEXT}`;
  const rows = table === undefined ? await query(conn, `${all} order by 1`) : await query(
    conn,
    `${all} except select id from ${ident(table)} where model = $1${fresh} order by 1`,
    since ? [model, since] : [model],
  );
  return rows.map((r) => String(r.id));
}

/** The texts of `ids` (in that order; ids gone from silver or now empty are left out). */
async function textsOf(
  conn: DuckDBConnection,
  silver: string,
  ids: string[],
): Promise<{ id: string; text: string }[]> {
  const rows = await query(
    conn,
    `select cast(id as varchar) as id, max(text) as text from ${ident(silver)}
     where cast(id as varchar) in (select unnest($1::varchar[])) group by 1`,
    [listValue(ids)],
  );
  const byId = new Map(
    rows.filter((r) => /\S/.test(String(r.text ?? ""))).map((r) => [String(r.id), String(r.text)]),
  );
  return ids.filter((id) => byId.has(id)).map((id) => ({ id, text: byId.get(id)! }));
}

/**
 * Scores the silver rows that `model` has not scored yet (all of them with `rescore`)
 * and writes them to the gold table. The pending ids are listed once at the start;
 * then the database file is opened per chunk (write the last chunk's scores, read the
 * next chunk's texts) and closed while the model runs, so other steps can use it in
 * between; each chunk is committed on its own, so an interrupted run keeps what it
 * scored. Rows with empty text are skipped (counted, never written). The model is
 * loaded only when there is something to score.
 */
export async function scoreNew(options: ScoreOptions = {}): Promise<ScoreResult> {
  const t0 = performance.now();
  const db = options.db ?? DEFAULTS.db;
  const silver = options.silver ?? SILVER_TABLE;
  const table = options.table ?? SENTIMENT_TABLE;
  const batchSize = options.batchSize ?? 32;
  const chunkSize = options.chunkSize ?? 16384;
  for (const [name, v] of [["batch size", batchSize], ["chunk size", chunkSize]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`${name} must be a positive integer, got ${v}`);
    }
  }
  const since = options.rescore ? new Date().toISOString() : undefined;
  const labels = Object.fromEntries(SENTIMENT_LABELS.map((l) => [l, 0])) as Record<
    SentimentLabel,
    number
  >;
  const key = options.classifier?.modelId ??
    modelKey(
      options.model === undefined ? DEFAULTS.model : resolveModel(options.model).name,
      options.dtype ?? DEFAULT_DTYPE,
    );
  const { ids, skipped } = await withDb(db, async (conn) => {
    if (!(await tableExists(conn, silver))) {
      throw new Error(`no ${silver} table in ${db}: run the dataflow first (deno task dataflow)`);
    }
    await requireColumns(conn, silver, ["id", "text"], ` in ${db}: is it the dataflow's silver?`);
    // made once there is something to write (or nothing to do): a model that fails to load
    // leaves no empty table behind
    const exists = await tableExists(conn, table);
    if (exists) await ensureSentimentTable(conn, table);
    const [{ e }] = await query(
      conn,
      `select count(distinct id) as e from ${ident(silver)} where not ${HAS_TEXT}`,
    );
    const pending = exists
      ? await pendingIds(conn, silver, table, key, since)
      : await pendingIds(conn, silver, undefined, key);
    return { ids: pending, skipped: Number(e) };
  });
  let model: Classifier | undefined = options.classifier;
  let done = 0;
  try {
    let last: { ids: string[]; preds: Prediction[] } | undefined;
    for (let start = 0; start < ids.length || last; start += chunkSize) {
      const chunk = await withDb(db, async (conn) => {
        if (last) {
          await ensureSentimentTable(conn, table);
          await writeScores(conn, table, key, last.ids, last.preds);
        }
        const next = ids.slice(start, start + chunkSize);
        return next.length ? await textsOf(conn, silver, next) : [];
      });
      last = undefined;
      if (chunk.length === 0) continue;
      model ??= await loadClassifier({ model: options.model, dtype: options.dtype });
      const base = done;
      const preds = await model.classify(chunk.map((r) => r.text), batchSize, (n) => {
        const seconds = (performance.now() - t0) / 1000;
        options.onProgress?.({ done: base + n, total: ids.length, rate: (base + n) / seconds });
      });
      for (const p of preds) labels[p.label]++;
      done += chunk.length;
      last = { ids: chunk.map((r) => r.id), preds };
    }
  } finally {
    if (model && model !== options.classifier) await model.dispose();
  }
  if (ids.length === 0) await withDb(db, (conn) => ensureSentimentTable(conn, table));
  return { scored: done, skipped, labels, seconds: (performance.now() - t0) / 1000, model: key };
}

/** Writes one chunk of predictions (replacing earlier scores of the same id and model). */
async function writeScores(
  conn: DuckDBConnection,
  table: string,
  model: string,
  ids: string[],
  preds: Prediction[],
): Promise<void> {
  // an appender into a temp table, then one upsert: ~5× faster than binding lists
  await conn.run(
    "create or replace temp table sentiment_chunk (id varchar, label varchar, score double)",
  );
  const appender = await conn.createAppender("sentiment_chunk", "main", "temp");
  ids.forEach((id, i) => {
    appender.appendVarchar(id);
    appender.appendVarchar(preds[i].label);
    appender.appendDouble(preds[i].score);
    appender.endRow();
  });
  appender.closeSync();
  await conn.run(
    `insert or replace into ${ident(table)} (id, label, score, model, scored_at)
     select id, label, score, $1, $2::timestamptz from temp.main.sentiment_chunk`,
    [model, new Date().toISOString()],
  );
}
