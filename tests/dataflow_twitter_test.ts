/**
 * pipelines/twitter.sql end to end on a local lake: the bundled X sample plus
 * hand-written Jetstream events, deduplication, the event log, full refresh and
 * dry run.
 */
import { DEFAULTS } from "../lib/config.ts";
import { scoreNew } from "../lib/sentiment/mod.ts";
import { keywordClassifier } from "./fixtures/sentiment/helpers.ts";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { query, withDb } from "../lib/db.ts";
import {
  readEventLog,
  readExpectationMetrics,
  readQuarantine,
  runUpdate,
} from "../lib/dataflow/mod.ts";
import {
  copySample,
  counts,
  FIXTURES,
  snapshot,
  workspace,
  writeLakeFile,
} from "./fixtures/dataflow/support.ts";

const TABLES = ["bronze", "bronze_jetstream", "silver", "silver_quarantine", "languages"];

Deno.test("twitter.sql: sample through bronze → silver → gold; a rerun changes nothing", async () => {
  const ws = await workspace();
  try {
    await copySample(ws.lake);
    const first = await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    assert.equal(first.status, "completed");
    const c1 = await counts(ws.db, [...TABLES, "tweets_per_hour"]);
    // 2,403 lines: 2,400 events (3 malformed lines rescued), 1,462 English; the rest dropped.
    assert.deepEqual(c1, {
      bronze: 2403,
      bronze_jetstream: 0,
      silver: 1462,
      silver_quarantine: 941,
      languages: 7,
      tweets_per_hour: c1.tweets_per_hour,
    });
    assert.ok(c1.tweets_per_hour > 0);
    await withDb(ws.db, async (conn) => {
      const rescued = await query(
        conn,
        "SELECT count(*) AS n FROM bronze WHERE _rescued_data IS NOT NULL",
      );
      assert.equal(rescued[0].n, 3);
      const cols = await query(conn, "SELECT column_name FROM (DESCRIBE silver)");
      assert.deepEqual(cols.map((r) => r.column_name), [
        "id",
        "source",
        "lang",
        "text",
        "author_id",
        "created_at",
        "post_type",
        "place",
        "country",
        "ingested_at",
        "_source_file",
      ]); // deno-fmt-ignore
      const broken = await readQuarantine(conn, "silver");
      assert.equal(broken.filter((r) => r.id === null).length, 3);
      assert.ok(broken.every((r) => r._update_id === first.updateId));
      const log = await readEventLog(conn);
      assert.equal(log.length, 5, "one event log row per dataset");
      const silver = log.find((r) => r.dataset === "silver")!;
      assert.equal(silver.rows_written, 1462);
      assert.equal(silver.rows_dropped, 941);
      assert.equal(silver.status, "completed");
      const metrics = await readExpectationMetrics(conn);
      assert.deepEqual(
        metrics.map((m) => [m.expectation, m.passed_records, m.failed_records]),
        [["has_created_at", 2400, 3], ["valid_id", 2400, 3], ["valid_language", 1462, 941]],
      );
    });
    const before = await snapshot(ws.db, TABLES);
    const second = await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    assert.equal(second.datasets.find((d) => d.name === "bronze")!.filesRead, 0);
    assert.deepEqual(await snapshot(ws.db, TABLES), before);
  } finally {
    await ws.remove();
  }
});

Deno.test("twitter.sql: Jetstream posts conform into silver; replayed posts update their row by id (AUTO CDC)", async () => {
  const ws = await workspace();
  try {
    await copySample(ws.lake);
    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    // A replay of the same sample lands again under new names, plus Jetstream events.
    const sample = await Deno.readTextFile(`${ws.lake}/raw/x/date=2026-11-20/sample-01.ndjson`);
    await writeLakeFile(ws.lake, "raw/x/date=2026-11-21/replay-0001.ndjson", sample);
    await writeLakeFile(
      ws.lake,
      "raw/jetstream/date=2026-11-20/0001.ndjson",
      await Deno.readTextFile(`${FIXTURES}jetstream/events.ndjson`),
    );
    const before = (await counts(ws.db, ["silver"])).silver;
    const r = await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    const silver = r.datasets.find((d) => d.name === "silver")!;
    // The replayed English posts match ids silver has: each updates its row (the latest arrival
    // wins), and only the two English Bluesky posts add rows.
    assert.equal(silver.rowsDuplicate, silver.rowsWritten - 2, "the replayed posts are duplicates");
    assert.ok(silver.rowsDuplicate > 0);
    assert.equal((await counts(ws.db, ["silver"])).silver, before + 2);
    await withDb(ws.db, async (conn) => {
      const replayed = await query(
        conn,
        "SELECT count(*) AS n FROM silver WHERE _source_file LIKE '%replay-0001.ndjson'",
      );
      assert.equal(Number(replayed[0].n), silver.rowsDuplicate);
      const dup = await query(conn, "SELECT count(*) - count(DISTINCT id) AS d FROM silver");
      assert.equal(dup[0].d, 0);
      const bsky = await query(
        conn,
        "SELECT id, lang, text, author_id, created_at FROM silver WHERE source = 'jetstream' ORDER BY id",
      );
      assert.deepEqual(bsky.map((x) => [x.id, x.lang, x.author_id]), [
        ["did:plc:alice/3kpost1", "en", "did:plc:alice"],
        ["did:plc:frank/3kpost3", "en", "did:plc:frank"],
      ]);
      assert.equal((bsky[0].created_at as Date).toISOString(), "2026-11-20T10:15:00.000Z");
      // A post with no language (langs: []) reads as NULL (try_element_at: element_at would
      // fail the update under ANSI mode, as on Databricks) and is dropped by valid_language.
      const nolang = await query(
        conn,
        "SELECT lang FROM silver_quarantine WHERE id = 'did:plc:gina/3kpost4'",
      );
      assert.deepEqual(nolang.map((x) => x.lang), [null]);
      const ja = await query(conn, "SELECT count FROM languages WHERE lang = 'ja'");
      assert.equal(ja[0].count, 1, "languages counts every language that bronze received");
      const en = await query(conn, "SELECT count FROM languages WHERE lang = 'en'");
      const direct = await query(conn, "SELECT count(*) AS n FROM bronze WHERE data.lang = 'en'");
      assert.deepEqual(en.map((x) => x.count), [Number(direct[0].n) + 2], "one row, all of bronze");
    });
  } finally {
    await ws.remove();
  }
});

Deno.test("twitter.sql: full refresh of silver recomputes it and its readers; dry run writes nothing", async () => {
  const ws = await workspace();
  try {
    await copySample(ws.lake);
    const dry = await runUpdate({
      pipeline: DEFAULTS.pipeline,
      lake: ws.lake,
      db: ws.db,
      dryRun: true,
    });
    assert.equal(dry.status, "dry_run");
    assert.ok(dry.datasets.every((d) => d.status === "validated"));
    assert.equal(existsSync(ws.db), false, "a dry run creates no database");

    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    const before = await snapshot(ws.db, TABLES);
    const again = await runUpdate({
      pipeline: DEFAULTS.pipeline,
      lake: ws.lake,
      db: ws.db,
      dryRun: true,
    });
    assert.equal(again.datasets.find((d) => d.name === "bronze")!.filesRead, 0);
    assert.deepEqual(await snapshot(ws.db, TABLES), before);

    const r = await runUpdate({
      pipeline: DEFAULTS.pipeline,
      lake: ws.lake,
      db: ws.db,
      fullRefresh: ["silver"],
    });
    assert.deepEqual(r.fullRefresh, ["silver", "tweets_per_hour"]);
    const silver = r.datasets.find((d) => d.name === "silver")!;
    assert.equal(silver.rowsRead, 2403, "silver reads all of bronze again");
    assert.equal(r.datasets.find((d) => d.name === "bronze")!.rowsRead, 0);
    assert.deepEqual(await snapshot(ws.db, TABLES), before);

    const all = await runUpdate({
      pipeline: DEFAULTS.pipeline,
      lake: ws.lake,
      db: ws.db,
      fullRefresh: true,
    });
    assert.equal(all.datasets.find((d) => d.name === "bronze")!.filesRead, 4);
    assert.deepEqual(await snapshot(ws.db, TABLES), before);
    await withDb(ws.db, async (conn) => {
      const log = await readEventLog(conn);
      assert.equal(log.length, 5 * 3, "dry runs leave no event log rows");
    });
  } finally {
    await ws.remove();
  }
});

Deno.test("twitter.sql → sentiment: after a replay updates silver rows, scoring sees each new row once", async () => {
  const ws = await workspace();
  try {
    await copySample(ws.lake);
    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    const c = keywordClassifier();
    const first = await scoreNew({ db: ws.db, classifier: c });
    const scored = new Set(c.seen);
    assert.equal(first.scored, c.seen.length);
    assert.ok(first.scored > 0);
    // The whole sample again (its rows updated in place by AUTO CDC) plus two new Bluesky posts.
    const sample = await Deno.readTextFile(`${ws.lake}/raw/x/date=2026-11-20/sample-01.ndjson`);
    await writeLakeFile(ws.lake, "raw/x/date=2026-11-21/replay-0001.ndjson", sample);
    await writeLakeFile(
      ws.lake,
      "raw/jetstream/date=2026-11-20/0001.ndjson",
      await Deno.readTextFile(`${FIXTURES}jetstream/events.ndjson`),
    );
    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    const seenBefore = c.seen.length;
    const second = await scoreNew({ db: ws.db, classifier: c });
    assert.equal(second.scored, 2, "only the two new posts are scored");
    assert.ok(c.seen.slice(seenBefore).every((t) => !scored.has(t)));
    await withDb(ws.db, async (conn) => {
      const [{ n, d }] = await query(
        conn,
        "SELECT count(*) AS n, count(DISTINCT id) AS d FROM sentiment",
      );
      assert.equal(Number(n), Number(d), "one score per post");
    });
  } finally {
    await ws.remove();
  }
});
