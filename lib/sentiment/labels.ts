/**
 * Sentiment labels: the three tweetlake uses, and the normalisation of the labels
 * that common hub models emit (`LABEL_0..2`, `NEG/NEU/POS`, `NEGATIVE/POSITIVE`,
 * `1 star..5 stars`) and that labeled files use (words or `0/1/2`).
 */

/** The normalised labels, in class-index order (TweetEval / SemEval convention). */
export const SENTIMENT_LABELS = ["negative", "neutral", "positive"] as const;

/** One of `negative | neutral | positive`. */
export type SentimentLabel = typeof SENTIMENT_LABELS[number];

const WORDS: Record<string, SentimentLabel> = {
  negative: "negative",
  neg: "negative",
  neutral: "neutral",
  neu: "neutral",
  positive: "positive",
  pos: "positive",
  "1 star": "negative",
  "2 stars": "negative",
  "3 stars": "neutral",
  "4 stars": "positive",
  "5 stars": "positive",
};

/** Class index to label: 2 classes → negative/positive (SST-2), else negative/neutral/positive. */
function fromIndex(index: number, classes: number): SentimentLabel | undefined {
  if (classes === 2) return index === 0 ? "negative" : index === 1 ? "positive" : undefined;
  return SENTIMENT_LABELS[index];
}

/**
 * Maps a model's raw label to `negative | neutral | positive`.
 *
 * Words are matched case-insensitively (`POSITIVE`, `Neg`, `neu`, `4 stars`). A bare
 * index label (`LABEL_2`) is first looked up in `id2label` (a model config's map,
 * when it names the classes); otherwise it is read by convention: with two classes
 * 0 = negative, 1 = positive, else 0 = negative, 1 = neutral, 2 = positive.
 * Throws, naming the label, when it can't be mapped.
 */
export function normaliseLabel(
  raw: string,
  id2label?: Record<string | number, string>,
): SentimentLabel {
  const word = WORDS[raw.trim().toLowerCase()];
  if (word) return word;
  const m = /^label_(\d+)$/i.exec(raw.trim());
  if (m) {
    const index = Number(m[1]);
    const named = id2label?.[index];
    if (named !== undefined && !/^label_\d+$/i.test(named.trim())) {
      return normaliseLabel(named, undefined);
    }
    const classes = id2label ? Object.keys(id2label).length : 3;
    const label = fromIndex(index, classes);
    if (label) return label;
  }
  throw new Error(
    `unknown sentiment label "${raw}": expected one of negative/neutral/positive, ` +
      `NEG/NEU/POS, POSITIVE/NEGATIVE, LABEL_0..2 or "1 star".."5 stars"`,
  );
}

/**
 * Parses the label column of a labeled file: a word (`negative`, `Neutral`, `POS`, …)
 * or an index `0/1/2` (negative/neutral/positive). Returns undefined when it is
 * neither, so the caller can report the file and line.
 */
export function parseGoldLabel(value: string): SentimentLabel | undefined {
  const v = value.trim().toLowerCase();
  if (/^[012]$/.test(v)) return SENTIMENT_LABELS[Number(v)];
  return WORDS[v];
}
