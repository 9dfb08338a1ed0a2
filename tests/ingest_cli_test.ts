/** `deno task ingest` flags: every flag is in --help, values are parsed, bad input is named. */
import assert from "node:assert/strict";
import { HELP, INGEST_FLAGS, parseIngestArgs } from "../lib/ingest/cli.ts";
import { parseDuration, parseRate, parseSize } from "../lib/ingest/units.ts";

Deno.test("ingest cli: --help lists every flag", () => {
  for (const flag of Object.keys(INGEST_FLAGS)) assert.ok(HELP.includes(`--${flag}`), `--${flag}`);
});

Deno.test("ingest cli: flags become options", async () => {
  const o = await parseIngestArgs([
    "--source",
    "jetstream",
    "--lake",
    "s3://bucket/prefix",
    "--max-events",
    "500",
    "--duration",
    "2m",
    "--batch-events",
    "100",
    "--batch-bytes",
    "1MiB",
    "--batch-age",
    "5s",
    "--keyword",
    "duckdb",
  ]);
  assert.notEqual(o, "help");
  if (o === "help") return;
  assert.equal(o.source.name, "jetstream");
  assert.equal(o.lake, "s3://bucket/prefix");
  assert.equal(o.maxEvents, 500);
  assert.equal(o.durationMs, 120_000);
  assert.deepEqual(o.batch, { maxEvents: 100, maxBytes: 1024 * 1024, maxAgeMs: 5000 });
  const replay = await parseIngestArgs(["--replay-as", "bsky", "--rate", "50/s"]);
  assert.ok(replay !== "help" && replay.source.name === "bsky");
  assert.equal(await parseIngestArgs(["-h"]), "help");
});

Deno.test("ingest cli: bad input says which flag and what", async () => {
  await assert.rejects(
    () => parseIngestArgs(["--source", "kafka"]),
    /--source: "kafka" is not one of/,
  );
  await assert.rejects(() => parseIngestArgs(["--max-events", "ten"]), /--max-events: "ten"/);
  await assert.rejects(() => parseIngestArgs(["--rate", "0/s"]), /--rate: "0\/s" is not a rate/);
  await assert.rejects(
    () => parseIngestArgs(["--rules", "/no/such/rules.json", "--source", "x"]),
    /rules file \/no\/such\/rules.json/,
  );
  await assert.rejects(() => parseIngestArgs(["--nope"]), /nope/);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseRate("600/m"), 10);
  assert.equal(parseSize("2kb"), 2000);
});
