/**
 * `deno task bench`: runs every `bench/*_bench.ts` in its own process (so each
 * reports its own peak RSS), or only those named on the command line
 * (`deno task bench ingest`).
 */
import { formatUsageError, USAGE_EXIT } from "../lib/usage.ts";

const dir = new URL(".", import.meta.url);
const all = [...Deno.readDirSync(dir)]
  .map((e) => e.name)
  .filter((n) => n.endsWith("_bench.ts"))
  .sort();
const names = all.map((n) => n.replace(/_bench\.ts$/, ""));
const HELP = `usage: deno task bench [name…]

Runs each benchmark in its own process and prints one JSON line per measurement.
Without a name, runs them all. Names: ${names.join(", ")}.

  -h, --help   this text`;
if (Deno.args.some((a) => a === "--help" || a === "-h")) {
  console.log(HELP);
  Deno.exit(0);
}
const flag = Deno.args.find((a) => a.startsWith("-"));
const unknown = Deno.args.find((a) => !a.startsWith("-") && !names.some((n) => n.startsWith(a)));
if (flag || unknown) {
  console.error(
    formatUsageError("bench", flag ? `unknown flag ${flag}` : `unknown benchmark ${unknown}`),
  );
  Deno.exit(USAGE_EXIT);
}
const only = Deno.args;
const files = all.filter((n) => only.length === 0 || only.some((o) => n.startsWith(o)));
let failed = 0;
for (const name of files) {
  console.log(`# ${name}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(name, dir).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) failed++;
}
Deno.exit(failed ? 1 : 0);
