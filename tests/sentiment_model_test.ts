import assert from "node:assert/strict";
import { env } from "@huggingface/transformers";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULTS } from "../lib/config.ts";
import { query, withDb } from "../lib/db.ts";
import {
  argmaxSoftmax,
  classifyTexts,
  loadClassifier,
  ModelLoadError,
  resolveModel,
} from "../lib/sentiment/model.ts";
import { scoreNew } from "../lib/sentiment/score.ts";
import { EMBEDDED_MODEL, makeSilver, tempDb } from "./fixtures/sentiment/helpers.ts";

const CLEAR = {
  positive: "I love this so much 😍",
  negative: "worst service ever, never again",
  neutral: "The meeting is scheduled for 3pm on Tuesday in room 4.",
};

/** Copies the embedded model to `dir/name` and rewrites its config's id2label. */
function copyModel(dir: string, name: string, id2label: Record<string, string>): string {
  const folder = join(dir, name);
  cpSync(EMBEDDED_MODEL, folder, { recursive: true });
  const config = JSON.parse(readFileSync(join(folder, "config.json"), "utf8"));
  config.id2label = id2label;
  config.label2id = Object.fromEntries(Object.entries(id2label).map(([i, l]) => [l, Number(i)]));
  writeFileSync(join(folder, "config.json"), JSON.stringify(config));
  return folder;
}

Deno.test("the embedded model labels clear cases correctly (fp32)", async () => {
  const c = await loadClassifier({ dtype: "fp32" });
  try {
    assert.equal(c.modelId, "tweetlake-sentiment@fp32");
    const preds = await c.classify(Object.values(CLEAR), 2);
    assert.deepEqual(preds.map((p) => p.label), Object.keys(CLEAR));
    for (const p of preds) assert.ok(p.score > 1 / 3 && p.score <= 1, String(p.score));
  } finally {
    await c.dispose();
  }
});

Deno.test("classifyTexts scores hand-typed sentences in one call (the notebook's check-it-out)", async () => {
  const out = await classifyTexts([CLEAR.negative, CLEAR.positive], { dtype: "fp32" });
  assert.deepEqual(out.map((r) => [r.text, r.label]), [
    [CLEAR.negative, "negative"],
    [CLEAR.positive, "positive"],
  ]);
});

Deno.test("the q8 weights load and give normalised labels with probabilities", async () => {
  const c = await loadClassifier({ dtype: "q8" });
  try {
    assert.equal(c.modelId, "tweetlake-sentiment@q8");
    const preds = await c.classify(["", ...Object.values(CLEAR)]);
    assert.equal(preds.length, 4);
    for (const p of preds) {
      assert.ok(["negative", "neutral", "positive"].includes(p.label), p.label);
      assert.ok(p.score > 0 && p.score <= 1);
    }
  } finally {
    await c.dispose();
  }
});

Deno.test("swapping to a LABEL_0..2 model folder normalises its labels and scores every row", async () => {
  const { dir, db } = tempDb();
  try {
    const folder = copyModel(dir, "labelids", { 0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2" });
    await makeSilver(db, Object.values(CLEAR).map((text, i) => ({ id: String(i), text })));
    const first = await scoreNew({ db, dtype: "fp32" });
    assert.equal(first.model, "tweetlake-sentiment@fp32");
    const swapped = await scoreNew({ db, model: folder, dtype: "fp32" });
    assert.equal(swapped.model, "labelids@fp32");
    assert.equal(swapped.scored, 3);
    const rows = await withDb(
      db,
      (c) => query(c, "select model, id, label, score from sentiment order by model, id"),
    );
    const by = (m: string) => rows.filter((r) => r.model === m).map((r) => [r.id, r.label]);
    assert.deepEqual(by("labelids@fp32"), [["0", "positive"], ["1", "negative"], ["2", "neutral"]]);
    assert.deepEqual(by("labelids@fp32"), by("tweetlake-sentiment@fp32"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a broken or missing model folder gives a clear error", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tweetlake-model-" });
  try {
    await assert.rejects(
      loadClassifier({ model: join(dir, "nope") }),
      /model folder not found: .*nope/,
    );
    assert.throws(
      () => resolveModel(undefined, join(dir, "models")),
      /embedded model folder.*train/,
    );
    // a folder without weights
    const empty = join(dir, "noweights");
    cpSync(EMBEDDED_MODEL, empty, { recursive: true });
    Deno.removeSync(join(empty, "onnx"), { recursive: true });
    await assert.rejects(loadClassifier({ model: empty, dtype: "fp32" }), (e) => {
      assert.ok(e instanceof ModelLoadError);
      assert.match(e.message, /model folder .*noweights lacks onnx\/model\.onnx/);
      return true;
    });
    // garbage weights
    mkdirSync(join(empty, "onnx"));
    writeFileSync(join(empty, "onnx", "model_quantized.onnx"), "not a model");
    await assert.rejects(
      loadClassifier({ model: empty, dtype: "q8" }),
      /could not load the model folder .*noweights \(dtype q8\): .*model_quantized\.onnx/,
    );
    // a broken config
    writeFileSync(join(empty, "config.json"), "{oops");
    await assert.rejects(
      loadClassifier({ model: empty, dtype: "q8" }),
      /model config .*noweights\/config\.json is not valid JSON/,
    );
    // a classifier whose classes aren't sentiment
    const toxic = copyModel(dir, "toxic", { 0: "toxic", 1: "insult", 2: "threat" });
    await assert.rejects(
      loadClassifier({ model: toxic, dtype: "fp32" }),
      /toxic is not a sentiment model/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a hub model that can't be downloaded names the model and suggests a folder", async () => {
  const saved = { host: env.remoteHost, cache: env.cacheDir };
  const dir = Deno.makeTempDirSync({ prefix: "tweetlake-hub-" });
  env.remoteHost = "http://127.0.0.1:9/"; // nothing listens: same as offline
  env.cacheDir = dir;
  try {
    await assert.rejects(loadClassifier({ model: "someone/tweet-sentiment" }), (e) => {
      assert.ok(e instanceof ModelLoadError);
      assert.match(e.message, /could not load model "someone\/tweet-sentiment"/);
      assert.match(e.message, /could not be downloaded/);
      assert.match(e.message, /--model <path to the model folder>/);
      return true;
    });
  } finally {
    env.remoteHost = saved.host;
    env.cacheDir = saved.cache;
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("argmaxSoftmax picks each row's class and its probability", () => {
  const rows = argmaxSoftmax(new Float32Array([1, 2, 3, 0, 0, 0]), 3);
  assert.equal(rows[0].index, 2);
  assert.ok(Math.abs(rows[0].prob - Math.exp(3) / (Math.E + Math.exp(2) + Math.exp(3))) < 1e-9);
  assert.equal(rows[1].index, 0);
  assert.ok(Math.abs(rows[1].prob - 1 / 3) < 1e-9);
});

/** English texts of the bundled sample (the X v2 events in sample/tweets/). */
function sampleEnglishTexts(): string[] {
  const texts: string[] = [];
  for (
    const entry of [...Deno.readDirSync(DEFAULTS.sample)].sort((a, b) =>
      a.name.localeCompare(b.name)
    )
  ) {
    for (const line of readFileSync(join(DEFAULTS.sample, entry.name), "utf8").split("\n")) {
      try {
        const data = JSON.parse(line).data;
        if (data?.lang === "en" && data.text) texts.push(data.text);
      } catch {
        // the sample holds a few malformed lines on purpose
      }
    }
  }
  return texts;
}

Deno.test("the int8 file labels the bundled sample as the fp32 file does", async () => {
  const texts = sampleEnglishTexts();
  assert.ok(texts.length >= 100, `only ${texts.length} English sample texts`);
  const labels: string[][] = [];
  for (const dtype of ["fp32", "q8"] as const) {
    const c = await loadClassifier({ dtype });
    try {
      labels.push((await c.classify(texts, 32)).map((p) => p.label));
    } finally {
      await c.dispose();
    }
  }
  const same = labels[0].filter((l, i) => l === labels[1][i]).length;
  assert.ok(same / texts.length >= 0.95, `q8 agrees with fp32 on ${same}/${texts.length}`);
  assert.ok(new Set(labels[0]).size === 3, "the sample gets all three labels");
});
