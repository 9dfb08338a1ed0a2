/** Splitting input into events (lines) and telling well-formed events from malformed ones. */

const encoder = new TextEncoder();
const NL = 10;
const CR = 13;
const SPACE = 32;

/** Whether `text` is a JSON object (what every source delivers when nothing went wrong). */
export function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** UTF-8 bytes of a string event. */
export function encodeLine(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Whether a line holds nothing but whitespace (such lines are separators, not events). */
export function isBlank(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) if (line[i] > SPACE) return false;
  return true;
}

/**
 * Splits `buf` into lines (views, no copies), dropping a trailing `\r` and blank lines.
 * Returns the lines and the offset where an unterminated last line starts.
 */
export function splitLines(buf: Uint8Array): { lines: Uint8Array[]; rest: number } {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    const end = buf.indexOf(NL, start);
    if (end < 0) break;
    const stop = end > start && buf[end - 1] === CR ? end - 1 : end;
    const line = buf.subarray(start, stop);
    if (!isBlank(line)) lines.push(line);
    start = end + 1;
  }
  return { lines, rest: start };
}

/** The events (non-blank lines) of a file; an unterminated last line counts too. */
export function readLines(buf: Uint8Array): Uint8Array[] {
  const { lines, rest } = splitLines(buf);
  let tail = buf.subarray(rest);
  if (tail.length && tail[tail.length - 1] === CR) tail = tail.subarray(0, -1);
  if (!isBlank(tail)) lines.push(tail);
  return lines;
}

/**
 * Incremental splitter for a text stream whose events end with `\r\n` (X) or `\n`:
 * `push` returns the complete events so far; `flush` returns what is left, if anything.
 */
export class LineSplitter {
  #pending = "";

  /** Adds a piece of the stream; returns the events it completed (blank lines skipped). */
  push(text: string): string[] {
    const all = this.#pending + text;
    const parts = all.split("\n");
    this.#pending = parts.pop() ?? "";
    const out: string[] = [];
    for (const p of parts) {
      const line = p.endsWith("\r") ? p.slice(0, -1) : p;
      if (line.trim()) out.push(line);
    }
    return out;
  }

  /** Returns and forgets an unterminated last event (e.g. after a dropped connection). */
  flush(): string | undefined {
    const rest = this.#pending;
    this.#pending = "";
    return rest.trim() ? rest : undefined;
  }
}
