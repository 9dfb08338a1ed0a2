/**
 * `deno task pipeline --continuous …` and `deno task pipeline --serve …`: the continuous
 * run with its live dashboard, and the triggered run serving its result with a
 * "not running" state. `lib/pipeline.ts` hands these flags here.
 */
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULTS } from "../config.ts";
import { withDb } from "../db.ts";
import { lineage, loadPipeline, readExpectationMetrics } from "../dataflow/mod.ts";
import { INGEST_FLAGS, parseIngestArgs } from "../ingest/cli.ts";
import { parseDuration } from "../ingest/units.ts";
import { SnapshotHub } from "./hub.ts";
import { dashboardPayload } from "./page.ts";
import { type Dashboard, parseListen, serveDashboard } from "./server.ts";
import { snapshotFrom } from "../snapshot.ts";
import {
  type LiveSnapshot,
  readLatestScored,
  readPerMinute,
  readRecentTexts,
  readSentimentMix,
  readTableCounts,
} from "./snapshot.ts";
import { wordCloud, wordCounts } from "../viz/wordcloud.ts";
import { type ContinuousResult, runContinuous } from "./continuous.ts";
import { DEFAULT_LIVE_RATE, DEFAULT_TRIGGER_MS } from "./help.ts";

const LIVE_FLAGS = {
  ...INGEST_FLAGS,
  db: { type: "string" },
  pipeline: { type: "string" },
  report: { type: "string" },
  model: { type: "string" },
  json: { type: "boolean" },
  continuous: { type: "boolean" },
  trigger: { type: "string" },
  serve: { type: "string" },
} as const;

/** Flags that belong to `deno task ingest` and are passed to its parser as given. */
const INGEST_ONLY = new Set(Object.keys(INGEST_FLAGS));

/** The ingest flags among `values`, back as command-line arguments. */
function ingestArgs(values: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (!INGEST_ONLY.has(k) || k === "help" || v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one === true) out.push(`--${k}`);
      else if (one !== false) out.push(`--${k}`, String(one));
    }
  }
  return out;
}

/** A "not running" snapshot of what the database holds (for `--serve` after a triggered run). */
export async function staticSnapshot(
  options: { db?: string; pipeline?: string; settings?: Record<string, string> } = {},
): Promise<LiveSnapshot> {
  const db = options.db ?? DEFAULTS.db;
  const pipeline = await loadPipeline(options.pipeline ?? DEFAULTS.pipeline);
  const graph = lineage(pipeline);
  const datasets = graph.nodes.filter((n) => n.kind !== "source" && n.kind !== "quarantine")
    .map((n) => n.id);
  return await withDb(db, async (conn) => {
    const tables = await readTableCounts(conn, datasets);
    const metrics = await readExpectationMetrics(conn);
    const page = await snapshotFrom(conn, {
      pipeline,
      settings: { pipeline: pipeline.file, db, ...options.settings },
      updates: 5,
      latest: 0,
    });
    page.latest = await readLatestScored(conn);
    const texts = await readRecentTexts(conn);
    page.pipeline = basename(pipeline.file);
    return {
      version: 1,
      publishedAt: Date.now(),
      state: "not running",
      ingest: { events: 0, files: 0, malformed: 0, perSecond: 0 },
      cycles: 0,
      tables,
      expectations: metrics.slice(-400).map((r) => ({
        cycle: 0,
        updateId: String(r.update_id),
        at: r.started_at instanceof Date
          ? r.started_at.getTime()
          : Date.parse(String(r.started_at)),
        dataset: String(r.dataset),
        name: String(r.expectation),
        action: String(r.action),
        passed: Number(r.passed_records),
        failed: Number(r.failed_records),
      })),
      perMinute: await readPerMinute(conn),
      sentimentMix: await readSentimentMix(conn),
      words: wordCounts(texts),
      cloud: wordCloud(texts, { width: 900, height: 300 }),
      freshness: {},
      waiting: 0,
      page,
    };
  });
}

function waitForStop(): Promise<void> {
  return new Promise((resolve) => {
    const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    const done = () => {
      names.forEach((s) => Deno.removeSignalListener(s, done));
      resolve();
    };
    names.forEach((s) => Deno.addSignalListener(s, done));
  });
}

/** Runs `deno task pipeline` with `--continuous` and/or `--serve`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: LIVE_FLAGS,
  });
  if (positionals.length) throw new Error(`unexpected argument: ${positionals[0]}`);
  const address = values.serve !== undefined ? parseListen(values.serve) : undefined;
  const say = (line: string) => console.error(line);

  if (!values.continuous) {
    // Triggered run, then serve its result until Ctrl-C.
    const triggered = new Set([
      "input",
      "lake",
      "db",
      "pipeline",
      "report",
      "model",
      "json",
      "serve",
    ]);
    const stray = Object.entries(values).filter(([k, v]) => v !== undefined && !triggered.has(k))
      .map(([k]) => k);
    if (stray.length) {
      throw new Error(`--${stray[0]} needs --continuous (see deno task pipeline --help)`);
    }
    if (!address) {
      throw new Error("--serve or --continuous expected (see deno task pipeline --help)");
    }
    const { runPipeline } = await import("../pipeline.ts");
    const { formatSummary } = await import("../report.ts");
    const summary = await runPipeline({
      input: values.input,
      lake: values.lake,
      db: values.db,
      pipeline: values.pipeline,
      report: values.report,
      model: values.model,
    });
    console.log(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    const hub = new SnapshotHub<LiveSnapshot>({ encode: dashboardPayload });
    hub.publish(await staticSnapshot({ db: values.db, pipeline: values.pipeline }));
    const dashboard = await serveDashboard(address, hub);
    say(`dashboard: ${dashboard.url} (not running; Ctrl-C to quit)`);
    await waitForStop();
    await dashboard.close();
    return 0;
  }

  const replay = (values.source ?? "replay") === "replay";
  const parsed = await parseIngestArgs([
    ...ingestArgs(values),
    ...(values.rate === undefined && replay ? ["--rate", String(DEFAULT_LIVE_RATE)] : []),
  ]);
  if (parsed === "help") return 0;
  const triggerMs = values.trigger !== undefined
    ? parseDuration(values.trigger, "--trigger")
    : DEFAULT_TRIGGER_MS;
  if (!(triggerMs > 0)) throw new Error(`--trigger must be more than 0, got ${values.trigger}`);
  let dashboard: Dashboard | undefined;
  const hub = new SnapshotHub<LiveSnapshot>({ encode: dashboardPayload });
  if (address) {
    dashboard = await serveDashboard(address, hub);
    say(`dashboard: ${dashboard.url}`);
  }
  let result: ContinuousResult;
  try {
    result = await runContinuous({
      source: parsed.source,
      lake: typeof parsed.lake === "string" ? parsed.lake : undefined,
      db: values.db,
      pipeline: values.pipeline,
      model: values.model,
      triggerMs,
      batch: parsed.batch,
      durationMs: parsed.durationMs,
      maxEvents: parsed.maxEvents,
      settings: {
        source: `${values.source ?? "replay"} → raw/${parsed.source.name}`,
        ...(replay ? { rate: values.rate ?? `${DEFAULT_LIVE_RATE}/s` } : {}),
      },
      inputEndedHint: replay
        ? "a replay resumes after what earlier runs delivered into this lake; --from-start " +
          "replays it again, or use a fresh --lake and --db"
        : undefined,
      onSnapshot: (s) => hub.publish(s),
      log: say,
    });
  } finally {
    await dashboard?.close();
  }
  const f = result.freshness;
  const s = (ms: number) => Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "–";
  const summary = {
    stoppedBy: result.stoppedBy,
    seconds: result.seconds,
    events: result.ingest.events,
    files: result.ingest.files,
    cycles: result.cycles,
    failedCycles: result.failedCycles,
    scored: result.scored,
    freshnessMs: f,
    cycleMs: result.cycleSeconds,
    tables: result.snapshot.tables,
  };
  console.log(
    values.json ? JSON.stringify(summary, null, 2) : [
      `continuous run stopped by ${result.stoppedBy} after ${result.seconds.toFixed(1)} s`,
      `ingest     ${result.ingest.events} events into ${result.ingest.files} files`,
      `updates    ${result.cycles} (${result.failedCycles} failed)`,
      `sentiment  ${result.scored} scored`,
      `freshness  arrival → scored: p50 ${s(f.p50)}, p95 ${s(f.p95)}, max ${s(f.max)} ` +
      `(${f.count} tweets, in total)`,
      ...result.snapshot.tables.map((t) =>
        `  ${t.table.padEnd(20)} ${String(t.rows).padStart(8)} rows`
      ),
    ].join("\n"),
  );
  return 0;
}
