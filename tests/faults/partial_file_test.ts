/**
 * A file another tool is still writing (a separate process appending to it) while updates run
 * one after another: no update takes part of it, and once it is complete every line is read
 * exactly once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parsePipeline, runUpdate } from "../../lib/dataflow/mod.ts";
import { query, withDb } from "../../lib/db.ts";

const LINES = 400;
const WRITER = `
const [path, n] = Deno.args;
const f = await Deno.open(path, { append: true, create: true });
for (let k = 0; k < Number(n); k++) {
  await f.write(new TextEncoder().encode(JSON.stringify({ id: k, text: "event " + k }) + "\\n"));
  await new Promise((r) => setTimeout(r, 5));
}
f.close();
`;

Deno.test("faults: a file still being written by another process is read only whole, once", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "faults-partial-" });
  try {
    const lake = join(tmp, "lake");
    const db = join(tmp, "t.duckdb");
    await Deno.mkdir(join(lake, "raw/w"), { recursive: true });
    const pipeline = parsePipeline(
      `CREATE OR REFRESH STREAMING TABLE bronze AS
       SELECT * FROM STREAM read_files('raw/w', format => 'json');`,
      "partial.sql",
    );
    const writer = new Deno.Command(Deno.execPath(), {
      args: ["eval", WRITER, join(lake, "raw/w/growing.ndjson"), String(LINES)],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    let done = false;
    const finished = writer.status.then((s) => {
      done = true;
      return s;
    });
    let updates = 0;
    let early = 0;
    while (!done) {
      const r = await runUpdate({ pipeline, lake, db, settleSeconds: 2 });
      early += r.datasets[0].rowsWritten ?? 0;
      updates++;
    }
    assert.equal((await finished).code, 0);
    await new Promise((r) => setTimeout(r, 2100)); // the settle interval
    await runUpdate({ pipeline, lake, db, settleSeconds: 2 });
    assert.ok(updates >= 1, "updates ran while the file was written");
    assert.equal(early, 0, "no update took part of the file while it grew");
    await withDb(db, async (conn) => {
      const [r] = await query(conn, "select count(*) as n, count(distinct id) as d from bronze");
      assert.deepEqual([Number(r.n), Number(r.d)], [LINES, LINES], "every line exactly once");
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
