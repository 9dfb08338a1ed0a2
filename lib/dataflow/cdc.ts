/**
 * Change data capture (`AUTO CDC` / `APPLY CHANGES`): applies a batch of change
 * events to a streaming table as SCD type 1 (one row per key) or SCD type 2 (one
 * row per version, `__START_AT` / `__END_AT`).
 *
 * The result never depends on how the changes were split into updates: the
 * engine keeps the events that can still matter in `_dataflow_cdc_<target>`
 * (SCD 1: the latest event per key, a delete kept as a tombstone; with IGNORE
 * NULL UPDATES, the events since the key's last delete; SCD 2: every event; and
 * the latest truncate), and each update recomputes the keys its batch touches
 * from those events. So late (out-of-order) and duplicate events resolve by the
 * sequence value whichever update they arrive in, and a full refresh gives the
 * same table.
 *
 * Decisions where the documentation leaves room: a NULL sequence value or key is
 * an error; identical duplicate events count once; two different events for one
 * key at one sequence value are an error naming the key; a truncate at sequence
 * s clears every event at or below s; SCD 2 opens a new version only when a
 * tracked column changes (other columns are updated in place).
 */
import { type DuckDBConnection, ident, query, tableExists } from "../db.ts";
import type { ColumnSelection } from "./cdc_flow.ts";
import { PipelineError } from "./errors.ts";
import { ensureSchema, relation, relationExists } from "./names.ts";
import type { Dataset } from "./parse.ts";
import { splitTopLevel } from "./parse.ts";
import { count, describeColumns, duckMessage, widen } from "./sql.ts";
import { isWord, significant, type Token } from "./tokens.ts";
import { spaced, translate, type TranslateOptions } from "./translate.ts";

/** The table holding a CDC target's retained change events. */
export function cdcStateTable(target: string): string {
  return `_dataflow_cdc_${target.toLowerCase()}`;
}

/** Drops a CDC target's retained events (full refresh). */
export async function dropCdcState(conn: DuckDBConnection, target: string): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${ident(cdcStateTable(target))}`);
}

/** What applying one batch did. */
export interface CdcResult {
  /** Target rows written (inserted or rewritten) for the keys the batch touched. */
  rowsWritten: number;
  /** Change events in the batch. */
  events: number;
  /** Change events whose key the table already had, or that repeat a key of the batch. */
  rowsDuplicate: number;
}

const lower = (s: string) => s.toLowerCase();

/**
 * Applies the change events of `batch` (a relation: `(SELECT …)` or a table) to
 * the flow's target. `declare` creates the target from its declared column list
 * (when it has one and does not exist yet).
 */
export async function applyCdc(
  conn: DuckDBConnection,
  d: Dataset,
  batch: string,
  names: ReadonlySet<string>,
  declare: () => Promise<void>,
  options: TranslateOptions = {},
): Promise<CdcResult> {
  const flow = d.cdc!;
  const where = { file: flow.file, dataset: d.name };
  const fail = (msg: string, line = flow.line): never => {
    throw new PipelineError(`AUTO CDC flow ${flow.name}: ${msg}`, flow.file, line, d.name);
  };
  const expr = (toks: Token[], what: string): string =>
    translate(
      spaced(toks.filter(significant)),
      names,
      {
        ref: () => fail(`${what} cannot read another dataset`, toks[0].line),
        source: () => fail(`${what} cannot read files`, toks[0].line),
      },
      where,
      options,
    );

  // Columns: the source's, checked against KEYS, COLUMNS, TRACK HISTORY, IGNORE NULL UPDATES.
  const source = (await describeColumns(conn, batch)).map((c) => c.name);
  const byLower = new Map(source.map((c) => [lower(c), c]));
  const resolve = (cols: string[], what: string): string[] =>
    cols.map((c) =>
      byLower.get(lower(c)) ??
        fail(`${what} names column ${c}, which the source does not have (${source.join(", ")})`)
    );
  const keys = resolve(flow.keys, "KEYS");
  const pick = (sel: ColumnSelection | undefined, what: string, from: string[]): string[] => {
    if (!sel) return from;
    const named = new Set(resolve(sel.columns, what));
    return from.filter((c) => sel.kind === "list" ? named.has(c) : !named.has(c));
  };
  const selected = pick(flow.columns, "COLUMNS", source);
  const columns = source.filter((c) => keys.includes(c) || selected.includes(c));
  const values = columns.filter((c) => !keys.includes(c));
  const tracked = pick(flow.trackHistory, "TRACK HISTORY ON", values);
  const ignoreNull = new Set(
    flow.ignoreNullUpdates === undefined
      ? []
      : flow.ignoreNullUpdates === "all"
      ? values
      : pick(flow.ignoreNullUpdates, "IGNORE NULL UPDATES ON", values),
  );
  for (const c of columns) {
    if (c.startsWith("__")) fail(`column ${c}: names starting with __ are reserved for AUTO CDC`);
  }

  const q = (c: string) => ident(c);
  const keyList = keys.map(q).join(", ");
  const seq = sequenceSql(flow.sequenceBy, expr);
  const del = flow.deleteWhen
    ? `coalesce((${expr(flow.deleteWhen, "APPLY AS DELETE WHEN")}), false)`
    : "false";
  const trunc = flow.truncateWhen
    ? `coalesce((${expr(flow.truncateWhen, "APPLY AS TRUNCATE WHEN")}), false)`
    : "false";

  // 1. This batch's events.
  try {
    await conn.run(
      `CREATE OR REPLACE TEMP VIEW __cdc_new AS SELECT ${
        columns.map(q).join(", ")
      }, ${seq} AS __seq, ${del} AS __del, ${trunc} AS __trunc FROM ${batch}`,
    );
  } catch (e) {
    fail(`DuckDB rejected the flow's expressions: ${duckMessage(e)}`);
  }
  const [chk] = await query(
    conn,
    `SELECT count(*) AS n, count(*) FILTER (WHERE __seq IS NULL) AS noseq,
       count(*) FILTER (WHERE NOT __trunc AND (${
      keys.map((k) => `${q(k)} IS NULL`).join(" OR ")
    })) AS nokey, bool_or(__trunc) AS trunc FROM __cdc_new`,
  );
  const events = Number(chk.n);
  if (Number(chk.noseq)) fail(`${chk.noseq} change event(s) have a NULL SEQUENCE BY value`);
  if (Number(chk.nokey)) fail(`${chk.nokey} change event(s) have a NULL key (${keys.join(", ")})`);
  const truncated = chk.trunc === true;

  // 2. The retained events, and the keys to recompute.
  const state = ident(cdcStateTable(d.name));
  const stateExists = await tableExists(conn, cdcStateTable(d.name));
  if (!stateExists) await conn.run(`CREATE TABLE ${state} AS SELECT * FROM __cdc_new LIMIT 0`);
  else await widen(conn, state, await describeColumns(conn, "__cdc_new"));
  const targetExists = await relationExists(conn, d);
  const all = truncated;
  const retained = stateExists ? await count(conn, `SELECT count(*) FROM ${state}`) : 0;
  let events_ = "__cdc_new";
  if (retained > 0) {
    if (!all) {
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE __cdc_keys AS SELECT DISTINCT ${keyList} FROM __cdc_new
         WHERE NOT __trunc`,
      );
    }
    const old = all
      ? `SELECT * FROM ${state}`
      : `SELECT * FROM ${state} SEMI JOIN __cdc_keys USING (${keyList})
         UNION ALL BY NAME SELECT * FROM ${state} WHERE __trunc`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE __cdc_ev AS
      ${old} UNION ALL BY NAME SELECT * FROM __cdc_new`);
    events_ = "__cdc_ev";
  }
  const t = retained > 0
    ? await count(conn, `SELECT count(*) FROM ${events_} WHERE __trunc`) > 0
    : truncated;
  const cut = t ? `AND __seq > (SELECT max(__seq) FROM ${events_} WHERE __trunc)` : "";

  // 3. Recompute the touched keys: their target rows, and the events to retain. Identical
  // duplicate events count once; different events at one sequence value are an error.
  const live = (ev: string) => `(SELECT * FROM ${ev} WHERE NOT __trunc ${cut})`;
  const target = relation(d);
  const direct = !targetExists && !d.columns.length; // a new table: written in one statement
  const rowsTable = direct ? target : "__cdc_rows";
  const materialize = async (rows: string) => {
    if (direct) {
      await ensureSchema(conn, d);
      await conn.run(`CREATE OR REPLACE TABLE ${target} AS ${rows}`);
    } else await conn.run(`CREATE OR REPLACE TEMP TABLE __cdc_rows AS ${rows}`);
  };
  const tieError = async (ev: string): Promise<never> => {
    const [x] = await query(
      conn,
      `SELECT ${keyList}, __seq::VARCHAR AS __s FROM ${live(ev)}
       GROUP BY ALL HAVING count(*) > 1 LIMIT 1`,
    );
    return fail(
      `different change events for key (${
        keys.map((k) => `${k} = ${JSON.stringify(x[k], bigintJson)}`).join(", ")
      }) at the same sequence value ${x.__s}; SEQUENCE BY must order them`,
    );
  };
  const dedupe = async (ev: string): Promise<string> => {
    await conn.run(`CREATE OR REPLACE TEMP TABLE __cdc_dedup AS SELECT DISTINCT * FROM ${ev}`);
    return "__cdc_dedup";
  };
  let keep: string;
  if (flow.scdType === 1 && ignoreNull.size === 0) {
    // SCD 1: the latest event per key (a delete kept as a tombstone).
    const latest = async (ev: string): Promise<boolean> => {
      await conn.run(`CREATE OR REPLACE TEMP TABLE __cdc_keep AS SELECT * FROM ${live(ev)}
        QUALIFY row_number() OVER (PARTITION BY ${keyList} ORDER BY __seq DESC, __del DESC) = 1`);
      // A tie: more events are at their key's latest sequence value than there are keys.
      const atLatest = await count(
        conn,
        `SELECT count(*) FROM ${live(ev)} __e JOIN __cdc_keep __k USING (${keyList})
         WHERE __e.__seq = __k.__seq`,
      );
      return atLatest > await count(conn, "SELECT count(*) FROM __cdc_keep");
    };
    if (await latest(events_) && await latest(await dedupe(events_))) await tieError("__cdc_dedup");
    await materialize(`SELECT ${columns.map(q).join(", ")} FROM __cdc_keep WHERE NOT __del`);
    keep = "__cdc_keep";
  } else if (flow.scdType === 1) {
    // IGNORE NULL UPDATES: the events since each key's last delete; a null keeps the value before.
    let ev = events_;
    const ties = async (e: string) =>
      await count(
        conn,
        `SELECT count(*) FROM (SELECT 1 FROM ${live(e)} GROUP BY ${keyList}, __seq
         HAVING count(*) > 1)`,
      ) > 0;
    if (await ties(ev) && await ties(ev = await dedupe(ev))) await tieError(ev);
    await conn.run(`CREATE OR REPLACE TEMP TABLE __cdc_keep AS
      SELECT * EXCLUDE (__last_del) FROM (
        SELECT *, max(CASE WHEN __del THEN __seq END) OVER (PARTITION BY ${keyList}) AS __last_del
        FROM ${live(ev)}) WHERE __last_del IS NULL OR __seq >= __last_del`);
    const agg = columns.map((c) =>
      keys.includes(c)
        ? q(c)
        : `${ignoreNull.has(c) ? "arg_max" : "arg_max_null"}(${q(c)}, __seq) AS ${q(c)}`
    );
    await materialize(`SELECT ${agg.join(", ")} FROM __cdc_keep WHERE NOT __del
        AND NOT EXISTS (SELECT 1 FROM __cdc_keep __d WHERE __d.__del AND ${
      keys.map((k) => `__d.${q(k)} = __cdc_keep.${q(k)}`).join(" AND ")
    } AND __d.__seq >= __cdc_keep.__seq)
      GROUP BY ${keyList}`);
    keep = "__cdc_keep";
  } else {
    // SCD type 2: versions open when a tracked column changes (or after a delete). Ties show
    // as an event whose next event has the same sequence value (__tie), checked after writing.
    const versions = (ev: string) => {
      let evs = live(ev);
      if (ignoreNull.size) {
        evs = `(SELECT * REPLACE (${
          [...ignoreNull].map((c) =>
            `last_value(${q(c)} IGNORE NULLS) OVER (PARTITION BY ${keyList}, __seg ORDER BY __seq
             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ${q(c)}`
          ).join(", ")
        }) FROM (SELECT *, coalesce(sum(__del::INT) OVER (PARTITION BY ${keyList} ORDER BY __seq
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS __seg FROM ${live(ev)}))`;
      }
      const tr = tracked.length ? `row(${tracked.map(q).join(", ")})` : "NULL";
      return `WITH a AS (
          SELECT *, lag(__del) OVER w AS __pdel, lag(${tr}) OVER w AS __ptr,
            lead(__seq) OVER w AS __next
          FROM ${evs} WINDOW w AS (PARTITION BY ${keyList} ORDER BY __seq)),
        b AS (
          SELECT *, sum(CASE WHEN __del THEN 0 WHEN __pdel IS NULL OR __pdel
              OR ${tr} IS DISTINCT FROM __ptr THEN 1 ELSE 0 END)
            OVER (PARTITION BY ${keyList} ORDER BY __seq
              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS __ver
          FROM a)
        SELECT ${
        [
          ...columns.map((c) =>
            keys.includes(c)
              ? q(c)
              : `arg_max_null(${q(c)}, __seq) FILTER (WHERE NOT __del) AS ${q(c)}`
          ),
          "min(__seq) FILTER (WHERE NOT __del) AS __START_AT",
          "arg_max_null(__next, __seq) FILTER (WHERE NOT __del) AS __END_AT",
          "coalesce(bool_or(__next = __seq), false) AS __tie",
        ].join(", ")
      }
        FROM b GROUP BY ${keyList}, __ver
        HAVING count(*) FILTER (WHERE NOT __del) > 0 OR bool_or(__next = __seq)`;
    };
    const tied = async (ev: string) => {
      await materialize(versions(ev));
      return await count(conn, `SELECT count(*) FROM ${rowsTable} WHERE __tie`) > 0;
    };
    let ev = events_;
    if (await tied(ev) && await tied(ev = await dedupe(ev))) await tieError(ev);
    await conn.run(`ALTER TABLE ${rowsTable} DROP COLUMN __tie`);
    keep = live(ev);
  }

  // 4. Write: the touched keys' rows replace theirs; the retained events replace theirs.
  const batchKeys = retained > 0 && !all
    ? await count(conn, "SELECT count(*) FROM __cdc_keys")
    : flow.scdType === 1 && ignoreNull.size === 0 && !t
    ? await count(conn, "SELECT count(*) FROM __cdc_keep") // one row per key of the batch
    : await count(
      conn,
      `SELECT count(*) FROM (SELECT DISTINCT ${keyList} FROM __cdc_new WHERE NOT __trunc)`,
    );
  const knownKeys = targetExists && !all
    ? await count(
      conn,
      `SELECT count(*) FROM (SELECT DISTINCT ${keyList} FROM ${target} SEMI JOIN ${
        retained > 0 ? "__cdc_keys" : "__cdc_new"
      } USING (${keyList}))`,
    )
    : 0;
  let rowsWritten: number;
  if (direct) rowsWritten = await count(conn, `SELECT count(*) FROM ${target}`);
  else {
    if (!targetExists) await declare();
    else await widen(conn, target, await describeColumns(conn, "__cdc_rows"));
    if (retained > 0) {
      if (all) await conn.run(`DELETE FROM ${target}`);
      else {
        await conn.run(
          `DELETE FROM ${target} USING __cdc_keys WHERE ${
            keys.map((k) => `${target}.${q(k)} = __cdc_keys.${q(k)}`).join(" AND ")
          }`,
        );
      }
    }
    rowsWritten = await count(conn, `INSERT INTO ${target} BY NAME SELECT * FROM __cdc_rows`);
  }
  if (retained > 0) {
    if (all) await conn.run(`DELETE FROM ${state}`);
    else {
      await conn.run(
        `DELETE FROM ${state} USING __cdc_keys WHERE ${
          keys.map((k) => `${state}.${q(k)} = __cdc_keys.${q(k)}`).join(" AND ")
        }`,
      );
    }
  }
  await conn.run(`DELETE FROM ${state} WHERE __trunc`);
  await conn.run(`INSERT INTO ${state} BY NAME SELECT * FROM ${keep}`);
  if (t) {
    await conn.run(`INSERT INTO ${state} BY NAME SELECT * FROM ${events_} WHERE __trunc
      ORDER BY __seq DESC LIMIT 1`);
  }
  await conn.run("DROP VIEW IF EXISTS __cdc_new");
  for (const tmp of ["__cdc_keys", "__cdc_ev", "__cdc_keep", "__cdc_rows", "__cdc_dedup"]) {
    await conn.run(`DROP TABLE IF EXISTS ${tmp}`);
  }
  return { rowsWritten, events, rowsDuplicate: events - (batchKeys - knownKeys) };
}

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? String(v) : v;
}

/** SEQUENCE BY as DuckDB SQL: a column or expression, or `struct(a, b)` ordered field by field. */
function sequenceSql(toks: Token[], expr: (t: Token[], what: string) => string): string {
  const sig = toks.filter(significant);
  if (isWord(sig[0], "struct") && sig[1]?.text === "(" && sig.at(-1)?.text === ")") {
    const fields = splitTopLevel(sig.slice(2, -1)).map((arg, k) => {
      const as = arg.findIndex((t) => isWord(t, "as"));
      const value = as < 0 ? arg : arg.slice(0, as);
      const last = as < 0 ? arg.at(-1)! : arg[as + 1];
      const name = as >= 0 || (last.kind === "word" || last.kind === "backtick")
        ? last.value
        : `col${k + 1}`;
      return `${ident(name)} := ${expr(value, "SEQUENCE BY")}`;
    });
    return `struct_pack(${fields.join(", ")})`;
  }
  return `(${expr(sig, "SEQUENCE BY")})`;
}
