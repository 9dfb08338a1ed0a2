/**
 * Runs one update of a pipeline on DuckDB: every dataset in graph order, in one
 * transaction (tables, quarantine, checkpoints and offsets commit together, or
 * not at all), then one event log row per dataset.
 */
import { existsSync } from "node:fs";
import { DEFAULTS } from "../config.ts";
import {
  DatabaseBusyError,
  type DuckDBConnection,
  ident,
  query,
  tableExists,
  withDb,
} from "../db.ts";
import { openLake } from "../lake/mod.ts";
import type { Lake, LakeFile } from "../lake/types.ts";
import { dropSource, listInput, type LoadedSource, loadSource } from "./autoloader.ts";
import { ExpectationFailedError, PipelineError } from "./errors.ts";
import {
  datasetNames,
  downstreamOf,
  type Plan,
  type PlannedDataset,
  planPipeline,
} from "./graph.ts";
import {
  type Dataset,
  type DatasetKind,
  loadPipeline,
  type Pipeline,
  type ViolationAction,
} from "./parse.ts";
import { ensureState, EVENT_LOG, FILES, OFFSETS, resetState, SCHEMAS } from "./state.ts";
import { spaced, sqlString, translate } from "./translate.ts";
import { duckType, mergeTypes, parseType, type TypeTree } from "./types.ts";

/** Table property naming the key columns a streaming table is deduplicated on (`'id'`, `'a, b'`). */
export const DEDUPE_PROPERTY = "tweetlake.dedupeKeys";

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
}

/** Progress of an update, one event as each dataset starts and ends. */
export interface UpdateProgress {
  dataset: string;
  phase: "start" | "done";
  result?: DatasetResult;
}

/** Options of `runUpdate`; each defaults from lib/config.ts. */
export interface UpdateOptions {
  /** A pipeline file path, or a parsed pipeline. */
  pipeline?: string | Pipeline;
  /** A lake location (folder or `s3://bucket/prefix`) or an opened lake. */
  lake?: string | Lake;
  /** The DuckDB file. */
  db?: string;
  /** `true` for every dataset, or the datasets to recompute (their downstream datasets too). */
  fullRefresh?: boolean | string[];
  /** Parse, plan and run every query against the current tables, then roll everything back. */
  dryRun?: boolean;
  onProgress?: (event: UpdateProgress) => void;
}

/** An update failed and was rolled back; `result` holds what each dataset did. */
export class UpdateError extends Error {
  constructor(readonly result: UpdateResult, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "UpdateError";
  }
}

/** Another process holds the database: a pipeline (or notebook cell) is running. */
export class PipelineRunningError extends DatabaseBusyError {
  constructor(path: string, cause: unknown) {
    super(path, cause);
    this.message = `pipeline is running: another process holds ${path}; ` +
      "try again when it has finished (nothing was changed)";
    this.name = "PipelineRunningError";
  }
}

interface Ctx {
  conn: DuckDBConnection;
  lake: Lake;
  plan: Plan;
  updateId: string;
  refresh: Set<string>;
  complete: Set<string>;
  skipped: Set<string>;
  names: Set<string>;
}

const lower = (s: string) => s.toLowerCase();

function duckMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/^Error: /, "").split("\n")[0];
}

function queryError(pd: PlannedDataset, e: unknown, what = "DuckDB rejected the query"): never {
  if (e instanceof PipelineError) throw e;
  const d = pd.dataset;
  const m = /LINE (\d+):/.exec(e instanceof Error ? e.message : String(e));
  const first = d.query.find((t) => t.kind !== "space")?.line ?? d.line;
  const line = m ? first + Number(m[1]) - 1 : d.line;
  throw new PipelineError(`${what}: ${duckMessage(e)}`, d.file, line, d.name);
}

async function aggregateNames(conn: DuckDBConnection): Promise<Set<string>> {
  const rows = await query(
    conn,
    "SELECT DISTINCT function_name AS f FROM duckdb_functions() WHERE function_type = 'aggregate'",
  );
  return new Set([...rows.map((r) => String(r.f)), "count_star"]);
}

/** Whether a query aggregates at its top level (GROUP BY, or aggregates in the select list). */
async function aggregates(
  conn: DuckDBConnection,
  sql: string,
  aggs: Set<string>,
): Promise<boolean> {
  const [{ j }] = await query(conn, `SELECT json_serialize_sql(${sqlString(sql)}) AS j`);
  const tree = JSON.parse(String(j));
  if (tree.error) return false;
  const hasAgg = (e: unknown): boolean => {
    if (!e || typeof e !== "object") return false;
    const x = e as Record<string, unknown>;
    if (x.class === "SUBQUERY" || x.class === "WINDOW") return false;
    if (x.class === "FUNCTION" && aggs.has(String(x.function_name))) return true;
    return Object.values(x).some((v) => Array.isArray(v) ? v.some(hasAgg) : hasAgg(v));
  };
  const check = (node: Record<string, unknown>): boolean => {
    if (node.type === "SET_OPERATION_NODE") {
      return [node.left, node.right, ...((node.children as unknown[]) ?? [])].some((n) =>
        n ? check(n as Record<string, unknown>) : false
      );
    }
    const groups = node.group_expressions as unknown[] | undefined;
    return (groups?.length ?? 0) > 0 ||
      ((node.select_list as unknown[] | undefined) ?? []).some(hasAgg);
  };
  return check(tree.statements[0].node);
}

async function describeColumns(
  conn: DuckDBConnection,
  sql: string,
): Promise<{ name: string; type: string }[]> {
  const rows = await query(conn, `DESCRIBE ${sql}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** Adds columns and struct fields the new rows have and the table lacks. */
async function widen(
  conn: DuckDBConnection,
  table: string,
  columns: { name: string; type: string }[],
): Promise<void> {
  const existing = new Map(
    (await describeColumns(conn, ident(table))).map((c) => [c.name, c.type]),
  );
  for (const c of columns) {
    const have = existing.get(c.name);
    if (have === undefined) {
      await conn.run(`ALTER TABLE ${ident(table)} ADD COLUMN ${ident(c.name)} ${c.type}`);
    } else if (have !== c.type) {
      let merged: TypeTree;
      let before: TypeTree;
      try {
        before = parseType(have);
        merged = mergeTypes(before, parseType(c.type), "first");
      } catch {
        continue; // a type this engine does not model: let DuckDB cast on insert
      }
      if (duckType(merged) !== duckType(before)) {
        await conn.run(
          `ALTER TABLE ${ident(table)} ALTER COLUMN ${ident(c.name)} SET DATA TYPE ${
            duckType(merged)
          }`,
        );
      }
    }
  }
}

async function count(conn: DuckDBConnection, sql: string): Promise<number> {
  const [row] = await query(conn, sql);
  return Number(Object.values(row)[0] ?? 0);
}

function emptyResult(pd: PlannedDataset, mode: WriteMode): DatasetResult {
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

/**
 * Counts each expectation over `__df_out` (one query each, so an error names its
 * expectation), fails the update for a failing `FAIL UPDATE`, and moves rows that
 * fail a `DROP ROW` expectation into `<dataset>_quarantine`. Returns the filter
 * of rows to keep.
 */
async function checkExpectations(
  ctx: Ctx,
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
    result.expectations[k] = { name: e.name, action: e.action, passed: n - failed, failed };
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
  const dropped = drops.join(" OR ");
  const quarantine = `${d.name}_quarantine`;
  const failedNames = `list_filter([${
    exps.map((e, k) => `CASE WHEN NOT ${ok[k]} THEN ${sqlString(e.name)} END`).join(", ")
  }], lambda x: x IS NOT NULL)`;
  const rows = `SELECT *, ${failedNames} AS _failed_expectations,
    ${sqlString(ctx.updateId)} AS _update_id, current_timestamp::TIMESTAMP AS _quarantined_at
    FROM __df_out WHERE ${dropped}`;
  if (mode === "complete") await conn.run(`DROP TABLE IF EXISTS ${ident(quarantine)}`);
  if (!(await tableExists(conn, quarantine))) {
    await conn.run(`CREATE TABLE ${ident(quarantine)} AS ${rows} LIMIT 0`);
  } else await widen(conn, quarantine, await describeColumns(conn, `(${rows})`));
  result.rowsDropped = await count(conn, `INSERT INTO ${ident(quarantine)} BY NAME ${rows}`);
  return `NOT (${dropped})`;
}

/** Creates a dataset's table from its declared column list. */
async function createDeclared(conn: DuckDBConnection, d: Dataset): Promise<void> {
  const defs = d.columns.map((c) => {
    try {
      return `${ident(c.name)} ${duckType(parseType(c.type, c.line))}`;
    } catch (e) {
      throw new PipelineError(`column ${c.name}: ${duckMessage(e)}`, d.file, c.line, d.name);
    }
  });
  await conn.run(`CREATE TABLE ${ident(d.name)} (${defs.join(", ")})`);
}

async function runDataset(ctx: Ctx, pd: PlannedDataset): Promise<DatasetResult> {
  const { conn, lake } = ctx;
  const d = pd.dataset;
  const t0 = performance.now();
  const key = lower(d.name);
  const mode: WriteMode = ctx.complete.has(key) ? "complete" : "append";
  const result = emptyResult(pd, mode);
  const where = { file: d.file, dataset: d.name };
  const quarantine = `${d.name}_quarantine`;
  const done = () => ({ ...result, seconds: (performance.now() - t0) / 1000 });

  if (ctx.refresh.has(key)) {
    await conn.run(`DROP TABLE IF EXISTS ${ident(d.name)}`);
    await conn.run(`DROP TABLE IF EXISTS ${ident(quarantine)}`);
    await resetState(conn, d.name);
  }
  const waiting = pd.upstream.find((u) => ctx.skipped.has(lower(u)));
  if (waiting) {
    ctx.skipped.add(key);
    return { ...done(), status: "skipped", detail: `waiting for ${waiting}` };
  }
  for (const r of pd.refs) {
    if (r.stream && ctx.complete.has(lower(r.name))) {
      throw new PipelineError(
        `STREAM(${r.name}) reads a dataset that is recomputed, not appended to ` +
          `(a materialized view or an aggregating streaming table); read it as LIVE.${r.name}`,
        d.file,
        r.line,
        d.name,
      );
    }
  }

  // Sources: new files (append) or all files (complete), read through the Autoloader.
  const loaded: LoadedSource[] = [];
  const batches: LakeFile[][] = [];
  for (const [k, spec] of pd.sources.entries()) {
    let files = await listInput(lake, spec);
    if (mode === "append") {
      const seen = new Set(
        (await query(conn, `SELECT path FROM ${FILES} WHERE dataset = $1 AND source = $2`, [
          d.name,
          spec.path,
        ])).map((r) => String(r.path)),
      );
      files = files.filter((f) => !seen.has(f.path));
    }
    const known = await query(
      conn,
      `SELECT schema FROM ${SCHEMAS} WHERE dataset = $1 AND source = $2`,
      [d.name, spec.path],
    );
    try {
      loaded.push(
        await loadSource(
          conn,
          lake,
          spec,
          files,
          known.length ? JSON.parse(String(known[0].schema)) : undefined,
          `__df_src_${k}`,
        ),
      );
    } catch (e) {
      if (e instanceof PipelineError) throw e;
      throw new PipelineError(
        `reading ${spec.path}: ${duckMessage(e)}`,
        d.file,
        spec.line,
        d.name,
      );
    }
    batches.push(files);
    result.filesRead += files.length;
    result.rowsRead += loaded[k].rows;
  }

  // Upstream streams: rows from position lo on, not yet read by this dataset. Streaming
  // tables are append-only, so a row's position is its rowid once committed (rows added in
  // this transaction carry larger, transaction-local rowids); the new offset is the row count.
  const ranges = new Map<string, [number, number]>();
  for (const r of pd.refs) {
    const up = ctx.plan.byName.get(lower(r.name))!.dataset.name;
    if (ranges.has(lower(up))) continue;
    const hi = await count(conn, `SELECT count(*) FROM ${ident(up)}`);
    if (r.stream && mode === "append") {
      const [off] = await query(
        conn,
        `SELECT next_row FROM ${OFFSETS} WHERE dataset = $1 AND upstream = $2`,
        [d.name, up],
      );
      const lo = off ? Number(off.next_row) : 0;
      ranges.set(lower(up), [lo, hi]);
      result.rowsRead += Math.max(0, hi - lo);
    } else {
      result.rowsRead += await count(conn, `SELECT count(*) FROM ${ident(up)}`);
    }
  }

  const exists = await tableExists(conn, d.name);
  const nothingNew = result.rowsRead === 0 && result.filesRead === 0;
  if (mode === "append" && exists && nothingNew) return done();
  const unknown = pd.sources.findIndex((_, k) => {
    const schema = loaded[k].schema;
    return schema.kind === "struct" && schema.fields.length === 0;
  });
  if (nothingNew && !exists && !d.columns.length && unknown >= 0) {
    for (const k of pd.sources.keys()) await dropSource(conn, loaded[k].view);
    ctx.skipped.add(key);
    return {
      ...done(),
      status: "skipped",
      detail: `no input yet under ${pd.sources[unknown].path} (declare columns or schemaHints ` +
        "to create the table before the first file)",
    };
  }

  let sourceIndex = 0;
  const sql = translate(d.query, ctx.names, {
    ref: (r, aliased) => {
      const up = ctx.plan.byName.get(lower(r.name))!.dataset.name;
      const range = r.stream && mode === "append" ? ranges.get(lower(up)) : undefined;
      if (!range) return ident(up);
      const rel = `(SELECT * FROM ${ident(up)} WHERE rowid >= ${range[0]})`;
      return aliased ? rel : `${rel} AS ${ident(r.name)}`;
    },
    source: () => loaded[sourceIndex++].view,
  }, where);

  let columns: { name: string; type: string }[];
  try {
    columns = await describeColumns(conn, `(${sql})`);
  } catch (e) {
    if (nothingNew && !exists && d.columns.length) {
      // No input yet: the declared column list gives the table its shape.
      await createDeclared(conn, d);
      for (const k of pd.sources.keys()) await dropSource(conn, loaded[k].view);
      return done();
    }
    if (nothingNew && !exists) {
      ctx.skipped.add(key);
      return {
        ...done(),
        status: "skipped",
        detail: `no input yet (${duckMessage(e)}); declare a column list or schemaHints`,
      };
    }
    queryError(pd, e);
  }

  // Expectations and deduplication work on the materialized output.
  const exps = d.expectations;
  const dedupe = (d.properties[DEDUPE_PROPERTY] ?? "").split(",").map((s) => s.trim()).filter(
    Boolean,
  );
  let kept = `(${sql})`;
  let outputRows = -1;
  if (exps.length || dedupe.length) {
    try {
      await conn.run(`CREATE OR REPLACE TEMP TABLE __df_out AS ${sql}`);
    } catch (e) {
      queryError(pd, e);
    }
    const filter = exps.length ? await checkExpectations(ctx, pd, mode, result) : "true";
    let inner = `SELECT * FROM __df_out WHERE ${filter}`;
    let outer = "true";
    if (dedupe.length) {
      const keys = dedupe.map(ident);
      inner = `SELECT *, row_number() OVER (PARTITION BY ${keys.join(", ")} ORDER BY rowid)
        AS __df_rn FROM __df_out WHERE ${filter}`;
      outer = `(__df_rn = 1 OR ${keys.map((k) => `${k} IS NULL`).join(" OR ")})`;
      if (exists && mode === "append") {
        outer += ` AND NOT EXISTS (SELECT 1 FROM ${ident(d.name)} __df_t WHERE ${
          keys.map((k) => `__df_t.${k} = __df_x.${k}`).join(" AND ")
        })`;
      }
    }
    kept = `(SELECT * ${dedupe.length ? "EXCLUDE (__df_rn)" : ""} FROM (${inner}) __df_x
      WHERE ${outer})`;
    if (dedupe.length) outputRows = await count(conn, "SELECT count(*) FROM __df_out");
  }

  try {
    if (mode === "complete") await conn.run(`DROP TABLE IF EXISTS ${ident(d.name)}`);
    if (mode === "complete" || !exists) {
      if (d.columns.length) await createDeclared(conn, d);
      else await conn.run(`CREATE TABLE ${ident(d.name)} AS SELECT * FROM ${kept} LIMIT 0`);
    } else if (!d.columns.length) {
      await widen(conn, d.name, columns);
    }
    if (!(nothingNew && mode === "append")) {
      result.rowsWritten = await count(
        conn,
        `INSERT INTO ${ident(d.name)} BY NAME SELECT * FROM ${kept}`,
      );
      if (outputRows >= 0) {
        result.rowsDuplicate = outputRows - result.rowsDropped - result.rowsWritten;
      }
    }
  } catch (e) {
    queryError(pd, e, "writing the table failed");
  }

  // Checkpoints: files, offsets and schemas commit with the rows.
  for (const [k, spec] of pd.sources.entries()) {
    if (mode === "append" && batches[k].length) {
      await conn.run(
        `INSERT INTO ${FILES} VALUES ${
          batches[k].map((f) =>
            `(${sqlString(d.name)}, ${sqlString(spec.path)}, ${sqlString(f.path)}, ${f.size}, ${
              sqlString(f.mtime.toISOString())
            }::TIMESTAMPTZ::TIMESTAMP, ${sqlString(ctx.updateId)}, current_timestamp::TIMESTAMP)`
          ).join(", ")
        }`,
      );
    }
    await conn.run(`DELETE FROM ${SCHEMAS} WHERE dataset = $1 AND source = $2`, [
      d.name,
      spec.path,
    ]);
    await conn.run(`INSERT INTO ${SCHEMAS} VALUES ($1, $2, $3)`, [
      d.name,
      spec.path,
      JSON.stringify(loaded[k].schema),
    ]);
    await dropSource(conn, loaded[k].view);
  }
  for (const [up, [, hi]] of ranges) {
    const name = ctx.plan.byName.get(up)!.dataset.name;
    await conn.run(`DELETE FROM ${OFFSETS} WHERE dataset = $1 AND upstream = $2`, [d.name, name]);
    await conn.run(`INSERT INTO ${OFFSETS} VALUES ($1, $2, $3)`, [d.name, name, hi]);
  }
  await conn.run("DROP TABLE IF EXISTS __df_out");
  return done();
}

async function writeEventLog(
  conn: DuckDBConnection,
  r: UpdateResult,
  started: Map<string, Date>,
): Promise<void> {
  if (!r.datasets.length) return;
  const rows = r.datasets.map((d) => {
    const exps = `[${
      d.expectations.map((e) =>
        `{'name': ${sqlString(e.name)}, 'action': ${
          sqlString(e.action)
        }, 'passed_records': ${e.passed}, 'failed_records': ${e.failed}}`
      ).join(", ")
    }]`;
    const s = started.get(d.name) ?? r.startedAt;
    const ts = (t: Date) => `${sqlString(t.toISOString())}::TIMESTAMPTZ::TIMESTAMP`;
    return `(${sqlString(r.updateId)}, ${sqlString(d.name)}, ${sqlString(d.kind)}, ${
      sqlString(d.mode)
    }, ${ts(s)}, ${
      ts(new Date(s.getTime() + d.seconds * 1000))
    }, ${d.rowsRead}, ${d.rowsWritten}, ${d.rowsDropped}, ${d.rowsDuplicate}, ${d.filesRead}, ${exps}::STRUCT(name VARCHAR, action VARCHAR, passed_records BIGINT, failed_records BIGINT)[], ${
      sqlString(d.status)
    }, ${d.detail === undefined ? "NULL" : sqlString(d.detail)}, ${
      r.fullRefresh.includes(d.name)
    }, ${r.dryRun})`;
  });
  await conn.run(`INSERT INTO ${EVENT_LOG} VALUES ${rows.join(", ")}`);
}

function refreshSet(plan: Plan, fullRefresh: UpdateOptions["fullRefresh"]): string[] {
  if (!fullRefresh || (Array.isArray(fullRefresh) && fullRefresh.length === 0 && !fullRefresh)) {
    return [];
  }
  if (fullRefresh === true || (Array.isArray(fullRefresh) && fullRefresh.length === 0)) {
    return plan.order.map((pd) => pd.dataset.name);
  }
  for (const n of fullRefresh) {
    if (!plan.byName.has(lower(n))) {
      throw new PipelineError(
        `--full-refresh: unknown dataset ${n} (defined: ${
          plan.order.map((pd) => pd.dataset.name).join(", ")
        })`,
        plan.pipeline.file,
        1,
      );
    }
  }
  return downstreamOf(plan, fullRefresh);
}

/** Which datasets are recomputed rather than appended to: materialized views and streaming aggregates. */
async function recomputed(conn: DuckDBConnection, plan: Plan): Promise<Set<string>> {
  const aggs = await aggregateNames(conn);
  const names = datasetNames(plan.pipeline);
  const out = new Set<string>();
  for (const pd of plan.order) {
    const d = pd.dataset;
    if (d.kind === "materialized") {
      out.add(lower(d.name));
      continue;
    }
    const sql = translate(d.query, names, {
      ref: (r) => ident(r.name),
      source: () => "__df_source",
    }, { file: d.file, dataset: d.name });
    if (await aggregates(conn, sql, aggs)) out.add(lower(d.name));
  }
  return out;
}

/**
 * Runs one update of the pipeline: streaming tables read only new input and
 * append; materialized views and aggregating streaming tables are recomputed.
 * Throws `UpdateError` (everything rolled back, failure logged) when a dataset
 * fails, `PipelineError` for a bad pipeline file (nothing run), and
 * `PipelineRunningError` when another process holds the database.
 */
export async function runUpdate(options: UpdateOptions = {}): Promise<UpdateResult> {
  const pipeline = typeof options.pipeline === "object"
    ? options.pipeline
    : await loadPipeline(options.pipeline ?? DEFAULTS.pipeline);
  const plan = planPipeline(pipeline);
  const refresh = refreshSet(plan, options.fullRefresh);
  const lake = typeof options.lake === "object"
    ? options.lake
    : openLake(options.lake ?? DEFAULTS.lake);
  const dryRun = options.dryRun ?? false;
  let db = options.db ?? DEFAULTS.db;
  if (dryRun && db !== ":memory:" && !existsSync(db)) db = ":memory:";
  const result: UpdateResult = {
    updateId: crypto.randomUUID(),
    pipeline: pipeline.file,
    lake: lake.url,
    db,
    dryRun,
    fullRefresh: refresh,
    startedAt: new Date(),
    endedAt: new Date(),
    status: dryRun ? "dry_run" : "completed",
    datasets: [],
  };
  const started = new Map<string, Date>();
  try {
    await withDb(db, async (conn) => {
      await conn.run("BEGIN TRANSACTION");
      try {
        await ensureState(conn);
        const ctx: Ctx = {
          conn,
          lake,
          plan,
          updateId: result.updateId,
          refresh: new Set(refresh.map(lower)),
          complete: await recomputed(conn, plan),
          skipped: new Set(),
          names: datasetNames(pipeline),
        };
        for (const pd of plan.order) {
          options.onProgress?.({ dataset: pd.dataset.name, phase: "start" });
          started.set(pd.dataset.name, new Date());
          let r: DatasetResult;
          try {
            r = await runDataset(ctx, pd);
          } catch (e) {
            const partial = (e as { partial?: DatasetResult }).partial ??
              emptyResult(pd, ctx.complete.has(lower(pd.dataset.name)) ? "complete" : "append");
            result.datasets.push({ ...partial, status: "failed", detail: duckMessage(e) });
            throw e;
          }
          if (dryRun && r.status === "completed") r.status = "validated";
          result.datasets.push(r);
          options.onProgress?.({ dataset: pd.dataset.name, phase: "done", result: r });
        }
        result.endedAt = new Date();
        if (dryRun) await conn.run("ROLLBACK");
        else {
          await writeEventLog(conn, result, started);
          await conn.run("COMMIT");
        }
      } catch (e) {
        await conn.run("ROLLBACK");
        result.status = "failed";
        result.error = e instanceof Error ? e.message : String(e);
        result.endedAt = new Date();
        for (const d of result.datasets) if (d.status === "completed") d.status = "rolled_back";
        if (!dryRun) {
          await ensureState(conn);
          await writeEventLog(conn, result, started);
        }
        throw new UpdateError(result, e);
      }
    });
  } catch (e) {
    if (e instanceof DatabaseBusyError) throw new PipelineRunningError(db, e.cause);
    throw e;
  } finally {
    if (typeof options.lake !== "object") lake.close?.();
  }
  return result;
}
