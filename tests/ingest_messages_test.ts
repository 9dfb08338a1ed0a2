/**
 * What a user reads when a source or the lake can't be reached: an X network error states its
 * cause, an offline Jetstream run stops after a bounded (configurable) number of failed
 * connects, and missing S3 credentials name the AWS_* variables and `.env`, and say "replay"
 * (not the lake folder "x") for a replay.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/config.ts";
import { ingest, jetstreamSource, xSource } from "../lib/ingest/mod.ts";
import { JETSTREAM_MAX_CONNECT_FAILURES } from "../lib/ingest/jetstream.ts";
import { openLake } from "../lib/lake/mod.ts";

/** A loopback port with nothing listening on it. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function failure(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (e) {
    return String((e as Error).message) + String(((e as Error).cause as Error)?.message ?? "");
  }
  throw new Error("expected a failure");
}

Deno.test("ingest x: a request that gets no answer says why (the network error)", async () => {
  const tmp = await Deno.makeTempDir();
  const agent = new http.Agent();
  try {
    const port = closedPort();
    const message = await failure(() =>
      ingest({
        source: xSource({
          token: "t",
          apiBaseUrl: `http://127.0.0.1:${port}`,
          httpAgent: agent,
          syncRules: true,
        }),
        lake: openLake(join(tmp, "lake")),
        spillDir: join(tmp, "spill"),
        handleSignals: false,
        log: () => {},
      })
    );
    assert.match(message, /could not reach the API \(.*ECONNREFUSED/);
    assert.match(message, /reading the stream rules/);
  } finally {
    agent.destroy();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ingest jetstream: offline, a run stops after a bounded number of failed connects", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const url = `ws://127.0.0.1:${closedPort()}/subscribe`;
    const logs: string[] = [];
    const run = (maxAttempts?: number) =>
      failure(() =>
        ingest({
          source: jetstreamSource({ url, backoffMs: 1, backoffMaxMs: 2, maxAttempts }),
          lake: openLake(join(tmp, "lake")),
          spillDir: join(tmp, "spill"),
          handleSignals: false,
          durationMs: 60_000,
          log: (m) => logs.push(m),
        })
      );
    assert.match(
      await run(),
      new RegExp(`no connection after ${JETSTREAM_MAX_CONNECT_FAILURES} attempts in a row`),
    );
    assert.match(await run(3), /no connection after 3 attempts in a row to 127\.0\.0\.1:\d+/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

async function cli(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", ...args],
    cwd: REPO_ROOT,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, err: new TextDecoder().decode(out.stderr) };
}

Deno.test("ingest cli: --max-connect-failures bounds an offline Jetstream run", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const r = await cli([
      "ingest",
      "--source",
      "jetstream",
      "--jetstream-url",
      `ws://127.0.0.1:${closedPort()}/subscribe`,
      "--max-connect-failures",
      "2",
      "--lake",
      join(tmp, "lake"),
    ], { PATH: Deno.env.get("PATH") ?? "", HOME: tmp, CI: "true" });
    assert.notEqual(r.code, 0);
    assert.match(r.err, /no connection after 2 attempts in a row/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ingest cli: missing S3 credentials name the AWS variables and .env, and say replay", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const r = await cli(["ingest", "--lake", "s3://bucket/prefix", "--max-events", "1"], {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: tmp,
      CI: "true",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: `http://127.0.0.1:${closedPort()}`,
      TWEETLAKE_S3_CACHE: join(tmp, "cache"),
    });
    assert.notEqual(r.code, 0);
    assert.match(r.err, /ingest from replay /);
    assert.match(r.err, /no AWS credentials found/);
    assert.match(
      r.err,
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, in the environment or \.env/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
