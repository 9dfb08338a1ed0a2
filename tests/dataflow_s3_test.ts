/**
 * Golden test: pipelines/twitter.sql runs unchanged on a local lake and on an S3
 * lake (fauxqs on loopback) and produces the same tables.
 */
import { DEFAULTS } from "../lib/config.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { query, withDb } from "../lib/db.ts";
import { runUpdate } from "../lib/dataflow/mod.ts";
import { openLake } from "../lib/lake/mod.ts";
import { startS3Server } from "./support/s3_server.ts";
import { copySample, FIXTURES, snapshot, workspace } from "./fixtures/dataflow/support.ts";

const TABLES = [
  "bronze",
  "bronze_jetstream",
  "silver",
  "silver_quarantine",
  "languages",
  "tweets_per_hour",
];

Deno.test("s3: the same pipeline file gives the same tables on a local and an S3 lake", async () => {
  const ws = await workspace();
  const server = await startS3Server();
  const lake = openLake(server.url("lake"), {
    ...server.options,
    cacheDir: join(ws.dir, "s3-cache"),
  });
  try {
    const names = await copySample(ws.lake);
    const jetstream = await Deno.readFile(`${FIXTURES}jetstream/events.ndjson`);
    await Deno.mkdir(join(ws.lake, "raw/jetstream/date=2026-11-20"), { recursive: true });
    await Deno.writeFile(join(ws.lake, "raw/jetstream/date=2026-11-20/0001.ndjson"), jetstream);
    for (const n of names) {
      await lake.put(
        `raw/x/date=2026-11-20/${n}`,
        await Deno.readFile(join(ws.lake, `raw/x/date=2026-11-20/${n}`)),
      );
    }
    await lake.put("raw/jetstream/date=2026-11-20/0001.ndjson", jetstream);
    await lake.put("raw/x/date=2026-11-20/in-flight.ndjson.tmp", new TextEncoder().encode("{}\n"));

    const localDb = join(ws.dir, "local.duckdb");
    const s3Db = join(ws.dir, "s3.duckdb");
    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: localDb });
    const r = await runUpdate({ pipeline: DEFAULTS.pipeline, lake, db: s3Db });
    assert.equal(r.lake, server.url("lake"));
    assert.equal(r.datasets.find((d) => d.name === "bronze")!.filesRead, names.length);
    assert.deepEqual(await snapshot(s3Db, TABLES), await snapshot(localDb, TABLES));
    await withDb(s3Db, async (conn) => {
      const files = await query(conn, "SELECT DISTINCT _source_file AS f FROM silver ORDER BY f");
      assert.ok(files.length > 0);
      for (const f of files) {
        assert.match(
          String(f.f),
          /^s3:\/\/tweetlake-test\/lake\/raw\/(x|jetstream)\/date=2026-11-20\//,
        );
      }
    });
    // Incremental on S3 too: nothing new, nothing read.
    const again = await runUpdate({ pipeline: DEFAULTS.pipeline, lake, db: s3Db });
    assert.equal(again.datasets.find((d) => d.name === "bronze")!.filesRead, 0);
  } finally {
    lake.close?.();
    await server.close();
    await ws.remove();
  }
});
