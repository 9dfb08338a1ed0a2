/**
 * Renders an executed notebook (`.ipynb` with outputs) as one self-contained HTML page: markdown
 * cells as text with headings, code cells as `<pre>`, and their outputs as the notebook shows
 * them (HTML and SVG inline, text and errors as `<pre>`). No scripts, no network: what a person
 * sees when opening the notebook, for the browser tests.
 *
 * `deno run -A tools/notebook-html.ts executed.ipynb [out.html]`
 */
import { escapeHtml } from "../lib/viz/table.ts";

type Json = Record<string, unknown>;

const text = (v: unknown): string => Array.isArray(v) ? v.join("") : String(v ?? "");

/** A tiny markdown subset: headings, paragraphs, `code`, **bold**, _italic_, fenced code. */
function markdown(src: string): string {
  const out: string[] = [];
  const blocks = src.split(/\n{2,}/);
  for (const block of blocks) {
    const fence = /^```\w*\n([\s\S]*?)\n?```$/.exec(block.trim());
    if (fence) {
      out.push(`<pre class="md-code">${escapeHtml(fence[1])}</pre>`);
      continue;
    }
    const inline = (s: string) =>
      escapeHtml(s)
        .replace(/`([^`]+)`/g, "<code>$1</code>")
        .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
        .replace(/(^|\W)_([^_]+)_(?=\W|$)/g, "$1<em>$2</em>");
    const h = /^(#{1,4})\s+(.*)$/.exec(block.trim());
    if (h && !block.trim().includes("\n")) {
      out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
    } else out.push(`<p>${inline(block.trim())}</p>`);
  }
  return out.join("\n");
}

function output(o: Json): string {
  const type = String(o.output_type);
  if (type === "stream") {
    return `<pre class="out-stream ${escapeHtml(String(o.name))}">${
      escapeHtml(text(o.text))
    }</pre>`;
  }
  if (type === "error") {
    return `<pre class="out-error">${escapeHtml(`${o.ename}: ${o.evalue}`)}</pre>`;
  }
  const data = (o.data ?? {}) as Json;
  if (data["text/html"] !== undefined) {
    return `<div class="out-html">${text(data["text/html"])}</div>`;
  }
  if (data["image/svg+xml"] !== undefined) {
    return `<div class="out-svg">${text(data["image/svg+xml"])}</div>`;
  }
  if (data["image/png"] !== undefined) {
    return `<img class="out-png" src="data:image/png;base64,${text(data["image/png"]).trim()}">`;
  }
  if (data["text/plain"] !== undefined) {
    return `<pre class="out-text">${escapeHtml(text(data["text/plain"]))}</pre>`;
  }
  return "";
}

/** The notebook as an HTML document titled `title`. */
export function notebookHtml(notebook: Json, title: string): string {
  const cells = (notebook.cells ?? []) as Json[];
  const body = cells.map((c) => {
    if (c.cell_type === "markdown") return `<div class="md">${markdown(text(c.source))}</div>`;
    if (c.cell_type !== "code") return "";
    const outs = ((c.outputs ?? []) as Json[]).map(output).join("\n");
    return `<div class="cell"><pre class="in">${escapeHtml(text(c.source))}</pre>` +
      `${outs ? `<div class="outputs">${outs}</div>` : ""}</div>`;
  }).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;color:#222}
pre.in{background:#f5f5f7;border-left:3px solid #4269d0;padding:.5em .8em;overflow-x:auto;font-size:.85em}
.outputs{margin:.3em 0 1.2em;padding-left:.8em;overflow-x:auto}
pre.out-stream,pre.out-text{font-size:.82em;white-space:pre-wrap}pre.out-error{color:#b00020}
table{border-collapse:collapse;font-size:.85em}td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}
code{background:#f0f0f0;padding:0 .2em}</style></head><body>
${body}
</body></html>
`;
}

if (import.meta.main) {
  const [input, outPath] = Deno.args;
  if (!input) {
    console.error("usage: deno run -A tools/notebook-html.ts executed.ipynb [out.html]");
    Deno.exit(2);
  }
  const nb = JSON.parse(await Deno.readTextFile(input));
  const html = notebookHtml(nb, input.split("/").at(-1)!);
  const target = outPath ?? input.replace(/\.ipynb$/, ".html");
  await Deno.writeTextFile(target, html);
  console.log(target);
}
