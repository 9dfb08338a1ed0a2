/**
 * Ingest throughput: 100k events replayed into the local lake and into S3 on loopback
 * (fauxqs in this process), beside writing the same bytes with one `Deno.writeFile`.
 * `deno task bench ingest`; each figure is the best of 5 runs. Targets: ≥ 50,000
 * events/s into the local lake, within 3× of the raw write.
 */
import { join } from "node:path";
import { ingest, replaySource } from "../lib/ingest/mod.ts";
import { openLake } from "../lib/lake/mod.ts";
import type { Lake } from "../lib/lake/types.ts";
import { makeEvents } from "../tools/make-sample.ts";
import { startS3Server } from "../tests/support/s3_server.ts";
import { peakRssMiB, report, timed } from "./util.ts";

const EVENTS = Number(Deno.env.get("INGEST_BENCH_EVENTS") ?? 100_000);
const FILES = 4;
const RUNS = 5;

/** The best of the runs: the figure least disturbed by other work on a shared machine. */
const best = (xs: number[]) => Math.min(...xs);

const tmp = await Deno.makeTempDir({ prefix: "tweetlake-ingest-bench-" });
try {
  const input = join(tmp, "input");
  await Deno.mkdir(input);
  const per = Math.ceil(EVENTS / FILES);
  const parts: Uint8Array[] = [];
  for (let f = 0; f < FILES; f++) {
    const count = Math.min(per, EVENTS - f * per);
    const file = join(input, `part-${f}.ndjson`);
    await Deno.writeTextFile(file, makeEvents(count, 42, f * per).join("\n") + "\n");
    parts.push(await Deno.readFile(file));
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
  parts.length = 0;
  const mib = bytes.length / 1024 / 1024;

  const replay = (lake: Lake | string) =>
    timed(() =>
      ingest({
        source: replaySource({ input }),
        lake,
        spillDir: join(tmp, "spill"),
        handleSignals: false,
      })
    );

  // Warm up the page cache and the JIT.
  await replay(join(tmp, "warm"));

  const rawTimes: number[] = [];
  const localTimes: number[] = [];
  let files = 0;
  for (let i = 0; i < RUNS; i++) {
    const raw = await timed(() => Deno.writeFile(join(tmp, `raw-${i}.ndjson`), bytes));
    rawTimes.push(raw.seconds);
    const local = await replay(join(tmp, `lake-${i}`));
    if (local.result.events !== EVENTS) throw new Error(`wrote ${local.result.events} events`);
    localTimes.push(local.seconds);
    files = local.result.files;
  }
  const raw = best(rawTimes);
  const local = best(localTimes);
  report("ingest.raw-write", {
    events: EVENTS,
    mib: +mib.toFixed(1),
    seconds: +raw.toFixed(3),
    mib_per_s: Math.round(mib / raw),
  });
  /** One replay measurement: its best time, events/s and ratio to the raw write. */
  const reportReplay = (name: string, seconds: number) =>
    report(name, {
      events: EVENTS,
      files,
      seconds: +seconds.toFixed(3),
      events_per_s: Math.round(EVENTS / seconds),
      vs_raw_write: +(seconds / raw).toFixed(2),
      peak_rss_mib: peakRssMiB(),
    });
  reportReplay("ingest.replay-local", local);

  const s3 = await startS3Server();
  const lakes: Lake[] = [];
  try {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const lake = openLake(s3.url(`bench-${i}`), { ...s3.options, cacheDir: join(tmp, "cache") });
      lakes.push(lake);
      const r = await replay(lake);
      if (r.result.events !== EVENTS) throw new Error(`wrote ${r.result.events} events to S3`);
      times.push(r.seconds);
    }
    reportReplay("ingest.replay-s3-loopback", best(times));
  } finally {
    lakes.forEach((l) => l.close?.());
    await s3.close();
  }
} finally {
  await Deno.remove(tmp, { recursive: true });
}
