/**
 * Runs one update of a pipeline on DuckDB: every dataset in graph order, in one
 * transaction (tables, quarantine, checkpoints and offsets commit together, or
 * not at all), then one event log row per dataset.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULTS } from "../config.ts";
import { DatabaseBusyError, type DuckDBConnection, ident, query, withDb } from "../db.ts";
import { openLake } from "../lake/mod.ts";
import type { Lake, LakeFile } from "../lake/types.ts";
import {
  dropSource,
  hideMetadata,
  listInput,
  type LoadedSource,
  loadSource,
  pickFiles,
  recordFiles,
  sourceLake,
  unreadablePlaces,
} from "./autoloader.ts";
import { recomputed } from "./aggregate.ts";
import { fileBatches } from "./batches.ts";
import { applyCdc, dropCdcState } from "./cdc.ts";
import { checkStreamReads, streamJoin, streamJoinSql, type StreamPart } from "./streams.ts";
import { PipelineError } from "./errors.ts";
import { checkExpectations } from "./expectations.ts";
import { Profiler } from "./profile.ts";
import {
  datasetNames,
  downstreamOf,
  type Plan,
  type PlannedDataset,
  planPipeline,
} from "./graph.ts";
import { ensureSchema, quarantineOf, relation, relationExists } from "./names.ts";
import { checkOwnership, recordOwnership } from "./ownership.ts";
import { type ExternalReads, readExternals } from "./external.ts";
import { refuseUnsupported } from "./check.ts";
import { type Dataset, openPipeline, type Pipeline } from "./parse.ts";
import {
  type DatasetResult,
  emptyResult,
  type UpdateProgress,
  type UpdateResult,
  type WriteMode,
} from "./result.ts";
import { count, describeColumns, duckMessage, widen } from "./sql.ts";
import { ensureState, OFFSETS, resetState, SCHEMAS, writeEventLog } from "./state.ts";
import { installSparkFunctions } from "./spark/macros.ts";
import { type Reference, type SourceSpec, translate, withListFields } from "./translate.ts";
import { duckType, parseType, type TypeTree } from "./types.ts";

export type {
  DatasetResult,
  ExpectationResult,
  UpdateProgress,
  UpdateResult,
  WriteMode,
} from "./result.ts";

/** Table property naming the key columns a streaming table is deduplicated on (`'id'`, `'a, b'`). */
export const DEDUPE_PROPERTY = "tweetlake.dedupeKeys";

/** Options of `runUpdate`; each defaults from lib/config.ts. */
export interface UpdateOptions {
  /** A pipeline file path, or a parsed pipeline. */
  pipeline?: string | Pipeline;
  /** A pipeline settings file (bundle YAML or pipeline JSON), instead of `pipeline`. */
  settings?: string;
  /** Configuration entries applied after the settings' (`--conf key=value`). */
  conf?: Record<string, string>;
  /** A lake location (folder or `s3://bucket/prefix`) or an opened lake. */
  lake?: string | Lake;
  /** The DuckDB file. */
  db?: string;
  /** `true` for every dataset, or the datasets to recompute (their downstream datasets too). */
  fullRefresh?: boolean | string[];
  /** Parse, plan and run every query against the current tables, then roll everything back. */
  dryRun?: boolean;
  onProgress?: (event: UpdateProgress) => void;
  /** How long a new file's size and mtime must stay the same before it is read (default 1 s). */
  settleSeconds?: number;
  /** Time every phase and statement of the update into `result.profile` (see profile.ts). */
  profile?: boolean;
  /**
   * Input bytes read per batch by a dataset that appends one source's files (default
   * `DEFAULTS.batchMiB`); every batch is written in the update's one transaction.
   */
  batchBytes?: number;
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
  constructor(path: string, cause: unknown, holder = "another process") {
    super(path, cause);
    this.message = `pipeline is running: ${holder} holds ${path}; ` +
      "try again when it has finished (nothing was changed)";
    this.name = "PipelineRunningError";
  }
}

/** Databases with an update running in this process. */
const RUNNING = new Set<string>();

interface Ctx {
  conn: DuckDBConnection;
  lake: Lake;
  plan: Plan;
  updateId: string;
  refresh: Set<string>;
  complete: Set<string>;
  skipped: Set<string>;
  names: Set<string>;
  /** `spark.sql.ansi.enabled`, from the pipeline's settings. */
  ansi: boolean;
  /** Lakes opened for sources outside the pipeline's lake; closed after the update. */
  owned: Lake[];
  settleSeconds?: number;
  /** Set when the update is profiled. */
  prof?: Profiler;
  /** The running dataset's reads of tables and files outside the pipeline (external.ts). */
  externals?: ExternalReads;
  batchBytes: number;
  onProgress?: (event: UpdateProgress) => void;
}

const lower = (s: string) => s.toLowerCase();

function queryError(pd: PlannedDataset, e: unknown, what = "DuckDB rejected the query"): never {
  if (e instanceof PipelineError) throw e;
  const d = pd.dataset;
  const m = /LINE (\d+):/.exec(e instanceof Error ? e.message : String(e));
  const first = pd.query.find((t) => t.kind !== "space")?.line ?? d.line;
  const line = m ? first + Number(m[1]) - 1 : d.line;
  throw new PipelineError(`${what}: ${duckMessage(e)}`, d.file, line, d.name);
}

/**
 * A dataset's failure as a PipelineError naming its file, line and dataset (a DuckDB
 * error that escaped the dataset's own checks included).
 */
function datasetError(pd: PlannedDataset, e: unknown): PipelineError {
  if (e instanceof PipelineError) return e;
  const d = pd.dataset;
  let detail = duckMessage(e);
  if (/current transaction is aborted/i.test(detail)) {
    detail =
      `an earlier statement of this dataset failed inside the update's transaction (${detail})`;
  }
  return Object.assign(new PipelineError(detail, d.file, d.line, d.name), { cause: e });
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
  await ensureSchema(conn, d);
  await conn.run(`CREATE TABLE ${relation(d)} (${defs.join(", ")})`);
}

/** An empty relation with a dataset's declared columns (and a file source's extra columns). */
function declaredStandIn(d: Dataset): string {
  const cols = d.columns.map((c) =>
    `NULL::${duckType(parseType(c.type, c.line))} AS ${ident(c.name)}`
  );
  cols.push(
    "NULL::VARCHAR AS _rescued_data",
    "NULL::STRUCT(file_path VARCHAR, file_name VARCHAR, file_size BIGINT, " +
      "file_modification_time TIMESTAMP) AS _metadata",
  );
  return `SELECT ${cols.join(", ")} WHERE false`;
}

async function runDataset(ctx: Ctx, pd: PlannedDataset): Promise<DatasetResult> {
  const { conn, lake } = ctx;
  const d = pd.dataset;
  const t0 = performance.now();
  const key = lower(d.name);
  const mode: WriteMode = ctx.complete.has(key) ? "complete" : "append";
  const result = emptyResult(pd, mode);
  const table = relation(d);
  const done = () => ({ ...result, seconds: (performance.now() - t0) / 1000 });
  const phase = (name: string) => ctx.prof?.phase(d.name, name);
  phase("start");
  await checkOwnership(conn, d);

  if (ctx.refresh.has(key)) {
    await conn.run(`DROP TABLE IF EXISTS ${table}`);
    await conn.run(`DROP TABLE IF EXISTS ${relation(quarantineOf(d))}`);
    await resetState(conn, d.name);
    await dropCdcState(conn, d.name);
  }
  const waiting = pd.upstream.find((u) => ctx.skipped.has(lower(u)));
  if (waiting) {
    ctx.skipped.add(key);
    return { ...done(), status: "skipped", detail: `waiting for ${waiting}` };
  }
  checkStreamReads(
    pd,
    ctx.complete,
    new Set(ctx.plan.order.filter((p) => p.dataset.cdc).map((p) => lower(p.dataset.name))),
  );

  // Sources: new files (append) or all files (complete), read through the Autoloader.
  const inputs: SourceInput[] = [];
  for (const spec of pd.sources) {
    phase("list files");
    const src = sourceLake(lake, spec.path);
    if (src.owned) ctx.owned.push(src.lake);
    const place = { file: d.file, dataset: d.name };
    const list = () => listInput(src.lake, src.prefix, spec, place);
    let files = await list();
    if (mode === "append") {
      const pick = await pickFiles(conn, d.name, spec, files, list, place, {
        settleSeconds: ctx.settleSeconds,
      });
      files = pick.files;
      if (pick.warnings.length) result.warnings = [...result.warnings ?? [], ...pick.warnings];
    }
    const known = await query(
      conn,
      `SELECT schema FROM ${SCHEMAS} WHERE dataset = $1 AND source = $2`,
      [d.name, spec.path],
    );
    inputs.push({
      spec,
      lake: src.lake,
      files,
      schema: known.length ? JSON.parse(String(known[0].schema)) : undefined,
    });
    result.filesRead += files.length;
  }

  // Upstream streams: rows from position lo on, not yet read by this dataset. Streaming
  // tables are append-only, so a row's position is its rowid once committed (rows added in
  // this transaction carry larger, transaction-local rowids); the new offset is the row count.
  phase("stream offsets");
  const ranges = new Map<string, [number, number]>();
  for (const r of pd.refs) {
    const upstream = ctx.plan.byName.get(lower(r.name))!.dataset;
    const up = upstream.name;
    if (ranges.has(lower(up))) continue;
    const hi = await count(conn, `SELECT count(*) FROM ${relation(upstream)}`);
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
      result.rowsRead += hi;
    }
  }

  // A dataset that only appends what one source's files hold reads them in bounded batches
  // (all in this update's transaction), so memory does not grow with the update's size.
  ctx.externals = await readExternals(
    conn,
    pd,
    mode,
    ctx.updateId,
    lake.url.startsWith("s3://") ? undefined : lake.url,
  );
  result.rowsRead += ctx.externals.rowsRead;
  const batches = pd.sources.length === 1 && !pd.refs.length && !pd.externals.length &&
      mode === "append"
    ? fileBatches(inputs[0].files, ctx.batchBytes).map((files) => [files])
    : [inputs.map((i) => i.files)];
  for (const [b, files] of batches.entries()) {
    if (batches.length > 1) {
      ctx.onProgress?.({
        dataset: d.name,
        phase: "batch",
        batch: { index: b + 1, of: batches.length, files: files[0].length },
      });
    }
    const ended = await writeBatch(ctx, pd, mode, result, inputs, files, ranges, done);
    if (ended) return ended;
  }

  // Checkpoints: files, offsets and schemas commit with the rows.
  phase("checkpoints");
  await ctx.externals.commit();
  for (const { spec, files, schema } of inputs) {
    if (mode === "append") await recordFiles(conn, d.name, spec, files, ctx.updateId);
    await conn.run(`DELETE FROM ${SCHEMAS} WHERE dataset = $1 AND source = $2`, [
      d.name,
      spec.path,
    ]);
    await conn.run(`INSERT INTO ${SCHEMAS} VALUES ($1, $2, $3)`, [
      d.name,
      spec.path,
      JSON.stringify(schema),
    ]);
  }
  for (const [up, [, hi]] of ranges) {
    const name = ctx.plan.byName.get(up)!.dataset.name;
    await conn.run(`DELETE FROM ${OFFSETS} WHERE dataset = $1 AND upstream = $2`, [d.name, name]);
    await conn.run(`INSERT INTO ${OFFSETS} VALUES ($1, $2, $3)`, [d.name, name, hi]);
  }
  ctx.prof?.end();
  return done();
}

/** One source of a dataset in this update: its new (or all) files, and its schema so far. */
interface SourceInput {
  spec: SourceSpec;
  lake: Lake;
  files: LakeFile[];
  /** The schema kept from earlier batches and updates; updated as each batch is read. */
  schema: TypeTree | undefined;
}

/**
 * Runs a dataset's query over one batch of its input (`files[k]` of source k, and the
 * upstream `ranges`) and writes the result: expectations, quarantine, deduplication and
 * the insert. Returns the dataset's final result when it ends early (nothing to do, or
 * skipped), undefined otherwise.
 */
async function writeBatch(
  ctx: Ctx,
  pd: PlannedDataset,
  mode: WriteMode,
  result: DatasetResult,
  inputs: SourceInput[],
  files: LakeFile[][],
  ranges: Map<string, [number, number]>,
  done: () => DatasetResult,
): Promise<DatasetResult | undefined> {
  const { conn } = ctx;
  const d = pd.dataset;
  const key = lower(d.name);
  const where = { file: d.file, dataset: d.name };
  const phase = (name: string) => ctx.prof?.phase(d.name, name);
  const loaded: LoadedSource[] = [];
  const drop = async () => {
    for (const l of loaded) await dropSource(conn, l.view);
    await conn.run("DROP TABLE IF EXISTS __df_out");
  };
  for (const [k, input] of inputs.entries()) {
    phase("read source");
    try {
      const place = { file: d.file, dataset: d.name };
      const name = `__df_src_${k}`;
      loaded.push(
        await loadSource(conn, input.lake, input.spec, files[k], input.schema, name, place),
      );
      const bad = loaded[k].unreadable;
      if (bad) {
        const places = await unreadablePlaces(conn, name);
        result.warnings = [
          ...result.warnings ?? [],
          `${bad} line(s) of ${input.spec.path} could not be read (bad encoding, control byte, ` +
          `too long or too deep) and are kept whole in the rescued data column: ${
            places.join(", ")
          }${bad > places.length ? ", …" : ""}`,
        ];
      }
    } catch (e) {
      if (e instanceof PipelineError) throw e;
      throw new PipelineError(
        `reading ${input.spec.path}: ${duckMessage(e)}`,
        d.file,
        input.spec.line,
        d.name,
      );
    }
    input.schema = loaded[k].schema;
    result.rowsRead += loaded[k].rows;
  }

  const table = relation(d);
  const exists = await relationExists(conn, d);
  const nothingNew = result.rowsRead === 0 && result.filesRead === 0;
  if (mode === "append" && exists && nothingNew) {
    await drop();
    return done();
  }
  const unknown = pd.sources.findIndex((_, k) => {
    const schema = loaded[k].schema;
    return schema.kind === "struct" && schema.fields.length === 0;
  });
  if (nothingNew && !exists && !d.columns.length && unknown >= 0) {
    await drop();
    ctx.skipped.add(key);
    return {
      ...done(),
      status: "skipped",
      detail: `no input yet under ${pd.sources[unknown].path} (declare columns or schemaHints ` +
        "to create the table before the first file)",
    };
  }

  phase("describe");
  let sourceIndex = 0;
  const streamRel = (r: Reference, aliased: boolean, part: StreamPart = "new") => {
    const upstream = ctx.plan.resolve(r);
    if (!upstream) return ctx.externals!.relation(r)!;
    const range = r.stream && mode === "append" ? ranges.get(lower(upstream.name)) : undefined;
    if (!range || part === "all") return relation(upstream);
    const rel = `(SELECT * FROM ${relation(upstream)} WHERE rowid ${part === "new" ? ">=" : "<"} ${
      range[0]
    })`;
    return aliased ? rel : `${rel} AS ${ident(upstream.table)}`;
  };
  // A stream-stream join also matches new rows with earlier updates' rows (streams.ts).
  const join = mode === "append"
    ? await streamJoin(conn, pd, ctx.names, (r) => ctx.plan.views(r))
    : undefined;
  let sql = join?.kind === "join"
    ? streamJoinSql(pd, ctx.names, join.reads, streamRel, {
      ansi: ctx.plan.pipeline.settings.ansi,
    })
    : await withListFields(conn, (listFields) => {
      sourceIndex = 0;
      return translate(
        pd.query,
        ctx.names,
        ctx.plan.views({
          ref: (r, aliased) => streamRel(r, aliased),
          source: () => loaded[sourceIndex++].view,
        }, { listFields, ansi: ctx.plan.pipeline.settings.ansi }),
        where,
        { listFields, ansi: ctx.plan.pipeline.settings.ansi },
      );
    });

  let columns: { name: string; type: string }[];
  try {
    columns = await describeColumns(conn, `(${sql})`);
  } catch (e) {
    if (nothingNew && !exists && d.columns.length && unknown >= 0) {
      // No input yet: the declared column list gives the table its shape, if the query
      // reads the sources as declared (checked with the declared columns standing in).
      for (const l of loaded) {
        const schema = l.schema;
        if (schema.kind === "struct" && !schema.fields.length) {
          await conn.run(`CREATE OR REPLACE TEMP VIEW ${l.view} AS ${declaredStandIn(d)}`);
        }
      }
      try {
        await describeColumns(conn, `(${sql})`);
      } catch (e2) {
        queryError(pd, e2);
      }
      await createDeclared(conn, d);
      await drop();
      return done();
    }
    queryError(pd, e); // "skipped" is only for a source with no files yet (above)
  }
  if (pd.sources.length) ({ sql, columns } = hideMetadata(d.query, sql, columns));

  // Expectations and deduplication work on the materialized output.
  const exps = d.expectations;
  const dedupe = (d.properties[DEDUPE_PROPERTY] ?? "").split(",").map((s) => s.trim()).filter(
    Boolean,
  );
  const droppedBefore = result.rowsDropped;
  let kept = `(${sql})`;
  let outputRows = -1;
  if (exps.length || dedupe.length) {
    phase("materialise");
    try {
      await conn.run(`CREATE OR REPLACE TEMP TABLE __df_out AS ${sql}`);
    } catch (e) {
      queryError(pd, e);
    }
    phase("expectations");
    const filter = exps.length ? await checkExpectations(ctx, pd, mode, result) : "true";
    let inner = `SELECT * FROM __df_out WHERE ${filter}`;
    let outer = "true";
    if (dedupe.length) {
      const keys = dedupe.map(ident);
      inner = `SELECT *, row_number() OVER (PARTITION BY ${keys.join(", ")} ORDER BY rowid)
        AS __df_rn FROM __df_out WHERE ${filter}`;
      outer = `(__df_rn = 1 OR ${keys.map((k) => `${k} IS NULL`).join(" OR ")})`;
      if (exists && mode === "append") {
        outer += ` AND NOT EXISTS (SELECT 1 FROM ${table} __df_t WHERE ${
          keys.map((k) => `__df_t.${k} = __df_x.${k}`).join(" AND ")
        })`;
      }
    }
    kept = `(SELECT * ${dedupe.length ? "EXCLUDE (__df_rn)" : ""} FROM (${inner}) __df_x
      WHERE ${outer})`;
    phase("dedupe count");
    if (dedupe.length) outputRows = await count(conn, "SELECT count(*) FROM __df_out");
  }

  phase("insert");
  if (d.cdc) {
    // AUTO CDC / APPLY CHANGES: the batch is a set of change events (cdc.ts).
    const r = await applyCdc(conn, d, kept, ctx.names, () => createDeclared(conn, d), {
      ansi: ctx.plan.pipeline.settings.ansi,
    }).catch((e) => queryError(pd, e, "applying changes failed"));
    result.rowsWritten += r.rowsWritten;
    result.rowsDuplicate += r.rowsDuplicate;
  } else {
    try {
      if (mode === "complete") await conn.run(`DROP TABLE IF EXISTS ${table}`);
      if (mode === "complete" || !exists) {
        if (d.columns.length) await createDeclared(conn, d);
        else {
          await ensureSchema(conn, d);
          await conn.run(`CREATE TABLE ${table} AS SELECT * FROM ${kept} LIMIT 0`);
        }
      } else if (!d.columns.length) {
        await widen(conn, table, columns);
      }
      if (!(nothingNew && mode === "append")) {
        const written = await count(
          conn,
          `INSERT INTO ${table} BY NAME SELECT * FROM ${kept}`,
        );
        result.rowsWritten += written;
        if (outputRows >= 0) {
          result.rowsDuplicate += outputRows - (result.rowsDropped - droppedBefore) - written;
        }
      }
    } catch (e) {
      queryError(pd, e, "writing the table failed");
    }
  }
  await drop();
  return undefined;
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
    : await openPipeline({ ...options, pipeline: options.pipeline }, DEFAULTS.pipeline);
  refuseUnsupported(pipeline);
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
  // DuckDB's file lock only keeps other processes out; this keeps out this one's other updates.
  const lockKey = db === ":memory:" ? undefined : resolve(db);
  if (lockKey && RUNNING.has(lockKey)) {
    if (typeof options.lake !== "object") lake.close?.();
    throw new PipelineRunningError(db, undefined, "another update in this process");
  }
  if (lockKey) RUNNING.add(lockKey);
  const owned: Lake[] = [];
  const prof = options.profile ? new Profiler() : undefined;
  try {
    await withDb(db, async (direct) => {
      const conn = prof ? prof.wrap(direct) : direct;
      prof?.phase("", "begin and plan");
      await installSparkFunctions(conn);
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
          ansi: plan.pipeline.settings.ansi,
          owned,
          settleSeconds: options.settleSeconds,
          prof,
          batchBytes: options.batchBytes ?? DEFAULTS.batchMiB * 2 ** 20,
          onProgress: options.onProgress,
        };
        for (const pd of plan.order) {
          if (pd.dataset.kind === "view") continue; // read in place by the datasets that name it
          options.onProgress?.({ dataset: pd.dataset.name, phase: "start" });
          started.set(pd.dataset.name, new Date());
          let r: DatasetResult;
          try {
            r = await runDataset(ctx, pd);
            await recordOwnership(conn, pd.dataset, result.updateId);
          } catch (e) {
            const partial = (e as { partial?: DatasetResult }).partial ??
              emptyResult(pd, ctx.complete.has(lower(pd.dataset.name)) ? "complete" : "append");
            const err = datasetError(pd, e);
            result.datasets.push({ ...partial, status: "failed", detail: err.detail });
            throw err;
          }
          if (dryRun && r.status === "completed") r.status = "validated";
          result.datasets.push(r);
          options.onProgress?.({ dataset: pd.dataset.name, phase: "done", result: r });
        }
        result.endedAt = new Date();
        if (dryRun) await conn.run("ROLLBACK");
        else {
          prof?.phase("", "event log");
          await writeEventLog(conn, result, started);
          prof?.phase("", "commit");
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
    if (lockKey) RUNNING.delete(lockKey);
    for (const l of owned) l.close?.();
    if (typeof options.lake !== "object") lake.close?.();
    if (prof) result.profile = prof.result();
  }
  return result;
}
