/**
 * Users' own pipelines laid out as Lakeflow projects: a bundle YAML with
 * `${var.x}` and `${key}` parameters, a `transformations/**` folder of SQL files,
 * qualified and unusual names mapped onto DuckDB schemas, `SET` statements and
 * ignored `spark.*` settings. Each pipeline runs twice: the second update changes nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { query, withDb } from "../lib/db.ts";
import { main as dataflowMain } from "../lib/dataflow/cli.ts";
import {
  lineage,
  lineageText,
  parsePipeline,
  PipelineError,
  planPipeline,
  runUpdate,
} from "../lib/dataflow/mod.ts";
import { loadProject } from "../lib/dataflow/parse.ts";
import { loadSettings } from "../lib/dataflow/settings.ts";
import { tokenize } from "../lib/dataflow/tokens.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

const BUNDLE = `bundle:
  name: orders_demo
variables:
  catalog:
    default: dev
  schema:
    default: sales
resources:
  pipelines:
    orders_pipeline:
      name: orders
      catalog: \${var.catalog}
      schema: \${var.schema}
      configuration:
        catalog: \${var.catalog}
        schema: \${var.schema}
        source: raw/orders
        min_amount: "0"
        spark.databricks.delta.optimizeWrite.enabled: "true"
      libraries:
        - glob:
            include: ../transformations/**
`;

const BRONZE = `-- Databricks notebook source
CREATE OR REFRESH STREAMING TABLE \${catalog}.\${schema}.orders_bronze
COMMENT 'orders as they arrive'
AS SELECT * FROM STREAM read_files('\${source}', format => 'json');
`;

const SILVER = `SET spark.sql.shuffle.partitions = 4;

CREATE OR REFRESH STREAMING TABLE \`02_silver\` AS
SELECT id, amount FROM STREAM(\${schema}.orders_bronze) WHERE amount > \${min_amount};

-- the same short name in two schemas
CREATE OR REFRESH MATERIALIZED VIEW reporting.totals AS
SELECT count(*) AS n, sum(amount) AS total FROM LIVE.\`02_silver\`;

CREATE OR REFRESH MATERIALIZED VIEW totals AS
SELECT count(*) AS n FROM \${catalog}.sales.orders_bronze;
`;

async function writeProject(dir: string): Promise<string> {
  await writeLakeFile(dir, "resources/orders.pipeline.yml", BUNDLE);
  await writeLakeFile(dir, "transformations/01_bronze/orders.sql", BRONZE);
  await writeLakeFile(dir, "transformations/02_silver/orders.sql", SILVER);
  await writeLakeFile(dir, "transformations/_scratch/ignored.sql", "not sql at all");
  return join(dir, "resources/orders.pipeline.yml");
}

Deno.test("project: a bundle YAML with transformations/** runs into DuckDB schemas, twice", async () => {
  const ws = await workspace();
  try {
    const yml = await writeProject(join(ws.dir, "project"));
    await writeLakeFile(
      ws.lake,
      "raw/orders/1.json",
      '{"id":1,"amount":5}\n{"id":2,"amount":-1}\n',
    );
    const settings = await loadSettings(yml);
    assert.equal(settings.catalog, "dev");
    assert.equal(settings.schema, "sales");
    assert.deepEqual(settings.libraries.map((f) => f.slice(f.indexOf("transformations"))), [
      "transformations/01_bronze/orders.sql",
      "transformations/02_silver/orders.sql",
    ]);
    const pipeline = await loadProject(settings);
    assert.deepEqual(pipeline.datasets.map((d) => [d.name, d.schema, d.table]), [
      ["sales.orders_bronze", "sales", "orders_bronze"],
      ["sales.02_silver", "sales", "02_silver"],
      ["reporting.totals", "reporting", "totals"],
      ["sales.totals", "sales", "totals"],
    ]);
    assert.deepEqual(pipeline.ignored.map((e) => e.key), [
      "spark.databricks.delta.optimizeWrite.enabled",
      "spark.sql.shuffle.partitions",
    ]);
    assert.equal(pipeline.settings.ansi, true);
    assert.match(
      lineageText(lineage(pipeline)),
      /reporting\.totals \[materialized view\]\s+◄── sales\.02_silver/,
    );

    const first = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(first.datasets.map((d) => [d.name, d.rowsWritten]), [
      ["sales.orders_bronze", 2],
      ["sales.02_silver", 1],
      ["reporting.totals", 1],
      ["sales.totals", 1],
    ]);
    const read = () =>
      withDb(ws.db, async (conn) => ({
        silver: await query(conn, `SELECT id FROM sales."02_silver" ORDER BY id`),
        reporting: await query(conn, "SELECT n, total FROM reporting.totals"),
        sales: await query(conn, "SELECT n FROM sales.totals"),
        main: await query(
          conn,
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' " +
            "AND table_name NOT LIKE '\\_dataflow%' ESCAPE '\\' AND table_name <> 'event_log'",
        ),
      }));
    const before = await read();
    assert.deepEqual(before.silver, [{ id: 1 }]);
    assert.deepEqual(before.reporting, [{ n: 1, total: 5 }]);
    assert.deepEqual(before.sales, [{ n: 2 }]);
    assert.deepEqual(before.main, []);

    const second = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(
      second.datasets.filter((d) => d.mode === "append").map((d) => d.rowsWritten),
      [0, 0],
    );
    assert.deepEqual(await read(), before);

    // The same project through the command line.
    const code = await dataflowMain(["--settings", yml, "--lake", ws.lake, "--db", ws.db]);
    assert.equal(code, 0);
    assert.deepEqual(await read(), before);
  } finally {
    await ws.remove();
  }
});

Deno.test("names: digit-leading identifiers, backquoted and qualified references", () => {
  assert.deepEqual(
    tokenize("02_silver 1e5 10L 3.5").filter((t) => t.kind !== "space").map((
      t,
    ) => [t.kind, t.text]),
    [["word", "02_silver"], ["number", "1e5"], ["number", "10"], ["word", "L"], ["number", "3.5"]],
  );
  const p = parsePipeline(
    `CREATE LIVE TABLE a.t AS SELECT 1 AS x;
     CREATE LIVE TABLE b.t AS SELECT 2 AS x;
     CREATE LIVE TABLE \`my cat\`.b.u AS SELECT * FROM a.t JOIN LIVE.t ON true JOIN \`b\`.\`t\` ON true;
     CREATE LIVE TABLE t AS SELECT 3 AS x`,
    "n.sql",
  );
  const plan = planPipeline(p);
  assert.deepEqual(plan.byName.get("b.u")!.upstream, ["a.t", "t", "b.t"]);
});

Deno.test("settings: ${key} parameters, SET, ANSI mode, and undefined parameters", () => {
  const p = parsePipeline(
    "SET spark.sql.ansi.enabled = false;\nSET src = raw/x;\n" +
      "CREATE LIVE TABLE t AS SELECT '${src}' AS p, ${n} AS n",
    "s.sql",
    { configuration: [{ key: "n", value: "7", file: "cfg", line: 1 }] },
  );
  assert.equal(p.settings.ansi, false);
  assert.equal(p.ignored.length, 0);
  assert.match(p.datasets[0].query.map((t) => t.text).join(""), /'raw\/x' AS p, 7 AS n/);
  assert.throws(
    () => parsePipeline("\nCREATE LIVE TABLE t AS\nSELECT ${nope}", "s.sql"),
    (e) =>
      e instanceof PipelineError &&
      /^s\.sql:3: parameter \$\{nope\} is not defined/.test(e.message),
  );
  assert.throws(
    () =>
      parsePipeline(
        "SET spark.sql.ansi.enabled = maybe;\nCREATE LIVE TABLE t AS SELECT 1",
        "s.sql",
      ),
    /s\.sql:1: spark\.sql\.ansi\.enabled must be true or false/,
  );
});

Deno.test("settings: a pipeline JSON with notebook and file libraries, and --conf", async () => {
  const ws = await workspace();
  try {
    await writeLakeFile(ws.dir, "p/a.sql", "CREATE LIVE TABLE ${schema}.a AS SELECT ${k} AS v");
    await writeLakeFile(ws.dir, "p/b.sql", "CREATE LIVE TABLE b AS SELECT v + 1 AS v FROM LIVE.a");
    await writeLakeFile(
      ws.dir,
      "p/pipeline.json",
      JSON.stringify({
        name: "p",
        target: "gold",
        configuration: { k: "1", schema: "gold" },
        libraries: [{ notebook: { path: "a" } }, { file: { path: "b.sql" } }],
      }),
    );
    const json = join(ws.dir, "p/pipeline.json");
    const code = await dataflowMain(["--settings", json, "--conf", "k=41", "--db", ws.db]);
    assert.equal(code, 0);
    assert.deepEqual(
      await withDb(ws.db, (conn) => query(conn, "SELECT v FROM gold.b")),
      [{ v: 42 }],
    );
  } finally {
    await ws.remove();
  }
});

Deno.test("settings: spark.sql.ansi.enabled from SET reaches the queries (legacy casts give NULL)", async () => {
  const ws = await workspace();
  try {
    const sql = "CREATE MATERIALIZED VIEW m AS SELECT cast('x' AS INT) AS v";
    const legacy = parsePipeline(`SET spark.sql.ansi.enabled = false;\n${sql}`, "legacy.sql");
    await runUpdate({ pipeline: legacy, lake: ws.lake, db: ws.db });
    assert.deepEqual(await withDb(ws.db, (conn) => query(conn, "SELECT v FROM m")), [{ v: null }]);
    const ansi = parsePipeline(sql, "ansi.sql");
    const e = await runUpdate({ pipeline: ansi, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.match(
      String(e?.message),
      /ansi\.sql:1: dataset m: .*CAST_INVALID_INPUT|ansi\.sql:1: dataset m: .*convert/i,
    );
  } finally {
    await ws.remove();
  }
});
