/** Event lines: the fast JSON-object check agrees with JSON.parse; splitting keeps every event. */
import assert from "node:assert/strict";
import { isJsonObjectLine } from "../lib/ingest/json_check.ts";
import { MAX_JSON_DEPTH } from "../lib/ingest/limits.ts";
import { isJsonObject, LineSplitter, splitLines } from "../lib/ingest/lines.ts";
import { makeEvents } from "../tools/make-sample.ts";

const enc = new TextEncoder();

/** A small deterministic PRNG for the mutations. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("ingest lines: the fast check agrees with JSON.parse on events, cuts and mutations", () => {
  const cases = [
    "{}",
    " { } ",
    '{"a":[1,2.5,-0.1e+3,true,false,null,{"b":"\\u00e9\\n\\"x\\""}]}',
    "[]",
    '"str"',
    "12",
    "null",
    '{"a":1}{"b":2}',
    '{"a":01}',
    '{"a":1.}',
    '{"a":-}',
    '{"a":1,}',
    '{"a" 1}',
    '{"a":"\t"}',
    '{"a":"\\x"}',
    '{"a":"\\u12G4"}',
    '{"a":tru}',
    '{"a":[1,]}',
    "{",
    "",
    "not json at all",
  ];
  const next = rng(1);
  const symbols = ['"', "{", "}", "[", "]", ",", ":", "\\", "0", "e", "-", ".", " ", "a"];
  for (const e of makeEvents(40, 3, 0)) {
    cases.push(e);
    for (let k = 0; k < 20; k++) cases.push(e.slice(0, Math.floor(next() * e.length)));
    for (let k = 0; k < 20; k++) {
      const at = Math.floor(next() * e.length);
      const sym = symbols[Math.floor(next() * symbols.length)];
      cases.push(e.slice(0, at) + sym + e.slice(at + 1));
    }
  }
  let bad = 0;
  for (const c of cases) {
    const expected = isJsonObject(c);
    if (!expected) bad++;
    assert.equal(isJsonObjectLine(enc.encode(c)), expected, `disagrees on: ${c}`);
  }
  assert.ok(bad > 400, "the cases include many malformed lines");
  const deep = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + "1" + "}".repeat(MAX_JSON_DEPTH + 1);
  assert.equal(isJsonObjectLine(enc.encode(deep)), false, "nesting is bounded");
});

Deno.test("ingest lines: splitLines drops CR and blank lines, reports the unterminated rest", () => {
  const buf = enc.encode('{"a":1}\r\n\n  \n{"b":2}\n{"c"');
  const { lines, rest } = splitLines(buf);
  assert.deepEqual(lines.map((l) => new TextDecoder().decode(l)), ['{"a":1}', '{"b":2}']);
  assert.equal(new TextDecoder().decode(buf.subarray(rest)), '{"c"');
});

Deno.test("ingest lines: LineSplitter rebuilds events from arbitrary pieces", () => {
  const events = makeEvents(5, 4, 0);
  const stream = events.map((e) => e + "\r\n").join("\r\n");
  const s = new LineSplitter();
  const out: string[] = [];
  for (let i = 0; i < stream.length; i += 13) out.push(...s.push(stream.slice(i, i + 13)));
  assert.deepEqual(out, events);
  s.push('{"partial":');
  assert.equal(s.flush(), '{"partial":');
  assert.equal(s.flush(), undefined);
});
