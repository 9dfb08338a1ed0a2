/** The flags and defaults of continuous mode, as `deno task pipeline --help` shows them. */
import { INGEST_FLAGS } from "../ingest/cli.ts";

/** Flags `deno task pipeline` hands to continuous mode (`--serve` also to a triggered run). */
const LIVE_FLAGS = new Set([
  "continuous",
  "serve",
  "trigger",
  ...Object.keys(INGEST_FLAGS).filter((f) => !["input", "lake", "help"].includes(f)),
]);

/** Whether `args` name a flag of continuous mode (or `--serve`). */
export function wantsLive(args: string[]): boolean {
  return args.some((a) => LIVE_FLAGS.has(/^--([^=]+)/.exec(a)?.[1] ?? "")) &&
    !args.includes("--help") && !args.includes("-h");
}

/** Least time between two updates' starts in continuous mode, when `--trigger` is not given. */
export const DEFAULT_TRIGGER_MS = 2000;

/** Replay pace of a continuous run when `--rate` is not given (events per second). */
export const DEFAULT_LIVE_RATE = 50;

/** The continuous-mode part of `deno task pipeline --help`. */
export const LIVE_HELP = `continuous mode (runs until Ctrl-C, SIGTERM or --duration):
  --continuous           ingest → update when new files land → score, repeatedly
  --source replay|x|jetstream  (default replay; the x and jetstream flags of
                         deno task ingest --help apply)
  --trigger 2s           least time between two updates (default ${DEFAULT_TRIGGER_MS / 1000}s);
                         ingest files rotate at this age too (--batch-age)
  --rate 50/s            replay pace (default ${DEFAULT_LIVE_RATE}/s in continuous mode)
  --from-start           replay the input again from its first event
  --duration 60s         stop after this long
  --serve [host:]port    serve the live dashboard (default host 127.0.0.1; 0: any free port);
                         without --continuous: run once, then serve the result ("not running")`;
