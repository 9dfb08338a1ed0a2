/**
 * Writes the bundled sample (`sample/tweets/*.ndjson`): 2,400 events in the X API v2
 * filtered-stream shape over 24 hours, composed from this project's own texts
 * (`tools/sample-texts.ts`: ten topics in English, Spanish, German, French and Portuguese; no
 * real tweets), with replies, quotes and retweets (`referenced_tweets`), authors with follower
 * counts (`includes.users`), places on some posts (`geo.place_id` + `includes.places`), emojis,
 * hashtags, mentions and URLs, an outage in the afternoon, a few empty texts and three
 * malformed lines. Deterministic for a seed. Rerun with `deno run -A tools/make-sample.ts`.
 */
import { repoPath } from "../lib/config.ts";
import {
  EMOJIS,
  HASHTAGS,
  type Lang,
  PLACES,
  SLOTS,
  TEMPLATES,
  type Topic,
} from "./sample-texts.ts";

const SEED = 20261126;
/** Events in the bundled sample (malformed lines come on top). */
export const SAMPLE_EVENTS = 2_400;
/** Files the sample is split into (six hours each). */
export const SAMPLE_FILES = 4;
/** Milliseconds between two events: 2,400 events span 24 hours. */
const STEP_MS = 36_000;

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

const FIRST = [
  "ana",
  "ben",
  "chen",
  "dara",
  "eli",
  "fatima",
  "gus",
  "hana",
  "ivo",
  "jules",
  "kemal",
  "lea",
  "marta",
  "nico",
  "olu",
  "priya",
  "quinn",
  "rosa",
  "sven",
  "tomas",
];
const SECOND = ["data", "lake", "stream", "sql", "delta", "pipes", "ops", "bytes"];
const USERS = Array.from({ length: 160 }, (_, i) => {
  const next = rng(SEED + 1000 + i);
  const first = FIRST[i % FIRST.length];
  const username = `${first}_${SECOND[Math.floor(i / FIRST.length) % SECOND.length]}${
    i % 7 ? i : ""
  }`;
  // Follower counts spread over four orders of magnitude, a few accounts much larger.
  const followers = i % 53 === 0
    ? 150_000 + Math.floor(next() * 90_000)
    : Math.floor(Math.exp(2 + next() * 8));
  return {
    id: String(1_000_000 + i * 7919),
    username,
    name: `${first[0].toUpperCase()}${first.slice(1)} ${SECOND[i % SECOND.length].toUpperCase()}`,
    public_metrics: {
      followers_count: followers,
      following_count: Math.floor(next() * 900),
      tweet_count: Math.floor(next() * 20_000),
    },
  };
});
const RULES = [{ id: "1580000000000000001", tag: "delta lake tweets" }];
const LANGS: [Lang, number][] = [["en", 0.62], ["es", 0.12], ["de", 0.09], ["fr", 0.09], [
  "pt",
  0.08,
]];

/** An earlier post a reply, quote or retweet can point at. */
interface Original {
  id: string;
  text: string;
  lang: string;
  user: (typeof USERS)[number];
}

function pickLang(r: number): Lang {
  let acc = 0;
  for (const [l, p] of LANGS) {
    acc += p;
    if (r < acc) return l;
  }
  return "en";
}

/** Topic weights by hour of day: an outage between 14:00 and 16:00 UTC, talks in the morning. */
function topicWeight(topic: Topic, hour: number): number {
  if (topic === "outage" || topic === "sarcasm" || topic === "complaint") {
    return hour >= 14 && hour < 16 ? 6 : 1;
  }
  if (topic === "talk") return hour >= 8 && hour < 12 ? 3 : 1;
  return 1;
}

function fill(template: string, pick: <T>(xs: T[]) => T): string {
  return template.replace(/\{(\w+)\}/g, (_m, slot: string) => pick(SLOTS[slot] ?? [slot]));
}

/** Keeps the last originals for replies, quotes and retweets (per generator). */
function newHistory(): Original[] {
  return [];
}

function makeEvent(
  i: number,
  next: () => number,
  start: number,
  history: Original[],
): Record<string, unknown> {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  const createdMs = start + i * STEP_MS + Math.floor(next() * (STEP_MS - 1000));
  const hour = new Date(createdMs).getUTCHours();
  const id = String(1_860_000_000_000_000_000n + BigInt(i) * 7_777n);
  const user = pick(USERS);
  const r = next();
  const earlier = history.length ? history[Math.floor(next() * history.length)] : undefined;
  const kind = !earlier
    ? "post"
    : r < 0.08
    ? "retweet"
    : r < 0.18
    ? "reply"
    : r < 0.23
    ? "quote"
    : "post";
  let lang: string = kind === "retweet" ? earlier!.lang : pickLang(next());
  let text: string;
  let sentiment = "neutral";
  const entities: Record<string, unknown[]> = {};
  if (kind === "retweet") {
    const body = `RT @${earlier!.user.username}: ${earlier!.text}`;
    text = body.length > 140 ? `${body.slice(0, 139)}…` : body;
    entities.mentions = [{
      start: 3,
      end: 4 + earlier!.user.username.length,
      username: earlier!.user.username,
      id: earlier!.user.id,
    }];
  } else {
    const entries = TEMPLATES[lang as Lang];
    const weights = entries.map(([topic]) => topicWeight(topic, hour));
    let w = next() * weights.reduce((a, b) => a + b, 0);
    let k = 0;
    while (k < entries.length - 1 && (w -= weights[k]) > 0) k++;
    const [, template, feel] = entries[k];
    sentiment = feel;
    const parts: string[] = [];
    if (kind === "reply") parts.push(`@${earlier!.user.username}`);
    parts.push(fill(template, pick));
    if (next() < 0.45) parts.push(pick(EMOJIS[sentiment]));
    const tag = next() < 0.5 ? pick(HASHTAGS) : undefined;
    if (tag) parts.push(tag);
    if (kind === "quote") parts.push(`https://t.co/q${(i * 2654435761 % 99991).toString(36)}`);
    else if (next() < 0.12) parts.push(`https://example.com/post/${i}`);
    text = parts.join(" ");
    if (tag) {
      const s = text.indexOf(tag);
      entities.hashtags = [{ start: s, end: s + tag.length, tag: tag.slice(1) }];
    }
    if (kind === "reply") {
      const u = earlier!.user;
      entities.mentions = [{
        start: 0,
        end: u.username.length + 1,
        username: u.username,
        id: u.id,
      }];
    }
    const url = /https:\/\/\S+/.exec(text);
    if (url) {
      entities.urls = [{
        start: url.index,
        end: url.index + url[0].length,
        url: url[0],
        expanded_url: kind === "quote"
          ? `https://twitter.com/${earlier!.user.username}/status/${earlier!.id}`
          : url[0],
        display_url: url[0].slice(8),
      }];
    }
  }
  const empty = i % 480 === 13;
  if (empty) {
    text = "";
    lang = "zxx";
  }
  const place = kind !== "retweet" && !empty && next() < 0.15
    ? pick(PLACES[lang as Lang])
    : undefined;
  const data: Record<string, unknown> = {
    id,
    text,
    lang,
    author_id: user.id,
    created_at: new Date(createdMs).toISOString(),
    conversation_id: kind === "reply" ? earlier!.id : id,
    public_metrics: {
      retweet_count: Math.floor(next() ** 3 * 40),
      reply_count: Math.floor(next() ** 3 * 8),
      like_count: Math.floor(next() ** 2 * 120),
      quote_count: Math.floor(next() ** 4 * 4),
    },
  };
  if (kind !== "post") {
    const type = { retweet: "retweeted", reply: "replied_to", quote: "quoted" }[kind];
    data.referenced_tweets = [{ type, id: earlier!.id }];
    if (kind === "reply") data.in_reply_to_user_id = earlier!.user.id;
  }
  if (place) data.geo = { place_id: place.id };
  if (Object.keys(entities).length && !empty) data.entities = entities;
  if (kind !== "retweet" && !empty) {
    history.push({ id, text, lang, user });
    if (history.length > 300) history.shift();
  }
  const includes: Record<string, unknown> = { users: [user] };
  if (place) includes.places = [{ ...place, place_type: "city" }];
  return { data, includes, matching_rules: RULES };
}

/**
 * Generates `count` well-formed events as NDJSON lines (also used by the tests and benchmarks
 * to make inputs of any size); ids are unique for `i < 10^12`.
 */
export function makeEvents(count: number, seed = SEED, first = 0): string[] {
  const next = rng(seed + first);
  const start = Date.UTC(2026, 10, 20, 0, 0, 0);
  const history = newHistory();
  return Array.from(
    { length: count },
    (_, i) => JSON.stringify(makeEvent(first + i, next, start, history)),
  );
}

/** Builds the sample's files as `{ name, lines }` (six hours of events per file). */
export function buildSample(seed = SEED): { name: string; lines: string[] }[] {
  const lines = makeEvents(SAMPLE_EVENTS, seed);
  // A few malformed lines, as a real stream occasionally delivers: truncated JSON and garbage.
  lines.splice(157, 0, lines[156].slice(0, 40));
  lines.splice(1201, 0, "not json at all");
  lines.splice(2033, 0, '{"data": {"id": "broken", "text": "unterminated');
  const per = Math.ceil(lines.length / SAMPLE_FILES);
  return Array.from({ length: SAMPLE_FILES }, (_, f) => ({
    name: `sample-${String(f + 1).padStart(2, "0")}.ndjson`,
    lines: lines.slice(f * per, (f + 1) * per),
  }));
}

if (import.meta.main) {
  const dir = repoPath("sample/tweets");
  await Deno.mkdir(dir, { recursive: true });
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.endsWith(".ndjson")) Deno.removeSync(`${dir}/${e.name}`);
  }
  for (const file of buildSample()) {
    await Deno.writeTextFile(`${dir}/${file.name}`, file.lines.join("\n") + "\n");
  }
  console.log(`wrote ${SAMPLE_FILES} files to ${dir}`);
}
