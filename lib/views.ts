/**
 * The data behind the original demo's views, for notebook 03 and the report: the model on
 * hand-typed sentences, the most positive / negative posts deduplicated by text, the texts of
 * each label (for word clouds), the non-English languages (the original's query), and posts by
 * country. Each opens the database for its read and closes it.
 */
import { DEFAULTS } from "./config.ts";
import { type DuckDBConnection, query, tableExists, withDb } from "./db.ts";
import { loadClassifier, type SentimentLabel } from "./sentiment/mod.ts";

/** The original notebook's first try of the model, on hand-typed sentences. */
export const CHECK_SENTENCES = [" :-)", "I love Lakehouses", "I do not like it", "WAVE training"];

/** Labels `sentences` with the model (default: the embedded one); scores to 3 decimals. */
export async function checkSentences(
  sentences: string[] = CHECK_SENTENCES,
  options: { model?: string } = {},
): Promise<{ text: string; label: string; score: string }[]> {
  const classifier = await loadClassifier({ model: options.model });
  try {
    const out = await classifier.classify(sentences);
    return sentences.map((text, i) => ({
      text,
      label: out[i].label,
      score: out[i].score.toFixed(3),
    }));
  } finally {
    await classifier.dispose();
  }
}

/** Options of the reads below: the database and the gold `model` key (default: latest). */
export interface ViewOptions {
  db?: string;
  model?: string;
}

async function onGold<T>(
  options: ViewOptions,
  empty: T,
  fn: (conn: DuckDBConnection, model: string) => Promise<T>,
): Promise<T> {
  return await withDb(options.db ?? DEFAULTS.db, async (conn) => {
    if (!(await tableExists(conn, "sentiment")) || !(await tableExists(conn, "silver"))) {
      return empty;
    }
    let model = options.model;
    if (!model) {
      const [last] = await query(
        conn,
        "select model from sentiment order by scored_at desc, model limit 1",
      );
      if (!last) return empty;
      model = String(last.model);
    }
    return await fn(conn, model);
  });
}

/**
 * What makes two posts "the same text": lower case, without a retweet's `RT @user:` prefix,
 * mentions, hashtags, URLs, emoji and punctuation.
 */
const SAME_TEXT = `trim(regexp_replace(regexp_replace(lower(s.text),
  '^rt @[a-z0-9_]+: |@[a-z0-9_]+|#[a-z0-9_]+|https?://[^ ]+|[^[:alnum:] ]', '', 'g'), ' +', ' ', 'g'))`;

/** A post text with the model's score and how many posts carried it (or a variant of it). */
export interface TopText {
  text: string;
  score: number;
  posts: number;
}

/**
 * The `limit` texts given `label` with the highest score, each text once (retweets and repeats
 * collapse into one row with their count); empty when nothing is scored.
 */
export async function topTexts(
  label: SentimentLabel,
  limit = 10,
  options: ViewOptions = {},
): Promise<TopText[]> {
  return await onGold(options, [] as TopText[], async (conn, model) => {
    const rows = await query(
      conn,
      `select arg_min(s.text, length(s.text)) as text, max(g.score) as score, count(*) as posts
       from sentiment g join silver s on cast(s.id as varchar) = g.id
       where g.model = $1 and g.label = $2 and coalesce(s.text, '') <> ''
       group by ${SAME_TEXT}
       order by score desc, text limit ${Math.max(0, Math.floor(limit))}`,
      [model, label],
    );
    return rows.map((r) => ({
      text: String(r.text),
      score: Number(r.score),
      posts: Number(r.posts),
    }));
  });
}

/** Texts of the posts given `label` (for a word cloud), at most `limit`. */
export async function textsOf(
  label: SentimentLabel,
  options: ViewOptions & { limit?: number } = {},
): Promise<string[]> {
  return await onGold(options, [] as string[], async (conn, model) => {
    const rows = await query(
      conn,
      `select s.text from sentiment g join silver s on cast(s.id as varchar) = g.id
       where g.model = $1 and g.label = $2 and coalesce(s.text, '') <> ''
       order by s.id limit ${Math.floor(options.limit ?? 5000)}`,
      [model, label],
    );
    return rows.map((r) => String(r.text));
  });
}

/** The original's query: `select * from languages where lang <> 'en' order by count desc`. */
export const NON_ENGLISH_SQL = "select * from languages where lang <> 'en' order by count desc";

/** Rows of {@link NON_ENGLISH_SQL} (empty when the languages table does not exist yet). */
export async function nonEnglishLanguages(
  options: { db?: string } = {},
): Promise<{ lang: string; count: number }[]> {
  return await withDb(options.db ?? DEFAULTS.db, async (conn) => {
    if (!(await tableExists(conn, "languages"))) return [];
    return (await query(conn, NON_ENGLISH_SQL)).map((r) => ({
      lang: String(r.lang),
      count: Number(r.count),
    }));
  });
}

/** Silver posts per country, with the places seen, largest first (posts with a place only). */
export async function postsByCountry(
  options: { db?: string } = {},
): Promise<{ country: string; places: string; count: number }[]> {
  return await withDb(options.db ?? DEFAULTS.db, async (conn) => {
    if (!(await tableExists(conn, "silver"))) return [];
    const rows = await query(
      conn,
      `select country, string_agg(distinct place, '; ' order by place) as places, count(*) as n
       from silver where country is not null group by country order by n desc, country`,
    );
    return rows.map((r) => ({
      country: String(r.country),
      places: String(r.places ?? ""),
      count: Number(r.n),
    }));
  });
}
