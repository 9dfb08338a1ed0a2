/**
 * Dataflow: pipelines/twitter.sql over replayed tweets (bronze → silver → gold) —
 * a first full run, an incremental run adding 1% new files, and a full refresh —
 * beside the same work as SQL written by hand and run directly on DuckDB (read_json
 * with union_by_name, as schema drift across files needs, and without it).
 *
 * `deno task bench dataflow` runs 100k and 1M tweets. Larger sizes are opt-in:
 * `DATAFLOW_BENCH_SIZES=4000000` (or `10000000`, or a comma list);
 * `DATAFLOW_BENCH_ROUNDS` full runs each (default 2, best reported);
 * `DATAFLOW_BENCH_DIR` is where the generated lake and databases go (default: the
 * system temp folder; 10M tweets take about 6 GB there, removed afterwards);
 * `DATAFLOW_BENCH_PROFILE=1` prints each engine run's phase profile to stderr;
 * `DATAFLOW_BENCH_PLAIN=0` leaves out the plain `read_json` baseline (saves a run at 10M).
 * First, from bench/dataflow_sources.ts: 1 MB of pathological lines beside 1 MB of events,
 * and CSV and Parquet sources beside read_csv / read_parquet
 * (`DATAFLOW_BENCH_FORMAT_ROWS` rows, default 1M).
 * Each measurement runs in its own process, so each peak RSS is its own.
 * Targets: engine ≤ 1.3× hand-written SQL in time and ≤ 1.5× in peak RSS at every
 * size; cost per tweet flat; full refresh no slower than the first full run;
 * +1% files ≈ 1% of a full run.
 */
import { DEFAULTS } from "../lib/config.ts";
import { join } from "node:path";
import { makeEvents } from "../tools/make-sample.ts";
import { formatProfile } from "../lib/dataflow/profile.ts";
import { cpuSeconds, peakRssMiB, report, timed } from "./util.ts";
import { formatsBench, poisonBench } from "./dataflow_sources.ts";

const SIZES = (Deno.env.get("DATAFLOW_BENCH_SIZES") ?? "100000,1000000").split(",").map(Number);
const PER_FILE = 10_000;
const ROUNDS = Number(Deno.env.get("DATAFLOW_BENCH_ROUNDS") ?? 2);
const SELF = new URL(import.meta.url).pathname;
const DIR = Deno.env.get("DATAFLOW_BENCH_DIR");
const PROFILE = Deno.env.get("DATAFLOW_BENCH_PROFILE") === "1";
const PLAIN = Deno.env.get("DATAFLOW_BENCH_PLAIN") !== "0";

/** The same pipeline written by hand for DuckDB (no checkpoints, no rescue, no event log). */
function handSql(glob: string, unionByName: boolean): string[] {
  return [
    `CREATE TABLE bronze AS SELECT *, filename AS _source_file FROM read_json('${glob}',
       format = 'newline_delimited', union_by_name = ${unionByName}, ignore_errors = true,
       filename = true)`,
    `CREATE TABLE conformed AS SELECT data.id AS id, 'x' AS source, data.lang AS lang,
       data.text AS text, data.author_id AS author_id,
       try_cast(data.created_at AS TIMESTAMP) AS created_at, now() AS ingested_at, _source_file
     FROM bronze`,
    `CREATE TABLE silver AS SELECT * FROM conformed WHERE lang = 'en' AND id IS NOT NULL
     QUALIFY row_number() OVER (PARTITION BY id) = 1`,
    `CREATE TABLE silver_quarantine AS SELECT * FROM conformed
     WHERE NOT coalesce(lang = 'en', false) OR id IS NULL`,
    `CREATE TABLE languages AS SELECT data.lang AS lang, count(*) AS count FROM bronze GROUP BY 1`,
    `CREATE TABLE tweets_per_hour AS SELECT date_trunc('hour', created_at) AS hour, lang,
       count(*) AS tweets FROM silver WHERE created_at IS NOT NULL GROUP BY ALL`,
  ];
}

async function child(mode: string, lake: string, db: string): Promise<void> {
  if (mode.startsWith("hand")) {
    // DuckDB as a user writing SQL by hand would open it: its own default settings.
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const sqls = handSql(join(lake, "raw/x/*/*.ndjson"), mode === "hand");
    const cpu0 = cpuSeconds();
    const { seconds } = await timed(async () => {
      const instance = await DuckDBInstance.create(db);
      const conn = await instance.connect();
      for (const sql of sqls) await conn.run(sql);
      conn.closeSync();
      instance.closeSync();
    });
    const cpu = +(cpuSeconds() - cpu0).toFixed(2);
    console.log(JSON.stringify({ seconds, cpu, rss: peakRssMiB() }));
    return;
  }
  const { runUpdate } = await import("../lib/dataflow/mod.ts");
  const cpu0 = cpuSeconds();
  const { result, seconds } = await timed(() =>
    runUpdate({
      pipeline: DEFAULTS.pipeline,
      lake,
      db,
      fullRefresh: mode === "refresh",
      profile: PROFILE,
      settleSeconds: 0, // files written just now are complete: measure the work, not the wait
    })
  );
  if (result.profile) console.error(`# profile: ${mode}\n${formatProfile(result.profile)}`);
  const silver = result.datasets.find((d) => d.name === "silver")!;
  const cpu = +(cpuSeconds() - cpu0).toFixed(2);
  console.log(JSON.stringify({ seconds, cpu, rss: peakRssMiB(), silver: silver.rowsWritten }));
}

async function measure(
  mode: string,
  lake: string,
  db: string,
): Promise<{ seconds: number; cpu: number; rss: number; silver?: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SELF, "child", mode, lake, db],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`bench child ${mode} failed`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const result = JSON.parse(lines.at(-1)!);
  console.error(`# ${mode}: ${JSON.stringify(result)}`);
  if (mode.startsWith("hand")) await Deno.remove(db).catch(() => {}); // disk, at 10M
  return result;
}

async function writeFiles(lake: string, from: number, count: number, day: string) {
  for (let first = from; first < from + count; first += PER_FILE) {
    const n = Math.min(PER_FILE, from + count - first);
    const name = `raw/x/date=${day}/${String(first).padStart(9, "0")}.ndjson`;
    await Deno.mkdir(join(lake, `raw/x/date=${day}`), { recursive: true });
    await Deno.writeTextFile(join(lake, name), makeEvents(n, 11, first).join("\n") + "\n");
  }
}

if (Deno.args[0] === "child") {
  await child(Deno.args[1], Deno.args[2], Deno.args[3]);
} else {
  await poisonBench();
  await formatsBench(Number(Deno.env.get("DATAFLOW_BENCH_FORMAT_ROWS") ?? 1_000_000));
  for (const n of SIZES) {
    if (DIR) await Deno.mkdir(DIR, { recursive: true });
    const tmp = await Deno.makeTempDir({ dir: DIR, prefix: "tweetlake-dataflow-bench-" });
    try {
      const lake = join(tmp, "lake");
      await writeFiles(lake, 0, n, "2026-11-20");
      // Interleaved rounds on fresh databases; the best of each is the least disturbed by
      // other work on a shared machine.
      const hands = [];
      const plains = [];
      const fulls = [];
      let db = "";
      for (let round = 0; round < ROUNDS; round++) {
        hands.push(await measure("hand", lake, join(tmp, `hand-${round}.duckdb`)));
        if (PLAIN) {
          plains.push(await measure("hand-plain", lake, join(tmp, `plain-${round}.duckdb`)));
        }
        db = join(tmp, `engine-${round}.duckdb`);
        fulls.push(await measure("update", lake, db));
      }
      const best = <T extends { seconds: number }>(xs: T[]) =>
        xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const hand = best(hands);
      const plain = plains.length ? best(plains) : undefined;
      const full = best(fulls);
      await writeFiles(lake, n, Math.max(1, Math.round(n / 100)), "2026-11-21");
      const inc = await measure("update", lake, db);
      const refresh = await measure("refresh", lake, db);
      const fields = { tweets: n, files: Math.ceil(n / PER_FILE) };
      const perMillion = (s: number) => +(s / (n / 1e6)).toFixed(2);
      report("dataflow hand-written SQL (full)", { ...fields, ...hand });
      if (plain) {
        report("dataflow hand-written SQL without union_by_name (full)", { ...fields, ...plain });
      }
      report("dataflow engine full run", {
        ...fields,
        ...full,
        ratio_to_hand: +(full.seconds / hand.seconds).toFixed(2),
        ratio_to_hand_plain: plain ? +(full.seconds / plain.seconds).toFixed(2) : undefined,
        cpu_ratio_to_hand: +(full.cpu / hand.cpu).toFixed(2),
        rss_ratio_to_hand: +(full.rss / hand.rss).toFixed(2),
        seconds_per_million: perMillion(full.seconds),
      });
      report("dataflow engine incremental (+1% files)", {
        ...fields,
        ...inc,
        share_of_full: +(inc.seconds / full.seconds).toFixed(3),
      });
      report("dataflow engine full refresh (+1%)", {
        ...fields,
        ...refresh,
        ratio_to_hand: +(refresh.seconds / hand.seconds).toFixed(2),
        rss_ratio_to_hand: +(refresh.rss / hand.rss).toFixed(2),
        ratio_to_full: +(refresh.seconds / full.seconds).toFixed(2),
      });
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  }
}
