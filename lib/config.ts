/**
 * Defaults shared by the CLI, the notebooks and the tests. Every path is
 * absolute (resolved against the repository root), so a notebook whose working
 * directory is `notebooks/` sees the same lake and database as `deno task pipeline`.
 */
import { fileURLToPath } from "node:url";
import { isAbsolute, resolve } from "node:path";

/** The repository root (the folder holding `deno.json`). */
export const REPO_ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** Resolves a path against the repository root (absolute paths and URLs pass through). */
export function repoPath(path: string): string {
  if (isAbsolute(path) || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  return resolve(REPO_ROOT, path);
}

/**
 * Default locations and settings; each can be overridden by an environment variable
 * (a relative path there is taken from the repository root).
 */
export const DEFAULTS = {
  /** The lake: a local folder or `s3://bucket/prefix` (`TWEETLAKE_LAKE`). */
  lake: repoPath(Deno.env.get("TWEETLAKE_LAKE") ?? "out/lake"),
  /** The DuckDB database file (`TWEETLAKE_DB`). */
  db: repoPath(Deno.env.get("TWEETLAKE_DB") ?? "out/tweetlake.duckdb"),
  /** Where the headless run writes charts and the HTML report (`TWEETLAKE_REPORT`). */
  report: repoPath(Deno.env.get("TWEETLAKE_REPORT") ?? "out/report"),
  /** The Delta Live Tables SQL pipeline file. */
  pipeline: repoPath("pipelines/twitter.sql"),
  /** The bundled sample of X API v2 filtered-stream events. */
  sample: repoPath("sample/tweets"),
  /** Folder holding local Transformers.js models. */
  models: repoPath("models"),
  /** The embedded default sentiment model (a folder name under `models/`). */
  model: "tweetlake-sentiment",
  /**
   * MiB of input files the dataflow reads per batch when a dataset appends one
   * source's files (`TWEETLAKE_BATCH_MB`); all batches commit in the update's transaction.
   */
  batchMiB: Number(Deno.env.get("TWEETLAKE_BATCH_MB") ?? 128),
  /**
   * DuckDB's memory limit for every database the project opens (`TWEETLAKE_DUCKDB_MEMORY`,
   * a DuckDB size such as `2GB`): past it, large updates spill to the temp folder instead
   * of growing.
   */
  duckdbMemory: Deno.env.get("TWEETLAKE_DUCKDB_MEMORY") ?? "1GB",
  /**
   * Where DuckDB spills (`TWEETLAKE_DUCKDB_TEMP`); by default `<database file>.tmp`
   * beside the database (DuckDB's own default), or the system temp folder for `:memory:`.
   */
  duckdbTemp: Deno.env.get("TWEETLAKE_DUCKDB_TEMP"),
} as const;
