/**
 * Expectations (warn keeps and counts, DROP ROW quarantines, FAIL UPDATE rolls the
 * whole update back) and errors that change nothing.
 */
import assert from "node:assert/strict";
import { query, withDb } from "../lib/db.ts";
import {
  ExpectationFailedError,
  parsePipeline,
  PipelineError,
  readEventLog,
  runUpdate,
  UpdateError,
} from "../lib/dataflow/mod.ts";
import {
  counts,
  FIXTURES,
  snapshot,
  workspace,
  writeLakeFile,
} from "./fixtures/dataflow/support.ts";

const PIPELINE = `${FIXTURES}expectations.sql`;
const line = (id: number, name: string | null, amount: number | null) =>
  JSON.stringify({ id, name, amount });

Deno.test("expectations: warn counts, drop quarantines with names and update id", async () => {
  const ws = await workspace();
  try {
    await writeLakeFile(
      ws.lake,
      "raw/events/1.ndjson",
      [
        line(1, "a", 10),
        line(2, null, 20),
        line(3, "c", 5000),
        line(4, "d", 0),
        line(5, null, null),
      ]
        .join("\n"),
    );
    const r = await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
    const checked = r.datasets.find((d) => d.name === "checked")!;
    assert.deepEqual(checked.expectations.map((e) => [e.name, e.action, e.passed, e.failed]), [
      ["has_name", "warn", 3, 2],
      ["positive", "drop", 3, 2],
      ["small", "drop", 3, 2], // NULL fails a condition, as a filter would
      ["not_negative", "fail", 5, 0],
    ]);
    assert.equal(checked.rowsWritten, 2);
    assert.equal(checked.rowsDropped, 3);
    await withDb(ws.db, async (conn) => {
      const kept = await query(conn, "SELECT id, name FROM checked ORDER BY id");
      assert.deepEqual(kept.map((x) => [x.id, x.name]), [[1, "a"], [2, null]], "warn keeps rows");
      const q = await query(
        conn,
        "SELECT id, _failed_expectations AS f, _update_id AS u FROM checked_quarantine ORDER BY id",
      );
      assert.deepEqual(q.map((x) => [x.id, x.f]), [
        [3, ["small"]],
        [4, ["positive"]],
        [5, ["has_name", "positive", "small"]],
      ]);
      assert.ok(q.every((x) => x.u === r.updateId));
    });
  } finally {
    await ws.remove();
  }
});

Deno.test("expectations: FAIL UPDATE rolls back tables and checkpoints, and says why", async () => {
  const ws = await workspace();
  try {
    await writeLakeFile(ws.lake, "raw/events/1.ndjson", line(1, "a", 10));
    await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
    const before = await snapshot(ws.db, ["events", "checked", "_dataflow_files"]);
    await writeLakeFile(
      ws.lake,
      "raw/events/2.ndjson",
      [line(2, "b", -1), line(3, "c", 7), line(4, "d", -5)].join("\n"),
    );
    const err = await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db }).then(
      () => assert.fail("expected the update to fail"),
      (e) => e,
    );
    assert.ok(err instanceof UpdateError);
    assert.ok(err.cause instanceof ExpectationFailedError);
    assert.equal(err.cause.expectation, "not_negative");
    assert.equal(err.cause.failedRows, 2);
    assert.match(
      err.message,
      /expectations\.sql:9: dataset checked: expectation not_negative failed for 2 row/,
    );
    assert.equal(err.result.status, "failed");
    assert.deepEqual(err.result.datasets.map((d: { status: string }) => d.status), [
      "rolled_back",
      "failed",
    ]);
    assert.deepEqual(await snapshot(ws.db, ["events", "checked", "_dataflow_files"]), before);
    await withDb(ws.db, async (conn) => {
      const log = await readEventLog(conn);
      const failed = log.find((x) => x.dataset === "checked" && x.status === "failed")!;
      assert.match(String(failed.error), /not_negative failed for 2 row/);
    });
    // Fixing the data lets the same files through: nothing was checkpointed.
    await writeLakeFile(ws.lake, "raw/events/2.ndjson", line(2, "b", 3));
    const ok = await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
    assert.equal(ok.datasets[0].filesRead, 1);
    assert.deepEqual(await counts(ws.db, ["events", "checked"]), { events: 2, checked: 2 });
  } finally {
    await ws.remove();
  }
});

Deno.test("errors: a query DuckDB rejects names file, line and dataset, and changes nothing", async () => {
  const ws = await workspace();
  try {
    await writeLakeFile(ws.lake, "raw/events/1.ndjson", line(1, "a", 10));
    await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
    await writeLakeFile(ws.lake, "raw/events/2.ndjson", line(2, "b", 10));
    const before = await snapshot(ws.db, ["events", "checked", "_dataflow_files", "event_log"]);
    const bad = parsePipeline(
      (await Deno.readTextFile(PIPELINE)) +
        "\n\nCREATE OR REFRESH MATERIALIZED VIEW totals AS\nSELECT nme, sum(amount)\nFROM LIVE.checked GROUP BY nme;\n",
      "bad.sql",
    );
    const err = await runUpdate({ pipeline: bad, lake: ws.lake, db: ws.db, dryRun: true }).then(
      () => assert.fail("expected an error"),
      (e) => e,
    );
    assert.ok(err instanceof UpdateError && err.cause instanceof PipelineError);
    assert.match(err.message, /^bad\.sql:1[56]: dataset totals: DuckDB rejected the query: .*nme/);
    assert.deepEqual(
      await snapshot(ws.db, ["events", "checked", "_dataflow_files", "event_log"]),
      before,
      "a failed dry run leaves everything as it was",
    );
    const real = await runUpdate({ pipeline: bad, lake: ws.lake, db: ws.db }).catch((e) => e);
    assert.ok(real instanceof UpdateError);
    assert.deepEqual(
      await snapshot(ws.db, ["events", "checked", "_dataflow_files"]),
      {
        events: before.events,
        checked: before.checked,
        _dataflow_files: before._dataflow_files,
      },
    );
  } finally {
    await ws.remove();
  }
});
