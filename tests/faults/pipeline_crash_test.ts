/**
 * kill -9 at chosen points across the pipeline (ingest, dataflow mid-update, sentiment
 * mid-scoring), then a rerun: every table equals an uninterrupted run's (row counts and
 * checksums), and the lake holds every event exactly once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS } from "../../lib/config.ts";
import type { PipelineChildConfig, PipelineKill } from "./pipeline_child.ts";
import { runPipelineChild, tableFingerprints } from "./support.ts";

const KILLS: { name: string; kill: PipelineKill }[] = [
  {
    name: "ingest, halfway through writing a batch file",
    kill: { stage: "ingest", at: { match: "^raw/", nth: 2, when: "torn" } },
  },
  {
    name: "ingest, after a batch file",
    kill: { stage: "ingest", at: { match: "^raw/", nth: 3, when: "after" } },
  },
  { name: "dataflow, mid-update (silver started)", kill: { stage: "dataflow", dataset: "silver" } },
  {
    name: "dataflow, mid-update (last dataset started)",
    kill: { stage: "dataflow", dataset: "tweets_per_hour" },
  },
  { name: "sentiment, mid-scoring", kill: { stage: "sentiment", afterRows: 150 } },
];

async function config(dir: string): Promise<PipelineChildConfig> {
  await Deno.mkdir(dir, { recursive: true });
  return {
    input: DEFAULTS.sample,
    lake: join(dir, "lake"),
    db: join(dir, "t.duckdb"),
    spillDir: join(dir, "spill"),
    batchEvents: 200,
  };
}

/** Line count of every raw file's lines, by line content (each event once). */
async function lakeLines(lake: string): Promise<Map<string, number>> {
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

Deno.test("faults: pipeline killed at each chosen point, then rerun, equals an uninterrupted run", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "faults-pipeline-" });
  try {
    const ref = await config(join(tmp, "reference"));
    const clean = await runPipelineChild(ref);
    assert.equal(clean.code, 0, clean.stderr);
    const expected = await tableFingerprints(ref.db);
    assert.ok(Object.keys(expected).includes("sentiment"), `tables: ${Object.keys(expected)}`);
    const expectedLines = await lakeLines(ref.lake);
    for (const [i, { name, kill }] of KILLS.entries()) {
      const cfg = await config(join(tmp, `kill-${i}`));
      const first = await runPipelineChild({ ...cfg, kill });
      assert.ok(first.killed, `${name}: the fault struck (exit ${first.code}: ${first.stderr})`);
      const again = await runPipelineChild(cfg);
      assert.equal(again.code, 0, `${name}: ${again.stderr}`);
      assert.deepEqual(await tableFingerprints(cfg.db), expected, `${name}: tables differ`);
      assert.deepEqual(await lakeLines(cfg.lake), expectedLines, `${name}: lake differs`);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
