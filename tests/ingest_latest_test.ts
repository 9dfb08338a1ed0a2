/** Reading back what ingest wrote: newest files, newest events, a flat summary per event. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ingest,
  latestEvents,
  latestFiles,
  replaySource,
  summarizeEvent,
} from "../lib/ingest/mod.ts";
import { openLake } from "../lib/lake/mod.ts";
import { postEvent } from "./support/jetstream_server.ts";

Deno.test("ingest latest: newest files and events first, with X and Jetstream summaries", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const input = join(tmp, "in");
    await Deno.mkdir(input);
    const lines = Array.from(
      { length: 7 },
      (_, i) =>
        JSON.stringify({
          data: { id: String(i), text: `t${i}`, lang: "en", author_id: "9" },
          includes: { users: [{ id: "9", username: "ann" }] },
        }),
    );
    lines.splice(3, 0, "oops");
    await Deno.writeTextFile(join(input, "a.ndjson"), lines.join("\n"));
    const lake = openLake(join(tmp, "lake"));
    await ingest({
      source: replaySource({ input }),
      lake,
      spillDir: join(tmp, "spill"),
      batch: { maxEvents: 3 },
      handleSignals: false,
    });
    const files = await latestFiles(lake, { source: "x" });
    assert.equal(files.length, 3);
    assert.ok(files[0].path > files[1].path && files[1].path > files[2].path, "newest first");
    const events = await latestEvents(lake, { limit: 5 });
    assert.deepEqual(events.map((e) => e.raw), lines.toReversed().slice(0, 5));
    const bad = events.find((e) => e.raw === "oops");
    assert.equal(bad?.event, undefined, "a malformed line comes back raw, unparsed");
    assert.deepEqual(summarizeEvent(events[0].event), {
      id: "6",
      lang: "en",
      author: "ann",
      created_at: undefined,
      text: "t6",
    });
    const post = summarizeEvent(postEvent(1_700_000_000_000_000, "hello"));
    assert.equal(post.text, "hello");
    assert.equal(post.lang, "en");
    assert.equal(summarizeEvent(42).id, undefined);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
