/**
 * File sources beyond JSON lines: a medallion over CSV, Parquet, JSON and text sources with
 * globs and file filters; `schemaEvolutionMode` (addNewColumns, rescue, failOnNewColumns,
 * none) and `rescuedDataColumn`; `SELECT *` without `_metadata`; options and formats that are
 * not implemented are errors naming them. Each pipeline runs twice: the second update changes
 * nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { query, withDb } from "../lib/db.ts";
import { parsePipeline, runUpdate, UpdateError } from "../lib/dataflow/mod.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

async function parquet(lake: string, path: string, select: string): Promise<void> {
  const full = join(lake, path);
  await Deno.mkdir(join(full, ".."), { recursive: true });
  await withDb(":memory:", (conn) => conn.run(`COPY (${select}) TO '${full}' (FORMAT parquet)`));
  const earlier = new Date(Date.now() - 60_000);
  await Deno.utime(full, earlier, earlier);
}

const MEDALLION = `
CREATE OR REFRESH STREAMING TABLE orders_bronze AS
SELECT *, _metadata.file_name AS source_file
FROM STREAM read_files('landing/orders/*.csv', format => 'csv', header => 'true',
  sep => ';', nullValue => 'NA', dateFormat => 'dd/MM/yyyy');

CREATE OR REFRESH STREAMING TABLE customers_bronze AS
SELECT * FROM STREAM read_files('landing/customers', format => 'parquet',
  pathGlobFilter => '*.parquet');

CREATE OR REFRESH STREAMING TABLE events_bronze AS
SELECT * FROM STREAM read_files('landing/events/**/part-*.jsonl', format => 'json');

CREATE OR REFRESH STREAMING TABLE logs_bronze (value STRING, line BIGINT) AS
SELECT value, _metadata.line_number AS line
FROM STREAM read_files('landing/logs', format => 'text', modifiedAfter => '2020-01-01T00:00:00');

CREATE OR REFRESH MATERIALIZED VIEW orders_silver AS
SELECT o.order_id, o.amount, o.day, c.name
FROM LIVE.orders_bronze o JOIN LIVE.customers_bronze c USING (customer_id);
`;

Deno.test("sources: a medallion over CSV, Parquet, JSON and text with globs and filters", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(MEDALLION, "medallion.sql");
    await writeLakeFile(
      ws.lake,
      "landing/orders/2026-01.csv",
      "order_id;customer_id;amount;day\n1;10;9.5;01/02/2026\n2;11;NA;02/02/2026\n",
    );
    await writeLakeFile(ws.lake, "landing/orders/readme.txt", "not an order\n");
    await writeLakeFile(ws.lake, "landing/orders/old/2025.csv", "order_id;customer_id\n99;10\n");
    await parquet(
      ws.lake,
      "landing/customers/c1.parquet",
      "SELECT * FROM (VALUES (10, 'Ada'), (11, 'Bo')) t(customer_id, name)",
    );
    await writeLakeFile(ws.lake, "landing/customers/notes.csv", "x\n1\n");
    await writeLakeFile(ws.lake, "landing/events/a/part-0.jsonl", '{"e": "click"}\n');
    await writeLakeFile(ws.lake, "landing/events/a/b/part-1.jsonl", '{"e": "view"}\n');
    await writeLakeFile(ws.lake, "landing/events/a/other.jsonl", '{"e": "no"}\n');
    await writeLakeFile(ws.lake, "landing/logs/app.log", "started\n\nstopped \u0001 ok\n");

    const first = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    const by = Object.fromEntries(first.datasets.map((d) => [d.name, d]));
    assert.equal(by.orders_bronze.filesRead, 1, "the glob takes *.csv of the folder only");
    assert.equal(by.customers_bronze.filesRead, 1, "pathGlobFilter");
    assert.equal(by.events_bronze.filesRead, 2, "** spans folders; part-* names only");
    await withDb(ws.db, async (conn) => {
      const orders = await query(
        conn,
        "SELECT order_id, amount, day::VARCHAR AS day, _rescued_data AS r, source_file FROM orders_bronze ORDER BY order_id",
      );
      assert.deepEqual(orders.map((o) => [o.order_id, o.amount, o.day, o.source_file, o.r]), [
        [1, 9.5, "2026-02-01", "2026-01.csv", null],
        [2, null, "2026-02-02", "2026-01.csv", null],
      ], "nullValue is NULL, not a misfit");
      const cols = (await query(conn, "DESCRIBE orders_bronze")).map((r) => r.column_name);
      assert.ok(!cols.includes("_metadata"), "SELECT * leaves _metadata out");
      assert.deepEqual(
        (await query(conn, "SELECT name FROM orders_silver ORDER BY order_id")).map((r) => r.name),
        ["Ada", "Bo"],
      );
      assert.deepEqual(
        (await query(conn, "SELECT e FROM events_bronze ORDER BY e")).map((r) => r.e),
        ["click", "view"],
      );
      assert.deepEqual(
        (await query(conn, "SELECT value, line FROM logs_bronze ORDER BY line")).map((r) => [
          r.value,
          r.line,
        ]),
        [["started", 1], ["", 2], ["stopped \u0001 ok", 3]],
        "text: one row per line, empty lines included, control bytes kept",
      );
    });

    const second = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(
      second.datasets.filter((d) => d.mode === "append").map((d) => [d.name, d.rowsWritten]),
      second.datasets.filter((d) => d.mode === "append").map((d) => [d.name, 0]),
    );

    // A later CSV file with a new column (added: addNewColumns is the default), and an amount
    // that is not a number (rescued as JSON with the file, the column keeps its type).
    await writeLakeFile(
      ws.lake,
      "landing/orders/2026-02.csv",
      "order_id;customer_id;amount;day;channel\n4;11;3;04/02/2026;web\n5;10;oops;05/02/2026;shop\n",
    );
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    await withDb(ws.db, async (conn) => {
      const rows = await query(
        conn,
        "SELECT order_id, channel, amount, _rescued_data AS r FROM orders_bronze WHERE order_id > 3 ORDER BY 1",
      );
      assert.deepEqual(rows.map((o) => [o.order_id, o.channel, o.amount]), [
        [4, "web", 3],
        [5, "shop", null],
      ]);
      assert.equal(rows[0].r, null);
      const rescued = JSON.parse(String(rows[1].r));
      assert.equal(rescued.amount, "oops");
      assert.match(rescued._file_path, /landing\/orders\/2026-02\.csv$/);
      const [t] = await query(conn, "SELECT typeof(amount) AS t FROM orders_bronze LIMIT 1");
      assert.equal(t.t, "DOUBLE");
    });
  } finally {
    await ws.remove();
  }
});

const modePipeline = (mode: string, extra = "") =>
  parsePipeline(
    `CREATE OR REFRESH STREAMING TABLE bronze AS
     SELECT * FROM STREAM read_files('raw/m', format => 'json',
       schemaEvolutionMode => '${mode}'${extra});`,
    `${mode}.sql`,
  );

async function drift(mode: string, extra = "") {
  const ws = await workspace();
  const pipeline = modePipeline(mode, extra);
  await writeLakeFile(ws.lake, "raw/m/1.ndjson", '{"id": 1, "a": "x"}\n');
  await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
  await writeLakeFile(ws.lake, "raw/m/2.ndjson", '{"id": 2, "a": "y", "b": 5}\n');
  return { ws, pipeline };
}

Deno.test("sources: schemaEvolutionMode rescue keeps the schema; new columns go to _rescued_data", async () => {
  const { ws, pipeline } = await drift("rescue");
  try {
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    const again = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.equal(again.datasets[0].rowsWritten, 0);
    await withDb(ws.db, async (conn) => {
      const cols = (await query(conn, "DESCRIBE bronze")).map((r) => r.column_name);
      assert.deepEqual(cols, ["id", "a", "_rescued_data"]);
      const rows = await query(conn, "SELECT id, a, _rescued_data AS r FROM bronze ORDER BY id");
      assert.deepEqual(rows.map((r) => [r.id, r.a, r.r]), [
        [1, "x", null],
        [2, "y", '{"id": 2, "a": "y", "b": 5}'],
      ]);
    });
  } finally {
    await ws.remove();
  }
});

Deno.test("sources: failOnNewColumns fails the update naming the columns and file", async () => {
  const { ws, pipeline } = await drift("failOnNewColumns");
  try {
    await assert.rejects(
      () => runUpdate({ pipeline, lake: ws.lake, db: ws.db }),
      (e: unknown) => {
        assert.ok(e instanceof UpdateError);
        assert.match(e.message, /failOnNewColumns.sql:2: dataset bronze: new columns b in raw\/m/);
        assert.match(e.message, /raw\/m\/2\.ndjson/);
        return true;
      },
    );
    await withDb(ws.db, async (conn) => {
      const [{ n }] = await query(conn, "SELECT count(*)::INTEGER AS n FROM bronze");
      assert.equal(n, 1, "nothing of the failed update was written");
    });
  } finally {
    await ws.remove();
  }
});

Deno.test("sources: none ignores new columns; rescuedDataColumn keeps them under its name", async () => {
  for (const [extra, column] of [["", undefined], [", rescuedDataColumn => '_extra'", "_extra"]]) {
    const { ws, pipeline } = await drift("none", extra ?? "");
    try {
      await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
      await withDb(ws.db, async (conn) => {
        const cols = (await query(conn, "DESCRIBE bronze")).map((r) => r.column_name);
        assert.deepEqual(cols, column ? ["id", "a", column] : ["id", "a"]);
        if (column) {
          const [r] = await query(conn, `SELECT ${column} AS r FROM bronze WHERE id = 2`);
          assert.equal(r.r, '{"id": 2, "a": "y", "b": 5}');
        }
      });
    } finally {
      await ws.remove();
    }
  }
});

Deno.test("sources: unsupported formats and options are errors that name them", async () => {
  const ws = await workspace();
  try {
    await writeLakeFile(ws.lake, "raw/u/a.xml", "<a/>\n");
    await writeLakeFile(ws.lake, "raw/u/a.ndjson", "{}\n");
    const cases: [string, RegExp][] = [
      ["format => 'xml'", /format => 'xml' is not supported locally/],
      ["format => 'binaryFile'", /format => 'binaryfile' is not supported locally/],
      ["format => 'avro'", /format => 'avro' is not supported locally/],
      [
        "format => 'json', multiLine => 'true'",
        /option 'multiline' is not supported for format 'json'/,
      ],
      ["format => 'json', colour => 'red'", /option 'colour' is not supported/],
      ["format => 'json', includeExistingFiles => 'false'", /includeExistingFiles => false/],
      ["format => 'json', schemaEvolutionMode => 'sometimes'", /schemaEvolutionMode 'sometimes'/],
    ];
    for (const [options, re] of cases) {
      const pipeline = parsePipeline(
        `CREATE OR REFRESH STREAMING TABLE t AS\nSELECT * FROM STREAM read_files('raw/u', ${options});`,
        "u.sql",
      );
      await assert.rejects(
        () => runUpdate({ pipeline, lake: ws.lake, db: ws.db }),
        (e: unknown) => {
          assert.match(String((e as Error).message), /u\.sql:2: dataset t/, options);
          assert.match(String((e as Error).message), re, options);
          return true;
        },
      );
    }
  } finally {
    await ws.remove();
  }
});

Deno.test("sources: inferColumnTypes => false reads every JSON field as STRING", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      `CREATE OR REFRESH STREAMING TABLE t AS
       SELECT * FROM STREAM read_files('raw/s', format => 'json', inferColumnTypes => 'false');`,
      "strings.sql",
    );
    await writeLakeFile(ws.lake, "raw/s/1.ndjson", '{"n": 5, "m": {"ok": true}}\n');
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    await withDb(ws.db, async (conn) => {
      const types = (await query(conn, "DESCRIBE t")).map((r) =>
        `${r.column_name} ${r.column_type}`
      );
      assert.deepEqual(types.slice(0, 2), ["n VARCHAR", "m STRUCT(ok VARCHAR)"]);
    });
  } finally {
    await ws.remove();
  }
});

Deno.test("sources: a declared column list works with SELECT * over a file source", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      `CREATE OR REFRESH STREAMING TABLE t (id BIGINT, name STRING, _rescued_data STRING) AS
       SELECT * FROM STREAM read_files('raw/d', format => 'json');`,
      "declared.sql",
    );
    await writeLakeFile(ws.lake, "raw/d/1.ndjson", '{"id": 1, "name": "a"}\n');
    const r = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.equal(r.datasets[0].rowsWritten, 1);
    const again = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.equal(again.datasets[0].rowsWritten, 0);
  } finally {
    await ws.remove();
  }
});
