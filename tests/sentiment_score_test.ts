import assert from "node:assert/strict";
import { query, withDb } from "../lib/db.ts";
import { scoreNew } from "../lib/sentiment/score.ts";
import { labelCounts, scoredModels, sentimentByHour, topTweets } from "../lib/sentiment/queries.ts";
import { keywordClassifier, makeSilver, tempDb } from "./fixtures/sentiment/helpers.ts";

const ROWS = [
  { id: "1", text: "good morning", created_at: "2024-05-01T10:05:00Z" },
  { id: "2", text: "bad news", created_at: "2024-05-01T10:40:00Z" },
  { id: "3", text: "a bus", created_at: "2024-05-01T11:00:00Z" },
  { id: "4", text: "", created_at: "2024-05-01T11:30:00Z" },
  { id: "5", text: "   ", created_at: "2024-05-01T11:31:00Z" },
  { id: "6", text: null, created_at: "2024-05-01T11:32:00Z" },
];

/** Counts a table's rows from another process (fails there if the file is locked). */
async function countInOtherProcess(db: string, table: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      `import { DuckDBInstance } from "@duckdb/node-api";
       const i = await DuckDBInstance.create(${JSON.stringify(db)});
       const r = await (await i.connect()).runAndReadAll("select count(*) from ${table}");
       console.log(String(r.getRows()[0][0]));`,
    ],
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return text(out.stdout) || text(out.stderr);
}

async function gold(db: string) {
  return await withDb(
    db,
    (c) => query(c, "select id, label, model from sentiment order by model, id"),
  );
}

Deno.test("scoreNew scores new silver rows once, in batches, and skips empty texts", async () => {
  const { dir, db } = tempDb();
  try {
    await makeSilver(db, ROWS);
    const c = keywordClassifier();
    const progress: number[] = [];
    const first = await scoreNew({
      db,
      classifier: c,
      batchSize: 2,
      onProgress: (p) => progress.push(p.done),
    });
    assert.equal(first.scored, 3);
    assert.equal(first.skipped, 3);
    assert.deepEqual(first.labels, { negative: 1, neutral: 1, positive: 1 });
    assert.equal(first.model, "keywords@fp32");
    assert.deepEqual(c.calls, [2, 1]);
    assert.deepEqual(progress, [2, 3]);
    assert.deepEqual(await gold(db), [
      { id: "1", label: "positive", model: "keywords@fp32" },
      { id: "2", label: "negative", model: "keywords@fp32" },
      { id: "3", label: "neutral", model: "keywords@fp32" },
    ]);

    // a second run finds nothing new; after new silver rows it scores only those
    const again = await scoreNew({ db, classifier: c });
    assert.equal(again.scored, 0);
    await makeSilver(db, [{ id: "7", text: "so good" }]);
    const more = await scoreNew({ db, classifier: c, chunkSize: 1 });
    assert.equal(more.scored, 1);
    assert.deepEqual(c.seen, ["good morning", "bad news", "a bus", "so good"]);
    assert.equal((await gold(db)).length, 4);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a model swap scores every row for the new model and keeps the old scores", async () => {
  const { dir, db } = tempDb();
  try {
    await makeSilver(db, ROWS);
    await scoreNew({ db, classifier: keywordClassifier("a@fp32") });
    const b = keywordClassifier("b@q8");
    const swapped = await scoreNew({ db, classifier: b, chunkSize: 2 });
    assert.equal(swapped.scored, 3);
    assert.equal(b.seen.length, 3);
    const rows = await gold(db);
    assert.deepEqual(rows.map((r) => `${r.model}:${r.id}`), [
      "a@fp32:1",
      "a@fp32:2",
      "a@fp32:3",
      "b@q8:1",
      "b@q8:2",
      "b@q8:3",
    ]);
    assert.deepEqual(await scoredModels({ db }), ["b@q8", "a@fp32"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("rescore replaces a model's scores without duplicating rows", async () => {
  const { dir, db } = tempDb();
  try {
    await makeSilver(db, ROWS);
    await scoreNew({ db, classifier: keywordClassifier("m@fp32") });
    const before = await withDb(db, (c) => query(c, "select max(scored_at) as t from sentiment"));
    await new Promise((r) => setTimeout(r, 5));
    const c = keywordClassifier("m@fp32");
    const again = await scoreNew({ db, classifier: c, rescore: true, chunkSize: 2 });
    assert.equal(again.scored, 3);
    assert.equal(c.seen.length, 3);
    const after = await withDb(
      db,
      (c) => query(c, "select count(*) as n, min(scored_at) as t from sentiment"),
    );
    assert.equal(after[0].n, 3);
    assert.ok((after[0].t as Date) > (before[0].t as Date));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the notebook queries count labels, rank tweets and group by hour", async () => {
  const { dir, db } = tempDb();
  try {
    await makeSilver(db, ROWS);
    await scoreNew({ db, classifier: keywordClassifier() });
    assert.deepEqual(await labelCounts({ db }), [
      { label: "negative", count: 1 },
      { label: "neutral", count: 1 },
      { label: "positive", count: 1 },
    ]);
    const top = await topTweets("positive", 5, { db });
    assert.deepEqual(top.map((t) => [t.id, t.text, t.score]), [["1", "good morning", 0.9]]);
    const hours = await sentimentByHour({ db });
    assert.deepEqual(
      hours.map((h) => [h.hour.toISOString(), h.label, h.count]),
      [
        ["2024-05-01T10:00:00.000Z", "negative", 1],
        ["2024-05-01T10:00:00.000Z", "positive", 1],
        ["2024-05-01T11:00:00.000Z", "neutral", 1],
      ],
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("clear errors for a missing or odd silver; the file is not held while scoring", async () => {
  const { dir, db } = tempDb();
  try {
    await assert.rejects(
      scoreNew({ db, classifier: keywordClassifier() }),
      /no silver table.*dataflow/,
    );
    await assert.rejects(labelCounts({ db }), /no sentiment table.*deno task sentiment/);
    await withDb(db, (c) => c.run("create table other (id varchar, body varchar)"));
    await assert.rejects(
      scoreNew({ db, silver: "other", classifier: keywordClassifier() }),
      /table other lacks column\(s\) text in .*t\.duckdb/,
    );
    await makeSilver(db, ROWS);
    // another process can open the file while the model runs, and after the call returned
    const stub = keywordClassifier();
    let during = "";
    const classify = stub.classify;
    stub.classify = async (texts, batchSize, onProgress) => {
      during = await countInOtherProcess(db, "silver");
      return await classify(texts, batchSize, onProgress);
    };
    await scoreNew({ db, classifier: stub });
    assert.equal(during, "6");
    assert.equal(await countInOtherProcess(db, "sentiment"), "3");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
