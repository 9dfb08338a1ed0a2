/** show() speaks the Deno Jupyter display protocol and prints a summary elsewhere. */
import assert from "node:assert/strict";
import { display, inKernel, JUPYTER_DISPLAY, show, summarize, tableHtml } from "../lib/viz/mod.ts";

Deno.test("show wraps markup as text/html for the kernel's Jupyter.display protocol", () => {
  const view = show('<svg width="640" height="400"></svg>');
  assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));
  const bundle = view[JUPYTER_DISPLAY]();
  assert.equal(bundle["text/html"], '<svg width="640" height="400"></svg>');
  assert.match(bundle["text/plain"], /^\[svg 640×400/);
  assert.equal(String(view), view.html);
});

Deno.test("outside the kernel, show inspects as a one-line summary", () => {
  assert.equal(inKernel(), false);
  const text = Deno.inspect(show(tableHtml([{ a: 1 }, { a: 2 }])));
  assert.match(text, /^\[table 2 rows, 0\.\d KiB\]$/);
});

Deno.test("summarize reports the largest svg of a figure", () => {
  const figure =
    '<figure><svg width="15" height="15"></svg><svg width="640" height="300"></svg></figure>';
  assert.match(summarize(figure), /^\[figure 640×300,/);
});

Deno.test("outside the kernel, display prints the summary", async () => {
  const logged: unknown[][] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => logged.push(args);
  try {
    await display('<svg width="1" height="2"></svg>');
  } finally {
    console.log = original;
  }
  assert.equal(logged.length, 1);
  assert.match(String(logged[0][0]), /^\[svg 1×2/);
});
