/**
 * `deno task pipeline --continuous` as a user runs it (real subprocesses on the bundled
 * sample, into a temporary lake and database): SIGTERM flushes, finishes and exits 0; a
 * kill -9 in the middle of an update commits nothing of it; and after either, the next run
 * brings every table to exactly what the sample holds: nothing lost, nothing duplicated. A
 * live source (a loopback Jetstream) goes through to sentiment the same way.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS, REPO_ROOT } from "../lib/config.ts";
import { query, withDb } from "../lib/db.ts";
import { postEvent, startJetstreamServer } from "./support/jetstream_server.ts";

/** Events, English ids and English ids with text in the sample, counted independently. */
async function expectedFromSample(): Promise<{ events: number; english: number; texts: number }> {
  let events = 0;
  const english = new Set<string>();
  const withText = new Set<string>();
  for (const entry of [...Deno.readDirSync(DEFAULTS.sample)]) {
    const lines = (await Deno.readTextFile(join(DEFAULTS.sample, entry.name))).split("\n");
    for (const line of lines.filter((l) => l.trim())) {
      events++;
      try {
        const e = JSON.parse(line);
        if (e.data?.id && e.data.lang === "en") {
          english.add(e.data.id);
          if (/\S/.test(e.data.text ?? "")) withText.add(e.data.id);
        }
      } catch { /* malformed lines are events only */ }
    }
  }
  return { events, english: english.size, texts: withText.size };
}

/** A continuous run in a subprocess, with its stderr lines readable as they come. */
function start(dir: string, extra: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      join(REPO_ROOT, "cli.ts"),
      "pipeline",
      "--continuous",
      "--json",
      "--lake",
      join(dir, "lake"),
      "--db",
      join(dir, "db.duckdb"),
      "--spill",
      join(dir, "spill"),
      ...extra,
    ],
    env: { CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const stderr = (async () => {
    let buf = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.re.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      }
    }
  })();
  const stdout = new Response(child.stdout).text();
  return {
    child,
    lines,
    /** Resolves when a stderr line matches (or rejects after `ms`). */
    waitFor(re: RegExp, ms = 60_000): Promise<void> {
      if (lines.some((l) => re.test(l))) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${re} in ${ms} ms:\n${lines.join("\n")}`)),
          ms,
        );
        waiters.push({
          re,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async end(): Promise<{ code: number; stdout: string; stderr: string }> {
      const { code } = await child.status;
      await stderr;
      return { code, stdout: await stdout, stderr: lines.join("\n") };
    },
  };
}

async function counts(db: string) {
  return await withDb(db, async (conn) => {
    const one = async (sql: string) => Number((await query(conn, sql))[0].n);
    return {
      bronze: await one("select count(*) as n from bronze"),
      silver: await one("select count(*) as n from silver"),
      silverIds: await one("select count(distinct id) as n from silver"),
      sentiment: await one("select count(*) as n from sentiment"),
      sentimentIds: await one("select count(distinct id) as n from sentiment"),
      updates: await one("select count(distinct update_id) as n from event_log"),
      files: await one(
        "select count(distinct path) as n from _dataflow_files where dataset = 'bronze'",
      ),
      fileRows: await one("select count(*) as n from _dataflow_files where dataset = 'bronze'"),
    };
  });
}

/** A second run that replays the rest of the sample quickly, then stops with SIGTERM. */
async function finish(dir: string) {
  const run = start(dir, ["--rate", "100000/s", "--trigger", "200ms"]);
  await run.waitFor(/input ended/);
  await run.waitFor(/update \d+ completed/);
  run.child.kill("SIGTERM");
  const out = await run.end();
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

Deno.test("continuous: SIGTERM flushes and finishes the update, exits 0; a restart completes the sample exactly once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-live-" });
  try {
    const want = await expectedFromSample();
    const run = start(dir, ["--rate", "150/s", "--trigger", "300ms"]);
    await run.waitFor(/update 3 completed/);
    run.child.kill("SIGTERM");
    const out = await run.end();
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /stopping: flushing the ingest buffer/);
    const summary = JSON.parse(out.stdout);
    assert.equal(summary.stoppedBy, "signal");
    assert.ok(summary.events > 0 && summary.events < want.events, `${summary.events} events`);
    const stopped = await counts(join(dir, "db.duckdb"));
    assert.equal(
      stopped.bronze,
      summary.events,
      "every flushed event went through the last update",
    );
    assert.equal(stopped.sentiment, summary.scored);

    await finish(dir);
    const after = await counts(join(dir, "db.duckdb"));
    assert.equal(after.bronze, want.events);
    assert.equal(after.files, after.fileRows, "no file read twice");
    assert.equal(after.silver, want.english);
    assert.equal(after.silverIds, want.english);
    assert.equal(after.sentiment, want.texts);
    assert.equal(after.sentimentIds, want.texts);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("continuous: kill -9 mid-update commits nothing of it; the next run loses and duplicates nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-live-kill-" });
  try {
    const want = await expectedFromSample();
    const run = start(dir, ["--rate", "150/s", "--trigger", "250ms"]);
    await run.waitFor(/update 3 started/);
    run.child.kill("SIGKILL");
    const out = await run.end();
    assert.notEqual(out.code, 0);
    const completed = run.lines.filter((l) => /^update \d+ completed/.test(l)).length;
    assert.equal(completed, 2, out.stderr);
    const killed = await counts(join(dir, "db.duckdb"));
    assert.equal(killed.updates, 2, "the killed update left no event log row (it never committed)");
    assert.ok(killed.bronze < want.events);

    await finish(dir);
    const after = await counts(join(dir, "db.duckdb"));
    assert.equal(after.bronze, want.events);
    assert.equal(after.files, after.fileRows, "no file read twice");
    assert.equal(after.silver, want.english);
    assert.equal(after.silverIds, want.english);
    assert.equal(after.sentiment, want.texts);
    assert.equal(after.sentimentIds, want.texts);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("continuous: --source jetstream scores Bluesky posts as they arrive (loopback Jetstream)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-live-jet-" });
  const base = Date.now() * 1000;
  const texts = ["what a great release, loving it", "this outage is terrible", "meetup at 6pm"];
  const server = await startJetstreamServer({
    events: Array.from(
      { length: 30 },
      (_, i) => postEvent(base + i * 1000, `${texts[i % 3]} #${i}`, `did:plc:user${i}`),
    ),
  });
  try {
    const run = start(dir, [
      "--source",
      "jetstream",
      "--jetstream-url",
      server.url,
      "--trigger",
      "300ms",
    ]);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const scored = run.lines.map((l) =>
        /^update \d+ completed: \d+ file\(s\), (\d+) scored/.exec(l)
      )
        .reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
      if (scored >= 30) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    run.child.kill("SIGTERM");
    const out = await run.end();
    assert.equal(out.code, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).scored, 30, out.stderr);
    const rows = await withDb(
      join(dir, "db.duckdb"),
      (conn) =>
        query(
          conn,
          "select source, count(*) as n from silver join sentiment using (id) group by 1",
        ),
    );
    assert.deepEqual(rows, [{ source: "jetstream", n: 30 }]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
