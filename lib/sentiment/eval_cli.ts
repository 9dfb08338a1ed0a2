/** `deno task eval-sentiment <labeled.tsv>`: evaluate a sentiment model on a labeled file. */
import { progress } from "../progress.ts";
import { MODEL_FLAGS_HELP, parseModelArgs } from "./args.ts";
import { evaluate, formatEvaluation, readLabeledTsv } from "./eval.ts";
import { loadClassifier } from "./model.ts";

const HELP = `usage: deno task eval-sentiment <labeled.tsv> [flags]

Classifies every line of a labeled file (text<TAB>label, labels as words such as
negative/neutral/positive or as 0/1/2) and prints macro recall, accuracy,
recall per class and the confusion matrix.

${MODEL_FLAGS_HELP}
  --json               print the numbers as JSON
  --help               this text`;

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const a = parseModelArgs(args, { json: "boolean" });
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  if (a.positionals.length !== 1) {
    console.error(`expected one labeled file, got ${a.positionals.length}\n\n${HELP}`);
    return 2;
  }
  const file = a.positionals[0];
  const rows = await readLabeledTsv(file);
  const classifier = await loadClassifier({ model: a.model, dtype: a.dtype });
  try {
    const bar = progress("eval");
    const result = await evaluate(
      classifier,
      rows,
      a.batch,
      (n) => bar.update(`${n}/${rows.length}`),
    );
    bar.done();
    console.log(
      a.values.json
        ? JSON.stringify({ model: classifier.modelId, file, ...result })
        : formatEvaluation(result, classifier.modelId, file),
    );
  } finally {
    await classifier.dispose();
  }
  return 0;
}
