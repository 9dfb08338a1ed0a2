/**
 * Bluesky Jetstream (public, no credentials): a WebSocket subscription to
 * `app.bsky.feed.post`, an optional keyword filter applied locally, and a cursor
 * (`time_us`) kept in the lake so a dropped connection or a restart resumes without gaps
 * or duplicates (it rewinds a few seconds and drops what is not newer).
 */
import { jsonCheckpoint, readCheckpoint } from "./checkpoint.ts";
import { INGEST_DEFAULTS } from "./config.ts";
import { isJsonObjectLine } from "./json_check.ts";
import { encodeLine } from "./lines.ts";
import { EventQueue, sleepUnlessAborted } from "./queue.ts";
import type { Chunk, Source, SourceContext } from "./types.ts";

/** The lake path of the Jetstream cursor. */
export const JETSTREAM_CHECKPOINT = "_checkpoints/jetstream.json";

/** Failed connects in a row after which a Jetstream run stops (about 2 minutes of backoff). */
export const JETSTREAM_MAX_CONNECT_FAILURES = 10;

/** Options of {@link jetstreamSource}. */
export interface JetstreamOptions {
  /** Subscribe endpoint (default the public `jetstream2.us-east` instance). */
  url?: string;
  /** Collection to subscribe to (default `app.bsky.feed.post`). */
  collection?: string;
  /** Keep only posts whose text contains one of these (case-insensitive); default all. */
  keywords?: string[];
  /** Resume from the cursor stored in the lake (default true). */
  resume?: boolean;
  /** How far to rewind the cursor on reconnect, in microseconds (default 5 s). */
  rewindUs?: number;
  /** First reconnect wait in ms, doubling per failed attempt (default 500). */
  backoffMs?: number;
  /** Longest reconnect wait in ms (default 30 s). */
  backoffMaxMs?: number;
  /**
   * Failed connection attempts in a row before giving up (default
   * {@link JETSTREAM_MAX_CONNECT_FAILURES}; `Infinity` retries forever).
   */
  maxAttempts?: number;
}

interface JetEvent {
  line: string;
  timeUs?: number;
}

/** Whether a parsed Jetstream event is a post in `collection` matching `keywords`. */
export function wanted(
  // deno-lint-ignore no-explicit-any
  e: any,
  collection: string,
  keywords: string[] | undefined,
): boolean {
  if (e?.kind !== "commit" || e.commit?.collection !== collection) return false;
  if (!keywords?.length) return true;
  const text = typeof e.commit.record?.text === "string" ? e.commit.record.text.toLowerCase() : "";
  return keywords.some((k) => text.includes(k.toLowerCase()));
}

/** Bluesky Jetstream as a source (lake folder `raw/jetstream/`). */
export function jetstreamSource(opts: JetstreamOptions = {}): Source {
  return { name: "jetstream", live: true, events: (ctx) => jetEvents(opts, ctx) };
}

async function* jetEvents(opts: JetstreamOptions, ctx: SourceContext): AsyncGenerator<Chunk> {
  const collection = opts.collection ?? INGEST_DEFAULTS.jetstreamCollection;
  const keywords = opts.keywords?.filter((k) => k.trim());
  const rewind = opts.rewindUs ?? 5_000_000;
  const stored = opts.resume === false
    ? undefined
    : await readCheckpoint<{ time_us?: number }>(ctx.lake, JETSTREAM_CHECKPOINT);
  let last = typeof stored?.time_us === "number" ? stored.time_us : undefined;
  if (last !== undefined) ctx.log(`Jetstream: resuming after time_us ${last}`);
  const queue = new EventQueue<JetEvent>();

  let problem = "";
  const connectOnce = (): Promise<boolean> =>
    new Promise((resolve) => {
      const url = new URL(opts.url ?? INGEST_DEFAULTS.jetstreamUrl);
      url.searchParams.set("wantedCollections", collection);
      if (last !== undefined) url.searchParams.set("cursor", String(Math.max(0, last - rewind)));
      let got = false;
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        ctx.log(`Jetstream: cannot connect to ${url.origin}: ${(e as Error).message}`);
        return resolve(false);
      }
      const onAbort = () => ws.close();
      ctx.signal.addEventListener("abort", onAbort);
      ws.onmessage = (m) => {
        const line = typeof m.data === "string"
          ? m.data
          : new TextDecoder().decode(m.data as ArrayBuffer);
        got = true;
        let e;
        try {
          e = JSON.parse(line);
        } catch {
          return queue.push({ line });
        }
        const t = typeof e?.time_us === "number" ? e.time_us : undefined;
        if (t !== undefined) {
          if (last !== undefined && t <= last) return; // already delivered before the rewind
          last = t;
        }
        if (wanted(e, collection, keywords)) queue.push({ line, timeUs: last });
      };
      ws.onopen = () => (problem = "");
      ws.onerror = (e) => {
        problem = (e as ErrorEvent).message || "connection error";
      };
      ws.onclose = () => {
        ctx.signal.removeEventListener("abort", onAbort);
        resolve(got);
      };
    });

  const loop = (async () => {
    let failures = 0;
    while (!ctx.signal.aborted) {
      const got = await connectOnce();
      if (ctx.signal.aborted) break;
      failures = got ? 0 : failures + 1;
      if (failures >= (opts.maxAttempts ?? JETSTREAM_MAX_CONNECT_FAILURES)) {
        const host = new URL(opts.url ?? INGEST_DEFAULTS.jetstreamUrl).host;
        throw new Error(
          `Jetstream: no connection after ${failures} attempts in a row to ${host}` +
            `${problem ? ` (last: ${problem})` : ""}; check the network, or raise ` +
            `--max-connect-failures`,
        );
      }
      const wait = got
        ? 0
        : Math.min(opts.backoffMaxMs ?? 30_000, (opts.backoffMs ?? 500) * 2 ** (failures - 1));
      const what = problem
        ? `cannot reach ${new URL(opts.url ?? INGEST_DEFAULTS.jetstreamUrl).host} (${problem})`
        : "connection dropped";
      ctx.log(`Jetstream: ${what}; reconnecting in ${(wait / 1000).toFixed(1)} s`);
      await sleepUnlessAborted(wait, ctx.signal);
    }
  })().then(() => queue.end(), (e) => queue.end(e));

  try {
    for await (const batch of queue.batches()) {
      const cursors = batch.map((e) => e.timeUs);
      const lines = batch.map((e) => encodeLine(e.line));
      const malformed = new Set<number>();
      lines.forEach((l, i) => !isJsonObjectLine(l) && malformed.add(i));
      yield {
        lines,
        malformed: malformed.size ? malformed : undefined,
        positions: { path: ["time_us"], first: 0, each: cursors },
        checkpoint: (n) => {
          let t: number | undefined;
          for (let i = n - 1; i >= 0 && t === undefined; i--) t = cursors[i];
          return jsonCheckpoint(JETSTREAM_CHECKPOINT, { time_us: t ?? stored?.time_us ?? null });
        },
      };
    }
  } finally {
    await loop;
  }
}
