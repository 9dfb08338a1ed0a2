/**
 * Word clouds of post texts: words counted after stop words, URLs, mentions, numbers and
 * emoji are removed (hashtags are kept), laid out by `d3-cloud` with `@napi-rs/canvas`
 * measuring the text (prebuilt, works offline), and drawn as an inline `<svg>`.
 * The layout is deterministic: d3-cloud's random source is a seeded generator.
 */
import { createCanvas } from "@napi-rs/canvas";
import d3Cloud from "d3-cloud";
import { emptyChart } from "./empty.ts";
import { escapeHtml } from "./table.ts";

/** Stop words (English, Spanish, German, French, Portuguese) and stream noise (`rt`, `amp`). */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again all also am an and any are as at be because been before being " +
    "both but by can could did do does doing done down during each even ever every few for from " +
    "get got had has have having he her here hers him his how i if in into is it its itself " +
    "just let like me more most my no nor not now of off on once one only or other our ours out " +
    "over own same she should so some such than that the their theirs them then there these they " +
    "this those through to too under until up us very was way we were what when where which " +
    "while who whom why will with would you your yours yourself really still again already " +
    "im i'm it's don't can't let's that's there's what's rt amp via " +
    // es
    "el la los las un una unos unas de del al y o que en es por para con sin se su sus lo le " +
    "les mi me te ya muy más pero como otra otro está este esta esto qué alguien sobre " +
    // de
    "der die das den dem des ein eine einen einem und oder ist im in mit von zu auf für bei " +
    "nach aus es ich du wir ihr sie nicht schon wieder sehr genau so um am auch jemand " +
    // fr
    "le la les un une des du de et ou est en dans pour par avec sur pas plus ce cette ces " +
    "je tu il elle nous vous ils mon ma mes son sa ses qui que quelqu'un c'est l'on à " +
    // pt
    "o a os as um uma uns umas de do da dos das e ou que em no na nos nas por para com " +
    "sem se seu sua meu minha é foi bem às também"
  ).split(/\s+/),
);

/** Word counts of `texts`, most frequent first (ties alphabetically), at most `limit`. */
export function wordCounts(texts: string[], limit = 60): { word: string; count: number }[] {
  const counts = new Map<string, number>();
  const shown = new Map<string, string>();
  for (const text of texts) {
    const clean = text
      .replace(/https?:\/\/\S+/g, " ")
      .replace(/(^|\s)@\w+/g, " ")
      .replace(/^RT\b/, " ");
    for (const m of clean.matchAll(/#?[\p{L}][\p{L}\p{N}'’_-]*/gu)) {
      const raw = m[0].replace(/['’_-]+$/, "");
      const key = raw.toLowerCase();
      if (key.length < 3 && !key.startsWith("#")) continue;
      if (STOP_WORDS.has(key)) continue;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (!shown.has(key) || raw.startsWith("#")) shown.set(key, raw);
    }
  }
  return [...counts]
    .map(([k, count]) => ({ word: shown.get(k)!, count }))
    .sort((a, b) => b.count - a.count || a.word.localeCompare(b.word))
    .slice(0, limit);
}

/** A placed word of a cloud. */
export interface PlacedWord {
  text: string;
  size: number;
  x: number;
  y: number;
  rotate: number;
  count: number;
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FONT = "DejaVu Sans";

/** A word as d3-cloud takes it and hands it back placed. */
interface CloudWord {
  text: string;
  size: number;
  x?: number;
  y?: number;
  rotate?: number;
}

/** The part of d3-cloud's layout used here (the package ships no types). */
interface CloudLayout {
  size(s: [number, number]): CloudLayout;
  canvas(f: () => unknown): CloudLayout;
  words(w: CloudWord[]): CloudLayout;
  padding(p: number): CloudLayout;
  rotate(f: () => number): CloudLayout;
  font(f: string): CloudLayout;
  fontSize(f: (d: CloudWord) => number): CloudLayout;
  random(f: () => number): CloudLayout;
  timeInterval(t: number): CloudLayout;
  on(event: "end", f: (words: CloudWord[]) => void): CloudLayout;
  start(): CloudLayout;
  stop(): CloudLayout;
}

const cloud = d3Cloud as unknown as () => CloudLayout;

/** Lays the words out (synchronously); words that do not fit are left out. */
export function layoutWords(
  words: { word: string; count: number }[],
  options: { width?: number; height?: number; seed?: number } = {},
): PlacedWord[] {
  const width = options.width ?? 640;
  const height = options.height ?? 320;
  if (!words.length) return [];
  const max = Math.max(...words.map((w) => w.count));
  const min = Math.min(...words.map((w) => w.count));
  const size = (c: number) => max === min ? 30 : 13 + 37 * Math.sqrt((c - min) / (max - min));
  let placed: PlacedWord[] = [];
  const counts = new Map(words.map((w) => [w.word, w.count]));
  const layout = cloud()
    .size([width, height])
    .canvas(() => createCanvas(1, 1))
    .words(words.map((w) => ({ text: w.word, size: size(w.count) })))
    .padding(3)
    .rotate(() => 0)
    .font(FONT)
    .fontSize((d) => d.size)
    .random(seeded(options.seed ?? 7))
    .timeInterval(Infinity)
    .on("end", (out) => {
      placed = out.map((d) => ({
        text: d.text,
        size: d.size,
        x: d.x ?? 0,
        y: d.y ?? 0,
        rotate: d.rotate ?? 0,
        count: counts.get(d.text) ?? 0,
      }));
    });
  layout.start();
  layout.stop();
  return placed;
}

/**
 * A word cloud of `texts` as an `<svg>` (words coloured `color`, size by count, a tooltip with
 * the count); an empty state when no word is left.
 */
export function wordCloud(
  texts: string[],
  options: { width?: number; height?: number; color?: string; limit?: number; empty?: string } = {},
): string {
  const width = options.width ?? 640;
  const height = options.height ?? 320;
  const placed = layoutWords(wordCounts(texts, options.limit ?? 60), { width, height });
  if (!placed.length) return emptyChart(options.empty ?? "No words to show: no posts yet.");
  const color = options.color ?? "#4269d0";
  const words = placed.map((w) =>
    `<text class="tl-word" text-anchor="middle" font-size="${w.size.toFixed(1)}" ` +
    `transform="translate(${(w.x + width / 2).toFixed(1)},${(w.y + height / 2).toFixed(1)})` +
    `${w.rotate ? ` rotate(${w.rotate})` : ""}" fill="${color}" ` +
    `fill-opacity="${(0.55 + 0.45 * (w.size / 50)).toFixed(2)}">${escapeHtml(w.text)}` +
    `<title>${escapeHtml(`${w.text}: ${w.count}`)}</title></text>`
  );
  return `<svg class="tl-wordcloud" xmlns="http://www.w3.org/2000/svg" width="${width}" ` +
    `height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}, sans-serif" ` +
    `role="img" aria-label="word cloud">${words.join("")}</svg>`;
}
