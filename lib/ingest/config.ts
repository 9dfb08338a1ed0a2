/** Ingest defaults: stream rules, fields, batch sizes, endpoints. */
import { repoPath } from "../config.ts";

/** An X filtered-stream rule: a query and an optional tag. */
export interface StreamRule {
  value: string;
  tag?: string;
}

/** When the writer closes a batch file and starts the next. */
export interface BatchLimits {
  /** Events per file. */
  maxEvents: number;
  /** Bytes per file (the events plus their newlines). */
  maxBytes: number;
  /** Milliseconds a file may stay open before it is written, however small. */
  maxAgeMs: number;
}

/** How often and how patiently a failed lake write is retried. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Wait before the second try; doubles for each further try. */
  baseDelayMs: number;
  /** Upper bound on one wait. */
  maxDelayMs: number;
}

/** The original demo's example rule: lakehouse hashtags, without retweets. */
export const DEFAULT_RULES: readonly StreamRule[] = [
  { value: "(#DeltaLake OR #Databricks OR #lakehouse) -is:retweet", tag: "lakehouse" },
];

/** Tweet fields and expansions requested from the filtered stream, like the original. */
export const X_STREAM_PARAMS = {
  "tweet.fields": [
    "lang",
    "author_id",
    "created_at",
    "conversation_id",
    "public_metrics",
    "referenced_tweets",
    "entities",
  ],
  expansions: ["author_id"],
  "user.fields": ["username", "name", "created_at", "public_metrics", "verified"],
} as const;

/**
 * Batch defaults sized against the "small files problem" the original shows (one tiny
 * file per few tweets): a file holds up to 10,000 events or 16 MiB, or one minute of a
 * slow stream.
 */
export const DEFAULT_BATCH: BatchLimits = {
  maxEvents: 10_000,
  maxBytes: 16 * 1024 * 1024,
  maxAgeMs: 60_000,
};

/** Lake writes are tried 5 times over about 6 s before the ingest gives up and spills. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 400, maxDelayMs: 3_000 };

/** Defaults for `deno task ingest` and `ingest()`. */
export const INGEST_DEFAULTS = {
  /** Source when none is named. */
  source: "replay",
  /** Lake folder replayed events are written under (the bundled sample is X-shaped). */
  replayAs: "x",
  /** The public Bluesky Jetstream endpoint. */
  jetstreamUrl: "wss://jetstream2.us-east.bsky.network/subscribe",
  /** The Bluesky collection to subscribe to. */
  jetstreamCollection: "app.bsky.feed.post",
  /** Where events that could not be written are kept until the next run uploads them. */
  spillDir: Deno.env.get("TWEETLAKE_SPILL") ?? repoPath("out/spill"),
} as const;
