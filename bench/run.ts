/**
 * `deno task bench`: runs every `bench/*_bench.ts` in its own process (so each
 * reports its own peak RSS), or only those named on the command line
 * (`deno task bench ingest`).
 */
const dir = new URL(".", import.meta.url);
const only = Deno.args;
const files = [...Deno.readDirSync(dir)]
  .map((e) => e.name)
  .filter((n) => n.endsWith("_bench.ts"))
  .filter((n) => only.length === 0 || only.some((o) => n.startsWith(o)))
  .sort();
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
