/**
 * replaySource's `onceDone: "restart"` (what notebook 01's live counter uses): a replay that
 * finds the whole input already delivered starts again from the beginning, while a replay that
 * stopped part-way resumes where it stopped, as a plain replay does.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ingest, replaySource } from "../lib/ingest/mod.ts";
import { openLake } from "../lib/lake/mod.ts";

Deno.test("ingest replay: onceDone restart replays a finished input again, resumes an unfinished one", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tweetlake-restart-" });
  try {
    const input = join(tmp, "in.ndjson");
    await Deno.writeTextFile(
      input,
      ["1", "2", "3", "4"].map((id) => `{"id": "${id}"}`).join("\n") + "\n",
    );
    const lake = openLake(join(tmp, "lake"));
    const run = (opts: Parameters<typeof replaySource>[0], maxEvents?: number) =>
      ingest({ source: replaySource({ input, ...opts }), lake, maxEvents, handleSignals: false });
    assert.equal((await run({ onceDone: "restart" }, 3)).events, 3, "first run stops at 3");
    assert.equal((await run({ onceDone: "restart" })).events, 1, "an unfinished input resumes");
    assert.equal((await run({})).events, 0, "a plain replay of a finished input writes nothing");
    assert.equal((await run({ onceDone: "stop" })).events, 0);
    assert.equal((await run({ onceDone: "restart" })).events, 4, "a finished input starts again");
    assert.equal((await run({})).events, 0, "and the cursor records it as finished again");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
