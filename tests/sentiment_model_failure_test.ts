/** A model that fails to load leaves no empty sentiment table; a pipeline error after ingest says what ingest wrote. */
import assert from "node:assert/strict";
import { tableExists, withDb } from "../lib/db.ts";
import { PipelineRunningError } from "../lib/dataflow/run.ts";
import { afterIngest, runPipeline } from "../lib/pipeline.ts";
import { join } from "node:path";
import { scoreNew } from "../lib/sentiment/score.ts";
import { makeSilver, tempDb } from "./fixtures/sentiment/helpers.ts";

Deno.test("sentiment: a model that fails to load creates no sentiment table", async () => {
  const { dir, db } = tempDb();
  try {
    await makeSilver(db, [{ id: "1", text: "good day" }, { id: "2", text: "bad day" }]);
    await assert.rejects(() => scoreNew({ db, model: "/no/such/model-folder" }));
    assert.equal(await withDb(db, (conn) => tableExists(conn, "sentiment")), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pipeline: a busy database after ingest wrote does not claim nothing was changed", () => {
  const busy = new PipelineRunningError("tweetlake.duckdb", new Error("lock"));
  assert.match(busy.message, /nothing was changed/);
  const e = afterIngest(busy, { events: 120, files: 2 });
  assert.doesNotMatch(e.message, /nothing was changed/);
  assert.match(e.message, /database was not changed.*ingest already wrote 120 events in 2 files/);
  assert.ok(e instanceof PipelineRunningError, "the error keeps its kind");
});

Deno.test("pipeline: a failing dataflow after ingest says what ingest already wrote", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const input = join(tmp, "in.ndjson");
    await Deno.writeTextFile(input, '{"data":{"id":"1","text":"hi"}}\n');
    await assert.rejects(
      () =>
        runPipeline({
          input,
          lake: join(tmp, "lake"),
          db: join(tmp, "t.duckdb"),
          pipeline: join(tmp, "missing.sql"),
          report: join(tmp, "report"),
        }),
      /ingest already wrote 1 events in 1 files to the lake/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
