/** `deno task sentiment`: score new silver rows into the gold sentiment table. */
import { UsageError } from "../usage.ts";
import { DEFAULTS } from "../config.ts";
import { progress } from "../progress.ts";
import { MODEL_FLAGS_HELP, parseModelArgs } from "./args.ts";
import { scoreNew } from "./score.ts";

const HELP = `usage: deno task sentiment [flags]

Scores the silver rows not yet scored by the model (all of them with --rescore)
and writes id, label, score, model, scored_at to the gold sentiment table.
Rows with empty text are skipped. The model key stored is <model>@<dtype>.

${MODEL_FLAGS_HELP}
  --rescore            score every row again with this model
  --db <file>          DuckDB file (default ${DEFAULTS.db})
  --help               this text`;

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const a = parseModelArgs(args, { rescore: "boolean", db: "string" });
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  if (a.positionals.length) throw new UsageError(`unexpected argument ${a.positionals[0]}`);
  const bar = progress("sentiment");
  const result = await scoreNew({
    db: (a.values.db as string | undefined) ?? DEFAULTS.db,
    model: a.model,
    dtype: a.dtype,
    batchSize: a.batch,
    rescore: a.values.rescore === true,
    onProgress: (p) => bar.update(`${p.done}/${p.total} rows, ${p.rate.toFixed(0)} rows/s`),
  });
  bar.done();
  const counts = Object.entries(result.labels).map(([l, n]) => `${l} ${n}`).join(", ");
  console.log(
    `scored ${result.scored} rows with ${result.model} in ${result.seconds.toFixed(1)} s` +
      (result.scored ? ` (${counts})` : " (nothing new)") +
      (result.skipped ? `; ${result.skipped} rows with empty text skipped` : ""),
  );
  return 0;
}
