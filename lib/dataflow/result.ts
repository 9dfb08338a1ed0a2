/** What an update reports: per dataset rows, expectation counts and status. */
import type { PlannedDataset } from "./graph.ts";
import type { DatasetKind, ViolationAction } from "./parse.ts";
import type { UpdateProfile } from "./profile.ts";

/** One expectation's counts in one update. */
export interface ExpectationResult {
  name: string;
  action: ViolationAction;
  passed: number;
  failed: number;
}

/** How a dataset was written: appended (streaming) or recomputed (views, streaming aggregates). */
export type WriteMode = "append" | "complete";

/** What happened to one dataset in an update. */
export interface DatasetResult {
  name: string;
  kind: DatasetKind;
  mode: WriteMode;
  rowsRead: number;
  rowsWritten: number;
  rowsDropped: number;
  rowsDuplicate: number;
  filesRead: number;
  expectations: ExpectationResult[];
  seconds: number;
  status: "completed" | "skipped" | "failed" | "rolled_back" | "validated";
  /** Why a dataset was skipped, or the error. */
  detail?: string;
  /** What the update did not read and why, by file (unreadable lines, changed files). */
  warnings?: string[];
}

/** The outcome of an update. */
export interface UpdateResult {
  updateId: string;
  pipeline: string;
  lake: string;
  db: string;
  dryRun: boolean;
  fullRefresh: string[];
  startedAt: Date;
  endedAt: Date;
  status: "completed" | "failed" | "dry_run";
  datasets: DatasetResult[];
  error?: string;
  /** Phase and statement timings, when the update ran with `profile: true`. */
  profile?: UpdateProfile;
}

/**
 * Progress of an update: one event as each dataset starts and ends, and one as each
 * batch of a dataset's input files starts when its files are read in more than one.
 */
export interface UpdateProgress {
  dataset: string;
  phase: "start" | "batch" | "done";
  result?: DatasetResult;
  /** For `batch`: which batch (from 1), of how many, and its file count. */
  batch?: { index: number; of: number; files: number };
}

/** A dataset's result before it has done anything (zero counts, expectations listed). */
export function emptyResult(pd: PlannedDataset, mode: WriteMode): DatasetResult {
  return {
    name: pd.dataset.name,
    kind: pd.dataset.kind,
    mode,
    rowsRead: 0,
    rowsWritten: 0,
    rowsDropped: 0,
    rowsDuplicate: 0,
    filesRead: 0,
    expectations: pd.dataset.expectations.map((e) => ({
      name: e.name,
      action: e.action,
      passed: 0,
      failed: 0,
    })),
    seconds: 0,
    status: "completed",
  };
}
