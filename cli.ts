/**
 * The one command-line entry: `deno run -A cli.ts <command> [flags]`, wrapped by
 * the tasks in deno.json (`deno task pipeline`, `deno task ingest`, …).
 */
import { formatUsageError, USAGE_EXIT, usageMessage } from "./lib/usage.ts";

const COMMANDS: Record<
  string,
  { about: string; load: () => Promise<{ main(args: string[]): Promise<number> }> }
> = {
  pipeline: {
    about: "ingest → dataflow → sentiment → report, on the defaults",
    load: () => import("./lib/pipeline.ts"),
  },
  ingest: {
    about: "stream events from a source into the lake",
    load: () => import("./lib/ingest/cli.ts"),
  },
  dataflow: {
    about: "run the Delta Live Tables SQL pipeline on DuckDB",
    load: () => import("./lib/dataflow/cli.ts"),
  },
  sentiment: {
    about: "score new silver rows into the gold sentiment table",
    load: () => import("./lib/sentiment/cli.ts"),
  },
  "eval-sentiment": {
    about: "evaluate a sentiment model on a labeled TSV file",
    load: () => import("./lib/sentiment/eval_cli.ts"),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: deno task <command> [flags]   (or: deno run -A cli.ts <command> [flags])",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.about}`),
    "",
    "Each command takes --help.",
  ].join("\n");
}

if (import.meta.main) {
  const [name, ...rest] = Deno.args;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(
      name && name !== "--help" && name !== "-h"
        ? `unknown command: ${name}\n\n${usage()}`
        : usage(),
    );
    Deno.exit(name === "--help" || name === "-h" ? 0 : 2);
  }
  try {
    Deno.exit(await (await command.load()).main(rest));
  } catch (e) {
    const usage = usageMessage(e);
    if (usage !== null) {
      console.error(formatUsageError(name, usage));
      Deno.exit(USAGE_EXIT);
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (Deno.env.get("TWEETLAKE_DEBUG") && e instanceof Error) console.error(e.stack);
    Deno.exit(1);
  }
}
