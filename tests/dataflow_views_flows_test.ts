/**
 * Views and flows: a temporary view over `STREAM(...)` read incrementally by the
 * streaming table downstream, a batch view, and several append flows into one
 * streaming table declared without a query. Each pipeline runs twice; the second
 * update changes nothing.
 */
import assert from "node:assert/strict";
import { query, withDb } from "../lib/db.ts";
import { lineage, lineageText, parsePipeline, runUpdate } from "../lib/dataflow/mod.ts";
import { snapshot, workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

const VIEWS = `CREATE OR REFRESH STREAMING TABLE raw AS
SELECT * FROM STREAM read_files('in', format => 'json');

-- a streaming view: not stored, read incrementally by clean
CREATE TEMPORARY VIEW valid AS
SELECT id, amount * 2 AS doubled FROM STREAM(LIVE.raw) WHERE amount > 0;

CREATE LIVE VIEW everything AS SELECT count(*) AS n FROM LIVE.raw;

CREATE OR REFRESH STREAMING TABLE clean AS SELECT * FROM STREAM(LIVE.valid);

CREATE OR REFRESH MATERIALIZED VIEW totals AS
SELECT (SELECT n FROM LIVE.everything) AS rows_seen, sum(doubled) AS total FROM LIVE.clean;
`;

Deno.test("views: a streaming view is read incrementally; views are not stored", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(VIEWS, "views.sql");
    assert.deepEqual(pipeline.datasets.map((d) => [d.name, d.kind, d.temporary]), [
      ["raw", "streaming", false],
      ["valid", "view", true],
      ["everything", "view", false],
      ["clean", "streaming", false],
      ["totals", "materialized", false],
    ]);
    assert.match(
      lineageText(lineage(pipeline)),
      /clean \[streaming table\]\s+◄── valid \(stream\)/,
    );
    await writeLakeFile(ws.lake, "in/1.json", '{"id":1,"amount":5}\n{"id":2,"amount":-1}\n');
    const first = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(first.datasets.map((d) => [d.name, d.rowsWritten]), [
      ["raw", 2],
      ["clean", 1],
      ["totals", 1],
    ]);
    await writeLakeFile(ws.lake, "in/2.json", '{"id":3,"amount":7}\n');
    const second = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    // clean reads only the new row of raw through the view (not rows 1 and 2 again).
    assert.deepEqual(second.datasets.map((d) => [d.name, d.rowsRead, d.rowsWritten]), [
      ["raw", 1, 1],
      ["clean", 1, 1],
      ["totals", 5, 1], // all of raw (through the view) and of clean
    ]);
    const before = await snapshot(ws.db, ["raw", "clean", "totals"]);
    assert.deepEqual(before.clean, ['{"id":1,"doubled":10}', '{"id":3,"doubled":14}']);
    assert.deepEqual(before.totals, ['{"rows_seen":3,"total":24}']);
    const third = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(third.datasets.filter((d) => d.mode === "append").map((d) => d.rowsWritten), [
      0,
      0,
    ]);
    assert.deepEqual(await snapshot(ws.db, ["raw", "clean", "totals"]), before);
    await withDb(ws.db, async (conn) => {
      const views = await query(
        conn,
        "SELECT table_name FROM information_schema.tables WHERE table_name IN ('valid', 'everything')",
      );
      assert.deepEqual(views, []);
    });
  } finally {
    await ws.remove();
  }
});

const FLOWS = `CREATE OR REFRESH STREAMING TABLE orders_us AS
SELECT * FROM STREAM read_files('us', format => 'json');
CREATE OR REFRESH STREAMING TABLE orders_eu AS
SELECT * FROM STREAM read_files('eu', format => 'json');

-- one table, declared without a query, filled by two append flows
CREATE OR REFRESH STREAMING TABLE all_orders;

CREATE FLOW us_flow AS INSERT INTO all_orders BY NAME
SELECT id, amount, 'us' AS region FROM STREAM(LIVE.orders_us);

CREATE FLOW eu_flow
COMMENT 'EU orders, amounts in cents'
AS INSERT INTO all_orders BY NAME
SELECT 'eu' AS region, id, amount_cents / 100 AS amount FROM STREAM(orders_eu);
`;

Deno.test("flows: several append flows into one streaming table declared without a query", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(FLOWS, "flows.sql");
    assert.deepEqual(pipeline.flows.map((f) => [f.name, f.target.name, f.line, f.comment ?? ""]), [
      ["us_flow", "all_orders", 9, ""],
      ["eu_flow", "all_orders", 12, "EU orders, amounts in cents"],
    ]);
    assert.match(
      lineageText(lineage(pipeline)),
      /all_orders \[streaming table\]\s+◄── orders_us \(stream\), orders_eu \(stream\)/,
    );
    await writeLakeFile(ws.lake, "us/1.json", '{"id":1,"amount":5}\n');
    await writeLakeFile(ws.lake, "eu/1.json", '{"id":2,"amount_cents":700}\n');
    const first = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.equal(first.datasets.find((d) => d.name === "all_orders")!.rowsWritten, 2);
    await writeLakeFile(ws.lake, "eu/2.json", '{"id":3,"amount_cents":900}\n');
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    const rows = () =>
      withDb(ws.db, (conn) => query(conn, "SELECT region, id, amount FROM all_orders ORDER BY id"));
    const before = await rows();
    assert.deepEqual(before, [
      { region: "us", id: 1, amount: 5 },
      { region: "eu", id: 2, amount: 7 },
      { region: "eu", id: 3, amount: 9 },
    ]);
    const again = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.equal(again.datasets.find((d) => d.name === "all_orders")!.rowsWritten, 0);
    assert.deepEqual(await rows(), before);
  } finally {
    await ws.remove();
  }
});

Deno.test("flows: a flow into a missing table or a materialized view is an error naming the flow", () => {
  assert.throws(
    () =>
      lineage(parsePipeline(
        "CREATE LIVE TABLE a AS SELECT 1 AS x;\nCREATE FLOW f AS INSERT INTO nope BY NAME SELECT * FROM STREAM(a)",
        "f.sql",
      )),
    /f\.sql:2: flow f writes into nope, which is not defined/,
  );
  assert.throws(
    () =>
      lineage(parsePipeline(
        "CREATE LIVE TABLE a AS SELECT 1 AS x;\nCREATE FLOW f AS INSERT INTO a BY NAME SELECT 2 AS x",
        "f.sql",
      )),
    /f\.sql:2: flow f: INSERT INTO flows write into streaming tables; a is a materialized view/,
  );
  assert.throws(
    () => lineage(parsePipeline("CREATE OR REFRESH STREAMING TABLE t;", "f.sql")),
    /f\.sql:1: dataset t: a streaming table declared without AS needs a flow/,
  );
});
