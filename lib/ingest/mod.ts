/**
 * Ingest: reads a source (X filtered stream, Bluesky Jetstream, replay) and writes what it
 * delivers, losslessly, into the lake as NDJSON batch files. Used by `deno task ingest`,
 * `deno task pipeline` and notebook 01.
 */
import { openLake } from "../lake/mod.ts";
import type { Lake } from "../lake/types.ts";
import {
  type BatchLimits,
  DEFAULT_BATCH,
  DEFAULT_RETRY,
  INGEST_DEFAULTS,
  type RetryPolicy,
} from "./config.ts";
import { acquireIngestLock, type IngestLock, IngestRunningError, LOCK_TTL_MS } from "./lock.ts";
import { sleepUnlessAborted } from "./queue.ts";
import { spillLake, uploadSpill } from "./spill.ts";
import type { IngestStats, Source } from "./types.ts";
import { BatchWriter } from "./writer.ts";

export type { Checkpoint, Chunk, IngestStats, Source, SourceContext } from "./types.ts";
export { DEFAULT_BATCH, DEFAULT_RULES, INGEST_DEFAULTS, type StreamRule } from "./config.ts";
export { type ReplayOptions, replaySource } from "./replay.ts";
export { currentRules, loadRules, syncRules, xSource, type XSourceOptions } from "./x.ts";
export { type JetstreamOptions, jetstreamSource } from "./jetstream.ts";
export { LakeUnreachableError } from "./writer.ts";
export { IngestRunningError, LOCK_TTL_MS };
export { type LatestEvent, latestEvents, latestFiles, summarizeEvent } from "./latest.ts";

/** Why an ingest run ended. */
export type StopReason = "end" | "max-events" | "duration" | "signal" | "aborted" | "failure";

/** The result of {@link ingest}. */
export interface IngestResult extends IngestStats {
  /** Why the run ended. */
  stoppedBy: StopReason;
  /** The lake it wrote into (URL, no secrets). */
  lake: string;
  /** The lake folder it wrote under (`raw/<source>/`). */
  folder: string;
}

/** Options of {@link ingest}. */
export interface IngestOptions {
  /** Where events come from. */
  source: Source;
  /** The lake, or its location (folder or `s3://bucket/prefix`). */
  lake: Lake | string;
  /** Stop after this many events. */
  maxEvents?: number;
  /** Stop after this many milliseconds. */
  durationMs?: number;
  /** Batch rotation limits (defaults: {@link DEFAULT_BATCH}). */
  batch?: Partial<BatchLimits>;
  /** Retries of a failed lake write before giving up (defaults: {@link DEFAULT_RETRY}). */
  retry?: Partial<RetryPolicy>;
  /** Spill folder for events the lake would not take (default `out/spill`). */
  spillDir?: string;
  /** The spill itself, as a lake (default: the folder for this lake under `spillDir`). */
  spill?: Lake;
  /** Stops the run when aborted (buffered events are flushed first). */
  signal?: AbortSignal;
  /** Stop cleanly on Ctrl-C / SIGTERM (default true). */
  handleSignals?: boolean;
  /** Called with running totals every `progressIntervalMs` and after each file. */
  onProgress?: (stats: IngestStats) => void;
  /** Milliseconds between progress calls (default 250). */
  progressIntervalMs?: number;
  /** Where messages from the source go (default: stderr). */
  log?: (message: string) => void;
  /** For a live source, how often events held in memory are retried into the spill (default 5 s). */
  heldRetryMs?: number;
  /** How long the ingest lock lives without a heartbeat (default {@link LOCK_TTL_MS}). */
  lockTtlMs?: number;
}

/** Thrown when a run fails after flushing; carries the stats of what was kept. */
export class IngestError extends Error {
  /** Wraps `cause` with the stats of the failed run. */
  constructor(message: string, readonly stats: IngestResult, cause: unknown) {
    super(message, { cause });
    this.name = "IngestError";
  }
}

function onSignals(handler: () => void): () => void {
  const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of names) Deno.addSignalListener(s, handler);
  return () => names.forEach((s) => Deno.removeSignalListener(s, handler));
}

/**
 * Streams events from `options.source` into the lake until the source ends, `maxEvents`
 * or `durationMs` is reached, the signal is aborted or the process gets SIGINT/SIGTERM,
 * then flushes what is buffered. Takes the source's ingest lock first (throws
 * {@link IngestRunningError} if another ingest of the same source writes into this lake),
 * then uploads an earlier run's spill. Throws {@link IngestError} if the lake stayed
 * unreachable (the rest is then in the spill; the message says exactly what is where), and
 * a `LakePermanentError` at once if the lake refuses writes for good.
 */
export async function ingest(options: IngestOptions): Promise<IngestResult> {
  const t0 = performance.now();
  const max = options.maxEvents;
  if (max !== undefined && !(max >= 0)) throw new Error(`maxEvents must be >= 0, got ${max}`);
  const lake = typeof options.lake === "string" ? openLake(options.lake) : options.lake;
  const log = options.log ?? ((m: string) => console.error(m));

  const stop = new AbortController();
  const lock = await acquireIngestLock(lake, options.source.name, {
    ttlMs: options.lockTtlMs,
    log,
    onLost: () => stop.abort("failure"),
  }).catch((e) => {
    if (typeof options.lake === "string") lake.close?.();
    if (e instanceof IngestRunningError) throw e;
    throw new Error(
      `ingest from ${options.source.kind ?? options.source.name} could not start: ${e.message}`,
      { cause: e },
    );
  });
  try {
    return await ingestLocked(options, lake, log, stop, lock, t0);
  } finally {
    await lock.release().catch((e) => log(`could not release the ingest lock: ${e.message}`));
    if (typeof options.lake === "string") lake.close?.();
  }
}

/** The body of {@link ingest}, run while the lock is held. */
async function ingestLocked(
  options: IngestOptions,
  lake: Lake,
  log: (message: string) => void,
  stop: AbortController,
  lock: IngestLock,
  t0: number,
): Promise<IngestResult> {
  const source = options.source;
  const max = options.maxEvents;
  const spillDir = options.spillDir ?? INGEST_DEFAULTS.spillDir;
  const spill = options.spill ?? spillLake(spillDir, lake);
  // with the lock held, a temp file of this source is a write a killed run never finished
  const torn = await lake.removeTemp?.(`raw/${source.name}/`) ?? 0;
  if (torn) log(`removed ${torn} unfinished file(s) a killed ingest left in raw/${source.name}/`);
  const upload = await uploadSpill(spill, lake).catch((e) => {
    throw new Error(
      `could not upload the spill of an earlier run to ${lake.url}: ${(e as Error).message}`,
      { cause: e },
    );
  });
  if (upload.files || upload.skipped) {
    log(
      `uploaded ${upload.files} file(s) (${upload.events} events) left in the spill by an ` +
        `earlier run` +
        (upload.skipped ? `; ${upload.skipped} spilled events were already in the lake` : ""),
    );
  }
  const recovered = upload.files;

  const writer = new BatchWriter({
    lake,
    source: source.name,
    limits: { ...DEFAULT_BATCH, ...options.batch },
    retry: { ...DEFAULT_RETRY, ...options.retry },
    spill,
    onFile: () => report(),
    beforePut: () => lock.verify(),
  });
  const stats = (): IngestStats => ({
    ...writer.counters,
    seconds: (performance.now() - t0) / 1000,
    recovered,
  });
  const report = () => options.onProgress?.(stats());

  let stoppedBy: StopReason = stop.signal.aborted ? "failure" : "end";
  const halt = (why: StopReason) => {
    if (!stop.signal.aborted) {
      stoppedBy = why;
      stop.abort(why);
    }
  };
  const outer = options.signal;
  const onOuterAbort = () => halt("aborted");
  if (outer?.aborted) halt("aborted");
  outer?.addEventListener("abort", onOuterAbort);
  const removeSignals = options.handleSignals === false
    ? () => {}
    : onSignals(() => halt("signal"));
  const timer = options.durationMs !== undefined
    ? setTimeout(() => halt("duration"), options.durationMs)
    : undefined;
  const ticker = setInterval(() => {
    writer.sealIfOld();
    report();
  }, Math.min(options.progressIntervalMs ?? 250, 1000));

  let failure: unknown;
  try {
    if (max === 0) halt("max-events");
    else {
      for await (const chunk of source.events({ lake, signal: stop.signal, log })) {
        // A live source ends its iteration only once stopped: halt before leaving the loop.
        try {
          const room = max === undefined ? chunk.lines.length : max - writer.counters.events;
          writer.add(chunk, Math.min(room, chunk.lines.length));
          if (max !== undefined && writer.counters.events >= max) {
            halt("max-events");
            break;
          }
          if (writer.backlog > 1) await writer.ready(1);
          if (writer.failure || writer.fatal) {
            halt("failure");
            break;
          }
        } catch (e) {
          halt("failure");
          throw e;
        }
      }
    }
  } catch (e) {
    failure = e;
  } finally {
    clearTimeout(timer);
    clearInterval(ticker);
    removeSignals();
    outer?.removeEventListener("abort", onOuterAbort);
    halt(stoppedBy);
  }
  try {
    await writer.close();
  } catch (e) {
    failure ??= e;
  }
  if (writer.counters.held > 0 && source.live) {
    await keepHeld(writer, source.name, spill.url, options, log);
  }
  failure ??= writer.failure ?? lock.lost;
  const result: IngestResult = {
    ...stats(),
    stoppedBy: failure ? "failure" : stoppedBy,
    lake: lake.url,
    folder: `raw/${source.name}/`,
  };
  report();
  if (failure) {
    const why = failure instanceof Error ? failure.message : String(failure);
    throw new IngestError(
      `ingest from ${source.kind ?? source.name} stopped: ${why}. ${
        whereEvents(result, spill.url, source)
      }`,
      result,
      failure,
    );
  }
  return result;
}

/** Exactly where the accepted events of a run are: lake, spill, neither. */
export function whereEvents(s: IngestStats, spillUrl: string, source: Source): string {
  let text = `Of ${s.events} events accepted, ${s.stored} are in the lake (${s.files} files), ` +
    `${s.spilled} in the spill ${spillUrl}`;
  if (s.held > 0) {
    text += source.live
      ? `, and ${s.held} in neither: they were held in memory until the stop and are lost`
      : `, and ${s.held} in neither: the source's cursor stays before them, so the next run ` +
        `delivers them again`;
  }
  return text;
}

/**
 * A live source can't deliver again what neither the lake nor the spill took: keep those
 * events in memory, retry the spill, and end only once they are stored or on a second stop.
 */
async function keepHeld(
  writer: BatchWriter,
  name: string,
  spillUrl: string,
  options: IngestOptions,
  log: (message: string) => void,
): Promise<void> {
  const retryMs = options.heldRetryMs ?? 5_000;
  const giveUp = new AbortController();
  const removeSignals = options.handleSignals === false
    ? () => {}
    : onSignals(() => giveUp.abort());
  try {
    const why = (e: unknown) => e instanceof Error ? e.message : String(e);
    log(
      `ingest from ${name} stopped reading: ${writer.counters.held} events are held in memory ` +
        `because neither the lake (${why(writer.failure?.cause)}) nor the spill ${spillUrl} ` +
        `(${why(writer.spillFailure)}) took them; retrying the spill every ${retryMs / 1000} s ` +
        `(stop again to give up and lose them)`,
    );
    while (writer.counters.held > 0 && !giveUp.signal.aborted) {
      await sleepUnlessAborted(retryMs, giveUp.signal);
      if (giveUp.signal.aborted) break;
      if (await writer.retryHeld() === 0) log(`the held events of ${name} are in the spill now`);
    }
  } finally {
    removeSignals();
  }
}
