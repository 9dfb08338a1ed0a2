/**
 * Crash safety and exclusion: a second update while one runs gets "pipeline is
 * running"; killing an update midway loses nothing and duplicates nothing (the
 * next run produces the same tables as an uninterrupted run).
 */
import { DEFAULTS } from "../lib/config.ts";
import assert from "node:assert/strict";
import { makeEvents } from "../tools/make-sample.ts";
import { PipelineRunningError, runUpdate } from "../lib/dataflow/mod.ts";
import {
  copySample,
  fingerprint,
  FIXTURES,
  SAMPLE,
  workspace,
  writeLakeFile,
} from "./fixtures/dataflow/support.ts";

const TABLES = [
  "bronze",
  "silver",
  "silver_quarantine",
  "languages",
  "tweets_per_hour",
  "_dataflow_files",
  "_dataflow_offsets",
];

/** Enough rows that DuckDB writes row groups to the file before the commit. */
const BIG = [0, 1].map((f) => makeEvents(65_000, 7, 10_000 + f * 65_000).join("\n") + "\n");

/** Files fillLake writes: the sample's and the two big ones. */
let lakeFiles = 0;
/** Lines in the bundled sample (events and malformed lines). */
const sampleLines = [...Deno.readDirSync(SAMPLE)].filter((e) => e.name.endsWith(".ndjson"))
  .reduce(
    (n, e) => n + Deno.readTextFileSync(SAMPLE + e.name).split("\n").filter((l) => l.trim()).length,
    0,
  );

async function fillLake(lake: string): Promise<void> {
  lakeFiles = (await copySample(lake)).length + BIG.length;
  for (const [f, text] of BIG.entries()) {
    await writeLakeFile(lake, `raw/x/date=2026-11-21/big-${f}.ndjson`, text);
  }
}

async function waitFor(
  stream: ReadableStream<Uint8Array>,
  word: string,
): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes(word)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child ended before printing ${word}: ${seen}`);
    seen += decoder.decode(value);
  }
  return reader;
}

Deno.test("crash: a second update is refused while one runs; a killed update leaves no trace", async () => {
  const crashed = await workspace();
  const clean = await workspace();
  try {
    await fillLake(crashed.lake);
    await fillLake(clean.lake);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${FIXTURES}paused_update.ts`,
        DEFAULTS.pipeline,
        crashed.lake,
        crashed.db,
        "silver",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = await waitFor(child.stdout, "PAUSED");
    try {
      // bronze's rows are written inside the child's open transaction; silver has not run.
      const busy = await runUpdate({
        pipeline: DEFAULTS.pipeline,
        lake: crashed.lake,
        db: crashed.db,
      })
        .then(() => undefined, (e) => e);
      assert.ok(busy instanceof PipelineRunningError, `expected PipelineRunningError, got ${busy}`);
      assert.match(busy.message, /^pipeline is running: another process holds /);
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
    }
    const after = await runUpdate({
      pipeline: DEFAULTS.pipeline,
      lake: crashed.lake,
      db: crashed.db,
    });
    assert.equal(
      after.datasets[0].filesRead,
      lakeFiles,
      "the killed update committed no checkpoint",
    );
    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: clean.lake, db: clean.db });
    const tables = TABLES.filter((t) => t !== "_dataflow_files"); // update ids and times
    const a = await fingerprint(crashed.db, tables);
    const b = await fingerprint(clean.db, tables);
    assert.match(
      a.bronze,
      new RegExp(`^${130_000 + sampleLines}:`),
      "130,000 big rows + the sample",
    );
    assert.deepEqual(a, b);
  } finally {
    await crashed.remove();
    await clean.remove();
  }
});

Deno.test("crash: an update killed between two batches of files leaves no trace", async () => {
  const crashed = await workspace();
  const clean = await workspace();
  try {
    await fillLake(crashed.lake);
    await fillLake(clean.lake);
    // One file per batch: the three sample files, then big-0, then big-1 (batch 5).
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${FIXTURES}paused_update.ts`,
        DEFAULTS.pipeline,
        crashed.lake,
        crashed.db,
        "bronze#5",
        "1",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = await waitFor(child.stdout, "PAUSED");
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
    const after = await runUpdate({
      pipeline: DEFAULTS.pipeline,
      lake: crashed.lake,
      db: crashed.db,
      batchBytes: 1,
    });
    assert.equal(
      after.datasets[0].filesRead,
      lakeFiles,
      "the killed update committed no checkpoint",
    );
    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: clean.lake, db: clean.db, batchBytes: 1 });
    const tables = TABLES.filter((t) => t !== "_dataflow_files");
    const a = await fingerprint(crashed.db, tables);
    assert.match(a.bronze, new RegExp(`^${130_000 + sampleLines}:`));
    assert.deepEqual(a, await fingerprint(clean.db, tables));
  } finally {
    await crashed.remove();
    await clean.remove();
  }
});

Deno.test("crash: a second update in the same process is refused too", async () => {
  const ws = await workspace();
  try {
    await copySample(ws.lake);
    const both = await Promise.allSettled(
      [0, 1].map(() => runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db })),
    );
    const refused = both.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
    assert.equal(refused.length, 1, "exactly one of two concurrent updates runs");
    assert.ok(refused[0] instanceof PipelineRunningError);
    assert.match(refused[0].message, /^pipeline is running: another update in this process/);
    assert.ok(both.some((r) => r.status === "fulfilled" && r.value.status === "completed"));
  } finally {
    await ws.remove();
  }
});
