/**
 * Reads the lines of text files (JSON lines, text) for DuckDB, losing none and blocking on none.
 *
 * Each file is scanned once here first. A file that is valid UTF-8, holds no control byte other
 * than tab (and CR before LF), no empty line and no line over `MAX_LINE_BYTES` is "clean": DuckDB
 * reads it directly, at full speed. Any other file is split here, line by line: a line that
 * can't be read as text (invalid UTF-8, a control byte, over the size limit) is kept whole and
 * marked unreadable, so the format rescues it instead of parsing it. Every line keeps its file
 * and 1-based line number.
 */
import { isUtf8 } from "node:buffer";
import type { DuckDBConnection } from "../../db.ts";
import { MAX_LINE_BYTES } from "../../ingest/limits.ts";
import { sqlString } from "../translate.ts";

/** What `stageLines` found. */
export interface StagedLines {
  /**
   * A relation of every line (`line VARCHAR, filename VARCHAR, line_no BIGINT, readable
   * BOOLEAN`), in file order then line order. `line_no` is NULL for lines of clean files (their
   * number is their position: see `lineNumberSql`).
   */
  relation: string;
  /** Lines that could not be read as text (kept whole, `readable` false). */
  unreadable: number;
  /** Files split here rather than by DuckDB. */
  split: number;
}

/**
 * Whether DuckDB's line reader would return exactly this file's lines: valid UTF-8, no control
 * byte but tab, LF, and CR right before LF, no empty line, no line longer than the limit.
 */
export function isCleanText(b: Uint8Array): boolean {
  if (b.length === 0) return true;
  if (!isUtf8(b)) return false;
  const n = b.length;
  let lineStart = 0;
  const examine = (j: number): boolean => {
    const c = b[j];
    if (c >= 0x20 || c === 0x09) return true;
    if (c === 0x0d) {
      if (b[j + 1] !== 0x0a) return false;
      return j !== lineStart; // "\r\n" alone is an empty line
    }
    if (c !== 0x0a) return false;
    if (j === lineStart || j - lineStart > MAX_LINE_BYTES) return false;
    lineStart = j + 1;
    return true;
  };
  // Four bytes at a time: only words holding a byte below 0x20 are looked at closely.
  const aligned = b.byteOffset % 4 === 0;
  const words = aligned ? n >>> 2 : 0;
  if (words) {
    const w32 = new Uint32Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) {
      const w = w32[i];
      if (((w - 0x20202020) & ~w & 0x80808080) === 0) continue;
      const j = i << 2;
      if (!examine(j) || !examine(j + 1) || !examine(j + 2) || !examine(j + 3)) return false;
    }
  }
  for (let j = words << 2; j < n; j++) if (!examine(j)) return false;
  return n - lineStart <= MAX_LINE_BYTES;
}

/** Decodes bytes as Latin-1: one character per byte, so the bytes can be recovered exactly. */
export function latin1(b: Uint8Array): string {
  let out = "";
  for (let i = 0; i < b.length; i += 8192) {
    out += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return out;
}

function readableLine(b: Uint8Array, controlOk: boolean): boolean {
  if (b.length > MAX_LINE_BYTES) return false;
  for (let i = 0; !controlOk && i < b.length; i++) {
    const c = b[i];
    if (c < 0x20 && c !== 0x09) return false;
  }
  return isUtf8(b);
}

const utf8 = new TextDecoder();

/**
 * The text kept for a line that can't be read: the line itself when it is valid UTF-8 (control
 * bytes included), else its Latin-1 decoding (one character per byte, U+0000–U+00FF).
 */
export function rescuedText(b: Uint8Array): string {
  return isUtf8(b) ? utf8.decode(b) : latin1(b);
}

/**
 * Makes every line of the files at local paths `files` available to DuckDB as one relation (see `StagedLines`). Clean
 * files are read by DuckDB's CSV reader as one column; the others are split here and appended to
 * the temp table `<name>_staged`. `keepEmpty`: empty lines are rows too (the text format);
 * otherwise they are skipped, as JSON lines skip them. `controlOk`: a control byte does not
 * make a line unreadable (text); it does for JSON.
 */
export async function stageLines(
  conn: DuckDBConnection,
  files: string[],
  name: string,
  keepEmpty = false,
  controlOk = false,
): Promise<StagedLines> {
  const clean: string[] = [];
  const dirty: string[] = [];
  // One file in memory at a time: clean ones are dropped after the check.
  for (const f of files) (isCleanText(await Deno.readFile(f)) ? clean : dirty).push(f);
  const parts: string[] = [];
  if (clean.length) {
    parts.push(
      `SELECT line, filename, NULL::BIGINT AS line_no, true AS readable FROM read_csv([${
        clean.map(sqlString).join(",")
      }], columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '', header = false,
        auto_detect = false, strict_mode = false, null_padding = true,
        max_line_size = ${MAX_LINE_BYTES + 2}, filename = true)`,
    );
  }
  let unreadable = 0;
  if (dirty.length) {
    const staged = `${name}_staged`;
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${staged} (line VARCHAR, filename VARCHAR, line_no BIGINT,
        readable BOOLEAN)`,
    );
    const app = await conn.createAppender(staged, "main", "temp");
    try {
      for (const local of dirty) {
        const b = await Deno.readFile(local);
        let start = 0;
        let no = 0;
        while (start < b.length) {
          let end = b.indexOf(0x0a, start);
          if (end < 0) end = b.length;
          no++;
          const stop = end > start && b[end - 1] === 0x0d ? end - 1 : end;
          const line = b.subarray(start, stop);
          start = end + 1;
          if (line.length === 0 && !keepEmpty) continue;
          const ok = readableLine(line, controlOk);
          if (!ok) unreadable++;
          app.appendVarchar(ok ? utf8.decode(line) : rescuedText(line));
          app.appendVarchar(local);
          app.appendBigInt(BigInt(no));
          app.appendBoolean(ok);
          app.endRow();
        }
      }
    } finally {
      app.closeSync();
    }
    parts.push(`SELECT line, filename, line_no, readable FROM ${staged}`);
  }
  if (!parts.length) {
    parts.push(
      "SELECT NULL::VARCHAR AS line, NULL::VARCHAR AS filename, NULL::BIGINT AS line_no, " +
        "NULL::BOOLEAN AS readable WHERE false",
    );
  }
  return { relation: parts.join(" UNION ALL "), unreadable, split: dirty.length };
}

/** Drops what `stageLines` made for `name`. */
export async function dropStaged(conn: DuckDBConnection, name: string): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${name}_staged`);
}

/**
 * The 1-based line number of row `l` of a lines table made from `stageLines` (`first`: the
 * smallest rowid of the row's file in that table).
 */
export function lineNumberSql(l: string, first: string): string {
  return `coalesce(${l}.line_no, ${l}.rowid - ${first} + 1)`;
}
