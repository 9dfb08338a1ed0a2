import assert from "node:assert/strict";
import { makeSilver, tempDb, TINY_TSV } from "./fixtures/sentiment/helpers.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: new URL("..", import.meta.url).pathname,
    env: { CI: "1" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: text(stdout), err: text(stderr) };
}

Deno.test("deno task sentiment scores new rows, then reports nothing new", async () => {
  const { dir, db } = tempDb();
  try {
    await makeSilver(db, [
      { id: "1", text: "I love this so much 😍" },
      { id: "2", text: "worst service ever, never again" },
      { id: "3", text: "" },
    ]);
    const first = await run("sentiment", "--db", db, "--dtype", "fp32", "--batch", "8");
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /scored 2 rows with tweetlake-sentiment@fp32 .*positive 1/);
    assert.match(first.out, /1 rows with empty text skipped/);
    const second = await run("sentiment", "--db", db, "--dtype", "fp32");
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /scored 0 rows .*nothing new/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("deno task eval-sentiment prints consistent metrics for the embedded model", async () => {
  const { code, out, err } = await run("eval-sentiment", TINY_TSV, "--dtype", "fp32", "--json");
  assert.equal(code, 0, err);
  const r = JSON.parse(out);
  assert.equal(r.model, "tweetlake-sentiment@fp32");
  assert.equal(r.n, 9);
  const labels = ["negative", "neutral", "positive"];
  let total = 0;
  let right = 0;
  for (const g of labels) {
    for (const p of labels) total += r.confusion[g][p];
    right += r.confusion[g][g];
  }
  assert.equal(total, 9);
  assert.equal(r.accuracy, right / 9);
  const text = await run("eval-sentiment", TINY_TSV, "--dtype", "fp32");
  assert.match(text.out, /macro recall\s+\d+\.\d%\naccuracy/);
  assert.match(text.out, /confusion \(rows: gold, columns: predicted\)/);
});

Deno.test("bad flags and files are clear errors", async () => {
  const dtype = await run("eval-sentiment", TINY_TSV, "--dtype", "q3");
  assert.notEqual(dtype.code, 0);
  assert.match(dtype.err, /unknown --dtype "q3": expected one of fp32/);
  const batch = await run("sentiment", "--batch", "0");
  assert.notEqual(batch.code, 0);
  assert.match(batch.err, /--batch must be a positive integer/);
  const flag = await run("sentiment", "--frobnicate");
  assert.notEqual(flag.code, 0);
  assert.match(flag.err, /frobnicate/);
  const missing = await run("eval-sentiment", "/nonexistent.tsv");
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /cannot read labeled file \/nonexistent\.tsv/);
});
