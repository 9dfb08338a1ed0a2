/**
 * `deno task test`: runs `deno test --allow-all` (on `tests/`, or the arguments given), then
 * repeats the warnings the tests recorded (e.g. "kernel path NOT exercised") at the end, where
 * a person sees them. Exits with deno test's status.
 */
import { WARNINGS_ENV } from "../tests/support/warnings.ts";

const file = await Deno.makeTempFile({ prefix: "tweetlake-test-warnings-" });
try {
  const args = Deno.args.length ? Deno.args : ["tests/"];
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...args],
    env: { [WARNINGS_ENV]: file },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  const warnings = (await Deno.readTextFile(file)).split("\n").filter((l) => l.trim());
  if (warnings.length) {
    console.error(`\nwarnings from the tests (${warnings.length}):`);
    for (const w of [...new Set(warnings)]) console.error(`  warning: ${w}`);
  }
  Deno.exitCode = code;
} finally {
  await Deno.remove(file).catch(() => {});
}
