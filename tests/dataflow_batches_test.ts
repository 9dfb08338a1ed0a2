/**
 * Bounded batches: a dataset that appends one source's files reads them a batch at
 * a time within the update's one transaction, and the tables, quarantine, counts
 * and checkpoints are the same as when every file is read at once.
 */
import assert from "node:assert/strict";
import { fileBatches } from "../lib/dataflow/batches.ts";
import { query, withDb } from "../lib/db.ts";
import {
  parsePipeline,
  runUpdate,
  type UpdateProgress,
  type UpdateResult,
} from "../lib/dataflow/mod.ts";
import type { LakeFile } from "../lib/lake/types.ts";
import { snapshot, workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

const PIPELINE = parsePipeline(
  `CREATE OR REFRESH STREAMING TABLE events (
     CONSTRAINT has_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
     CONSTRAINT small EXPECT (n < 100)
   )
   TBLPROPERTIES ('tweetlake.dedupeKeys' = 'id')
   AS SELECT * FROM STREAM read_files('in', format => 'json');
   CREATE OR REFRESH STREAMING TABLE doubled AS SELECT id, n * 2 AS n2 FROM STREAM(LIVE.events);
   CREATE OR REFRESH MATERIALIZED VIEW totals AS SELECT count(*) AS rows, sum(n) AS n FROM LIVE.events;`,
  "batches.sql",
);

/** Five files: a duplicate id across files, a line without id, a bad line, a new field late. */
const FILES: [string, string][] = [
  ["in/1.json", '{"id": "a", "n": 1}\n{"id": "b", "n": 2}\n'],
  ["in/2.json", '{"id": "a", "n": 3}\n{"n": 4}\nnot json\n'],
  ["in/3.json", '{"id": "c", "n": 500}\n{"id": "b", "n": 6}\n'],
  ["in/4.json", '{"id": "d", "n": 7, "extra": "late field"}\n'],
  ["in/5.json", '{"id": "e", "n": 8}\n{"id": "d", "n": 9, "extra": "again"}\n'],
];

const TABLES = ["events", "events_quarantine", "doubled", "totals", "_dataflow_offsets"];

/**
 * Each table's rows with their columns in name order: a field that first appears in a
 * later batch is added as the last column, as it is when it first appears in a later update.
 */
async function rows(db: string, tables: string[]): Promise<Record<string, string[]>> {
  const snap = await snapshot(db, tables);
  const sorted = (json: string) => {
    const o = JSON.parse(json) as Record<string, unknown>;
    return JSON.stringify(Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]])));
  };
  return Object.fromEntries(Object.entries(snap).map(([t, rs]) => [t, rs.map(sorted).sort()]));
}

function counts(r: UpdateResult) {
  return r.datasets.map((d) => ({
    name: d.name,
    filesRead: d.filesRead,
    rowsRead: d.rowsRead,
    rowsWritten: d.rowsWritten,
    rowsDropped: d.rowsDropped,
    rowsDuplicate: d.rowsDuplicate,
    expectations: d.expectations,
  }));
}

Deno.test("batches: one file per batch gives the tables, counts and checkpoints of one batch", async () => {
  const whole = await workspace();
  const split = await workspace();
  try {
    for (const ws of [whole, split]) {
      for (const [path, text] of FILES) await writeLakeFile(ws.lake, path, text);
    }
    const a = await runUpdate({ pipeline: PIPELINE, lake: whole.lake, db: whole.db });
    const events: UpdateProgress[] = [];
    const b = await runUpdate({
      pipeline: PIPELINE,
      lake: split.lake,
      db: split.db,
      batchBytes: 1,
      profile: true,
      onProgress: (e) => events.push(e),
    });
    assert.deepEqual(
      events.filter((e) => e.phase === "batch").map((e) => [e.dataset, e.batch]),
      [1, 2, 3, 4, 5].map((index) => ["events", { index, of: 5, files: 1 }]),
      "events reads its five files in five batches",
    );
    const reads = b.profile!.phases.filter((p) => p.phase === "read source");
    assert.equal(reads.length, 5, "one read per batch");
    assert.deepEqual(counts(b), counts(a));
    const ev = a.datasets[0];
    assert.equal(ev.rowsWritten, 5, "a, b, c, d, e once each");
    assert.equal(ev.rowsDropped, 2, "the line without id and the bad line");
    assert.equal(ev.rowsDuplicate, 3, "a, b and d again");
    assert.deepEqual(await rows(split.db, TABLES), await rows(whole.db, TABLES));
    const files = (db: string) =>
      withDb(
        db,
        (conn) =>
          query(conn, "SELECT dataset, source, path, size FROM _dataflow_files ORDER BY path"),
      );
    assert.deepEqual(await files(split.db), await files(whole.db), "every file checkpointed once");

    // The next update (two new files, batched again) continues where the batches left off.
    for (const ws of [whole, split]) {
      await writeLakeFile(ws.lake, "in/6.json", '{"id": "a", "n": 10}\n{"id": "f", "n": 11}\n');
      await writeLakeFile(ws.lake, "in/7.json", '{"id": "g", "n": 12, "extra": "x"}\n');
    }
    const a2 = await runUpdate({ pipeline: PIPELINE, lake: whole.lake, db: whole.db });
    const b2 = await runUpdate({
      pipeline: PIPELINE,
      lake: split.lake,
      db: split.db,
      batchBytes: 1,
    });
    assert.deepEqual(counts(b2), counts(a2));
    assert.equal(a2.datasets[0].rowsWritten, 2, "f and g; a was already written");
    assert.deepEqual(await rows(split.db, TABLES), await rows(whole.db, TABLES));
  } finally {
    await whole.remove();
    await split.remove();
  }
});

Deno.test("batches: files split in order once a batch reaches its byte budget", () => {
  const f = (path: string, size: number): LakeFile => ({ path, size, mtime: new Date(0) });
  const files = [f("a", 100), f("b", 50), f("c", 60), f("d", 500), f("e", 1)];
  assert.deepEqual(fileBatches(files, 150).map((b) => b.map((x) => x.path)), [
    ["a", "b"],
    ["c", "d"],
    ["e"],
  ]);
  assert.deepEqual(fileBatches(files, 1).map((b) => b.length), [1, 1, 1, 1, 1]);
  assert.deepEqual(fileBatches(files, 1e9).map((b) => b.length), [5]);
  assert.deepEqual(fileBatches([], 10), [[]], "no files: one empty batch");
});
