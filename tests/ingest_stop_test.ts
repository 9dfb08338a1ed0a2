/**
 * Stopping `deno task ingest` with SIGTERM mid-batch: what the source delivered before the
 * stop is in the lake exactly once, no partial or temp files are left, and a rerun of a
 * replay picks up exactly where it stopped.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS, REPO_ROOT } from "../lib/config.ts";
import { makeEvents } from "../tools/make-sample.ts";
import { startXServer } from "./support/x_server.ts";

const dec = new TextDecoder();
const CLI = join(REPO_ROOT, "cli.ts");

function spawnIngest(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, "ingest", ...args],
    env: { CI: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Every line in raw files under `dir` (files in name order), and every file name. */
async function lakeContent(dir: string): Promise<{ lines: string[]; names: string[] }> {
  const names: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else names.push(p);
    }
  };
  await walk(join(dir, "raw")).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  names.sort();
  const lines: string[] = [];
  for (const p of names.filter((n) => n.endsWith(".ndjson"))) {
    lines.push(...(await Deno.readTextFile(p)).split("\n").filter((l) => l));
  }
  return { lines, names };
}

async function sampleLines(): Promise<string[]> {
  const out: string[] = [];
  for (const n of [...Deno.readDirSync(DEFAULTS.sample)].map((e) => e.name).sort()) {
    out.push(
      ...(await Deno.readTextFile(join(DEFAULTS.sample, n))).split("\n").filter((l) => l.trim()),
    );
  }
  return out;
}

/** Waits until a raw file exists under `dir` (the stream is flowing). */
async function firstFile(dir: string, child: Deno.ChildProcess): Promise<void> {
  const exited = child.status.then(() => true);
  for (;;) {
    if ((await lakeContent(dir)).names.some((n) => n.endsWith(".ndjson"))) return;
    if (await Promise.race([exited, new Promise((r) => setTimeout(() => r(false), 50))])) {
      throw new Error("ingest exited before writing anything");
    }
  }
}

async function waitForOutput(child: Deno.ChildProcess, ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  child.kill("SIGTERM");
  const out = await child.output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("ingest stop: SIGTERM during a paced replay flushes, and a rerun completes it exactly once", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const lake = join(tmp, "lake");
    const spill = join(tmp, "spill");
    const common = ["--lake", lake, "--spill", spill, "--batch-events", "1000"];
    const child = spawnIngest([...common, "--rate", "150/s", "--batch-age", "300ms"]);
    await firstFile(lake, child);
    const stopped = await waitForOutput(child, 150);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped by signal/);
    const expected = await sampleLines();
    const first = await lakeContent(lake);
    assert.ok(
      first.lines.length > 0 && first.lines.length < expected.length,
      `${first.lines.length} events`,
    );
    assert.deepEqual(
      first.lines,
      expected.slice(0, first.lines.length),
      "a prefix, in order, once",
    );
    assert.ok(first.names.every((n) => !n.endsWith(".tmp")), "no temp files left");

    const rest = await spawnIngest(common).output();
    assert.equal(rest.code, 0, dec.decode(rest.stderr));
    const all = await lakeContent(lake);
    assert.deepEqual(all.lines.toSorted(), expected.toSorted(), "every event exactly once");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ingest stop: SIGTERM mid-batch on the X stream keeps every event sent before it", async () => {
  const tmp = await Deno.makeTempDir();
  const events = makeEvents(25, 11, 0);
  const server = await startXServer({ plan: [{ events, keepAlive: true, then: "hang" }] });
  try {
    const lake = join(tmp, "lake");
    const child = spawnIngest(
      [
        "--source",
        "x",
        "--no-sync-rules",
        "--x-api-url",
        server.baseUrl,
        "--lake",
        lake,
        "--spill",
        join(tmp, "spill"),
      ],
      { X_BEARER_TOKEN: server.token },
    );
    await server.planDone;
    const stopped = await waitForOutput(child, 1000);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.ok(!stopped.stderr.includes(server.token) && !stopped.stdout.includes(server.token));
    const got = await lakeContent(lake);
    assert.deepEqual(got.lines, server.sent);
    assert.equal(got.lines.length, 25);
    assert.ok(got.names.every((n) => !n.endsWith(".tmp")));
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
