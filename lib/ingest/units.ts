/** Parsing the human units the command line takes: durations, rates, sizes. */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};
const RATE_UNITS: Record<string, number> = { s: 1, sec: 1, m: 1 / 60, min: 1 / 60, h: 1 / 3600 };

function bad(what: string, flag: string, value: string, example: string): Error {
  return new Error(`${flag}: "${value}" is not a ${what} (e.g. ${example})`);
}

/** Parses `90s`, `5m`, `1h`, `250ms` or a bare number of seconds into milliseconds. */
export function parseDuration(value: string, flag = "duration"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value);
  if (!m) throw bad("duration", flag, value, "60s, 5m, 1h");
  return Number(m[1]) * DURATION_UNITS[(m[2] ?? "s").toLowerCase()];
}

/** Parses `200/s`, `600/m` or a bare number (per second) into events per second. */
export function parseRate(value: string, flag = "rate"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min|h))?\s*$/i.exec(value);
  if (!m || Number(m[1]) <= 0) throw bad("rate", flag, value, "200/s");
  return Number(m[1]) * RATE_UNITS[(m[2] ?? "s").toLowerCase()];
}

/** Parses `16MiB`, `500kb`, `1000000` into bytes. */
export function parseSize(value: string, flag = "size"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(value);
  if (!m || Number(m[1]) <= 0) throw bad("size", flag, value, "16MiB");
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? "").toLowerCase()]);
}

/** Parses a positive whole number. */
export function parseCount(value: string, flag = "count"): number {
  if (!/^\s*\d+\s*$/.test(value)) throw bad("whole number", flag, value, "1000");
  return Number(value);
}
