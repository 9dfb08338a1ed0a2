/**
 * Warnings a test wants a person to see: printed at once, and repeated at the end of
 * `deno task test` (tools/test.ts reads them from the file named by `TWEETLAKE_TEST_WARNINGS`).
 */

/** The environment variable naming the warnings file (set by tools/test.ts). */
export const WARNINGS_ENV = "TWEETLAKE_TEST_WARNINGS";

/** Prints `message` and records it for the end of the test run. */
export function recordTestWarning(message: string): void {
  console.warn(`warning: ${message}`);
  const file = Deno.env.get(WARNINGS_ENV);
  if (file) Deno.writeTextFileSync(file, `${message}\n`, { append: true });
}
