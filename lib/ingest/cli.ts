/** `deno task ingest`: stream events from a source into the lake. */
import { UsageError, usageMessage } from "../usage.ts";
import { parseArgs } from "node:util";
import { DEFAULTS } from "../config.ts";
import { interactive, progress } from "../progress.ts";
import { DEFAULT_BATCH, DEFAULT_RULES, INGEST_DEFAULTS, type StreamRule } from "./config.ts";
import { JETSTREAM_MAX_CONNECT_FAILURES, jetstreamSource } from "./jetstream.ts";
import { ingest, IngestError, type IngestOptions } from "./mod.ts";
import { replaySource } from "./replay.ts";
import type { Source } from "./types.ts";
import { parseCount, parseDuration, parseRate, parseSize } from "./units.ts";
import { loadRules, xSource } from "./x.ts";

/** The `--help` text. */
export const HELP = `usage: deno task ingest [flags]

Streams events from a source into the lake as NDJSON files under
raw/<source>/date=YYYY-MM-DD/. Stops at --max-events, --duration, the end of a
replay, Ctrl-C or SIGTERM, after flushing what is buffered.

  --source replay|x|jetstream   where events come from (default ${INGEST_DEFAULTS.source})
  --lake <folder|s3://bucket/prefix>
                                the lake (default ${DEFAULTS.lake}); S3 takes
                                AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
                                AWS_SECRET_ACCESS_KEY, AWS_PROFILE
  --max-events N                stop after N events
  --duration 60s                stop after this long (ms, s, m, h)
  --batch-events N              events per file (default ${DEFAULT_BATCH.maxEvents})
  --batch-bytes 16MiB           bytes per file (default ${DEFAULT_BATCH.maxBytes / 1024 / 1024}MiB)
  --batch-age 60s               longest a file stays open (default ${
  DEFAULT_BATCH.maxAgeMs / 1000
}s)
  --spill <folder>              where events go if the lake is unreachable
                                (default ${INGEST_DEFAULTS.spillDir})

replay:
  --input <folder|file>         NDJSON files to replay (default ${DEFAULTS.sample})
  --replay-as <name>            lake folder raw/<name>/ (default ${INGEST_DEFAULTS.replayAs})
  --rate 200/s                  pace the replay like a live stream
  --from-start                  ignore the stored cursor and replay everything again

x (X API v2 filtered stream; bearer token from X_BEARER_TOKEN / TWITTER_BEARER_TOKEN or .env):
  --rule <query>                a stream rule (repeatable); replaces the defaults
  --rules <file.json>           rules from a file: [{"value": "...", "tag": "..."}]
  --no-sync-rules               use the rules already on the stream as they are
  --x-api-url <url>             another API root (a proxy or a test server)

jetstream (Bluesky, no credentials):
  --keyword <word>              keep posts containing it (repeatable; default all)
  --jetstream-url <wss://...>   endpoint (default ${INGEST_DEFAULTS.jetstreamUrl})
  --max-connect-failures <n>    stop after n failed connects in a row (default ${JETSTREAM_MAX_CONNECT_FAILURES})
  --no-resume                   start from now instead of the stored cursor

  -h, --help                    show this help

Default rules: ${DEFAULT_RULES.map((r) => JSON.stringify(r)).join(", ")}`;

/** Every flag `deno task ingest` takes (the help text lists each). */
export const INGEST_FLAGS = {
  source: { type: "string" },
  lake: { type: "string" },
  "max-events": { type: "string" },
  duration: { type: "string" },
  "batch-events": { type: "string" },
  "batch-bytes": { type: "string" },
  "batch-age": { type: "string" },
  spill: { type: "string" },
  input: { type: "string" },
  "replay-as": { type: "string" },
  rate: { type: "string" },
  "from-start": { type: "boolean" },
  rule: { type: "string", multiple: true },
  rules: { type: "string" },
  "no-sync-rules": { type: "boolean" },
  "x-api-url": { type: "string" },
  keyword: { type: "string", multiple: true },
  "jetstream-url": { type: "string" },
  "max-connect-failures": { type: "string" },
  "no-resume": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parses the flags into ingest options; throws a clear error on bad input. */
export async function parseIngestArgs(args: string[]): Promise<IngestOptions | "help"> {
  const { values: v } = parseArgs({ args, strict: true, options: INGEST_FLAGS });
  if (v.help) return "help";
  const kind = v.source ?? INGEST_DEFAULTS.source;
  let source: Source;
  if (kind === "replay") {
    source = replaySource({
      input: v.input,
      as: v["replay-as"],
      rate: v.rate !== undefined ? parseRate(v.rate, "--rate") : undefined,
      fromStart: v["from-start"],
    });
  } else if (kind === "x") {
    let rules: StreamRule[] | undefined = v.rules ? await loadRules(v.rules) : undefined;
    if (v.rule?.length) rules = [...(rules ?? []), ...v.rule.map((value) => ({ value }))];
    source = xSource({ rules, syncRules: !v["no-sync-rules"], apiBaseUrl: v["x-api-url"] });
  } else if (kind === "jetstream") {
    source = jetstreamSource({
      url: v["jetstream-url"],
      ...(v["max-connect-failures"] !== undefined && {
        maxAttempts: parseCount(v["max-connect-failures"], "--max-connect-failures"),
      }),
      keywords: v.keyword,
      resume: !v["no-resume"],
    });
  } else {
    throw new Error(`--source: "${kind}" is not one of replay, x, jetstream`);
  }
  return {
    source,
    lake: v.lake ?? DEFAULTS.lake,
    maxEvents: v["max-events"] !== undefined
      ? parseCount(v["max-events"], "--max-events")
      : undefined,
    durationMs: v.duration !== undefined ? parseDuration(v.duration, "--duration") : undefined,
    batch: {
      ...(v["batch-events"] && { maxEvents: parseCount(v["batch-events"], "--batch-events") }),
      ...(v["batch-bytes"] && { maxBytes: parseSize(v["batch-bytes"], "--batch-bytes") }),
      ...(v["batch-age"] && { maxAgeMs: parseDuration(v["batch-age"], "--batch-age") }),
    },
    spillDir: v.spill,
  };
}

/** Runs `deno task ingest`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let options: IngestOptions | "help";
  try {
    options = await parseIngestArgs(args);
  } catch (e) {
    throw usageMessage(e) === null ? new UsageError((e as Error).message, { cause: e }) : e;
  }
  if (options === "help") {
    console.log(HELP);
    return 0;
  }
  const bar = progress("ingest");
  const line = (s: { events: number; files: number; seconds: number; malformed: number }) =>
    `${s.events} events (${Math.round(s.events / Math.max(s.seconds, 1e-3))}/s), ` +
    `${s.files} files, ${s.malformed} malformed`;
  try {
    const r = await ingest({
      ...options,
      onProgress: (s) => bar.update(line(s)),
      log: (m) => {
        if (interactive()) bar.update("");
        console.error(m);
      },
    });
    bar.done();
    console.log(
      `ingest: ${line(r)} in ${r.seconds.toFixed(1)} s into ${r.lake}/${r.folder} ` +
        `(stopped by ${r.stoppedBy}${
          r.recovered ? `, ${r.recovered} spilled files uploaded` : ""
        })`,
    );
    return 0;
  } catch (e) {
    bar.done();
    if (e instanceof IngestError) {
      console.error(`ingest: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
