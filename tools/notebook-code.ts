/**
 * Turns a notebook's code cells into one TypeScript module, for the two jobs
 * that don't go through the Jupyter kernel:
 *
 * - `"check"`: cells concatenated after a `declare` shim for `Deno.jupyter`
 *   (which exists only inside the kernel), for `deno check`;
 * - `"run"`: cells concatenated after a runtime shim for `Deno.jupyter`, with
 *   each cell's last expression (what the kernel would display) passed to a
 *   recorder, for executing a notebook where Jupyter is not installed.
 *
 * Relative import specifiers are rewritten to absolute `file:` URLs against
 * the notebook's folder, so the module can live in a temporary folder. Cells
 * share one module scope, as they share the kernel's: don't declare the same
 * `const` in two cells.
 *
 * `deno run -A tools/notebook-code.ts check|run NOTEBOOK.ipynb` prints the module.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The parts of an `.ipynb` file this module reads. */
export interface Notebook {
  cells: { cell_type: string; source: string | string[] }[];
  metadata?: { tweetlake?: { expect?: string[] } } & Record<string, unknown>;
}

/** One code cell: its index among all cells and its source. */
export interface CodeCell {
  index: number;
  source: string;
}

/** Reads and parses an `.ipynb` file. */
export function readNotebook(path: string): Notebook {
  const nb = JSON.parse(readFileSync(path, "utf8")) as Notebook;
  if (!Array.isArray(nb.cells)) throw new Error(`${path}: not a notebook (no cells array)`);
  return nb;
}

/** The notebook's non-empty code cells, in order. */
export function codeCells(nb: Notebook): CodeCell[] {
  return nb.cells.flatMap((cell, index) => {
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    return cell.cell_type === "code" && source.trim() ? [{ index, source }] : [];
  });
}

/** What the notebook expects among its outputs (`metadata.tweetlake.expect`), default chart + table. */
export function expectations(nb: Notebook): string[] {
  return nb.metadata?.tweetlake?.expect ?? ["chart", "table"];
}

const OPEN = "([{";
const CLOSE = ")]}";
const CONTINUES_BEFORE = new Set([..."([{,=+-*/%&|^!?:<>.~"]);
const CONTINUES_AFTER = new Set([..."([.?)]},:=+-*/%&|^<>"]);
const NOT_EXPRESSION =
  /^(import|export|const|let|var|function|async\s+function|class|if|for|while|do|try|switch|return|throw|type|interface|enum|declare|break|continue|abstract)\b|^[{@]/;

/** Blanks out comments and the contents of strings/templates (not `${…}`), keeping offsets. */
function mask(source: string): string {
  const out = [...source];
  const templates: number[] = []; // brace depth at each open `${`
  let depth = 0;
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  const skipTemplate = (start: number): number => {
    let k = start;
    while (k < source.length) {
      if (source[k] === "\\") k += 2;
      else if (source[k] === "`") return k;
      else if (source[k] === "$" && source[k + 1] === "{") return k;
      else k++;
    }
    return k;
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end < 0 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < source.length && source[k] !== c && source[k] !== "\n") {
        k += source[k] === "\\" ? 2 : 1;
      }
      blank(i + 1, k);
      i = k + 1;
    } else if (c === "`" || (c === "}" && templates.at(-1) === depth)) {
      if (c === "}") templates.pop();
      const k = skipTemplate(i + 1);
      blank(i + 1, k);
      if (source[k] === "$") {
        templates.push(depth);
        i = k + 2;
      } else {
        i = k + 1;
      }
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      i++;
    }
  }
  return out.join("");
}

/**
 * Splits a cell into its body and its last top-level statement when that is an
 * expression (what the kernel displays), e.g. `show(chart)`. A heuristic over
 * brackets, strings, comments and line breaks (regular expression literals
 * holding brackets or quotes can confuse it); `expression` is null otherwise.
 */
export function splitLastExpression(source: string): { body: string; expression: string | null } {
  const masked = mask(source);
  let end = masked.length;
  while (end > 0 && /[\s;]/.test(masked[end - 1])) end--;
  let depth = 0;
  let start = 0;
  for (let i = 0; i < end; i++) {
    const c = masked[i];
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c)) depth--;
    if (depth !== 0) continue;
    if (c === ";") start = i + 1;
    else if (c === "\n") {
      const before = masked.slice(0, i).trimEnd().at(-1);
      const after = masked.slice(i + 1, end).trimStart()[0];
      if (
        before !== undefined && after !== undefined && !CONTINUES_BEFORE.has(before) &&
        !CONTINUES_AFTER.has(after)
      ) start = i + 1;
    }
  }
  const last = source.slice(start, end).trim();
  if (!last || NOT_EXPRESSION.test(mask(last).trim())) return { body: source, expression: null };
  return { body: source.slice(0, start), expression: last };
}

/** Rewrites `"./x"` / `"../x"` import specifiers to absolute `file:` URLs against `dir`. */
export function absoluteImports(source: string, dir: string): string {
  const fix = (spec: string) => pathToFileURL(resolve(dir, spec)).href;
  return source
    .replace(
      /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.\.?\/[^"']*)\2/g,
      (_all, lead: string, quote: string, spec: string) => `${lead}${quote}${fix(spec)}${quote}`,
    );
}

/**
 * Type declarations for the kernel-only `Deno.jupyter` API (a subset of Deno's
 * own), written so that several generated modules can be checked together.
 */
export const JUPYTER_DECLARATIONS = `declare global {
  namespace Deno {
    namespace jupyter {
      var $display: symbol;
      function display(
        obj: unknown,
        options?: { raw?: boolean; update?: boolean; display_id?: string },
      ): Promise<void>;
      function md(strings: TemplateStringsArray, ...values: unknown[]): object;
      function html(strings: TemplateStringsArray, ...values: unknown[]): object;
      function svg(strings: TemplateStringsArray, ...values: unknown[]): object;
      function image(pathOrData: string | Uint8Array): object;
      function format(obj: unknown): Promise<Record<string, string | object | undefined>>;
      function broadcast(
        msgType: string,
        content: Record<string, unknown>,
        extra?: { metadata?: Record<string, unknown>; buffers?: Uint8Array[] },
      ): Promise<void>;
    }
  }
}
export {};
`;

/**
 * A runtime stand-in for `Deno.jupyter` plus a recorder: each display (a cell's
 * last expression, or `Deno.jupyter.display`) and each `console.log` line is
 * stored as the kernel would send it, and on exit a summary shaped like tools/run-notebooks.py's is
 * written to `$TWEETLAKE_NB_SUMMARY` when set.
 */
const RUNTIME_SHIM = String.raw`
const __tl = (() => {
  const DISPLAY = Symbol.for("Jupyter.display");
  const TAGS = ["svg", "table", "figure", "img"];
  const cells = [];
  let current = null;
  const tag = (strings, values) => strings.reduce((s, part, i) => s + part + (i < values.length ? String(values[i]) : ""), "");
  const view = (bundle) => ({ [DISPLAY]: () => bundle });
  const format = async (value) => {
    if (value && typeof value === "object" && DISPLAY in value) return await value[DISPLAY]();
    return { "text/plain": Deno.inspect(value) };
  };
  const record = async (value, raw) => {
    if (value === undefined || !current) return;
    const bundle = raw && !(value && typeof value === "object" && DISPLAY in value) ? value : await format(value);
    const markup = String(bundle["text/html"] ?? "") + String(bundle["image/svg+xml"] ?? "");
    current.outputs.push({
      type: "display_data",
      mime: Object.keys(bundle).sort(),
      text_head: String(bundle["text/plain"] ?? "").slice(0, 300),
      html_head: markup.slice(0, 300),
      tags: TAGS.filter((t) => new RegExp("<" + t + "[\\s>/]", "i").test(markup)),
    });
  };
  Deno.jupyter = {
    $display: DISPLAY,
    display: (value, options = { raw: true }) => record(value, options.raw !== false),
    html: (s, ...v) => view({ "text/html": tag(s, v) }),
    md: (s, ...v) => view({ "text/markdown": tag(s, v) }),
    svg: (s, ...v) => view({ "image/svg+xml": tag(s, v) }),
    image: () => view({ "image/png": "" }),
    format,
    broadcast: async () => {},
  };
  const log = console.log.bind(console);
  console.log = (...args) => {
    log(...args);
    const text = args.map((a) => typeof a === "string" ? a : Deno.inspect(a)).join(" ") + "\n";
    current?.outputs.push({ type: "stream", name: "stdout", text_head: text.slice(0, 300) });
  };
  globalThis.addEventListener("unload", () => {
    const path = Deno.env.get("TWEETLAKE_NB_SUMMARY");
    if (path) Deno.writeTextFileSync(path, JSON.stringify({ cells }, null, 1));
  });
  return {
    cell(index, head) {
      current = { index, source_head: head, status: "ok", outputs: [] };
      cells.push(current);
      console.error("@@cell " + index);
    },
    display: (value) => record(value, false),
  };
})();
`;

/** Builds the module for `"check"` (type-checking) or `"run"` (execution without Jupyter). */
export function notebookModule(path: string, mode: "check" | "run"): string {
  const dir = dirname(resolve(path));
  const cells = codeCells(readNotebook(path));
  const parts = [`// generated from ${path} by tools/notebook-code.ts (${mode})\n`];
  parts.push(mode === "check" ? JUPYTER_DECLARATIONS : `// deno-lint-ignore-file\n${RUNTIME_SHIM}`);
  for (const cell of cells) {
    const source = absoluteImports(cell.source, dir);
    parts.push(`\n// ---- cell ${cell.index} ----\n`);
    if (mode === "check") {
      parts.push(source, "\n");
      continue;
    }
    parts.push(`__tl.cell(${cell.index}, ${JSON.stringify(cell.source.slice(0, 300))});\n`);
    const { body, expression } = splitLastExpression(source);
    parts.push(body, "\n");
    if (expression) parts.push(`await __tl.display((\n${expression}\n));\n`);
  }
  return parts.join("");
}

if (import.meta.main) {
  const [mode, path] = Deno.args;
  if ((mode !== "check" && mode !== "run") || !path) {
    console.error("usage: deno run -A tools/notebook-code.ts check|run NOTEBOOK.ipynb");
    Deno.exit(2);
  }
  console.log(notebookModule(path, mode));
}
