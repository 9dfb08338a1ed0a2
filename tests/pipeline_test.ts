/**
 * `deno task pipeline` end to end, as a user runs it (a subprocess on the
 * bundled sample, into a temporary lake, database and report folder): the
 * counts follow from the sample, and a second run duplicates nothing.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULTS, REPO_ROOT } from "../lib/config.ts";
import type { PipelineSummary } from "../lib/report.ts";

async function pipeline(dir: string): Promise<PipelineSummary> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      join(REPO_ROOT, "cli.ts"),
      "pipeline",
      "--json",
      "--lake",
      join(dir, "lake"),
      "--db",
      join(dir, "tweetlake.duckdb"),
      "--report",
      join(dir, "report"),
    ],
    env: { CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `pipeline failed:\n${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** English posts with an id in the sample, counted independently of the pipeline. */
async function expectedFromSample(): Promise<{ events: number; english: number; texts: number }> {
  let events = 0;
  const english = new Set<string>();
  const withText = new Set<string>();
  for (const entry of [...Deno.readDirSync(DEFAULTS.sample)]) {
    const lines = (await Deno.readTextFile(join(DEFAULTS.sample, entry.name))).split("\n");
    for (const line of lines.filter((l) => l.trim())) {
      events++;
      try {
        const e = JSON.parse(line);
        if (e.data?.id && e.data.lang === "en") {
          english.add(e.data.id);
          if (e.data.text) withText.add(e.data.id);
        }
      } catch { /* malformed lines are counted as events only */ }
    }
  }
  return { events, english: english.size, texts: withText.size };
}

const rows = (s: PipelineSummary, table: string) => s.tables.find((t) => t.table === table)?.rows;

Deno.test("pipeline: runs offline on the sample, and a second run duplicates nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-pipeline-" });
  try {
    const want = await expectedFromSample();
    const first = await pipeline(dir);
    assert.equal(first.ingest.events, want.events);
    assert.equal(first.ingest.malformed, 3);
    assert.equal(rows(first, "bronze"), want.events);
    assert.equal(rows(first, "silver"), want.english);
    assert.equal(rows(first, "silver_quarantine"), want.events - want.english);
    assert.equal(first.sentiment.scored, want.texts);
    assert.equal(rows(first, "sentiment"), want.texts);
    const labelTotal = first.sentiment.labels.reduce((n, l) => n + l.count, 0);
    assert.equal(labelTotal, want.texts);
    const dropped = first.dataflow.datasets.find((d) => d.name === "silver")?.expectations
      .find((e) => e.name === "valid_language");
    assert.ok(dropped && dropped.failed > 0, "valid_language dropped non-English rows");
    for (const name of ["languages.svg", "sentiment.svg", "sentiment.png", "report.html"]) {
      assert.ok(existsSync(join(dir, "report", name)), `${name} written`);
    }

    const second = await pipeline(dir);
    assert.equal(second.ingest.events, 0);
    assert.equal(second.sentiment.scored, 0);
    assert.deepEqual(second.tables, first.tables);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
