/**
 * Reading outside the pipeline: tables mapped in the settings to local files,
 * tables already in the DuckDB file (read incrementally by STREAM), a missing
 * table named with how to map it, and direct file queries (json, csv, parquet,
 * text, and a Delta table built here by hand: JSON commits, a Parquet checkpoint,
 * Parquet data files written by DuckDB). Each pipeline runs twice.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { query, withDb } from "../lib/db.ts";
import {
  lineage,
  lineageText,
  parsePipeline,
  runUpdate,
  UpdateError,
} from "../lib/dataflow/mod.ts";
import { deltaSnapshot } from "../lib/dataflow/sources/delta.ts";
import { tableMapping } from "../lib/dataflow/settings.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

Deno.test("external tables: a settings mapping, a table in the DuckDB file, and a missing one", async () => {
  const ws = await workspace();
  try {
    const trips = join(ws.dir, "data/trips.parquet");
    await writeLakeFile(ws.dir, "data/zones/a.json", '{"zone": 1, "name": "Midtown"}\n');
    await withDb(":memory:", (conn) =>
      conn.run(
        `COPY (SELECT * FROM (VALUES (1, 10.5), (1, 4.5), (2, 3.0)) t(zone, fare)) TO '${trips}'`,
      ));
    await withDb(ws.db, async (conn) => {
      await conn.run("CREATE SCHEMA crm");
      await conn.run("CREATE TABLE crm.customers AS SELECT 1 AS id, 'ann' AS name");
    });
    const pipeline = parsePipeline(
      `CREATE OR REFRESH MATERIALIZED VIEW fares AS
SELECT z.name, sum(t.fare) AS total
FROM samples.nyctaxi.trips t JOIN zones z ON t.zone = z.zone GROUP BY z.name;

CREATE OR REFRESH STREAMING TABLE customers_copy AS
SELECT * FROM STREAM(main.crm.customers);`,
      "ext.sql",
      {
        tables: [
          tableMapping("samples.nyctaxi.trips", trips, "settings.yml", ws.dir),
          tableMapping("zones", "json:data/zones", "settings.yml", ws.dir),
        ],
      },
    );
    assert.match(
      lineageText(lineage(pipeline)),
      /fares \[materialized view\]\s+◄── samples\.nyctaxi\.trips \(parquet files outside the pipeline\), zones \(json files outside the pipeline\)/,
    );
    const first = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(first.datasets.map((d) => [d.name, d.rowsWritten]), [
      ["fares", 1],
      ["customers_copy", 1],
    ]);
    await withDb(ws.db, (conn) => conn.run("INSERT INTO crm.customers VALUES (2, 'bo')"));
    const second = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(second.datasets.map((d) => [d.name, d.rowsWritten]), [
      ["fares", 1],
      ["customers_copy", 1], // only the new row
    ]);
    const rows = () =>
      withDb(ws.db, async (conn) => ({
        fares: await query(conn, "SELECT name, total FROM fares"),
        copy: await query(conn, "SELECT id, name FROM customers_copy ORDER BY id"),
      }));
    const before = await rows();
    assert.deepEqual(before, {
      fares: [{ name: "Midtown", total: 15 }],
      copy: [{ id: 1, name: "ann" }, { id: 2, name: "bo" }],
    });
    const third = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.equal(third.datasets[1].rowsWritten, 0);
    assert.deepEqual(await rows(), before);

    const missing = parsePipeline(
      "CREATE MATERIALIZED VIEW m AS\nSELECT * FROM samples.tpch.orders",
      "missing.sql",
    );
    const e = await runUpdate({ pipeline: missing, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.ok(e instanceof UpdateError);
    assert.match(
      e.message,
      /missing\.sql:2: dataset m: table samples\.tpch\.orders is not defined in this pipeline and not found locally; map it .*tweetlake\.table\.samples\.tpch\.orders/,
    );
  } finally {
    await ws.remove();
  }
});

/** Builds a Delta table by hand: 3 commits, a checkpoint at version 1, and a remove. */
async function deltaTable(root: string): Promise<void> {
  const log = join(root, "_delta_log");
  await Deno.mkdir(log, { recursive: true });
  await withDb(":memory:", async (conn) => {
    for (
      const [f, ids] of [["part-0.parquet", "1, 2"], ["part-1.parquet", "3"], [
        "part-2.parquet",
        "4, 5",
      ]]
    ) {
      await conn.run(
        `COPY (SELECT unnest([${ids}]) AS id, 'v' || unnest([${ids}]) AS v) TO '${join(root, f)}'`,
      );
    }
    // Checkpoint at version 1: the adds of commits 0 and 1.
    await conn.run(
      `COPY (SELECT * FROM (VALUES ({'path': 'part-0.parquet', 'size': 1}), ({'path': 'part-1.parquet', 'size': 1})) t(add))
       TO '${join(log, "00000000000000000001.checkpoint.parquet")}'`,
    );
  });
  const commit = (v: number, actions: unknown[]) =>
    Deno.writeTextFile(
      join(log, `${String(v).padStart(20, "0")}.json`),
      actions.map((a) => JSON.stringify(a)).join("\n") + "\n",
    );
  await commit(0, [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: "t",
        format: { provider: "parquet" },
        partitionColumns: [],
        configuration: {},
      },
    },
    { add: { path: "part-0.parquet", size: 1, dataChange: true } },
  ]);
  await commit(1, [{ add: { path: "part-1.parquet", size: 1, dataChange: true } }]);
  // A commit 0 that lies: the checkpoint must win over commits at or below its version.
  await Deno.writeTextFile(join(log, "_last_checkpoint"), JSON.stringify({ version: 1, size: 2 }));
  await commit(2, [
    { remove: { path: "part-0.parquet", dataChange: true } },
    { add: { path: "part-2.parquet", size: 1, dataChange: true } },
  ]);
  // A file nobody added (e.g. a failed writer's leftovers) is not part of the table.
  await Deno.writeTextFile(join(root, "part-9.parquet"), "not parquet");
}

Deno.test("direct file queries: json, csv, parquet, text and a Delta table replayed from its log", async () => {
  const ws = await workspace();
  try {
    const d = (p: string) => join(ws.dir, p);
    await writeLakeFile(ws.dir, "j/1.json", '{"a": 1}\n{"a": 2}\n');
    await writeLakeFile(ws.dir, "j/_ignored.json", '{"a": 99}\n');
    await writeLakeFile(ws.dir, "c.csv", "x,y\n1,2\n");
    await writeLakeFile(ws.dir, "t.txt", "first line\nsecond line\n");
    await withDb(":memory:", (conn) => conn.run(`COPY (SELECT 7 AS p) TO '${d("p.parquet")}'`));
    await deltaTable(d("delta"));
    const snap = await withDb(":memory:", (conn) => deltaSnapshot(conn, d("delta")));
    assert.equal(snap.version, 2);
    assert.deepEqual(snap.files.map((f) => f.slice(f.lastIndexOf("/") + 1)), [
      "part-1.parquet",
      "part-2.parquet",
    ]);
    const pipeline = parsePipeline(
      `CREATE MATERIALIZED VIEW j AS SELECT sum(a) AS s FROM json.\`${d("j")}\`;
CREATE MATERIALIZED VIEW c AS SELECT _c0, _c1 FROM csv.\`${d("c.csv")}\`;
CREATE MATERIALIZED VIEW p AS SELECT p FROM parquet.\`${d("p.parquet")}\`;
CREATE MATERIALIZED VIEW t AS SELECT value FROM text.\`${d("t.txt")}\`;
CREATE MATERIALIZED VIEW dl AS SELECT id, v FROM delta.\`${d("delta")}\`;
CREATE OR REFRESH STREAMING TABLE dl_stream AS SELECT id FROM STREAM(delta.\`${d("delta")}\`);`,
      "files.sql",
    );
    const read = () =>
      withDb(ws.db, async (conn) => ({
        j: await query(conn, "SELECT s FROM j"),
        c: await query(conn, "SELECT * FROM c"),
        p: await query(conn, "SELECT * FROM p"),
        t: await query(conn, "SELECT value FROM t ORDER BY value"),
        dl: await query(conn, "SELECT id, v FROM dl ORDER BY id"),
        stream: await query(conn, "SELECT id FROM dl_stream ORDER BY id"),
      }));
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    const first = await read();
    assert.deepEqual(first, {
      j: [{ s: 3 }],
      c: [{ _c0: "x", _c1: "y" }, { _c0: "1", _c1: "2" }],
      p: [{ p: 7 }],
      t: [{ value: "first line" }, { value: "second line" }],
      dl: [{ id: 3, v: "v3" }, { id: 4, v: "v4" }, { id: 5, v: "v5" }],
      stream: [{ id: 3 }, { id: 4 }, { id: 5 }],
    });
    const second = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.equal(second.datasets.find((x) => x.name === "dl_stream")!.rowsWritten, 0);
    assert.deepEqual(await read(), first);
  } finally {
    await ws.remove();
  }
});
