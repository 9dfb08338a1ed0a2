-- tweetlake: the Delta Live Tables pipeline of the original demo (bronze → silver → languages),
-- plus what a real pipeline needs: Bluesky Jetstream posts conformed with X posts in silver,
-- deduplication by id (AUTO CDC), and tweets per hour and language.
-- Runs locally with `deno task dataflow`; stays deployable to Databricks unchanged.
-- Source paths begin with ${lake}: the lake the update reads (`--lake`, a local folder or
-- s3://bucket/prefix) locally; the pipeline configuration on Databricks (databricks.yml).

-- Bronze: raw X API v2 filtered-stream events ({data, includes, matching_rules}), one row per
-- line, as Autoloader found them; lines that don't parse are kept in _rescued_data. Flat tweets
-- ({id, text, lang, ...} at the top level, as the original demo's tweepy listener wrote them)
-- land here too. The hints give every column silver reads a shape before any file has it.
CREATE OR REFRESH STREAMING TABLE bronze
COMMENT 'Raw X API v2 events from the lake (raw/x), one row per line'
AS SELECT *, _metadata.file_path AS _source_file,
  _metadata.file_modification_time AS _ingested_at
FROM STREAM read_files(
  '${lake}/raw/x',
  format => 'json',
  schemaHints => 'data STRUCT<id: STRING, text: STRING, lang: STRING, author_id: STRING, created_at: STRING, referenced_tweets: ARRAY<STRUCT<type: STRING, id: STRING>>, geo: STRUCT<place_id: STRING>>, includes STRUCT<places: ARRAY<STRUCT<id: STRING, full_name: STRING, country: STRING, country_code: STRING>>>, id STRING, text STRING, lang STRING, author_id STRING, created_at STRING, referenced_tweets ARRAY<STRUCT<type: STRING, id: STRING>>'
);

-- Bronze for Bluesky Jetstream commit events; often there are none: the hints give the table
-- its shape anyway, so silver can read it.
CREATE OR REFRESH STREAMING TABLE bronze_jetstream
COMMENT 'Raw Bluesky Jetstream events from the lake (raw/jetstream), one row per line'
AS SELECT *, _metadata.file_path AS _source_file,
  _metadata.file_modification_time AS _ingested_at
FROM STREAM read_files(
  '${lake}/raw/jetstream',
  format => 'json',
  schemaHints => 'did STRING, time_us BIGINT, kind STRING, commit STRUCT<operation: STRING, collection: STRING, rkey: STRING, record: STRUCT<text: STRING, langs: ARRAY<STRING>, createdAt: STRING, reply: STRUCT<parent: STRUCT<uri: STRING>>, embed: STRUCT<record: STRUCT<uri: STRING>>>>'
);

-- Posts: X and Bluesky posts conformed to one shape (a view over the two bronze streams; it
-- stores nothing). post_type is post, reply, quote or retweet; place and country come from the
-- tweet's geo.place_id in includes.places.
CREATE TEMPORARY VIEW posts
COMMENT 'Posts from X and Bluesky in silver''s shape, as they arrive (replays included)'
AS SELECT
  coalesce(data.id, id) AS id,
  'x' AS source,
  coalesce(data.lang, lang) AS lang,
  coalesce(data.text, text) AS text,
  coalesce(data.author_id, author_id) AS author_id,
  try_cast(coalesce(data.created_at, created_at) AS TIMESTAMP) AS created_at,
  CASE coalesce(try_element_at(data.referenced_tweets, 1).type, try_element_at(referenced_tweets, 1).type)
    WHEN 'replied_to' THEN 'reply' WHEN 'quoted' THEN 'quote' WHEN 'retweeted' THEN 'retweet'
    ELSE 'post' END AS post_type,
  CASE WHEN try_element_at(includes.places, 1).id = data.geo.place_id
    THEN try_element_at(includes.places, 1).full_name END AS place,
  CASE WHEN try_element_at(includes.places, 1).id = data.geo.place_id
    THEN try_element_at(includes.places, 1).country END AS country,
  _ingested_at AS ingested_at,
  _source_file
FROM STREAM(LIVE.bronze)
UNION ALL
SELECT
  concat(did, '/', commit.rkey) AS id,
  'jetstream' AS source,
  try_element_at(commit.record.langs, 1) AS lang,
  commit.record.text AS text,
  did AS author_id,
  try_cast(commit.record.createdAt AS TIMESTAMP) AS created_at,
  CASE WHEN commit.record.reply IS NOT NULL THEN 'reply'
    WHEN commit.record.embed.record IS NOT NULL THEN 'quote' ELSE 'post' END AS post_type,
  CAST(NULL AS STRING) AS place,
  CAST(NULL AS STRING) AS country,
  _ingested_at AS ingested_at,
  _source_file
FROM STREAM(LIVE.bronze_jetstream)
WHERE kind = 'commit' AND commit.operation = 'create'
  AND commit.collection = 'app.bsky.feed.post';

-- Silver: one row per post, English only (the original's expectations; dropped rows go to
-- silver_quarantine), deduplicated by id with AUTO CDC: a post that arrives again (a replayed
-- file, a reconnect) updates its row instead of adding one; the latest arrival wins.
CREATE OR REFRESH STREAMING TABLE silver (
  CONSTRAINT valid_language EXPECT (lang == "en") ON VIOLATION DROP ROW,
  CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT has_created_at EXPECT (created_at IS NOT NULL)
)
COMMENT 'English posts from X and Bluesky, conformed and deduplicated by id';

CREATE FLOW silver_dedupe AS AUTO CDC INTO silver
FROM STREAM(posts)
KEYS (id)
SEQUENCE BY struct(ingested_at, _source_file)
STORED AS SCD TYPE 1;

-- Gold, as the original: posts per language over everything bronze received
-- (an aggregating streaming table: totals stay right across incremental runs).
CREATE OR REFRESH STREAMING TABLE languages
COMMENT 'Posts per language, over all of bronze'
AS SELECT lang, count(*) AS count
FROM (
  SELECT coalesce(data.lang, lang) AS lang FROM STREAM(LIVE.bronze)
  UNION ALL
  SELECT try_element_at(commit.record.langs, 1) AS lang FROM STREAM(LIVE.bronze_jetstream)
  WHERE kind = 'commit' AND commit.operation = 'create'
    AND commit.collection = 'app.bsky.feed.post'
)
GROUP BY lang;

-- Gold: silver posts per hour and language.
CREATE OR REFRESH MATERIALIZED VIEW tweets_per_hour
COMMENT 'Silver posts per hour and language'
AS SELECT date_trunc('hour', created_at) AS hour, lang, count(*) AS tweets
FROM LIVE.silver
WHERE created_at IS NOT NULL
GROUP BY date_trunc('hour', created_at), lang;
