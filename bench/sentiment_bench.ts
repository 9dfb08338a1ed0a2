/**
 * `deno task bench sentiment`: tweets/s and peak RSS of the embedded model with
 * Transformers.js (fp32 and q8, batch 1/8/32) beside the same model run by PyTorch
 * (`tools/train-sentiment/bench_torch.py`, Debian's python3-torch) on the same
 * texts, plus `scoreNew` end to end (DuckDB silver → gold) at the defaults.
 *
 * Each configuration runs in its own process so its peak RSS is its own. The texts
 * (English tweets from the sample generator) are written sorted by length, the order
 * `classify` batches them in, so both runtimes see the same batches.
 * `SENTIMENT_BENCH_N` changes the number of tweets (default 10000);
 * `SENTIMENT_BENCH_MODEL` measures another model (folder or hub id).
 */
import { listValue } from "@duckdb/node-api";
import { loadavg } from "node:os";
import { join } from "node:path";
import { repoPath } from "../lib/config.ts";
import { withDb } from "../lib/db.ts";
import { loadClassifier, parseDtype } from "../lib/sentiment/model.ts";
import { scoreNew } from "../lib/sentiment/score.ts";
import { makeEvents } from "../tools/make-sample.ts";
import { peakRssMiB, report, timed } from "./util.ts";

const BATCHES = [1, 8, 32];
/** Timed passes per configuration; the best is reported (the machine may be shared). */
const REPEAT = 2;
const DTYPES = ["fp32", "q8"] as const;
const TORCH = repoPath("tools/train-sentiment/bench_torch.py");
/** Another model folder or hub id to measure instead of the embedded one. */
const MODEL = Deno.env.get("SENTIMENT_BENCH_MODEL");

/** The 1-minute load average (other processes on the machine skew the numbers). */
const load = () => Number(loadavg()[0].toFixed(2));

/** English, non-empty tweet texts from the generator, one line each, sorted by length. */
function benchTexts(n: number): string[] {
  const out: string[] = [];
  for (let first = 0; out.length < n; first += n) {
    for (const line of makeEvents(n, 7, first)) {
      const { data } = JSON.parse(line);
      const text = String(data.text ?? "").replace(/\s+/g, " ").trim();
      if (data.lang === "en" && text) out.push(text);
    }
  }
  return out.slice(0, n).sort((a, b) => a.length - b.length);
}

/** Child: one Transformers.js configuration; prints a JSON line. */
async function child(dtype: string, batch: number, file: string): Promise<void> {
  const texts = Deno.readTextFileSync(file).split("\n").filter((t) => t);
  const load = await timed(() => loadClassifier({ model: MODEL, dtype: parseDtype(dtype) }));
  const c = load.result;
  await c.classify(texts.slice(0, 64), batch); // warm-up
  let best = Infinity;
  for (let i = 0; i < REPEAT; i++) {
    best = Math.min(best, (await timed(() => c.classify(texts, batch))).seconds);
  }
  await c.dispose();
  console.log(JSON.stringify({
    tweets_per_s: Math.round(texts.length / best),
    load_s: Number(load.seconds.toFixed(2)),
    peak_rss_mib: peakRssMiB(),
  }));
}

/** Child: scoreNew over a fresh silver table of the same texts, at the defaults. */
async function childScoreNew(file: string): Promise<void> {
  const texts = Deno.readTextFileSync(file).split("\n").filter((t) => t);
  const dir = Deno.makeTempDirSync({ prefix: "tweetlake-bench-" });
  const db = join(dir, "b.duckdb");
  await withDb(db, async (conn) => {
    await conn.run(
      `create table silver as select cast(i as varchar) as id, 'x' as source, 'en' as lang,
         t as text, 'a' as author_id, now() as created_at, now() as ingested_at,
         'f' as _source_file
       from (select unnest($1::varchar[]) as t, generate_subscripts($1::varchar[], 1) as i)`,
      [listValue(texts)],
    );
  });
  const r = await scoreNew({ db, model: MODEL });
  Deno.removeSync(dir, { recursive: true });
  console.log(JSON.stringify({
    model: r.model,
    tweets_per_s: Math.round(r.scored / r.seconds),
    peak_rss_mib: peakRssMiB(),
  }));
}

async function runJson(cmd: string, args: string[]): Promise<Record<string, unknown> | string> {
  const { code, stdout, stderr } = await new Deno.Command(cmd, { args }).output();
  const out = new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "";
  if (code !== 0) return new TextDecoder().decode(stderr).trim().split("\n").slice(-3).join(" ");
  try {
    return JSON.parse(out);
  } catch {
    return `unexpected output: ${out}`;
  }
}

async function parent(): Promise<void> {
  const n = Number(Deno.env.get("SENTIMENT_BENCH_N") ?? 10000);
  const dir = Deno.makeTempDirSync({ prefix: "tweetlake-bench-" });
  const file = join(dir, "texts.txt");
  Deno.writeTextFileSync(file, benchTexts(n).join("\n") + "\n");
  const self = new URL(import.meta.url).pathname;
  // per batch size: both dtypes, then PyTorch, so a change in machine load hits all three
  for (const batch of BATCHES) {
    const js: Record<string, number> = {};
    for (const dtype of DTYPES) {
      const r = await runJson(Deno.execPath(), [
        "run",
        "-A",
        self,
        "--child",
        dtype,
        `${batch}`,
        file,
      ]);
      if (typeof r === "string") throw new Error(`transformers.js ${dtype} batch ${batch}: ${r}`);
      js[dtype] = Number(r.tweets_per_s);
      report("sentiment", { runtime: "transformers.js", dtype, batch, n, ...r, load: load() });
    }
    const runs = [];
    for (let i = 0; i < REPEAT; i++) {
      runs.push(await runJson("/usr/bin/python3", [TORCH, "--texts", file, "--batch", `${batch}`]));
    }
    const ok = runs.filter((x) => typeof x !== "string");
    const r = ok.sort((x, y) => Number(y.tweets_per_s) - Number(x.tweets_per_s))[0] ?? runs[0];
    if (typeof r === "string") {
      report("sentiment", { runtime: "pytorch", batch, n, skipped: r });
      continue;
    }
    const torch = Number(r.tweets_per_s);
    report("sentiment", {
      runtime: "pytorch",
      dtype: "fp32",
      ...r,
      js_fp32_over_torch: Number((js.fp32 / torch).toFixed(2)),
      js_q8_over_torch: Number((js.q8 / torch).toFixed(2)),
      load: load(),
    });
  }
  const e2e = await runJson(Deno.execPath(), ["run", "-A", self, "--score-new", file]);
  const fields = typeof e2e === "string" ? { error: e2e } : e2e;
  report("sentiment", {
    runtime: "transformers.js",
    step: "scoreNew (defaults)",
    n,
    ...fields,
    load: load(),
  });
  Deno.removeSync(dir, { recursive: true });
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  if (mode === "--child") await child(rest[0], Number(rest[1]), rest[2]);
  else if (mode === "--score-new") await childScoreNew(rest[0]);
  else await parent();
}
