/**
 * Nothing silent: a rejected query fails the update (file, line, dataset), a table
 * with declared columns whose query fails errors on its first update, the engine
 * replaces only tables it created, and constructs that cannot run locally are
 * refused by name (all of them listed by `--check`, which writes nothing).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { query, withDb } from "../lib/db.ts";
import { main as dataflowMain } from "../lib/dataflow/cli.ts";
import { checkPipeline } from "../lib/dataflow/check.ts";
import {
  parsePipeline,
  PipelineError,
  planPipeline,
  runUpdate,
  UpdateError,
} from "../lib/dataflow/mod.ts";
import { DEFAULTS } from "../lib/config.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

async function failure(p: Promise<unknown>): Promise<UpdateError> {
  const e = await p.catch((x) => x);
  assert.ok(e instanceof UpdateError, `expected an UpdateError, got ${e}`);
  return e;
}

Deno.test("nothing silent: a query DuckDB rejects fails the update, even with no input yet", async () => {
  const ws = await workspace();
  try {
    // The source has a fixed shape (hints) but no files; the reader names a column it lacks.
    const pipeline = parsePipeline(
      `CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('in', format => 'json', schemaHints => 'a INT');
CREATE OR REFRESH MATERIALIZED VIEW m AS
SELECT nope FROM LIVE.raw`,
      "q.sql",
    );
    const e = await failure(runUpdate({ pipeline, lake: ws.lake, db: ws.db }));
    assert.match(e.message, /^q\.sql:3: dataset m: DuckDB rejected the query: .*nope/);
    assert.deepEqual(e.result.datasets.map((d) => [d.name, d.status]), [
      ["raw", "rolled_back"],
      ["m", "failed"],
    ]);
  } finally {
    await ws.remove();
  }
});

Deno.test("nothing silent: declared columns do not hide a query that does not fit them", async () => {
  const ws = await workspace();
  try {
    const file = join(ws.dir, "d.sql");
    await Deno.writeTextFile(
      file,
      `CREATE OR REFRESH STREAMING TABLE t (id BIGINT, name STRING)
AS SELECT id, nmae AS name FROM STREAM read_files('in', format => 'json');
`,
    );
    const code = await dataflowMain(["--pipeline", file, "--lake", ws.lake, "--db", ws.db]);
    assert.equal(code, 1);
    const e = await failure(runUpdate({ pipeline: file, lake: ws.lake, db: ws.db }));
    assert.match(e.message, /d\.sql:2: dataset t: DuckDB rejected the query: .*nmae/);
    // The same table with a query that fits its columns is created empty before any file.
    await Deno.writeTextFile(
      file,
      `CREATE OR REFRESH STREAMING TABLE t (id BIGINT, name STRING)
AS SELECT id, name FROM STREAM read_files('in', format => 'json');
`,
    );
    const ok = await runUpdate({ pipeline: file, lake: ws.lake, db: ws.db });
    assert.deepEqual(ok.datasets.map((d) => [d.name, d.status]), [["t", "completed"]]);
    await writeLakeFile(ws.lake, "in/1.json", '{"id": 1, "name": "a"}\n');
    await runUpdate({ pipeline: file, lake: ws.lake, db: ws.db });
    const again = await runUpdate({ pipeline: file, lake: ws.lake, db: ws.db });
    assert.equal(again.datasets[0].rowsWritten, 0);
    assert.deepEqual(
      await withDb(ws.db, (conn) => query(conn, "SELECT id, name FROM t")),
      [{ id: 1, name: "a" }],
    );
  } finally {
    await ws.remove();
  }
});

Deno.test("ownership: a dataset never replaces a table the pipeline did not create", async () => {
  const ws = await workspace();
  try {
    await withDb(ws.db, async (conn) => {
      await conn.run("CREATE TABLE sentiment AS SELECT 'x' AS id, 'positive' AS label");
    });
    const pipeline = parsePipeline(
      "CREATE LIVE TABLE src AS SELECT 1 AS n;\n" +
        "CREATE MATERIALIZED VIEW sentiment AS SELECT n FROM LIVE.src",
      "own.sql",
    );
    const e = await failure(runUpdate({ pipeline, lake: ws.lake, db: ws.db }));
    assert.match(
      e.message,
      /own\.sql:2: dataset sentiment: the table sentiment already exists and was not created by this pipeline/,
    );
    assert.deepEqual(
      await withDb(ws.db, (conn) => query(conn, "SELECT id, label FROM sentiment")),
      [{ id: "x", label: "positive" }],
    );
    // Its own tables it replaces on every update.
    const mine = parsePipeline("CREATE MATERIALIZED VIEW mv AS SELECT 1 AS n", "mine.sql");
    await runUpdate({ pipeline: mine, lake: ws.lake, db: ws.db });
    const second = await runUpdate({ pipeline: mine, lake: ws.lake, db: ws.db });
    assert.equal(second.status, "completed");
    // A second pipeline's dataset of the same name is refused.
    const other = parsePipeline("CREATE MATERIALIZED VIEW mv AS SELECT 2 AS n", "other.sql");
    await withDb(ws.db, (conn) => conn.run("UPDATE _dataflow_tables SET dataset = 'someone'"));
    const e2 = await failure(runUpdate({ pipeline: other, lake: ws.lake, db: ws.db }));
    assert.match(e2.message, /dataset someone made it/);
  } finally {
    await ws.remove();
  }
});

const UNSUPPORTED = `CREATE OR REFRESH STREAMING TABLE events AS
SELECT * FROM STREAM read_kafka(bootstrapServers => 'kafka:9092', subscribe => 'events');

CREATE OR REFRESH MATERIALIZED VIEW labelled AS
SELECT ai_classify(text, ARRAY('a', 'b')) AS label,
  ml.models.score(text) AS score
FROM LIVE.events;

CREATE OR REFRESH STREAMING TABLE users;
CREATE FLOW backfill AS INSERT ONCE INTO users BY NAME SELECT * FROM LIVE.events;
`;

Deno.test("unsupported locally: the update refuses by name; --check lists every construct and writes nothing", async () => {
  const ws = await workspace();
  try {
    const file = join(ws.dir, "u.sql");
    await Deno.writeTextFile(file, UNSUPPORTED);
    const e = await runUpdate({ pipeline: file, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.ok(e instanceof PipelineError);
    assert.match(
      e.message,
      /u\.sql:2: dataset events: streaming source read_kafka\(\) is not supported locally.*3 more/,
    );
    assert.ok(!existsSync(ws.db), "a refused update writes nothing");

    const findings = checkPipeline(parsePipeline(UNSUPPORTED, "u.sql"));
    assert.deepEqual(findings.map((f) => [f.line, f.feature]), [
      [2, "streaming source read_kafka()"],
      [5, "AI function ai_classify()"],
      [6, "catalog function ml.models.score()"],
      [10, "INSERT ONCE INTO flow backfill"],
    ]);
    const code = await dataflowMain(["--check", "--pipeline", file, "--db", ws.db]);
    assert.equal(code, 1);
    assert.ok(!existsSync(ws.db), "--check writes nothing");
  } finally {
    await ws.remove();
  }
});

Deno.test("--check: the project's own pipeline reports nothing", async () => {
  const plan = planPipeline(
    parsePipeline(await Deno.readTextFile(DEFAULTS.pipeline), DEFAULTS.pipeline),
  );
  assert.deepEqual(checkPipeline(plan.pipeline), []);
  assert.equal(await dataflowMain(["--check"]), 0);
});
