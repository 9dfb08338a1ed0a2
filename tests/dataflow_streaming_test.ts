/**
 * Streaming semantics on small inline pipelines: datasets without input yet,
 * declared column lists, streaming reads of recomputed datasets, and bad
 * --full-refresh names.
 */
import assert from "node:assert/strict";
import { query, withDb } from "../lib/db.ts";
import { parsePipeline, PipelineError, runUpdate, UpdateError } from "../lib/dataflow/mod.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

Deno.test("streaming: no input yet → skipped (and readers wait); declared columns make an empty table", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      `CREATE OR REFRESH STREAMING TABLE raw_a AS SELECT * FROM STREAM read_files('in/a', format => 'json');
       CREATE OR REFRESH STREAMING TABLE a AS SELECT x * 2 AS y FROM STREAM(LIVE.raw_a);
       CREATE OR REFRESH STREAMING TABLE raw_b (x BIGINT, note STRING)
         AS SELECT x, note FROM STREAM read_files('in/b', format => 'json');`,
      "inline.sql",
    );
    const first = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(first.datasets.map((d) => [d.name, d.status]), [
      ["raw_a", "skipped"],
      ["a", "skipped"],
      ["raw_b", "completed"],
    ]);
    assert.match(first.datasets[0].detail ?? "", /no input yet under in\/a/);
    assert.match(first.datasets[1].detail ?? "", /waiting for raw_a/);
    await withDb(ws.db, async (conn) => {
      const cols = await query(
        conn,
        "SELECT column_name AS c, column_type AS t FROM (DESCRIBE raw_b)",
      );
      assert.deepEqual(cols.map((r) => [r.c, r.t]), [["x", "BIGINT"], ["note", "VARCHAR"]]);
    });
    await writeLakeFile(ws.lake, "in/a/1.json", '{"x": 1}\n{"x": 2}\n');
    const second = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(second.datasets.map((d) => [d.name, d.status, d.rowsWritten]), [
      ["raw_a", "completed", 2],
      ["a", "completed", 2],
      ["raw_b", "completed", 0],
    ]);
  } finally {
    await ws.remove();
  }
});

Deno.test("streaming: STREAM() of a materialized view is refused with file, line and dataset", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      "CREATE MATERIALIZED VIEW m AS SELECT 1 AS x;\n\nCREATE STREAMING TABLE s AS\nSELECT * FROM STREAM(LIVE.m)",
      "mv.sql",
    );
    const e = await runUpdate({ pipeline, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.ok(e instanceof UpdateError && e.cause instanceof PipelineError);
    assert.match(
      e.message,
      /^mv\.sql:4: dataset s: STREAM\(m\) reads a dataset that is recomputed.*LIVE\.m/,
    );
    const r = await runUpdate({ pipeline, lake: ws.lake, db: ws.db, fullRefresh: ["nope"] })
      .catch((x) => x);
    assert.ok(r instanceof PipelineError);
    assert.match(r.message, /--full-refresh: unknown dataset nope \(defined: m, s\)/);
  } finally {
    await ws.remove();
  }
});
