/**
 * pipelines/twitter.sql's silver over every input shape it accepts: X API v2 events
 * (replies, quotes, retweets, a place from `includes.places`), flat tweets as the original
 * demo's tweepy listener wrote them (`id`, `text`, `lang` at the top level, a numeric id), and
 * Bluesky Jetstream replies and quotes.
 */
import assert from "node:assert/strict";
import { DEFAULTS } from "../lib/config.ts";
import { query, withDb } from "../lib/db.ts";
import { runUpdate } from "../lib/dataflow/mod.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

const place = {
  id: "5a110d312052166f",
  full_name: "San Francisco, CA",
  country: "United States",
  country_code: "US",
};

const v2 = (id: string, extra: Record<string, unknown>, includes: Record<string, unknown> = {}) =>
  JSON.stringify({
    data: {
      id,
      text: `post ${id}`,
      lang: "en",
      author_id: "42",
      created_at: "2026-11-20T10:00:00.000Z",
      ...extra,
    },
    includes: {
      users: [{ id: "42", username: "ana", public_metrics: { followers_count: 9 } }],
      ...includes,
    },
  });

const X_EVENTS = [
  v2("1", {}),
  v2("2", { referenced_tweets: [{ type: "replied_to", id: "1" }], geo: { place_id: place.id } }, {
    places: [place],
  }),
  v2("3", { referenced_tweets: [{ type: "quoted", id: "1" }] }),
  v2("4", { referenced_tweets: [{ type: "retweeted", id: "1" }] }),
  // A place in includes that is not this tweet's: no place.
  v2("5", {}, { places: [place] }),
];

// tweepy (jsonpickle of a tweet): flat, the id a JSON number beyond 2^53.
const FLAT = [
  '{"id": 1860000000000000123, "text": "flat tweet from tweepy", "lang": "en", "author_id": "7", "created_at": "2026-11-20T11:00:00+00:00"}',
  '{"id": 1860000000000000124, "text": "tuit plano", "lang": "es"}',
];

const JETSTREAM = [
  {
    did: "did:plc:alice",
    time_us: 1,
    kind: "commit",
    commit: {
      operation: "create",
      collection: "app.bsky.feed.post",
      rkey: "r1",
      record: {
        text: "a reply",
        langs: ["en"],
        createdAt: "2026-11-20T10:15:00.000Z",
        reply: { parent: { uri: "at://x/app.bsky.feed.post/p" }, root: { uri: "at://x/p" } },
      },
    },
  },
  {
    did: "did:plc:bob",
    time_us: 2,
    kind: "commit",
    commit: {
      operation: "create",
      collection: "app.bsky.feed.post",
      rkey: "q1",
      record: {
        text: "a quote",
        langs: ["en"],
        createdAt: "2026-11-20T10:16:00.000Z",
        embed: { $type: "app.bsky.embed.record", record: { uri: "at://x/app.bsky.feed.post/p" } },
      },
    },
  },
].map((e) => JSON.stringify(e));

Deno.test("silver: post type, place and country from X v2; flat tweepy tweets; Jetstream replies and quotes", async () => {
  const ws = await workspace();
  try {
    await writeLakeFile(ws.lake, "raw/x/date=2026-11-20/v2.ndjson", X_EVENTS.join("\n") + "\n");
    await writeLakeFile(ws.lake, "raw/x/date=2026-11-20/flat.ndjson", FLAT.join("\n") + "\n");
    await writeLakeFile(
      ws.lake,
      "raw/jetstream/date=2026-11-20/j.ndjson",
      JETSTREAM.join("\n") + "\n",
    );
    const r = await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    assert.equal(r.status, "completed", r.error ?? "");
    await withDb(ws.db, async (conn) => {
      const rows = await query(
        conn,
        "SELECT id, source, post_type, place, country, text FROM silver ORDER BY id",
      );
      assert.deepEqual(rows.map((x) => [x.id, x.source, x.post_type, x.place, x.country]), [
        ["1", "x", "post", null, null],
        ["1860000000000000123", "x", "post", null, null],
        ["2", "x", "reply", "San Francisco, CA", "United States"],
        ["3", "x", "quote", null, null],
        ["4", "x", "retweet", null, null],
        ["5", "x", "post", null, null],
        ["did:plc:alice/r1", "jetstream", "reply", null, null],
        ["did:plc:bob/q1", "jetstream", "quote", null, null],
      ]);
      const flat = rows.find((x) => x.id === "1860000000000000123")!;
      assert.equal(flat.text, "flat tweet from tweepy");
      const created = await query(
        conn,
        "SELECT created_at FROM silver WHERE id = '1860000000000000123'",
      );
      assert.equal((created[0].created_at as Date).toISOString(), "2026-11-20T11:00:00.000Z");
      const es = await query(conn, "SELECT count FROM languages WHERE lang = 'es'");
      assert.equal(Number(es[0].count), 1, "languages counts flat tweets too");
    });
  } finally {
    await ws.remove();
  }
});
