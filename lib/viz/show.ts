/**
 * Showing markup in a notebook. In the Deno Jupyter kernel, a cell whose last
 * expression is `show(markup)` displays it as HTML:
 *
 * ```ts
 * import { languagesChart, show } from "../lib/viz/mod.ts";
 * show(languagesChart(rows)) // last expression of the cell → rendered inline
 * ```
 *
 * Mid-cell, use `await display(markup)`. Outside the kernel (scripts, tests),
 * `show` returns an object whose `toString()` is the markup and which prints as
 * a one-line summary; `display` prints that summary.
 */

/** The symbol Deno's Jupyter kernel calls to get a displayable media bundle. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** HTML markup that the Deno Jupyter kernel renders when it is a cell's value. */
export interface HtmlView {
  /** The markup. */
  readonly html: string;
  /** The media bundle for Jupyter (`text/html`, plus `text/plain` summary). */
  [JUPYTER_DISPLAY](): Record<string, string>;
  /** The markup. */
  toString(): string;
}

/** A one-line description of markup: its root element, size and length. */
export function summarize(markup: string): string {
  const root = /^\s*<([a-z][a-z0-9-]*)/i.exec(markup)?.[1]?.toLowerCase() ?? "html";
  let size = "";
  let area = 0;
  for (const tag of markup.matchAll(/<svg\b[^>]*>/gi)) {
    const width = Number(/\swidth="([\d.]+)"/.exec(tag[0])?.[1] ?? 0);
    const height = Number(/\sheight="([\d.]+)"/.exec(tag[0])?.[1] ?? 0);
    if (width * height > area) {
      area = width * height;
      size = ` ${width}×${height}`;
    }
  }
  const rows = root === "table" ? ` ${(markup.match(/<tr>/g)?.length ?? 1) - 1} rows` : "";
  return `[${root}${size}${rows}, ${(markup.length / 1024).toFixed(1)} KiB]`;
}

/** Wraps markup so the Jupyter kernel displays it as HTML when it is a cell's last value. */
export function show(markup: string): HtmlView {
  return {
    html: markup,
    [JUPYTER_DISPLAY]: () => ({ "text/html": markup, "text/plain": summarize(markup) }),
    toString: () => markup,
    [Symbol.for("Deno.customInspect")]: () => summarize(markup),
  } as HtmlView;
}

/** The part of the kernel-only `Deno.jupyter` API used here (absent from Deno's default types). */
interface JupyterApi {
  display(bundle: Record<string, string>, options: { raw: boolean }): Promise<void>;
}

function jupyterApi(): JupyterApi | undefined {
  try {
    const api = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
    return typeof api === "object" && api !== null ? api : undefined;
  } catch {
    return undefined; // outside the kernel, the `Deno.jupyter` getter throws
  }
}

/** Whether this code runs inside Deno's Jupyter kernel. */
export function inKernel(): boolean {
  return jupyterApi() !== undefined;
}

/** Displays markup now (mid-cell) in the kernel; elsewhere prints its summary line. */
export async function display(markup: string): Promise<void> {
  const api = jupyterApi();
  if (api) {
    await api.display(
      { "text/html": markup, "text/plain": summarize(markup) },
      { raw: true },
    );
  } else {
    console.log(summarize(markup));
  }
}
