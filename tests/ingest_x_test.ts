/** The X filtered-stream source drives the real twitter-api-v2 client against a loopback X server. */
import assert from "node:assert/strict";
import http from "node:http";
import { join } from "node:path";
import { ingest, IngestError } from "../lib/ingest/mod.ts";
import {
  currentRules,
  streamMessageErrors,
  xSource,
  type XSourceOptions,
} from "../lib/ingest/x.ts";
import { openLake } from "../lib/lake/mod.ts";
import { makeEvents } from "../tools/make-sample.ts";
import { startXServer, type StreamStep, type XTestServer } from "./support/x_server.ts";

const dec = new TextDecoder();
const FAST = { networkMs: 10, networkMaxMs: 50, httpMs: 20, httpMaxMs: 100, rateLimitMs: 50 };

interface Run {
  server: XTestServer;
  lines: string[];
  logs: string[];
  result?: Awaited<ReturnType<typeof ingest>>;
  error?: unknown;
}

async function run(
  plan: StreamStep[],
  opts: {
    source?: Partial<XSourceOptions>;
    maxEvents?: number;
    durationMs?: number;
    rules?: { id: string; value: string; tag?: string }[];
  } = {},
): Promise<Run> {
  const server = await startXServer({ plan, rules: opts.rules });
  const tmp = await Deno.makeTempDir();
  const agent = new http.Agent();
  const logs: string[] = [];
  const out: Run = { server, lines: [], logs };
  try {
    const lake = openLake(join(tmp, "lake"));
    try {
      out.result = await ingest({
        source: xSource({
          token: server.token,
          apiBaseUrl: server.baseUrl,
          httpAgent: agent,
          backoff: FAST,
          syncRules: false,
          ...opts.source,
        }),
        lake,
        spillDir: join(tmp, "spill"),
        maxEvents: opts.maxEvents,
        durationMs: opts.durationMs ?? 10_000,
        handleSignals: false,
        log: (m) => logs.push(m),
      });
    } catch (e) {
      out.error = e;
    }
    for (const f of await lake.list("raw/x")) {
      out.lines.push(...dec.decode(await lake.get(f.path)).split("\n").filter((l) => l));
    }
  } finally {
    agent.destroy();
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
  return out;
}

Deno.test("ingest x: syncs rules, keeps every event byte for byte across drops and split chunks", async () => {
  const events = makeEvents(8, 7, 0);
  const withEmoji = JSON.stringify({ data: { id: "1", text: "héllo 🎉 wörld", lang: "de" } });
  const first = [events[0], withEmoji, "{not json", events[1], events[2]];
  const second = [events[3], events[4], events[5]];
  const r = await run(
    [
      { events: first, keepAlive: true, pieceBytes: 7 },
      { events: second },
    ],
    {
      maxEvents: first.length + second.length,
      source: {
        syncRules: true,
        rules: [{ value: "keep me", tag: "k" }, { value: "#new" }],
      },
      rules: [{ id: "1", value: "stale rule" }, { id: "2", value: "keep me", tag: "k" }],
    },
  );
  assert.equal(r.error, undefined, String(r.error));
  assert.deepEqual(r.lines, [...first, ...second]);
  assert.equal(r.result?.malformed, 1);
  assert.equal(r.result?.stoppedBy, "max-events");
  assert.deepEqual(
    r.server.rules.map((x) => [x.value, x.tag]),
    [["keep me", "k"], ["#new", undefined]],
  );
  assert.ok(
    r.logs.some((l) => /1 added .*#new.*1 deleted .*stale rule.*1 kept/.test(l)),
    r.logs.join("\n"),
  );
  const q = r.server.connections[0].query;
  for (
    const f of [
      "lang",
      "author_id",
      "created_at",
      "conversation_id",
      "public_metrics",
      "referenced_tweets",
      "entities",
    ]
  ) {
    assert.ok(q.get("tweet.fields")?.split(",").includes(f), `tweet.fields has ${f}`);
  }
  assert.equal(q.get("expansions"), "author_id");
  assert.equal(r.server.connections.length, 2, "reconnected once after the drop");
});

Deno.test("ingest x: a 429 waits for the announced reset, a 503 backs off, then events flow", async () => {
  const events = makeEvents(3, 8, 0);
  const r = await run([{ status: 429, resetInSeconds: 1 }, { status: 503 }, { events }], {
    maxEvents: 3,
  });
  assert.equal(r.error, undefined, String(r.error));
  assert.deepEqual(r.lines, events);
  const [c429, c503] = r.server.connections;
  const reset = Math.ceil(c429.at / 1000 + 1) * 1000;
  assert.ok(c503.at >= reset - 50, `waited for the reset: ${c503.at} vs ${reset}`);
  assert.equal(r.server.connections.length, 3);
});

Deno.test("ingest x: a silent connection is dropped after the keep-alive timeout", async () => {
  const events = makeEvents(2, 9, 0);
  const r = await run([{ events: [events[0]], then: "hang" }, { events: [events[1]] }], {
    maxEvents: 2,
    source: { keepAliveTimeoutMs: 300 },
  });
  assert.equal(r.error, undefined, String(r.error));
  assert.deepEqual(r.lines, events);
  const [a, b] = r.server.connections;
  assert.ok(b.at - a.at >= 300, "reconnected only after the keep-alive timeout");
});

Deno.test("ingest x: 401 and 403 are clear errors that never show the token", async () => {
  for (const status of [401, 403] as const) {
    const r = await run([{ status }]);
    assert.ok(r.error instanceof IngestError, `expected IngestError, got ${r.error}`);
    const msg = (r.error as Error).message;
    assert.match(
      msg,
      status === 401 ? /401 Unauthorized.*X_BEARER_TOKEN/ : /403 Forbidden.*access tier/,
    );
    assert.ok(!msg.includes(r.server.token), "the token is not in the message");
    assert.equal(r.server.connections.length, 1, "no retry on an auth error");
  }
  const bad = await run([], { source: { token: "wrong-token-123", syncRules: true } });
  assert.match(String((bad.error as Error).message), /401 Unauthorized/);
  assert.ok(!String((bad.error as Error).message).includes("wrong-token-123"));
});

Deno.test("ingest x: a rule the API rejects is shown verbatim", async () => {
  const r = await run([], { source: { syncRules: true, rules: [{ value: "INVALID stuff" }] } });
  assert.ok(r.error instanceof Error);
  assert.match(
    (r.error as Error).message,
    /X rejected the stream rules: .*"value":"INVALID stuff".*Reference to invalid operator 'INVALID'/,
  );
});

Deno.test("ingest x: currentRules shows the rules on the stream", async () => {
  const server = await startXServer({ plan: [], rules: [{ id: "5", value: "a", tag: "t" }] });
  const agent = new http.Agent();
  try {
    const rules = await currentRules({
      token: server.token,
      apiBaseUrl: server.baseUrl,
      httpAgent: agent,
    });
    assert.deepEqual(rules, [{ value: "a", tag: "t" }]);
  } finally {
    agent.destroy();
    await server.close();
  }
});

Deno.test("ingest x: stream messages without a tweet are logged, not stored; tweets with errors are kept", async () => {
  const events = makeEvents(2, 10, 0);
  const disconnect = JSON.stringify({
    errors: [{
      title: "operational-disconnect",
      disconnect_type: "UpstreamOperationalDisconnect",
      detail: "This stream has been disconnected upstream for operational reasons.",
    }],
  });
  const partial = JSON.stringify({
    data: { id: "5", text: "a tweet whose author could not be expanded" },
    errors: [{ title: "Not Found Error", detail: "Could not find user" }],
  });
  const r = await run([{ events: [events[0], disconnect, partial] }, { events: [events[1]] }], {
    maxEvents: 3,
  });
  assert.equal(r.error, undefined, String(r.error));
  assert.deepEqual(r.lines, [events[0], partial, events[1]]);
  assert.equal(r.result?.malformed, 0);
  assert.ok(
    r.logs.some((l) =>
      l.includes("not stored") && l.includes("operational-disconnect: This stream has been")
    ),
    r.logs.join("\n"),
  );
});

Deno.test("streamMessageErrors tells stream messages from tweets and junk", () => {
  assert.equal(
    streamMessageErrors('{"errors":[{"title":"ConnectionException"}]}'),
    "ConnectionException",
  );
  assert.equal(streamMessageErrors('{"data":{"id":"1"},"errors":[{"title":"x"}]}'), undefined);
  assert.equal(streamMessageErrors('{"errors": not json'), undefined);
  assert.equal(streamMessageErrors('{"errors":"a string"}'), undefined);
  assert.equal(streamMessageErrors('{"errors":[{"code":7}]}'), '{"code":7}');
});

Deno.test("ingest x: a connection that gets no answer is given up after the connect timeout", async () => {
  const events = makeEvents(2, 11, 0);
  const r = await run([{ silent: true }, { events }], {
    maxEvents: 2,
    source: { connectTimeoutMs: 300 },
  });
  assert.equal(r.error, undefined, String(r.error));
  assert.deepEqual(r.lines, events);
  const [a, b] = r.server.connections;
  assert.ok(b.at - a.at >= 300, `reconnected after the connect timeout: ${b.at - a.at} ms`);
  assert.ok(r.logs.some((l) => l.includes("no answer within 0.3 s")), r.logs.join("\n"));
});

Deno.test("ingest x: stopping while a connection waits for an answer ends at once", async () => {
  const started = Date.now();
  const r = await run([{ silent: true }], {
    durationMs: 300,
    source: { connectTimeoutMs: 60_000 },
  });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.result?.stoppedBy, "duration");
  assert.deepEqual(r.lines, []);
  assert.ok(Date.now() - started < 30_000, "stopped without waiting for the 60 s connect timeout");
});

Deno.test("ingest x: a tweet whose delimiter arrives as a chunk of its own is not merged with the next", async () => {
  // 12 bytes of JSON + "\r\n" in pieces of 6: the last piece is exactly "\r\n", which the
  // library reports as a keep-alive.
  const events = ['{"data":{}} ', '{"data":{"id":"2"}}'];
  assert.equal(new TextEncoder().encode(events[0]).length % 6, 0);
  const r = await run([{ events, pieceBytes: 6 }], { maxEvents: 2 });
  assert.equal(r.error, undefined, String(r.error));
  assert.deepEqual(r.lines.map((l) => l.trim()), events.map((e) => e.trim()));
});
