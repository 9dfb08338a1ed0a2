/**
 * DuckDB settings: every database opens with a memory limit and a spill folder
 * (defaults, or TWEETLAKE_DUCKDB_MEMORY / TWEETLAKE_DUCKDB_TEMP), so a large update
 * spills instead of growing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { dbSettings, query, withDb } from "../lib/db.ts";

const SHOW = `
  import { query, withDb } from ${JSON.stringify(new URL("../lib/db.ts", import.meta.url).href)};
  const rows = await withDb(Deno.args[0], (c) => query(c,
    "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t"));
  console.log(JSON.stringify(rows[0]));`;

async function settingsIn(db: string, env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", SHOW, db],
    env,
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("db: a database opens with the memory limit and its spill folder beside it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-db-" });
  try {
    const db = join(dir, "a.duckdb");
    assert.deepEqual(dbSettings(db), { memoryLimit: "1GB", tempDirectory: `${db}.tmp` });
    const [row] = await withDb(db, (c) =>
      query(
        c,
        "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t",
      ));
    assert.equal(row.m, "953.6 MiB", "1GB (DuckDB prints MiB)");
    assert.equal(row.t, `${db}.tmp`);
    const other = join(dir, "spill");
    assert.deepEqual(
      await settingsIn(db, { TWEETLAKE_DUCKDB_MEMORY: "512MB", TWEETLAKE_DUCKDB_TEMP: other }),
      { m: "488.2 MiB", t: other },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
