/**
 * AUTO CDC: 1M change events (200k keys, inserts, updates and 10% deletes, arriving out of
 * order) applied by the engine as SCD 1 and SCD 2, beside hand-written DuckDB window queries
 * over the same events that give the same tables (checked row for row). Target: engine ≤ 1.5×
 * hand-written (medians of `CDC_BENCH_ROUNDS` rounds, default 5, engine and hand-written
 * interleaved; each engine round is a full refresh of the two CDC tables). Also: the same events
 * as 10 incremental updates (engine only), which must give the same tables.
 *
 * `deno task bench cdc`; `CDC_BENCH_ROWS` sets the number of events (default 1,000,000).
 */
import { join } from "node:path";
import { query, withDb } from "../lib/db.ts";
import { parsePipeline, runUpdate } from "../lib/dataflow/mod.ts";
import { report, timed } from "./util.ts";

const ROWS = Number(Deno.env.get("CDC_BENCH_ROWS") ?? 1_000_000);
const KEYS = Math.max(1, Math.floor(ROWS / 5));
const FILES = 10;
const ROUNDS = Number(Deno.env.get("CDC_BENCH_ROUNDS") ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const PIPELINE = `CREATE OR REFRESH STREAMING TABLE changes AS
  SELECT userId, name, city, op, seq FROM STREAM read_files('changes', format => 'json',
    schemaHints => 'userId BIGINT, name STRING, city STRING, op STRING, seq BIGINT');
CREATE OR REFRESH STREAMING TABLE users;
CREATE FLOW users_cdc AS AUTO CDC INTO users FROM STREAM(changes) KEYS (userId)
  APPLY AS DELETE WHEN op = 'DELETE' SEQUENCE BY seq COLUMNS * EXCEPT (op)
  STORED AS SCD TYPE 1;
CREATE OR REFRESH STREAMING TABLE users_history;
CREATE FLOW users_history_cdc AS AUTO CDC INTO users_history FROM STREAM(changes) KEYS (userId)
  APPLY AS DELETE WHEN op = 'DELETE' SEQUENCE BY seq COLUMNS * EXCEPT (op, seq)
  STORED AS SCD TYPE 2;`;

/** SCD 1 by hand: the latest event per key, unless it is a delete. */
const HAND_SCD1 = `CREATE TABLE hand_scd1 AS SELECT userId, name, city, seq FROM (
  SELECT * FROM changes QUALIFY row_number() OVER (PARTITION BY userId ORDER BY seq DESC) = 1)
  WHERE op <> 'DELETE'`;

/** SCD 2 by hand: a version per run of events with the same values, ended by the next one. */
const HAND_SCD2 = `CREATE TABLE hand_scd2 AS
  WITH a AS (
    SELECT *, op = 'DELETE' AS del, lag(op = 'DELETE') OVER w AS pdel,
      lag(row(name, city)) OVER w AS prev, lead(seq) OVER w AS nxt
    FROM changes WINDOW w AS (PARTITION BY userId ORDER BY seq)),
  b AS (
    SELECT *, sum(CASE WHEN del THEN 0 WHEN pdel IS NULL OR pdel
        OR row(name, city) IS DISTINCT FROM prev THEN 1 ELSE 0 END)
      OVER (PARTITION BY userId ORDER BY seq ROWS UNBOUNDED PRECEDING) AS ver
    FROM a)
  SELECT userId, arg_max_null(name, seq) FILTER (WHERE NOT del) AS name,
    arg_max_null(city, seq) FILTER (WHERE NOT del) AS city,
    min(seq) FILTER (WHERE NOT del) AS __START_AT,
    arg_max_null(nxt, seq) FILTER (WHERE NOT del) AS __END_AT
  FROM b GROUP BY userId, ver HAVING count(*) FILTER (WHERE NOT del) > 0`;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function writeChanges(lake: string): Promise<void> {
  const r = rng(42);
  const cities = ["Oaxaca", "Monterrey", "Tijuana", "Cancun", "Puebla", "Leon", "Merida"];
  await Deno.mkdir(join(lake, "changes"), { recursive: true });
  const per = Math.ceil(ROWS / FILES);
  for (let f = 0; f < FILES; f++) {
    const lines: string[] = [];
    for (let i = f * per; i < Math.min(ROWS, (f + 1) * per); i++) {
      // Sequence values are unique but arrive out of order (shuffled within ±5% of the feed).
      const seq = i + Math.floor(r() * ROWS * 0.05);
      const userId = Math.floor(r() * KEYS);
      const del = r() < 0.1;
      lines.push(JSON.stringify({
        userId,
        name: del ? null : `user ${userId}`,
        city: del ? null : cities[Math.floor(r() * cities.length)],
        op: del ? "DELETE" : "UPSERT",
        seq: seq * ROWS + i,
      }));
    }
    await Deno.writeTextFile(
      join(lake, "changes", `${String(f).padStart(3, "0")}.json`),
      lines.join("\n") + "\n",
    );
  }
}

const dir = await Deno.makeTempDir({ prefix: "tweetlake-cdc-bench-" });
try {
  const lake = join(dir, "lake");
  await writeChanges(lake);
  const pipeline = parsePipeline(PIPELINE, "cdc_bench.sql");

  // One update with every event; then, ROUNDS times, a full refresh of the two CDC tables
  // (they read all 1M events again) and the hand-written queries, interleaved; medians reported.
  const db = join(dir, "one.duckdb");
  await runUpdate({ pipeline, lake, db });
  const engine1: number[] = [];
  const engine2: number[] = [];
  const hand1: number[] = [];
  const hand2: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const r = await runUpdate({ pipeline, lake, db, fullRefresh: ["users", "users_history"] });
    engine1.push(r.datasets.find((d) => d.name === "users")!.seconds);
    engine2.push(r.datasets.find((d) => d.name === "users_history")!.seconds);
    await withDb(db, async (conn) => {
      await conn.run("DROP TABLE IF EXISTS hand_scd1; DROP TABLE IF EXISTS hand_scd2");
      hand1.push((await timed(() => conn.run(HAND_SCD1))).seconds);
      hand2.push((await timed(() => conn.run(HAND_SCD2))).seconds);
    });
  }
  const hand = await withDb(db, async (conn) => {
    const diff = async (a: string, b: string) => {
      const [{ n }] = await query(
        conn,
        `SELECT (SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})) +
           (SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a})) AS n`,
      );
      return Number(n);
    };
    const d1 = await diff("users", "hand_scd1");
    const d2 = await diff(
      "users_history",
      "(SELECT userId, name, city, __START_AT, __END_AT FROM hand_scd2)",
    );
    if (d1 || d2) throw new Error(`engine and hand-written tables differ (${d1}, ${d2} rows)`);
    const [{ r1, r2 }] = await query(
      conn,
      "SELECT (SELECT count(*) FROM users) AS r1, (SELECT count(*) FROM users_history) AS r2",
    );
    return { rows1: Number(r1), rows2: Number(r2) };
  });

  // The same events, one file per update.
  const inc = join(dir, "inc.duckdb");
  const incLake = join(dir, "inc-lake");
  await Deno.mkdir(join(incLake, "changes"), { recursive: true });
  let inc1 = 0;
  let inc2 = 0;
  for (let f = 0; f < FILES; f++) {
    const name = `${String(f).padStart(3, "0")}.json`;
    await Deno.copyFile(join(lake, "changes", name), join(incLake, "changes", name));
    const r = await runUpdate({ pipeline, lake: incLake, db: inc });
    inc1 += r.datasets.find((d) => d.name === "users")!.seconds;
    inc2 += r.datasets.find((d) => d.name === "users_history")!.seconds;
  }
  const same = await withDb(inc, async (conn) => {
    await conn.run(`ATTACH '${db}' AS one (READ_ONLY)`);
    const [{ n }] = await query(
      conn,
      `SELECT (SELECT count(*) FROM (SELECT * FROM users EXCEPT ALL SELECT * FROM one.users)) +
         (SELECT count(*) FROM (SELECT * FROM users_history
           EXCEPT ALL SELECT * FROM one.users_history)) AS n`,
    );
    return Number(n) === 0;
  });
  if (!same) throw new Error("10 incremental updates gave other tables than one update");

  for (
    const [scd, engine, handSecs, rows, incSecs] of [
      ["SCD 1", median(engine1), median(hand1), hand.rows1, inc1],
      ["SCD 2", median(engine2), median(hand2), hand.rows2, inc2],
    ] as const
  ) {
    report("cdc", {
      scd,
      events: ROWS,
      keys: KEYS,
      rows,
      engine_s: Number(engine.toFixed(3)),
      hand_s: Number(handSecs.toFixed(3)),
      ratio: Number((engine / handSecs).toFixed(2)),
      rounds: ROUNDS,
      incremental_10_updates_s: Number(incSecs.toFixed(3)),
      same_tables: true,
    });
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
