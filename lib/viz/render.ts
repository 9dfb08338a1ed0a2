/**
 * Observable Plot rendered without a browser: linkedom supplies the DOM, the
 * result is markup (an `<svg>`, or a `<figure>` when Plot adds a title or a
 * legend), which can be made a standalone SVG file and a PNG (resvg).
 */
import * as Plot from "@observablehq/plot";
import { Resvg } from "@resvg/resvg-js";
import { parseHTML } from "linkedom";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const SVG_NS = "http://www.w3.org/2000/svg";
const XLINK_NS = "http://www.w3.org/1999/xlink";
const FONT = "system-ui, sans-serif";

function newDocument(): Document {
  return parseHTML("<!doctype html><html><head></head><body></body></html>")
    .document as unknown as Document;
}

/**
 * Renders Plot options to markup: `<svg>…</svg>`, or `<figure>…</figure>` with a
 * title/legend. A continuous colour legend (a ramp drawn on a canvas) is not
 * available without a browser: use a discrete scale or `legend: false`.
 */
export function render(options: Plot.PlotOptions): string {
  let node: Element;
  try {
    node = Plot.plot({ ...options, document: newDocument() }) as Element;
  } catch (e) {
    if (e instanceof TypeError && /fillStyle|getContext/.test(e.message)) {
      throw new Error(
        "render: this chart needs a <canvas> (a continuous colour legend), which linkedom " +
          "lacks; use an ordinal/threshold colour scale or legend: false",
        { cause: e },
      );
    }
    throw e;
  }
  return node.outerHTML;
}

/** Whether markup is a Plot `<figure>` (title, subtitle, caption or legend) rather than an `<svg>`. */
export function isFigure(markup: string): boolean {
  return /^\s*<figure[\s>]/i.test(markup);
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function numberAttr(el: Element, name: string, fallback: number): number {
  const value = Number.parseFloat(el.getAttribute(name) ?? "");
  return Number.isFinite(value) ? value : fallback;
}

/** Adds the `xmlns` attributes Plot leaves out to an `<svg>` root. */
function withNamespaces(svg: string): string {
  return svg.replace(/^\s*<svg\b([^>]*)>/i, (_all, attrs: string) => {
    let extra = "";
    if (!/\sxmlns=/.test(attrs)) extra += ` xmlns="${SVG_NS}"`;
    if (!/\sxmlns:xlink=/.test(attrs)) extra += ` xmlns:xlink="${XLINK_NS}"`;
    return `<svg${extra}${attrs}>`;
  });
}

/** Inserts a white background as the first child of an `<svg>` root. */
function withBackground(svg: string): string {
  return svg.replace(
    /^(\s*<svg\b[^>]*>)/i,
    `$1<rect width="100%" height="100%" fill="white"/>`,
  );
}

/**
 * Lays a Plot `<figure>` out as one SVG: title, subtitle, swatch legends, each
 * chart or ramp `<svg>` (nested, stacked vertically), then the caption.
 */
function figureToSvg(markup: string): string {
  const doc = newDocument();
  const holder = doc.createElement("div");
  holder.innerHTML = markup;
  const figure = holder.firstElementChild;
  if (!figure) throw new Error("toStandaloneSvg: empty figure markup");
  const children = Array.from(figure.children);
  const width = Math.max(
    640,
    ...children.filter((c) => c.tagName.toLowerCase() === "svg").map((c) =>
      numberAttr(c, "width", 0)
    ),
  );
  const parts: string[] = [];
  let y = 0;
  const text = (content: string, size: number, weight: string, gap: number) => {
    y += size + 4;
    parts.push(
      `<text x="0" y="${y}" font-size="${size}" font-weight="${weight}">${
        escapeXml(content.trim())
      }</text>`,
    );
    y += gap;
  };
  for (const child of children) {
    const tag = child.tagName.toLowerCase();
    if (tag === "h2") text(child.textContent ?? "", 16, "bold", 4);
    else if (tag === "h3") text(child.textContent ?? "", 13, "normal", 4);
    else if (tag === "figcaption") text(child.textContent ?? "", 11, "normal", 4);
    else if (tag === "svg") {
      const h = numberAttr(child, "height", 0);
      const nested = child.outerHTML.replace(/^<svg\b/i, `<svg x="0" y="${y}"`);
      parts.push(nested);
      y += h + 4;
    } else if (tag === "div") {
      // A swatch legend: spans holding a small coloured <svg> and a label.
      const swatches = Array.from(child.querySelectorAll("span"));
      let x = 0;
      const rowHeight = 20;
      if (swatches.length > 0) y += 4;
      for (const swatch of swatches) {
        const icon = swatch.querySelector("svg");
        const color = icon?.getAttribute("fill") ??
          icon?.querySelector("[fill]")?.getAttribute("fill") ?? "currentColor";
        const label = (swatch.textContent ?? "").trim();
        const w = 15 + 5 + label.length * 6.5 + 16;
        if (x > 0 && x + w > width) {
          x = 0;
          y += rowHeight;
        }
        parts.push(
          `<rect x="${x}" y="${y}" width="15" height="15" fill="${escapeXml(color)}"/>`,
          `<text x="${x + 20}" y="${y + 11.5}" font-size="10">${escapeXml(label)}</text>`,
        );
        x += w;
      }
      if (swatches.length > 0) y += rowHeight + 4;
    }
  }
  const height = Math.ceil(y);
  return `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="${FONT}" fill="currentColor">` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`;
}

/**
 * Makes markup from {@link render} a standalone SVG document (white background,
 * `xmlns` attributes); a `<figure>` is laid out as one SVG with its title and legend.
 */
export function toStandaloneSvg(markup: string): string {
  if (isFigure(markup)) return figureToSvg(markup);
  if (!/^\s*<svg[\s>]/i.test(markup)) {
    throw new Error("toStandaloneSvg: expected <svg> or <figure> markup");
  }
  return withBackground(withNamespaces(markup.trim()));
}

/** Rasterises SVG (standalone, or markup from {@link render}) to PNG bytes, using system fonts. */
export function svgToPng(svg: string, width?: number): Uint8Array {
  const source = /^\s*<svg\b[^>]*\sxmlns=/i.test(svg) ? svg : toStandaloneSvg(svg);
  const resvg = new Resvg(source, {
    font: {
      loadSystemFonts: true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
    fitTo: width ? { mode: "width", value: width } : { mode: "original" },
    background: "white",
  });
  return new Uint8Array(resvg.render().asPng());
}

/** Writes `<dir>/<name>.svg` (standalone) and, with `png`, `<dir>/<name>.png`; returns the paths. */
export function writeChart(
  dir: string,
  name: string,
  markup: string,
  options: { png?: boolean } = {},
): string[] {
  mkdirSync(dir, { recursive: true });
  const svg = toStandaloneSvg(markup);
  const svgPath = join(dir, `${name}.svg`);
  writeFileSync(svgPath, svg);
  if (!options.png) return [svgPath];
  const pngPath = join(dir, `${name}.png`);
  writeFileSync(pngPath, svgToPng(svg));
  return [svgPath, pngPath];
}
