/**
 * Secrets (X bearer token, S3 keys) come from the environment or a `.env` file
 * in the working directory or the repository root. They are never logged.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./config.ts";

let dotenv: Record<string, string> | undefined;

/** Parses `KEY=value` lines (optional quotes, `#` comments, `export ` prefix). */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2].trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1]] = value;
  }
  return out;
}

function loadDotenv(): Record<string, string> {
  if (dotenv) return dotenv;
  dotenv = {};
  for (const dir of [REPO_ROOT, Deno.cwd()]) {
    const file = join(dir, ".env");
    if (existsSync(file)) Object.assign(dotenv, parseDotenv(readFileSync(file, "utf8")));
  }
  return dotenv;
}

/** The first of `names` set in the environment, else in `.env`; undefined if none. */
export function secret(...names: string[]): string | undefined {
  for (const name of names) {
    const v = Deno.env.get(name);
    if (v) return v;
  }
  const file = loadDotenv();
  for (const name of names) if (file[name]) return file[name];
  return undefined;
}
