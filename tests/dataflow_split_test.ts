/**
 * Table contents never depend on how input was split into updates: the same files, cut into
 * updates at random places (seeded), give exactly the tables (types and rows) of one full
 * refresh, because a value that doesn't fit its column, at any depth, is rescued with its whole
 * line rather than read as NULL, and the schema keeps the first type seen for each field.
 */
import assert from "node:assert/strict";
import { query, withDb } from "../lib/db.ts";
import { parsePipeline, runUpdate } from "../lib/dataflow/mod.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

const PIPELINE = parsePipeline(
  `CREATE OR REFRESH STREAMING TABLE bronze AS
     SELECT * FROM STREAM read_files('raw/s', format => 'json');
   CREATE OR REFRESH STREAMING TABLE silver AS
     SELECT id, m.likes AS likes, m.tags AS tags, flag, _rescued_data IS NOT NULL AS rescued
     FROM STREAM(LIVE.bronze);
   CREATE OR REFRESH MATERIALIZED VIEW totals AS
     SELECT count(*) AS n, count(likes) AS likes, count(*) FILTER (WHERE rescued) AS rescued
     FROM LIVE.silver;`,
  "split.sql",
);
const TABLES = ["bronze", "silver", "totals"];

/** A small seeded generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Files of events whose nested values change type, with new fields and bad lines on the way. */
function files(rand: () => number): string[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const out: string[] = [];
  let id = 0;
  for (let f = 0; f < 10; f++) {
    const lines: string[] = [];
    const n = 1 + Math.floor(rand() * 5);
    for (let k = 0; k < n; k++) {
      if (rand() < 0.08) {
        lines.push(`{"id": ${id++}, "m": {"likes": 1`); // truncated
        continue;
      }
      const e: Record<string, unknown> = {
        id: id++,
        m: {
          likes: pick([5, 7, "1.2K", 2.5, null, { x: 1 }, [1], true]),
          tags: pick([[{ k: 1 }], [{ k: "a" }], [], [{ k: 2 }, { k: 3.5 }], "none"]),
          ...(f >= 4 && rand() < 0.5 ? { extra: pick([1, "x"]) } : {}),
        },
        flag: pick([true, false, "yes", 1, null]),
      };
      if (f >= 6 && rand() < 0.5) e.late = pick(["new", 3]);
      lines.push(JSON.stringify(e));
    }
    out.push(lines.join("\n") + "\n");
  }
  return out;
}

/** Each table's rows as sorted JSON, columns by name (a later column is appended, as in Delta). */
async function rowsOf(db: string): Promise<Record<string, string[]>> {
  return await withDb(db, async (conn) => {
    const out: Record<string, string[]> = {};
    for (const t of TABLES) {
      out[t] = (await query(conn, `SELECT * FROM "${t}"`)).map((r) =>
        JSON.stringify(
          Object.fromEntries(Object.entries(r).sort(([a], [b]) => a < b ? -1 : 1)),
          (_k, v) => typeof v === "bigint" ? String(v) : v,
        )
      ).sort();
    }
    return out;
  });
}

async function types(db: string): Promise<Record<string, string[]>> {
  return await withDb(db, async (conn) => {
    const out: Record<string, string[]> = {};
    for (const t of TABLES) {
      // By name: a column that appears later is appended to an existing table (as in Delta).
      out[t] = (await query(conn, `DESCRIBE "${t}"`)).map((r) =>
        `${r.column_name} ${r.column_type}`
      ).sort();
    }
    return out;
  });
}

for (const seed of [1, 2, 3]) {
  Deno.test(`split: seed ${seed}: any split into updates gives the tables of one full refresh`, async () => {
    const rand = random(seed);
    const all = files(rand);
    const ws = await workspace();
    try {
      // Incremental: the files arrive in order, in updates cut at random places.
      let updates = 0;
      for (let k = 0; k < all.length; k++) {
        await writeLakeFile(ws.lake, `raw/s/${String(k).padStart(3, "0")}.ndjson`, all[k]);
        if (k === all.length - 1 || rand() < 0.4) {
          await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
          updates++;
        }
      }
      const again = await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
      assert.deepEqual(
        again.datasets.map((d) => [d.name, d.filesRead, d.mode === "append" ? d.rowsWritten : 0]),
        again.datasets.map((d) => [d.name, 0, 0]),
        "a second update with nothing new changes nothing",
      );
      const incremental = { rows: await rowsOf(ws.db), types: await types(ws.db) };
      await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db, fullRefresh: true });
      const full = { rows: await rowsOf(ws.db), types: await types(ws.db) };
      assert.deepEqual(incremental.types, full.types, `types, ${updates} updates`);
      assert.deepEqual(incremental.rows, full.rows, `rows, ${updates} updates`);
      // The property is not empty: some nested values did not fit and were rescued.
      const [t] = await withDb(ws.db, (conn) => query(conn, "SELECT rescued FROM totals"));
      assert.ok(Number(t.rescued) > 0, "some lines were rescued");
    } finally {
      await ws.remove();
    }
  });
}

Deno.test("split: a nested value that changes type is rescued, not NULL, in any split", async () => {
  const ws = await workspace();
  const pipeline = parsePipeline(
    "CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('raw/s');",
    "nested.sql",
  );
  try {
    await writeLakeFile(ws.lake, "raw/s/1.ndjson", '{"id": 1, "m": {"likes": 5}}\n');
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    await writeLakeFile(ws.lake, "raw/s/2.ndjson", '{"id": 2, "m": {"likes": "1.2K"}}\n');
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    const rows = await withDb(
      ws.db,
      (conn) =>
        query(conn, "SELECT id, m.likes AS likes, _rescued_data AS r FROM bronze ORDER BY id"),
    );
    assert.deepEqual(rows.map((r) => [r.id, r.likes, r.r]), [
      [1, 5, null],
      [2, null, '{"id": 2, "m": {"likes": "1.2K"}}'],
    ]);
  } finally {
    await ws.remove();
  }
});
