/**
 * The original demo's pipeline file, run as written over flat tweet JSON: the
 * Autoloader's checkpoints, schema inference and drift, `_rescued_data`, and an
 * aggregating streaming table keeping its totals across incremental runs.
 */
import { DEFAULTS } from "../lib/config.ts";
import assert from "node:assert/strict";
import { query, withDb } from "../lib/db.ts";
import { parsePipeline, runUpdate } from "../lib/dataflow/mod.ts";
import {
  copySample,
  FIXTURES,
  SAMPLE,
  workspace,
  writeLakeFile,
} from "./fixtures/dataflow/support.ts";

const PIPELINE = `${FIXTURES}original.sql`;
const flat = (n: number) => Deno.readTextFile(`${FIXTURES}flat/tweets-${n}.ndjson`);

Deno.test("autoloader: original pipeline runs as written; new files only; schema drift; rescue", async () => {
  const ws = await workspace();
  try {
    await writeLakeFile(ws.lake, "raw/flat/tweets-1.ndjson", await flat(1));
    await writeLakeFile(ws.lake, "raw/flat/notes.txt", "not input\n");
    await writeLakeFile(ws.lake, "raw/flat/partial.ndjson.tmp", '{"id": "999"}\n');
    const first = await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
    const byName = Object.fromEntries(first.datasets.map((d) => [d.name, d]));
    assert.equal(byName.bronze.filesRead, 1);
    assert.equal(byName.bronze.rowsWritten, 4);
    assert.equal(byName.silver.rowsWritten, 2); // 101 and 103 are English
    assert.deepEqual(byName.silver.expectations.map((e) => [e.name, e.passed, e.failed]), [
      ["valid_language", 2, 2],
      ["valid_id", 4, 0],
    ]);

    // A second batch: a new field (place), a truncated line, and a value that no longer fits.
    await writeLakeFile(ws.lake, "raw/flat/tweets-2.ndjson", await flat(2));
    const second = await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
    const b2 = second.datasets.find((d) => d.name === "bronze")!;
    assert.equal(b2.filesRead, 1, "only the new file is read");
    assert.equal(b2.rowsRead, 4);
    const s2 = second.datasets.find((d) => d.name === "silver")!;
    assert.equal(s2.rowsRead, 4, "silver reads only bronze's new rows");

    await withDb(ws.db, async (conn) => {
      const rows = await query(
        conn,
        `SELECT id, retweet_count, place, _rescued_data FROM bronze ORDER BY id`,
      );
      assert.equal(rows.length, 8);
      assert.equal(rows[0].place, null, "rows from before the drift get NULL for the new field");
      const eve = rows.find((r) => r.id === "105")!;
      assert.deepEqual(eve.place, { country: "NZ" });
      assert.equal(eve.retweet_count, 5, "the inferred BIGINT type is kept");
      const truncated = rows.find((r) => String(r._rescued_data ?? "").includes("truncated json"))!;
      assert.equal(truncated.id, null);
      const misfit = rows.find((r) => r.id === "108")!;
      assert.equal(misfit.retweet_count, null);
      assert.match(String(misfit._rescued_data), /"retweet_count": "many"/);
      const langs = await query(conn, "SELECT lang, count FROM languages ORDER BY lang NULLS LAST");
      assert.deepEqual(langs.map((r) => [r.lang, r.count]), [
        ["de", 1],
        ["en", 4],
        ["es", 1],
        ["fr", 1],
        [null, 1],
      ], "one row per language with totals over both runs");
      const q = await query(
        conn,
        "SELECT id, _failed_expectations FROM silver_quarantine ORDER BY id",
      );
      assert.deepEqual(q.map((r) => [r.id, r._failed_expectations]), [
        ["102", ["valid_language"]],
        ["104", ["valid_language"]],
        ["106", ["valid_language"]],
        [null, ["valid_language", "valid_id"]],
      ]);
      const ckpt = await query(conn, "SELECT path FROM _dataflow_files ORDER BY path");
      assert.deepEqual(ckpt.map((r) => r.path), [
        "raw/flat/tweets-1.ndjson",
        "raw/flat/tweets-2.ndjson",
      ]);
    });

    // Nothing new: nothing read, nothing written, totals unchanged.
    const third = await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
    assert.deepEqual(
      third.datasets.map((d) => [d.name, d.filesRead, d.rowsWritten]),
      [["bronze", 0, 0], ["silver", 0, 0], ["languages", 0, 5]],
    );
  } finally {
    await ws.remove();
  }
});

Deno.test("autoloader: a source path may be an absolute folder outside the lake", async () => {
  const ws = await workspace();
  try {
    const landing = `${ws.dir}/landing`;
    await writeLakeFile(landing, "tweets-1.ndjson", await flat(1));
    const pipeline = parsePipeline(
      (await Deno.readTextFile(PIPELINE)).replace('"raw/flat"', `"${landing}"`)
        .replace("SELECT * FROM", "SELECT *, _metadata.file_path AS source_file FROM"),
      "absolute.sql",
    );
    const r = await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.equal(r.datasets[0].filesRead, 1);
    await withDb(ws.db, async (conn) => {
      const [row] = await query(conn, "SELECT DISTINCT source_file AS f FROM bronze");
      assert.equal(row.f, `${landing}/tweets-1.ndjson`);
    });
  } finally {
    await ws.remove();
  }
});

Deno.test("autoloader: X v2 events keep every field; nested and top-level drift evolve bronze", async () => {
  const ws = await workspace();
  try {
    await copySample(ws.lake);
    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    const drifted = {
      data: {
        id: "42",
        text: "now with a place",
        lang: "en",
        author_id: "7",
        created_at: "2026-11-22T08:00:00.000Z",
        geo: { place_id: "01a9a39529b27f36" },
      },
      includes: { users: [{ id: "7", username: "u7", name: "U 7" }] },
      matching_rules: [{ id: "1", tag: "t" }],
      edit_history: ["42"],
    };
    await writeLakeFile(ws.lake, "raw/x/date=2026-11-22/drift.ndjson", JSON.stringify(drifted));
    const r = await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    assert.equal(r.datasets.find((d) => d.name === "silver")!.rowsWritten, 1);
    // The sample's second event, as the generator wrote it.
    const second = JSON.parse(
      (await Deno.readTextFile(`${SAMPLE}sample-01.ndjson`)).split("\n")[1],
    ).data;
    assert.equal(second.id, "1860000000000007777");
    await withDb(ws.db, async (conn) => {
      const rows = await query(
        conn,
        `SELECT data.id AS id, data.public_metrics.like_count AS likes, data.geo.place_id AS place,
           edit_history FROM bronze WHERE data.id IN ('42', '1860000000000007777') ORDER BY id`,
      );
      assert.deepEqual(rows.map((x) => [x.id, x.place, x.edit_history]), [
        ["1860000000000007777", second.geo?.place_id ?? null, null],
        ["42", "01a9a39529b27f36", ["42"]],
      ]);
      assert.equal(
        rows[0].likes,
        second.public_metrics.like_count,
        "fields outside the schema hints are kept",
      );
    });
  } finally {
    await ws.remove();
  }
});
