/**
 * Joins in streaming tables: a stream-static join sees the static side as of each update; a
 * stream-stream join finds matches whose sides arrive in different updates (each once); forms
 * that can't be kept right are errors; and stream reads Databricks refuses (STREAM() of a
 * materialized view or an AUTO CDC target, a streaming table without a streaming input) are
 * refused here too, with advice that doesn't duplicate rows when followed.
 */
import assert from "node:assert/strict";
import { query, withDb } from "../lib/db.ts";
import { parsePipeline, runUpdate, UpdateError } from "../lib/dataflow/mod.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

async function rows(db: string, sql: string): Promise<unknown[][]> {
  return await withDb(
    db,
    async (conn) =>
      (await query(conn, sql)).map((r) =>
        Object.values(r).map((v) => typeof v === "bigint" ? Number(v) : v)
      ),
  );
}

const json = (...objs: Record<string, unknown>[]) =>
  objs.map((o) => JSON.stringify(o) + "\n").join("");

Deno.test("joins: a stream-static join sees the static side as it is in each update", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      `CREATE OR REFRESH STREAMING TABLE orders AS SELECT * FROM STREAM read_files('orders',
         format => 'json', schemaHints => 'id BIGINT, cust BIGINT');
       CREATE OR REFRESH MATERIALIZED VIEW customers AS SELECT * FROM read_files('customers',
         format => 'json', schemaHints => 'cust BIGINT, name STRING');
       CREATE OR REFRESH STREAMING TABLE enriched AS SELECT o.id, c.name
         FROM STREAM(LIVE.orders) o LEFT JOIN LIVE.customers c ON o.cust = c.cust;`,
      "static.sql",
    );
    await writeLakeFile(ws.lake, "orders/1.json", json({ id: 1, cust: 10 }));
    await writeLakeFile(ws.lake, "customers/1.json", json({ cust: 10, name: "ann" }));
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    await writeLakeFile(ws.lake, "orders/2.json", json({ id: 2, cust: 11 }, { id: 3, cust: 12 }));
    await writeLakeFile(ws.lake, "customers/2.json", json({ cust: 11, name: "bob" }));
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    // A customer that arrives later does not rewrite rows already written (as on Databricks).
    await writeLakeFile(ws.lake, "customers/3.json", json({ cust: 12, name: "cy" }));
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(await rows(ws.db, "SELECT * FROM enriched ORDER BY id"), [
      [1, "ann"],
      [2, "bob"],
      [3, null],
    ]);
  } finally {
    await ws.remove();
  }
});

const STREAMS =
  `CREATE OR REFRESH STREAMING TABLE clicks AS SELECT * FROM STREAM read_files('clicks',
    format => 'json', schemaHints => 'id BIGINT, ad BIGINT');
  CREATE OR REFRESH STREAMING TABLE impressions AS SELECT * FROM STREAM read_files('impressions',
    format => 'json', schemaHints => 'ad BIGINT, title STRING');
`;

Deno.test("joins: a stream-stream join matches sides that arrive in different updates, once", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      STREAMS + `CREATE OR REFRESH STREAMING TABLE matched AS SELECT c.id, i.title
        FROM STREAM(LIVE.clicks) c JOIN STREAM(LIVE.impressions) i ON c.ad = i.ad;`,
      "streams.sql",
    );
    const step = async (n: number, clicks: unknown[][], impressions: unknown[][]) => {
      if (clicks.length) {
        await writeLakeFile(
          ws.lake,
          `clicks/${n}.json`,
          json(...clicks.map(([id, ad]) => ({ id, ad }))),
        );
      }
      if (impressions.length) {
        await writeLakeFile(
          ws.lake,
          `impressions/${n}.json`,
          json(...impressions.map(([ad, title]) => ({ ad, title }))),
        );
      }
      await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    };
    await step(1, [[1, 100], [9, 900]], []);
    await step(2, [[2, 100]], [[100, "A"]]);
    await step(3, [[3, 100]], [[100, "B"], [900, "Z"]]);
    await step(4, [], []);
    const expected = [
      [1, "A"],
      [1, "B"],
      [2, "A"],
      [2, "B"],
      [3, "A"],
      [3, "B"],
      [9, "Z"],
    ];
    const sql = "SELECT id, title FROM matched ORDER BY id, title";
    assert.deepEqual(await rows(ws.db, sql), expected);
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db, fullRefresh: true });
    assert.deepEqual(await rows(ws.db, sql), expected, "a full refresh gives the same rows");
  } finally {
    await ws.remove();
  }
});

Deno.test("joins: a stream-stream outer join is a clear error, never dropped rows", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      STREAMS + `CREATE OR REFRESH STREAMING TABLE matched AS SELECT c.id, i.title
        FROM STREAM(LIVE.clicks) c LEFT JOIN STREAM(LIVE.impressions) i ON c.ad = i.ad;`,
      "outer.sql",
    );
    await writeLakeFile(ws.lake, "clicks/1.json", json({ id: 1, ad: 100 }));
    const e = await runUpdate({ pipeline, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.ok(e instanceof UpdateError);
    assert.match(
      e.message,
      /outer\.sql:5: dataset matched: a stream-stream join of type LEFT .*not supported/,
    );
  } finally {
    await ws.remove();
  }
});

Deno.test("joins: a stream-stream join inside a view read as a stream is a clear error, never dropped matches", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      STREAMS + `CREATE TEMPORARY VIEW pairs AS SELECT c.id, i.title
        FROM STREAM(LIVE.clicks) c JOIN STREAM(LIVE.impressions) i ON c.ad = i.ad;
      CREATE OR REFRESH STREAMING TABLE matched AS SELECT * FROM STREAM(pairs);`,
      "view.sql",
    );
    await writeLakeFile(ws.lake, "clicks/1.json", json({ id: 1, ad: 100 }));
    await writeLakeFile(ws.lake, "impressions/1.json", json({ ad: 200, title: "other" }));
    const e = await runUpdate({ pipeline, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.ok(e instanceof UpdateError, String(e));
    assert.match(e.message, /view\.sql:\d+: dataset matched: a stream-stream join .*not supported/);
  } finally {
    await ws.remove();
  }
});

Deno.test("joins: STREAM() of a materialized view is refused, and the advice given doesn't double rows", async () => {
  const ws = await workspace();
  try {
    const base = `CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT * FROM read_files('m',
        format => 'json', schemaHints => 'x BIGINT');\n`;
    await writeLakeFile(ws.lake, "m/1.json", json({ x: 1 }, { x: 2 }));
    const streamed = parsePipeline(
      base + "CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM(LIVE.m);",
      "advice.sql",
    );
    const e = await runUpdate({ pipeline: streamed, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.match(
      e.message,
      /advice\.sql:3: dataset s: STREAM\(m\) reads a dataset that is recomputed.*Make s a MATERIALIZED VIEW that reads LIVE\.m/,
    );
    // What today's users wrote after the old advice ("read it as LIVE.m"): refused, since each
    // update would append all of m again.
    const batch = parsePipeline(
      base + "CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM LIVE.m;",
      "advice.sql",
    );
    const e2 = await runUpdate({ pipeline: batch, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.match(e2.message, /a streaming table needs a streaming input.*MATERIALIZED VIEW/);
    // The advice followed: a materialized view, recomputed, never doubled.
    const mv = parsePipeline(
      base + "CREATE OR REFRESH MATERIALIZED VIEW s AS SELECT * FROM LIVE.m;",
      "advice.sql",
    );
    await runUpdate({ pipeline: mv, lake: ws.lake, db: ws.db });
    await runUpdate({ pipeline: mv, lake: ws.lake, db: ws.db });
    assert.deepEqual(await rows(ws.db, "SELECT x FROM s ORDER BY x"), [[1], [2]]);
  } finally {
    await ws.remove();
  }
});

Deno.test("joins: STREAM() of an AUTO CDC target is refused (its rows are rewritten)", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      STREAMS + `CREATE OR REFRESH STREAMING TABLE latest;
        APPLY CHANGES INTO latest FROM STREAM(clicks) KEYS (ad) SEQUENCE BY id;
        CREATE OR REFRESH STREAMING TABLE copy AS SELECT * FROM STREAM(latest);`,
      "cdc.sql",
    );
    await writeLakeFile(ws.lake, "clicks/1.json", json({ id: 1, ad: 100 }));
    const e = await runUpdate({ pipeline, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.match(
      e.message,
      /cdc\.sql:7: dataset copy: STREAM\(latest\) reads the target of an AUTO CDC flow/,
    );
  } finally {
    await ws.remove();
  }
});
