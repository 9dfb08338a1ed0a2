/**
 * Randomized fault injection: `deno task bench faults` kills real ingest and pipeline
 * processes with SIGKILL at random points (FAULTS_KILLS, default 50; seed FAULTS_SEED,
 * default 1), reruns each to completion, and compares with what an uninterrupted run gives:
 * every event in the lake exactly once, and (for dataflow and sentiment kills) every table's
 * row count and checksum. Prints "N faults injected, L events lost, D duplicated".
 *
 * Kinds: a kill before or after a random lake write of ingest (batch file or cursor); a kill
 * at a random moment of a paced ingest; a kill while spilling (lake failing); two ingests at
 * once; a kill while uploading an earlier run's spill; a kill at the start of a random dataset
 * of the dataflow update; a kill after a random number of sentiment rows.
 */
import { join } from "node:path";
import { DEFAULTS } from "../lib/config.ts";
import type { ChildConfig } from "../tests/faults/ingest_child.ts";
import type { PipelineChildConfig, PipelineKill } from "../tests/faults/pipeline_child.ts";
import {
  compare,
  idCounts,
  makeInput,
  runChild,
  runPipelineChild,
  spawnChild,
  tableFingerprints,
} from "../tests/faults/support.ts";
import { report } from "./util.ts";

const KILLS = Number(Deno.env.get("FAULTS_KILLS") ?? 50);
const SEED = Number(Deno.env.get("FAULTS_SEED") ?? 1);

/** mulberry32: a small seeded PRNG. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = rng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
const between = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));

const DATASETS = ["bronze", "bronze_jetstream", "silver", "languages", "tweets_per_hour"];
const KINDS = [
  "ingest-write",
  "ingest-write",
  "ingest-timed",
  "spill",
  "upload",
  "concurrent",
  "dataflow",
  "dataflow",
  "sentiment",
] as const;
type Kind = (typeof KINDS)[number];

const tmp = await Deno.makeTempDir({ prefix: "tweetlake-faults-bench-" });
const totals = { faults: 0, lost: 0, duplicated: 0, tableMismatches: 0 };
const byKind = new Map<Kind, number>();
const t0 = performance.now();
try {
  // the uninterrupted pipeline run the dataflow and sentiment kills are compared with
  const pipe = (dir: string): PipelineChildConfig => ({
    input: DEFAULTS.sample,
    lake: join(dir, "lake"),
    db: join(dir, "t.duckdb"),
    spillDir: join(dir, "spill"),
    batchEvents: 200,
  });
  const ref = pipe(join(tmp, "reference"));
  await Deno.mkdir(join(tmp, "reference"), { recursive: true });
  const refRun = await runPipelineChild(ref);
  if (refRun.code !== 0) throw new Error(`reference run failed: ${refRun.stderr}`);
  const expectedTables = await tableFingerprints(ref.db);
  const refIds = await idCountsByLine(ref.lake);

  for (let k = 0; k < KILLS; k++) {
    const kind = pick(KINDS);
    const dir = join(tmp, `run-${k}`);
    await Deno.mkdir(dir, { recursive: true });
    let lost = 0;
    let duplicated = 0;
    if (kind === "dataflow" || kind === "sentiment") {
      const cfg = pipe(dir);
      const kill: PipelineKill = kind === "dataflow"
        ? { stage: "dataflow", dataset: pick(DATASETS) }
        : { stage: "sentiment", afterRows: between(1, 600) };
      const first = await runPipelineChild({ ...cfg, kill });
      if (first.killed) totals.faults++;
      const again = await runPipelineChild(cfg);
      if (again.code !== 0) throw new Error(`rerun after ${JSON.stringify(kill)}: ${again.stderr}`);
      const tables = await tableFingerprints(cfg.db);
      if (JSON.stringify(tables) !== JSON.stringify(expectedTables)) totals.tableMismatches++;
      const lines = await idCountsByLine(cfg.lake);
      for (const [line, n] of refIds) {
        const got = lines.get(line) ?? 0;
        if (got < n) lost += n - got;
        if (got > n) duplicated += got - n;
      }
    } else {
      const ids = await makeInput(join(dir, "in"), 3, between(200, 800));
      const cfg: ChildConfig = {
        input: join(dir, "in"),
        lake: join(dir, "lake"),
        spillDir: join(dir, "spill"),
        batchEvents: between(20, 300),
      };
      if (kind === "ingest-write") {
        const first = await runChild({
          ...cfg,
          lakeFault: {
            match: pick(["^raw/", "^_checkpoints/"]),
            nth: between(1, Math.ceil(ids.length / cfg.batchEvents)),
            when: pick(["before", "after"] as const),
          },
        });
        if (first.killed) totals.faults++;
      } else if (kind === "ingest-timed") {
        const child = spawnChild({ ...cfg, rate: 2000 });
        await new Promise((r) => setTimeout(r, between(300, 1500)));
        try {
          child.kill("SIGKILL");
          totals.faults++;
        } catch { /* it had finished */ }
        await child.output();
      } else if (kind === "spill") {
        const first = await runChild({
          ...cfg,
          lakeFault: {
            match: "^raw/",
            nth: between(1, Math.max(1, Math.ceil(ids.length / cfg.batchEvents) - 2)),
            when: "fail-from",
          },
          spillFault: {
            match: "^raw/",
            nth: between(1, 3),
            when: pick(["before", "after"] as const),
          },
        });
        if (first.killed) totals.faults++;
      } else if (kind === "upload") {
        // a first run spills (the lake fails), the second dies while uploading that spill
        const batches = Math.ceil(ids.length / cfg.batchEvents);
        await runChild({
          ...cfg,
          lakeFault: {
            match: "^raw/",
            nth: between(1, Math.max(1, batches - 2)),
            when: "fail-from",
          },
        });
        const second = await runChild({
          ...cfg,
          lakeFault: {
            match: pick(["^raw/", "^_checkpoints/"]),
            nth: between(1, 3),
            when: pick(["before", "after"] as const),
          },
        });
        if (second.killed) totals.faults++;
      } else {
        const runs = await Promise.all([
          runChild({ ...cfg, rate: 1500 }),
          runChild({ ...cfg, rate: 1500 }),
        ]);
        if (runs.some((r) => r.code === 1 && /ingest is running/.test(r.stderr))) totals.faults++;
      }
      const again = await runChild(cfg);
      if (again.code !== 0) throw new Error(`rerun after ${kind}: ${again.stderr}`);
      const r = compare(ids, await idCounts(cfg.lake));
      lost = r.lost;
      duplicated = r.duplicated + r.unexpected;
    }
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    totals.lost += lost;
    totals.duplicated += duplicated;
    await Deno.remove(dir, { recursive: true });
  }
} finally {
  await Deno.remove(tmp, { recursive: true });
}

/** How many times each raw line appears in the lake. */
async function idCountsByLine(lake: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.name.endsWith(".ndjson")) {
        for (const l of (await Deno.readTextFile(p)).split("\n")) {
          if (l.trim()) counts.set(l, (counts.get(l) ?? 0) + 1);
        }
      }
    }
  };
  await walk(join(lake, "raw"));
  return counts;
}

report("faults", {
  seed: SEED,
  experiments: KILLS,
  ...Object.fromEntries([...byKind].map(([k, n]) => [`kind_${k}`, n])),
  faults_injected: totals.faults,
  events_lost: totals.lost,
  events_duplicated: totals.duplicated,
  table_mismatches: totals.tableMismatches,
  seconds: ((performance.now() - t0) / 1000).toFixed(1),
});
console.log(
  `${totals.faults} faults injected, ${totals.lost} events lost, ${totals.duplicated} duplicated` +
    `, ${totals.tableMismatches} tables differing from an uninterrupted run`,
);
if (totals.lost || totals.duplicated || totals.tableMismatches) Deno.exit(1);
