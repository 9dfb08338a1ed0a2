/**
 * Writes the bundled sample (`sample/tweets/*.ndjson`): a few hundred events in
 * the X API v2 filtered-stream shape, composed from this project's own phrases
 * (no real tweets), deterministic for a seed. Rerun with `deno run -A tools/make-sample.ts`.
 */
import { repoPath } from "../lib/config.ts";

const SEED = 20261126;
const EVENTS = 420;
const FILES = 3;

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PHRASES: Record<string, Record<"positive" | "negative" | "neutral", string[]>> = {
  en: {
    positive: [
      "I love how fast the new lakehouse demo runs",
      "Best conference talk I have seen this year, thank you",
      "This streaming pipeline is amazing, great work team",
      "So happy with the results of our data migration",
      "What a beautiful dashboard, really impressed",
      "Delta Live Tables made my weekend, loving it",
    ],
    negative: [
      "Worst outage ever, the cluster crashed again",
      "I hate waiting an hour for a notebook to start",
      "This release broke everything, really disappointed",
      "Terrible support experience, never again",
      "So frustrated with flaky jobs today",
      "The new pricing is awful and confusing",
    ],
    neutral: [
      "The meetup starts at 6pm in the main hall",
      "Version 2.3 of the connector was published today",
      "Reading the documentation on streaming tables",
      "Our team is moving the pipeline to a new workspace",
      "The webinar about data quality is on Thursday",
      "Notes from the session on incremental ingestion",
    ],
  },
  es: {
    positive: [
      "Me encanta esta demo de streaming, increíble",
      "Qué buena charla sobre datos, gracias a todos",
      "Muy feliz con el nuevo pipeline",
    ],
    negative: [
      "El servicio es horrible, otra vez caído",
      "Odio cuando el cluster tarda tanto",
      "Qué decepción con esta actualización",
    ],
    neutral: [
      "La reunión empieza a las diez",
      "Publicaron la versión nueva del conector",
      "Leyendo la documentación de tablas en streaming",
    ],
  },
  de: {
    positive: [
      "Ich liebe diese Demo, wirklich großartig",
      "Super Vortrag über Datenqualität, danke",
      "Sehr zufrieden mit der neuen Pipeline",
    ],
    negative: [
      "Schon wieder ein Ausfall, furchtbar",
      "Ich hasse es, so lange zu warten",
      "Das Update ist eine große Enttäuschung",
    ],
    neutral: [
      "Das Treffen beginnt um neun Uhr",
      "Die neue Version des Connectors ist erschienen",
      "Ich lese gerade die Dokumentation",
    ],
  },
  fr: {
    positive: ["J'adore cette démo, génial"],
    negative: ["Encore une panne, c'est nul"],
    neutral: ["La réunion commence à midi"],
  },
};

const HASHTAGS = ["#DeltaLake", "#dataengineering", "#streaming", "#DLT", "#lakehouse", "#duckdb"];
const EMOJIS: Record<string, string[]> = {
  positive: ["😍", "🎉", "🚀", "❤️", "👏"],
  negative: ["😡", "😞", "💔", "🙄"],
  neutral: ["📅", "📌", "🔗", ""],
};
const USERS = Array.from({ length: 40 }, (_, i) => ({
  id: String(1_000_000 + i * 7919),
  username: `user_${i.toString(36)}_${(i * 37) % 100}`,
  name: `Sample User ${i}`,
}));
const RULES = [{ id: "1580000000000000001", tag: "delta lake tweets" }];

function makeEvent(i: number, next: () => number, start: number): Record<string, unknown> {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  const r = next();
  const lang = r < 0.6 ? "en" : r < 0.78 ? "es" : r < 0.93 ? "de" : "fr";
  const sentiment = pick(["positive", "negative", "neutral"] as const);
  const user = pick(USERS);
  const mention = next() < 0.3 ? pick(USERS) : undefined;
  const tag = next() < 0.5 ? pick(HASHTAGS) : undefined;
  const url = next() < 0.2 ? `https://example.com/post/${i}` : undefined;
  const emoji = pick(EMOJIS[sentiment]);
  const empty = i % 97 === 13;
  const parts = [
    mention ? `@${mention.username}` : "",
    pick(PHRASES[lang][sentiment]),
    emoji,
    tag ?? "",
    url ?? "",
  ].filter(Boolean);
  const text = empty ? "" : parts.join(" ");
  const createdAt = new Date(start + i * 43_000 + Math.floor(next() * 20_000)).toISOString();
  const id = String(1_860_000_000_000_000_000n + BigInt(i) * 7_777n);
  const entities: Record<string, unknown> = {};
  if (tag) {
    const s = text.indexOf(tag);
    entities.hashtags = [{ start: s, end: s + tag.length, tag: tag.slice(1) }];
  }
  if (mention) {
    entities.mentions = [{
      start: 0,
      end: mention.username.length + 1,
      username: mention.username,
      id: mention.id,
    }];
  }
  if (url) {
    const s = text.indexOf(url);
    entities.urls = [{
      start: s,
      end: s + url.length,
      url,
      expanded_url: url,
      display_url: url.slice(8),
    }];
  }
  return {
    data: {
      id,
      text,
      lang: empty ? "zxx" : lang,
      author_id: user.id,
      created_at: createdAt,
      conversation_id: id,
      public_metrics: {
        retweet_count: Math.floor(next() * 20),
        reply_count: Math.floor(next() * 5),
        like_count: Math.floor(next() * 100),
        quote_count: Math.floor(next() * 3),
      },
      ...(Object.keys(entities).length ? { entities } : {}),
    },
    includes: { users: [user] },
    matching_rules: RULES,
  };
}

/**
 * Generates `count` well-formed events as NDJSON lines (also used by the benchmarks
 * to make large inputs); ids are unique for `i < 10^12`.
 */
export function makeEvents(count: number, seed = SEED, first = 0): string[] {
  const next = rng(seed + first);
  const start = Date.UTC(2026, 10, 20, 9, 0, 0);
  return Array.from({ length: count }, (_, i) => JSON.stringify(makeEvent(first + i, next, start)));
}

/** Builds the sample's files as `{ name, lines }`. */
export function buildSample(seed = SEED): { name: string; lines: string[] }[] {
  const lines = makeEvents(EVENTS, seed);
  // A few malformed lines, as a real stream occasionally delivers: truncated JSON and garbage.
  lines.splice(57, 0, lines[56].slice(0, 40));
  lines.splice(201, 0, "not json at all");
  lines.splice(333, 0, '{"data": {"id": "broken", "text": "unterminated');
  const per = Math.ceil(lines.length / FILES);
  return Array.from({ length: FILES }, (_, f) => ({
    name: `sample-${String(f + 1).padStart(2, "0")}.ndjson`,
    lines: lines.slice(f * per, (f + 1) * per),
  }));
}

if (import.meta.main) {
  const dir = repoPath("sample/tweets");
  await Deno.mkdir(dir, { recursive: true });
  for (const file of buildSample()) {
    await Deno.writeTextFile(`${dir}/${file.name}`, file.lines.join("\n") + "\n");
  }
  console.log(`wrote ${FILES} files to ${dir}`);
}
