/**
 * Command-line usage errors in one style for every command:
 * `error: unknown flag --bogus (see deno task ingest --help)`, exit status 2.
 * Commands throw {@link UsageError} for a bad flag or value; `node:util` parseArgs errors are
 * recognised too, so a command using parseArgs needs nothing more.
 */

/** A bad flag, value or argument on the command line. */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** The exit status of a usage error. */
export const USAGE_EXIT = 2;

/**
 * The message of a usage error (`unknown flag --x`, `--lake needs a value`, …), or null when
 * `e` is not one.
 */
export function usageMessage(e: unknown): string | null {
  if (e instanceof UsageError) return e.message;
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_")) return null;
  const message = (e as Error).message;
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag) return `unknown flag ${flag}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag) {
    return /argument missing/.test(message)
      ? `${flag} needs a value`
      : `${flag} does not take a value`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    return `unexpected argument ${/'([^']+)'/.exec(message)?.[1] ?? ""}`.trim();
  }
  return message;
}

/** The line printed for a usage error of `command`. */
export function formatUsageError(command: string, message: string): string {
  return `error: ${message} (see deno task ${command} --help)`;
}
