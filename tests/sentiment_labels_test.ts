import assert from "node:assert/strict";
import { normaliseLabel, parseGoldLabel } from "../lib/sentiment/labels.ts";

Deno.test("normaliseLabel maps the labels of common models to negative/neutral/positive", () => {
  const cases: [string, string][] = [
    ["POS", "positive"],
    ["NEU", "neutral"],
    ["NEG", "negative"],
    ["POSITIVE", "positive"],
    ["NEGATIVE", "negative"],
    ["Neutral", "neutral"],
    ["LABEL_0", "negative"],
    ["LABEL_1", "neutral"],
    ["LABEL_2", "positive"],
    ["1 star", "negative"],
    ["3 stars", "neutral"],
    ["5 stars", "positive"],
  ];
  for (const [raw, want] of cases) assert.equal(normaliseLabel(raw), want, raw);
});

Deno.test("normaliseLabel reads LABEL_n through id2label and by the number of classes", () => {
  // two classes (SST-2 style): LABEL_1 is positive, not neutral
  assert.equal(normaliseLabel("LABEL_1", { 0: "LABEL_0", 1: "LABEL_1" }), "positive");
  assert.equal(normaliseLabel("LABEL_0", { 0: "LABEL_0", 1: "LABEL_1" }), "negative");
  // id2label that names the classes in another order wins over the convention
  const id2label = { 0: "positive", 1: "negative", 2: "neutral" };
  assert.equal(normaliseLabel("LABEL_0", id2label), "positive");
  assert.equal(normaliseLabel("LABEL_2", id2label), "neutral");
});

Deno.test("normaliseLabel names a label it can't map", () => {
  assert.throws(() => normaliseLabel("toxic"), /unknown sentiment label "toxic"/);
  assert.throws(() => normaliseLabel("LABEL_3"), /unknown sentiment label "LABEL_3"/);
  assert.throws(() => normaliseLabel("LABEL_2", { 0: "LABEL_0", 1: "LABEL_1" }), /LABEL_2/);
});

Deno.test("parseGoldLabel accepts words and 0/1/2, and rejects anything else", () => {
  assert.equal(parseGoldLabel("0"), "negative");
  assert.equal(parseGoldLabel("1"), "neutral");
  assert.equal(parseGoldLabel(" 2 "), "positive");
  assert.equal(parseGoldLabel("Positive"), "positive");
  assert.equal(parseGoldLabel("neg"), "negative");
  assert.equal(parseGoldLabel("3"), undefined);
  assert.equal(parseGoldLabel("label"), undefined);
});
