/**
 * `deno task pipeline --serve` without `--continuous`: one triggered run, then its result
 * served on loopback with a "not running" state until SIGTERM, which exits 0.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/config.ts";

Deno.test("serve: a triggered run serves its result as 'not running' and exits 0 on SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-serve-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      join(REPO_ROOT, "cli.ts"),
      "pipeline",
      "--serve",
      "127.0.0.1:0",
      "--lake",
      join(dir, "lake"),
      "--db",
      join(dir, "db.duckdb"),
      "--report",
      join(dir, "report"),
    ],
    env: { CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let seen = "";
    let url: string | undefined;
    while (!url) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`ended without serving:\n${seen}`);
      seen += value;
      url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/) \(not running/.exec(seen)?.[1];
    }
    const page = await (await fetch(url)).text();
    assert.match(page, /data-state="not running"/);
    assert.match(page, /class="state not-running"[^>]*>not running</);
    const bronze = Number(/data-table="bronze">([\d,]+)</.exec(page)?.[1].replaceAll(",", ""));
    assert.ok(bronze > 0, "the served page shows the run's table counts");
    const snap = await (await fetch(new URL("snapshot.json", url))).json();
    assert.equal(snap.state, "not running");
    assert.ok(snap.page.updates.length >= 1, "the run's update is in the served snapshot");
    child.kill("SIGTERM");
    const { code } = await child.status;
    assert.equal(code, 0);
    assert.match(await stdout, /ingest\s+\d+ events/);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
    await child.status;
    await reader.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pipeline: a continuous-mode flag without --continuous says so", async () => {
  for (const flag of [["--trigger", "1s"], ["--rate", "10/s"], ["--keyword", "duckdb"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", join(REPO_ROOT, "cli.ts"), "pipeline", ...flag],
      env: { CI: "true" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.notEqual(out.code, 0);
    assert.match(
      new TextDecoder().decode(out.stderr),
      new RegExp(`${flag[0]} needs --continuous`),
    );
  }
});
