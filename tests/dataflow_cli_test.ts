/** `deno task dataflow`: flags, the per-dataset report, dry run, lineage, and bad input. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseDataflowArgs } from "../lib/dataflow/cli.ts";
import { copySample, workspace } from "./fixtures/dataflow/support.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "dataflow", ...args],
    env: { CI: "1" },
  }).output();
  const d = new TextDecoder();
  return { code, out: d.decode(stdout), err: d.decode(stderr) };
}

Deno.test("cli: flags parse, --full-refresh takes zero or more tables", () => {
  const a = parseDataflowArgs(["--full-refresh", "silver", "languages", "--dry-run", "--db=x.db"]);
  assert.deepEqual(a.options.fullRefresh, ["silver", "languages"]);
  assert.equal(a.options.dryRun, true);
  assert.equal(a.options.db, "x.db");
  assert.equal(parseDataflowArgs(["--full-refresh"]).options.fullRefresh, true);
  assert.deepEqual(parseDataflowArgs(["--full-refresh=a,b"]).options.fullRefresh, ["a", "b"]);
  assert.throws(() => parseDataflowArgs(["--lake"]), /--lake needs a value/);
  assert.throws(() => parseDataflowArgs(["--nope"]), /unknown flag --nope/);
});

Deno.test("cli: a run prints rows and expectation counts per dataset; dry run writes nothing", async () => {
  const ws = await workspace();
  try {
    await copySample(ws.lake);
    const dry = await run(["--lake", ws.lake, "--db", ws.db, "--dry-run"]);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^dry run: every query checked, nothing written/);
    assert.equal(existsSync(ws.db), false);

    const r = await run(["--lake", ws.lake, "--db", ws.db]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^bronze\s+streaming\s+append\s+4\s+2403\s+2403\s+0/m);
    assert.match(r.out, /^silver\s+streaming\s+append\s+0\s+2403\s+1462\s+941/m);
    assert.match(r.out, /expect valid_language \(drop\): passed 1462, failed 941/);

    const bad = join(ws.dir, "bad.sql");
    await Deno.writeTextFile(bad, "CREATE LIVE TABLE a AS\nSELECT * FROM LIVE.missing");
    const e = await run(["--pipeline", bad, "--lake", ws.lake, "--db", ws.db]);
    assert.equal(e.code, 1);
    assert.match(e.err, /bad\.sql:2: dataset a: unknown dataset missing/);

    const l = await run(["--lineage"]);
    assert.equal(l.code, 0);
    assert.match(
      l.out,
      /^silver \[streaming table\].*◄── posts \(stream\)$/m,
    );
    const usage = await run(["--bogus"]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /unknown flag --bogus/);
  } finally {
    await ws.remove();
  }
});
