/** Expectations: counted per update, failing the update, or quarantining rows. */
import type { DuckDBConnection } from "../db.ts";
import { ExpectationFailedError, PipelineError } from "./errors.ts";
import type { PlannedDataset } from "./graph.ts";
import { quarantineOf, relation, relationExists } from "./names.ts";
import type { Profiler } from "./profile.ts";
import type { DatasetResult, WriteMode } from "./result.ts";
import { count, describeColumns, duckMessage, widen } from "./sql.ts";
import { spaced, sqlString, translate } from "./translate.ts";

/** What expectation checks need from the running update. */
export interface ExpectationContext {
  conn: DuckDBConnection;
  /** The pipeline's dataset names, lower case. */
  names: ReadonlySet<string>;
  updateId: string;
  /** Set when the update is profiled. */
  prof?: Profiler;
}

/**
 * Counts each expectation over `__df_out` (one query each, so an error names its
 * expectation), fails the update for a failing `FAIL UPDATE`, and moves rows that
 * fail a `DROP ROW` expectation into `<dataset>_quarantine`. Returns the filter
 * of rows to keep.
 */
export async function checkExpectations(
  ctx: ExpectationContext,
  pd: PlannedDataset,
  mode: WriteMode,
  result: DatasetResult,
): Promise<string> {
  const { conn } = ctx;
  const d = pd.dataset;
  const exps = d.expectations;
  const where = { file: d.file, dataset: d.name };
  const ok = exps.map((e) => {
    const cond = translate(spaced(e.condition), ctx.names, {
      ref: (r) => {
        throw new PipelineError(
          `expectation ${e.name} cannot read dataset ${r.name}`,
          d.file,
          e.line,
          d.name,
        );
      },
      source: () => {
        throw new PipelineError(`expectation ${e.name} cannot read files`, d.file, e.line, d.name);
      },
    }, where);
    return `coalesce((${cond}), false)`;
  });
  const n = await count(conn, "SELECT count(*) FROM __df_out");
  for (const [k, e] of exps.entries()) {
    let failed: number;
    try {
      failed = await count(conn, `SELECT count(*) FILTER (WHERE NOT ${ok[k]}) FROM __df_out`);
    } catch (err) {
      throw new PipelineError(`expectation ${e.name}: ${duckMessage(err)}`, d.file, e.line, d.name);
    }
    // Batches of one update add up.
    const before = result.expectations[k];
    result.expectations[k] = {
      name: e.name,
      action: e.action,
      passed: (before?.passed ?? 0) + n - failed,
      failed: (before?.failed ?? 0) + failed,
    };
  }
  for (const [k, e] of exps.entries()) {
    const failed = result.expectations[k].failed;
    if (e.action === "fail" && failed > 0) {
      throw Object.assign(new ExpectationFailedError(e.name, failed, d.file, e.line, d.name), {
        partial: { ...result },
      });
    }
  }
  const drops = exps.flatMap((e, k) => e.action === "drop" ? [`NOT ${ok[k]}`] : []);
  if (!drops.length) return "true";
  ctx.prof?.phase(d.name, "quarantine");
  const dropped = drops.join(" OR ");
  const quarantine = relation(quarantineOf(d));
  const failedNames = `list_filter([${
    exps.map((e, k) => `CASE WHEN NOT ${ok[k]} THEN ${sqlString(e.name)} END`).join(", ")
  }], lambda x: x IS NOT NULL)`;
  const rows = `SELECT *, ${failedNames} AS _failed_expectations,
    ${sqlString(ctx.updateId)} AS _update_id, current_timestamp::TIMESTAMP AS _quarantined_at
    FROM __df_out WHERE ${dropped}`;
  if (mode === "complete") await conn.run(`DROP TABLE IF EXISTS ${quarantine}`);
  if (!(await relationExists(conn, quarantineOf(d)))) {
    await conn.run(`CREATE TABLE ${quarantine} AS ${rows} LIMIT 0`);
  } else await widen(conn, quarantine, await describeColumns(conn, `(${rows})`));
  result.rowsDropped += await count(conn, `INSERT INTO ${quarantine} BY NAME ${rows}`);
  return `NOT (${dropped})`;
}
