/**
 * Dataflow benchmarks of the Autoloader's sources, called from `bench/dataflow_bench.ts`:
 * a 1 MB file of pathological lines (nesting of 1k, 2k, 5k and 100k levels, invalid UTF-8,
 * every control byte) beside a 1 MB file of ordinary events, read by a one-table pipeline. An
 * update's cost must stay linear in input bytes whatever the content: the two should take
 * about the same time (the report gives the ratio).
 */
import { join } from "node:path";
import { makeEvents } from "../tools/make-sample.ts";
import { report, timed } from "./util.ts";

const MB = 1 << 20;

/** About `bytes` of lines that can't be parsed or read: deep nesting, bad UTF-8, control bytes. */
export function pathologicalLines(bytes = MB): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let size = 0;
  const add = (b: Uint8Array) => {
    parts.push(b, Uint8Array.of(0x0a));
    size += b.length + 1;
  };
  for (const d of [1000, 2000, 5000]) add(enc.encode('{"a":'.repeat(d) + "1" + "}".repeat(d)));
  add(enc.encode(`{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`));
  for (let k = 0; size < bytes; k++) {
    add(Uint8Array.from([...enc.encode(`{"id":"${k}","t":"caf`), 0xe9, ...enc.encode('"}')]));
    const c = k % 32 === 10 ? 0 : k % 32;
    add(Uint8Array.from([...enc.encode(`{"id":"c${k}","t":"x`), c, ...enc.encode('y"}')]));
    add(enc.encode(`{"a":${"[".repeat(1200)}${"]".repeat(1200)}}`));
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
}

/** Times one update of a one-table pipeline over `data` (best of `rounds`, fresh databases). */
async function updateOver(data: Uint8Array, rounds: number): Promise<number> {
  const { parsePipeline, runUpdate } = await import("../lib/dataflow/mod.ts");
  const pipeline = parsePipeline(
    "CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('raw/p');",
    "bench.sql",
  );
  const tmp = await Deno.makeTempDir({ prefix: "tweetlake-sources-bench-" });
  try {
    await Deno.mkdir(join(tmp, "lake/raw/p"), { recursive: true });
    await Deno.writeFile(join(tmp, "lake/raw/p/part.ndjson"), data);
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const { seconds } = await timed(() =>
        runUpdate({
          pipeline,
          lake: join(tmp, "lake"),
          db: join(tmp, `b${r}.duckdb`),
          settleSeconds: 0,
        })
      );
      best = Math.min(best, seconds);
    }
    return best;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** The pathological-lines benchmark: 1 MB of poison vs 1 MB of ordinary events. */
export async function poisonBench(rounds = 3): Promise<void> {
  const poison = pathologicalLines();
  const events = new TextEncoder().encode(makeEvents(2000, 11, 0).join("\n") + "\n").slice(0, MB);
  const ordinary = events.slice(0, events.lastIndexOf(0x0a) + 1);
  const p = await updateOver(poison, rounds);
  const o = await updateOver(ordinary, rounds);
  report("dataflow 1 MB of pathological lines vs 1 MB of events", {
    poison_mb: +(poison.length / MB).toFixed(2),
    poison_s: +p.toFixed(3),
    events_mb: +(ordinary.length / MB).toFixed(2),
    events_s: +o.toFixed(3),
    ratio: +(p / o).toFixed(2),
  });
}

/** Rows of the format benchmark's files: an order-like table with numbers, text and dates. */
function tableSql(from: number, count: number): string {
  return `SELECT i AS order_id, i % 1000 AS customer_id, round((i * 7919 % 100000) / 100, 2) AS amount,
    'item-' || (i % 500) AS item, DATE '2026-01-01' + (i % 365)::INTEGER AS day
    FROM range(${from}, ${from + count}) t(i)`;
}

/**
 * CSV and Parquet sources beside DuckDB's own `read_csv` / `read_parquet` over the same files
 * (`rows` rows in 10 files each): the engine's one-table pipeline (checkpoints, schema, rescue)
 * vs `CREATE TABLE … AS SELECT * FROM read_…` written by hand. Target: ≤ 1.3×.
 */
export async function formatsBench(rows: number, rounds = 2): Promise<void> {
  const { withDb } = await import("../lib/db.ts");
  const { parsePipeline, runUpdate } = await import("../lib/dataflow/mod.ts");
  const tmp = await Deno.makeTempDir({ prefix: "tweetlake-formats-bench-" });
  try {
    const files = 10;
    const per = Math.ceil(rows / files);
    for (const fmt of ["csv", "parquet"]) {
      await Deno.mkdir(join(tmp, "lake", fmt), { recursive: true });
      await withDb(":memory:", async (conn) => {
        for (let k = 0; k < files; k++) {
          const path = join(tmp, "lake", fmt, `part-${k}.${fmt}`);
          const opts = fmt === "csv" ? "(FORMAT csv, HEADER true)" : "(FORMAT parquet)";
          await conn.run(`COPY (${tableSql(k * per, per)}) TO '${path}' ${opts}`);
        }
      });
    }
    const bytes = async (fmt: string) => {
      let n = 0;
      for await (const e of Deno.readDir(join(tmp, "lake", fmt))) {
        n += (await Deno.stat(join(tmp, "lake", fmt, e.name))).size;
      }
      return n;
    };
    for (const fmt of ["csv", "parquet"]) {
      const glob = join(tmp, "lake", fmt, `*.${fmt}`);
      const hand = fmt === "csv"
        ? `CREATE TABLE t AS SELECT * FROM read_csv('${glob}', header = true)`
        : `CREATE TABLE t AS SELECT * FROM read_parquet('${glob}')`;
      const pipeline = parsePipeline(
        `CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM STREAM read_files('${fmt}', ` +
          `format => '${fmt}'${fmt === "csv" ? ", header => 'true'" : ""});`,
        "formats.sql",
      );
      let bestHand = Infinity;
      let bestEngine = Infinity;
      for (let r = 0; r < rounds; r++) {
        const h = await timed(() =>
          withDb(join(tmp, `hand-${fmt}-${r}.duckdb`), (conn) => conn.run(hand))
        );
        bestHand = Math.min(bestHand, h.seconds);
        const e = await timed(() =>
          runUpdate({
            pipeline,
            lake: join(tmp, "lake"),
            db: join(tmp, `engine-${fmt}-${r}.duckdb`),
            settleSeconds: 0,
          })
        );
        bestEngine = Math.min(bestEngine, e.seconds);
      }
      report(`dataflow ${fmt} source vs read_${fmt}`, {
        rows,
        files,
        mib: +((await bytes(fmt)) / MB).toFixed(1),
        hand_s: +bestHand.toFixed(3),
        engine_s: +bestEngine.toFixed(3),
        ratio: +(bestEngine / bestHand).toFixed(2),
      });
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
