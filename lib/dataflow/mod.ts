/**
 * The dataflow engine: Delta Live Tables SQL pipelines on DuckDB. `runUpdate`
 * runs one update; `lineage` / `lineageText` / `lineageSvg` draw the dataset
 * graph; the `read*` helpers give a notebook the event log and quarantined rows.
 */
import { lineageChart } from "../viz/lineage.ts";
import { lineage, type LineageGraph } from "./graph.ts";
import type { Pipeline } from "./parse.ts";

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
  parsePipeline,
  type Pipeline,
  type ViolationAction,
} from "./parse.ts";
export { formatUpdate } from "./report.ts";
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
export { EVENT_LOG, readEventLog, readExpectationMetrics, readQuarantine } from "./state.ts";

/** The lineage graph as Plot markup (an `<svg>` or `<figure>`), drawn by lib/viz. */
export function lineageSvg(pipeline: Pipeline | LineageGraph): string {
  return lineageChart("nodes" in pipeline ? pipeline : lineage(pipeline));
}
