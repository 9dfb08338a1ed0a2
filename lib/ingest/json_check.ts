/**
 * A fast check that a line of bytes is exactly one readable JSON object: RFC 8259 grammar,
 * valid UTF-8, within the limits of `limits.ts` (nesting depth, line size). It decodes and
 * builds nothing: several times faster than `JSON.parse`, so ingest can count malformed
 * events at full speed. Agrees with `JSON.parse` on valid UTF-8 input within the limits
 * (tests compare the two).
 */
import { MAX_JSON_DEPTH, MAX_LINE_BYTES } from "./limits.ts";

/** Why a line can't be read at all, for messages and counters. */
export type UnreadableReason = "invalid-utf8" | "too-deep" | "too-long";

let tooDeep = false;
let buf: Uint8Array = new Uint8Array(0);
let pos = 0;
let end = 0;

function skipWs(): void {
  while (pos < end) {
    const c = buf[pos];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
    else return;
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function string(): boolean {
  pos++; // opening quote
  while (pos < end) {
    const c = buf[pos++];
    if (c === 0x22) return true;
    if (c === 0x5c) {
      const e = buf[pos++];
      if (e === 0x75) {
        if (pos + 4 > end) return false;
        if (
          !isHex(buf[pos]) || !isHex(buf[pos + 1]) || !isHex(buf[pos + 2]) || !isHex(buf[pos + 3])
        ) {
          return false;
        }
        pos += 4;
      } else if (
        e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e &&
        e !== 0x72 && e !== 0x74
      ) return false;
    } else if (c < 0x20) return false;
    else if (c >= 0x80 && !utf8Tail(c)) return false;
  }
  return false;
}

/** Checks the rest of a UTF-8 sequence whose lead byte `c` was just read (no overlongs, no surrogates). */
function utf8Tail(c: number): boolean {
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    if (c === 0xe0) lo = 0xa0;
    if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f;
  } else return false;
  if (pos + need > end) return false;
  const first = buf[pos];
  if (first < lo || first > hi) return false;
  for (let i = 1; i < need; i++) if ((buf[pos + i] & 0xc0) !== 0x80) return false;
  pos += need;
  return true;
}

/** Whether every byte of `line` is part of a valid UTF-8 sequence. */
export function isValidUtf8(line: Uint8Array): boolean {
  buf = line;
  end = line.length;
  pos = 0;
  let ok = true;
  while (pos < end) {
    const c = buf[pos++];
    if (c >= 0x80 && !utf8Tail(c)) {
      ok = false;
      break;
    }
  }
  buf = new Uint8Array(0);
  return ok;
}

function digits(): boolean {
  const start = pos;
  while (pos < end && buf[pos] >= 0x30 && buf[pos] <= 0x39) pos++;
  return pos > start;
}

function number(): boolean {
  if (buf[pos] === 0x2d) pos++;
  if (buf[pos] === 0x30) pos++;
  else if (!(buf[pos] >= 0x31 && buf[pos] <= 0x39) || !digits()) return false;
  if (buf[pos] === 0x2e) {
    pos++;
    if (!digits()) return false;
  }
  if (buf[pos] === 0x65 || buf[pos] === 0x45) {
    pos++;
    if (buf[pos] === 0x2b || buf[pos] === 0x2d) pos++;
    if (!digits()) return false;
  }
  return true;
}

function literal(word: string): boolean {
  if (pos + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (buf[pos + i] !== word.charCodeAt(i)) return false;
  pos += word.length;
  return true;
}

function value(depth: number): boolean {
  skipWs();
  if (pos >= end) return false;
  switch (buf[pos]) {
    case 0x7b:
      return object(depth + 1);
    case 0x5b:
      return array(depth + 1);
    case 0x22:
      return string();
    case 0x74:
      return literal("true");
    case 0x66:
      return literal("false");
    case 0x6e:
      return literal("null");
    default:
      return number();
  }
}

function object(depth: number): boolean {
  if (depth > MAX_JSON_DEPTH) {
    tooDeep = true;
    return false;
  }
  pos++;
  skipWs();
  if (buf[pos] === 0x7d) {
    pos++;
    return true;
  }
  for (;;) {
    skipWs();
    if (buf[pos] !== 0x22 || !string()) return false;
    skipWs();
    if (buf[pos] !== 0x3a) return false;
    pos++;
    if (!value(depth)) return false;
    skipWs();
    const c = buf[pos++];
    if (c === 0x7d) return true;
    if (c !== 0x2c) return false;
  }
}

function array(depth: number): boolean {
  if (depth > MAX_JSON_DEPTH) {
    tooDeep = true;
    return false;
  }
  pos++;
  skipWs();
  if (buf[pos] === 0x5d) {
    pos++;
    return true;
  }
  for (;;) {
    if (!value(depth)) return false;
    skipWs();
    const c = buf[pos++];
    if (c === 0x5d) return true;
    if (c !== 0x2c) return false;
  }
}

/**
 * Whether `line` holds exactly one readable JSON object (surrounding whitespace allowed):
 * well-formed, valid UTF-8, at most `MAX_LINE_BYTES` long and `MAX_JSON_DEPTH` deep.
 */
export function isJsonObjectLine(line: Uint8Array): boolean {
  if (line.length > MAX_LINE_BYTES) return false;
  buf = line;
  pos = 0;
  end = line.length;
  skipWs();
  const ok = buf[pos] === 0x7b && object(1);
  if (ok) skipWs();
  const result = ok && pos === end;
  buf = new Uint8Array(0);
  return result;
}

/**
 * Why `line` can't be read at all (too long, invalid UTF-8, nested too deep), or undefined
 * when it can (it may still be malformed JSON, which the dataflow rescues as text).
 */
export function unreadableReason(line: Uint8Array): UnreadableReason | undefined {
  if (line.length > MAX_LINE_BYTES) return "too-long";
  if (!isValidUtf8(line)) return "invalid-utf8";
  tooDeep = false;
  isJsonObjectLine(line);
  const deep = tooDeep;
  tooDeep = false;
  return deep ? "too-deep" : undefined;
}
