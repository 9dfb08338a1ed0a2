/**
 * `deno task dataflow --check --target databricks`: every construct only this engine
 * understands is listed with file and line (engine table properties and settings, source paths
 * relative to the local lake or on a local disk, DuckDB-only functions and syntax); the project's
 * own pipeline has none.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS } from "../lib/config.ts";
import { loadPipeline } from "../lib/dataflow/mod.ts";
import { checkDatabricks } from "../lib/dataflow/check_databricks.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

async function dataflow(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, "dataflow", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

/** The engine-only shapes: what pipelines/twitter.sql looked like before AUTO CDC, and more. */
const ENGINE_ONLY = `SET tweetlake.table.users = 'csv:/data/users.csv';
CREATE OR REFRESH STREAMING TABLE bronze
AS SELECT * FROM STREAM read_files('raw/x', format => 'json');
CREATE OR REFRESH STREAMING TABLE disk
AS SELECT * FROM STREAM read_files('/home/me/tweets', format => 'json');
CREATE OR REFRESH STREAMING TABLE cloud
AS SELECT * FROM STREAM read_files('s3://bucket/tweets', format => 'json');
CREATE OR REFRESH STREAMING TABLE param
AS SELECT * FROM STREAM read_files('\${lake}/raw/x', format => 'json');
CREATE OR REFRESH STREAMING TABLE silver
TBLPROPERTIES ('tweetlake.dedupeKeys' = 'id', 'quality' = 'silver')
AS SELECT * EXCLUDE (data), strftime(_ingested_at, '%Y') AS y FROM STREAM(bronze);
`;

Deno.test("check --target databricks: the project's pipeline has nothing engine-only", async () => {
  assert.deepEqual(checkDatabricks(await loadPipeline(DEFAULTS.pipeline)), []);
  const r = await dataflow("--check", "--target", "databricks");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /nothing engine-only/);
});

Deno.test("check --target databricks: lists each engine-only construct with file and line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-check-" });
  try {
    const file = join(dir, "engine_only.sql");
    await Deno.writeTextFile(file, ENGINE_ONLY);
    const found = checkDatabricks(await loadPipeline(file)).map((f) => [f.line, f.feature]);
    assert.deepEqual(found, [
      [1, "configuration tweetlake.table.users"],
      [3, "read_files('raw/x')"],
      [5, "read_files('/home/me/tweets')"],
      [10, "TBLPROPERTIES 'tweetlake.dedupeKeys'"],
      [12, "DuckDB function strftime()"],
      [12, "SELECT * EXCLUDE"],
    ]);
    const r = await dataflow("--pipeline", file, "--check", "--target", "databricks");
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /engine_only\.sql:10: dataset silver: TBLPROPERTIES 'tweetlake\.dedupeKeys' is engine-only: .*AUTO CDC/,
    );
    assert.match(r.out, /engine_only\.sql:3: read_files\('raw\/x'\) is engine-only: .*\$\{lake\}/);
    assert.match(r.err, /6 engine-only construct\(s\)/);
    const bad = await dataflow("--target", "databricks");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--target databricks goes with --check/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
