/**
 * The dataflow engine: Delta Live Tables SQL pipelines on DuckDB. `runUpdate`
 * runs one update; `lineage` / `lineageText` / `lineageSvg` draw the dataset
 * graph; the `read*` helpers give a notebook the event log and quarantined rows.
 *
 * Decisions (what the engine does where DLT leaves room):
 * - One update = one DuckDB transaction: tables, quarantine rows, file checkpoints
 *   (`_dataflow_files`), stream offsets (`_dataflow_offsets`) and source schemas
 *   (`_dataflow_schemas`) commit together; a crash or a failure leaves nothing.
 *   The event log row of a failed update is written after the rollback.
 * - Streaming tables are append-only; a `STREAM(x)` read resumes at the row count
 *   it reached last time (DuckDB rowids of an append-only table are positions).
 *   A streaming table whose query aggregates (GROUP BY or aggregates) and every
 *   materialized view are recomputed from all their input, so totals stay right.
 *   `STREAM()` of a recomputed dataset is an error (read it as `LIVE.x`).
 * - `--full-refresh a` also refreshes everything downstream of `a`.
 * - Sources: lines of `*.json` / `*.ndjson` under the path (other names, e.g.
 *   `.tmp`, are ignored). The schema is inferred (a sample of up to ~3,000 lines
 *   for the nested shape, every line for the top-level keys), kept per source,
 *   and only widened: new fields are added (older rows read NULL); a value that
 *   does not fit an established top-level column keeps the whole line in
 *   `_rescued_data`, as do lines that are not JSON objects. `schemaHints` fix
 *   named columns' types and make them exist before the first file (a source
 *   with no files and no hints or declared columns is skipped, and so are its
 *   readers); `schema` fixes the whole schema. `_metadata` holds file_path (the
 *   lake location), file_name, file_size and file_modification_time.
 * - Expectations: a NULL condition fails (as a filter would). Quarantined rows
 *   carry `_failed_expectations` (every failed expectation), `_update_id` and
 *   `_quarantined_at`.
 * - `TBLPROPERTIES ('tweetlake.dedupeKeys' = 'id')` deduplicates a streaming
 *   table on those columns, within a batch and against rows already written. It
 *   is engine-only (`--check --target databricks` says so); the portable way is an
 *   AUTO CDC flow keyed by those columns (cdc.ts), as pipelines/twitter.sql does.
 * - AUTO CDC / APPLY CHANGES targets are rewritten per key (cdc.ts); streaming
 *   reads and stream-stream joins follow streams.ts.
 * - Names (names.ts): `schema.table` / `catalog.schema.table` live in DuckDB schemas (the
 *   catalog part is dropped); unqualified names in the settings' schema, else `main`.
 *   Settings files, `${key}` parameters and `SET` (settings.ts, parse.ts); tables outside
 *   the pipeline and direct file queries (external.ts, sources/delta.ts); views are read in
 *   place, append flows unioned by name into their table (graph.ts).
 * - A dataset writes only tables it created (`_dataflow_tables`, ownership.ts); what
 *   cannot run locally is refused by name before anything runs (check.ts, `--check`).
 * - Spark spellings (`==`, "double-quoted strings", `backquoted names`,
 *   `current_timestamp()`, `element_at`) are translated in translate.ts only.
 */
import { lineageChart } from "../viz/lineage.ts";
import { lineage, type LineageGraph } from "./graph.ts";
import type { Pipeline } from "./parse.ts";

export { checkPipeline, type Finding, formatFindings, LOCAL_RULES, type Rule } from "./check.ts";
export { ExpectationFailedError, PipelineError } from "./errors.ts";
export {
  lineage,
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  lineageText,
  type Plan,
  planPipeline,
} from "./graph.ts";
export {
  type ColumnDef,
  type Dataset,
  type DatasetKind,
  type Expectation,
  loadPipeline,
  loadProject,
  openPipeline,
  parsePipeline,
  type Pipeline,
  type ViolationAction,
} from "./parse.ts";
export { formatUpdate } from "./report.ts";
export {
  formatProfile,
  type PhaseTiming,
  type StatementTiming,
  type UpdateProfile,
} from "./profile.ts";
export {
  type DatasetResult,
  DEDUPE_PROPERTY,
  type ExpectationResult,
  PipelineRunningError,
  runUpdate,
  UpdateError,
  type UpdateOptions,
  type UpdateProgress,
  type UpdateResult,
  type WriteMode,
} from "./run.ts";
export { loadSettings, type PipelineSettings } from "./settings.ts";
export { EVENT_LOG, readEventLog, readExpectationMetrics, readQuarantine } from "./state.ts";

/** The lineage graph as Plot markup (an `<svg>` or `<figure>`), drawn by lib/viz. */
export function lineageSvg(pipeline: Pipeline | LineageGraph): string {
  return lineageChart("nodes" in pipeline ? pipeline : lineage(pipeline));
}
