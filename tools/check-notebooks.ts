/**
 * Type-checks every notebook's code (Deno's Jupyter kernel does not): each
 * notebook's code cells become one module with a `declare` shim for
 * `Deno.jupyter` (see tools/notebook-code.ts), written to a temporary folder
 * and checked with `deno check` against the repository's deno.json. Errors are
 * reported as `<notebook> cell <index> line <n>`.
 *
 * `deno run --allow-all tools/check-notebooks.ts [NOTEBOOK.ipynb...]`
 * (default: notebooks/*.ipynb and tests/fixtures/notebooks/*.ipynb). Exit 1 on errors.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { notebookModule } from "./notebook-code.ts";

const REPO = fileURLToPath(new URL("../", import.meta.url));

/** The notebooks checked by default: the project's and the test fixtures. */
export function defaultNotebooks(): string[] {
  return ["notebooks", "tests/fixtures/notebooks"].flatMap((dir) => {
    const full = join(REPO, dir);
    if (!existsSync(full)) return [];
    return readdirSync(full).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(full, f));
  });
}

/** Maps a line of a generated module (1-based) to its notebook cell and line in that cell. */
export function cellLine(module: string, line: number): { cell: number; line: number } | null {
  const lines = module.split("\n");
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const marker = /^\/\/ ---- cell (\d+) ----$/.exec(lines[i]);
    if (marker) return { cell: Number(marker[1]), line: line - (i + 1) };
  }
  return null;
}

/** Type-checks the notebooks; returns the exit code and prints `deno check`'s findings, mapped. */
export async function checkNotebooks(paths: string[]): Promise<number> {
  if (paths.length === 0) {
    console.log("check-notebooks: no notebooks found");
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), "tweetlake-nbcheck-"));
  try {
    const modules = new Map<string, { notebook: string; code: string }>();
    for (const path of paths) {
      const file = join(dir, `${basename(path, ".ipynb")}.ts`);
      const code = notebookModule(path, "check");
      writeFileSync(file, code);
      modules.set(pathToFileURL(file).href, { notebook: relative(REPO, path), code });
    }
    const done = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", join(REPO, "deno.json"), ...modules.keys()],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    let out = decoder.decode(done.stdout) + decoder.decode(done.stderr);
    for (const [url, { notebook, code }] of modules) {
      const at = new RegExp(`${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+):(\\d+)`, "g");
      out = out.replace(at, (_all, line: string, col: string) => {
        const where = cellLine(code, Number(line));
        return where
          ? `${notebook} cell ${where.cell} line ${where.line}:${col}`
          : `${notebook} (generated preamble) ${line}:${col}`;
      });
    }
    if (out.trim()) console.error(out.trim());
    const names = paths.map((p) => relative(REPO, p)).join(", ");
    console.log(`check-notebooks: ${done.code === 0 ? "ok" : "FAILED"}: ${names}`);
    return done.code === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const paths = Deno.args.length > 0 ? Deno.args : defaultNotebooks();
  Deno.exit(await checkNotebooks(paths));
}
