/** Command-line flags shared by `deno task sentiment` and `deno task eval-sentiment`. */
import { parseArgs } from "node:util";
import { UsageError, usageMessage } from "../usage.ts";
import { DEFAULT_DTYPE, type Dtype, DTYPES, parseDtype } from "./model.ts";

/** Help text for the shared model flags. */
export const MODEL_FLAGS_HELP = [
  `  --model <id|folder>  hub id, model folder, or folder name under models/`,
  `                       (default: the embedded tweetlake-sentiment)`,
  `  --dtype <dtype>      weights: ${DTYPES.join(", ")} (default ${DEFAULT_DTYPE})`,
  `  --batch <n>          texts per model call (default 32)`,
].join("\n");

/** Parsed shared flags plus the command's own booleans/strings and positionals. */
export interface ParsedArgs {
  model?: string;
  dtype: Dtype;
  batch: number;
  help: boolean;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` with the shared model flags plus `extra` (name → "string" | "boolean").
 * Unknown flags and bad values throw errors that name the flag.
 */
export function parseModelArgs(
  args: string[],
  extra: Record<string, "string" | "boolean"> = {},
): ParsedArgs {
  const options = Object.fromEntries(
    Object.entries({ model: "string", dtype: "string", batch: "string", help: "boolean", ...extra })
      .map(([k, type]) => [k, { type }]),
  ) as Record<string, { type: "string" | "boolean" }>;
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(usageMessage(e) ?? String(e), { cause: e });
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const batchText = (v.batch as string | undefined) ?? "32";
  const batch = Number(batchText);
  if (!/^\d+$/.test(batchText) || batch < 1) {
    throw new UsageError(`--batch must be a positive integer, got "${batchText}"`);
  }
  return {
    model: v.model as string | undefined,
    dtype: v.dtype === undefined ? DEFAULT_DTYPE : parseDtype(v.dtype as string),
    batch,
    help: v.help === true,
    values: v,
    positionals: parsed.positionals,
  };
}
