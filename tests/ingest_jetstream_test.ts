/** The Jetstream source: drops resume from the cursor without gaps or duplicates; filters; restarts. */
import { readCheckpoint } from "../lib/ingest/checkpoint.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ingest } from "../lib/ingest/mod.ts";
import {
  JETSTREAM_CHECKPOINT,
  type JetstreamOptions,
  jetstreamSource,
} from "../lib/ingest/jetstream.ts";
import { openLake } from "../lib/lake/mod.ts";
import type { Lake } from "../lib/lake/types.ts";
import { identityEvent, postEvent, startJetstreamServer } from "./support/jetstream_server.ts";

const dec = new TextDecoder();
const T0 = 1_764_000_000_000_000;
const SECOND = 1_000_000;

/** 40 posts one second apart, every 4th with "lakehouse", with identity events between. */
function stream(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    out.push(
      postEvent(T0 + i * SECOND, i % 4 === 0 ? `post ${i} about the Lakehouse` : `post ${i}`),
    );
    if (i % 10 === 5) out.push(identityEvent(T0 + i * SECOND + 500_000));
  }
  return out;
}
const posts = () => stream().filter((e) => e.kind === "commit").map((e) => JSON.stringify(e));

async function lakeLines(lake: Lake): Promise<string[]> {
  const out: string[] = [];
  for (const f of await lake.list("raw/jetstream")) {
    out.push(...dec.decode(await lake.get(f.path)).split("\n").filter((l) => l));
  }
  return out;
}

async function run(
  lake: Lake,
  spillDir: string,
  server: { url: string },
  maxEvents: number,
  opts: JetstreamOptions = {},
) {
  return await ingest({
    source: jetstreamSource({ url: server.url, backoffMs: 10, ...opts }),
    lake,
    spillDir,
    maxEvents,
    durationMs: 10_000,
    handleSignals: false,
    log: () => {},
  });
}

Deno.test("ingest jetstream: drops resume from the cursor, no gaps, no duplicates", async () => {
  const tmp = await Deno.makeTempDir();
  const server = await startJetstreamServer({ events: stream(), dropAfter: [12, 9] });
  try {
    const lake = openLake(join(tmp, "lake"));
    const r = await run(lake, join(tmp, "spill"), server, 40);
    assert.equal(r.stoppedBy, "max-events");
    assert.deepEqual(await lakeLines(lake), posts());
    assert.equal(server.connections.length, 3);
    assert.equal(server.connections[0].get("wantedCollections"), "app.bsky.feed.post");
    assert.equal(server.connections[0].get("cursor"), null, "first run starts from now");
    const c1 = Number(server.connections[1].get("cursor"));
    assert.ok(c1 < T0 + 11 * SECOND, "the cursor is rewound on reconnect");
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ingest jetstream: keyword filter, and a restart resumes from the stored cursor", async () => {
  const tmp = await Deno.makeTempDir();
  const lake = openLake(join(tmp, "lake"));
  const wantedPosts = posts().filter((l) => l.toLowerCase().includes("lakehouse"));
  try {
    const a = await startJetstreamServer({ events: stream() });
    try {
      const r = await run(lake, join(tmp, "spill"), a, 4, { keywords: ["LAKEHOUSE"] });
      assert.equal(r.events, 4);
    } finally {
      await a.close();
    }
    const cursor = (await readCheckpoint<{ time_us: number }>(lake, JETSTREAM_CHECKPOINT))!;
    assert.equal(cursor.time_us, T0 + 12 * SECOND, "the cursor is the last stored event's time_us");

    const b = await startJetstreamServer({ events: stream() });
    try {
      await run(lake, join(tmp, "spill"), b, wantedPosts.length - 4, { keywords: ["lakehouse"] });
      assert.equal(
        Number(b.connections[0].get("cursor")),
        T0 + 7 * SECOND,
        "resumed at cursor - 5 s",
      );
    } finally {
      await b.close();
    }
    assert.deepEqual(await lakeLines(lake), wantedPosts);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
