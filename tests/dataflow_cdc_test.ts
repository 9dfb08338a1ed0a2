/**
 * Change data capture: `APPLY CHANGES INTO` and `CREATE FLOW … AS AUTO CDC INTO`
 * against hand-computed tables (the documentation's userId example: deletes, late
 * events, SCD 2 history, truncate), and a property test: seeded random change
 * feeds split at random into updates give the tables an independent fold in
 * sequence order gives, also after a full refresh.
 */
import assert from "node:assert/strict";
import { query, withDb } from "../lib/db.ts";
import { parsePipeline, PipelineError, runUpdate, UpdateError } from "../lib/dataflow/mod.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

const RAW = `CREATE OR REFRESH STREAMING TABLE changes AS
  SELECT userId, name, city, operation, sequenceNum
  FROM STREAM read_files('cdc', format => 'json',
    schemaHints => 'userId BIGINT, name STRING, city STRING, operation STRING, sequenceNum BIGINT');
`;

/** The documentation's example feed, in arrival order (late events included). */
const EXAMPLE = [
  [124, "Raul", "Oaxaca", "INSERT", 1],
  [123, "Isabel", "Monterrey", "INSERT", 1],
  [125, "Mercedes", "Tijuana", "INSERT", 2],
  [126, "Lily", "Cancun", "INSERT", 2],
  [123, null, null, "DELETE", 6],
  [125, "Mercedes", "Guadalajara", "UPDATE", 6],
  [125, "Mercedes", "Mexicali", "UPDATE", 5],
  [123, "Isabel", "Chihuahua", "UPDATE", 5],
] as const;

function lines(rows: readonly (readonly unknown[])[]): string {
  return rows.map(([userId, name, city, operation, sequenceNum]) =>
    JSON.stringify({ userId, name, city, operation, sequenceNum }) + "\n"
  ).join("");
}

async function rowsOf(db: string, sql: string): Promise<unknown[][]> {
  return await withDb(
    db,
    async (conn) =>
      (await query(conn, sql)).map((r) =>
        Object.values(r).map((v) => typeof v === "bigint" ? Number(v) : v)
      ),
  );
}

Deno.test("AUTO CDC: SCD 1 and SCD 2 give the documented tables for deletes and late events", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      RAW +
        `CREATE OR REFRESH STREAMING TABLE users;
         CREATE FLOW users_cdc AS AUTO CDC INTO users
         FROM STREAM(changes)
         KEYS (userId)
         APPLY AS DELETE WHEN operation = "DELETE"
         SEQUENCE BY sequenceNum
         COLUMNS * EXCEPT (operation, sequenceNum)
         STORED AS SCD TYPE 1;

         CREATE OR REFRESH STREAMING TABLE users_history;
         APPLY CHANGES INTO LIVE.users_history
         FROM STREAM(LIVE.changes)
         KEYS (userId)
         APPLY AS DELETE WHEN operation = "DELETE"
         SEQUENCE BY sequenceNum
         COLUMNS * EXCEPT (operation, sequenceNum)
         STORED AS SCD TYPE 2`,
      "cdc.sql",
    );
    // Two updates: the late events (sequence 5) arrive after the newer ones (sequence 6).
    await writeLakeFile(ws.lake, "cdc/1.json", lines(EXAMPLE.slice(0, 6)));
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    await writeLakeFile(ws.lake, "cdc/2.json", lines(EXAMPLE.slice(6)));
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    const scd1 = [
      [124, "Raul", "Oaxaca"],
      [125, "Mercedes", "Guadalajara"],
      [126, "Lily", "Cancun"],
    ];
    const scd2 = [
      [123, "Isabel", "Monterrey", 1, 5],
      [123, "Isabel", "Chihuahua", 5, 6],
      [124, "Raul", "Oaxaca", 1, null],
      [125, "Mercedes", "Tijuana", 2, 5],
      [125, "Mercedes", "Mexicali", 5, 6],
      [125, "Mercedes", "Guadalajara", 6, null],
      [126, "Lily", "Cancun", 2, null],
    ];
    assert.deepEqual(await rowsOf(ws.db, "SELECT * FROM users ORDER BY userId"), scd1);
    assert.deepEqual(
      await rowsOf(ws.db, "SELECT * FROM users_history ORDER BY userId, __START_AT"),
      scd2,
    );
    // A full refresh replays every change at once: the same tables.
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db, fullRefresh: true });
    assert.deepEqual(await rowsOf(ws.db, "SELECT * FROM users ORDER BY userId"), scd1);
    assert.deepEqual(
      await rowsOf(ws.db, "SELECT * FROM users_history ORDER BY userId, __START_AT"),
      scd2,
    );
  } finally {
    await ws.remove();
  }
});

Deno.test("AUTO CDC: the flow's conditions follow spark.sql.ansi.enabled (legacy: an invalid cast is NULL)", async () => {
  const flow = `CREATE OR REFRESH STREAMING TABLE users;
    CREATE FLOW users_cdc AS AUTO CDC INTO users
    FROM STREAM(changes)
    KEYS (userId)
    APPLY AS DELETE WHEN cast(operation AS INT) = 0
    SEQUENCE BY sequenceNum
    COLUMNS * EXCEPT (operation, sequenceNum)
    STORED AS SCD TYPE 1;`;
  const feed = lines([[1, "a", "x", "0", 1], [2, "b", "y", "0", 1], [2, "b", "y", "upsert", 2]]);
  for (const ansi of [false, true]) {
    const ws = await workspace();
    try {
      const pipeline = parsePipeline(
        `SET spark.sql.ansi.enabled = ${ansi};\n` + RAW + flow,
        "ansi.sql",
      );
      await writeLakeFile(ws.lake, "cdc/1.json", feed);
      if (ansi) {
        const e = await runUpdate({ pipeline, lake: ws.lake, db: ws.db }).catch((x) => x);
        assert.ok(e instanceof UpdateError, String(e));
      } else {
        await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
        // '0' deletes; 'upsert' casts to NULL (not a delete), so key 2 is upserted again.
        assert.deepEqual(await rowsOf(ws.db, "SELECT userId, name FROM users ORDER BY userId"), [
          [2, "b"],
        ]);
      }
    } finally {
      await ws.remove();
    }
  }
});

Deno.test("AUTO CDC: APPLY AS TRUNCATE WHEN clears what came before it in sequence", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      RAW +
        `CREATE OR REFRESH STREAMING TABLE users;
         APPLY CHANGES INTO users FROM STREAM(changes) KEYS (userId)
         APPLY AS DELETE WHEN operation = 'DELETE'
         APPLY AS TRUNCATE WHEN operation = 'TRUNCATE'
         SEQUENCE BY sequenceNum
         COLUMNS userId, name, city`,
      "truncate.sql",
    );
    await writeLakeFile(ws.lake, "cdc/1.json", lines(EXAMPLE));
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.equal((await rowsOf(ws.db, "SELECT * FROM users")).length, 3);
    await writeLakeFile(ws.lake, "cdc/2.json", lines([[null, null, null, "TRUNCATE", 3]]));
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(await rowsOf(ws.db, "SELECT * FROM users ORDER BY userId"), [
      [125, "Mercedes", "Guadalajara"],
    ]);
    // A late insert from before the truncate stays cleared; a newer one lands.
    await writeLakeFile(
      ws.lake,
      "cdc/3.json",
      lines([[127, "Ana", "Puebla", "INSERT", 2], [128, "Leo", "Leon", "INSERT", 4]]),
    );
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    assert.deepEqual(await rowsOf(ws.db, "SELECT userId FROM users ORDER BY userId"), [
      [125],
      [128],
    ]);
  } finally {
    await ws.remove();
  }
});

Deno.test("AUTO CDC: SEQUENCE BY a struct, IGNORE NULL UPDATES, TRACK HISTORY ON", async () => {
  const ws = await workspace();
  try {
    const pipeline = parsePipeline(
      `CREATE OR REFRESH STREAMING TABLE ev AS
         SELECT * FROM STREAM read_files('ev', format => 'json',
           schemaHints => 'id BIGINT, epoch BIGINT, n BIGINT, a STRING, b STRING');
       CREATE OR REFRESH STREAMING TABLE t1;
       CREATE FLOW f1 AS AUTO CDC INTO t1 FROM STREAM(ev) KEYS (id)
         IGNORE NULL UPDATES SEQUENCE BY struct(epoch, n) COLUMNS id, a, b;
       CREATE OR REFRESH STREAMING TABLE t2;
       CREATE FLOW f2 AS AUTO CDC INTO t2 FROM STREAM(ev) KEYS (id) IGNORE NULL UPDATES
         SEQUENCE BY struct(epoch, n) COLUMNS * EXCEPT (epoch, n, _rescued_data)
         STORED AS SCD TYPE 2 TRACK HISTORY ON (a);`,
      "struct.sql",
    );
    const ev = (id: number, epoch: number, n: number, a: string | null, b: string | null) =>
      JSON.stringify({ id, epoch, n, a, b }) + "\n";
    // (epoch 2, n 1) is newer than (epoch 1, n 9): fields order the sequence in turn.
    await writeLakeFile(ws.lake, "ev/1.json", ev(1, 2, 1, "x", null) + ev(1, 1, 9, "w", "p"));
    await writeLakeFile(ws.lake, "ev/2.json", ev(1, 2, 5, null, "q") + ev(1, 3, 0, "y", null));
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    // IGNORE NULL UPDATES: a null keeps the value before it, in sequence order.
    assert.deepEqual(await rowsOf(ws.db, "SELECT id, a, b FROM t1"), [[1, "y", "q"]]);
    // TRACK HISTORY ON (a): a change of b alone updates the current version in place.
    assert.deepEqual(
      await rowsOf(
        ws.db,
        "SELECT a, b, __START_AT.epoch, __START_AT.n, __END_AT.epoch FROM t2 ORDER BY __START_AT",
      ),
      [["w", "p", 1, 9, 2], ["x", "q", 2, 1, 3], ["y", "q", 3, 0, null]],
    );
  } finally {
    await ws.remove();
  }
});

Deno.test("AUTO CDC: clear errors for a missing target, NULL sequence and conflicting changes", async () => {
  const ws = await workspace();
  try {
    assert.throws(
      () =>
        parsePipeline(
          RAW +
            "APPLY CHANGES INTO nope FROM STREAM(changes) KEYS (userId) SEQUENCE BY sequenceNum",
          "m.sql",
        ),
      (e: unknown) =>
        e instanceof PipelineError &&
        /m\.sql:5: dataset nope: flow nope writes into nope, which is not defined/.test(e.message),
    );
    assert.throws(
      () =>
        parsePipeline(
          RAW + "CREATE STREAMING TABLE t; APPLY CHANGES INTO t FROM STREAM(changes) KEYS (userId)",
          "k.sql",
        ),
      /k\.sql:5: dataset t: SEQUENCE BY is required/,
    );
    const pipeline = parsePipeline(
      RAW + `CREATE OR REFRESH STREAMING TABLE users;
      APPLY CHANGES INTO users FROM STREAM(changes) KEYS (userId) SEQUENCE BY sequenceNum;`,
      "c.sql",
    );
    await writeLakeFile(
      ws.lake,
      "cdc/1.json",
      lines([[1, "a", "x", "INSERT", 1], [1, "a", "x", "INSERT", 1], [1, "b", "y", "INSERT", 1]]),
    );
    const e = await runUpdate({ pipeline, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.ok(e instanceof UpdateError);
    assert.match(
      e.message,
      /c\.sql:6: dataset users: .*different change events for key \(userId = 1\) at the same sequence value 1/,
    );
    const scd2 = parsePipeline(
      RAW + `CREATE OR REFRESH STREAMING TABLE users;
      APPLY CHANGES INTO users FROM STREAM(changes) KEYS (userId) SEQUENCE BY sequenceNum
      STORED AS SCD TYPE 2;`,
      "c2.sql",
    );
    const e2 = await runUpdate({ pipeline: scd2, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.match(e2.message, /c2\.sql:6: .*different change events for key \(userId = 1\)/);
    await writeLakeFile(ws.lake, "cdc/1.json", lines([[1, "a", "x", "INSERT", null]]));
    const n = await runUpdate({ pipeline, lake: ws.lake, db: ws.db }).catch((x) => x);
    assert.match(n.message, /1 change event\(s\) have a NULL SEQUENCE BY value/);
  } finally {
    await ws.remove();
  }
});

// ---- property test: random feeds, random splits, an independent fold as the oracle ----

type Event = {
  id: number;
  seq: number;
  op: "UPSERT" | "DELETE";
  a: string | null;
  b: string | null;
};

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomFeed(seed: number): Event[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const out: Event[] = [];
  for (let id = 1; id <= 6; id++) {
    const seqs = [
      ...new Set(Array.from({ length: 1 + Math.floor(r() * 7) }, () => 1 + Math.floor(r() * 30))),
    ];
    for (const seq of seqs) {
      const del = r() < 0.2;
      out.push({
        id,
        seq,
        op: del ? "DELETE" : "UPSERT",
        a: del ? null : pick(["x", "y", null]),
        b: del ? null : pick(["p", "q", null]),
      });
    }
  }
  for (let k = 0; k < 4; k++) out.push({ ...pick(out) }); // exact duplicates
  for (let i = out.length - 1; i > 0; i--) { // arrival order is random: late events
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** SCD 1 / SCD 2 by folding the distinct events of each key in sequence order. */
function oracle(
  events: Event[],
  scd: 1 | 2,
  ignoreNull: boolean,
  tracked: ("a" | "b")[],
): unknown[][] {
  const rows: unknown[][] = [];
  const ids = [...new Set(events.map((e) => e.id))].sort((x, y) => x - y);
  for (const id of ids) {
    const evs = [...new Map(events.filter((e) => e.id === id).map((e) => [e.seq, e])).values()]
      .sort((x, y) => x.seq - y.seq);
    let cur: { a: string | null; b: string | null; start: number; end: number | null } | undefined;
    const versions: NonNullable<typeof cur>[] = [];
    for (const e of evs) {
      if (e.op === "DELETE") {
        if (cur) cur.end = e.seq;
        cur = undefined;
        continue;
      }
      const a = ignoreNull && e.a === null ? cur?.a ?? null : e.a;
      const b = ignoreNull && e.b === null ? cur?.b ?? null : e.b;
      if (cur && (scd === 1 || tracked.every((c) => ({ a, b })[c] === cur![c]))) {
        Object.assign(cur, { a, b });
      } else {
        if (cur) cur.end = e.seq;
        cur = { a, b, start: e.seq, end: null };
        versions.push(cur);
      }
    }
    if (scd === 1) {
      if (cur) rows.push([id, cur.a, cur.b]);
    } else for (const v of versions) rows.push([id, v.a, v.b, v.start, v.end]);
  }
  return rows;
}

const PROPERTY_SQL = `CREATE OR REFRESH STREAMING TABLE feed AS
  SELECT id, seq, op, a, b FROM STREAM read_files('feed', format => 'json',
    schemaHints => 'id BIGINT, seq BIGINT, op STRING, a STRING, b STRING');
CREATE OR REFRESH STREAMING TABLE s1;
CREATE FLOW f_s1 AS AUTO CDC INTO s1 FROM STREAM(feed) KEYS (id)
  APPLY AS DELETE WHEN op = 'DELETE' SEQUENCE BY seq COLUMNS id, a, b;
CREATE OR REFRESH STREAMING TABLE s1n;
CREATE FLOW f_s1n AS AUTO CDC INTO s1n FROM STREAM(feed) KEYS (id) IGNORE NULL UPDATES
  APPLY AS DELETE WHEN op = 'DELETE' SEQUENCE BY seq COLUMNS id, a, b;
CREATE OR REFRESH STREAMING TABLE s2;
CREATE FLOW f_s2 AS AUTO CDC INTO s2 FROM STREAM(feed) KEYS (id)
  APPLY AS DELETE WHEN op = 'DELETE' SEQUENCE BY seq COLUMNS * EXCEPT (op, seq)
  STORED AS SCD TYPE 2;
CREATE OR REFRESH STREAMING TABLE s2t;
CREATE FLOW f_s2t AS AUTO CDC INTO s2t FROM STREAM(feed) KEYS (id) IGNORE NULL UPDATES
  APPLY AS DELETE WHEN op = 'DELETE' SEQUENCE BY seq COLUMNS * EXCEPT (op, seq)
  STORED AS SCD TYPE 2 TRACK HISTORY ON * EXCEPT (b);`;

Deno.test("AUTO CDC: any split of a random feed into updates, and a full refresh, give the fold's tables", async () => {
  const pipeline = parsePipeline(PROPERTY_SQL, "property.sql");
  for (const seed of [1, 2, 3]) {
    const ws = await workspace();
    try {
      const feed = randomFeed(seed);
      const r = rng(seed * 7919);
      // An update before any change has arrived creates the (empty) tables.
      await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
      let start = 0;
      let file = 0;
      while (start < feed.length) {
        const end = Math.min(feed.length, start + 1 + Math.floor(r() * 8));
        await writeLakeFile(
          ws.lake,
          `feed/${String(file++).padStart(3, "0")}.json`,
          feed.slice(start, end).map((e) => JSON.stringify(e) + "\n").join(""),
        );
        start = end;
        if (r() < 0.6 || start === feed.length) {
          await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
        }
      }
      const expected = {
        s1: oracle(feed, 1, false, []),
        s1n: oracle(feed, 1, true, []),
        s2: oracle(feed, 2, false, ["a", "b"]),
        s2t: oracle(feed, 2, true, ["a"]),
      };
      const actual = async () => ({
        s1: await rowsOf(ws.db, "SELECT id, a, b FROM s1 ORDER BY id"),
        s1n: await rowsOf(ws.db, "SELECT id, a, b FROM s1n ORDER BY id"),
        s2: await rowsOf(
          ws.db,
          "SELECT id, a, b, __START_AT, __END_AT FROM s2 ORDER BY id, __START_AT",
        ),
        s2t: await rowsOf(
          ws.db,
          "SELECT id, a, b, __START_AT, __END_AT FROM s2t ORDER BY id, __START_AT",
        ),
      });
      const got = await actual();
      for (const t of Object.keys(expected) as (keyof typeof expected)[]) {
        assert.deepEqual(got[t], expected[t], `${t}: seed ${seed}, split into ${file} files`);
      }
      await runUpdate({ pipeline, lake: ws.lake, db: ws.db, fullRefresh: true });
      assert.deepEqual(await actual(), expected, `seed ${seed}, after a full refresh`);
    } finally {
      await ws.remove();
    }
  }
});
