/**
 * The X (Twitter) API v2 filtered stream, through `npm:twitter-api-v2`: syncs the stream
 * rules, then keeps the stream open (reconnecting with backoff after drops, keep-alive
 * timeouts, unanswered connection attempts and 5xx; waiting for the announced reset after a
 * 429) and hands on every tweet event exactly as received (messages about the stream itself
 * are logged).
 */
import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { ApiResponseError, type TweetStream, TwitterApi } from "twitter-api-v2";
import { secret } from "../secrets.ts";
import { DEFAULT_RULES, type StreamRule, X_STREAM_PARAMS } from "./config.ts";
import { isJsonObjectLine } from "./json_check.ts";
import { encodeLine, LineSplitter } from "./lines.ts";
import { EventQueue, sleepUnlessAborted } from "./queue.ts";
import type { Chunk, Source, SourceContext } from "./types.ts";

/** Waits between reconnects, in milliseconds. */
export interface XBackoff {
  /** After a dropped connection or network error: this times the attempt, up to `networkMaxMs`. */
  networkMs: number;
  networkMaxMs: number;
  /** After an HTTP error (5xx…): this, doubling per attempt, up to `httpMaxMs`. */
  httpMs: number;
  httpMaxMs: number;
  /** After a 429 without a reset header: this, doubling per attempt. */
  rateLimitMs: number;
}

/** X's documented reconnect guidance (linear 250 ms for network, exponential 5 s for HTTP, 1 min for 429). */
export const X_BACKOFF: XBackoff = {
  networkMs: 250,
  networkMaxMs: 16_000,
  httpMs: 5_000,
  httpMaxMs: 320_000,
  rateLimitMs: 60_000,
};

/** Options of {@link xSource}. */
export interface XSourceOptions {
  /** Bearer token (default: `X_BEARER_TOKEN` / `TWITTER_BEARER_TOKEN`, environment or `.env`). */
  token?: string;
  /** Stream rules to keep (default {@link DEFAULT_RULES}). */
  rules?: readonly StreamRule[];
  /** Sync the rules on start (default true). */
  syncRules?: boolean;
  /** Another API root, e.g. a loopback test server (`http://127.0.0.1:port`); default the real API. */
  apiBaseUrl?: string;
  /**
   * HTTP(S) agent for the API requests (default: one of the source's own). A connection attempt
   * that passes `connectTimeoutMs` is cut by destroying this agent's sockets.
   */
  httpAgent?: Agent;
  /** Give up a connection attempt that gets no answer within this long, and reconnect (default 30 s). */
  connectTimeoutMs?: number;
  /** Reconnect when nothing (not even a keep-alive) arrives for this long (default 60 s). */
  keepAliveTimeoutMs?: number;
  /** Waits between reconnects (default {@link X_BACKOFF}). */
  backoff?: Partial<XBackoff>;
  /** Reconnect attempts in a row before giving up (default unlimited). */
  maxAttempts?: number;
}

/** What a rules sync changed. */
export interface RulesChange {
  added: StreamRule[];
  deleted: StreamRule[];
  kept: StreamRule[];
}

/** The bearer token from the options, the environment or `.env`; a clear error if none. */
export function xToken(token?: string): string {
  const t = token ?? secret("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN");
  if (!t) {
    throw new Error(
      "no X bearer token: set X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN) in the environment or .env",
    );
  }
  return t;
}

/** A twitter-api-v2 client for `token`, pointed at `apiBaseUrl` when given. */
export function xClient(
  token: string,
  opts: Pick<XSourceOptions, "apiBaseUrl" | "httpAgent"> = {},
) {
  const base = opts.apiBaseUrl?.replace(/\/$/, "");
  const rewrite = ({ params }: { params: { url: string } }) => {
    if (!base) return;
    const u = new URL(params.url);
    params.url = `${base}${u.pathname}${u.search}`;
  };
  // The client refuses plain `http:` unless given an agent (only test servers use http).
  const agent = opts.httpAgent ?? (base?.startsWith("http:") ? new Agent() : undefined);
  return new TwitterApi(token, {
    ...(agent ? { httpAgent: agent } : {}),
    plugins: base
      ? [{ onBeforeRequestConfig: (a) => void rewrite(a), onBeforeStreamRequestConfig: rewrite }]
      : [],
  });
}

/** Turns an API failure into a clear message; never includes the token. */
export function describeXError(e: unknown, what: string): Error {
  if (e instanceof ApiResponseError) {
    const detail = e.data && typeof e.data === "object"
      ? JSON.stringify({ title: e.data.title, detail: e.data.detail, errors: e.data.errors })
      : "";
    if (e.code === 401) {
      return new Error(
        `X API refused the bearer token while ${what} (401 Unauthorized): check X_BEARER_TOKEN. ${detail}`,
      );
    }
    if (e.code === 403) {
      return new Error(
        `X API denied access while ${what} (403 Forbidden): the app's access tier may not include ` +
          `the filtered stream, or the app is not in a project. ${detail}`,
      );
    }
    return new Error(`X API error while ${what} (HTTP ${e.code}). ${detail}`);
  }
  return new Error(`X API request failed while ${what}: ${networkCause(e)}`, { cause: e });
}

/**
 * Why a request got no answer: the network error under twitter-api-v2's `ApiRequestError`
 * ("Request failed." alone says nothing), e.g. `getaddrinfo ENOTFOUND api.x.com` or
 * `connect ECONNREFUSED 127.0.0.1:443`.
 */
function networkCause(e: unknown): string {
  const err = e as { _options?: { error?: unknown }; requestError?: unknown; cause?: unknown };
  const inner = err?._options?.error ?? err?.requestError ?? err?.cause;
  const message = (e as Error)?.message ?? String(e);
  if (!(inner instanceof Error)) return message;
  const code = (inner as { code?: unknown }).code;
  const detail = inner.message || String(code ?? "");
  return `could not reach the API (${detail}${
    typeof code === "string" && !detail.includes(code) ? `, ${code}` : ""
  }): check the network connection or proxy`;
}

const ruleKey = (r: StreamRule) => `${r.value}\u0000${r.tag ?? ""}`;

/**
 * Makes the stream's rules equal `desired`: adds the missing, then deletes the stale.
 * Throws with the API's rule errors verbatim when it rejects a rule.
 */
export async function syncRules(
  client: TwitterApi,
  desired: readonly StreamRule[],
): Promise<RulesChange> {
  let existing: { id: string; value: string; tag?: string }[];
  try {
    existing = (await client.v2.streamRules()).data ?? [];
  } catch (e) {
    throw describeXError(e, "reading the stream rules");
  }
  const want = new Set(desired.map(ruleKey));
  const have = new Set(existing.map(ruleKey));
  const added = desired.filter((r) => !have.has(ruleKey(r)));
  const stale = existing.filter((r) => !want.has(ruleKey(r)));
  if (added.length) {
    let res;
    try {
      res = await client.v2.updateStreamRules({ add: added.map((r) => ({ ...r })) });
    } catch (e) {
      throw describeXError(e, "adding stream rules");
    }
    if (res.errors?.length) {
      throw new Error(`X rejected the stream rules: ${JSON.stringify(res.errors)}`);
    }
  }
  if (stale.length) {
    try {
      await client.v2.updateStreamRules({ delete: { ids: stale.map((r) => r.id) } });
    } catch (e) {
      throw describeXError(e, "deleting stale stream rules");
    }
  }
  const strip = (
    r: StreamRule,
  ): StreamRule => (r.tag ? { value: r.value, tag: r.tag } : { value: r.value });
  return {
    added,
    deleted: stale.map(strip),
    kept: existing.filter((r) => want.has(ruleKey(r))).map(strip),
  };
}

/** The rules on the stream now, for showing them (token and API root as in {@link xSource}). */
export async function currentRules(
  opts: Pick<XSourceOptions, "token" | "apiBaseUrl" | "httpAgent"> = {},
): Promise<StreamRule[]> {
  try {
    const rules = (await xClient(xToken(opts.token), opts).v2.streamRules()).data ?? [];
    return rules.map((r) => (r.tag ? { value: r.value, tag: r.tag } : { value: r.value }));
  } catch (e) {
    throw e instanceof ApiResponseError ? describeXError(e, "reading the stream rules") : e;
  }
}

/** Loads stream rules from a JSON file: `[{"value": "...", "tag": "..."}]`. */
export async function loadRules(file: string): Promise<StreamRule[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new Error(`rules file ${file}: ${(e as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { rules?: unknown })?.rules;
  if (!Array.isArray(list)) throw new Error(`rules file ${file}: expected a JSON array of rules`);
  return list.map((r, i) => {
    if (!r || typeof r.value !== "string" || !r.value.trim()) {
      throw new Error(`rules file ${file}: rule ${i + 1} has no "value" string`);
    }
    if (r.tag !== undefined && typeof r.tag !== "string") {
      throw new Error(`rules file ${file}: rule ${i + 1} has a "tag" that is not a string`);
    }
    return r.tag ? { value: r.value, tag: r.tag } : { value: r.value };
  });
}

function isFatal(e: unknown): boolean {
  return e instanceof ApiResponseError && (e.code === 401 || e.code === 403 || e.code === 400);
}

/** Milliseconds to wait before reconnect `attempt` (1-based) after `e`. */
export function reconnectDelay(e: unknown, attempt: number, b: XBackoff): number {
  if (e instanceof ApiResponseError) {
    if (e.code === 429) {
      const reset = e.rateLimit?.reset ?? Number(e.headers?.["x-rate-limit-reset"]);
      if (reset > 0) return Math.max(0, reset * 1000 - Date.now());
      return b.rateLimitMs * 2 ** (attempt - 1);
    }
    return Math.min(b.httpMaxMs, b.httpMs * 2 ** (attempt - 1));
  }
  return Math.min(b.networkMaxMs, b.networkMs * attempt);
}

/**
 * The problems of a stream message that carries no tweet, such as
 * `{"errors":[{"title":"operational-disconnect",...}]}`, as one line of text; undefined for
 * anything else (tweets, including tweets with partial errors, and lines that are not JSON).
 */
export function streamMessageErrors(line: string): string | undefined {
  if (!line.includes('"errors"') || line.includes('"data"')) return undefined;
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return undefined;
  }
  const errors = (msg as { errors?: unknown })?.errors;
  if (!Array.isArray(errors) || typeof msg !== "object" || "data" in (msg as object)) {
    return undefined;
  }
  return errors.map((e) =>
    [e?.title, e?.detail].filter((x) => typeof x === "string").join(": ") || JSON.stringify(e)
  ).join("; ");
}

/** The X API v2 filtered stream as a source (lake folder `raw/x/`). */
export function xSource(opts: XSourceOptions = {}): Source {
  return {
    name: "x",
    live: true,
    events: (ctx) => xEvents(opts, ctx),
  };
}

async function* xEvents(opts: XSourceOptions, ctx: SourceContext): AsyncGenerator<Chunk> {
  const agent = opts.httpAgent ??
    (opts.apiBaseUrl?.startsWith("http:") ? new Agent() : new HttpsAgent());
  const connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
  const client = xClient(xToken(opts.token), { ...opts, httpAgent: agent });
  const backoff = { ...X_BACKOFF, ...opts.backoff };
  if (opts.syncRules !== false) {
    const rules = opts.rules ?? DEFAULT_RULES;
    const change = await syncRules(client, rules);
    const show = (rs: StreamRule[]) => rs.map((r) => JSON.stringify(r)).join(", ");
    ctx.log(
      `X stream rules: ${change.added.length} added${
        change.added.length ? ` (${show(change.added)})` : ""
      }, ` +
        `${change.deleted.length} deleted${
          change.deleted.length ? ` (${show(change.deleted)})` : ""
        }, ` +
        `${change.kept.length} kept`,
    );
  }
  const queue = new EventQueue<string>();
  const splitter = new LineSplitter();
  let stream: TweetStream;
  try {
    stream = client.v2.searchStream({
      "tweet.fields": [...X_STREAM_PARAMS["tweet.fields"]],
      expansions: [...X_STREAM_PARAMS.expansions],
      "user.fields": [...X_STREAM_PARAMS["user.fields"]],
      autoConnect: false,
    });
  } catch (e) {
    throw describeXError(e, "opening the filtered stream");
  }
  // Keep the raw text: our splitter replaces the library's parser (which drops bad lines),
  // and responses are decoded as UTF-8 streams so no character is cut between chunks.
  let received = false;
  const inner = stream as unknown as {
    parser: { push(text: string): void; reset(): void };
    res?: { setEncoding(enc: string): void };
  };
  inner.parser.push = (text: string) => {
    received = true;
    for (const line of splitter.push(text)) queue.push(line);
  };
  inner.parser.reset = () => {
    const rest = splitter.flush();
    if (rest !== undefined) queue.push(rest);
  };
  const utf8 = () => inner.res?.setEncoding("utf8");
  stream.on("connected", utf8);
  stream.on("reconnected", utf8);
  // The library takes any chunk that is exactly "\r\n" for a keep-alive and drops it; when a
  // tweet ends at a chunk boundary that chunk is its delimiter, so hand it to the splitter (a
  // real keep-alive between tweets makes a blank line, which the splitter skips).
  stream.on("data keep-alive", () => {
    for (const line of splitter.push("\r\n")) queue.push(line);
  });

  const loop = (async () => {
    let attempt = 0;
    let lastError: unknown;
    while (!ctx.signal.aborted) {
      if (attempt > 0) {
        if (opts.maxAttempts !== undefined && attempt > opts.maxAttempts) {
          throw new Error(`X stream: gave up after ${opts.maxAttempts} reconnect attempts`, {
            cause: lastError,
          });
        }
        const wait = reconnectDelay(lastError, attempt, backoff);
        ctx.log(`X stream: reconnecting in ${(wait / 1000).toFixed(1)} s (attempt ${attempt})`);
        await sleepUnlessAborted(wait, ctx.signal);
        if (ctx.signal.aborted) break;
      }
      const closed = new Promise<void>((resolve) => {
        stream.once("connection closed", () => resolve());
        ctx.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      // destroying the agent's sockets fails a pending request, so connect() rejects
      const cut = () => agent.destroy();
      let timedOut = false;
      const deadline = setTimeout(() => {
        timedOut = true;
        cut();
      }, connectTimeoutMs);
      ctx.signal.addEventListener("abort", cut, { once: true });
      try {
        received = false;
        await stream.connect({
          autoReconnect: false,
          keepAliveTimeout: opts.keepAliveTimeoutMs ?? 60_000,
        });
      } catch (e) {
        if (isFatal(e)) throw describeXError(e, "connecting to the filtered stream");
        if (timedOut) ctx.log(`X stream: no answer within ${connectTimeoutMs / 1000} s`);
        lastError = e;
        attempt++;
        stream.removeAllListeners("connection closed");
        continue;
      } finally {
        clearTimeout(deadline);
        ctx.signal.removeEventListener("abort", cut);
      }
      await closed;
      inner.parser.reset();
      if (ctx.signal.aborted) break;
      lastError = new Error("connection dropped");
      attempt = received ? 1 : attempt + 1;
    }
  })().then(
    () => queue.end(),
    (e) => queue.end(e),
  ).finally(() => {
    stream.close();
    if (agent !== opts.httpAgent) agent.destroy();
  });

  try {
    for await (const batch of queue.batches()) {
      // messages about the stream itself are logged, not stored as events
      const lines = batch.filter((l) => {
        const problems = streamMessageErrors(l);
        if (problems !== undefined) ctx.log(`X stream message (not stored): ${problems}`);
        return problems === undefined;
      });
      if (!lines.length) continue;
      const chunk: Chunk = { lines: lines.map(encodeLine) };
      const bad = new Set<number>();
      chunk.lines.forEach((l, i) => !isJsonObjectLine(l) && bad.add(i));
      if (bad.size) chunk.malformed = bad;
      yield chunk;
    }
  } finally {
    await loop;
  }
}
