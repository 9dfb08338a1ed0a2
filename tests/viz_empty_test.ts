/**
 * Every chart renders sensibly with zero rows: an empty-state message, not axes with
 * full-height bars or ticks reading `00000`. One test per chart; each would fail if the chart
 * drew its marks over no data.
 */
import assert from "node:assert/strict";
import {
  EMPTY_CLASS,
  expectationsChart,
  labelDonut,
  languagesChart,
  lineageChart,
  nonEnglishChart,
  pipelineGraphSvg,
  placesChart,
  qualityChart,
  sentimentByHourChart,
  sentimentChart,
  silverModesChart,
  svgToPng,
  wordCloud,
} from "../lib/viz/mod.ts";

/** Asserts `markup` is an empty state with `message`, and nothing a chart draws. */
function assertEmpty(markup: string, message: RegExp): void {
  assert.ok(
    markup.includes(`class="${EMPTY_CLASS}"`),
    `not an empty state: ${markup.slice(0, 200)}`,
  );
  assert.match(markup, message);
  assert.ok(!/0{5}/.test(markup), "no 00000 ticks");
  assert.ok(!markup.includes('aria-label="x-axis'), "no axes");
  assert.ok(svgToPng(markup).length > 100, "still renders to PNG");
}

Deno.test("empty: languages chart", () => {
  assertEmpty(languagesChart([]), /No posts yet/);
  assertEmpty(languagesChart([{ lang: "en", count: 0 }]), /No posts yet/);
});

Deno.test("empty: sentiment bars with every label at zero (what labelCounts gives before scoring)", () => {
  assertEmpty(
    sentimentChart([
      { label: "negative", count: 0 },
      { label: "neutral", count: 0 },
      { label: "positive", count: 0 },
    ]),
    /No scored posts/,
  );
});

Deno.test("empty: sentiment by hour", () => {
  assertEmpty(sentimentByHourChart([]), /No scored posts/);
});

Deno.test("empty: expectations chart, also when updates checked no rows", () => {
  assertEmpty(expectationsChart([]), /No expectation/);
  assertEmpty(
    expectationsChart([{ update: "u", dataset: "silver", expectation: "e", passed: 0, failed: 0 }]),
    /No expectation/,
  );
});

Deno.test("empty: lineage chart and pipeline graph", () => {
  assertEmpty(lineageChart({ nodes: [], edges: [] }), /No datasets/);
  assertEmpty(pipelineGraphSvg([], []), /No datasets/);
});

Deno.test("empty: data quality of the pipeline page", () => {
  assertEmpty(qualityChart([]), /No expectation results yet/);
});

Deno.test("empty: label donut", () => {
  assertEmpty(labelDonut([]), /No scored posts/);
  assertEmpty(labelDonut([{ label: "positive", count: 0 }]), /No scored posts/);
});

Deno.test("empty: non-English chart", () => {
  assertEmpty(nonEnglishChart([]), /No non-English posts/);
});

Deno.test("empty: posts by country", () => {
  assertEmpty(placesChart([]), /No posts with a place/);
});

Deno.test("empty: streaming vs batch silver", () => {
  assertEmpty(silverModesChart([]), /No updates to compare/);
});

Deno.test("empty: word cloud of no texts, or of texts that are only stop words and links", () => {
  assertEmpty(wordCloud([]), /No words/);
  assertEmpty(wordCloud(["the and of", "https://example.com @ana"]), /No words/);
});
