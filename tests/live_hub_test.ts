/**
 * The dashboard's snapshot hub and server: a client gets the latest snapshot, a slow
 * client gets the newest one when it reads again (never a backlog), publishing never
 * waits for clients, a closed client is forgotten, and the server binds to loopback.
 */
import assert from "node:assert/strict";
import { SnapshotHub } from "../lib/live/hub.ts";
import { parseListen, serveDashboard } from "../lib/live/server.ts";
import type { LiveSnapshot } from "../lib/live/snapshot.ts";
import { emptySnapshot } from "../lib/viz/pipeline_page.ts";

const decoder = new TextDecoder();

function hub() {
  let encoded = 0;
  const h = new SnapshotHub<{ version: number; n: number }>({
    encode: (s) => {
      encoded++;
      return JSON.stringify(s);
    },
  });
  return { h, encoded: () => encoded };
}

async function nextMessage(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const { value, done } = await reader.read();
  assert.ok(!done && value);
  return decoder.decode(value);
}

Deno.test("hub: a slow client skips to the latest snapshot instead of reading a backlog", async () => {
  const { h, encoded } = hub();
  h.publish({ version: 1, n: 1 });
  const reader = h.stream().getReader();
  assert.match(await nextMessage(reader), /^id: 1\nevent: snapshot\ndata: \{"version":1,"n":1\}/);
  // The client does not read while 1,000 snapshots are published: publishing does not wait.
  const t0 = performance.now();
  for (let v = 2; v <= 1001; v++) h.publish({ version: v, n: v });
  assert.ok(performance.now() - t0 < 200, "publishing waited for the client");
  assert.ok(encoded() <= 2, `snapshots nobody read were encoded: ${encoded()}`);
  const msg = await nextMessage(reader);
  assert.match(msg, /^id: 1001\n/, "the next read is the latest snapshot");
  h.close();
  assert.match(await nextMessage(reader), /event: end/);
  assert.equal((await reader.read()).done, true);
  assert.equal(h.clients, 0);
});

Deno.test("hub: a closed client is forgotten; a waiting client wakes on publish", async () => {
  const { h } = hub();
  const a = h.stream().getReader();
  const b = h.stream().getReader();
  assert.equal(h.clients, 2);
  const pending = nextMessage(b);
  await a.cancel();
  assert.equal(h.clients, 1);
  h.publish({ version: 7, n: 7 });
  assert.match(await pending, /^id: 7\n/);
  await b.cancel();
  assert.equal(h.clients, 0);
});

Deno.test("server: parses listen addresses and serves the page, snapshot and events on loopback", async () => {
  assert.deepEqual(parseListen("8787"), { hostname: "127.0.0.1", port: 8787 });
  assert.deepEqual(parseListen(":0"), { hostname: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListen("0.0.0.0:9000"), { hostname: "0.0.0.0", port: 9000 });
  assert.throws(() => parseListen("localhost"), /--serve: "localhost" is not an address/);

  const dash = await serveDashboard({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(await (await fetch(dash.url)).text(), /The pipeline is starting/);
    const pageData = emptySnapshot();
    pageData.latest = [{
      id: "1",
      createdAt: null,
      source: "x",
      lang: "en",
      text: "<b>hi</b> 🎉",
      label: "positive",
      score: 0.9,
    }];
    const snap: LiveSnapshot = {
      version: 3,
      publishedAt: Date.now(),
      state: "running",
      ingest: { events: 5, files: 1, malformed: 0, perSecond: 5 },
      cycles: 1,
      tables: [{ table: "bronze", rows: 5 }],
      expectations: [],
      perMinute: [],
      sentimentMix: [],
      words: [],
      freshness: {},
      waiting: 0,
      page: pageData,
    };
    dash.hub.publish(snap);
    const page = await (await fetch(dash.url)).text();
    assert.match(page, /data-table="bronze">5</);
    assert.match(page, /&lt;b&gt;hi&lt;\/b&gt; 🎉/, "tweet text is escaped");
    assert.match(page, /new EventSource\("events"\)/);
    assert.equal((await (await fetch(new URL("snapshot.json", dash.url))).json()).version, 3);
    const events = await fetch(new URL("events", dash.url));
    assert.equal(events.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = events.body!.getReader();
    const first = decoder.decode((await reader.read()).value);
    assert.match(first, /^id: 3\nevent: snapshot\ndata: \{"version":3,"state":"running"/);
    await dash.close();
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += decoder.decode(value);
    }
    assert.match(rest, /event: end/, "closing ends the stream with an end event");
  } finally {
    await dash.close();
  }
});
