/**
 * Only complete files are read: a file still being written (size or mtime changing within the
 * settle interval) is left for a later update; the checkpoint keeps each file's size, mtime and
 * ETag, and a processed file that changes later is reported by name, and read again only with
 * `allowOverwrites`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { query, withDb } from "../lib/db.ts";
import { parsePipeline, runUpdate } from "../lib/dataflow/mod.ts";
import { pickFiles, recordFiles } from "../lib/dataflow/autoloader.ts";
import { ensureState } from "../lib/dataflow/state.ts";
import type { SourceSpec } from "../lib/dataflow/translate.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

const pipeline = (options = "") =>
  parsePipeline(
    `CREATE OR REFRESH STREAMING TABLE bronze AS
     SELECT * FROM STREAM read_files('raw/w', format => 'json'${options});`,
    "settle.sql",
  );
const line = (k: number) => JSON.stringify({ id: k, text: `event ${k}` }) + "\n";

Deno.test("settle: a file still being written is left until it has settled, then read whole", async () => {
  const ws = await workspace();
  try {
    const path = join(ws.lake, "raw/w/growing.ndjson");
    await Deno.mkdir(join(ws.lake, "raw/w"), { recursive: true });
    await Deno.writeTextFile(path, [0, 1, 2].map(line).join(""));
    // Another tool keeps appending while the update looks at the file.
    let k = 3;
    const writer = setInterval(() => {
      if (k < 40) Deno.writeTextFileSync(path, line(k++), { append: true });
    }, 50);
    let first;
    try {
      first = await runUpdate({
        pipeline: pipeline(),
        lake: ws.lake,
        db: ws.db,
        settleSeconds: 0.5,
      });
    } finally {
      while (k < 40) await new Promise((r) => setTimeout(r, 20));
      clearInterval(writer);
    }
    const b1 = first.datasets[0];
    assert.equal(b1.filesRead, 0, "the growing file is not taken");
    assert.ok(
      b1.warnings?.some((w) => w.includes("raw/w/growing.ndjson is still being written")),
      `warned by name: ${b1.warnings}`,
    );
    await new Promise((r) => setTimeout(r, 600));
    const second = await runUpdate({
      pipeline: pipeline(),
      lake: ws.lake,
      db: ws.db,
      settleSeconds: 0.5,
    });
    assert.equal(second.datasets[0].rowsWritten, 40, "all 40 lines, once the file settled");
    const size = (await Deno.stat(path)).size;
    await withDb(ws.db, async (conn) => {
      const rows = await query(conn, "SELECT path, size FROM _dataflow_files");
      assert.deepEqual(rows.map((r) => [r.path, r.size]), [["raw/w/growing.ndjson", size]]);
    });
    const third = await runUpdate({ pipeline: pipeline(), lake: ws.lake, db: ws.db });
    assert.deepEqual(third.datasets.map((d) => [d.filesRead, d.rowsWritten]), [[0, 0]]);
  } finally {
    await ws.remove();
  }
});

Deno.test("settle: a processed file that changes is reported by name; allowOverwrites reads it again", async () => {
  const ws = await workspace();
  try {
    await writeLakeFile(ws.lake, "raw/w/a.ndjson", line(1) + line(2));
    await runUpdate({ pipeline: pipeline(), lake: ws.lake, db: ws.db });
    await writeLakeFile(ws.lake, "raw/w/a.ndjson", line(1) + line(2) + line(3));
    const changed = await runUpdate({ pipeline: pipeline(), lake: ws.lake, db: ws.db });
    const b = changed.datasets[0];
    assert.equal(b.rowsWritten, 0);
    assert.ok(
      b.warnings?.some((w) => w.startsWith("raw/w/a.ndjson changed after it was processed")),
      `warned by name: ${b.warnings}`,
    );
    const overwrite = pipeline(", allowOverwrites => true");
    const again = await runUpdate({ pipeline: overwrite, lake: ws.lake, db: ws.db });
    assert.equal(again.datasets[0].rowsWritten, 3, "the new version is read whole");
    const still = await runUpdate({ pipeline: overwrite, lake: ws.lake, db: ws.db });
    assert.equal(still.datasets[0].rowsWritten, 0, "and only once");
    await withDb(ws.db, async (conn) => {
      const [{ n }] = await query(conn, "SELECT count(*)::INTEGER AS n FROM bronze");
      assert.equal(n, 5, "Auto Loader appends a re-read file's rows");
    });
  } finally {
    await ws.remove();
  }
});

Deno.test("settle: the checkpoint keeps a file's ETag; a new ETag with the same size and mtime is a change", async () => {
  await withDb(":memory:", async (conn) => {
    await ensureState(conn);
    const spec: SourceSpec = { path: "raw/w", format: "json", options: {}, line: 1 };
    const place = { file: "t.sql", dataset: "bronze" };
    const mtime = new Date(Date.now() - 60_000);
    const v1 = { path: "raw/w/a.ndjson", size: 10, mtime, etag: '"v1"' };
    await recordFiles(conn, "bronze", spec, [v1], "u1");
    const [row] = await query(conn, "SELECT etag FROM _dataflow_files");
    assert.equal(row.etag, '"v1"');
    const same = await pickFiles(conn, "bronze", spec, [v1], () => Promise.resolve([v1]), place);
    assert.deepEqual(same, { files: [], warnings: [] });
    const v2 = { ...v1, etag: '"v2"' };
    const pick = await pickFiles(conn, "bronze", spec, [v2], () => Promise.resolve([v2]), place);
    assert.equal(pick.files.length, 0);
    assert.match(pick.warnings[0], /^raw\/w\/a\.ndjson changed after it was processed/);
  });
});
