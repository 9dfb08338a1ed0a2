/**
 * A continuous pipeline run: one process owns the DuckDB file, ingests from a source into
 * the lake, runs a dataflow update whenever new files have landed (at most one per trigger
 * interval, never two at once; a burst of files is one update), scores the new silver rows
 * after each update, and publishes a dashboard snapshot after each cycle.
 *
 * Stopping (Ctrl-C, SIGTERM, `durationMs`, the signal) flushes the ingest buffer into the
 * lake, lets a running update finish, runs one last cycle for the files the flush landed,
 * and returns. A process killed mid-update leaves the update uncommitted (one DuckDB
 * transaction), and its files are read again by the next run: nothing lost or duplicated.
 */
import { basename } from "node:path";
import { holdDb, query, withDb } from "../db.ts";
import { DEFAULTS } from "../config.ts";
import {
  lineage,
  loadPipeline,
  type Pipeline,
  readExpectationMetrics,
  runUpdate,
  UpdateError,
  type UpdateResult,
} from "../dataflow/mod.ts";
import { ingest, type IngestResult, type IngestStats, type Source } from "../ingest/mod.ts";
import type { BatchLimits } from "../ingest/config.ts";
import { openLake } from "../lake/mod.ts";
import { loadClassifier, scoreNew } from "../sentiment/mod.ts";
import type { Classifier } from "../sentiment/model.ts";
import { ArrivalTracker, type LatencyStats, latencyStats } from "./freshness.ts";
import { snapshotFrom } from "../snapshot.ts";
import {
  type CycleSummary,
  type LiveSnapshot,
  readLatestScored,
  readPerMinute,
  readRecentTexts,
  readSentimentMix,
  readTableCounts,
  type RunState,
} from "./snapshot.ts";
import { wordCloud, wordCounts } from "../viz/wordcloud.ts";
import { DEFAULT_TRIGGER_MS } from "./help.ts";
import { TriggerLoop } from "./trigger.ts";

/** Options of {@link runContinuous}; paths default from lib/config.ts. */
export interface ContinuousOptions {
  /** Where events come from. */
  source: Source;
  lake?: string;
  db?: string;
  /** The pipeline file. */
  pipeline?: string;
  /** Sentiment model (default: the embedded one). */
  model?: string;
  /** Least time between two updates' starts (default 2 s). */
  triggerMs?: number;
  /** Ingest batch limits; the age limit defaults to the trigger interval. */
  batch?: Partial<BatchLimits>;
  /** Stop after this long. */
  durationMs?: number;
  /** Stop after this many events. */
  maxEvents?: number;
  /** Stops the run when aborted. */
  signal?: AbortSignal;
  /** Stop on Ctrl-C / SIGTERM (default true). */
  handleSignals?: boolean;
  /** Called with every snapshot (after each cycle and on state changes). */
  onSnapshot?: (snapshot: LiveSnapshot) => void;
  /** Word counts for the cloud are refreshed every this many cycles (default 5). */
  wordsEvery?: number;
  /** Extra settings shown on the dashboard. */
  settings?: Record<string, string>;
  /** Said when the source ends, e.g. how to replay again. */
  inputEndedHint?: string;
  /** Where progress lines go (default: nowhere). */
  log?: (line: string) => void;
}

/** What a continuous run did. */
export interface ContinuousResult {
  /** Why it stopped. */
  stoppedBy: "duration" | "signal" | "aborted" | "max-events" | "failure";
  ingest: IngestResult;
  /** Cycles run (updates, each followed by scoring). */
  cycles: number;
  /** Cycles whose update failed (rolled back; their files are read again next time). */
  failedCycles: number;
  /** Rows scored in all cycles. */
  scored: number;
  /** Arrival at ingest → sentiment row committed, for every event scored in this run (ms). */
  freshness: LatencyStats;
  /** Seconds the run took. */
  seconds: number;
  /** Seconds per cycle (update + scoring), over all cycles. */
  cycleSeconds: LatencyStats;
  /** The last snapshot. */
  snapshot: LiveSnapshot;
}

/** Extra time, beyond the batch age, after which an unscored id is taken as dropped. */
const FORGET_AFTER_MS = 30_000;
/** Expectation rows kept for the dashboard (about the last 60 updates). */
const EXPECTATION_ROWS = 400;

function onSignals(handler: () => void): () => void {
  const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of names) Deno.addSignalListener(s, handler);
  return () => names.forEach((s) => Deno.removeSignalListener(s, handler));
}

/** The source, noting each chunk's arrival (its post ids) in `tracker` as it is delivered. */
function tracked(source: Source, tracker: ArrivalTracker): Source {
  return {
    name: source.name,
    live: source.live,
    async *events(ctx) {
      for await (const chunk of source.events(ctx)) {
        tracker.arrive(chunk.lines);
        yield chunk;
      }
    },
  };
}

/** Runs the pipeline continuously until stopped; see the module doc. */
export async function runContinuous(options: ContinuousOptions): Promise<ContinuousResult> {
  const t0 = Date.now();
  const lakeUrl = options.lake ?? DEFAULTS.lake;
  const db = options.db ?? DEFAULTS.db;
  const triggerMs = options.triggerMs ?? DEFAULT_TRIGGER_MS;
  const batch: Partial<BatchLimits> = { maxAgeMs: triggerMs, ...options.batch };
  const log = options.log ?? (() => {});
  const wordsEvery = Math.max(1, options.wordsEvery ?? 5);
  const pipeline: Pipeline = await loadPipeline(options.pipeline ?? DEFAULTS.pipeline);
  const graph = lineage(pipeline);
  const datasets = graph.nodes.filter((n) => n.kind !== "source" && n.kind !== "quarantine")
    .map((n) => n.id);

  const release = await holdDb(db);
  const lake = openLake(lakeUrl);
  let classifier: Classifier | undefined;
  const tracker = new ArrivalTracker();
  const cycleTimes: number[] = [];
  let version = 0;
  let state: RunState = "starting";
  let stats: IngestStats = {
    events: 0,
    malformed: 0,
    files: 0,
    bytes: 0,
    seconds: 0,
    spilled: 0,
    stored: 0,
    held: 0,
    recovered: 0,
  };
  let cycles = 0;
  let failedCycles = 0;
  let scoredTotal = 0;
  let last: CycleSummary | undefined;
  let lastLatencies: LatencyStats | undefined;
  let words: LiveSnapshot["words"] = [];
  let cloud: string | undefined;
  let expectations: LiveSnapshot["expectations"] = [];
  let snapshot: LiveSnapshot | undefined;

  const settings: Record<string, string> = {
    source: options.source.name,
    trigger: `${triggerMs / 1000} s`,
    "batch age": `${(batch.maxAgeMs ?? triggerMs) / 1000} s`,
    lake: lake.url,
    db,
    pipeline: pipeline.file,
    ...options.settings,
  };

  /** Reads what the dashboard shows and publishes it (the database is read on one connection). */
  const read = async (refreshWords: boolean) => {
    const data = await withDb(db, async (conn) => ({
      page: await snapshotFrom(conn, { pipeline, settings, updates: 5, latest: 0 }),
      tables: await readTableCounts(conn, datasets),
      perMinute: await readPerMinute(conn),
      sentimentMix: await readSentimentMix(conn),
      latest: await readLatestScored(conn),
      texts: refreshWords ? await readRecentTexts(conn) : undefined,
    }));
    data.page.latest = data.latest;
    data.page.pipeline = basename(pipeline.file);
    if (data.texts) {
      words = wordCounts(data.texts);
      cloud = wordCloud(data.texts, { width: 900, height: 300 });
    }
    const newest = tracker.newestScored;
    const seconds = (Date.now() - t0) / 1000;
    snapshot = {
      version: ++version,
      publishedAt: Date.now(),
      state,
      startedAt: t0,
      ingest: {
        events: stats.events,
        files: stats.files,
        malformed: stats.malformed,
        perSecond: stats.events / Math.max(seconds, 1e-3),
      },
      cycles,
      last,
      tables: data.tables,
      expectations,
      perMinute: data.perMinute,
      sentimentMix: data.sentimentMix,
      words,
      cloud,
      freshness: {
        newestArrivedAt: newest?.arrivedAt,
        newestCommittedAt: newest?.committedAt,
        lastCycle: lastLatencies,
        overall: tracker.overall(),
      },
      waiting: tracker.waiting,
      page: data.page,
    };
    options.onSnapshot?.(snapshot);
  };
  // Snapshots are read beside the next cycle, not in its way: one read at a time, and requests
  // made while one runs are merged into the next read.
  let reading: Promise<void> | undefined;
  let owed: { words: boolean } | undefined;
  const publish = (refreshWords: boolean): Promise<void> => {
    if (reading) {
      owed = { words: refreshWords || (owed?.words ?? false) };
      return reading;
    }
    reading = (async () => {
      let words = refreshWords;
      for (;;) {
        try {
          await read(words);
        } catch (e) {
          log(`dashboard snapshot failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (!owed) break;
        words = owed.words;
        owed = undefined;
      }
    })().finally(() => reading = undefined);
    return reading;
  };
  /** Publishes now and waits until the state is in a snapshot. */
  const publishNow = async (refreshWords: boolean) => {
    await publish(refreshWords);
    await reading;
  };

  let landed = 0; // files stored by ingest so far (this run's and recovered spill files)
  let landedAtLastCycle = -1;
  const cycle = async () => {
    if (landed === landedAtLastCycle) return; // notified for files the last update already read
    landedAtLastCycle = landed;
    const started = Date.now();
    log(`update ${cycles + 1} started`);
    let update: UpdateResult;
    try {
      // The files come from this process's own ingest, which writes each one atomically:
      // nothing to let settle (the Autoloader's settle interval is for other writers).
      update = await runUpdate({ pipeline, lake, db, settleSeconds: 0 });
    } catch (e) {
      if (!(e instanceof UpdateError)) throw e;
      update = e.result;
    }
    const updateSeconds = (Date.now() - started) / 1000;
    let scored = 0;
    const s0 = Date.now();
    if (update.status === "completed") {
      const scoringSince = new Date(s0).toISOString();
      const r = await scoreNew({ db, classifier });
      scored = r.scored;
      const committedAt = Date.now();
      const ids = scored
        ? await withDb(
          db,
          (conn) =>
            query(
              conn,
              "select id from sentiment where model = $1 and scored_at >= $2::timestamptz",
              [
                r.model,
                scoringSince,
              ],
            ),
        )
        : [];
      const latencies = tracker.committed(
        ids.map((row) => ({ id: String(row.id), at: committedAt })),
      );
      lastLatencies = latencyStats(latencies);
    } else {
      failedCycles++;
      log(`update ${update.updateId} failed and was rolled back: ${update.error}`);
    }
    tracker.forgetBefore(started - (batch.maxAgeMs ?? triggerMs) - FORGET_AFTER_MS);
    const scoringSeconds = (Date.now() - s0) / 1000;
    cycles++;
    scoredTotal += scored;
    cycleTimes.push(updateSeconds + scoringSeconds);
    last = {
      cycle: cycles,
      updateId: update.updateId,
      startedAt: started,
      status: update.status,
      ...(update.error ? { error: update.error } : {}),
      updateSeconds,
      scoringSeconds,
      scored,
      files: update.datasets.reduce((n, d) => n + d.filesRead, 0),
      datasets: update.datasets,
    };
    for (const d of update.datasets) {
      for (const e of d.expectations) {
        expectations.push({
          cycle: cycles,
          updateId: update.updateId,
          at: started,
          dataset: d.name,
          name: e.name,
          action: e.action,
          passed: e.passed,
          failed: e.failed,
        });
      }
    }
    if (expectations.length > EXPECTATION_ROWS) {
      expectations = expectations.slice(-EXPECTATION_ROWS);
    }
    log(
      `update ${cycles} ${update.status}: ${last.files} file(s), ${scored} scored, ` +
        `${updateSeconds.toFixed(2)} s + ${scoringSeconds.toFixed(2)} s` +
        (lastLatencies?.count ? `, freshness p95 ${(lastLatencies.p95 / 1000).toFixed(2)} s` : ""),
    );
    void publish(cycles % wordsEvery === 1 || wordsEvery === 1 || words.length === 0);
  };

  const stop = new AbortController();
  let stoppedBy: ContinuousResult["stoppedBy"] | undefined;
  const halt = (why: NonNullable<typeof stoppedBy>) => {
    if (stop.signal.aborted) return;
    stoppedBy = why;
    stop.abort(why);
  };
  let signals = 0;
  const removeSignals = options.handleSignals === false ? () => {} : onSignals(() => {
    if (++signals > 1) {
      // A second Ctrl-C: stop now; an update in progress is never committed (rolled back).
      log("stopping now (the running update, if any, is rolled back)");
      Deno.exit(130);
    }
    log(
      "stopping: flushing the ingest buffer and finishing the running update (Ctrl-C again to abort)",
    );
    halt("signal");
  });
  const outer = options.signal;
  const onOuter = () => halt("aborted");
  if (outer?.aborted) halt("aborted");
  outer?.addEventListener("abort", onOuter);
  const timer = options.durationMs !== undefined
    ? setTimeout(() => halt("duration"), options.durationMs)
    : undefined;

  let ingested: IngestResult | undefined;
  let failure: unknown;
  const loop = new TriggerLoop({
    intervalMs: triggerMs,
    cycle,
    onError: (e) => {
      failure ??= e;
      log(`cycle failed: ${e instanceof Error ? e.message : String(e)}`);
      halt("failure");
    },
  });
  try {
    classifier = await loadClassifier({ model: options.model });
    settings.model = classifier.modelId;
    await withDb(db, async (conn) => {
      expectations = (await readExpectationMetrics(conn)).slice(-EXPECTATION_ROWS).map((r) => ({
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
      }));
    });
    await publishNow(true);
    state = "running";
    loop.start();
    loop.notify(); // files an earlier run left unprocessed
    const ingesting = ingest({
      source: tracked(options.source, tracker),
      lake,
      batch,
      maxEvents: options.maxEvents,
      signal: stop.signal,
      handleSignals: false,
      progressIntervalMs: Math.min(250, Math.max(20, triggerMs / 4)),
      onProgress: (s) => {
        stats = s;
        if (s.files + s.recovered > landed) {
          landed = s.files + s.recovered;
          loop.notify();
        }
      },
      log,
    });
    ingested = await ingesting.catch((e) => {
      failure ??= e;
      halt("failure");
      return (e as { stats?: IngestResult }).stats;
    });
    if (ingested && !stop.signal.aborted) {
      // The source ended (a replay without more input) or reached maxEvents: keep the
      // pipeline running until stopped, as a continuous pipeline does when input pauses.
      if (ingested.stoppedBy === "max-events") halt("max-events");
      else {
        log(
          `${options.source.name}: input ended after ${ingested.events} events; running until ` +
            `stopped${options.inputEndedHint ? ` (${options.inputEndedHint})` : ""}`,
        );
        await new Promise<void>((r) => stop.signal.addEventListener("abort", () => r()));
      }
    }
    state = "stopping";
    await publishNow(false);
    await loop.stop({ drain: stoppedBy !== "failure" });
  } catch (e) {
    failure ??= e;
    await loop.stop().catch(() => {});
  } finally {
    clearTimeout(timer);
    removeSignals();
    outer?.removeEventListener("abort", onOuter);
  }
  try {
    state = "stopped";
    await publishNow(true);
  } finally {
    await classifier?.dispose();
    lake.close?.();
    release();
  }
  if (failure) throw failure;
  return {
    stoppedBy: stoppedBy ?? "aborted",
    ingest: ingested!,
    cycles,
    failedCycles,
    scored: scoredTotal,
    freshness: tracker.overall(),
    seconds: (Date.now() - t0) / 1000,
    cycleSeconds: latencyStats(cycleTimes.map((s) => s * 1000)),
    snapshot: snapshot!,
  };
}
