/** tableHtml renders rows as an escaped, limited HTML table. */
import assert from "node:assert/strict";
import { cellText, escapeHtml, tableHtml } from "../lib/viz/mod.ts";

Deno.test("tableHtml escapes keys and values", () => {
  const html = tableHtml([{ "<k>": `<script>alert("x")</script> & 'y'` }]);
  assert.doesNotMatch(html, /<script>|<k>/);
  assert.match(html, /<th>&lt;k&gt;<\/th>/);
  assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &#39;y&#39;/);
});

Deno.test("tableHtml uses the union of keys and formats dates, objects, bigint and null", () => {
  const html = tableHtml([
    { id: 1n, at: new Date(Date.UTC(2024, 0, 2)) },
    { id: 2, extra: { a: [1] }, at: null },
  ]);
  assert.match(html, /<th>id<\/th><th>at<\/th><th>extra<\/th>/);
  assert.match(html, /<td>1<\/td><td>2024-01-02T00:00:00\.000Z<\/td><td><\/td>/);
  assert.match(html, /<td>\{&quot;a&quot;:\[1\]\}<\/td>/);
});

Deno.test("tableHtml shows at most `limit` rows and says how many there are", () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ i }));
  const html = tableHtml(rows, { limit: 5 });
  assert.equal(html.match(/<tr><td>/g)?.length, 5);
  assert.match(html, /showing 5 of 30 rows/);
  assert.equal(tableHtml(rows).match(/<tr><td>/g)?.length, 20, "default limit");
  assert.doesNotMatch(tableHtml(rows.slice(0, 3)), /showing/);
});

Deno.test("escapeHtml and cellText handle the awkward values", () => {
  assert.equal(escapeHtml(`a<b>&"'`), "a&lt;b&gt;&amp;&quot;&#39;");
  assert.equal(cellText(undefined), "");
  assert.equal(cellText(new Date(Number.NaN)), "");
  assert.equal(cellText({ big: 5n }), '{"big":"5"}');
});
