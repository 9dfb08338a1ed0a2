import assert from "node:assert/strict";
import {
  evaluate,
  formatEvaluation,
  parseLabeledTsv,
  readLabeledTsv,
} from "../lib/sentiment/eval.ts";
import { keywordClassifier, TINY_TSV } from "./fixtures/sentiment/helpers.ts";

Deno.test("eval numbers on the tiny hand-labeled fixture match the hand count", async () => {
  const rows = await readLabeledTsv(TINY_TSV);
  assert.equal(rows.length, 9); // header skipped
  assert.equal(rows[8].text, "tabs\tinside and good"); // label is the last field
  // keyword stub: good → positive, bad → negative, else neutral. By hand:
  // gold positive (4): 3 right, "so bad it is great" → negative
  // gold negative (3): "bad day" right, "not good at all" → positive, "it is raining" → neutral
  // gold neutral (2): "the bus" right, "bad timing" → negative
  const e = await evaluate(keywordClassifier(), rows, 4);
  assert.equal(e.n, 9);
  assert.deepEqual(e.confusion, {
    negative: { negative: 1, neutral: 1, positive: 1 },
    neutral: { negative: 1, neutral: 1, positive: 0 },
    positive: { negative: 1, neutral: 0, positive: 3 },
  });
  assert.equal(e.accuracy, 5 / 9);
  assert.equal(e.perClassRecall.positive, 3 / 4);
  assert.equal(e.perClassRecall.negative, 1 / 3);
  assert.equal(e.perClassRecall.neutral, 1 / 2);
  assert.ok(Math.abs(e.macroRecall - (3 / 4 + 1 / 3 + 1 / 2) / 3) < 1e-12);
  const text = formatEvaluation(e, "keywords@fp32", "tiny.tsv");
  assert.match(text, /macro recall\s+52\.8%/);
  assert.match(text, /accuracy\s+55\.6%/);
  assert.match(text, /positive\s+1\s+0\s+3/);
});

Deno.test("macro recall averages only the classes present in the gold labels", async () => {
  const rows = parseLabeledTsv("good\tpositive\nbad\tpositive\nbad\tnegative\n");
  const e = await evaluate(keywordClassifier(), rows);
  assert.equal(e.perClassRecall.neutral, null);
  assert.equal(e.macroRecall, (1 / 2 + 1) / 2);
});

Deno.test("the SemEval layout id<TAB>label<TAB>text (with a trailing tab) is read too", () => {
  const rows = parseLabeledTsv("111\tnegative\tso bad\t\n222\tneutral\ta\tb\n", "s.tsv");
  assert.deepEqual(rows, [
    { text: "so bad", label: "negative" },
    { text: "a\tb", label: "neutral" },
  ]);
});

Deno.test("a bad labeled file is an error naming the file and line", async () => {
  assert.throws(
    () => parseLabeledTsv("ok\tpositive\nno tab here\n", "x.tsv"),
    /x\.tsv:2: .*no tab/,
  );
  assert.throws(
    () => parseLabeledTsv("ok\tpositive\n\nfine\tmaybe\n", "x.tsv"),
    /x\.tsv:3: unknown label "maybe"/,
  );
  assert.throws(() => parseLabeledTsv("text\tlabel\n", "h.tsv"), /h\.tsv: no labeled rows/);
  await assert.rejects(readLabeledTsv("/nonexistent/file.tsv"), /cannot read labeled file/);
});
