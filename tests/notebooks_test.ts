/**
 * The notebooks run end to end. With Jupyter (Debian's /usr/bin/python3 with
 * jupyter_client) and Deno's kernelspec, notebooks/*.ipynb run in order (they
 * build on each other: ingest → dataflow → sentiment) through the real Deno
 * kernel via tools/run-notebooks.py, and the self-test fixture runs alone.
 * Without Jupyter, each notebook's code cells run as one module in a Deno
 * subprocess with a `Deno.jupyter` shim, and a warning says the kernel path
 * was not exercised (set TWEETLAKE_NOTEBOOK_PYTHON=/nonexistent to force that path).
 *
 * Every run uses its own TWEETLAKE_LAKE / TWEETLAKE_DB / TWEETLAKE_REPORT in a
 * temporary folder. After a notebook's last cell, while its kernel is still
 * alive, tools/db-probe.ts must be able to open the database file (no cell
 * left it locked); the `holds-db` fixture proves the probe catches a leak.
 *
 * Expected outputs come from `metadata.tweetlake.expect` (default
 * `["chart", "table"]`): `chart` (HTML/SVG output with an `<svg`), `table`
 * (`<table`), `figure` (`<figure`), `stdout:TEXT`, `html:TEXT`.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  absoluteImports,
  expectations,
  notebookModule,
  readNotebook,
  splitLastExpression,
} from "../tools/notebook-code.ts";
import { notebookHtml } from "../tools/notebook-html.ts";
import { launch, openFile, screenshot, sizes } from "./support/browser.ts";
import { recordTestWarning } from "./support/warnings.ts";

/** A code cell for a notebook written by a test. */
function codeCell(source: string) {
  return { cell_type: "code", metadata: {}, source, outputs: [] };
}

/** Writes a minimal notebook with `cells`. */
function writeNotebook(path: string, cells: unknown[]): void {
  writeFileSync(path, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
}

const REPO = fileURLToPath(new URL("../", import.meta.url));
/** Debian's interpreter (the one that sees python3-jupyter-client); override to force the shim path. */
const PYTHON = Deno.env.get("TWEETLAKE_NOTEBOOK_PYTHON") ?? "/usr/bin/python3";
const FIXTURES = join(REPO, "tests/fixtures/notebooks");
const SELFTEST = join(FIXTURES, "harness-selftest.ipynb");
const HOLDS_DB = join(FIXTURES, "holds-db.ipynb");
const PROBE = `deno run --allow-all ${join(REPO, "tools/db-probe.ts")}`;

/** One output as summarised by tools/run-notebooks.py (or the run shim). */
interface Output {
  type: string;
  name?: string;
  mime?: string[];
  text_head?: string;
  html_head?: string;
  tags?: string[];
}
interface CellSummary {
  index: number;
  status: string;
  outputs: Output[];
}
interface NotebookSummary {
  path: string;
  ok: boolean;
  error: { cell: number | null; message: string } | null;
  cells: CellSummary[];
  probe: { rc: number; output: string } | null;
}

function projectNotebooks(): string[] {
  const dir = join(REPO, "notebooks");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(dir, f));
}

async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string }> {
  const done = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd ?? REPO,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: done.code, out: decoder.decode(done.stdout) + decoder.decode(done.stderr) };
}

/** Null when the kernel path can run; otherwise why not. Installs Deno's kernelspec if missing. */
async function kernelUnavailable(): Promise<string | null> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const imports = await run(PYTHON, ["-c", "import jupyter_client, nbformat"]);
  if (imports.code !== 0) return `${PYTHON} cannot import jupyter_client/nbformat`;
  const findSpec = [
    "-c",
    "from jupyter_client.kernelspec import KernelSpecManager as K; K().get_kernel_spec('deno')",
  ];
  if ((await run(PYTHON, findSpec)).code === 0) return null;
  const install = await run(Deno.execPath(), ["jupyter", "--install"]);
  if (install.code !== 0 || (await run(PYTHON, findSpec)).code !== 0) {
    return `the 'deno' kernelspec is missing and \`deno jupyter --install\` failed: ${install.out}`;
  }
  return null;
}

const unavailable = await kernelUnavailable();
if (unavailable) recordTestWarning(`notebooks: kernel path NOT exercised: ${unavailable}`);

/** A temporary lake/db/report for one run; `cleanup` removes it. */
function sandbox(): { env: Record<string, string>; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tweetlake-nb-"));
  const env = {
    ...Deno.env.toObject(),
    TWEETLAKE_LAKE: join(dir, "lake"),
    TWEETLAKE_DB: join(dir, "tweetlake.duckdb"),
    TWEETLAKE_REPORT: join(dir, "report"),
  };
  return { env, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs notebooks, in order, in one sandbox through the Deno kernel (`executed`: save them there). */
async function runKernel(
  paths: string[],
  executed?: string,
): Promise<{ summaries: NotebookSummary[]; log: string }> {
  const box = sandbox();
  try {
    const summary = join(box.dir, "summary.json");
    const { out } = await run(PYTHON, [
      join(REPO, "tools/run-notebooks.py"),
      "--summary",
      summary,
      "--probe",
      PROBE,
      ...(executed ? ["--executed", executed] : []),
      ...paths,
    ], { env: box.env });
    assert.ok(existsSync(summary), `run-notebooks.py wrote no summary:\n${out}`);
    const parsed = JSON.parse(readFileSync(summary, "utf8")) as { notebooks: NotebookSummary[] };
    return { summaries: parsed.notebooks, log: out };
  } finally {
    box.cleanup();
  }
}

/** Runs notebooks, in order, in one sandbox as plain modules with the `Deno.jupyter` shim. */
async function runShim(paths: string[]): Promise<NotebookSummary[]> {
  const box = sandbox();
  try {
    const results: NotebookSummary[] = [];
    for (const path of paths) {
      const modulePath = join(box.dir, `${basename(path, ".ipynb")}.ts`);
      const summaryPath = join(box.dir, `${basename(path, ".ipynb")}.json`);
      writeFileSync(modulePath, notebookModule(path, "run"));
      const { code, out } = await run(
        Deno.execPath(),
        ["run", "--allow-all", "--config", join(REPO, "deno.json"), modulePath],
        { cwd: dirname(path), env: { ...box.env, TWEETLAKE_NB_SUMMARY: summaryPath } },
      );
      const cells = existsSync(summaryPath)
        ? (JSON.parse(readFileSync(summaryPath, "utf8")) as { cells: CellSummary[] }).cells
        : [];
      const probe = await run(Deno.execPath(), ["run", "--allow-all", "tools/db-probe.ts"], {
        env: box.env,
      });
      const lastCell = [...out.matchAll(/@@cell (\d+)/g)].at(-1)?.[1];
      results.push({
        path,
        ok: code === 0,
        error: code === 0 ? null : { cell: lastCell ? Number(lastCell) : null, message: out },
        cells,
        probe: { rc: probe.code, output: probe.out },
      });
    }
    return results;
  } finally {
    box.cleanup();
  }
}

/** Asserts one notebook ran cleanly, left the database unlocked, and shows what it expects. */
function assertNotebook(s: NotebookSummary, expect: string[]): void {
  assert.ok(s.ok, `${s.path} failed at cell ${s.error?.cell}:\n${s.error?.message}`);
  assert.equal(
    s.probe?.rc,
    0,
    `${s.path}: database still locked after the run:\n${s.probe?.output}`,
  );
  const outputs = s.cells.flatMap((c) => c.outputs);
  const html = outputs.filter((o) =>
    o.mime?.includes("text/html") || o.mime?.includes("image/svg+xml")
  );
  for (const want of expect) {
    let found: boolean;
    if (want === "chart") found = html.some((o) => o.tags?.includes("svg"));
    else if (want === "table") found = html.some((o) => o.tags?.includes("table"));
    else if (want === "figure") found = html.some((o) => o.tags?.includes("figure"));
    else if (want.startsWith("stdout:")) {
      found = outputs.some((o) =>
        o.type === "stream" && o.name === "stdout" && o.text_head?.includes(want.slice(7))
      );
    } else if (want.startsWith("html:")) {
      found = html.some((o) => o.html_head?.includes(want.slice(5)));
    } else throw new Error(`${s.path}: unknown expectation ${JSON.stringify(want)}`);
    assert.ok(found, `${s.path}: expected output "${want}" not found`);
  }
}

const kernel = unavailable === null;

/** Where the kernel run leaves the executed notebooks and their HTML (git-ignored). */
const EXECUTED = join(REPO, "out", "test-notebooks");

/**
 * Opens each executed notebook, rendered to HTML, in headless Chromium: charts present with a
 * non-zero size, tables with rows, word clouds with words (03), emoji text present, no console
 * errors; saves a screenshot of each under out/test-screenshots/.
 */
async function checkInBrowser(executed: string[]): Promise<void> {
  const { browser, close } = await launch();
  try {
    for (const nb of executed) {
      assert.ok(existsSync(nb), `${nb} was not written`);
      const html = nb.replace(/\.ipynb$/, ".html");
      writeFileSync(html, notebookHtml(JSON.parse(readFileSync(nb, "utf8")), basename(nb)));
      const { page, errors, external } = await openFile(browser, html);
      const name = basename(nb, ".ipynb");
      console.log(`screenshot: ${await screenshot(page, `notebook-${name}`)}`);
      assert.deepEqual(errors, [], `${name}: console errors`);
      assert.deepEqual(external, [], `${name}: requests that left the machine`);
      const body = await page.$eval("body", (b) => (b as HTMLElement).innerText);
      assert.equal((await page.$$("pre.out-error")).length, 0, `${name}: error outputs`);
      assert.match(body, /\p{Extended_Pictographic}/u, `${name}: emoji text present`);
      const rows = await page.$$eval(".outputs table tbody tr", (r) => r.length);
      assert.ok(rows > 0, `${name}: table rows`);
      if (!name.startsWith("01")) {
        const charts = await sizes(page, ".outputs svg:not([width='15']):not([width='10'])");
        assert.ok(charts.length >= 2, `${name}: ${charts.length} charts`);
        for (const c of charts) {
          assert.ok(c.w > 0 && c.h > 0, `${name}: a chart sized ${c.w}×${c.h}`);
        }
      }
      if (name.startsWith("02")) {
        assert.ok((await page.$$(".outputs .tl-graph .tl-node")).length >= 6, "02: pipeline graph");
      }
      if (name.startsWith("03")) {
        const words = await page.$$eval(
          ".tl-wordcloud",
          (cs) => cs.map((c) => c.querySelectorAll("text.tl-word").length),
        );
        assert.equal(words.length, 2, "03: two word clouds");
        for (const n of words) assert.ok(n >= 10, `03: ${n} words in a cloud`);
        assert.match(body, /I love Lakehouses\s+positive\s+\d\.\d{3}\b/, "03: sentence check");
      }
      await page.close();
    }
  } finally {
    await close();
  }
}
const mode = kernel ? "through the Deno Jupyter kernel" : "as modules (Deno.jupyter shim)";

Deno.test(`harness self-test notebook runs ${mode} with a table, charts and text`, async () => {
  const summaries = kernel ? (await runKernel([SELFTEST])).summaries : await runShim([SELFTEST]);
  assert.equal(summaries.length, 1);
  assertNotebook(summaries[0], expectations(readNotebook(SELFTEST)));
  if (kernel) {
    // The kernel's own rendering of a Deno.jupyter.html value reaches the summary.
    const cell = summaries[0].cells.find((c) =>
      c.outputs.some((o) => o.html_head?.includes("2 via"))
    );
    assert.ok(cell, "Deno.jupyter.html output missing");
  }
});

Deno.test({
  name: "a notebook that keeps the database open fails the post-run lock probe",
  ignore: !kernel,
  fn: async () => {
    const { summaries } = await runKernel([HOLDS_DB]);
    assert.equal(summaries[0].ok, false);
    assert.notEqual(summaries[0].probe?.rc, 0);
    assert.match(summaries[0].probe?.output ?? "", /LOCKED/);
  },
});

Deno.test({
  name: `a failing cell is reported with its index and message (${mode})`,
  fn: async () => {
    const dir = mkdtempSync(join(tmpdir(), "tweetlake-nbfail-"));
    try {
      const path = join(dir, "fails.ipynb");
      writeNotebook(path, [
        codeCell('console.log("fine")'),
        codeCell('throw new Error("cell two broke")'),
      ]);
      const [s] = kernel ? (await runKernel([path])).summaries : await runShim([path]);
      assert.equal(s.ok, false);
      assert.equal(s.error?.cell, 1);
      assert.match(s.error?.message ?? "", /cell two broke/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name: `the project notebooks run in order ${mode}, leave the database unlocked, show outputs`,
  ignore: projectNotebooks().length === 0,
  fn: async (t) => {
    const paths = projectNotebooks();
    rmSync(EXECUTED, { recursive: true, force: true });
    const summaries = kernel ? (await runKernel(paths, EXECUTED)).summaries : await runShim(paths);
    for (const s of summaries) {
      await t.step(basename(s.path), () => assertNotebook(s, expectations(readNotebook(s.path))));
    }
    if (kernel) {
      await t.step("the executed notebooks, rendered to HTML, in headless Chromium", async () => {
        await checkInBrowser(paths.map((p) => join(EXECUTED, basename(p))));
      });
    }
  },
});

Deno.test("splitLastExpression finds the value a cell displays", () => {
  assert.deepEqual(splitLastExpression("const a = 1;\nshow(a)"), {
    body: "const a = 1;\n",
    expression: "show(a)",
  });
  assert.equal(
    splitLastExpression("show(\n  chart(rows),\n);\n").expression,
    "show(\n  chart(rows),\n)",
  );
  assert.equal(splitLastExpression("const x = rows\n  .map((r) => r)").expression, null);
  assert.equal(splitLastExpression("x;\n// done").expression, "x");
  assert.equal(splitLastExpression('import { a } from "./a.ts";').expression, null);
  assert.equal(splitLastExpression("if (a) {\n  b()\n}").expression, null);
  assert.equal(splitLastExpression("const s = `a\n${b}\nc`; s").expression, "s");
  assert.equal(splitLastExpression('f("x;\\"y");').expression, 'f("x;\\"y")');
  assert.equal(splitLastExpression("await x()").expression, "await x()");
});

Deno.test("absoluteImports resolves relative specifiers against the notebook folder", () => {
  const out = absoluteImports(
    'import { a } from "../lib/a.ts";\nimport "./b.ts";\nconst c = await import("../c.ts");\nimport p from "@observablehq/plot";',
    "/repo/notebooks",
  );
  assert.match(out, /from "file:\/\/\/repo\/lib\/a\.ts"/);
  assert.match(out, /import "file:\/\/\/repo\/notebooks\/b\.ts"/);
  assert.match(out, /import\("file:\/\/\/repo\/c\.ts"\)/);
  assert.match(out, /from "@observablehq\/plot"/);
});

Deno.test("notebookModule shims Deno.jupyter for checking and running", () => {
  const check = notebookModule(SELFTEST, "check");
  assert.match(check, /namespace jupyter/);
  assert.match(check, new RegExp(`from "file://${resolve(REPO, "lib/viz/mod.ts")}"`));
  const runnable = notebookModule(SELFTEST, "run");
  assert.match(runnable, /Deno\.jupyter = \{/);
  assert.match(runnable, /await __tl\.display\(\(\nshow\(tableHtml\(langs\)\)\n\)\);/);
});

Deno.test("check-notebooks passes the fixtures and maps a type error to its notebook cell", async () => {
  const ok = await run(Deno.execPath(), [
    "run",
    "--allow-all",
    "tools/check-notebooks.ts",
    SELFTEST,
  ]);
  assert.equal(ok.code, 0, ok.out);
  const dir = mkdtempSync(join(tmpdir(), "tweetlake-nbcheck-test-"));
  try {
    const path = join(dir, "typo.ipynb");
    writeNotebook(path, [
      { cell_type: "markdown", metadata: {}, source: "# t" },
      codeCell("Deno.jupyter.html`<b>ok</b>`"),
      codeCell("const n = 1;\nconst s: string = n;\ns"),
    ]);
    const bad = await run(Deno.execPath(), [
      "run",
      "--allow-all",
      "tools/check-notebooks.ts",
      path,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /typo\.ipynb cell 2 line 2:7/);
    assert.doesNotMatch(bad.out, /cell 1 /, "Deno.jupyter is declared for the check");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
