/**
 * A fast check that a line of UTF-8 bytes is exactly one JSON object (RFC 8259 grammar),
 * without decoding or building anything: several times faster than `JSON.parse`, so the
 * replay can count malformed events at full speed. Agrees with `JSON.parse` on valid
 * UTF-8 input (tests compare the two).
 */

const MAX_DEPTH = 512;
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
  }
  return false;
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
  if (depth > MAX_DEPTH) return false;
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
  if (depth > MAX_DEPTH) return false;
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

/** Whether `line` holds exactly one JSON object (surrounding whitespace allowed). */
export function isJsonObjectLine(line: Uint8Array): boolean {
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
