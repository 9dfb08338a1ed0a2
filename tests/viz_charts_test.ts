/** The chart builders render SVG markup holding the expected marks and labels. */
import assert from "node:assert/strict";
import { parseHTML } from "linkedom";
import {
  expectationsChart,
  isFigure,
  languagesChart,
  layoutLineage,
  lineageChart,
  SENTIMENT_COLORS,
  sentimentByHourChart,
  sentimentChart,
} from "../lib/viz/mod.ts";

/** Parses markup and returns its root element. */
function parse(markup: string): Element {
  const { document } = parseHTML(`<!doctype html><html><body>${markup}</body></html>`);
  const root = document.body.firstElementChild;
  assert.ok(root, "markup has no root element");
  return root as unknown as Element;
}

/** The mark group of a Plot chart with the given aria-label. */
function marks(root: Element, label: string): Element[] {
  return Array.from(root.querySelectorAll(`g[aria-label="${label}"] > *`));
}

Deno.test("languagesChart draws one bar per language, largest first, with names and counts", () => {
  const markup = languagesChart([
    { lang: "ja", count: 40 },
    { lang: "en", count: 120 },
    { lang: "fr", count: 7 },
  ]);
  const root = parse(markup);
  assert.equal(root.tagName.toLowerCase(), "svg");
  assert.equal(marks(root, "bar").length, 3);
  const ticks = marks(root, "y-axis tick label").map((t) => t.textContent);
  assert.deepEqual(ticks, ["en", "ja", "fr"]);
  const labels = marks(root, "text").map((t) => t.textContent);
  assert.deepEqual(labels.sort(), ["120", "40", "7"]);
});

Deno.test("sentimentChart colours negative red, neutral grey, positive green", () => {
  const root = parse(sentimentChart([
    { label: "positive", count: 8 },
    { label: "negative", count: 3 },
    { label: "neutral", count: 5 },
  ]));
  const fills = new Set(marks(root, "bar").map((b) => b.getAttribute("fill")));
  assert.deepEqual(fills, new Set(SENTIMENT_COLORS));
  const ticks = marks(root, "x-axis tick label").map((t) => t.textContent);
  assert.deepEqual(ticks, ["negative", "neutral", "positive"]);
  const fillOf = Object.fromEntries(
    marks(root, "bar").map((b) => [b.querySelector("title")?.textContent, b.getAttribute("fill")]),
  );
  const [red, grey, green] = SENTIMENT_COLORS;
  assert.deepEqual(fillOf, { negative: red, neutral: grey, positive: green });
});

Deno.test("sentimentByHourChart is a figure with a legend and one rect per hour and label", () => {
  const rows = [0, 1].flatMap((h) =>
    ["negative", "neutral", "positive"].map((label) => ({
      hour: new Date(Date.UTC(2024, 0, 1, h)),
      label,
      count: h + 1,
    }))
  );
  const markup = sentimentByHourChart(rows);
  assert.ok(isFigure(markup));
  const root = parse(markup);
  assert.match(root.textContent ?? "", /negative/);
  assert.equal(marks(root, "rect").length, 6);
});

Deno.test("expectationsChart stacks passed and failed records per expectation", () => {
  const markup = expectationsChart([
    { update: 1, dataset: "silver", expectation: "valid_id", passed: 10, failed: 2 },
    { update: 1, dataset: "silver", expectation: "has_text", passed: 11, failed: 1 },
  ]);
  const root = parse(markup);
  assert.match(markup, /silver: valid_id/);
  assert.match(markup, /silver: has_text/);
  assert.equal(marks(root, "bar").length, 4);
});

Deno.test("layoutLineage puts each dataset one layer after its deepest input", () => {
  const placed = layoutLineage({
    nodes: [
      { id: "gold", kind: "mv" },
      { id: "raw", kind: "source" },
      { id: "bronze", kind: "st" },
      { id: "silver", kind: "st" },
    ],
    edges: [
      { from: "raw", to: "bronze" },
      { from: "bronze", to: "silver" },
      { from: "silver", to: "gold" },
      { from: "raw", to: "gold" },
    ],
  });
  assert.deepEqual(
    Object.fromEntries(placed.map((p) => [p.id, p.layer])),
    { raw: 0, bronze: 1, silver: 2, gold: 3 },
  );
});

Deno.test("layoutLineage survives a cycle", () => {
  const placed = layoutLineage({
    nodes: [{ id: "a", kind: "x" }, { id: "b", kind: "x" }],
    edges: [{ from: "a", to: "b" }, { from: "b", to: "a" }],
  });
  assert.equal(placed.length, 2);
});

Deno.test("lineageChart draws a dot and a label per dataset and an arrow per edge", () => {
  const markup = lineageChart({
    nodes: [
      { id: "raw", kind: "source" },
      { id: "bronze", kind: "streaming table" },
      { id: "silver", kind: "streaming table" },
    ],
    edges: [{ from: "raw", to: "bronze" }, { from: "bronze", to: "silver" }],
  });
  const root = parse(markup);
  assert.equal(marks(root, "dot").length, 3);
  assert.equal(marks(root, "arrow").length, 2);
  assert.deepEqual(marks(root, "text").map((t) => t.textContent), ["raw", "bronze", "silver"]);
});
