-- tweetlake: the Delta Live Tables pipeline of the original demo (bronze → silver → languages),
-- plus what a real pipeline needs: Bluesky Jetstream posts conformed with X posts in silver,
-- deduplication by id, and tweets per hour and language.
-- Runs locally with `deno task dataflow`; stays deployable to Databricks unchanged.
-- Source paths are relative to the lake (a local folder or s3://bucket/prefix).

-- Bronze: raw X API v2 filtered-stream events ({data, includes, matching_rules}), one row per
-- line, as Autoloader found them; lines that don't parse are kept in _rescued_data.
CREATE OR REFRESH STREAMING TABLE bronze
COMMENT 'Raw X API v2 events from the lake (raw/x), one row per line'
AS SELECT *, _metadata.file_path AS _source_file,
  _metadata.file_modification_time AS _ingested_at
FROM STREAM read_files(
  'raw/x',
  format => 'json',
  schemaHints => 'data STRUCT<id: STRING, text: STRING, lang: STRING, author_id: STRING, created_at: STRING>'
);

-- Bronze for Bluesky Jetstream commit events; often there are none: the hints give the table
-- its shape anyway, so silver can read it.
CREATE OR REFRESH STREAMING TABLE bronze_jetstream
COMMENT 'Raw Bluesky Jetstream events from the lake (raw/jetstream), one row per line'
AS SELECT *, _metadata.file_path AS _source_file,
  _metadata.file_modification_time AS _ingested_at
FROM STREAM read_files(
  'raw/jetstream',
  format => 'json',
  schemaHints => 'did STRING, time_us BIGINT, kind STRING, commit STRUCT<operation: STRING, collection: STRING, rkey: STRING, record: STRUCT<text: STRING, langs: ARRAY<STRING>, createdAt: STRING>>'
);

-- Silver: one row per post in one shape, English only (the original's expectations),
-- deduplicated by id; dropped rows go to silver_quarantine.
CREATE OR REFRESH STREAMING TABLE silver (
  CONSTRAINT valid_language EXPECT (lang == "en") ON VIOLATION DROP ROW,
  CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT has_created_at EXPECT (created_at IS NOT NULL)
)
COMMENT 'English posts from X and Bluesky, conformed and deduplicated by id'
TBLPROPERTIES ('tweetlake.dedupeKeys' = 'id')
AS SELECT
  data.id AS id,
  'x' AS source,
  data.lang AS lang,
  data.text AS text,
  data.author_id AS author_id,
  try_cast(data.created_at AS TIMESTAMP) AS created_at,
  _ingested_at AS ingested_at,
  _source_file
FROM STREAM(LIVE.bronze)
UNION ALL
SELECT
  concat(did, '/', commit.rkey) AS id,
  'jetstream' AS source,
  element_at(commit.record.langs, 1) AS lang,
  commit.record.text AS text,
  did AS author_id,
  try_cast(commit.record.createdAt AS TIMESTAMP) AS created_at,
  _ingested_at AS ingested_at,
  _source_file
FROM STREAM(LIVE.bronze_jetstream)
WHERE kind = 'commit' AND commit.operation = 'create'
  AND commit.collection = 'app.bsky.feed.post';

-- Gold, as the original: posts per language over everything bronze received
-- (an aggregating streaming table: totals stay right across incremental runs).
CREATE OR REFRESH STREAMING TABLE languages
COMMENT 'Posts per language, over all of bronze'
AS SELECT lang, count(*) AS count
FROM (
  SELECT data.lang AS lang FROM STREAM(LIVE.bronze)
  UNION ALL
  SELECT element_at(commit.record.langs, 1) AS lang FROM STREAM(LIVE.bronze_jetstream)
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
