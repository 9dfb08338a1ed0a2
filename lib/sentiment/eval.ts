/**
 * Evaluation of a sentiment classifier on a labeled file (`text<TAB>label`):
 * macro recall (the SemEval-2017 headline metric), accuracy, per-class recall and
 * a confusion matrix.
 */
import { parseGoldLabel, SENTIMENT_LABELS, type SentimentLabel } from "./labels.ts";
import type { Classifier } from "./model.ts";

/** One labeled example. */
export interface LabeledRow {
  text: string;
  label: SentimentLabel;
}

/**
 * Parses a labeled TSV: one `text<TAB>label` per line (the label is the last
 * tab-separated field, so texts may hold tabs), labels as words or `0/1/2`. The
 * SemEval layout `id<TAB>label<TAB>text` is read too (when the last field is not a
 * label but the second is). Blank lines are skipped, and so is a first line without
 * a label (a header). Any other bad line is an error naming `source` and the line.
 */
export function parseLabeledTsv(content: string, source = "<input>"): LabeledRow[] {
  const rows: LabeledRow[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/\t+$/, "");
    if (line.trim() === "") return;
    const fields = line.split("\t");
    const where = `${source}:${i + 1}`;
    if (fields.length < 2) throw new Error(`${where}: expected "text<TAB>label", found no tab`);
    let label = parseGoldLabel(fields[fields.length - 1]);
    let text = fields.slice(0, -1).join("\t");
    if (!label && fields.length >= 3 && parseGoldLabel(fields[1])) {
      label = parseGoldLabel(fields[1]);
      text = fields.slice(2).join("\t");
    }
    if (!label) {
      if (rows.length === 0 && i === 0) return; // header
      throw new Error(
        `${where}: unknown label "${fields[fields.length - 1]}" ` +
          `(expected negative/neutral/positive or 0/1/2)`,
      );
    }
    rows.push({ text, label });
  });
  if (rows.length === 0) throw new Error(`${source}: no labeled rows`);
  return rows;
}

/** Reads and parses a labeled TSV file (see {@link parseLabeledTsv}). */
export async function readLabeledTsv(path: string): Promise<LabeledRow[]> {
  let content: string;
  try {
    content = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`cannot read labeled file ${path}: ${e instanceof Error ? e.message : e}`);
  }
  return parseLabeledTsv(content, path);
}

/** Evaluation results. */
export interface Evaluation {
  /** Number of examples. */
  n: number;
  /** Mean of per-class recall over the classes present in the gold labels. */
  macroRecall: number;
  /** Share of examples labeled correctly. */
  accuracy: number;
  /** Recall of each class; null for a class absent from the gold labels. */
  perClassRecall: Record<SentimentLabel, number | null>;
  /** `confusion[gold][predicted]` counts. */
  confusion: Record<SentimentLabel, Record<SentimentLabel, number>>;
}

/** Computes the metrics from gold and predicted labels (same order, same length). */
export function scorePredictions(gold: SentimentLabel[], predicted: SentimentLabel[]): Evaluation {
  if (gold.length !== predicted.length) {
    throw new Error(`${gold.length} gold labels but ${predicted.length} predictions`);
  }
  const zeros = () =>
    Object.fromEntries(SENTIMENT_LABELS.map((l) => [l, 0])) as Record<SentimentLabel, number>;
  const confusion = Object.fromEntries(SENTIMENT_LABELS.map((l) => [l, zeros()])) as Record<
    SentimentLabel,
    Record<SentimentLabel, number>
  >;
  gold.forEach((g, i) => confusion[g][predicted[i]]++);
  const perClassRecall = {} as Record<SentimentLabel, number | null>;
  const present: number[] = [];
  let correct = 0;
  for (const l of SENTIMENT_LABELS) {
    const support = SENTIMENT_LABELS.reduce((s, p) => s + confusion[l][p], 0);
    correct += confusion[l][l];
    perClassRecall[l] = support ? confusion[l][l] / support : null;
    if (support) present.push(confusion[l][l] / support);
  }
  return {
    n: gold.length,
    macroRecall: present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0,
    accuracy: gold.length ? correct / gold.length : 0,
    perClassRecall,
    confusion,
  };
}

/** Classifies every row's text with `classifier` and scores the predictions. */
export async function evaluate(
  classifier: Classifier,
  rows: LabeledRow[],
  batchSize = 32,
  onProgress?: (done: number) => void,
): Promise<Evaluation> {
  const preds = await classifier.classify(rows.map((r) => r.text), batchSize, onProgress);
  return scorePredictions(rows.map((r) => r.label), preds.map((p) => p.label));
}

const pct = (x: number | null) => (x === null ? "   n/a" : `${(x * 100).toFixed(1).padStart(5)}%`);

/** Renders an evaluation as the plain-text report the eval command prints. */
export function formatEvaluation(e: Evaluation, model: string, source: string): string {
  const w = Math.max(...SENTIMENT_LABELS.map((l) => l.length));
  const lines = [
    `model ${model} on ${source} (${e.n} examples)`,
    `macro recall  ${pct(e.macroRecall)}`,
    `accuracy      ${pct(e.accuracy)}`,
    "",
    "recall per class",
    ...SENTIMENT_LABELS.map((l) => `  ${l.padEnd(w)}  ${pct(e.perClassRecall[l])}`),
    "",
    `confusion (rows: gold, columns: predicted)`,
    `  ${"".padEnd(w)}  ${SENTIMENT_LABELS.map((l) => l.padStart(w)).join("  ")}`,
    ...SENTIMENT_LABELS.map((g) =>
      `  ${g.padEnd(w)}  ${
        SENTIMENT_LABELS.map((p) => String(e.confusion[g][p]).padStart(w)).join("  ")
      }`
    ),
  ];
  return lines.join("\n");
}
