/**
 * Poison input never blocks the Autoloader: a line that can't be read (invalid UTF-8, any
 * control byte, nesting past MAX_JSON_DEPTH, over MAX_LINE_BYTES) is kept whole, byte for byte,
 * in `_rescued_data` with its file and line number, counted, and every other line and file is
 * read; `.jsonl` files are read, hidden and `_` files are not.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { query, withDb } from "../lib/db.ts";
import { parsePipeline, runUpdate } from "../lib/dataflow/mod.ts";
import { MAX_JSON_DEPTH, MAX_LINE_BYTES } from "../lib/ingest/limits.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

const PIPELINE = parsePipeline(
  `CREATE OR REFRESH STREAMING TABLE bronze AS
   SELECT *, _metadata.file_name AS file, _metadata.line_number AS line
   FROM STREAM read_files('raw/p', format => 'json');`,
  "poison.sql",
);

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
};

async function writeBytes(lake: string, path: string, data: Uint8Array): Promise<void> {
  const full = join(lake, path);
  await Deno.mkdir(dirname(full), { recursive: true });
  await Deno.writeFile(full, data);
  const earlier = new Date(Date.now() - 60_000);
  await Deno.utime(full, earlier, earlier);
}

/** The bytes a rescued line stands for (Latin-1 text: one character per byte). */
function rescuedBytes(text: string, utf8: boolean): Uint8Array {
  return utf8 ? bytes(text) : Uint8Array.from(text, (c) => c.charCodeAt(0));
}

const nested = (d: number) => '{"a":'.repeat(d) + "1" + "}".repeat(d);

Deno.test("poison: unreadable lines are rescued whole with file and line; nothing is blocked", async () => {
  const ws = await workspace();
  try {
    // Line by line: what it is, its bytes, whether it should parse.
    const lines: { what: string; b: Uint8Array; parses: boolean; utf8?: boolean }[] = [
      { what: "good", b: bytes('{"id":"1","n":1}'), parses: true },
      {
        what: "latin-1",
        b: Uint8Array.from([...bytes('{"id":"caf'), 0xe9, ...bytes('"}')]),
        parses: false,
        utf8: false,
      },
      {
        what: "truncated utf-8",
        b: Uint8Array.from([...bytes('{"id":"x'), 0xe2, 0x82]),
        parses: false,
        utf8: false,
      },
    ];
    for (let c = 0; c < 0x20; c++) {
      if (c === 0x0a) continue;
      lines.push({
        what: `control 0x${c.toString(16)}`,
        b: concat([bytes('{"id":"c'), Uint8Array.of(c), bytes('d","n":2}')]),
        // A tab inside a string is not valid JSON either.
        parses: false,
      });
    }
    lines.push({ what: "depth at the limit", b: bytes(nested(MAX_JSON_DEPTH)), parses: true });
    for (const d of [MAX_JSON_DEPTH + 1, 2000, 5000, 100_000]) {
      lines.push({ what: `depth ${d}`, b: bytes(nested(d)), parses: false });
      lines.push({
        what: `array depth ${d}`,
        b: bytes(`{"a":${"[".repeat(d)}${"]".repeat(d)}}`),
        parses: false,
      });
    }
    lines.push({
      what: "over the size limit",
      b: bytes(`{"id":"big","s":"${"x".repeat(MAX_LINE_BYTES)}"}`),
      parses: false,
    });
    lines.push({ what: "good after", b: bytes('{"id":"2","n":3}'), parses: true });
    const file = concat(lines.flatMap((l) => [l.b, Uint8Array.of(0x0a)]));
    await writeBytes(ws.lake, "raw/p/poison.ndjson", file);
    await writeLakeFile(ws.lake, "raw/p/later.jsonl", '{"id":"3","n":4}\r\n{"id":"4","n":5}\n');
    // Hidden and underscore files and folders are not input (as on Databricks).
    await writeLakeFile(ws.lake, "raw/p/.hidden.ndjson", '{"id":"hidden"}\n');
    await writeLakeFile(ws.lake, "raw/p/_tmp.ndjson", '{"id":"underscore"}\n');
    await writeLakeFile(ws.lake, "raw/p/_staging/x.ndjson", '{"id":"underscore dir"}\n');

    const first = await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
    const bronze = first.datasets[0];
    assert.equal(bronze.filesRead, 2, "poison.ndjson and later.jsonl; hidden files are not read");
    assert.equal(bronze.rowsWritten, lines.length + 2);
    assert.ok(
      bronze.warnings?.some((w) =>
        w.includes("could not be read") && w.includes("poison.ndjson:2")
      ),
      `a warning names the file and line: ${bronze.warnings}`,
    );

    await withDb(ws.db, async (conn) => {
      const rows = await query(
        conn,
        "SELECT id, file, line, _rescued_data FROM bronze ORDER BY file DESC, line",
      );
      const poison = rows.filter((r) => r.file === "poison.ndjson");
      assert.equal(poison.length, lines.length);
      lines.forEach((l, k) => {
        const r = poison[k];
        assert.equal(r.line, k + 1, `${l.what}: line number`);
        if (l.parses) {
          assert.equal(r._rescued_data, null, `${l.what}: parsed`);
          return;
        }
        assert.equal(typeof r._rescued_data, "string", `${l.what}: rescued`);
        const back = rescuedBytes(String(r._rescued_data), l.utf8 ?? true);
        assert.deepEqual(back, l.b, `${l.what}: rescued byte for byte`);
      });
      assert.deepEqual(
        rows.filter((r) => r.file === "later.jsonl").map((r) => [r.id, r.line, r._rescued_data]),
        [["3", 1, null], ["4", 2, null]],
        "the next file is read (CRLF line ends are line ends)",
      );
      assert.deepEqual(
        (await query(conn, "SELECT id FROM bronze WHERE id IN ('1', '2') ORDER BY id")).map((r) =>
          r.id
        ),
        ["1", "2"],
        "good lines around the poison are read",
      );
    });

    // A second update changes nothing.
    const second = await runUpdate({ pipeline: PIPELINE, lake: ws.lake, db: ws.db });
    assert.deepEqual(second.datasets.map((d) => [d.filesRead, d.rowsWritten]), [[0, 0]]);
  } finally {
    await ws.remove();
  }
});
