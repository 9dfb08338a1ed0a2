/** Plot renders to markup without a browser; markup becomes standalone SVG, PNG and files. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as Plot from "@observablehq/plot";
import { Resvg } from "@resvg/resvg-js";
import {
  isFigure,
  languagesChart,
  render,
  sentimentByHourChart,
  svgToPng,
  toStandaloneSvg,
  writeChart,
} from "../lib/viz/mod.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const rows = [{ lang: "en", count: 3 }, { lang: "ja", count: 2 }];
const figure = () =>
  sentimentByHourChart([
    { hour: new Date(Date.UTC(2024, 0, 1, 0)), label: "positive", count: 2 },
    { hour: new Date(Date.UTC(2024, 0, 1, 1)), label: "negative", count: 1 },
  ]);

Deno.test("render returns an <svg> without a title and a <figure> with one", () => {
  const marks = [Plot.barX(rows, { x: "count", y: "lang" })];
  const svg = render({ marks });
  assert.match(svg, /^<svg[\s>]/);
  assert.ok(!isFigure(svg));
  const titled = render({ marks, title: "Languages & <scripts>" });
  assert.ok(isFigure(titled));
  assert.match(titled, /Languages &amp; &lt;scripts&gt;/);
});

Deno.test("render explains that a continuous colour legend needs a canvas", () => {
  const marks = [Plot.dot([{ x: 1 }, { x: 2 }], { x: "x", fill: "x" })];
  assert.throws(
    () => render({ marks, color: { type: "linear", legend: true } }),
    /needs a <canvas>.*legend: false/,
  );
  assert.match(render({ marks, color: { type: "linear" } }), /^<svg/);
});

Deno.test("toStandaloneSvg adds the xmlns attributes Plot leaves out", () => {
  const markup = languagesChart(rows);
  assert.doesNotMatch(markup, /xmlns=/);
  const svg = toStandaloneSvg(markup);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(toStandaloneSvg(svg).match(/xmlns="/g)?.length, 1, "not added twice");
});

Deno.test("toStandaloneSvg lays a figure out as one SVG with its legend and chart", () => {
  const svg = toStandaloneSvg(figure());
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.doesNotMatch(svg, /<figure|<div|<span/);
  assert.match(svg, />positive<\/text>/);
  assert.match(svg, /<svg x="0" y="\d+/, "the chart is nested below the legend");
  // resvg parses it and sees a full-size image (legend + chart).
  const size = new Resvg(svg).render();
  assert.equal(size.width, 640);
  assert.ok(size.height > 300);
});

Deno.test("toStandaloneSvg rejects markup that is not a chart", () => {
  assert.throws(() => toStandaloneSvg("<table></table>"), /expected <svg> or <figure>/);
});

Deno.test("svgToPng returns PNG bytes, at the requested width", () => {
  const png = svgToPng(languagesChart(rows), 320);
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  const width = new DataView(png.buffer, png.byteOffset).getUint32(16);
  assert.equal(width, 320);
});

Deno.test("svgToPng draws text with a system font", () => {
  // The same chart with and without its labels must differ in ink: glyphs were drawn.
  const withText = svgToPng(render({ marks: [Plot.text(["HELLO"], { x: 0, y: 0 })] }));
  const noText = svgToPng(render({ marks: [Plot.text([""], { x: 0, y: 0 })] }));
  assert.notDeepEqual(withText, noText);
});

Deno.test("writeChart writes a standalone .svg and, on request, a .png", () => {
  const dir = mkdtempSync(join(tmpdir(), "tweetlake-viz-"));
  try {
    const paths = writeChart(join(dir, "charts"), "by-hour", figure(), { png: true });
    assert.deepEqual(paths, [join(dir, "charts/by-hour.svg"), join(dir, "charts/by-hour.png")]);
    assert.match(readFileSync(paths[0], "utf8"), /^<svg xmlns=/);
    assert.deepEqual([...readFileSync(paths[1]).subarray(0, 8)], PNG_SIGNATURE);
    writeChart(dir, "svg-only", languagesChart(rows));
    assert.ok(existsSync(join(dir, "svg-only.svg")));
    assert.ok(!existsSync(join(dir, "svg-only.png")));
  } finally {
    rmSync(dir, { recursive: true });
  }
});
